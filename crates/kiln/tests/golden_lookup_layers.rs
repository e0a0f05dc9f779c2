//! The layer forms of Hashing and IntegerLookup against Keras 3.15
//! (tools/golden/gen_lookup.py, the integer/float cases): outputs, configs that rebuild
//! through `from_config`, and use inside a model.

mod common;

use common::fixture;
use kiln::layers::{from_config, Embedding, IntegerLookup, LayerRef};
use kiln::models::Model;
use kiln::models::PredictArgs;
use kiln_data::text::{IntegerLookupOptions, OovMethod, Vocabulary};
use kiln_tensor::Tensor;
use serde_json::Value;

fn nested(v: &Value, out: &mut Vec<f64>, shape: &mut Vec<usize>, depth: usize) {
    match v {
        Value::Array(a) => {
            if shape.len() == depth {
                shape.push(a.len());
            }
            for x in a {
                nested(x, out, shape, depth + 1);
            }
        }
        x => out.push(x.as_f64().unwrap()),
    }
}

fn tensor(v: &Value, float: bool) -> Tensor {
    let (mut d, mut s) = (Vec::new(), Vec::new());
    nested(v, &mut d, &mut s, 0);
    if float {
        Tensor::from_vec(d.iter().map(|&x| x as f32).collect(), &s).unwrap()
    } else {
        Tensor::from_vec(d.iter().map(|&x| x as i64).collect(), &s).unwrap()
    }
}

fn check(name: &str, y: &Tensor, want: &Value) {
    let shape: Vec<usize> = want["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(y.shape(), &shape[..], "{name}: shape");
    let data = want["data"].as_array().unwrap();
    if want["dtype"] == "float32" {
        let got = y.to_vec::<f32>().unwrap();
        assert_eq!(got.len(), data.len());
        for (g, w) in got.iter().zip(data) {
            let w = w.as_f64().unwrap() as f32;
            assert!(
                (g - w).abs() <= 1e-5 * w.abs().max(1.0),
                "{name}: {g} vs {w}"
            );
        }
    } else {
        let got = y.to_vec::<i64>().unwrap();
        let w: Vec<i64> = data.iter().map(|v| v.as_i64().unwrap()).collect();
        assert_eq!(got, w, "{name}");
    }
}

/// The Keras kwargs as a layer config, rebuilt by the registry.
fn hashing_from_kwargs(kw: &Value) -> kiln::Result<LayerRef> {
    let mut cfg = kw.clone();
    cfg["name"] = Value::from("h");
    from_config("Hashing", &cfg)
}

#[test]
fn hashing_layer_matches_keras_on_numbers() {
    let f = fixture("lookup.json");
    let mut n = 0;
    for c in f["hashing"].as_array().unwrap() {
        let kind = c["kind"].as_str().unwrap();
        if kind == "str" && c.get("error").is_none() {
            continue;
        }
        let name = c["name"].as_str().unwrap();
        if let Some(e) = c.get("error") {
            assert!(
                hashing_from_kwargs(&c["kwargs"]).is_err(),
                "{name}: Keras raised {e}"
            );
            n += 1;
            continue;
        }
        let l = hashing_from_kwargs(&c["kwargs"]).unwrap_or_else(|e| panic!("{name}: {e}"));
        let y = l.call(&tensor(&c["input"], kind == "float")).unwrap();
        check(name, &y, &c["output"]);
        // get_config -> from_config gives the same layer.
        let again = from_config("Hashing", &l.get_config()).unwrap();
        check(
            name,
            &again.call(&tensor(&c["input"], kind == "float")).unwrap(),
            &c["output"],
        );
        for k in ["num_bins", "salt", "mask_value", "output_mode", "sparse"] {
            let want = c["kwargs"].get(k).cloned().unwrap_or(match k {
                "output_mode" => "int".into(),
                "sparse" => false.into(),
                _ => Value::Null,
            });
            let want = match (k, &want) {
                ("salt", Value::Number(s)) => serde_json::json!([s, s]),
                _ => want,
            };
            assert_eq!(l.get_config()[k], want, "{name}: config {k}");
        }
        n += 1;
    }
    assert_eq!(n, 12);
}

fn options(kw: &Value) -> kiln::Result<IntegerLookupOptions> {
    let g = |k: &str| kw.get(k);
    Ok(IntegerLookupOptions {
        max_tokens: g("max_tokens").and_then(Value::as_u64).map(|m| m as usize),
        num_oov_indices: g("num_oov_indices").and_then(Value::as_i64).unwrap_or(1),
        mask_token: g("mask_token").and_then(Value::as_i64),
        oov_token: g("oov_token").and_then(Value::as_i64).unwrap_or(-1),
        vocabulary: g("vocabulary").map(|v| {
            Vocabulary::Tokens(
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_i64().unwrap())
                    .collect(),
            )
        }),
        vocabulary_dtype: g("vocabulary_dtype")
            .and_then(Value::as_str)
            .unwrap_or("int64")
            .into(),
        idf_weights: g("idf_weights").map(|v| {
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect()
        }),
        invert: g("invert").and_then(Value::as_bool).unwrap_or(false),
        output_mode: g("output_mode")
            .and_then(Value::as_str)
            .unwrap_or("int")
            .into(),
        sparse: false,
        pad_to_max_tokens: g("pad_to_max_tokens")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        oov_method: OovMethod::parse(
            g("oov_method")
                .and_then(Value::as_str)
                .unwrap_or("floormod"),
        )?,
        salt: g("salt").and_then(|s| s.as_i64()).map(|s| [s, s]),
    })
}

