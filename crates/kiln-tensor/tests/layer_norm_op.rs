//! The fused layer-normalization op: equal to the formula composed from ops (forward and
//! gradients, with and without gamma/beta, rows shorter and longer than a vector, the
//! single-thread and the row-parallel paths, f64 and f32), f64 finite differences, and
//! its errors.

mod common;

use common::{gradcheck, rand_t};
use kiln_tensor::{DType, GradientTape, Tensor};

/// `(x - mean) / sqrt(var + eps) * gamma + beta` over the last axis, from ops.
fn reference(x: &Tensor, g: Option<&Tensor>, b: Option<&Tensor>, eps: f64) -> Tensor {
    let mean = x.mean(&[-1], true).unwrap();
    let var = x.variance(&[-1], true).unwrap();
    let mut y = x
        .sub(&mean)
        .unwrap()
        .div(&var.add_scalar(eps).unwrap().sqrt().unwrap())
        .unwrap();
    if let Some(g) = g {
        y = y.mul(g).unwrap();
    }
    if let Some(b) = b {
        y = y.add(b).unwrap();
    }
    y
}

fn close(what: &str, a: &Tensor, b: &Tensor, tol: f64) {
    assert_eq!(a.shape(), b.shape(), "{what}");
    for (i, (x, y)) in a.to_f64_vec().iter().zip(b.to_f64_vec()).enumerate() {
        assert!(
            (x - y).abs() <= tol * (1.0 + y.abs()),
            "{what}[{i}]: {x} vs {y}"
        );
    }
}

/// Gradients of `sum(f(x, g, b) * w)` w.r.t. x, gamma, beta.
fn grads(
    f: impl Fn(&Tensor, Option<&Tensor>, Option<&Tensor>) -> Tensor,
    x: &Tensor,
    g: Option<&Tensor>,
    b: Option<&Tensor>,
    w: &Tensor,
) -> Vec<Tensor> {
    let tape = GradientTape::new();
    let mut srcs = vec![x.clone()];
    srcs.extend(g.cloned());
    srcs.extend(b.cloned());
    for s in &srcs {
        tape.watch(s);
    }
    let obj = f(x, g, b).mul(w).unwrap().sum_all().unwrap();
    tape.gradient(&obj, &srcs)
        .unwrap()
        .into_iter()
        .map(|o| o.expect("a gradient for every watched input"))
        .collect()
}

#[test]
fn equals_the_composed_formula_forward_and_backward() {
    // [3, 5, 7]: rows shorter than the 8-lane sums; [640, 300]: 192,000 elements, over
    // the size at which rows are split across threads.
    for shape in [
        vec![3usize, 5, 7],
        vec![640, 300],
        vec![4, 1],
        vec![2, 3, 16],
    ] {
        let n = *shape.last().unwrap();
        let x = rand_t(&shape, 1)
            .mul_scalar(3.0)
            .unwrap()
            .add_scalar(0.5)
            .unwrap();
        let g = rand_t(&[n], 2);
        let b = rand_t(&[n], 3);
        let w = rand_t(&shape, 4);
        for (use_g, use_b) in [(true, true), (true, false), (false, true), (false, false)] {
            let (gg, bb) = (use_g.then_some(&g), use_b.then_some(&b));
            let what = format!("{shape:?} gamma={use_g} beta={use_b}");
            let want = reference(&x, gg, bb, 1e-3);
            let got = x.layer_normalization(gg, bb, 1e-3).unwrap();
            close(&what, &got, &want, 1e-12);
            let gw = grads(|x, g, b| reference(x, g, b, 1e-3), &x, gg, bb, &w);
            let gf = grads(
                |x, g, b| x.layer_normalization(g, b, 1e-3).unwrap(),
                &x,
                gg,
                bb,
                &w,
            );
            assert_eq!(gw.len(), gf.len());
            for (i, (a, e)) in gf.iter().zip(&gw).enumerate() {
                close(&format!("{what} grad {i}"), a, e, 1e-10);
            }
            // f32 against the f64 reference.
            let c = |t: &Tensor| t.cast(DType::F32).unwrap();
            let (x32, g32, b32, w32) = (c(&x), c(&g), c(&b), c(&w));
            let got32 = x32
                .layer_normalization(use_g.then_some(&g32), use_b.then_some(&b32), 1e-3)
                .unwrap();
            close(&format!("f32 {what}"), &got32, &want, 2e-5);
            let gf32 = grads(
                |x, g, b| x.layer_normalization(g, b, 1e-3).unwrap(),
                &x32,
                use_g.then_some(&g32),
                use_b.then_some(&b32),
                &w32,
            );
            for (i, (a, e)) in gf32.iter().zip(&gw).enumerate() {
                // dgamma/dbeta sum over up to 640 rows.
                close(&format!("f32 {what} grad {i}"), a, e, 2e-4);
            }
        }
    }
}

#[test]
fn finite_differences() {
    let inputs = vec![rand_t(&[3, 2, 5], 11), rand_t(&[5], 12), rand_t(&[5], 13)];
    gradcheck("layer_normalization", &inputs, |xs| {
        xs[0].layer_normalization(Some(&xs[1]), Some(&xs[2]), 1e-3)
    });
    gradcheck(
        "layer_normalization without gamma/beta",
        &inputs[..1],
        |xs| xs[0].layer_normalization(None, None, 0.0),
    );
}

#[test]
fn only_the_watched_inputs_get_gradients() {
    let x = rand_t(&[4, 6], 1);
    let g = rand_t(&[6], 2);
    let tape = GradientTape::new();
    tape.watch(&g);
    let y = x.layer_normalization(Some(&g), None, 1e-5).unwrap();
    let d = tape
        .gradient(&y.square().unwrap().sum_all().unwrap(), &[&x, &g])
        .unwrap();
    assert!(d[0].is_none(), "x was not watched");
    assert_eq!(d[1].as_ref().unwrap().shape(), &[6]);
}

#[test]
fn bad_inputs_are_errors_naming_the_shapes() {
    let x = rand_t(&[2, 3, 4], 1);
    let e = x
        .layer_normalization(Some(&rand_t(&[3], 2)), None, 1e-3)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("gamma") && e.contains("(3,)") && e.contains("(4,)"),
        "{e}"
    );
    let e = x
        .layer_normalization(None, Some(&rand_t(&[4], 2).cast(DType::F32).unwrap()), 1e-3)
        .unwrap_err()
        .to_string();
    assert!(e.contains("beta") && e.contains("float32"), "{e}");
    let e = Tensor::from_vec(vec![1i32, 2], &[2])
        .unwrap()
        .layer_normalization(None, None, 1e-3)
        .unwrap_err()
        .to_string();
    assert!(e.contains("f32 or f64"), "{e}");
    assert!(x.layer_normalization(None, None, -1.0).is_err());
    assert!(Tensor::scalar(1.0f64)
        .layer_normalization(None, None, 1e-3)
        .is_err());
}

#[test]
fn a_second_derivative_is_an_error() {
    let x = rand_t(&[2, 4], 1);
    let outer = GradientTape::new();
    outer.watch(&x);
    let inner = GradientTape::new();
    inner.watch(&x);
    let y = x.layer_normalization(None, None, 1e-3).unwrap();
    let dx = inner
        .gradient(&y.square().unwrap().sum_all().unwrap(), &[&x])
        .unwrap()
        .remove(0)
        .unwrap();
    let e = outer
        .gradient(&dx.sum_all().unwrap(), &[&x])
        .unwrap_err()
        .to_string();
    assert!(e.contains("second derivative"), "{e}");
}
