//! Writes every test model as `.onnx` plus its inputs and kiln's outputs (JSON) into
//! `crates/kiln-onnx/tests/fixtures/export/`, for `tools/golden/onnx_check_kiln_exports.py`
//! (onnx.checker full_check + onnxruntime).
//!
//! `cargo run -p kiln-onnx --example write_export_fixtures [-- --apps]`
#[path = "../tests/models.rs"]
mod models;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/export");
    std::fs::create_dir_all(&dir)?;
    // ResNet50 and MobileNetV2 only with `--apps` (their .onnx files are git-ignored).
    let mut list = models::all()?;
    if std::env::args().any(|a| a == "--apps") {
        list.extend(models::applications()?);
    }
    for (name, model, inputs) in list {
        kiln_onnx::export(
            &model,
            dir.join(format!("{name}.onnx")),
            kiln_onnx::DEFAULT_OPSET,
        )?;
        let outs = model.call_multi(&inputs, false)?;
        let enc = |t: &kiln::Tensor| -> Result<serde_json::Value, Box<dyn std::error::Error>> {
            let data: Vec<f64> = t.cast(kiln::DType::F64)?.to_vec::<f64>()?;
            Ok(
                serde_json::json!({"shape": t.shape(), "dtype": format!("{:?}", t.dtype()), "data": data}),
            )
        };
        let j = serde_json::json!({
            "inputs": inputs.iter().map(enc).collect::<Result<Vec<_>, _>>()?,
            "kiln_outputs": outs.iter().map(enc).collect::<Result<Vec<_>, _>>()?,
        });
        std::fs::write(dir.join(format!("{name}.json")), serde_json::to_string(&j)?)?;
        println!("wrote {name}");
    }
    Ok(())
}
