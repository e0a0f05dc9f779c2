//! The vision layers of tools/golden/gen_vision_layers.py against Keras 3.15: the 1-D
//! transposed / depthwise / separable convolutions, Conv3D, the 3-D pooling / padding /
//! cropping / upsampling layers and bilinear UpSampling2D. Each case checks the output,
//! compute_output_shape, the config round trip and the gradients w.r.t. the input and
//! every weight.

use kiln::layers::{from_config, LayerRef};
use kiln_tensor::{GradientTape, Tensor};
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

fn cases() -> Vec<Value> {
    let path = format!(
        "{}/../../tools/golden/fixtures/vision_layers.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let root: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    root["cases"].as_array().unwrap().clone()
}

/// Runs one fixture case; the forward tolerance is 2e-5 and the gradient one 1e-4
/// (relative + absolute), as for the other conv goldens: sums of tens of f32 products
/// accumulated in a different order than TF's kernels.
fn check(case: &Value) {
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

fn run_family(prefixes: &[&str], want: usize) {
    let all = cases();
    let picked: Vec<&Value> = all
        .iter()
        .filter(|c| {
            let n = c["name"].as_str().unwrap();
            prefixes.iter().any(|p| n.starts_with(p))
        })
        .collect();
    assert_eq!(picked.len(), want, "cases for {prefixes:?}");
    for c in picked {
        check(c);
    }
}

#[test]
fn conv1d_transpose_depthwise_separable_match_keras() {
    run_family(&["c1t_", "dw1_", "sep1_"], 13);
}

#[test]
fn conv3d_pool3d_and_3d_reshaping_match_keras() {
    run_family(
        &["c3_", "mp3_", "ap3_", "gap3", "gmp3", "up3", "zp3", "crop3"],
        19,
    );
}

#[test]
fn bilinear_upsampling2d_matches_keras() {
    run_family(&["bil_"], 4);
}
