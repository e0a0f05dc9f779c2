//! Helpers shared by the golden tests: fixture tensors from `tools/golden` JSON.
#![allow(dead_code)]

use kiln_tensor::Tensor;
use serde_json::Value;

/// A fixture tensor (`{"shape", "dtype", "data"}`): bool, int32/int64 (as i32) or
/// float (as f32).
pub fn tensor(v: &Value) -> Tensor {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data = v["data"].as_array().unwrap();
    match v["dtype"].as_str().unwrap() {
        "bool" => Tensor::from_vec(
            data.iter()
                .map(|x| x.as_bool().unwrap())
                .collect::<Vec<_>>(),
            &shape,
        )
        .unwrap(),
        "int32" | "int64" => Tensor::from_vec(
            data.iter()
                .map(|x| x.as_i64().unwrap() as i32)
                .collect::<Vec<_>>(),
            &shape,
        )
        .unwrap(),
        _ => Tensor::from_vec(
            data.iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect::<Vec<_>>(),
            &shape,
        )
        .unwrap(),
    }
}
