//! TextVectorization and StringLookup on string tensors against Keras 3.15.1 / TF 2.21
//! (tools/golden/gen_strings.py): rank-0 elements and rank-1 batches inside a
//! `Dataset::map`, as Keras's layers run inside `tf.data`, with the same outputs.

use kiln_data::dataset::Dataset;
use kiln_data::text::{OutputMode, StringLookup, StringLookupOptions, TextVectorization};
use kiln_tensor::{DType, Tensor};
use kiln_testing::fixture;
use serde_json::Value;

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn shape(v: &Value) -> Vec<usize> {
    v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect()
}

fn nums(v: &Value) -> Vec<f64> {
    v["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_f64().unwrap())
        .collect()
}

/// Keras's exact value for integer outputs, 1e-6 for tf-idf floats.
fn assert_matches(what: &str, got: &Tensor, want: &Value) {
    assert_eq!(got.shape(), shape(want).as_slice(), "{what}: shape");
    let g = got.to_f64_vec();
    let w = nums(want);
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        assert!(
            (a - b).abs() <= 1e-6 * b.abs().max(1.0),
            "{what}[{i}]: {a} vs Keras {b}"
        );
    }
}

fn tv_from(cfg: &Value) -> TextVectorization {
    let mut tv = TextVectorization::new();
    if let Some(m) = cfg.get("max_tokens").and_then(Value::as_u64) {
        tv = tv.max_tokens(m as usize);
    }
    if let Some(m) = cfg.get("output_mode").and_then(Value::as_str) {
        tv = tv.output_mode(match m {
            "multi_hot" => OutputMode::MultiHot,
            "count" => OutputMode::Count,
            "tf_idf" => OutputMode::TfIdf,
            _ => OutputMode::Int,
        });
    }
    if let Some(n) = cfg.get("output_sequence_length").and_then(Value::as_u64) {
        tv = tv.output_sequence_length(n as usize);
    }
    tv
}

#[test]
fn text_vectorization_on_string_tensors_in_dataset_map_matches_keras() {
    let root = fixture("strings.json");
    let corpus = strs(&root["corpus"]);
    let queries = strs(&root["queries"]);
    let cases = root["text_vectorization"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let mut tv = tv_from(&c["config"]);
        // Keras: tv.adapt(tf.data.Dataset.from_tensor_slices(CORPUS).batch(2)).
        tv.adapt_dataset(
            &Dataset::from_strings(corpus.clone())
                .unwrap()
                .batch(2)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            tv.get_vocabulary(),
            strs(&c["vocabulary"]),
            "{name}: vocabulary"
        );
        let tv = std::sync::Arc::new(tv);
        // Rank 0: one string per element (the non-empty queries, as the generator).
        let t0 = tv.clone();
        let nonempty: Vec<String> = queries.iter().filter(|q| !q.is_empty()).cloned().collect();
        let ds0 = Dataset::from_strings(nonempty)
            .unwrap()
            .map(move |e| Ok(t0.call_tensor(e.as_tensor()?)?.into()));
        let got0 = ds0.collect().unwrap();
        let want0 = c["rank0"].as_array().unwrap();
        assert_eq!(got0.len(), want0.len());
        for (i, (g, w)) in got0.iter().zip(want0).enumerate() {
            assert_matches(&format!("{name} rank0[{i}]"), g.as_tensor().unwrap(), w);
        }
        // Rank 1: batches of 3.
        let t1 = tv.clone();
        let ds1 = Dataset::from_strings(queries.clone())
            .unwrap()
            .batch(3)
            .unwrap()
            .map(move |e| Ok(t1.call_tensor(e.as_tensor()?)?.into()));
        let got1 = ds1.collect().unwrap();
        let want1 = c["rank1"].as_array().unwrap();
        assert_eq!(got1.len(), want1.len());
        for (i, (g, w)) in got1.iter().zip(want1).enumerate() {
            assert_matches(&format!("{name} rank1[{i}]"), g.as_tensor().unwrap(), w);
        }
        // Rank 2: [batch, 1], what a model with Input(shape=(1,), dtype="string") passes.
        let x2 = Tensor::from_strings(queries.clone(), &[queries.len(), 1]).unwrap();
        assert_matches(
            &format!("{name} rank2"),
            &tv.call_tensor(&x2).unwrap(),
            &c["rank2_model"],
        );
    }
}

