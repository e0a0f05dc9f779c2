//! One layer golden case from `tools/golden` (gen_conv_pool_layers.py,
//! gen_vision_layers.py): `{"name", "class", "config", "x", "weights", "output_shape",
//! "y", "cotangent", "grad_x", "grad_weights"}`.

use kiln::layers::{from_config, LayerRef};
use kiln_tensor::{GradientTape, Tensor};
use kiln_testing::{assert_close, tensor_f32};
use serde_json::Value;

/// Builds the layer from Keras's config, sets Keras's weights and checks against Keras:
/// `compute_output_shape` with an unknown batch, the output (within `tol_y`), the
/// gradients of `sum(y * cotangent)` w.r.t. the input and every trainable weight (within
/// `tol_grad`), the config round trip, and that kiln's config has every key Keras wrote.
pub fn check_layer_case(case: &Value, tol_y: f64, tol_grad: f64) {
    let name = case["name"].as_str().unwrap();
    let class = case["class"].as_str().unwrap();
    let layer: LayerRef = from_config(class, &case["config"]).unwrap();
    let x = tensor_f32(&case["x"]);
    let mut shape: Vec<Option<usize>> = x.shape().iter().map(|&d| Some(d)).collect();
    layer.build(&[shape.clone()]).unwrap();
    let weights: Vec<Tensor> = case["weights"]
        .as_array()
        .unwrap()
        .iter()
        .map(tensor_f32)
        .collect();
    layer.set_weights(&weights).unwrap();
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
    assert_close(&format!("{name} y"), &y, &tensor_f32(&case["y"]), tol_y);
    let obj = y
        .mul(&tensor_f32(&case["cotangent"]))
        .unwrap()
        .sum_all()
        .unwrap();
    let gx = tape.gradient(&obj, &[&x]).unwrap().remove(0).unwrap();
    let want_gx = tensor_f32(&case["grad_x"]);
    assert_close(&format!("{name} grad x"), &gx, &want_gx, tol_grad);
    let tw = layer.trainable_weights();
    let gws = tape.gradient(&obj, &tw.iter().collect::<Vec<_>>()).unwrap();
    let want = case["grad_weights"].as_array().unwrap();
    assert_eq!(gws.len(), want.len(), "{name}: weights");
    for (i, (g, w)) in gws.iter().zip(want).enumerate() {
        let what = format!("{name} grad w{i}");
        assert_close(&what, g.as_ref().unwrap(), &tensor_f32(w), tol_grad);
    }
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
