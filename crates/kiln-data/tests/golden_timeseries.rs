//! timeseries_dataset_from_array against Keras 3.15 (tools/golden/gen_timeseries.py).

use kiln_data::dataset::{timeseries_dataset_from_array, Timeseries};
use kiln_tensor::Tensor;
use serde_json::Value;

fn flat(v: &Value, out: &mut Vec<f32>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| flat(x, out)),
        x => out.push(x.as_f64().unwrap() as f32),
    }
}

#[test]
fn windows_and_targets_match_keras() {
    let path = format!(
        "{}/../../tools/golden/fixtures/timeseries.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let root: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut d = Vec::new();
    flat(&root["data"], &mut d);
    let data = Tensor::from_vec(d, &[20, 2]).unwrap();
    let mut t = Vec::new();
    flat(&root["targets"], &mut t);
    let targets = Tensor::from_vec(t, &[20]).unwrap();
    for c in root["cases"].as_array().unwrap() {
        let cfg = &c["config"];
        let u = |k: &str| cfg.get(k).and_then(Value::as_u64).map(|v| v as usize);
        let mut o = Timeseries::new(u("sequence_length").unwrap());
        o.sequence_stride = u("sequence_stride").unwrap_or(1);
        o.sampling_rate = u("sampling_rate").unwrap_or(1);
        o.batch_size = match cfg.get("batch_size") {
            Some(Value::Null) => None,
            Some(v) => v.as_u64().map(|v| v as usize),
            None => Some(128),
        };
        o.start_index = u("start_index");
        o.end_index = u("end_index");
        let with_t = cfg.get("targets").and_then(Value::as_bool) == Some(true);
        let ds =
            timeseries_dataset_from_array(&data, if with_t { Some(&targets) } else { None }, &o)
                .unwrap();
        let got = ds.collect().unwrap();
        let want = c["batches"].as_array().unwrap();
        assert_eq!(got.len(), want.len(), "{cfg}: batches");
        for (g, w) in got.iter().zip(want) {
            let leaves = g.leaves();
            let mut wx = Vec::new();
            flat(&w["x"], &mut wx);
            assert_eq!(leaves[0].to_vec::<f32>().unwrap(), wx, "{cfg}: x");
            if with_t {
                let mut wy = Vec::new();
                flat(&w["y"], &mut wy);
                assert_eq!(leaves[1].to_vec::<f32>().unwrap(), wy, "{cfg}: y");
            }
        }
        assert_eq!(ds.cardinality().as_i64(), want.len() as i64);
    }
    assert!(timeseries_dataset_from_array(&data, None, &Timeseries::new(0)).is_err());
    let mut bad = Timeseries::new(3);
    bad.end_index = Some(30);
    assert!(timeseries_dataset_from_array(&data, None, &bad).is_err());
}
