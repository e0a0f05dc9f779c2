//! Hashing, StringLookup and IntegerLookup against Keras 3.15 / TF 2.21
//! (tools/golden/gen_lookup.py): FarmHash64 and SipHash-2-4 of byte strings of every
//! length branch, the layers' outputs in every mode, their vocabularies, idf weights,
//! configs, and an `Err` wherever Keras raises.

use kiln_data::text::{
    fingerprint64, to_hash_bucket_strong, Hashing, IntegerLookup, IntegerLookupOptions, MaskValue,
    OovMethod, StringLookup, StringLookupOptions, Vocabulary,
};
use kiln_tensor::Tensor;
use kiln_testing::fixture;
use serde_json::Value;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn fingerprint64_and_siphash_match_tf() {
    let f = fixture("lookup.json");
    let cases = f["fingerprint"].as_array().unwrap();
    assert_eq!(cases.len(), 137);
    for c in cases {
        let b = hex(c["hex"].as_str().unwrap());
        let want: u64 = c["fingerprint64"].as_str().unwrap().parse().unwrap();
        assert_eq!(fingerprint64(&b), want, "fingerprint64, length {}", b.len());
        for (key, vals) in c["strong"].as_object().unwrap() {
            let k: Vec<i64> = key.split('_').map(|x| x.parse().unwrap()).collect();
            let key = [k[0] as u64, k[1] as u64];
            for (m, v) in [i64::MAX as u64, 1_000_003, 7]
                .iter()
                .zip(vals.as_array().unwrap())
            {
                assert_eq!(
                    to_hash_bucket_strong(&b, *m, key) as i64,
                    v.as_i64().unwrap(),
                    "siphash, length {}, key {key:?}, buckets {m}",
                    b.len()
                );
            }
        }
    }
}

fn salt(v: &Value) -> Option<[i64; 2]> {
    match v {
        Value::Null => None,
        Value::Number(n) => Some([n.as_i64().unwrap(); 2]),
        Value::Array(a) => Some([a[0].as_i64().unwrap(), a[1].as_i64().unwrap()]),
        _ => panic!("salt {v}"),
    }
}

