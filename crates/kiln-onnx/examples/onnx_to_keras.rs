//! Imports an ONNX MLP as a kiln model ([`kiln_onnx::load_model`]), fine-tunes it for one
//! epoch and saves `.keras` plus kiln's predictions, for Keras 3 to check:
//!
//! `cargo run -p kiln-onnx --example onnx_to_keras -- /tmp/kiln_onnx_keras`
//! then `~/peers/bin/python tools/golden/onnx_check_imported_keras.py /tmp/kiln_onnx_keras`.
use kiln::models::{CompileArgs, FitArgs};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "/tmp/kiln_onnx_keras".into()),
    );
    std::fs::create_dir_all(&out)?;
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/torch/torch_mlp.onnx");
    let mut model = match kiln_onnx::load_model(&src)? {
        kiln_onnx::Imported::Model(m) => *m,
        kiln_onnx::Imported::Graph { reason, .. } => return Err(reason.into()),
    };
    kiln::utils::set_random_seed(3);
    let x = kiln_tensor::random::uniform(&[16, 8], -1.0, 1.0, kiln::DType::F32)?;
    let y = kiln_tensor::random::uniform(&[16, 4], 0.0, 1.0, kiln::DType::F32)?;
    model.compile(CompileArgs::new().optimizer("sgd").loss("mse"))?;
    model.fit(&x, &y, FitArgs::new().epochs(1).verbose(0))?;
    model.save(out.join("torch_mlp.keras"))?;
    let p = model.call(&x)?;
    let j = serde_json::json!({
        "x": {"shape": x.shape(), "data": x.to_vec::<f32>()?},
        "kiln_predictions": {"shape": p.shape(), "data": p.to_vec::<f32>()?},
    });
    std::fs::write(out.join("torch_mlp.pred.json"), j.to_string())?;
    println!("wrote {}", out.display());
    Ok(())
}
