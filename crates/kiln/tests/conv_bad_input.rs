//! Bad input into the convolution and pooling layers (the vision issue's acceptance 5):
//! a wrong channel count into a built layer, a kernel or pool window larger than the
//! input with "valid" padding, and a rank mismatch each give an `Err` that names the
//! layer and the shapes involved, for every conv family.

use kiln::layers::{
    AveragePooling3D, Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D, DepthwiseConv1D,
    DepthwiseConv2D, LayerRef, MaxPooling1D, MaxPooling2D, MaxPooling3D, SeparableConv1D,
    SeparableConv2D,
};
use kiln_tensor::{DType, Tensor};

fn ones(shape: &[usize]) -> Tensor {
    Tensor::ones(shape, DType::F32)
}

/// `(a, b, c)` as the errors print shapes.
fn shape_str(s: &[usize]) -> String {
    let parts: Vec<String> = s.iter().map(|d| d.to_string()).collect();
    format!("({})", parts.join(", "))
}

fn err(layer: &LayerRef, x: &[usize]) -> String {
    match layer.call(&ones(x)) {
        Ok(y) => panic!(
            "expected an error for input {x:?}, got output {:?}",
            y.shape()
        ),
        Err(e) => e.to_string(),
    }
}

/// Every conv family, with the input shape it is built on (channels 3) and a name.
fn families() -> Vec<(&'static str, LayerRef, Vec<usize>)> {
    vec![
        (
            "Conv1D",
            LayerRef::new(Conv1D::new(4, 3).name("c1")),
            vec![1, 6, 3],
        ),
        (
            "Conv2D",
            LayerRef::new(Conv2D::new(4, 3).name("c2")),
            vec![1, 6, 6, 3],
        ),
        (
            "Conv3D",
            LayerRef::new(Conv3D::new(4, 3).name("c3")),
            vec![1, 5, 6, 6, 3],
        ),
        (
            "Conv1DTranspose",
            LayerRef::new(Conv1DTranspose::new(4, 3).name("t1")),
            vec![1, 6, 3],
        ),
        (
            "Conv2DTranspose",
            LayerRef::new(Conv2DTranspose::new(4, 3).name("t2")),
            vec![1, 6, 6, 3],
        ),
        (
            "DepthwiseConv1D",
            LayerRef::new(DepthwiseConv1D::new(3).name("d1")),
            vec![1, 6, 3],
        ),
        (
            "DepthwiseConv2D",
            LayerRef::new(DepthwiseConv2D::new(3).name("d2")),
            vec![1, 6, 6, 3],
        ),
        (
            "SeparableConv1D",
            LayerRef::new(SeparableConv1D::new(4, 3).name("s1")),
            vec![1, 6, 3],
        ),
        (
            "SeparableConv2D",
            LayerRef::new(SeparableConv2D::new(4, 3).name("s2")),
            vec![1, 6, 6, 3],
        ),
    ]
}

#[test]
fn wrong_channel_count_into_a_built_conv() {
    for (class, layer, shape) in families() {
        layer.call(&ones(&shape)).unwrap();
        let name = layer.name();
        let mut bad = shape.clone();
        *bad.last_mut().unwrap() = 2;
        let e = err(&layer, &bad);
        assert!(
            e.contains(&format!("'{name}'"))
                && e.contains(&shape_str(&bad))
                && e.contains("axis -1")
                && e.contains("value 3"),
            "{class}: {e}"
        );
    }
}

#[test]
fn rank_mismatch_names_the_layer_and_shape() {
    for (class, layer, shape) in families() {
        let rank = shape.len();
        // One spatial axis too many (unbuilt: the build check), then too few (built).
        let mut more = shape.clone();
        more.insert(1, 4);
        let e = err(&layer, &more);
        assert!(
            e.contains(class)
                && e.contains(&format!("rank {rank}"))
                && e.contains(&shape_str(&more)),
            "{class}: {e}"
        );
        layer.call(&ones(&shape)).unwrap();
        let less = shape[1..].to_vec();
        let e = err(&layer, &less);
        let name = layer.name();
        assert!(
            e.contains(&format!("'{name}'"))
                && e.contains(&format!("expected ndim={rank}"))
                && e.contains(&shape_str(&less)),
            "{class}: {e}"
        );
    }
}