fn build_hashing(kw: &Value) -> kiln_data::Result<Hashing> {
    let mut h = Hashing::new(kw["num_bins"].as_i64().unwrap().max(0) as usize)?;
    if let Some(mode) = kw.get("output_mode").and_then(Value::as_str) {
        h = h.output_mode(mode)?;
    }
    h = h.sparse(kw.get("sparse").and_then(Value::as_bool).unwrap_or(false))?;
    match kw.get("salt") {
        None | Some(Value::Null) => {}
        Some(Value::Array(a)) if a.len() != 2 => {
            return Err(kiln_data::DataError::Invalid {
                api: "test",
                msg: "the Rust API takes salt as [i64; 2] (a 3-element salt is unrepresentable)"
                    .into(),
            })
        }
        Some(s) => h = h.salt(salt(s).unwrap()),
    }
    match kw.get("mask_value") {
        Some(Value::String(s)) => h = h.mask_value(MaskValue::Str(s.clone())),
        Some(Value::Number(n)) => h = h.mask_value(MaskValue::Int(n.as_i64().unwrap())),
        _ => {}
    }
    Ok(h)
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn rows_of_strs(v: &Value) -> Vec<Vec<String>> {
    v.as_array().unwrap().iter().map(strs).collect()
}

fn nested_f64(v: &Value, out: &mut Vec<f64>, shape: &mut Vec<usize>, depth: usize) {
    match v {
        Value::Array(a) => {
            if shape.len() == depth {
                shape.push(a.len());
            }
            for x in a {
                nested_f64(x, out, shape, depth + 1);
            }
        }
        x => out.push(x.as_f64().unwrap()),
    }
}

fn num_tensor(v: &Value, float: bool) -> Tensor {
    let (mut data, mut shape) = (Vec::new(), Vec::new());
    nested_f64(v, &mut data, &mut shape, 0);
    if float {
        Tensor::from_vec(data.iter().map(|&x| x as f32).collect(), &shape).unwrap()
    } else {
        Tensor::from_vec(data.iter().map(|&x| x as i64).collect(), &shape).unwrap()
    }
}

/// Compares a tensor with a fixture output: same shape, dtype family and values
/// (integers exactly, floats to 1e-5 relative).
fn check_tensor(name: &str, y: &Tensor, want: &Value) {
    let shape: Vec<usize> = want["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(y.shape(), &shape[..], "{name}: shape");
    let data = want["data"].as_array().unwrap();
    match want["dtype"].as_str().unwrap() {
        "int64" => {
            let got = y.to_vec::<i64>().unwrap_or_else(|e| panic!("{name}: {e}"));
            let w: Vec<i64> = data.iter().map(|v| v.as_i64().unwrap()).collect();
            assert_eq!(got, w, "{name}: values");
        }
        "float32" => {
            let got = y.to_vec::<f32>().unwrap_or_else(|e| panic!("{name}: {e}"));
            for (i, (g, w)) in got.iter().zip(data).enumerate() {
                let w = w.as_f64().unwrap() as f32;
                assert!(
                    (g - w).abs() <= 1e-5 * w.abs().max(1.0),
                    "{name}[{i}]: {g} vs {w}"
                );
            }
            assert_eq!(got.len(), data.len(), "{name}: size");
        }
        d => panic!("{name}: dtype {d}"),
    }
}

#[test]
fn hashing_matches_keras() {
    let f = fixture("lookup.json");
    let cases = f["hashing"].as_array().unwrap();
    assert_eq!(cases.len(), 31);
    let mut errors = 0;
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let built = build_hashing(&c["kwargs"]);
        let run = |h: &Hashing| -> kiln_data::Result<Tensor> {
            let x = &c["input"];
            match c["kind"].as_str().unwrap() {
                "str" if x[0].is_array() => h.call_str_2d(&rows_of_strs(x)),
                "str" => h.call_str(&strs(x)),
                "int" => h.call(&num_tensor(x, false)),
                _ => h.call(&num_tensor(x, true)),
            }
        };
        if let Some(err) = c.get("error") {
            assert!(
                built.and_then(|h| run(&h)).is_err(),
                "{name}: Keras raised {err}, kiln did not"
            );
            errors += 1;
            continue;
        }
        let h = built.unwrap_or_else(|e| panic!("{name}: {e}"));
        let y = run(&h).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_tensor(name, &y, &c["output"]);
    }
    assert_eq!(errors, 4);
}

enum Layer {
    S(StringLookup),
    I(IntegerLookup),
}

fn opt_usize(v: Option<&Value>) -> Option<usize> {
    v.and_then(Value::as_u64).map(|x| x as usize)
}

fn build_lookup(c: &Value, file: Option<&std::path::Path>) -> kiln_data::Result<Layer> {
    let kw = &c["kwargs"];
    let get = |k: &str| kw.get(k);
    let idf = get("idf_weights").map(|v| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect::<Vec<f32>>()
    });
    let mode = get("output_mode")
        .and_then(Value::as_str)
        .unwrap_or("int")
        .to_string();
    let num_oov = get("num_oov_indices").and_then(Value::as_i64).unwrap_or(1);
    let invert = get("invert").and_then(Value::as_bool).unwrap_or(false);
    let pad = get("pad_to_max_tokens")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let sparse = get("sparse").and_then(Value::as_bool).unwrap_or(false);
    let max_tokens = opt_usize(get("max_tokens"));
    let salt = get("salt").map(salt).unwrap_or(None);
    if let Some(Value::Array(a)) = get("salt")
        && a.len() != 2
    {
        return Err(kiln_data::DataError::Invalid {
            api: "test",
            msg: "the Rust API takes salt as [i64; 2]".into(),
        });
    }
    if c["layer"] == "StringLookup" {
        let vocabulary = match (file, get("vocabulary")) {
            (Some(p), _) => Some(Vocabulary::File(p.to_path_buf())),
            (None, Some(Value::String(p))) => Some(Vocabulary::File(p.into())),
            (None, Some(v)) => Some(Vocabulary::Tokens(strs(v))),
            (None, None) => None,
        };
        let d = StringLookupOptions::default();
        Ok(Layer::S(StringLookup::new(StringLookupOptions {
            max_tokens,
            num_oov_indices: num_oov,
            mask_token: get("mask_token").and_then(Value::as_str).map(String::from),
            oov_token: get("oov_token")
                .and_then(Value::as_str)
                .map(String::from)
                .unwrap_or(d.oov_token),
            vocabulary,
            idf_weights: idf,
            invert,
            output_mode: mode,
            pad_to_max_tokens: pad,
            sparse,
            encoding: d.encoding,
            salt,
        })?))
    } else {
        let vocabulary = match (file, get("vocabulary")) {
            (Some(p), _) => Some(Vocabulary::File(p.to_path_buf())),
            (None, Some(v)) => Some(Vocabulary::Tokens(
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_i64().unwrap())
                    .collect(),
            )),
            (None, None) => None,
        };
        let d = IntegerLookupOptions::default();
        Ok(Layer::I(IntegerLookup::new(IntegerLookupOptions {
            max_tokens,
            num_oov_indices: num_oov,
            mask_token: get("mask_token").and_then(Value::as_i64),
            oov_token: get("oov_token").and_then(Value::as_i64).unwrap_or(-1),
            vocabulary,
            vocabulary_dtype: get("vocabulary_dtype")
                .and_then(Value::as_str)
                .map(String::from)
                .unwrap_or(d.vocabulary_dtype),
            idf_weights: idf,
            invert,
            output_mode: mode,
            sparse,
            pad_to_max_tokens: pad,
            oov_method: OovMethod::parse(
                get("oov_method")
                    .and_then(Value::as_str)
                    .unwrap_or("floormod"),
            )?,
            salt,
        })?))
    }
}

