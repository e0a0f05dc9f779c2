//! TextVectorization against Keras 3.15 (tools/golden/gen_text.py): the same vocabulary
//! (frequency order with Keras's tie-breaking) and the same output arrays.

use kiln_data::text::{OutputMode, Split, Standardize, TextVectorization};
use serde_json::Value;

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn text_vectorization_matches_keras() {
    let path = format!(
        "{}/../../tools/golden/fixtures/text.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let root: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = root["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 11);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let kw = &c["kwargs"];
        let mut tv = TextVectorization::new();
        if let Some(m) = kw.get("max_tokens").and_then(Value::as_u64) {
            tv = tv.max_tokens(m as usize);
        }
        if let Some(l) = kw.get("output_sequence_length").and_then(Value::as_u64) {
            tv = tv.output_sequence_length(l as usize);
        }
        if let Some(n) = kw.get("ngrams").and_then(Value::as_u64) {
            tv = tv.ngrams(n as usize);
        }
        if kw.get("pad_to_max_tokens").and_then(Value::as_bool) == Some(true) {
            tv = tv.pad_to_max_tokens(true);
        }
        tv = tv.output_mode(match kw.get("output_mode").and_then(Value::as_str) {
            Some("multi_hot") => OutputMode::MultiHot,
            Some("count") => OutputMode::Count,
            Some("tf_idf") => OutputMode::TfIdf,
            _ => OutputMode::Int,
        });
        match kw.get("standardize") {
            Some(Value::Null) => tv = tv.standardize(Standardize::None),
            Some(Value::String(s)) if s == "lower" => tv = tv.standardize(Standardize::Lower),
            _ => {}
        }
        if kw.get("split").and_then(Value::as_str) == Some("character") {
            tv = tv.split(Split::Character);
        }
        tv.adapt(&strs(&c["train"])).unwrap();
        assert_eq!(
            tv.get_vocabulary(),
            strs(&c["vocabulary"]),
            "{name}: vocabulary"
        );
        let out = tv.call(&strs(&c["queries"])).unwrap();
        let shape: Vec<usize> = c["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(out.shape(), &shape[..], "{name}: shape");
        let want: Vec<f64> = c["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        for (i, (a, b)) in out.to_f64_vec().iter().zip(&want).enumerate() {
            assert!(
                (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
                "{name}[{i}]: kiln {a} vs keras {b}"
            );
        }
    }
}

#[test]
fn errors() {
    let tv = TextVectorization::new();
    assert!(tv.call(&["no vocabulary yet"]).is_err());
    let mut tv = TextVectorization::new();
    assert!(tv.set_vocabulary(&["a", "b", "a"]).is_err());
    tv.set_vocabulary(&["a", "b"]).unwrap();
    assert_eq!(
        tv.call(&["b a c"]).unwrap().to_vec::<i64>().unwrap(),
        vec![3, 2, 1]
    );
    let mut tf = TextVectorization::new().output_mode(OutputMode::TfIdf);
    assert!(tf.set_vocabulary(&["a"]).is_err());
    assert!(TextVectorization::new()
        .max_tokens(1)
        .adapt(&["x"])
        .is_err());
}
