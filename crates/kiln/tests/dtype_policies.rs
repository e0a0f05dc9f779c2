//! Dtype policies against Keras 3.15 (tools/golden/gen_dtype_policies.py): for every
//! policy, set globally or passed as a layer's `dtype`, and every layer family in the
//! fixture: the policy name, compute and variable dtypes, the dtype of every weight, the
//! config's `dtype`, the output dtype, and the output values within the compute dtype's
//! rounding. The global policy is process-wide, so the cases run in one test.

mod common;

use kiln::dtype_policies::{dtype_policy, set_dtype_policy, DTypePolicy};
use kiln::layers::{from_config, LayerRef};
use kiln_tensor::{DType, Tensor};
use serde_json::Value;

fn dtype(name: &str) -> DType {
    DType::parse(name).unwrap()
}

/// Output tolerance (relative + absolute) for a compute dtype: a few roundings of it.
fn tolerance(compute: &str) -> f64 {
    match compute {
        "float16" => 1e-2,
        "bfloat16" => 6e-2,
        _ => 2e-5,
    }
}

fn build(case: &Value) -> LayerRef {
    let class = case["class"].as_str().unwrap();
    let mut config = case["kwargs"].clone();
    let policy = case["policy"].as_str().unwrap();
    if case["how"] == "argument" {
        config["dtype"] = Value::from(policy);
        from_config(class, &config).unwrap()
    } else {
        set_dtype_policy(policy).unwrap();
        let layer = from_config(class, &config);
        set_dtype_policy("float32").unwrap();
        layer.unwrap()
    }
}

fn check(case: &Value) {
    let what = format!(
        "{} {} ({})",
        case["policy"].as_str().unwrap(),
        case["name"].as_str().unwrap(),
        case["how"].as_str().unwrap()
    );
    let layer = build(case);
    let x = common::tensor_f32(&case["x"]);
    let shape: Vec<Option<usize>> = x.shape().iter().map(|&d| Some(d)).collect();
    layer.build(&[shape]).unwrap();
    {
        let g = layer.lock();
        let b = g.base();
        assert_eq!(
            b.dtype_policy().name(),
            case["dtype_policy"],
            "{what}: policy"
        );
        assert_eq!(
            b.compute_dtype(),
            dtype(case["compute_dtype"].as_str().unwrap()),
            "{what}: compute dtype"
        );
        assert_eq!(
            b.variable_dtype(),
            dtype(case["variable_dtype"].as_str().unwrap()),
            "{what}: variable dtype"
        );
    }
    let weights = layer.weights();
    let want_dtypes: Vec<DType> = case["weight_dtypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| dtype(d.as_str().unwrap()))
        .collect();
    let got_dtypes: Vec<DType> = weights.iter().map(|w| w.value().dtype()).collect();
    assert_eq!(got_dtypes, want_dtypes, "{what}: weight dtypes");
    let values: Vec<Tensor> = case["weights"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&want_dtypes)
        .map(|(w, &d)| common::tensor_f32(w).cast(d).unwrap())
        .collect();
    layer.set_weights(&values).unwrap();
    let cfg = layer.get_config();
    assert_eq!(
        cfg["dtype"], case["config_dtype"]["config"]["name"],
        "{what}: config dtype"
    );
    let y = layer
        .call_training(&x, case["training"].as_bool().unwrap())
        .unwrap();
    assert_eq!(
        y.dtype(),
        dtype(case["y_dtype"].as_str().unwrap()),
        "{what}: output dtype"
    );
    let want = common::tensor_f32(&case["y"]);
    let tol = tolerance(case["compute_dtype"].as_str().unwrap());
    common::assert_close(&what, &y.cast(DType::F32).unwrap(), &want, tol);
}

#[test]
fn layers_follow_keras_dtype_policies() {
    let fx = common::fixture("dtype_policies.json");
    let cases = fx["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 160);
    let mut checked = 0;
    for case in cases {
        if case.get("keras_error").is_some() {
            // Keras cannot build these (no bfloat16 QR for the orthogonal initializer).
            continue;
        }
        check(case);
        checked += 1;
    }
    assert_eq!(checked, 154);
    assert_eq!(dtype_policy().name(), "float32");
}

#[test]
fn unknown_policies_are_errors_with_keras_wording() {
    let fx = common::fixture("dtype_policies.json");
    for (name, want) in fx["errors"].as_object().unwrap() {
        let e = DTypePolicy::new(name).unwrap_err().to_string();
        let want = want.as_str().unwrap().trim_start_matches("ValueError: ");
        assert!(e.contains(want), "{name}: {e}");
    }
    let e = set_dtype_policy("float17").unwrap_err().to_string();
    assert!(e.contains("Cannot convert 'float17'"), "{e}");
    let l = LayerRef::new(kiln::layers::Dense::new(2).dtype("mixed_int4"));
    let e = l
        .call(&Tensor::ones(&[1, 2], DType::F32))
        .unwrap_err()
        .to_string();
    assert!(e.contains("Cannot convert 'mixed_int4'"), "{e}");
}
