//! Named ops on the tape: every recorded node carries its op name and attributes, and a
//! tape prints its recorded graph as a readable listing.

use kiln_tensor::autodiff::{AttrValue, Op};
use kiln_tensor::ops::conv::Padding;
use kiln_tensor::{DType, GradientTape, Tensor, Variable};

#[test]
fn an_mlp_step_lists_its_ops_with_attributes_and_shapes() {
    let x = Tensor::from_vec((0..6).map(|v| v as f32).collect(), &[2, 3]).unwrap();
    let w = Variable::new(Tensor::ones(&[3, 4], DType::F32), "kernel", true);
    let b = Variable::new(Tensor::zeros(&[4], DType::F32), "bias", true);
    let tape = GradientTape::new();
    let h = x
        .matmul(&w.value())
        .unwrap()
        .add(&b.value())
        .unwrap()
        .relu()
        .unwrap();
    let loss = h
        .softmax(-1)
        .unwrap()
        .sum(&[1], true)
        .unwrap()
        .mean(&[], false)
        .unwrap();
    let listing = tape.listing();
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(
        lines[..6],
        [
            "%0 = input",
            "%1 = read_variable[name=\"kernel\"](%0) : float32[3, 4]",
            "%2 = input",
            "%3 = matmul[transpose_a=false, transpose_b=false](%2, %1) : float32[2, 4]",
            "%4 = input",
            "%5 = read_variable[name=\"bias\"](%4) : float32[4]",
        ],
        "{listing}"
    );
    assert_eq!(lines[6], "%6 = add(%3, %5) : float32[2, 4]");
    assert_eq!(lines[7], "%7 = relu(%6) : float32[2, 4]");
    assert_eq!(lines[8], "%8 = softmax[axis=-1](%7) : float32[2, 4]");
    assert_eq!(
        lines[9],
        "%9 = sum[axes=[1], keepdims=true](%8) : float32[2, 1]"
    );
    // The gradient still flows as before.
    let g = tape.gradient(&loss, &[&w, &b]).unwrap();
    assert!(g.iter().all(Option::is_some));
}

#[test]
fn every_recorded_op_of_a_cnn_step_is_named() {
    let x = Tensor::ones(&[1, 6, 6, 2], DType::F32);
    let k = Tensor::ones(&[3, 3, 2, 4], DType::F32)
        .mul_scalar(0.1)
        .unwrap();
    let tape = GradientTape::new();
    tape.watch(&x);
    tape.watch(&k);
    let y = x
        .conv2d(&k, [1, 1], &Padding::Same, [1, 1], 1)
        .unwrap()
        .max_pool2d([2, 2], [2, 2], &Padding::Valid)
        .unwrap()
        .reshape(&[1, -1])
        .unwrap()
        .cast(DType::F64)
        .unwrap();
    let _ = y.sum_all().unwrap();
    let ops = tape.recorded_ops();
    assert!(
        ops.starts_with(&["conv2d", "max_pool2d", "reshape", "cast"]),
        "{ops:?}"
    );
    let listing = tape.listing();
    assert!(
        listing.contains(
            "conv2d[kernel=[3, 3], strides=[1, 1], dilations=[1, 1], padding=[1, 1], groups=1, input_size=[6, 6], output_size=[6, 6]]"
        ),
        "{listing}"
    );
    assert!(listing.contains("cast[dtype=float64]"), "{listing}");
}

#[test]
fn op_values_compare_and_print() {
    let a = Op::new("leaky_relu").attr("alpha", 0.2);
    assert_eq!(a, Op::new("leaky_relu").attr("alpha", 0.2));
    assert_ne!(a, Op::new("leaky_relu").attr("alpha", 0.3));
    assert_eq!(a.get("alpha"), Some(&AttrValue::Float(0.2)));
    assert_eq!(a.get("beta"), None);
    assert_eq!(Op::new("neg").to_string(), "neg");
    assert_eq!(
        Op::new("x")
            .attr("shape", vec![2usize, 3])
            .attr("f", "NHWC")
            .to_string(),
        "x[shape=[2, 3], f=\"NHWC\"]"
    );
}
