//! One training step of the S002-2 CNN (batch 64) written with raw tensor ops, timing the
//! forward and backward halves: the op-level floor under `kiln train --model cnn`.
//! `cargo run --release -p kiln-tensor --example cnn_step_profile` (STEPS=n to change).
use kiln_tensor::ops::conv::Padding;
use kiln_tensor::random::Generator;
use kiln_tensor::{DType, GradientTape, Variable};
use std::time::Instant;

fn main() -> kiln_tensor::Result<()> {
    let mut g = Generator::from_seed(0);
    let v = |g: &mut Generator, s: &[usize]| -> kiln_tensor::Result<Variable> {
        Ok(Variable::new(
            g.normal(s, 0.0, 0.05, DType::F32)?,
            "w",
            true,
        ))
    };
    let w1 = v(&mut g, &[3, 3, 1, 32])?;
    let b1 = v(&mut g, &[32])?;
    let w2 = v(&mut g, &[3, 3, 32, 64])?;
    let b2 = v(&mut g, &[64])?;
    let w3 = v(&mut g, &[3136, 128])?;
    let b3 = v(&mut g, &[128])?;
    let w4 = v(&mut g, &[128, 10])?;
    let b4 = v(&mut g, &[10])?;
    let x = g.uniform(&[64, 28, 28, 1], 0.0, 1.0, DType::F32)?;
    let y = g.randint(&[64], 0, 10, DType::I64)?;
    let same = Padding::Same;
    let steps: usize = std::env::var("STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let mut tf = 0.0;
    let mut tb = 0.0;
    for i in 0..steps + if steps < 10 { 1 } else { 5 } {
        let t0 = Instant::now();
        let tape = GradientTape::new();
        let h = x
            .conv2d(&w1.value(), [1, 1], &same, [1, 1], 1)?
            .bias_add(&b1.value())?
            .relu()?;
        let h = h.max_pool2d([2, 2], [2, 2], &Padding::Valid)?;
        let h = h
            .conv2d(&w2.value(), [1, 1], &same, [1, 1], 1)?
            .bias_add(&b2.value())?
            .relu()?;
        let h = h.max_pool2d([2, 2], [2, 2], &Padding::Valid)?;
        let h = h.reshape(&[64, -1])?;
        let h = h.matmul(&w3.value())?.bias_add(&b3.value())?.relu()?;
        let lg = h.matmul(&w4.value())?.bias_add(&b4.value())?;
        let loss = y
            .sparse_softmax_cross_entropy_with_logits(&lg)?
            .mean(&[0], false)?;
        let t1 = Instant::now();
        let gr = tape.gradient(&loss, &[&w1, &b1, &w2, &b2, &w3, &b3, &w4, &b4])?;
        std::hint::black_box(gr);
        let t2 = Instant::now();
        if i >= if steps < 10 { 1 } else { 5 } {
            tf += (t1 - t0).as_secs_f64();
            tb += (t2 - t1).as_secs_f64();
        }
    }
    println!(
        "fwd {:.2} ms  bwd {:.2} ms  step {:.2} ms  epoch(938) {:.1} s",
        tf / steps as f64 * 1e3,
        tb / steps as f64 * 1e3,
        (tf + tb) / steps as f64 * 1e3,
        (tf + tb) / steps as f64 * 938.0
    );
    Ok(())
}
