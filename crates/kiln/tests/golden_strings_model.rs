//! An end-to-end text model against Keras 3.15.1 (tools/golden/gen_strings.py):
//! `Input(shape=(1,), dtype="string") -> TextVectorization -> Embedding ->
//! GlobalAveragePooling1D -> Dense(sigmoid)`, weights set from the fixture, trained two
//! epochs on raw strings: the same predictions and epoch losses (within 1e-5). Also
//! TextVectorization inside a model on `[batch, 1]` strings, `summary()` of a string
//! input, and the bad-input errors.

mod common;

use common::fixture;
use kiln::layers::*;
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln::optimizers::SGD;
use kiln_data::text::OutputMode;
use kiln_tensor::{DType, Tensor};
use serde_json::Value;

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn f32s(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_f64().unwrap() as f32)
        .collect()
}

fn close(what: &str, got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        assert!((a - b).abs() <= tol, "{what}[{i}]: {a} vs Keras {b}");
    }
}

fn text_model(e: &Value) -> (Model, Tensor) {
    let texts = strs(&e["texts"]);
    let n = texts.len();
    let x = Tensor::from_strings(texts, &[n, 1]).unwrap();
    let max_tokens = e["max_tokens"].as_u64().unwrap() as usize;
    let dim = e["embedding_dim"].as_u64().unwrap() as usize;
    let mut tv = TextVectorization::new()
        .max_tokens(max_tokens)
        .output_sequence_length(e["output_sequence_length"].as_u64().unwrap() as usize);
    tv.adapt(&x).unwrap();
    assert_eq!(tv.get_vocabulary(), strs(&e["vocabulary"]));
    let inp = Input::new(&[Some(1)])
        .dtype(DType::parse("string").unwrap())
        .build();
    let h = tv.apply(&inp).unwrap();
    let h = Embedding::new(max_tokens, dim).apply(&h).unwrap();
    let h = GlobalAveragePooling1D::new().apply(&h).unwrap();
    let out = Dense::new(1).activation("sigmoid").apply(&h).unwrap();
    let model = Model::new(&[inp], &[out]).unwrap();
    model
        .set_weights(&[
            Tensor::from_vec(f32s(&e["embedding"]), &[max_tokens, dim]).unwrap(),
            Tensor::from_vec(f32s(&e["kernel"]), &[dim, 1]).unwrap(),
            Tensor::from_vec(f32s(&e["bias"]), &[1]).unwrap(),
        ])
        .unwrap();
    (model, x)
}

