//! Files written by tf.keras 2 (`tf_keras` 2.21, tools/golden/gen_saving_tf_keras2.py):
//! full legacy `.h5` models (Keras 2 config forms, `training_config`, Keras 2 optimizer
//! weights) load with `load_model` and predict what tf.keras predicted, compiled with the
//! saved optimizer and its state (one more `train_on_batch` matches tf.keras's); the
//! weights-only `save_weights(..h5)` files load into the same models built in kiln;
//! truncated files are errors naming the file.

mod common;

use common::tensor_f32;
use std::path::PathBuf;

use kiln::layers::{
    add, concatenate, Activation, BatchNormalization, Conv2D, Dense, Dropout, Flatten, Input,
    LayerApply, LayerRef, MaxPooling2D, LSTM,
};
use kiln::models::Model;
use kiln::saving::{load_model, load_weights};
use kiln_tensor::Tensor;
use serde_json::Value;

const MODELS: [&str; 5] = ["mlp", "cnn", "multi_input_shared", "batchnorm", "lstm"];

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/golden/fixtures/saving/tf_keras2")
}

fn fixture(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join(format!("{name}.json"))).unwrap())
        .unwrap()
}

fn tensors(v: &Value) -> Vec<Tensor> {
    v.as_array().unwrap().iter().map(tensor_f32).collect()
}

/// 1e-5 relative (plus 1e-5 absolute for values near zero), f32 against TF's f32.
fn close(what: &str, got: &Tensor, want: &Tensor) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    for (i, (a, b)) in got.to_f64_vec().iter().zip(want.to_f64_vec()).enumerate() {
        assert!(
            (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
            "{what}[{i}]: kiln {a} vs tf.keras {b}"
        );
    }
}

fn check_predictions(what: &str, model: &Model, f: &Value) {
    let got = model.call_multi(&tensors(&f["inputs"]), false).unwrap();
    let want = tensors(&f["predictions"]);
    assert_eq!(got.len(), want.len(), "{what}: outputs");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        close(&format!("{what} output {i}"), g, w);
    }
}

#[test]
fn tf_keras2_model_files_load_and_predict_like_tf_keras() {
    for name in MODELS {
        let f = fixture(name);
        assert_eq!(f["keras_version"], "2.21.0");
        let model =
            load_model(dir().join(format!("{name}.h5"))).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            model.count_params(),
            f["count_params"].as_u64().unwrap() as usize,
            "{name}"
        );
        check_predictions(name, &model, &f);
    }
}

/// The `training_config` compiles the loaded model with tf.keras's Adam (its
/// hyperparameters) and the file's `optimizer_weights` restore its state: the step count
/// and both moments. One more `train_on_batch` then gives tf.keras's loss and weights; a
/// reset state would take a visibly different first Adam step.
#[test]
fn tf_keras2_model_files_resume_training_with_the_saved_optimizer_state() {
    for name in MODELS {
        let f = fixture(name);
        let mut model = load_model(dir().join(format!("{name}.h5"))).unwrap();
        assert!(
            model.is_compiled(),
            "{name}: not compiled from training_config"
        );
        let opt = model.optimizer().unwrap();
        assert_eq!(
            opt.iterations(),
            f["optimizer_iterations"].as_u64().unwrap(),
            "{name}: iterations"
        );
        assert!((opt.learning_rate() - 0.01).abs() < 1e-8, "{name}");
        let r = &f["resume"];
        if r.is_null() {
            continue; // the MLP's Dropout draws TF's random mask in training
        }
        let logs = model
            .train_on_batch(tensors(&r["inputs"]), tensors(&r["targets"]), None)
            .unwrap();
        let loss = logs.get("loss").unwrap();
        let want = r["loss"].as_f64().unwrap();
        assert!(
            (loss - want).abs() <= 1e-5 * (1.0 + want.abs()),
            "{name}: loss {loss} vs tf.keras {want}"
        );
        let got = model.call_multi(&tensors(&f["inputs"]), false).unwrap();
        for (i, (g, w)) in got
            .iter()
            .zip(&tensors(&r["predictions_after"]))
            .enumerate()
        {
            close(&format!("{name} after one more step, output {i}"), g, w);
        }
    }
}

