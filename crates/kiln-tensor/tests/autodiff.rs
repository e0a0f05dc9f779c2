//! Tape semantics and gradient checks of the core arithmetic.
#![allow(clippy::cloned_ref_to_slice_refs)] // one-input gradchecks read best as &[x.clone()]
mod common;
use common::*;
use kiln_tensor::{DType, GradientTape, Tensor, Variable};

#[test]
fn binary_ops_grad_with_broadcasting() {
    let a = rand_t(&[2, 3, 4], 1);
    let b = rand_t(&[3, 1], 2);
    gradcheck("add", &[a.clone(), b.clone()], |x| x[0].add(&x[1]));
    gradcheck("sub", &[a.clone(), b.clone()], |x| x[0].sub(&x[1]));
    gradcheck("mul", &[a.clone(), b.clone()], |x| x[0].mul(&x[1]));
    let pos = rand_t(&[3, 1], 3).add(&Tensor::scalar(2.0f64)).unwrap();
    gradcheck("div", &[a.clone(), pos], |x| x[0].div(&x[1]));
}

#[test]
fn strided_inputs_grad() {
    let a = rand_t(&[4, 3], 4);
    let b = rand_t(&[3, 4], 5);
    gradcheck("add transposed", &[a, b], |x| {
        x[0].transpose(None)?.add(&x[1])
    });
}

#[test]
fn unary_and_reduce_grads() {
    let a = rand_t(&[3, 4], 6);
    gradcheck("exp", &[a.clone()], |x| x[0].exp());
    gradcheck("square", &[a.clone()], |x| x[0].square());
    gradcheck("neg", &[a.clone()], |x| x[0].neg());
    gradcheck("sum axis", &[a.clone()], |x| x[0].sum(&[0], false));
    gradcheck("sum keepdims", &[a.clone()], |x| x[0].sum(&[1], true));
    gradcheck("mean", &[a.clone()], |x| x[0].mean(&[-1], false));
    gradcheck("reshape", &[a.clone()], |x| {
        x[0].reshape(&[2, -1])?.square()
    });
    gradcheck("broadcast_to", &[rand_t(&[3, 1], 7)], |x| {
        x[0].broadcast_to(&[2, 3, 5])?.square()
    });
    gradcheck("squeeze/expand", &[rand_t(&[3, 1], 8)], |x| {
        x[0].squeeze(&[])?.expand_dims(0)?.exp()
    });
}

#[test]
fn nothing_recorded_without_tape_or_watch() {
    let x = Tensor::scalar(1.0f32);
    let tape = GradientTape::new();
    let _ = x.add(&x).unwrap();
    assert_eq!(tape.num_recorded(), 0);
    tape.watch(&x);
    let _ = x.add(&x).unwrap();
    assert_eq!(tape.num_recorded(), 1);
}

#[test]
fn unconnected_sources_are_none() {
    let x = Tensor::scalar(1.0f64);
    let z = Tensor::scalar(1.0f64);
    let tape = GradientTape::new();
    tape.watch(&x);
    tape.watch(&z);
    let y = x.exp().unwrap();
    let g = tape.gradient(&y, &[&x, &z]).unwrap();
    assert!(g[0].is_some() && g[1].is_none());
}

#[test]
fn non_persistent_tape_answers_once() {
    let x = Tensor::scalar(1.0f64);
    let tape = GradientTape::new();
    tape.watch(&x);
    let y = x.exp().unwrap();
    assert!(tape.gradient(&y, &[&x]).is_ok());
    let err = tape.gradient(&y, &[&x]).unwrap_err();
    assert!(err.to_string().contains("persistent"));
}

#[test]
fn second_derivative_through_nested_tapes() {
    // y = x^3 -> dy/dx = 3x^2 -> d2y/dx2 = 6x
    let x = Tensor::scalar(2.0f64);
    let outer = GradientTape::new();
    outer.watch(&x);
    let dydx = {
        let inner = GradientTape::new();
        inner.watch(&x);
        let y = x.mul(&x).unwrap().mul(&x).unwrap();
        inner.gradient(&y, &[&x]).unwrap()[0].clone().unwrap()
    };
    assert_eq!(dydx.item::<f64>().unwrap(), 12.0);
    let d2 = outer.gradient(&dydx, &[&x]).unwrap()[0].clone().unwrap();
    assert_eq!(d2.item::<f64>().unwrap(), 12.0);
}

#[test]
fn trainable_variables_watched_on_read() {
    let v = Variable::new(
        Tensor::from_vec(vec![1.0f64, 2.0], &[2]).unwrap(),
        "v",
        true,
    );
    let frozen = Variable::new(
        Tensor::from_vec(vec![1.0f64, 2.0], &[2]).unwrap(),
        "f",
        false,
    );
    let tape = GradientTape::new();
    let y = v.value().mul(&frozen.value()).unwrap().sum_all().unwrap();
    let g = tape.gradient(&y, &[&v, &frozen]).unwrap();
    assert_eq!(
        g[0].as_ref().unwrap().to_vec::<f64>().unwrap(),
        vec![1.0, 2.0]
    );
    assert!(g[1].is_none());
}

#[test]
fn stop_gradient_blocks() {
    let x = Tensor::scalar(3.0f64);
    let tape = GradientTape::new();
    tape.watch(&x);
    let y = x.stop_gradient().mul(&x).unwrap();
    assert_eq!(
        tape.gradient(&y, &[&x]).unwrap()[0]
            .as_ref()
            .unwrap()
            .item::<f64>()
            .unwrap(),
        3.0
    );
}

#[test]
fn variable_assign_in_place_and_copy_on_share() {
    let v = Variable::new(Tensor::zeros(&[3], DType::F32), "v", true);
    let snapshot = v.value();
    v.assign_add(&Tensor::ones(&[3], DType::F32)).unwrap();
    assert_eq!(snapshot.to_vec::<f32>().unwrap(), vec![0.0; 3]);
    drop(snapshot);
    v.assign_sub(&Tensor::ones(&[3], DType::F32)).unwrap();
    assert_eq!(v.value().to_vec::<f32>().unwrap(), vec![0.0; 3]);
    assert!(v.assign(&Tensor::zeros(&[4], DType::F32)).is_err());
}