#[test]
fn kernel_larger_than_the_input_with_valid_padding() {
    let cases: Vec<(&str, LayerRef, Vec<usize>)> = vec![
        ("Conv1D", LayerRef::new(Conv1D::new(4, 5)), vec![1, 3, 2]),
        (
            "Conv2D",
            LayerRef::new(Conv2D::new(4, [2, 5])),
            vec![1, 6, 3, 2],
        ),
        (
            "Conv3D",
            LayerRef::new(Conv3D::new(4, [4, 2, 2])),
            vec![1, 3, 6, 6, 2],
        ),
        (
            "Conv1D",
            LayerRef::new(Conv1D::new(4, 3).dilation_rate(2)),
            vec![1, 4, 2],
        ),
        (
            "DepthwiseConv1D",
            LayerRef::new(DepthwiseConv1D::new(5)),
            vec![1, 3, 2],
        ),
        (
            "DepthwiseConv2D",
            LayerRef::new(DepthwiseConv2D::new(5)),
            vec![1, 6, 3, 2],
        ),
        (
            "SeparableConv1D",
            LayerRef::new(SeparableConv1D::new(4, 5)),
            vec![1, 3, 2],
        ),
        (
            "SeparableConv2D",
            LayerRef::new(SeparableConv2D::new(4, 4)),
            vec![1, 3, 6, 2],
        ),
        (
            "MaxPooling1D",
            LayerRef::new(MaxPooling1D::new(4)),
            vec![1, 3, 2],
        ),
        (
            "MaxPooling2D",
            LayerRef::new(MaxPooling2D::new(4)),
            vec![1, 3, 3, 1],
        ),
        (
            "MaxPooling3D",
            LayerRef::new(MaxPooling3D::new(3)),
            vec![1, 4, 2, 4, 1],
        ),
        (
            "AveragePooling3D",
            LayerRef::new(AveragePooling3D::new([1, 1, 5])),
            vec![1, 4, 4, 4, 1],
        ),
    ];
    for (class, layer, shape) in cases {
        let e = err(&layer, &shape);
        assert!(
            e.contains(class)
                && e.contains("larger than the input")
                && e.contains(&shape_str(&shape)),
            "{class}: {e}"
        );
    }
    // With "same" padding the same shapes are fine.
    LayerRef::new(Conv3D::new(4, [4, 2, 2]).padding("same"))
        .call(&ones(&[1, 3, 6, 6, 2]))
        .unwrap();
    // A transposed convolution's kernel may be larger than its input (it grows it).
    let y = LayerRef::new(Conv1DTranspose::new(2, 5))
        .call(&ones(&[1, 3, 2]))
        .unwrap();
    assert_eq!(y.shape(), &[1, 7, 2]);
}

#[test]
fn unsupported_options_are_errors() {
    let x1 = ones(&[1, 6, 3]);
    for (class, layer) in [
        (
            "DepthwiseConv1D",
            LayerRef::new(DepthwiseConv1D::new(3).padding("causal")),
        ),
        (
            "SeparableConv1D",
            LayerRef::new(SeparableConv1D::new(2, 3).padding("causal")),
        ),
        (
            "Conv1DTranspose",
            LayerRef::new(Conv1DTranspose::new(2, 3).padding("causal")),
        ),
    ] {
        let e = layer.call(&x1).unwrap_err().to_string();
        assert!(e.contains(class) && e.contains("causal"), "{class}: {e}");
    }
    let e = LayerRef::new(Conv1DTranspose::new(2, 3).strides(2).output_padding(2))
        .call(&x1)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Conv1DTranspose") && e.contains("output_padding"),
        "{e}"
    );
    let e = LayerRef::new(Conv3D::new(4, 3).padding("causal"))
        .call(&ones(&[1, 4, 4, 4, 2]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("Conv3D") && e.contains("causal"), "{e}");
    let e = LayerRef::new(Conv3D::new(5, 2).groups(2))
        .call(&ones(&[1, 4, 4, 4, 4]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("Conv3D") && e.contains("groups"), "{e}");
    let e = LayerRef::new(Conv3D::new(4, 2).groups(2))
        .call(&ones(&[1, 4, 4, 4, 3]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Conv3D") && e.contains("groups") && e.contains("(1, 4, 4, 4, 3)"),
        "{e}"
    );
    let e = LayerRef::new(kiln::layers::UpSampling3D::new(2).interpolation("bilinear"))
        .call(&ones(&[1, 2, 2, 2, 1]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("UpSampling3D") && e.contains("bilinear"), "{e}");
    let e = LayerRef::new(kiln::layers::UpSampling2D::new(2).interpolation("bicubic"))
        .call(&ones(&[1, 2, 2, 1]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("UpSampling2D") && e.contains("bicubic"), "{e}");
}
