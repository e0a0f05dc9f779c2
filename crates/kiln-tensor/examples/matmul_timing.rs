//! Release-mode timings of the linalg kernels, one JSON line per figure, with the bench
//! names of `shared/bench/peers/ops_peers.py` so they pair with the numpy / PyTorch runs:
//!
//! ```sh
//! cargo run --release -p kiln-tensor --example matmul_timing
//! ```
//!
//! Each figure is the median wall time of one call after two warm-up calls (at least 5
//! calls, up to about one second), as the peer script measures.

use std::time::Instant;

use kiln_tensor::{DType, Tensor};

fn median_time(mut f: impl FnMut()) -> f64 {
    f();
    f();
    let mut times = Vec::new();
    let end = Instant::now() + std::time::Duration::from_secs(1);
    while times.len() < 5 || (Instant::now() < end && times.len() < 1000) {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    times[times.len() / 2]
}

fn emit(bench: &str, seconds: f64, flops: Option<f64>) {
    match flops {
        Some(fl) => println!(
            "{{\"bench\": \"{bench}\", \"impl\": \"kiln\", \"seconds\": {seconds:.6e}, \"gflops\": {:.2}}}",
            fl / seconds / 1e9
        ),
        None => println!("{{\"bench\": \"{bench}\", \"impl\": \"kiln\", \"seconds\": {seconds:.6e}}}"),
    }
}

fn randn(shape: &[usize], seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    let v: Vec<f32> = (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect();
    Tensor::from_vec(v, shape).unwrap()
}

fn main() {
    for n in [128usize, 512, 1024] {
        let (a, b) = (randn(&[n, n], 1), randn(&[n, n], 2));
        let t = median_time(|| {
            std::hint::black_box(a.matmul(&b).unwrap());
        });
        emit(
            &format!("matmul_f32_{n}"),
            t,
            Some(2.0 * (n * n * n) as f64),
        );
    }
    let (a, b) = (randn(&[128, 784], 3), randn(&[784, 128], 4));
    let t = median_time(|| {
        std::hint::black_box(a.matmul(&b).unwrap());
    });
    emit(
        "matmul_f32_128x784x128",
        t,
        Some(2.0 * 128.0 * 784.0 * 128.0),
    );

    let (x, bias) = (randn(&[128, 1024], 5), randn(&[1024], 6));
    let t = median_time(|| {
        std::hint::black_box(x.bias_add(&bias).unwrap());
    });
    emit("add_bias_f32_128x1024", t, None);

    let logits = randn(&[128, 10], 7);
    let labels = Tensor::zeros(&[128], DType::I32);
    let t = median_time(|| {
        std::hint::black_box(
            labels
                .sparse_softmax_cross_entropy_with_logits(&logits)
                .unwrap(),
        );
    });
    emit("sparse_softmax_cross_entropy_f32_128x10", t, None);
}
