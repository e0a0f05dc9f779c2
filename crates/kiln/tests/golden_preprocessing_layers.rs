//! CategoryEncoding, Discretization (given and adapted boundaries), Resizing and
//! CenterCrop against Keras 3.15 (tools/golden/gen_preprocessing_layers.py). Each layer is
//! rebuilt from the config Keras wrote, so config parsing is checked too.

mod common;

use common::tensor;
use kiln::layers::{from_config, Discretization, LayerRef};
use kiln_tensor::{DType, Tensor};
use serde_json::Value;

fn dtype_name(d: DType) -> &'static str {
    match d {
        DType::F32 => "float32",
        DType::I32 => "int32",
        DType::U8 => "uint8",
        _ => "other",
    }
}

#[test]
fn preprocessing_layers_match_keras() {
    let path = format!(
        "{}/../../tools/golden/fixtures/preprocessing_layers.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let root: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut checked = 0;
    for c in root["cases"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let class = c["class"].as_str().unwrap();
        let x = tensor(&c["input"]);
        let layer = if let Some(data) = c.get("adapt") {
            // Adapted: start from num_bins/epsilon only and learn the boundaries.
            let kw = &c["kwargs"];
            let mut d = Discretization::with_num_bins(kw["num_bins"].as_u64().unwrap() as usize)
                .epsilon(kw["epsilon"].as_f64().unwrap());
            d.adapt(&tensor(data)).unwrap();
            let want: Vec<f32> = c["bin_boundaries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
                .collect();
            assert_eq!(d.bin_boundaries().unwrap(), &want[..], "{name}: boundaries");
            LayerRef::new(d)
        } else {
            from_config(class, &c["config"]).unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        let y = layer.call(&x).unwrap_or_else(|e| panic!("{name}: {e}"));
        let want = tensor(&c["output"]);
        assert_eq!(y.shape(), want.shape(), "{name}: shape");
        assert_eq!(
            dtype_name(y.dtype()),
            c["output_dtype"].as_str().unwrap(),
            "{name}: dtype"
        );
        let (got, exp) = (y.to_f64_vec(), want.to_f64_vec());
        // Bicubic/area sums are ordered differently from TF's kernels: 1e-5 relative.
        for (i, (a, b)) in got.iter().zip(&exp).enumerate() {
            assert!(
                (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
                "{name}[{i}]: kiln {a} vs keras {b}"
            );
        }
        // The config kiln writes rebuilds the same layer.
        let again = from_config(class, &layer.get_config()).unwrap();
        if c.get("adapt").is_none() {
            assert_eq!(
                again.call(&x).unwrap().to_f64_vec(),
                got,
                "{name}: config round trip"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 29);
}

#[test]
fn preprocessing_layer_errors() {
    let ids = Tensor::from_vec(vec![0i32, 5], &[2]).unwrap();
    let cat = from_config("CategoryEncoding", &serde_json::json!({"num_tokens": 5})).unwrap();
    let err = cat.call(&ids).unwrap_err().to_string();
    assert!(err.contains("5") && err.contains("[0, 5)"), "{err}");
    let err = from_config(
        "CategoryEncoding",
        &serde_json::json!({"num_tokens": 5, "output_mode": "tf_idf"}),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("tf_idf"), "{err}");
    let unadapted = LayerRef::new(Discretization::with_num_bins(3));
    let err = unadapted.call(&ids).unwrap_err().to_string();
    assert!(err.contains("adapt"), "{err}");
    let mut fixed = Discretization::with_boundaries(&[0.0]);
    assert!(fixed
        .adapt(&ids)
        .unwrap_err()
        .to_string()
        .contains("num_bins"));
    let resize = from_config("Resizing", &serde_json::json!({"height": 2, "width": 2})).unwrap();
    let err = resize
        .call(&Tensor::zeros(&[4, 4], DType::F32))
        .unwrap_err()
        .to_string();
    assert!(err.contains("rank") && err.contains("[4, 4]"), "{err}");
    let err = from_config(
        "Resizing",
        &serde_json::json!({"height": 2, "width": 2, "interpolation": "lanczos3"}),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("lanczos3"), "{err}");
}
