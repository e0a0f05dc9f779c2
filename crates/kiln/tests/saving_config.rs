//! Keras 3 model configs: configs written by Keras 3.15 (tools/golden/gen_saving.py)
//! rebuild in kiln with the same layers and parameter counts, and kiln's own configs
//! round-trip.

use kiln::saving::{model_from_config, model_to_config};
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../../tools/golden/fixtures/saving/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn keras_configs_rebuild_with_the_same_layers_and_params() {
    for name in ["mlp", "cnn", "multi_input_shared", "batchnorm"] {
        let f = fixture(name);
        let model = model_from_config(&f["config"]).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            model.count_params() as u64,
            f["count_params"].as_u64().unwrap(),
            "{name}: count_params"
        );
        let keras_names: Vec<&str> = f["config"]["config"]["layers"]
            .as_array()
            .unwrap()
            .iter()
            // A Sequential's InputLayer is in its config but not in `model.layers`.
            .filter(|l| {
                f["config"]["class_name"] != "Sequential" || l["class_name"] != "InputLayer"
            })
            .map(|l| {
                l.get("name")
                    .or_else(|| l["config"].get("name"))
                    .and_then(Value::as_str)
                    .unwrap()
            })
            .collect();
        let kiln_names: Vec<String> = model.layers().iter().map(|l| l.name()).collect();
        assert_eq!(kiln_names, keras_names, "{name}: layer names and order");
        // kiln's config of the rebuilt model rebuilds the same model again.
        let again = model_from_config(&model_to_config(&model).unwrap()).unwrap();
        assert_eq!(again.count_params(), model.count_params(), "{name}");
        assert_eq!(
            model_to_config(&again).unwrap(),
            model_to_config(&model).unwrap(),
            "{name}: config round trip"
        );
    }
}

#[test]
fn malformed_configs_are_errors() {
    let f = fixture("multi_input_shared");
    let mut c = f["config"].clone();
    c["class_name"] = "NoSuchModel".into();
    assert!(model_from_config(&c)
        .err()
        .unwrap()
        .to_string()
        .contains("NoSuchModel"));
    let mut c = f["config"].clone();
    c["config"]["layers"][2]["class_name"] = "NoSuchLayer".into();
    assert!(model_from_config(&c)
        .err()
        .unwrap()
        .to_string()
        .contains("NoSuchLayer"));
    let mut c = f["config"].clone();
    c["config"]["output_layers"] = serde_json::json!([["ghost", 0, 0]]);
    assert!(model_from_config(&c)
        .err()
        .unwrap()
        .to_string()
        .contains("ghost"));
    assert!(model_from_config(&serde_json::json!({"class_name": "Sequential"})).is_err());
}
