//! Pipeline throughput: one pass of MNIST through
//! `from_tensor_slices -> shuffle(10000) -> batch(128) -> prefetch(2)` against the
//! in-memory equivalent (a shuffled row-gather per batch), and an expensive per-element
//! `map` on 1 and 2 worker threads (`map_parallel`).
//! `cargo run --release -p kiln-data --example pipeline_throughput`

use std::time::Instant;

use kiln_data::dataset::{Dataset, Element};
use kiln_tensor::random::Generator;
use kiln_tensor::{DType, Tensor};

fn main() -> kiln_data::Result<()> {
    let ((x, y), _) = kiln_data::datasets::mnist::load_data()?;
    let x = x.cast(DType::F32)?.div_scalar(255.0)?;
    let ds = Dataset::from_tensor_slices((x.clone(), y.clone()))?
        .shuffle_with(10_000, Some(0), true)
        .batch(128)?
        .prefetch(2);
    ds.collect()?;
    let t = Instant::now();
    let n = ds.iter().count();
    let pipe = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let perm = Generator::from_seed(0)
        .permutation(60_000)
        .to_vec::<i64>()?;
    for chunk in perm.chunks(128) {
        let idx = Tensor::from_vec(chunk.to_vec(), &[chunk.len()])?;
        std::hint::black_box((x.gather(&idx, 0)?, y.gather(&idx, 0)?));
    }
    let mem = t.elapsed().as_secs_f64();
    println!(
        "pass over MNIST: pipeline {:.1} ms ({n} batches), in-memory gathers {:.1} ms",
        pipe * 1e3,
        mem * 1e3
    );

    // A deliberately expensive map (an augmentation stand-in): 40 elementwise passes.
    let heavy = |e: Element| -> kiln_data::Result<Element> {
        e.map_leaves(&mut |t| {
            let mut v = t.cast(DType::F32)?;
            for _ in 0..40 {
                v = v.mul_scalar(1.0001)?.add_scalar(0.0001)?.tanh()?;
            }
            Ok(v)
        })
    };
    let base = Dataset::from_tensor_slices(x.slice(&[0, 0, 0], &[4000, -1, -1])?)?;
    let mut times = Vec::new();
    for workers in [1, 2] {
        let d = if workers == 1 {
            base.map(heavy)
        } else {
            base.map_parallel(heavy, workers)
        };
        let t = Instant::now();
        let n = d.iter().count();
        let s = t.elapsed().as_secs_f64();
        println!(
            "map over {n} elements on {workers} worker(s): {:.1} ms",
            s * 1e3
        );
        times.push(s);
    }
    println!(
        "map_parallel speed-up on 2 workers: {:.2}x",
        times[0] / times[1]
    );
    Ok(())
}