/// The five architectures built with kiln's API (layer names as tf.keras gave them are
/// not needed: legacy weights load in topological order).
fn kiln_built(name: &str) -> Model {
    match name {
        "mlp" => Model::sequential(vec![
            Dense::new(8).activation("relu").input_shape(&[6]).into(),
            Dropout::new(0.2).into(),
            Dense::new(3).activation("softmax").into(),
        ])
        .unwrap(),
        "cnn" => {
            let inp = Input::shape(&[12, 12, 1]);
            let mut x = Conv2D::new(4, 3)
                .activation("relu")
                .padding("same")
                .apply(&inp)
                .unwrap();
            x = MaxPooling2D::new(2).apply(&x).unwrap();
            x = Conv2D::new(8, 3)
                .activation("relu")
                .padding("same")
                .apply(&x)
                .unwrap();
            x = MaxPooling2D::new(2).apply(&x).unwrap();
            x = Flatten::new().apply(&x).unwrap();
            x = Dense::new(16).activation("relu").apply(&x).unwrap();
            let out = Dense::new(10).activation("softmax").apply(&x).unwrap();
            Model::new(&[inp], &[out]).unwrap()
        }
        "multi_input_shared" => {
            let a = Input::shape(&[4]);
            let b = Input::shape(&[4]);
            let shared = LayerRef::new(Dense::new(5).activation("tanh"));
            let (sa, sb) = (shared.call(&a).unwrap(), shared.call(&b).unwrap());
            let merged = concatenate(&vec![sa, sb]).unwrap();
            let h = Dense::new(3).activation("relu").apply(&merged).unwrap();
            let out1 = Dense::new(1).apply(&h).unwrap();
            let (sa, sb) = (shared.call(&a).unwrap(), shared.call(&b).unwrap());
            let s = add(&vec![sa, sb]).unwrap();
            let out2 = Dense::new(2).activation("softmax").apply(&s).unwrap();
            Model::new(&[a, b], &[out1, out2]).unwrap()
        }
        "batchnorm" => Model::sequential(vec![
            Dense::new(6).use_bias(false).input_shape(&[5]).into(),
            BatchNormalization::new().momentum(0.9).into(),
            Activation::new("relu").into(),
            Dense::new(2).into(),
        ])
        .unwrap(),
        "lstm" => {
            let inp = Input::shape(&[7, 3]);
            let x = LSTM::new(5).return_sequences(true).apply(&inp).unwrap();
            let x = LSTM::new(4).apply(&x).unwrap();
            let out = Dense::new(2).apply(&x).unwrap();
            Model::new(&[inp], &[out]).unwrap()
        }
        other => panic!("no model {other}"),
    }
}

#[test]
fn tf_keras2_weights_files_load_into_kiln_built_models() {
    for name in MODELS {
        let f = fixture(name);
        // save_weights(..h5): root `layer_names`.
        let model = kiln_built(name);
        load_weights(&model, dir().join(format!("{name}_weights.h5")))
            .unwrap_or_else(|e| panic!("{name}_weights.h5: {e}"));
        check_predictions(&format!("{name} (load_weights)"), &model, &f);
        // The full model file's `model_weights` group loads the same way.
        let model = kiln_built(name);
        load_weights(&model, dir().join(format!("{name}.h5")))
            .unwrap_or_else(|e| panic!("{name}.h5: {e}"));
        check_predictions(
            &format!("{name} (load_weights of the model file)"),
            &model,
            &f,
        );
    }
}

#[test]
fn truncated_or_mismatched_tf_keras2_files_are_errors() {
    let tmp = std::env::temp_dir().join(format!("kiln_tfk2_bad_{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    for file in ["lstm.h5", "cnn_weights.h5"] {
        let good = std::fs::read(dir().join(file)).unwrap();
        for frac in [2, 3, 10] {
            let p = tmp.join(format!("cut{frac}_{file}"));
            std::fs::write(&p, &good[..good.len() / frac]).unwrap();
            let e = if file.ends_with("_weights.h5") {
                load_weights(&kiln_built("cnn"), &p).err()
            } else {
                load_model(&p).err()
            }
            .unwrap_or_else(|| panic!("a truncated {file} loaded"))
            .to_string();
            assert!(e.contains(&format!("cut{frac}_{file}")), "{e}");
        }
    }
    // The CNN's weights into the MLP: a layer-count mismatch, and the model unchanged.
    let mlp = kiln_built("mlp");
    let before = mlp.get_weights();
    let e = load_weights(&mlp, dir().join("cnn_weights.h5"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("cnn_weights.h5") && e.contains("layer count"),
        "{e}"
    );
    for (a, b) in mlp.get_weights().iter().zip(&before) {
        assert_eq!(a.to_vec::<f32>().unwrap(), b.to_vec::<f32>().unwrap());
    }
    std::fs::remove_dir_all(&tmp).ok();
}

/// A tf.keras 2 option kiln does not implement is an error naming it, not ignored.
#[test]
fn a_time_major_lstm_config_is_an_error() {
    let mut config = fixture("lstm")["model_config"].clone();
    config["config"]["layers"][1]["config"]["time_major"] = Value::Bool(true);
    let e = kiln::saving::model_from_config(&config)
        .err()
        .expect("time_major=True must not load")
        .to_string();
    assert!(e.contains("time_major") && e.contains("LSTM"), "{e}");
    // As saved (time_major=False, implementation=2) it rebuilds.
    let config = fixture("lstm")["model_config"].clone();
    assert!(kiln::saving::model_from_config(&config).is_ok());
}

/// tf.keras's legacy `OptimizerV2` Adam (`Adam/iter:0`, `Adam/<var>/m:0`): its state is
/// not mapped, so the model loads compiled with its hyperparameters and a fresh
/// optimizer (step 0), and predicts what tf.keras predicted.
#[test]
fn a_legacy_optimizer_v2_state_gives_a_fresh_optimizer_not_a_wrong_one() {
    let f = fixture("mlp_legacy_optimizer");
    assert_eq!(f["optimizer_weight_names"][0], "Adam/iter:0");
    let model = load_model(dir().join("mlp_legacy_optimizer.h5")).unwrap();
    check_predictions("mlp_legacy_optimizer", &model, &f);
    let opt = model.optimizer().expect("compiled from training_config");
    assert_eq!(opt.iterations(), 0, "a fresh optimizer");
    assert!((opt.learning_rate() - 0.01).abs() < 1e-8);
    // Uncompiled loading skips the training config entirely.
    let m = kiln::saving::load_model_uncompiled(dir().join("mlp_legacy_optimizer.h5")).unwrap();
    assert!(!m.is_compiled());
}
