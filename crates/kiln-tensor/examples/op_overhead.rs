//! Per-op overhead with no tape active: a loop of small `add`s, reported in ns per op.
//!
//! Run with `cargo run --release -p kiln-tensor --example op_overhead`.
use std::hint::black_box;
use std::time::Instant;

use kiln_tensor::{DType, Tensor};

fn main() -> kiln_tensor::Result<()> {
    const OPS: usize = 10_000;
    let a = Tensor::from_vec((0..8).map(|i| i as f32).collect::<Vec<f32>>(), &[8])?;
    let b = Tensor::ones(&[8], DType::F32);
    // Warm up (allocator, page faults), then take the best of several timed loops.
    for _ in 0..OPS {
        black_box(black_box(&a).add(black_box(&b))?);
    }
    let mut loops = Vec::with_capacity(20);
    for _ in 0..20 {
        let t = Instant::now();
        for _ in 0..OPS {
            black_box(black_box(&a).add(black_box(&b))?);
        }
        loops.push(t.elapsed().as_secs_f64() / OPS as f64 * 1e9);
    }
    loops.sort_by(f64::total_cmp);
    println!(
        "add of two 8-element f32 tensors, no tape active: {:.0} ns/op median, {:.0} ns/op best \
         (20 loops of {OPS})",
        loops[loops.len() / 2],
        loops[0]
    );
    Ok(())
}