#[test]
fn end_to_end_text_model_trains_like_keras() {
    let root = fixture("strings.json");
    let e = &root["end_to_end"];
    let (mut model, x) = text_model(e);
    let before = model
        .predict(
            &x,
            kiln::models::PredictArgs::new().batch_size(32).verbose(0),
        )
        .unwrap();
    assert_eq!(before.shape(), &[8, 1]);
    close(
        "predict_before",
        &before.to_vec::<f32>().unwrap(),
        &f32s(&e["predict_before"]),
        1e-6,
    );
    model
        .compile(
            CompileArgs::new()
                .optimizer(SGD::new(e["learning_rate"].as_f64().unwrap()))
                .loss("binary_crossentropy"),
        )
        .unwrap();
    let labels = f32s(&e["labels"]);
    let y = Tensor::from_vec(labels, &[8, 1]).unwrap();
    let hist = model
        .fit(
            &x,
            &y,
            FitArgs::new()
                .batch_size(4)
                .epochs(2)
                .shuffle(false)
                .verbose(0),
        )
        .unwrap();
    let losses = &hist.history["loss"];
    let want: Vec<f64> = e["losses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(losses.len(), 2);
    for (i, (a, b)) in losses.iter().zip(&want).enumerate() {
        assert!((a - b).abs() <= 1e-5, "epoch {i} loss {a} vs Keras {b}");
    }
    // Raw strings in, after training.
    let q = Tensor::from_strings(strs(&e["predict_queries"]), &[2, 1]).unwrap();
    let after = model
        .predict(
            &q,
            kiln::models::PredictArgs::new().batch_size(32).verbose(0),
        )
        .unwrap();
    close(
        "predict_after",
        &after.to_vec::<f32>().unwrap(),
        &f32s(&e["predict_after"]),
        1e-5,
    );
    let emb = model.get_weights()[0].to_vec::<f32>().unwrap();
    close("embedding_after", &emb, &f32s(&e["embedding_after"]), 1e-5);
}

#[test]
fn text_vectorization_in_a_model_matches_keras() {
    let root = fixture("strings.json");
    let corpus = strs(&root["corpus"]);
    let queries = strs(&root["queries"]);
    for c in root["text_vectorization"].as_array().unwrap() {
        let cfg = &c["config"];
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
        tv.adapt(&Tensor::from_strings(corpus.clone(), &[corpus.len()]).unwrap())
            .unwrap();
        let inp = Input::new(&[Some(1)]).dtype(DType::String).build();
        let out = tv.apply(&inp).unwrap();
        let mut model = Model::new(&[inp], &[out]).unwrap();
        let x = Tensor::from_strings(queries.clone(), &[queries.len(), 1]).unwrap();
        let y = model
            .predict(
                &x,
                kiln::models::PredictArgs::new().batch_size(32).verbose(0),
            )
            .unwrap();
        let want = &c["rank2_model"];
        let shape: Vec<usize> = want["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(y.shape(), shape.as_slice(), "{}", c["name"]);
        close(
            c["name"].as_str().unwrap(),
            &y.cast(DType::F32).unwrap().to_vec::<f32>().unwrap(),
            &f32s(&want["values"]),
            1e-6,
        );
    }
}

#[test]
fn summary_shows_string_input_and_saving_is_a_clear_err() {
    let e = &fixture("strings.json")["end_to_end"];
    let (model, _) = text_model(e);
    let s = model.summary_string(None);
    assert!(s.contains("TextVectorization"), "{s}");
    assert!(s.contains("InputLayer"), "{s}");
    let path = std::env::temp_dir().join(format!("kiln_text_{}.keras", std::process::id()));
    let err = model.save(&path).unwrap_err().to_string();
    assert!(
        err.contains("TextVectorization") && err.contains("vocabulary"),
        "{err}"
    );
    assert!(!path.exists());
}

#[test]
fn bad_inputs_are_errors_naming_expected_and_received() {
    let e = &fixture("strings.json")["end_to_end"];
    let (mut model, _) = text_model(e);
    // A float tensor into the string model.
    let err = model
        .predict(
            Tensor::zeros(&[2, 1], DType::F32),
            kiln::models::PredictArgs::new().batch_size(32).verbose(0),
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("string") && err.contains("float32"), "{err}");
    // A float tensor straight into TextVectorization.
    let mut tv = TextVectorization::new();
    tv.set_vocabulary(&["a"]).unwrap();
    let err = LayerRef::new(tv)
        .call(&Tensor::zeros(&[2, 1], DType::F32))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("expects a string tensor") && err.contains("float32"),
        "{err}"
    );
    // A string tensor into a layer expecting floats.
    let err = LayerRef::new(Dense::new(2))
        .call(&Tensor::from_strings(vec!["a", "b"], &[1, 2]).unwrap())
        .unwrap_err()
        .to_string();
    assert!(err.contains("string") && err.contains("float32"), "{err}");
    // ... and symbolically, while building a functional model.
    let inp = Input::new(&[Some(3)]).dtype(DType::String).build();
    let err = Dense::new(2).apply(&inp).unwrap_err().to_string();
    assert!(err.contains("string"), "{err}");
    // A numeric op on a string tensor.
    let err = Tensor::scalar_str("a")
        .add_scalar(1.0)
        .unwrap_err()
        .to_string();
    assert!(err.contains("add_scalar") || err.contains("add"), "{err}");
    assert!(err.contains("string"), "{err}");
}
