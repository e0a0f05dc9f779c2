//! kiln_data::utils against keras.utils (tools/golden/gen_data_utils.py).

use kiln_data::utils::{normalize, pad_sequences, to_categorical, PadSequences};
use kiln_tensor::{DType, Tensor};
use kiln_testing::fixture;
use serde_json::Value;

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

#[test]
fn pad_sequences_matches_keras() {
    let root = fixture("data_utils.json");
    let seqs: Vec<Vec<f64>> = root["sequences"]
        .as_array()
        .unwrap()
        .iter()
        .map(f64s)
        .collect();
    let cases = root["pad_sequences"].as_array().unwrap();
    assert_eq!(cases.len(), 32);
    for c in cases {
        let opts = PadSequences {
            maxlen: c["maxlen"].as_u64().map(|m| m as usize),
            dtype: DType::F64,
            padding: c["padding"].as_str().unwrap().into(),
            truncating: c["truncating"].as_str().unwrap().into(),
            value: c["value"].as_f64().unwrap(),
        };
        let t = pad_sequences(&seqs, &opts).unwrap();
        assert_eq!(t.shape(), &usizes(&c["shape"])[..], "{c}");
        assert_eq!(t.to_vec::<f64>().unwrap(), f64s(&c["data"]), "{c}");
    }
}

#[test]
fn to_categorical_and_normalize_match_keras() {
    let root = fixture("data_utils.json");
    for c in root["to_categorical"].as_array().unwrap() {
        let y = &c["y"];
        let (data, shape): (Vec<i64>, Vec<usize>) = match y.as_array().unwrap()[0] {
            Value::Array(_) => {
                let rows: Vec<Vec<i64>> = y
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| {
                        r.as_array()
                            .unwrap()
                            .iter()
                            .map(|v| v.as_i64().unwrap())
                            .collect()
                    })
                    .collect();
                let shape = vec![rows.len(), rows[0].len()];
                (rows.concat(), shape)
            }
            _ => {
                let v: Vec<i64> = y
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_i64().unwrap())
                    .collect();
                let n = v.len();
                (v, vec![n])
            }
        };
        let t = Tensor::from_vec(data, &shape).unwrap();
        let n = c["num_classes"].as_u64().map(|n| n as usize);
        let out = to_categorical(&t, n).unwrap();
        assert_eq!(out.shape(), &usizes(&c["shape"])[..], "{c}");
        let got: Vec<f64> = out.to_f64_vec();
        assert_eq!(got, f64s(&c["data"]), "{c}");
    }
    let x = Tensor::from_vec(
        f64s(&root["normalize_x"])
            .iter()
            .map(|&v| v as f32)
            .collect(),
        &[3, 3],
    )
    .unwrap();
    for c in root["normalize"].as_array().unwrap() {
        let out = normalize(
            &x,
            c["axis"].as_i64().unwrap() as isize,
            c["order"].as_u64().unwrap() as u32,
        )
        .unwrap();
        for (a, b) in out.to_f64_vec().iter().zip(f64s(&c["data"])) {
            assert!((a - b).abs() < 1e-6, "{c}: {a} vs {b}");
        }
    }
    assert!(to_categorical(&Tensor::from_vec(vec![-1i64], &[1]).unwrap(), None).is_err());
}
