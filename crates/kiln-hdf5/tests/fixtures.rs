//! Reads the h5py-written fixtures in `tools/golden/fixtures/hdf5/` (made by
//! `tools/golden/gen_hdf5.py`) and compares every group, dataset and
//! attribute with what h5py recorded in `manifest.json`.

use std::path::PathBuf;

use kiln_hdf5::{AttrValue, DType, File, Node};
use serde_json::Value;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/golden/fixtures/hdf5")
}

fn manifest() -> Value {
    let text = std::fs::read_to_string(fixture_dir().join("manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn dtype_name(d: DType) -> String {
    match d {
        DType::I8 => "i8".into(),
        DType::I16 => "i16".into(),
        DType::I32 => "i32".into(),
        DType::I64 => "i64".into(),
        DType::U8 => "u8".into(),
        DType::U16 => "u16".into(),
        DType::U32 => "u32".into(),
        DType::U64 => "u64".into(),
        DType::F16 => "f16".into(),
        DType::F32 => "f32".into(),
        DType::F64 => "f64".into(),
        DType::Bool => "bool".into(),
        DType::FixedString(n) => format!("fixed_string({n})"),
        DType::VarString => "var_string".into(),
    }
}

fn num(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap(),
        Value::String(s) if s == "nan" => f64::NAN,
        Value::String(s) if s == "inf" => f64::INFINITY,
        Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
        v => panic!("not a number: {v}"),
    }
}

/// Equal up to serde_json's float parsing (which may be 1 ulp off the
/// shortest round-trip repr Python writes).
fn same_f64(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-15 * a.abs().max(b.abs())
}

fn check_attr(ctx: &str, got: &AttrValue, want: &Value) {
    let shape = want["shape"].as_array().unwrap();
    let value = &want["value"];
    let scalar = shape.is_empty();
    match got {
        AttrValue::String(s) => {
            assert!(scalar, "{ctx}");
            assert_eq!(value.as_str().unwrap(), s, "{ctx}");
        }
        AttrValue::Strings(v) => {
            let w: Vec<&str> = value
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap())
                .collect();
            assert_eq!(w, *v, "{ctx}");
        }
        AttrValue::Int(i) => assert_eq!(value.as_i64().unwrap(), *i, "{ctx}"),
        AttrValue::Ints(v) => {
            let w: Vec<i64> = value
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_i64().unwrap())
                .collect();
            assert_eq!(w, *v, "{ctx}");
        }
        AttrValue::Float(f) => assert!(same_f64(num(value), *f), "{ctx}: {f} vs {value}"),
        AttrValue::Floats(v) => {
            let w: Vec<f64> = value.as_array().unwrap().iter().map(num).collect();
            assert_eq!(w.len(), v.len(), "{ctx}");
            for (a, b) in w.iter().zip(v) {
                assert!(same_f64(*a, *b), "{ctx}: {a} vs {b}");
            }
        }
        AttrValue::Bool(b) => assert_eq!(value.as_i64().unwrap(), i64::from(*b), "{ctx}"),
        AttrValue::Bools(v) => {
            let w: Vec<bool> = value
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_i64().unwrap() != 0)
                .collect();
            assert_eq!(w, *v, "{ctx}");
        }
        AttrValue::Empty => panic!("{ctx}: unexpected empty attribute"),
    }
}

type AttrReader = Box<dyn Fn(&str) -> kiln_hdf5::Result<AttrValue>>;