fn lookup_from(cfg: &Value) -> StringLookupOptions {
    let mut o = StringLookupOptions::default();
    if let Some(m) = cfg.get("output_mode").and_then(Value::as_str) {
        o.output_mode = m.into();
    }
    if let Some(m) = cfg.get("max_tokens").and_then(Value::as_u64) {
        o.max_tokens = Some(m as usize);
    }
    if let Some(m) = cfg.get("mask_token").and_then(Value::as_str) {
        o.mask_token = Some(m.into());
    }
    if let Some(n) = cfg.get("num_oov_indices").and_then(Value::as_i64) {
        o.num_oov_indices = n;
    }
    o
}

#[test]
fn string_lookup_on_string_tensors_matches_keras() {
    let root = fixture("strings.json");
    let cases = root["string_lookup"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let mut l = StringLookup::new(lookup_from(&c["config"])).unwrap();
        let adapt = strs(&c["adapt"]);
        l.adapt_tensor(&Tensor::from_strings(adapt.clone(), &[adapt.len()]).unwrap())
            .unwrap();
        assert_eq!(l.get_vocabulary(true), strs(&c["vocabulary"]), "{name}");
        let q1 = strs(&c["q1"]);
        let r1 = l
            .call_tensor(&Tensor::from_strings(q1.clone(), &[q1.len()]).unwrap())
            .unwrap();
        assert_matches(&format!("{name} rank1"), &r1, &c["r1"]);
        // [batch, 1] inside a dataset map.
        let q2 = strs(&c["q2"]);
        let l2 = std::sync::Arc::new(l.clone());
        let ds =
            Dataset::from_tensor_slices(Tensor::from_strings(q2.clone(), &[q2.len(), 1]).unwrap())
                .unwrap()
                .batch(3)
                .unwrap()
                .map(move |e| Ok(l2.call_tensor(e.as_tensor()?)?.into()));
        let got = ds.collect().unwrap();
        assert_matches(
            &format!("{name} rank2"),
            got[0].as_tensor().unwrap(),
            &c["r2"],
        );
        assert_matches(
            &format!("{name} rank0"),
            &l.call_tensor(&Tensor::scalar_str("c")).unwrap(),
            &c["r0"],
        );
        if let Some(inv) = c.get("invert") {
            let mut o = lookup_from(&c["config"]);
            o.invert = true;
            o.vocabulary = Some(kiln_data::text::Vocabulary::Tokens(l.get_vocabulary(false)));
            let il = StringLookup::new(o).unwrap();
            let idx: Vec<i64> = c["invert_indices"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect();
            let out = il
                .call_tensor(&Tensor::from_vec(idx, &[3, 2]).unwrap())
                .unwrap();
            assert_eq!(out.dtype(), DType::String);
            assert_eq!(out.shape(), shape(inv).as_slice(), "{name} invert");
            assert_eq!(
                out.to_strings().unwrap(),
                strs(&inv["values"]),
                "{name} invert"
            );
        }
    }
}

#[test]
fn bad_inputs_name_expected_and_received() {
    let mut tv = TextVectorization::new();
    tv.set_vocabulary(&["a"]).unwrap();
    let e = tv
        .call_tensor(&Tensor::zeros(&[2, 1], DType::F32))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("string") && e.contains("float32") && e.contains("[2, 1]"),
        "{e}"
    );
    let e = tv
        .call_tensor(&Tensor::from_strings(vec!["a", "b"], &[1, 2]).unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("last shape dimension must be 1"), "{e}");
    let l = StringLookup::new(StringLookupOptions::default()).unwrap();
    let e = l
        .call_tensor(&Tensor::zeros(&[2], DType::I64))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("expects a string tensor") && e.contains("int64"),
        "{e}"
    );
    let inv = StringLookup::new(StringLookupOptions {
        invert: true,
        vocabulary: Some(kiln_data::text::Vocabulary::Tokens(vec!["a".into()])),
        ..Default::default()
    })
    .unwrap();
    let e = inv
        .call_tensor(&Tensor::scalar_str("a"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("integer") && e.contains("string"), "{e}");
    let ds = Dataset::from_tensor_slices((
        Tensor::from_strings(vec!["a"], &[1]).unwrap(),
        Tensor::zeros(&[1], DType::I64),
    ))
    .unwrap();
    let mut tv = TextVectorization::new();
    assert!(tv
        .adapt_dataset(&ds)
        .unwrap_err()
        .to_string()
        .contains("map them"));
}
