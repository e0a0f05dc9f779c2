//! Gradient checks and error tests for softmax, reductions, shape and index ops.
#![allow(clippy::cloned_ref_to_slice_refs)] // one-input gradchecks read best as &[x.clone()]
mod common;
use common::*;
use kiln_tensor::ops::manip::PadMode;
use kiln_tensor::{DType, GradientTape, Tensor};

fn idx(v: &[i64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape).unwrap()
}

#[test]
fn reduction_and_softmax_gradients() {
    let x = rand_t(&[3, 4, 5], 41);
    for axes in [vec![], vec![0], vec![-1], vec![0, 2]] {
        gradcheck("max", &[x.clone()], |v| v[0].max(&axes, false));
        gradcheck("min", &[x.clone()], |v| v[0].min(&axes, true));
        gradcheck("prod", &[x.clone()], |v| v[0].prod(&axes, false));
        gradcheck("variance", &[x.clone()], |v| v[0].variance(&axes, false));
        gradcheck("std", &[x.clone()], |v| v[0].std(&axes, true));
        gradcheck("logsumexp", &[x.clone()], |v| v[0].logsumexp(&axes, false));
    }
    gradcheck("cumsum", &[x.clone()], |v| v[0].cumsum(1, true, true));
    gradcheck("softmax", &[x.clone()], |v| v[0].softmax(-1));
    gradcheck("softmax axis1", &[x.clone()], |v| v[0].softmax(1));
    gradcheck("log_softmax", &[x.clone()], |v| v[0].log_softmax(0));
    gradcheck("softmax strided", &[x.clone()], |v| {
        v[0].transpose(None)?.softmax(-1)
    });
}

#[test]
fn manip_gradients() {
    let x = rand_t(&[3, 4], 51);
    let y = rand_t(&[2, 4], 52);
    gradcheck("concat", &[x.clone(), y.clone()], |v| {
        Tensor::concat(&[&v[0], &v[1]], 0)
    });
    gradcheck("stack", &[x.clone(), rand_t(&[3, 4], 53)], |v| {
        Tensor::stack(&[&v[0], &v[1]], 1)
    });
    gradcheck("split", &[x.clone()], |v| Ok(v[0].split(2, 1)?[1].clone()));
    gradcheck("unstack", &[x.clone()], |v| Ok(v[0].unstack(0)?[2].clone()));
    gradcheck("slice", &[x.clone()], |v| v[0].slice(&[1, 1], &[2, -1]));
    gradcheck("slice transposed", &[x.clone()], |v| {
        v[0].transpose(None)?.slice(&[1, 0], &[2, 2])
    });
    gradcheck("strided_slice", &[x.clone()], |v| {
        v[0].strided_slice(&[2, 3], &[0, 0], &[-1, -2], 0, 0, 0, 0, 0)
    });
    gradcheck("pad const", &[x.clone()], |v| {
        v[0].pad(&[(1, 0), (2, 1)], PadMode::Constant(3.0))
    });
    gradcheck("pad reflect", &[x.clone()], |v| {
        v[0].pad(&[(2, 1), (3, 2)], PadMode::Reflect)
    });
    gradcheck("pad symmetric", &[x.clone()], |v| {
        v[0].pad(&[(3, 1), (1, 4)], PadMode::Symmetric)
    });
    gradcheck("tile", &[x.clone()], |v| v[0].tile(&[2, 3]));
    gradcheck("repeat", &[x.clone()], |v| v[0].repeat(&[1, 0, 3], Some(0)));
    gradcheck("reverse", &[x.clone()], |v| v[0].reverse(&[0, 1]));
    gradcheck("roll", &[x.clone()], |v| v[0].roll(&[1, -3], &[0, 1]));
}