fn is_ragged(v: &Value) -> bool {
    let a = v.as_array().unwrap();
    a.iter()
        .any(|r| r.as_array().unwrap().len() != a[0].as_array().unwrap().len())
}

fn adapt(l: &mut Layer, data: &Value) -> kiln_data::Result<()> {
    match l {
        Layer::S(s) if data[0].is_array() => s.adapt_2d(&rows_of_strs(data)),
        Layer::S(s) => s.adapt(&strs(data)),
        Layer::I(i) => i.adapt(&num_tensor(data, false)),
    }
}

fn set_vocab(l: &mut Layer, sv: &Value) -> kiln_data::Result<()> {
    let idf: Option<Vec<f32>> = sv.get("idf_weights").map(|v| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect()
    });
    match l {
        Layer::S(s) => s.set_vocabulary(&strs(&sv["vocabulary"]), idf.as_deref()),
        Layer::I(i) => {
            let v: Vec<i64> = sv["vocabulary"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_i64().unwrap())
                .collect();
            i.set_vocabulary(&v, idf.as_deref())
        }
    }
}

/// Calls the layer on one fixture input; `Ok(Err(..))` when the call itself fails.
fn call(name: &str, l: &Layer, call: &Value) -> kiln_data::Result<()> {
    let x = &call["input"];
    match l {
        Layer::S(s) if s.get_config()["invert"] == true => {
            let got: Vec<String> = match x {
                Value::Number(n) => s.call_invert(&[n.as_i64().unwrap()])?,
                Value::Array(a) if a.first().is_some_and(Value::is_array) => s
                    .call_invert_2d(
                        &a.iter()
                            .map(|r| {
                                r.as_array()
                                    .unwrap()
                                    .iter()
                                    .map(|v| v.as_i64().unwrap())
                                    .collect()
                            })
                            .collect::<Vec<Vec<i64>>>(),
                    )?
                    .concat(),
                Value::Array(a) => {
                    s.call_invert(&a.iter().map(|v| v.as_i64().unwrap()).collect::<Vec<_>>())?
                }
                _ => panic!("{name}: input {x}"),
            };
            assert_eq!(got, strs(&call["data"]), "{name}: inverted tokens");
            Ok(())
        }
        Layer::S(s) => {
            if let Some(r) = call.get("ragged") {
                let got = s.call_ragged(&rows_of_strs(x))?;
                let want: Vec<Vec<i64>> = r
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|row| {
                        row.as_array()
                            .unwrap()
                            .iter()
                            .map(|v| v.as_i64().unwrap())
                            .collect()
                    })
                    .collect();
                assert_eq!(got, want, "{name}: ragged");
                return Ok(());
            }
            let y = match x {
                Value::String(t) => s.call_scalar(t)?,
                Value::Array(a) if a.first().is_some_and(Value::is_array) => {
                    s.call_2d(&rows_of_strs(x))?
                }
                _ => s.call(&strs(x))?,
            };
            if call.get("error").is_none() {
                check_tensor(name, &y, call);
            }
            Ok(())
        }
        Layer::I(i) => {
            let y = i.call(&num_tensor(x, false))?;
            check_tensor(name, &y, call);
            Ok(())
        }
    }
}

