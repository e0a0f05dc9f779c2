//! Writes each test model as `.keras` and as `.tflite` in every conversion mode, plus
//! its inputs and kiln's float predictions (JSON), into
//! `crates/kiln-lite/tests/fixtures/tflite/`, for `tools/golden/check_tflite.py` (the
//! TFLite interpreter and `tf.lite.TFLiteConverter`).
//!
//! `cargo run --release -p kiln-lite --example write_tflite_fixtures [-- --apps]`
#[path = "../tests/models.rs"]
mod models;

use kiln_lite::tflite::{Optimize, TensorType, TfLiteConverter};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tflite");
    std::fs::create_dir_all(&dir)?;
    let mut list = vec![
        ("tiny", models::tiny()?, vec![8usize, 8, 3]),
        ("ops", models::ops()?, vec![8, 8, 3]),
        ("mlp", models::mlp()?, vec![28, 28]),
        ("cnn", models::cnn()?, vec![28, 28, 1]),
    ];
    if std::env::args().any(|a| a == "--apps") {
        list.push(("mobilenet_v2", models::mobilenet_v2()?, vec![96, 96, 3]));
    }
    for (name, model, shape) in list {
        model.save(dir.join(format!("{name}.keras")))?;
        let rep = models::representative(&shape, 16)?;
        let modes: Vec<(&str, TfLiteConverter)> = vec![
            ("f32", TfLiteConverter::from_keras_model(&model)),
            (
                "f16",
                TfLiteConverter::from_keras_model(&model)
                    .optimizations([Optimize::Default])
                    .supported_types([TensorType::Float16]),
            ),
            (
                "dynamic",
                TfLiteConverter::from_keras_model(&model).optimizations([Optimize::Default]),
            ),
            (
                "int8",
                TfLiteConverter::from_keras_model(&model)
                    .optimizations([Optimize::Default])
                    .representative_dataset(rep.clone()),
            ),
        ];
        let mut written = serde_json::Map::new();
        for (mode, conv) in modes {
            match conv.convert() {
                Ok(bytes) => {
                    let f = format!("{name}_{mode}.tflite");
                    kiln_lite::tflite::write_atomic(dir.join(&f), &bytes)?;
                    written.insert(mode.into(), f.into());
                }
                Err(e) => println!("{name} {mode}: {e}"),
            }
        }
        let mut full = vec![2];
        full.extend_from_slice(&shape);
        let x = models::ramp(&full, 7)?;
        let y = model.call(&x)?;
        let enc = |t: &kiln::Tensor| -> Result<serde_json::Value, Box<dyn std::error::Error>> {
            Ok(serde_json::json!({"shape": t.shape(), "data": t.to_vec::<f32>()?}))
        };
        let rep_j: Vec<_> = rep.iter().map(|s| enc(&s[0])).collect::<Result<_, _>>()?;
        let j = serde_json::json!({
            "files": written,
            "input": enc(&x)?,
            "kiln_float": enc(&y)?,
            "representative": rep_j,
        });
        std::fs::write(dir.join(format!("{name}.json")), serde_json::to_string(&j)?)?;
        println!("wrote {name}");
    }
    Ok(())
}
