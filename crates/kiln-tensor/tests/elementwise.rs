//! Finite-difference gradient checks and behaviour tests for elementwise ops.
#![allow(clippy::cloned_ref_to_slice_refs)] // one-input gradchecks read best as &[x.clone()]
mod common;
use common::*;
use kiln_tensor::{DType, GradientTape, Tensor};

/// Values kept away from 0 (kinks) and from each other (ties).
fn away_from_zero(shape: &[usize], seed: u64) -> Tensor {
    let t = rand_t(shape, seed);
    t.add(&t.sign().unwrap().mul_scalar(0.2).unwrap()).unwrap()
}

fn positive(shape: &[usize], seed: u64) -> Tensor {
    rand_t(shape, seed).abs().unwrap().add_scalar(0.5).unwrap()
}

#[test]
fn unary_math_gradients() {
    let x = away_from_zero(&[3, 4], 11);
    let p = positive(&[3, 4], 12);
    gradcheck("abs", &[x.clone()], |v| v[0].abs());
    gradcheck("log", &[p.clone()], |v| v[0].log());
    gradcheck("log1p", &[p.clone()], |v| v[0].log1p());
    gradcheck("expm1", &[x.clone()], |v| v[0].expm1());
    gradcheck("sqrt", &[p.clone()], |v| v[0].sqrt());
    gradcheck("rsqrt", &[p.clone()], |v| v[0].rsqrt());
    gradcheck("reciprocal", &[p.clone()], |v| v[0].reciprocal());
    gradcheck("sin", &[x.clone()], |v| v[0].sin());
    gradcheck("cos", &[x.clone()], |v| v[0].cos());
    gradcheck("tanh", &[x.clone()], |v| v[0].tanh());
    gradcheck("erf", &[x.clone()], |v| v[0].erf());
    gradcheck("clip", &[x.clone()], |v| v[0].clip(-0.5, 0.5));
    // Strided (transposed) input.
    gradcheck("tanh transposed", &[x.clone()], |v| {
        v[0].transpose(None)?.tanh()
    });
}

#[test]
fn activation_gradients() {
    let x = away_from_zero(&[4, 5], 21).mul_scalar(3.0).unwrap();
    gradcheck("sigmoid", &[x.clone()], |v| v[0].sigmoid());
    gradcheck("relu", &[x.clone()], |v| v[0].relu());
    gradcheck("relu6", &[x.clone()], |v| v[0].relu6());
    gradcheck("leaky_relu", &[x.clone()], |v| v[0].leaky_relu(0.3));
    gradcheck("elu", &[x.clone()], |v| v[0].elu(1.0));
    gradcheck("elu alpha", &[x.clone()], |v| v[0].elu(0.5));
    gradcheck("selu", &[x.clone()], |v| v[0].selu());
    gradcheck("gelu", &[x.clone()], |v| v[0].gelu(false));
    gradcheck("gelu tanh", &[x.clone()], |v| v[0].gelu(true));
    gradcheck("softplus", &[x.clone()], |v| v[0].softplus());
    gradcheck("softsign", &[x.clone()], |v| v[0].softsign());
    gradcheck("silu", &[x.clone()], |v| v[0].silu());
    gradcheck("hard_sigmoid", &[x.clone()], |v| v[0].hard_sigmoid());
    gradcheck("relu transposed", &[x.clone()], |v| {
        v[0].transpose(None)?.relu()
    });
}

#[test]
fn binary_gradients_with_broadcasting() {
    let a = positive(&[2, 3, 4], 31);
    let b = positive(&[3, 1], 32).add_scalar(1.0).unwrap();
    gradcheck("pow", &[a.clone(), b.clone()], |v| v[0].pow(&v[1]));
    gradcheck("rem", &[a.mul_scalar(3.0).unwrap(), b.clone()], |v| {
        v[0].rem(&v[1])
    });
    let c = rand_t(&[2, 3, 4], 33);
    let d = rand_t(&[4], 34);
    gradcheck("maximum", &[c.clone(), d.clone()], |v| v[0].maximum(&v[1]));
    gradcheck("minimum", &[c.clone(), d.clone()], |v| v[0].minimum(&v[1]));
    gradcheck("squared_difference", &[c.clone(), d.clone()], |v| {
        v[0].squared_difference(&v[1])
    });
    let cond = c.greater(&Tensor::scalar(0.0f64)).unwrap();
    gradcheck("where", &[c.clone(), d.clone()], move |v| {
        Tensor::where_cond(&cond, &v[0], &v[1])
    });
}