/// Builds the layer and applies the case's set_vocabulary / adapt steps in Keras's order.
fn prepare(c: &Value, file: Option<&std::path::Path>) -> kiln_data::Result<Layer> {
    let mut l = build_lookup(c, file)?;
    if let Some(sv) = c.get("set_vocabulary") {
        set_vocab(&mut l, sv)?;
    }
    if let Some(a) = c.get("adapt").filter(|a| !a.is_null()) {
        if c.get("ragged_adapt").is_some() || (a[0].is_array() && is_ragged(a)) {
            match &mut l {
                Layer::S(s) => s.adapt_2d(&rows_of_strs(a))?,
                Layer::I(_) => unreachable!(),
            }
        } else {
            adapt(&mut l, a)?;
        }
    }
    if let Some(a) = c.get("adapt2") {
        adapt(&mut l, a)?;
    }
    if let Some(sv) = c.get("set_vocabulary2") {
        set_vocab(&mut l, sv)?;
    }
    Ok(l)
}

#[test]
fn lookups_match_keras() {
    let f = fixture("lookup.json");
    let cases = f["lookup"].as_array().unwrap();
    assert_eq!(cases.len(), 106);
    let dir = std::env::temp_dir().join(format!("kiln_golden_lookup_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (mut checked_calls, mut checked_errors) = (0, 0);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let file = c.get("vocab_file").map(|lines| {
            let p = dir.join(format!("{name}.txt"));
            std::fs::write(&p, lines.as_str().unwrap()).unwrap();
            p
        });
        let result = prepare(c, file.as_deref());
        if let Some(err) = c.get("error") {
            if let Err(e) = &result {
                eprintln!("{name}: kiln: {e}\n    keras: {err}");
            }
            assert!(
                result.is_err(),
                "{name}: Keras raised at {} ({err}), kiln did not",
                c["error_stage"]
            );
            checked_errors += 1;
            continue;
        }
        let l = result.unwrap_or_else(|e| panic!("{name}: {e}"));
        let (vocab, no_special, size, idf, config) = match &l {
            Layer::S(s) => (
                serde_json::json!(s.get_vocabulary(true)),
                serde_json::json!(s.get_vocabulary(false)),
                s.vocabulary_size(),
                s.idf_weights().map(<[f32]>::to_vec),
                s.get_config(),
            ),
            Layer::I(i) => (
                serde_json::json!(i.get_vocabulary(true)),
                serde_json::json!(i.get_vocabulary(false)),
                i.vocabulary_size(),
                i.idf_weights().map(<[f32]>::to_vec),
                i.get_config(),
            ),
        };
        assert_eq!(vocab, c["vocabulary"], "{name}: vocabulary");
        assert_eq!(no_special, c["vocabulary_no_special"], "{name}: no special");
        assert_eq!(
            size as u64,
            c["vocabulary_size"].as_u64().unwrap(),
            "{name}"
        );
        if let Some(w) = c.get("idf_weights") {
            let got = idf.unwrap_or_else(|| panic!("{name}: no idf weights"));
            let w: Vec<f64> = w
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            assert_eq!(got.len(), w.len(), "{name}: idf length");
            for (g, w) in got.iter().zip(&w) {
                assert!(
                    ((*g as f64) - w).abs() <= 1e-5 * w.abs().max(1.0),
                    "{name}: idf {g} vs {w}"
                );
            }
        }
        for (k, v) in config.as_object().unwrap() {
            let want = &c["config"][k];
            let same = match (v, want) {
                (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
                    a.iter().zip(b).all(|(x, y)| {
                        x == y
                            || (x.as_f64().unwrap_or(f64::NAN) - y.as_f64().unwrap_or(0.0)).abs()
                                < 1e-6
                    })
                }
                _ => v == want,
            };
            assert!(same, "{name}: config {k}: kiln {v} vs Keras {want}");
        }
        for cl in c["calls"].as_array().unwrap() {
            let r = call(name, &l, cl);
            match cl.get("error") {
                Some(e) => {
                    if let Err(k) = &r {
                        eprintln!("{name} (call): kiln: {k}\n    keras: {e}");
                    }
                    assert!(r.is_err(), "{name}: Keras raised {e} on {}", cl["input"]);
                    checked_errors += 1;
                }
                None => {
                    r.unwrap_or_else(|e| panic!("{name}: {e} on {}", cl["input"]));
                    checked_calls += 1;
                }
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!((checked_calls, checked_errors), (159, 37), "counts");
}
