//! kiln::applications against keras.applications (tools/golden/gen_applications.py):
//! parameter counts (total, trainable, non-trainable), layer names in order, output shape
//! and model name; and the S002-2 CNN's parameter count. Also each family's
//! `preprocess_input` (rank 3 and 4, float and uint8, both data formats) and
//! `decode_predictions` on a synthetic class index, against Keras's outputs
//! (tools/golden/fixtures/applications_io.json).

use kiln::applications::*;
use serde_json::Value;

fn count(vs: &[kiln_tensor::Variable]) -> usize {
    vs.iter().map(|v| v.value().numel()).sum()
}

#[test]
fn architectures_match_keras() {
    let path = format!(
        "{}/../../tools/golden/fixtures/applications.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let root: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = root["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 10);
    for c in cases {
        let kw = &c["kwargs"];
        let mut args = AppArgs::new();
        if let Some(t) = kw.get("include_top").and_then(Value::as_bool) {
            args = args.include_top(t);
        }
        if let Some(s) = kw.get("input_shape").and_then(Value::as_array) {
            let s: Vec<usize> = s.iter().map(|d| d.as_u64().unwrap() as usize).collect();
            args = args.input_shape([s[0], s[1], s[2]]);
        }
        if let Some(p) = kw.get("pooling").and_then(Value::as_str) {
            args = args.pooling(p);
        }
        if let Some(n) = kw.get("classes").and_then(Value::as_u64) {
            args = args.classes(n as usize);
        }
        let alpha = kw.get("alpha").and_then(Value::as_f64).unwrap_or(1.0);
        let m = match c["fn"].as_str().unwrap() {
            "vgg16" => vgg16(args),
            "vgg19" => vgg19(args),
            "resnet50" => resnet50(args),
            "resnet101" => resnet101(args),
            "mobilenet_v2" => mobilenet_v2(args, alpha),
            f => panic!("{f}"),
        }
        .unwrap();
        let what = format!("{} {kw}", c["fn"]);
        assert_eq!(m.name(), c["name"].as_str().unwrap(), "{what}: name");
        assert_eq!(
            m.count_params() as u64,
            c["total"].as_u64().unwrap(),
            "{what}: total"
        );
        assert_eq!(
            count(&m.trainable_weights()) as u64,
            c["trainable"].as_u64().unwrap(),
            "{what}: trainable"
        );
        assert_eq!(
            count(&m.non_trainable_weights()) as u64,
            c["non_trainable"].as_u64().unwrap(),
            "{what}: non-trainable"
        );
        let names: Vec<String> = m.layers().iter().map(|l| l.name()).collect();
        let want: Vec<String> = c["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        // Keras auto-names the input layer and unnamed pooling layers; compare the rest.
        assert_eq!(names.len(), want.len(), "{what}: layer count");
        for (a, b) in names.iter().zip(&want) {
            if !b.starts_with("input_layer") && !b.starts_with("global_") {
                assert_eq!(a, b, "{what}: layer names");
            }
        }
        let out: Vec<Option<u64>> = c["output_shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(Value::as_u64)
            .collect();
        let got: Vec<Option<u64>> = m.outputs()[0]
            .shape()
            .iter()
            .map(|d| d.map(|d| d as u64))
            .collect();
        assert_eq!(got, out, "{what}: output shape");
    }
    // Bad arguments are errors naming what is wrong.
    let e = vgg16(AppArgs::new().input_shape([16, 16, 3]))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("32"), "{e}");
    assert!(resnet50(AppArgs::new().input_shape([64, 64, 1])).is_err());
    assert!(mobilenet_v2(AppArgs::new().pooling("mean").include_top(false), 1.0).is_err());
    assert!(vgg16(AppArgs::new().weights(Weights::Path("vgg16.h5".into()))).is_err());
}

fn io_fixture() -> Value {
    let path = format!(
        "{}/../../tools/golden/fixtures/applications_io.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn tensor(v: &Value) -> kiln_tensor::Tensor {
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
    kiln_tensor::Tensor::from_vec(data, &shape).unwrap()
}

#[test]
fn preprocess_input_matches_keras() {
    let f = io_fixture();
    let cases = f["preprocess"].as_array().unwrap();
    assert_eq!(cases.len(), 40);
    for c in cases {
        let (family, fmt) = (
            c["family"].as_str().unwrap(),
            c["data_format"].as_str().unwrap(),
        );
        let mut x = tensor(&c["x"]);
        if c["dtype"] == "uint8" {
            x = x.cast(kiln_tensor::DType::U8).unwrap();
        }
        let what = format!("{family} {fmt} {} {:?}", c["dtype"], x.shape());
        let y = match family {
            "mobilenet_v2" => tf_preprocess_input(&x),
            _ => caffe_preprocess_input(&x, fmt),
        }
        .unwrap_or_else(|e| panic!("{what}: {e}"));
        // The per-family functions are the channels_last forms.
        if fmt == "channels_last" {
            let y2 = match family {
                "vgg16" | "vgg19" => vgg_preprocess_input(&x),
                "resnet" | "resnet50" => resnet_preprocess_input(&x),
                _ => mobilenet_v2_preprocess_input(&x),
            }
            .unwrap();
            assert_eq!(
                y2.to_vec::<f32>().unwrap(),
                y.to_vec::<f32>().unwrap(),
                "{what}"
            );
        }
        assert_eq!(y.dtype(), kiln_tensor::DType::F32, "{what}");
        let want = tensor(&c["y"]);
        assert_eq!(y.shape(), want.shape(), "{what}");
        for (i, (a, b)) in y.to_f64_vec().iter().zip(want.to_f64_vec()).enumerate() {
            assert!(
                (a - b).abs() <= 1e-5 * b.abs().max(1.0),
                "{what}[{i}]: {a} vs keras {b}"
            );
        }
    }
}

#[test]
fn preprocess_input_rejects_bad_layouts() {
    let z = |s: &[usize]| kiln_tensor::Tensor::zeros(s, kiln_tensor::DType::F32);
    for (x, fmt, want) in [
        (z(&[4, 4, 4]), "channels_last", "3 channels"),
        (z(&[2, 4, 4, 3]), "channels_first", "3 channels"),
        (z(&[4, 3]), "channels_first", "rank 3"),
        (z(&[4, 4, 3]), "channels_middle", "data_format"),
    ] {
        let e = caffe_preprocess_input(&x, fmt).unwrap_err().to_string();
        assert!(e.contains(want), "{fmt} {:?}: {e}", x.shape());
    }
}

#[test]
fn decode_predictions_matches_keras_on_a_synthetic_class_index() {
    let f = io_fixture();
    let index = format!(
        "{}/../../tools/golden/fixtures/imagenet_class_index_synthetic.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let d = &f["decode"];
    let preds = tensor(&d["preds"]);
    for case in d["cases"].as_array().unwrap() {
        let top = case["top"].as_u64().unwrap() as usize;
        let got = decode_predictions_from(&preds, top, &index).unwrap();
        let lens: Vec<usize> = got.iter().map(Vec::len).collect();
        let want_lens: Vec<usize> = case["len"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(lens, want_lens, "top={top}");
        for (row, want_row) in got.iter().zip(case["result"].as_array().unwrap()) {
            for (p, w) in row.iter().zip(want_row.as_array().unwrap()) {
                assert_eq!(p.class_name, w[0].as_str().unwrap(), "top={top}");
                assert_eq!(p.class_description, w[1].as_str().unwrap(), "top={top}");
                assert_eq!(p.score, w[2].as_f64().unwrap() as f32, "top={top}");
            }
        }
    }
    // Keras's error for predictions that are not (samples, 1000), word for word.
    for (shape, msg) in d["errors"].as_object().unwrap() {
        let shape: Vec<usize> = serde_json::from_str(shape).unwrap();
        let x = kiln_tensor::Tensor::zeros(&shape, kiln_tensor::DType::F32);
        let e = decode_predictions_from(&x, 5, &index)
            .unwrap_err()
            .to_string();
        assert!(e.contains(msg.as_str().unwrap()), "{e}");
    }
    // A missing class index says which file to put where; a malformed one is an error.
    let x = kiln_tensor::Tensor::zeros(&[1, 1000], kiln_tensor::DType::F32);
    let e = decode_predictions_from(&x, 5, "/nonexistent/imagenet_class_index.json")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("/nonexistent/imagenet_class_index.json") && e.contains("does not exist"),
        "{e}"
    );
    let bad = std::env::temp_dir().join(format!("kiln_bad_index_{}.json", std::process::id()));
    std::fs::write(&bad, r#"{"0": ["n0", "zero"]}"#).unwrap();
    let e = decode_predictions_from(&x, 5, &bad)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no entry"), "{e}");
    std::fs::remove_file(&bad).ok();
}
