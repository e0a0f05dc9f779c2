//! The one-pass gelu gradient (TF's `GeluGrad`) equals the composed formula (bit for bit
//! where both run the same f64 steps, within f32 ulps for the exact gelu's f32 kernel),
//! and a second derivative still flows through the composed path.

use kiln_tensor::{DType, GradientTape, Tensor};

fn inputs(dtype: DType) -> (Tensor, Tensor) {
    let n = 4099;
    let x: Vec<f64> = (0..n).map(|i| (i as f64 - 2049.0) / 300.0).collect();
    let c: Vec<f64> = (0..n).map(|i| 0.5 + (i % 7) as f64 * 0.25).collect();
    let x = Tensor::from_vec(x, &[n]).unwrap().cast(dtype).unwrap();
    let c = Tensor::from_vec(c, &[n]).unwrap().cast(dtype).unwrap();
    (x, c)
}

fn bits(t: &Tensor) -> Vec<u64> {
    t.to_f64_vec().iter().map(|v| v.to_bits()).collect()
}

#[test]
fn fused_gelu_gradient_equals_the_composed_one_bit_for_bit() {
    for dtype in [DType::F32, DType::F64] {
        for approximate in [false, true] {
            let (x, c) = inputs(dtype);
            let tape = GradientTape::new();
            tape.watch(&x);
            let y = x
                .gelu(approximate)
                .unwrap()
                .mul(&c)
                .unwrap()
                .sum_all()
                .unwrap();
            let fused = tape.gradient(&y, &[&x]).unwrap().remove(0).unwrap();
            // A second tape recording the backward pass takes the composed formula.
            let outer = GradientTape::new();
            outer.watch(&x);
            let tape = GradientTape::new();
            tape.watch(&x);
            let y = x
                .gelu(approximate)
                .unwrap()
                .mul(&c)
                .unwrap()
                .sum_all()
                .unwrap();
            let composed = tape.gradient(&y, &[&x]).unwrap().remove(0).unwrap();
            if dtype == DType::F32 && !approximate {
                // The exact gelu's f32 kernel is vectorised f32 arithmetic; the composed
                // formula runs in f64. They agree to a few f32 ulp of the scale `c`
                // (the derivative cancels near its zero at x = -0.75).
                for (i, (f, c)) in fused
                    .to_f64_vec()
                    .iter()
                    .zip(composed.to_f64_vec())
                    .enumerate()
                {
                    assert!((f - c).abs() <= 4e-7 * (1.0 + c.abs()), "{i}: {f} vs {c}");
                }
            } else {
                assert_eq!(
                    bits(&fused),
                    bits(&composed),
                    "{dtype:?} approximate={approximate}"
                );
            }
            // ... and differentiates again: d/dx sum(gelu'(x) * c) by finite differences.
            let h = outer
                .gradient(&composed.sum_all().unwrap(), &[&x])
                .unwrap()
                .remove(0)
                .unwrap();
            if dtype == DType::F64 {
                let eps = 1e-5;
                let gp = |s: f64| {
                    let xs = x.add_scalar(s).unwrap();
                    let t = GradientTape::new();
                    t.watch(&xs);
                    let y = xs
                        .gelu(approximate)
                        .unwrap()
                        .mul(&c)
                        .unwrap()
                        .sum_all()
                        .unwrap();
                    t.gradient(&y, &[&xs])
                        .unwrap()
                        .remove(0)
                        .unwrap()
                        .to_f64_vec()
                };
                let (p, m) = (gp(eps), gp(-eps));
                for (i, hv) in h.to_f64_vec().iter().enumerate().step_by(97) {
                    let fd = (p[i] - m[i]) / (2.0 * eps);
                    assert!(
                        (hv - fd).abs() < 1e-6 * (1.0 + fd.abs()),
                        "{i}: {hv} vs {fd}"
                    );
                }
            }
        }
    }
}

#[test]
fn gelu_gradient_replays_in_a_traced_function() {
    use kiln_tensor::function::{Function, Value};
    let (x, c) = inputs(DType::F32);
    let f = Function::new("g", move |a| {
        let x = a.tensor(0)?;
        let tape = GradientTape::new();
        tape.watch(&x);
        let y = x.gelu(false)?.mul(&c)?.sum_all()?;
        Ok::<_, kiln_tensor::Error>(Value::from(tape.gradient(&y, &[&x])?.remove(0).unwrap()))
    });
    let traced = f.call(&[x.clone().into()]).unwrap();
    let traced = traced.as_tensor().unwrap().clone();
    let (x2, c2) = inputs(DType::F32);
    let tape = GradientTape::new();
    tape.watch(&x2);
    let y = x2.gelu(false).unwrap().mul(&c2).unwrap().sum_all().unwrap();
    let eager = tape.gradient(&y, &[&x2]).unwrap().remove(0).unwrap();
    assert_eq!(bits(&traced), bits(&eager));
    assert!(f.concrete_functions()[0].listing().contains("gelu_grad"));
}
