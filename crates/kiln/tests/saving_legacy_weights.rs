//! Legacy weights-only `.h5` files (tools/golden/gen_legacy_weights.py, Keras 3.15): the
//! keras.applications layout (Keras 2 `layer_names` / `weight_names`, `<layer>/<w>:0`)
//! into MobileNetV2 through `Weights::Path`, and a Keras 3 legacy file loaded in
//! topological order, `by_name`, and `by_name` + `skip_mismatch`; each predicts what Keras
//! predicted after the same load.

use std::path::PathBuf;

use kiln::applications::{mobilenet_v2, AppArgs, Weights};
use kiln::initializers::Initializer;
use kiln::layers::{
    BatchNormalization, Conv2D, Dense, DepthwiseConv2D, GlobalAveragePooling2D, Input, LayerApply,
    ReLU,
};
use kiln::models::Model;
use kiln::saving::{load_weights, load_weights_with, LoadWeightsOptions};
use kiln_tensor::Tensor;
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/golden/fixtures/saving")
}

fn fixture() -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join("legacy_weights.json")).unwrap())
        .unwrap()
}

fn shape(v: &Value) -> Vec<usize> {
    v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect()
}

/// The integer input, divided by 16 as the generator does.
fn input(v: &Value) -> Tensor {
    let data: Vec<f32> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap() as f32 / 16.0)
        .collect();
    Tensor::from_vec(data, &shape(v)).unwrap()
}

fn close(what: &str, got: &Tensor, want: &Value) {
    assert_eq!(got.shape(), shape(want).as_slice(), "{what}: shape");
    let want: Vec<f64> = want["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    let scale = want.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    for (i, (a, b)) in got.to_f64_vec().iter().zip(&want).enumerate() {
        // 1e-5 relative to the output's scale: a deep network sums thousands of f32
        // products in an order that differs from TF's.
        assert!(
            (a - b).abs() <= 1e-5 * (b.abs() + scale),
            "{what}[{i}]: kiln {a} vs keras {b}"
        );
    }
}

#[test]
fn mobilenet_v2_loads_a_keras_applications_notop_file() {
    let f = fixture();
    let case = &f["cases"]["mobilenet_v2"];
    let path = dir().join("mobilenet_v2_0.35_96_notop_k2.h5");
    let model = mobilenet_v2(
        AppArgs::new()
            .include_top(false)
            .input_shape([96, 96, 3])
            .pooling("avg")
            .weights(Weights::Path(path)),
        0.35,
    )
    .unwrap();
    let y = model.call(&input(&case["input_int"])).unwrap();
    close("mobilenet_v2", &y, &case["prediction"]);
}

#[test]
fn applications_refuse_a_missing_or_mismatched_weights_file() {
    let e = mobilenet_v2(
        AppArgs::new()
            .include_top(false)
            .weights(Weights::Path("/nonexistent/w.h5".into())),
        0.35,
    )
    .err()
    .expect("a missing file is an error")
    .to_string();
    assert!(
        e.contains("/nonexistent/w.h5") && e.contains("does not exist"),
        "{e}"
    );
    // The 0.35 file into a 0.5 model: a shape mismatch naming the file.
    let e = mobilenet_v2(
        AppArgs::new()
            .include_top(false)
            .input_shape([96, 96, 3])
            .weights(Weights::Path(
                dir().join("mobilenet_v2_0.35_96_notop_k2.h5"),
            )),
        0.5,
    )
    .err()
    .expect("a mismatched file is an error")
    .to_string();
    assert!(
        e.contains("mobilenet_v2_0.35_96_notop_k2.h5") && e.contains("shape"),
        "{e}"
    );
}

/// The generator's small model: conv -> bn -> relu -> dw -> gap [-> extra] -> head.
fn small(extra: bool, mismatch: bool) -> Model {
    let inp = Input::shape(&[8, 8, 3]);
    let conv = if mismatch {
        Conv2D::new(4, 5)
            .padding("same")
            .kernel_initializer(Initializer::Ones)
            .name("conv")
    } else {
        Conv2D::new(4, 3).padding("same").name("conv")
    };
    let mut x = conv.apply(&inp).unwrap();
    x = BatchNormalization::new().name("bn").apply(&x).unwrap();
    x = ReLU::new().name("relu").apply(&x).unwrap();
    x = DepthwiseConv2D::new(3).name("dw").apply(&x).unwrap();
    x = GlobalAveragePooling2D::new().name("gap").apply(&x).unwrap();
    if extra {
        x = Dense::new(4)
            .kernel_initializer(Initializer::Zeros)
            .bias_initializer(Initializer::Ones)
            .name("extra")
            .apply(&x)
            .unwrap();
    }
    let out = Dense::new(3).name("head").apply(&x).unwrap();
    Model::new_named(&[inp], &[out], "small").unwrap()
}

#[test]
fn keras3_legacy_weights_topological_by_name_and_skip_mismatch() {
    let f = fixture();
    let case = &f["cases"]["small"];
    let x = input(&case["input_int"]);
    let path = dir().join("small_legacy_weights_k3.h5");

    let m = small(false, false);
    load_weights(&m, &path).unwrap();
    close("topological", &m.call(&x).unwrap(), &case["topological"]);

    // Topologically the extra layer makes the counts differ: an error, nothing loaded.
    let m = small(true, false);
    let before = m.get_weights();
    let e = load_weights(&m, &path).unwrap_err().to_string();
    assert!(
        e.contains("small_legacy_weights_k3.h5") && e.contains("layer count"),
        "{e}"
    );
    for (a, b) in m.get_weights().iter().zip(&before) {
        assert_eq!(a.to_vec::<f32>().unwrap(), b.to_vec::<f32>().unwrap());
    }
    // By name it loads, leaving the extra layer as initialised.
    let warnings = load_weights_with(&m, &path, LoadWeightsOptions::new().by_name(true)).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    close("by_name", &m.call(&x).unwrap(), &case["by_name_extra"]);

    // A 5x5 conv: by name without skip_mismatch is an error; with it, the kernel is
    // skipped (a warning) and everything else, the conv's bias included, loads.
    let m = small(false, true);
    let e = load_weights_with(&m, &path, LoadWeightsOptions::new().by_name(true))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("shape [3, 3, 3, 4]") && e.contains("[5, 5, 3, 4]"),
        "{e}"
    );
    let warnings = load_weights_with(
        &m,
        &path,
        LoadWeightsOptions::new().by_name(true).skip_mismatch(true),
    )
    .unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("conv/kernel"), "{warnings:?}");
    close(
        "by_name skip_mismatch",
        &m.call(&x).unwrap(),
        &case["by_name_skip_mismatch"],
    );
}

#[test]
fn by_name_is_only_for_legacy_files() {
    let m = small(false, false);
    let p = std::env::temp_dir().join(format!("kiln_byname_{}.weights.h5", std::process::id()));
    kiln::saving::save_weights(&m, &p).unwrap();
    let e = load_weights_with(&m, &p, LoadWeightsOptions::new().by_name(true))
        .unwrap_err()
        .to_string();
    assert!(e.contains("by_name") && e.contains("kiln_byname_"), "{e}");
    std::fs::remove_file(&p).ok();
}
