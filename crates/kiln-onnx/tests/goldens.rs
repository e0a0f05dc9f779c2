//! Committed goldens: kiln's exported files against onnxruntime's outputs
//! (tools/golden/onnx_check_kiln_exports.py), and torch.onnx files imported into kiln
//! against onnxruntime's outputs (tools/golden/onnx_torch_import.py).

mod models;

use std::path::PathBuf;

use kiln::{DType, Tensor};
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn tensor(v: &Value) -> Tensor {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data: Vec<f64> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_f64().unwrap())
        .collect();
    let t = Tensor::from_vec(data, &shape).unwrap();
    match v["dtype"].as_str() {
        Some("I32") => t.cast(DType::I32).unwrap(),
        Some("I64") => t.cast(DType::I64).unwrap(),
        _ => t.cast(DType::F32).unwrap(),
    }
}

fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
    assert_eq!(a.shape(), b.shape());
    let a = a.cast(DType::F32).unwrap().to_vec::<f32>().unwrap();
    let b = b.cast(DType::F32).unwrap().to_vec::<f32>().unwrap();
    a.iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn read(p: PathBuf) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
    )
    .unwrap()
}

#[test]
fn kiln_exports_match_onnxruntime_outputs() {
    let dir = fixtures().join("export");
    for (name, model, inputs) in models::all().unwrap() {
        let ort = read(dir.join(format!("{name}.ort.json")));
        let want = tensor(&ort["outputs"][0]);
        // The same seeded model predicts what onnxruntime computed from the committed file.
        let ours = model.call_multi(&inputs, false).unwrap();
        assert!(
            max_diff(&ours[0], &want) <= 1e-5,
            "{name}: kiln model vs onnxruntime"
        );
        // And kiln's import of the committed file agrees too.
        let g = kiln_onnx::load(dir.join(format!("{name}.onnx"))).unwrap();
        let got = g.run(&inputs).unwrap();
        assert!(
            max_diff(&got[0], &want) <= 1e-5,
            "{name}: imported file vs onnxruntime"
        );
    }
}

#[test]
fn torch_onnx_files_import_and_match_onnxruntime() {
    for name in ["torch_mlp", "torch_cnn"] {
        let dir = fixtures().join("torch");
        let j = read(dir.join(format!("{name}.json")));
        let x = tensor(&j["inputs"][0]);
        let want = tensor(&j["ort_outputs"][0]);
        let g = kiln_onnx::load(dir.join(format!("{name}.onnx"))).unwrap();
        let got = g.run(&[x]).unwrap();
        let d = max_diff(&got[0], &want);
        assert!(d <= 1e-5, "{name}: max |diff| {d}");
    }
}
