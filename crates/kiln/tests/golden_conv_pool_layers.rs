//! Convolution and pooling layers against Keras 3.15
//! (tools/golden/gen_conv_pool_layers.py): output, compute_output_shape, config round
//! trip, and gradients w.r.t. the input and every weight; plus the bad-input errors the
//! vision issue names.

use kiln::layers::{from_config, Conv2D, LayerRef, MaxPooling2D};
use kiln_tensor::{DType, GradientTape, Tensor};
use serde_json::Value;

fn tensor(v: &Value) -> Tensor {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data: Vec<f32> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    Tensor::from_vec(data, &shape).unwrap()
}

fn close(what: &str, got: &Tensor, want: &Tensor, tol: f64) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    for (i, (a, b)) in got.to_f64_vec().iter().zip(want.to_f64_vec()).enumerate() {
        assert!(
            (a - b).abs() <= tol * (1.0 + b.abs()),
            "{what}[{i}]: kiln {a} vs keras {b}"
        );
    }
}

#[test]
fn conv_and_pool_layers_match_keras() {
    let path = format!(
        "{}/../../tools/golden/fixtures/conv_pool_layers.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let root: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = root["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 37);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let class = case["class"].as_str().unwrap();
        let layer: LayerRef = from_config(class, &case["config"]).unwrap();
        let x = tensor(&case["x"]);
        let mut shape: Vec<Option<usize>> = x.shape().iter().map(|&d| Some(d)).collect();
        layer.build(&[shape.clone()]).unwrap();
        let weights: Vec<Tensor> = case["weights"]
            .as_array()
            .unwrap()
            .iter()
            .map(tensor)
            .collect();
        layer.set_weights(&weights).unwrap();
        // compute_output_shape, also with an unknown batch.
        let want_shape: Vec<Option<usize>> = case["output_shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().map(|d| d as usize))
            .collect();
        shape[0] = None;
        let got_shape = layer
            .lock()
            .compute_output_shape(&[shape])
            .unwrap()
            .unwrap();
        assert_eq!(got_shape[0][1..], want_shape[1..], "{name}: output shape");

        let tape = GradientTape::persistent();
        tape.watch(&x);
        let y = layer.call(&x).unwrap();
        close(&format!("{name} y"), &y, &tensor(&case["y"]), 2e-5);
        let obj = y
            .mul(&tensor(&case["cotangent"]))
            .unwrap()
            .sum_all()
            .unwrap();
        let gx = tape.gradient(&obj, &[&x]).unwrap().remove(0).unwrap();
        close(
            &format!("{name} grad x"),
            &gx,
            &tensor(&case["grad_x"]),
            1e-4,
        );
        let tw = layer.trainable_weights();
        let gws = tape.gradient(&obj, &tw.iter().collect::<Vec<_>>()).unwrap();
        let want = case["grad_weights"].as_array().unwrap();
        assert_eq!(gws.len(), want.len(), "{name}: weights");
        for (i, (g, w)) in gws.iter().zip(want).enumerate() {
            close(
                &format!("{name} grad w{i}"),
                g.as_ref().unwrap(),
                &tensor(w),
                1e-4,
            );
        }
        // Config round trip and the same keys as Keras.
        let cfg = layer.get_config();
        let again = from_config(class, &cfg).unwrap();
        assert_eq!(again.get_config(), cfg, "{name}: round trip");
        for key in case["config"].as_object().unwrap().keys() {
            assert!(
                cfg.get(key).is_some() || key == "dtype",
                "{name}: config lacks {key}"
            );
        }
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