#[test]
fn index_gradients() {
    let x = rand_t(&[4, 3], 61);
    let i = idx(&[2, 0, 2, 3], &[4]);
    gradcheck("gather repeated", &[x.clone()], |v| v[0].gather(&i, 0));
    gradcheck("gather axis1", &[x.clone()], |v| {
        v[0].gather(&idx(&[1, 1], &[2]), 1)
    });
    gradcheck("gather transposed", &[x.clone()], |v| {
        v[0].transpose(None)?.gather(&idx(&[3, 0], &[2]), 1)
    });
    gradcheck("gather_nd", &[x.clone()], |v| {
        v[0].gather_nd(&idx(&[1, 2, 0, 0, 1, 2], &[3, 2]))
    });
    let u = rand_t(&[3], 62);
    gradcheck("scatter_nd_add", &[x.clone(), u], |v| {
        v[0].scatter_nd_add(&idx(&[1, 2, 0, 0, 1, 2], &[3, 2]), &v[1])
    });
    gradcheck("segment_sum", &[x.clone()], |v| {
        v[0].unsorted_segment_sum(&idx(&[1, -1, 1, 0], &[4]), 3)
    });
    gradcheck("top_k", &[x.clone()], |v| Ok(v[0].top_k(2)?.0));
    gradcheck("sort", &[x.clone()], |v| v[0].sort(0, true));
}

#[test]
fn second_derivative_through_gather() {
    // f(x) = sum(gather(x, i)^3): d2f/dx2 is diagonal 6 x * count(i).
    let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[3]).unwrap();
    let i = idx(&[0, 2, 2], &[3]);
    let outer = GradientTape::new();
    outer.watch(&x);
    let g = {
        let inner = GradientTape::new();
        inner.watch(&x);
        let y = x.gather(&i, 0).unwrap();
        let f = y.mul(&y).unwrap().mul(&y).unwrap().sum_all().unwrap();
        inner.gradient(&f, &[&x]).unwrap()[0].clone().unwrap()
    };
    assert_eq!(g.to_vec::<f64>().unwrap(), vec![3.0, 0.0, 54.0]);
    let h = outer.gradient(&g.sum_all().unwrap(), &[&x]).unwrap()[0]
        .clone()
        .unwrap();
    assert_eq!(h.to_vec::<f64>().unwrap(), vec![6.0, 0.0, 36.0]);
}

#[test]
fn errors_name_op_and_shapes() {
    let x = Tensor::zeros(&[2, 3], DType::F32);
    let e = x.gather(&idx(&[5], &[1]), 1).unwrap_err().to_string();
    assert!(
        e.contains("gather") && e.contains('5') && e.contains("size 3"),
        "{e}"
    );
    let e = x
        .gather(&Tensor::zeros(&[1], DType::F32), 0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("gather") && e.contains("float32"), "{e}");
    let e = Tensor::concat(&[&x, &Tensor::zeros(&[2, 4], DType::F32)], 0)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("concat") && e.contains("(2, 3)") && e.contains("(2, 4)"),
        "{e}"
    );
    let e = x.softmax(2).unwrap_err().to_string();
    assert!(e.contains("softmax") && e.contains("axis 2"), "{e}");
    let e = x.slice(&[0, 2], &[1, 2]).unwrap_err().to_string();
    assert!(e.contains("slice") && e.contains("(2, 3)"), "{e}");
    let e = x
        .pad(&[(3, 0), (0, 0)], PadMode::Reflect)
        .unwrap_err()
        .to_string();
    assert!(e.contains("pad") && e.contains("size 2"), "{e}");
    let e = x.top_k(4).unwrap_err().to_string();
    assert!(e.contains("top_k") && e.contains("(2, 3)"), "{e}");
    let e = x.split(2, 1).unwrap_err().to_string();
    assert!(e.contains("split") && e.contains("(2, 3)"), "{e}");
}

#[test]
fn slice_is_a_view() {
    let x = Tensor::arange(0.0, 12.0, 1.0, DType::F32)
        .unwrap()
        .reshape(&[3, 4])
        .unwrap();
    let s = x.slice(&[1, 1], &[2, 2]).unwrap();
    assert_eq!(s.strides(), x.strides());
    assert_eq!(s.to_vec::<f32>().unwrap(), vec![5.0, 6.0, 9.0, 10.0]);
}
