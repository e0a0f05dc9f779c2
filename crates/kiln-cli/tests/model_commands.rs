//! `kiln summary | predict | evaluate` on a saved `.keras` model, and their errors.

use kiln::models::EvaluateArgs;
use std::process::Command;

use kiln::layers::Dense;
use kiln::models::{CompileArgs, Model};
use kiln_tensor::{DType, Tensor};

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
fn summary_predict_and_evaluate_a_saved_model() {
    let dir = std::env::temp_dir().join(format!("kiln_cli_model_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = |n: &str| dir.join(n).to_string_lossy().to_string();
    kiln::utils::set_random_seed(1);
    let mut model = Model::sequential(vec![
        Dense::new(4).activation("relu").input_shape(&[3]).into(),
        Dense::new(2).activation("softmax").into(),
    ])
    .unwrap();
    model
        .compile(
            CompileArgs::new()
                .optimizer("adam")
                .loss("sparse_categorical_crossentropy")
                .metrics(["accuracy"]),
        )
        .unwrap();
    kiln::saving::save_model(&model, p("m.keras")).unwrap();
    let x = Tensor::from_vec((0..15).map(|v| v as f32 / 10.0).collect(), &[5, 3]).unwrap();
    let y = Tensor::from_vec(vec![0i64, 1, 0, 1, 1], &[5]).unwrap();
    kiln_data::npz::write_npy(p("x.npy"), &x).unwrap();
    kiln_data::npz::write_npy(p("y.npy"), &y).unwrap();

    let (ok, out, _) = kiln(&["summary", &p("m.keras")]);
    assert!(ok && out.contains("Total params: 26 (104.00 B)"), "{out}");

    let (ok, out, err) = kiln(&[
        "predict",
        &p("m.keras"),
        "--input",
        &p("x.npy"),
        "--output",
        &p("y_pred.npy"),
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("[5, 2]"), "{out}");
    let got = kiln_data::npz::read_npy(p("y_pred.npy")).unwrap();
    assert_eq!(
        got.to_vec::<f32>().unwrap(),
        model.call(&x).unwrap().to_vec::<f32>().unwrap()
    );

    let (ok, out, err) = kiln(&[
        "evaluate",
        &p("m.keras"),
        "--x",
        &p("x.npy"),
        "--y",
        &p("y.npy"),
    ]);
    assert!(ok, "{err}");
    let logs: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let want = model
        .evaluate(&x, &y, EvaluateArgs::new().verbose(0))
        .unwrap();
    assert!((logs["loss"].as_f64().unwrap() - want.get("loss").unwrap()).abs() < 1e-6);
    assert!(logs.get("accuracy").is_some(), "{out}");

    // Errors name the file and exit non-zero.
    let (ok, _, err) = kiln(&["summary", &p("missing.keras")]);
    assert!(!ok && err.contains("missing.keras"), "{err}");
    let (ok, _, err) = kiln(&[
        "predict",
        &p("m.keras"),
        "--input",
        &p("nope.npy"),
        "--output",
        &p("o.npy"),
    ]);
    assert!(!ok && err.contains("nope.npy"), "{err}");
    let wrong = Tensor::ones(&[2, 7], DType::F32);
    kiln_data::npz::write_npy(p("wrong.npy"), &wrong).unwrap();
    let (ok, _, err) = kiln(&[
        "predict",
        &p("m.keras"),
        "--input",
        &p("wrong.npy"),
        "--output",
        &p("o.npy"),
    ]);
    assert!(!ok && err.contains("7"), "{err}");
    let (ok, _, _) = kiln(&["predict", &p("m.keras")]);
    assert!(!ok);
    std::fs::remove_dir_all(&dir).ok();
}
