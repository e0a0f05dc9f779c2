//! The vision layers of tools/golden/gen_vision_layers.py against Keras 3.15: the 1-D
//! transposed / depthwise / separable convolutions, Conv3D, the 3-D pooling / padding /
//! cropping / upsampling layers and bilinear UpSampling2D. Each case checks the output,
//! compute_output_shape, the config round trip and the gradients w.r.t. the input and
//! every weight.

mod common;

use common::layer_case::check_layer_case;
use serde_json::Value;

fn cases() -> Vec<Value> {
    common::fixture("vision_layers.json")["cases"]
        .as_array()
        .unwrap()
        .clone()
}

/// Runs one fixture case; the forward tolerance is 2e-5 and the gradient one 1e-4
/// (relative + absolute), as for the other conv goldens: sums of tens of f32 products
/// accumulated in a different order than TF's kernels.
fn check(case: &Value) {
    check_layer_case(case, 2e-5, 1e-4);
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