fn check_file(name: &str, objs: &serde_json::Map<String, Value>) -> usize {
    let f = File::open(fixture_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let root = f.root();
    let mut checked = 0;
    for (path, want) in objs {
        let ctx = format!("{name}:{path}");
        let node = root.get(path).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        let want_attrs = want["attrs"].as_object().unwrap();
        let (attr_names, attr): (Vec<String>, AttrReader) = match &node {
            Node::Group(g) => {
                assert_eq!(want["kind"], "group", "{ctx}");
                let members: Vec<String> = want["members"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m.as_str().unwrap().to_string())
                    .collect();
                assert_eq!(
                    g.member_names().unwrap_or_else(|e| panic!("{ctx}: {e}")),
                    members,
                    "{ctx}"
                );
                let g2 = g.clone();
                (
                    g.attr_names().unwrap_or_else(|e| panic!("{ctx}: {e}")),
                    Box::new(move |n| g2.attr(n)),
                )
            }
            Node::Dataset(d) => {
                assert_eq!(want["kind"], "dataset", "{ctx}");
                let shape: Vec<usize> = want["shape"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_u64().unwrap() as usize)
                    .collect();
                assert_eq!(d.shape(), shape.as_slice(), "{ctx}");
                assert_eq!(
                    dtype_name(d.dtype()),
                    want["dtype"].as_str().unwrap(),
                    "{ctx}"
                );
                let values = match &want["values"] {
                    Value::Array(a) => a.clone(),
                    v => vec![v.clone()],
                };
                let dt = d.dtype();
                if dt.is_string() {
                    let got = d.read_strings().unwrap_or_else(|e| panic!("{ctx}: {e}"));
                    let w: Vec<&str> = values.iter().map(|x| x.as_str().unwrap()).collect();
                    assert_eq!(got, w, "{ctx}");
                } else if dt.is_integer() {
                    if dt == DType::U64 {
                        let got = d.read_f64().unwrap();
                        let w: Vec<f64> = values.iter().map(num).collect();
                        assert_eq!(got, w, "{ctx}");
                        let raw = d.read_raw().unwrap();
                        let w: Vec<u64> = values.iter().map(|x| x.as_u64().unwrap()).collect();
                        let got: Vec<u64> = raw
                            .chunks_exact(8)
                            .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
                            .collect();
                        assert_eq!(got, w, "{ctx}");
                    } else {
                        let got = d.read_i64().unwrap_or_else(|e| panic!("{ctx}: {e}"));
                        let w: Vec<i64> = values.iter().map(|x| x.as_i64().unwrap()).collect();
                        assert_eq!(got, w, "{ctx}");
                    }
                } else {
                    let got = d.read_f64().unwrap_or_else(|e| panic!("{ctx}: {e}"));
                    let w: Vec<f64> = values.iter().map(num).collect();
                    assert_eq!(got.len(), w.len(), "{ctx}");
                    for (a, b) in got.iter().zip(&w) {
                        assert!(same_f64(*a, *b), "{ctx}: {a} vs {b}");
                    }
                    if dt == DType::F32 {
                        let f = d.read_f32().unwrap();
                        assert_eq!(f.len(), w.len());
                    }
                }
                let d2 = d.clone();
                (
                    d.attr_names().unwrap_or_else(|e| panic!("{ctx}: {e}")),
                    Box::new(move |n| d2.attr(n)),
                )
            }
        };
        let want_names: Vec<&String> = want_attrs.keys().collect();
        assert_eq!(
            attr_names.iter().collect::<Vec<_>>(),
            want_names,
            "{ctx}: attribute names"
        );
        for (an, av) in want_attrs {
            let got = attr(an).unwrap_or_else(|e| panic!("{ctx} attr {an}: {e}"));
            check_attr(&format!("{ctx} attr {an}"), &got, av);
        }
        checked += 1;
    }
    checked
}

fn run(name: &str) {
    let m = manifest();
    let objs = m["files"][name]
        .as_object()
        .unwrap_or_else(|| panic!("{name} not in manifest"));
    let n = check_file(name, objs);
    assert_eq!(n, objs.len());
}

#[test]
fn basic_earliest() {
    run("basic_earliest.h5");
}

#[test]
fn basic_latest() {
    run("basic_latest.h5");
}

#[test]
fn chunked_earliest() {
    run("chunked_earliest.h5");
}

#[test]
fn chunked_latest() {
    run("chunked_latest.h5");
}

#[test]
fn many_earliest() {
    run("many_earliest.h5");
}

#[test]
fn many_latest() {
    run("many_latest.h5");
}

#[test]
fn keras_weights_h5() {
    run("tiny.weights.h5");
    let f = File::open(fixture_dir().join("tiny.weights.h5")).unwrap();
    let k = f.root().dataset("layers/dense/vars/0").unwrap();
    assert_eq!(k.shape(), &[4, 3]);
    assert_eq!(k.dtype(), DType::F32);
    assert_eq!(k.read_f32().unwrap().len(), 12);
    assert_eq!(
        f.root().dataset("layers/dense/vars/1").unwrap().shape(),
        &[3]
    );
}

#[test]
fn keras_legacy_h5() {
    run("tiny_legacy.h5");
    let f = File::open(fixture_dir().join("tiny_legacy.h5")).unwrap();
    let root = f.root();
    let cfg = root.attr("model_config").unwrap();
    let cfg: Value = serde_json::from_str(cfg.as_str().unwrap()).unwrap();
    assert_eq!(cfg["class_name"], "Sequential");
    assert_eq!(root.attr("backend").unwrap().as_str(), Some("tensorflow"));
    let mw = root.group("model_weights").unwrap();
    assert_eq!(
        mw.attr("layer_names").unwrap().as_strings().unwrap(),
        vec!["dense"]
    );
    let dense = mw.group("dense").unwrap();
    let names = dense.attr("weight_names").unwrap();
    assert_eq!(
        names.as_strings().unwrap(),
        vec!["sequential/dense/kernel", "sequential/dense/bias"]
    );
    let kernel = mw.dataset("dense/sequential/dense/kernel").unwrap();
    assert_eq!(kernel.shape(), &[4, 3]);
    assert_eq!(
        mw.dataset("dense/sequential/dense/bias")
            .unwrap()
            .read_f32()
            .unwrap(),
        vec![0.0; 3]
    );
}
