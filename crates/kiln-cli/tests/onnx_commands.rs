//! `kiln export MODEL.keras --format onnx` and `kiln predict MODEL.onnx`.

use std::process::Command;

use kiln::layers::Dense;
use kiln::models::Model;
use kiln_tensor::Tensor;

fn kiln(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn export_to_onnx_then_predict_the_onnx_file() {
    let dir = std::env::temp_dir().join(format!("kiln_cli_onnx_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = |n: &str| dir.join(n).to_string_lossy().to_string();
    kiln::utils::set_random_seed(3);
    let model = Model::sequential(vec![
        Dense::new(4).activation("relu").input_shape(&[3]).into(),
        Dense::new(2).activation("softmax").into(),
    ])
    .unwrap();
    kiln::saving::save_model(&model, p("m.keras")).unwrap();
    let x = Tensor::from_vec((0..15).map(|v| v as f32 / 7.0 - 1.0).collect(), &[5, 3]).unwrap();
    kiln_data::npz::write_npy(p("x.npy"), &x).unwrap();

    let (ok, out, err) = kiln(&[
        "export",
        &p("m.keras"),
        "--format",
        "onnx",
        "--opset",
        "18",
        "-o",
        &p("m.onnx"),
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("opset 18"), "{out}");
    assert_eq!(kiln_onnx::load(p("m.onnx")).unwrap().opset(), 18);

    // Batches of 2 over 5 rows: the last batch is short.
    let (ok, out, err) = kiln(&[
        "predict",
        &p("m.onnx"),
        "--input",
        &p("x.npy"),
        "--output",
        &p("y.npy"),
        "--batch-size",
        "2",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("[5, 2]"), "{out}");
    let got = kiln_data::npz::read_npy(p("y.npy"))
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
    let want = model.call(&x).unwrap().to_vec::<f32>().unwrap();
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() <= 1e-6, "{got:?} vs {want:?}");
    }

    // Errors: an unknown format, an unsupported opset, a file that is not ONNX.
    let (ok, _, err) = kiln(&[
        "export",
        &p("m.keras"),
        "--format",
        "tflite",
        "-o",
        &p("m.tflite"),
    ]);
    assert!(!ok && err.contains("format 'tflite'"), "{err}");
    let (ok, _, err) = kiln(&["export", &p("m.keras"), "--opset", "9", "-o", &p("m9.onnx")]);
    assert!(!ok && err.contains("opset 9"), "{err}");
    std::fs::write(p("bad.onnx"), b"garbage").unwrap();
    let (ok, _, err) = kiln(&[
        "predict",
        &p("bad.onnx"),
        "--input",
        &p("x.npy"),
        "--output",
        &p("z.npy"),
    ]);
    assert!(!ok && err.contains("ONNX"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
