//! End to end: `kiln train` on the shipped MNIST learns, is deterministic per seed, and
//! `--save` writes a model that loads back.

use std::process::Command;

fn train(args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .arg("train")
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "kiln train failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("last line is not JSON ({e}): {last}"))
}

#[test]
fn one_epoch_mlp_learns_mnist_deterministically_and_saves() {
    let dir = std::env::temp_dir().join(format!("kiln_train_mnist_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("mlp.keras");
    let path_s = path.to_string_lossy().to_string();
    let a = train(&["--epochs", "1", "--seed", "7", "--save", &path_s]);
    let b = train(&["--epochs", "1", "--seed", "7"]);
    for key in [
        "model",
        "epochs",
        "test_loss",
        "test_accuracy",
        "train_seconds",
    ] {
        assert!(a.get(key).is_some(), "missing {key} in {a}");
    }
    let acc = a["test_accuracy"].as_f64().unwrap();
    // One epoch of the standardized MLP reaches about 0.96.
    assert!(acc >= 0.95, "test accuracy after one epoch: {acc}");
    assert_eq!(
        a["test_accuracy"], b["test_accuracy"],
        "same seed, same accuracy"
    );
    assert_eq!(a["test_loss"], b["test_loss"], "same seed, same loss");

    let model = kiln::saving::load_model(&path).unwrap();
    // Normalization (mean, variance, count) + Dense 784x128 + Dense 128x10.
    let params: usize = model.weights().iter().map(|w| w.value().numel()).sum();
    assert_eq!(params, 3 + 784 * 128 + 128 + 128 * 10 + 10);
    std::fs::remove_dir_all(&dir).ok();
}
