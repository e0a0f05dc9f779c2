//! The Keras guide's custom `Linear` layer (examples/common/guide_linear.rs) against a
//! `.keras` file Keras 3.15 saved with it (tools/golden/gen_guide_layer.py).

#[path = "../examples/common/guide_linear.rs"]
mod guide_linear;

use guide_linear::Linear;
use kiln::layers::{register, FromConfig, LayerRef};
use kiln::Tensor;
use serde_json::Value;

fn fixture_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/golden/fixtures/saving")
}

fn rows(v: &Value) -> Vec<f32> {
    let rows = v.as_array().expect("a list of rows");
    rows.iter()
        .flat_map(|r| r.as_array().expect("a row").iter())
        .map(|x| x.as_f64().expect("a number") as f32)
        .collect()
}

#[test]
fn a_keras_saved_model_with_the_guide_layer_loads_and_predicts_as_keras() {
    register::<Linear>();
    let text = std::fs::read_to_string(fixture_dir().join("guide_linear.json")).unwrap();
    let want: Value = serde_json::from_str(&text).unwrap();
    let x = Tensor::from_vec(rows(&want["x"]), &[5, 4]).unwrap();
    let model = kiln::saving::load_model(fixture_dir().join("guide_linear.keras")).unwrap();
    let got = model.call(&x).unwrap();
    assert_eq!(got.shape(), &[5, 3]);
    for (i, (g, w)) in got
        .to_vec::<f32>()
        .unwrap()
        .iter()
        .zip(rows(&want["y"]))
        .enumerate()
    {
        assert!(
            (g - w).abs() <= 1e-5 * (1.0 + w.abs()),
            "output {i}: kiln {g}, Keras {w}"
        );
    }
    let first = model.get_layer("linear_1").unwrap();
    assert_eq!(first.class_name(), "Linear");
    assert_eq!(first.get_config()["units"], 8);
}

#[test]
fn the_guide_layer_config_round_trips_and_defaults_as_keras() {
    let l = LayerRef::new(Linear::new().units(4).name("lin"));
    let copy = Linear::from_config(&l.get_config()).unwrap();
    assert_eq!(LayerRef::new(copy).get_config(), l.get_config());
    // Keras's `Linear()` has 32 units; an absent key takes the default.
    let d = Linear::from_config(&serde_json::json!({"name": "d"})).unwrap();
    assert_eq!(LayerRef::new(d).get_config()["units"], 32);
    // A mistyped value is an error naming the key.
    let e = Linear::from_config(&serde_json::json!({"units": "many"}))
        .err()
        .unwrap();
    assert!(e.to_string().contains("'units'"), "{e}");
    // Reading a weight before the layer is built is an error, not a panic.
    let unbuilt = Linear::new();
    assert!(LayerRef::new(unbuilt).weights().is_empty());
}
