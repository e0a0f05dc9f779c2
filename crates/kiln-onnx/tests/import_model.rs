//! `load_model`: an ONNX MLP from torch.onnx becomes a kiln model that predicts
//! onnxruntime's outputs, fine-tunes for one epoch and saves as `.keras` (which kiln
//! reloads here; `tools/golden/onnx_check_imported_keras.py` loads it in Keras 3); a CNN
//! is the graph runner, with the reason naming its first Conv.

use std::path::PathBuf;

use kiln::models::{CompileArgs, FitArgs};
use kiln_onnx::Imported;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/torch/{name}"))
}

fn tensor(v: &serde_json::Value) -> kiln::Tensor {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data: Vec<f32> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_f64().unwrap() as f32)
        .collect();
    kiln::Tensor::from_vec(data, &shape).unwrap()
}

fn max_diff(a: &kiln::Tensor, b: &kiln::Tensor) -> f32 {
    assert_eq!(a.shape(), b.shape());
    let (a, b) = (a.to_vec::<f32>().unwrap(), b.to_vec::<f32>().unwrap());
    a.iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn torch_mlp_imports_as_a_model_fits_and_saves_keras() {
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("torch_mlp.json")).unwrap()).unwrap();
    let x = tensor(&j["inputs"][0]);
    let want = tensor(&j["ort_outputs"][0]);
    let mut model = match kiln_onnx::load_model(fixture("torch_mlp.onnx")).unwrap() {
        Imported::Model(m) => *m,
        Imported::Graph { reason, .. } => panic!("expected a model: {reason}"),
    };
    let d = max_diff(&model.call(&x).unwrap(), &want);
    assert!(d <= 1e-5, "imported model vs onnxruntime: {d}");
    model
        .compile(CompileArgs::new().optimizer("sgd").loss("mse"))
        .unwrap();
    let before = model.get_weights();
    let target = want.mul_scalar(0.5).unwrap().add_scalar(0.1).unwrap();
    let h = model
        .fit(&x, &target, FitArgs::new().epochs(1).verbose(0))
        .unwrap();
    assert_eq!(h.get("loss").len(), 1);
    assert!(h.get("loss")[0].is_finite());
    let moved = before
        .iter()
        .zip(model.get_weights())
        .any(|(a, b)| max_diff(a, &b) > 0.0);
    assert!(moved, "one epoch of SGD changes the weights");
    let dir = std::env::temp_dir().join(format!("kiln_onnx_keras_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("torch_mlp.keras");
    model.save(&path).unwrap();
    let back = kiln::saving::load_model(&path).unwrap();
    let d = max_diff(&back.call(&x).unwrap(), &model.call(&x).unwrap());
    assert!(d <= 1e-6, "reloaded .keras: {d}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn torch_cnn_falls_back_to_the_runner_naming_the_conv() {
    match kiln_onnx::load_model(fixture("torch_cnn.onnx")).unwrap() {
        Imported::Model(_) => panic!("a CNN does not map to Dense layers"),
        Imported::Graph { graph, reason } => {
            assert!(reason.contains("Conv"), "{reason}");
            assert_eq!(graph.input_names().len(), 1);
        }
    }
}