fn prepare(c: &Value) -> kiln::Result<IntegerLookup> {
    let mut l = IntegerLookup::new(options(&c["kwargs"])?)?;
    if let Some(a) = c.get("adapt").filter(|a| !a.is_null()) {
        l.adapt(&tensor(a, false))?;
    }
    Ok(l)
}

#[test]
fn integer_lookup_layer_matches_keras() {
    let f = fixture("lookup.json");
    let (mut calls, mut errors) = (0, 0);
    for c in f["lookup"].as_array().unwrap() {
        if c["layer"] != "IntegerLookup" || c.get("vocab_file").is_some() {
            continue;
        }
        let name = c["name"].as_str().unwrap();
        let built = prepare(c);
        if let Some(e) = c.get("error") {
            assert!(built.is_err(), "{name}: Keras raised {e}");
            errors += 1;
            continue;
        }
        let l = LayerRef::new(built.unwrap_or_else(|e| panic!("{name}: {e}")));
        // A rebuilt layer (config with the vocabulary list) must agree; adapted layers keep
        // their vocabulary in Keras's assets, so only fixed-vocabulary configs rebuild.
        let rebuilt = c["kwargs"].get("vocabulary").map(|_| {
            from_config("IntegerLookup", &l.get_config())
                .unwrap_or_else(|e| panic!("{name}: from_config: {e}"))
        });
        for cl in c["calls"].as_array().unwrap() {
            let x = tensor(&cl["input"], false);
            let r = l.call(&x);
            if let Some(e) = cl.get("error") {
                assert!(r.is_err(), "{name}: Keras raised {e}");
                errors += 1;
                continue;
            }
            check(name, &r.unwrap_or_else(|e| panic!("{name}: {e}")), cl);
            if let Some(rb) = &rebuilt {
                check(name, &rb.call(&x).unwrap(), cl);
            }
            calls += 1;
        }
        for (k, v) in l.get_config().as_object().unwrap() {
            if let Some(want) = c["config"].get(k) {
                let same = v == want
                    || (v.is_array()
                        && v.as_array()
                            .unwrap()
                            .iter()
                            .zip(want.as_array().unwrap())
                            .all(|(a, b)| {
                                (a.as_f64().unwrap() - b.as_f64().unwrap()).abs() < 1e-6
                            }));
                assert!(same, "{name}: config {k}: kiln {v} vs Keras {want}");
            }
        }
    }
    assert_eq!((calls, errors), (50, 8));
}

#[test]
fn integer_lookup_feeds_an_embedding_in_a_model() {
    let lookup = IntegerLookup::new(IntegerLookupOptions {
        vocabulary: Some(Vocabulary::Tokens(vec![12, 36, 1138, 42])),
        ..Default::default()
    })
    .unwrap();
    let mut model = Model::sequential(vec![lookup.into(), Embedding::new(5, 3).into()]).unwrap();
    let x = Tensor::from_vec(vec![12i64, 1138, 42, 7], &[2, 2]).unwrap();
    let y = model.predict(x, PredictArgs::new().verbose(0)).unwrap();
    assert_eq!(y.shape(), &[2, 2, 3]);
    // Unknown 7 -> OOV row 0 of the embedding; 12 -> row 1.
    let table = model.layers()[1].get_weights()[0].to_vec::<f32>().unwrap();
    let out = y.to_vec::<f32>().unwrap();
    assert_eq!(&out[..3], &table[3..6]);
    assert_eq!(&out[9..12], &table[..3]);
}
