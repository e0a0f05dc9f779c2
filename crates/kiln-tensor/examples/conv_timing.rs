//! Median wall times of the convolution / pooling benchmark shapes (the names of
//! `shared/bench/peers/ops_peers.py`). Run with `cargo run --release -p kiln-tensor
//! --example conv_timing`.

use std::time::{Duration, Instant};

use kiln_tensor::{DType, GradientTape, Padding, Tensor};

fn median_time(mut f: impl FnMut()) -> f64 {
    f();
    f();
    let mut times = Vec::new();
    let end = Instant::now() + Duration::from_secs(1);
    while times.len() < 5 || (Instant::now() < end && times.len() < 1000) {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    times[times.len() / 2]
}

fn rand(shape: &[usize], seed: u64) -> Tensor {
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

fn emit(bench: &str, seconds: f64, flops: Option<f64>) {
    match flops {
        Some(f) => println!(
            "{{\"bench\": \"{bench}\", \"impl\": \"kiln\", \"seconds\": {seconds:.6}, \"gflops\": {:.2}}}",
            f / seconds / 1e9
        ),
        None => println!("{{\"bench\": \"{bench}\", \"impl\": \"kiln\", \"seconds\": {seconds:.6}}}"),
    }
}

fn main() {
    let x = rand(&[64, 28, 28, 32], 1);
    let w = rand(&[3, 3, 32, 64], 2);
    let flops = 2.0 * 64.0 * 28.0 * 28.0 * 64.0 * 32.0 * 9.0;
    let same = Padding::Same;
    let t = median_time(|| {
        let _ = x.conv2d(&w, [1, 1], &same, [1, 1], 1).unwrap();
    });
    emit("conv2d_fwd_b64_28x28_32to64_k3", t, Some(flops));
    let t = median_time(|| {
        let tape = GradientTape::new();
        tape.watch(&x);
        tape.watch(&w);
        let y = x.conv2d(&w, [1, 1], &same, [1, 1], 1).unwrap();
        let ones = Tensor::ones(y.shape(), DType::F32);
        let g = tape.gradient_with(&[&y], &[&x, &w], Some(&[ones])).unwrap();
        assert!(g[0].is_some() && g[1].is_some());
    });
    emit("conv2d_fwdbwd_b64_28x28_32to64_k3", t, Some(3.0 * flops));
    let x4 = rand(&[64, 28, 28, 64], 3);
    let t = median_time(|| {
        let _ = x4.max_pool2d([2, 2], [2, 2], &Padding::Valid).unwrap();
    });
    emit("maxpool2d_b64_28x28x64_p2", t, None);
}
