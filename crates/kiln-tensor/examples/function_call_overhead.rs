//! What calling a cached concrete function costs beyond its kernels: a traced `x + 1` on a
//! scalar against the same `add` called eagerly, in microseconds per call (the issue's
//! budget is 2 us). The difference is the cache lookup (trace-type of the arguments,
//! subtype check), binding and the graph walk.
//!
//! Run with `cargo run --release -p kiln-tensor --example function_call_overhead`.
use std::hint::black_box;
use std::time::Instant;

use kiln_tensor::function::{Function, Value};
use kiln_tensor::Tensor;

fn main() -> kiln_tensor::Result<()> {
    const CALLS: usize = 100_000;
    let x = Tensor::scalar(1.0f32);
    let one = Tensor::scalar(1.0f32);
    let f = Function::new("f", |a| {
        Ok::<_, kiln_tensor::Error>(Value::from(a.tensor(0)?.add(&Tensor::scalar(1.0f32))?))
    });
    f.call(&[x.clone().into()])?; // traces
    let mut eager = Vec::new();
    let mut traced = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        for _ in 0..CALLS {
            black_box(black_box(&x).add(black_box(&one))?);
        }
        eager.push(t.elapsed().as_secs_f64() / CALLS as f64 * 1e6);
        let t = Instant::now();
        for _ in 0..CALLS {
            black_box(f.call(&[black_box(&x).into()])?);
        }
        traced.push(t.elapsed().as_secs_f64() / CALLS as f64 * 1e6);
    }
    eager.sort_by(f64::total_cmp);
    traced.sort_by(f64::total_cmp);
    let (e, t) = (eager[3], traced[3]);
    println!(
        "eager add {e:.3} us, traced call {t:.3} us, call overhead {:.3} us (medians of 7 loops of {CALLS})",
        t - e
    );
    assert_eq!(f.experimental_get_tracing_count(), 1);
    Ok(())
}
