//! Dataset.padded_batch, Dataset.window and utils::split_dataset against TF 2.21 /
//! Keras 3.15 (tools/golden/gen_dataset_ops.py). Outputs are exact (integers, or
//! float32 values copied or padded, never computed).

use kiln_data::dataset::{Dataset, Element};
use kiln_data::utils::{split_dataset, SplitSize};
use kiln_tensor::Tensor;
use kiln_testing::tensor;
use serde_json::Value;

fn root() -> Value {
    let path = format!(
        "{}/../../tools/golden/fixtures/dataset_ops.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn values(t: &Tensor) -> Vec<f64> {
    t.cast(kiln_tensor::DType::F64)
        .unwrap()
        .to_vec::<f64>()
        .unwrap()
}

#[test]
fn padded_batch_matches_tf() {
    let root = root();
    for c in root["padded_batch"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let is_tuple = c["tuple"].as_bool().unwrap();
        let elems: Vec<Element> = c["elements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let parts: Vec<Element> = e
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| tensor(t).into())
                    .collect();
                if is_tuple {
                    Element::Tuple(parts)
                } else {
                    parts.into_iter().next().unwrap()
                }
            })
            .collect();
        let ds = Dataset::from_generator(move || Box::new(elems.clone().into_iter().map(Ok)));
        let k = &c["kiln"];
        let shapes = k.get("padded_shapes").map(|s| {
            s.as_array()
                .unwrap()
                .iter()
                .map(|sh| {
                    sh.as_array()
                        .unwrap()
                        .iter()
                        .map(|d| d.as_u64().map(|d| d as usize))
                        .collect()
                })
                .collect()
        });
        let value = k.get("padding_values").and_then(Value::as_f64);
        let drop = k.get("drop_remainder").and_then(Value::as_bool) == Some(true);
        let got = ds
            .padded_batch(
                c["batch_size"].as_u64().unwrap() as usize,
                shapes,
                value,
                drop,
            )
            .unwrap()
            .collect()
            .unwrap();
        let want = c["batches"].as_array().unwrap();
        assert_eq!(got.len(), want.len(), "{name}: number of batches");
        for (g, w) in got.iter().zip(want) {
            let leaves = g.leaves();
            let w = w.as_array().unwrap();
            assert_eq!(leaves.len(), w.len(), "{name}: components");
            for (gl, wl) in leaves.iter().zip(w) {
                let wt = tensor(wl);
                assert_eq!(gl.shape(), wt.shape(), "{name}: shape");
                assert_eq!(gl.dtype(), wt.dtype(), "{name}: dtype");
                assert_eq!(values(gl), values(&wt), "{name}: values");
            }
        }
    }
}

#[test]
fn window_matches_tf() {
    let root = root();
    for c in root["window"].as_array().unwrap() {
        let u = |k: &str| c[k].as_u64().map(|v| v as usize);
        let ds = Dataset::range(0, u("n").unwrap() as i64, 1)
            .unwrap()
            .window(
                u("size").unwrap(),
                u("shift"),
                u("stride").unwrap(),
                c["drop"].as_bool().unwrap(),
            )
            .unwrap();
        let got: Vec<Vec<i64>> = ds
            .collect()
            .unwrap()
            .iter()
            .map(|e| e.as_tensor().unwrap().to_vec::<i64>().unwrap())
            .collect();
        let want: Vec<Vec<i64>> = serde_json::from_value(c["windows"].clone()).unwrap();
        assert_eq!(got, want, "{c}");
        assert_eq!(
            ds.cardinality().as_i64(),
            c["cardinality"].as_i64().unwrap(),
            "{c}"
        );
    }
}

fn size(v: &Value) -> Option<SplitSize> {
    match v {
        Value::Null => None,
        Value::Number(n) if n.is_u64() => Some(SplitSize::Count(n.as_u64().unwrap() as usize)),
        Value::Number(n) => Some(SplitSize::Fraction(n.as_f64().unwrap())),
        other => panic!("bad size {other}"),
    }
}

#[test]
fn split_dataset_matches_keras() {
    let root = root();
    for c in root["split"].as_array().unwrap() {
        let n = c["n"].as_u64().unwrap() as usize;
        let x = Tensor::from_vec((0..n as i64).collect(), &[n]).unwrap();
        let ds = Dataset::from_tensor_slices(x).unwrap();
        let got = split_dataset(
            &ds,
            size(&c["left"]),
            size(&c["right"]),
            c["shuffle"].as_bool().unwrap(),
            c["seed"].as_u64(),
        );
        if let Some(msg) = c.get("error") {
            let err = got.expect_err(&c.to_string()).to_string();
            assert!(err.contains(msg.as_str().unwrap()), "{c}: got {err}");
            continue;
        }
        let (l, r) = got.unwrap();
        let read = |d: &Dataset| -> Vec<i64> {
            d.collect()
                .unwrap()
                .iter()
                .map(|e| e.as_tensor().unwrap().item::<i64>().unwrap())
                .collect()
        };
        let wl: Vec<i64> = serde_json::from_value(c["left_out"].clone()).unwrap();
        let wr: Vec<i64> = serde_json::from_value(c["right_out"].clone()).unwrap();
        assert_eq!(read(&l), wl, "{c}: left");
        assert_eq!(read(&r), wr, "{c}: right");
    }
}
