//! Error families: every user mistake is an `Err` (never a panic) whose message names the
//! op and the shapes or dtypes involved. One test per family.
use kiln_tensor::{DType, Error, Tensor};

fn f32s(shape: &[usize]) -> Tensor {
    Tensor::zeros(shape, DType::F32)
}

/// Asserts `msg` contains every needle.
fn assert_mentions(msg: &str, needles: &[&str]) {
    for n in needles {
        assert!(
            msg.contains(n),
            "error message {msg:?} should mention {n:?}"
        );
    }
}

#[test]
fn broadcast_mismatch() {
    let a = f32s(&[2, 3]);
    let b = f32s(&[4]);
    let e = a.add(&b).unwrap_err();
    assert!(matches!(e, Error::Shape { op: "add", .. }), "{e:?}");
    assert_mentions(&e.to_string(), &["add", "(2, 3)", "(4,)", "broadcast"]);
    // Same family through other binary ops and broadcast_to.
    let e = f32s(&[5, 2]).mul(&f32s(&[5, 3])).unwrap_err().to_string();
    assert_mentions(&e, &["mul", "(5, 2)", "(5, 3)"]);
    let e = f32s(&[3]).sub(&f32s(&[2, 2])).unwrap_err().to_string();
    assert_mentions(&e, &["sub", "(3,)", "(2, 2)"]);
    let e = f32s(&[3]).broadcast_to(&[3, 2]).unwrap_err().to_string();
    assert_mentions(&e, &["broadcast_to", "(3,)", "(3, 2)"]);
}

#[test]
fn bad_axis() {
    let x = f32s(&[2, 3]);
    let e = x.sum(&[2], false).unwrap_err();
    assert!(matches!(e, Error::Axis { op: "sum", .. }), "{e:?}");
    // Names the op, the axis, the rank and the valid range.
    assert_mentions(
        &e.to_string(),
        &["sum", "axis 2", "rank 2", "-2 <= axis < 2"],
    );
    let e = x.sum(&[-3], true).unwrap_err().to_string();
    assert_mentions(&e, &["sum", "axis -3", "rank 2"]);
    let e = x.sum(&[0, -2], false).unwrap_err().to_string();
    assert_mentions(&e, &["sum", "repeated"]);
    let e = x.mean(&[5], false).unwrap_err().to_string();
    assert_mentions(&e, &["mean", "axis 5"]);
    let e = x.expand_dims(4).unwrap_err().to_string();
    assert_mentions(&e, &["expand_dims", "axis 4"]);
    let e = x.transpose(Some(&[0, 0])).unwrap_err().to_string();
    assert_mentions(&e, &["transpose", "(2, 3)"]);
    let e = x.squeeze(&[1]).unwrap_err().to_string();
    assert_mentions(&e, &["squeeze", "(2, 3)"]);
}

#[test]
fn bad_reshape() {
    let x = f32s(&[2, 3]);
    let e = x.reshape(&[4, 2]).unwrap_err();
    assert!(matches!(e, Error::Shape { op: "reshape", .. }), "{e:?}");
    assert_mentions(
        &e.to_string(),
        &["reshape", "(2, 3)", "6 elements", "[4, 2]", "8 elements"],
    );
    let e = x.reshape(&[4, -1]).unwrap_err().to_string();
    assert_mentions(&e, &["reshape", "(2, 3)", "[4, -1]"]);
    let e = x.reshape(&[-1, -1]).unwrap_err().to_string();
    assert_mentions(&e, &["reshape", "-1"]);
    let e = x.reshape(&[-2, 3]).unwrap_err().to_string();
    assert_mentions(&e, &["reshape", "-2"]);
    let e = Tensor::from_vec(vec![1.0f32; 5], &[2, 3])
        .unwrap_err()
        .to_string();
    assert_mentions(&e, &["from_vec", "5 elements", "(2, 3)"]);
    let e = x.item::<f32>().unwrap_err().to_string();
    assert_mentions(&e, &["item", "(2, 3)"]);
}

#[test]
fn dtype_mismatch() {
    let a = f32s(&[3]);
    let b = Tensor::zeros(&[3], DType::F64);
    let e = a.add(&b).unwrap_err();
    assert!(matches!(e, Error::DType { op: "add", .. }), "{e:?}");
    assert_mentions(
        &e.to_string(),
        &["add", "float32", "float64", "(3,)", "cast"],
    );
    // Other binary ops and mixed int/float operands.
    let e = Tensor::zeros(&[2], DType::I32)
        .mul(&f32s(&[2]))
        .unwrap_err()
        .to_string();
    assert_mentions(&e, &["mul", "int32", "float32"]);
    // Float-only ops on ints, arithmetic on bools, typed extraction.
    let e = Tensor::zeros(&[2], DType::I64)
        .exp()
        .unwrap_err()
        .to_string();
    assert_mentions(&e, &["exp", "int64"]);
    let e = Tensor::zeros(&[2], DType::Bool)
        .add(&Tensor::zeros(&[2], DType::Bool))
        .unwrap_err()
        .to_string();
    assert_mentions(&e, &["add", "bool"]);
    let e = a.to_vec::<f64>().unwrap_err().to_string();
    assert_mentions(&e, &["to_vec", "float32", "float64"]);
    let e = Tensor::linspace(0.0, 1.0, 3, DType::I32)
        .unwrap_err()
        .to_string();
    assert_mentions(&e, &["linspace", "int32"]);
}

#[test]
fn bad_arguments() {
    let e = Tensor::arange(0.0, 1.0, 0.0, DType::F32).unwrap_err();
    assert!(
        matches!(e, Error::InvalidArgument { op: "arange", .. }),
        "{e:?}"
    );
    assert_mentions(&e.to_string(), &["arange", "step"]);
    let e = DType::parse("complex64").unwrap_err().to_string();
    assert_mentions(&e, &["complex64", "float32"]);
    let e = f32s(&[2]).dropout(1.0, None).unwrap_err().to_string();
    assert_mentions(&e, &["dropout", "rate=1"]);
}

#[test]
fn shapes_whose_size_overflows_are_errors_not_wrapped_sizes() {
    // 2^32 * 2^32 wraps to 0 in unchecked release arithmetic, which an empty buffer
    // would then "fill"; the size saturates instead and the shape is refused.
    let huge = [1usize << 32, 1usize << 32];
    let e = Tensor::from_vec(Vec::<f32>::new(), &huge).unwrap_err();
    assert_mentions(&e.to_string(), &["from_vec", "elements"]);
    let x = Tensor::from_vec(vec![1.0f32; 4], &[4]).unwrap();
    assert!(x.reshape(&[1 << 32, 1 << 32]).is_err());
}
