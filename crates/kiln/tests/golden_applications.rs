//! kiln::applications against keras.applications (tools/golden/gen_applications.py):
//! parameter counts (total, trainable, non-trainable), layer names in order, output shape
//! and model name; and the S002-2 CNN's parameter count.

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
