//! Convolution and pooling layers against Keras 3.15
//! (tools/golden/gen_conv_pool_layers.py): output, compute_output_shape, config round
//! trip, and gradients w.r.t. the input and every weight; plus the bad-input errors the
//! vision issue names.

mod common;

use common::layer_case::check_layer_case;
use kiln::layers::{Conv2D, LayerRef, MaxPooling2D};
use kiln_tensor::{DType, Tensor};

#[test]
fn conv_and_pool_layers_match_keras() {
    let root = common::fixture("conv_pool_layers.json");
    let cases = root["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 37);
    for case in cases {
        check_layer_case(case, 2e-5, 1e-4);
    }
}

#[test]
fn bad_input_errors_name_the_layer_and_shapes() {
    // Wrong channel count into a built conv.
    let conv = LayerRef::new(Conv2D::new(4, 3).name("c"));
    conv.call(&Tensor::ones(&[1, 5, 5, 3], DType::F32)).unwrap();
    let e = conv
        .call(&Tensor::ones(&[1, 5, 5, 2], DType::F32))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("'c'")
            && e.contains("(1, 5, 5, 2)")
            && e.contains("axis -1 of input shape to have value 3"),
        "{e}"
    );
    // Kernel larger than the input with 'valid' padding.
    let e = LayerRef::new(Conv2D::new(4, 5))
        .call(&Tensor::ones(&[1, 3, 3, 1], DType::F32))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Conv2D") && e.contains("larger than the input") && e.contains("(1, 3, 3, 1)"),
        "{e}"
    );
    // Rank mismatch.
    let e = LayerRef::new(Conv2D::new(4, 3))
        .call(&Tensor::ones(&[5, 5, 1], DType::F32))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Conv2D") && e.contains("rank 4") && e.contains("(5, 5, 1)"),
        "{e}"
    );
    let e = LayerRef::new(MaxPooling2D::new(4))
        .call(&Tensor::ones(&[1, 3, 3, 1], DType::F32))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("MaxPooling2D") && e.contains("larger than the input"),
        "{e}"
    );
    // Constructor checks (Keras raises on these).
    let e = LayerRef::new(Conv2D::new(5, 3).groups(2))
        .call(&Tensor::ones(&[1, 5, 5, 4], DType::F32))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Conv2D") && e.contains("filters=5") && e.contains("groups=2"),
        "{e}"
    );
    let e = LayerRef::new(Conv2D::new(4, 3).strides(2).dilation_rate(2))
        .call(&Tensor::ones(&[1, 9, 9, 1], DType::F32))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Conv2D") && e.contains("strides") && e.contains("dilation_rate"),
        "{e}"
    );
    let e = LayerRef::new(Conv2D::new(4, 3).padding("full"))
        .call(&Tensor::ones(&[1, 9, 9, 1], DType::F32))
        .unwrap_err()
        .to_string();
    assert!(e.contains("Conv2D") && e.contains("\"full\""), "{e}");
}