#[test]
fn second_derivatives_of_activations() {
    // d2/dx2 tanh(x) = -2 tanh(x) (1 - tanh(x)^2); sigmoid'' = s(1-s)(1-2s).
    let x = Tensor::scalar(0.7f64);
    let outer = GradientTape::new();
    outer.watch(&x);
    let (dt, ds) = {
        let inner = GradientTape::persistent();
        inner.watch(&x);
        let t = x.tanh().unwrap();
        let s = x.sigmoid().unwrap();
        (
            inner.gradient(&t, &[&x]).unwrap()[0].clone().unwrap(),
            inner.gradient(&s, &[&x]).unwrap()[0].clone().unwrap(),
        )
    };
    let both = dt.add(&ds).unwrap();
    let d2 = outer.gradient(&both, &[&x]).unwrap()[0]
        .clone()
        .unwrap()
        .item::<f64>()
        .unwrap();
    let (t, s) = (0.7f64.tanh(), 1.0 / (1.0 + (-0.7f64).exp()));
    let want = -2.0 * t * (1.0 - t * t) + s * (1.0 - s) * (1.0 - 2.0 * s);
    assert!((d2 - want).abs() < 1e-12, "{d2} vs {want}");
}

#[test]
fn integer_semantics() {
    let x = Tensor::from_vec(vec![7i32, -7, 7, -7], &[4]).unwrap();
    let y = Tensor::from_vec(vec![3i32, 3, -3, -3], &[4]).unwrap();
    assert_eq!(
        x.floor_div(&y).unwrap().to_vec::<i32>().unwrap(),
        vec![2, -3, -3, 2]
    );
    assert_eq!(
        x.rem(&y).unwrap().to_vec::<i32>().unwrap(),
        vec![1, 2, -2, -1]
    );
    assert_eq!(
        x.pow(&Tensor::scalar(2i32))
            .unwrap()
            .to_vec::<i32>()
            .unwrap(),
        vec![49; 4]
    );
    assert_eq!(x.abs().unwrap().to_vec::<i32>().unwrap(), vec![7; 4]);
    assert_eq!(x.relu().unwrap().to_vec::<i32>().unwrap(), vec![7, 0, 7, 0]);
    let err = x.floor_div(&Tensor::scalar(0i32)).unwrap_err().to_string();
    assert!(err.contains("floor_div") && err.contains("zero"), "{err}");
    let u = Tensor::from_vec(vec![250u8], &[1]).unwrap();
    assert_eq!(
        u.add(&Tensor::scalar(10u8))
            .unwrap()
            .to_vec::<u8>()
            .unwrap(),
        vec![4]
    ); // wraps as TF
}

#[test]
fn bad_dtypes_are_errors_naming_the_op() {
    let b = Tensor::from_vec(vec![true, false], &[2]).unwrap();
    let f = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
    let i = Tensor::from_vec(vec![1i32, 2], &[2]).unwrap();
    let e = b.add(&b).unwrap_err().to_string();
    assert!(e.contains("add") && e.contains("bool"), "{e}");
    let e = i.exp().unwrap_err().to_string();
    assert!(e.contains("exp") && e.contains("int32"), "{e}");
    let e = f.logical_and(&b).unwrap_err().to_string();
    assert!(e.contains("logical_and") && e.contains("float32"), "{e}");
    let e = f.maximum(&i).unwrap_err().to_string();
    assert!(
        e.contains("maximum") && e.contains("float32") && e.contains("int32"),
        "{e}"
    );
    let e = Tensor::where_cond(&f, &f, &f).unwrap_err().to_string();
    assert!(e.contains("where") && e.contains("bool"), "{e}");
    let e = f
        .less(&Tensor::zeros(&[3], DType::F32))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("less") && e.contains("(2,)") && e.contains("(3,)"),
        "{e}"
    );
}

#[test]
fn half_precision_computes_through_f32_and_keeps_dtype() {
    for dt in [DType::F16, DType::BF16] {
        let x = Tensor::from_vec(vec![0.0f32, 1.0, -2.0], &[3])
            .unwrap()
            .cast(dt)
            .unwrap();
        let y = x.exp().unwrap();
        assert_eq!(y.dtype(), dt);
        let v = y.to_f64_vec();
        assert!((v[1] - std::f64::consts::E).abs() < 0.02, "{dt}: {v:?}");
        assert_eq!(x.relu().unwrap().dtype(), dt);
        assert_eq!(x.add(&x).unwrap().to_f64_vec(), vec![0.0, 2.0, -4.0]);
    }
}

#[test]
fn simd_exp_matches_std_exp() {
    // Many f32 values across the range, through the vectorised path (contiguous f32).
    let mut xs: Vec<f32> = (-2000..=2000).map(|i| i as f32 * 0.0449).collect();
    xs.extend([
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        88.7,
        89.0,
        -103.0,
        -87.5,
        0.0,
        -0.0,
    ]);
    let y = Tensor::from_vec(xs.clone(), &[xs.len()])
        .unwrap()
        .exp()
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
    for (x, got) in xs.iter().zip(y) {
        let want = x.exp();
        if want.is_nan() {
            assert!(got.is_nan());
        } else if want.is_infinite() || want == 0.0 {
            assert_eq!(got, want, "exp({x})");
        } else {
            let rel = ((got as f64 - want as f64) / want as f64).abs();
            assert!(
                rel < 3e-7 || (want < 1.2e-38 && (got - want).abs() < 1e-44),
                "exp({x}) = {got} vs {want}"
            );
        }
    }
}
