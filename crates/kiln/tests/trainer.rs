//! The trainer: fit/evaluate/predict behaviour, callbacks, and the errors for misuse.
#![allow(clippy::cloned_ref_to_slice_refs)]

use kiln::models::EvaluateArgs;
use kiln::models::PredictArgs;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kiln::callbacks::*;
use kiln::layers::*;
use kiln::losses::LossFn;
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln::optimizers::SGD;
use kiln_tensor::random::Generator;
use kiln_tensor::{DType, Tensor};

fn linear_data(n: usize) -> (Tensor, Tensor) {
    let mut g = Generator::from_seed(7);
    let x = g.uniform(&[n, 3], -1.0, 1.0, DType::F32).unwrap();
    let w = Tensor::from_vec(vec![1.0f32, -2.0, 0.5], &[3, 1]).unwrap();
    let y = x.matmul(&w).unwrap().add_scalar(0.3).unwrap();
    (x, y)
}

fn regressor() -> Model {
    Model::sequential(vec![Dense::new(1).input_shape(&[3]).into()]).unwrap()
}

/// Seeded initializers: tests run in parallel and share the global random stream.
fn classifier(classes: usize) -> Model {
    use kiln::initializers::Initializer;
    Model::sequential(vec![
        Dense::new(16)
            .activation("relu")
            .kernel_initializer(Initializer::GlorotUniform(Some(1)))
            .input_shape(&[4])
            .into(),
        Dense::new(classes)
            .activation("softmax")
            .kernel_initializer(Initializer::GlorotUniform(Some(2)))
            .into(),
    ])
    .unwrap()
}

fn class_data(n: usize) -> (Tensor, Tensor) {
    let mut g = Generator::from_seed(3);
    let x = g.normal(&[n, 4], 0.0, 1.0, DType::F32).unwrap();
    // Label = which of the first two features is larger (learnable).
    let v = x.to_vec::<f32>().unwrap();
    let y: Vec<i64> = (0..n).map(|i| i64::from(v[i * 4] > v[i * 4 + 1])).collect();
    (x, Tensor::from_vec(y, &[n]).unwrap())
}

#[test]
fn fit_before_compile_is_an_error() {
    let mut m = regressor();
    let (x, y) = linear_data(8);
    let e = m
        .fit(&x, &y, FitArgs::new().verbose(0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("compile"), "{e}");
    let e = m
        .evaluate(&x, &y, EvaluateArgs::new().batch_size(8).verbose(0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("compile"), "{e}");
    let e = m.train_on_batch(&x, &y, None).unwrap_err().to_string();
    assert!(e.contains("compile"), "{e}");
}

#[test]
fn unknown_identifiers_are_errors() {
    let mut m = regressor();
    let e = m
        .compile(CompileArgs::new().optimizer("adamm").loss("mse"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("adamm") && e.contains("adam"), "{e}");
    let e = m
        .compile(CompileArgs::new().loss("mean_sqared_error"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("mean_sqared_error"), "{e}");
    let e = m
        .compile(CompileArgs::new().loss("mse").metrics(["accuracyy"]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("accuracyy"), "{e}");
    let e = Model::sequential(vec![Dense::new(1)
        .activation("rleu")
        .input_shape(&[2])
        .into()])
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("rleu"), "{e}");
}

#[test]
fn mismatched_lengths_are_errors() {
    let mut m = regressor();
    m.compile(CompileArgs::new().loss("mse")).unwrap();
    let (x, _) = linear_data(10);
    let (_, y) = linear_data(9);
    let e = m
        .fit(&x, &y, FitArgs::new().verbose(0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("x sizes: 10") && e.contains("y sizes: 9"), "{e}");
}

#[test]
fn sparse_label_out_of_range_is_an_error() {
    let mut m = classifier(3);
    m.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("sparse_categorical_crossentropy"),
    )
    .unwrap();
    let (x, _) = class_data(4);
    let y = Tensor::from_vec(vec![0i64, 1, 7, 2], &[4]).unwrap();
    let e = m
        .fit(&x, &y, FitArgs::new().verbose(0))
        .unwrap_err()
        .to_string();
    assert!(e.contains('7') && e.contains("[0, 3)"), "{e}");
    let y = Tensor::from_vec(vec![0i64, -1, 1, 2], &[4]).unwrap();
    assert!(m
        .evaluate(&x, &y, EvaluateArgs::new().batch_size(4).verbose(0))
        .is_err());
}

#[test]
fn wrong_input_shape_to_fit_is_an_error() {
    let mut m = regressor();
    m.compile(CompileArgs::new().loss("mse")).unwrap();
    let x = Tensor::zeros(&[4, 5], DType::F32);
    let y = Tensor::zeros(&[4, 1], DType::F32);
    let e = m
        .fit(&x, &y, FitArgs::new().verbose(0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("(None, 3)"), "{e}");
}

#[test]
fn linear_regression_recovers_weights() {
    let (x, y) = linear_data(256);
    let mut m = regressor();
    m.compile(
        CompileArgs::new()
            .optimizer(SGD::new(0.1))
            .loss("mse")
            .metrics(["mae"]),
    )
    .unwrap();
    let h = m.fit(&x, &y, FitArgs::new().epochs(40).verbose(0)).unwrap();
    let losses = h.get("loss");
    assert_eq!(losses.len(), 40);
    assert!(losses[39] < losses[0] * 1e-3, "{losses:?}");
    let w = m.get_weights();
    let k = w[0].to_vec::<f32>().unwrap();
    let b = w[1].to_vec::<f32>().unwrap();
    for (got, want) in k.iter().zip([1.0f32, -2.0, 0.5]) {
        assert!((got - want).abs() < 1e-2, "{k:?}");
    }
    assert!((b[0] - 0.3).abs() < 1e-2);
    assert!(h.get("mae")[39] < 1e-2);
}

#[test]
fn classifier_learns_with_validation_and_history_keys() {
    let (x, y) = class_data(512);
    let mut m = classifier(2);
    m.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("sparse_categorical_crossentropy")
            .metrics(["accuracy"]),
    )
    .unwrap();
    let h = m
        .fit(
            &x,
            &y,
            FitArgs::new()
                .epochs(30)
                .batch_size(32)
                .validation_split(0.25)
                .shuffle(false)
                .verbose(0),
        )
        .unwrap();
    let keys: Vec<&String> = h.history.keys().collect();
    assert_eq!(keys, ["accuracy", "loss", "val_accuracy", "val_loss"]);
    assert!(
        h.get("val_accuracy")[29] > 0.9,
        "{:?}",
        h.get("val_accuracy")
    );
    let logs = m
        .evaluate(&x, &y, EvaluateArgs::new().batch_size(128).verbose(0))
        .unwrap();
    let names: Vec<&str> = logs.iter().map(|(k, _)| k).collect();
    assert_eq!(names, ["loss", "accuracy"]);
    let p = m
        .predict(&x, PredictArgs::new().batch_size(100).verbose(0))
        .unwrap();
    assert_eq!(p.shape(), &[512, 2]);
}

#[test]
fn accuracy_resolves_like_keras() {
    // One-hot labels with categorical crossentropy: categorical accuracy.
    let (x, y) = class_data(64);
    let onehot = y.one_hot(2, 1.0, 0.0, -1, DType::F32).unwrap();
    let mut m = classifier(2);
    m.compile(
        CompileArgs::new()
            .loss("categorical_crossentropy")
            .metrics(["acc"]),
    )
    .unwrap();
    let logs = m
        .evaluate(&x, &onehot, EvaluateArgs::new().batch_size(64).verbose(0))
        .unwrap();
    let mut m2 = classifier(2);
    m2.set_weights(&m.get_weights()).unwrap();
    m2.compile(
        CompileArgs::new()
            .loss("sparse_categorical_crossentropy")
            .metrics(["accuracy"]),
    )
    .unwrap();
    let logs2 = m2
        .evaluate(&x, &y, EvaluateArgs::new().batch_size(64).verbose(0))
        .unwrap();
    assert_eq!(logs.get("acc"), logs2.get("accuracy"));
}

#[test]
fn early_stopping_restores_best_weights() {
    let (x, y) = linear_data(64);
    let mut m = regressor();
    // A learning rate that diverges after the first epochs: val_loss rises.
    m.compile(CompileArgs::new().optimizer(SGD::new(1.5)).loss("mse"))
        .unwrap();
    let es = EarlyStopping::new()
        .monitor("loss")
        .patience(1)
        .restore_best_weights(true);
    let h = m
        .fit(
            &x,
            &y,
            FitArgs::new()
                .epochs(50)
                .batch_size(64)
                .verbose(0)
                .callback(es),
        )
        .unwrap();
    let losses = h.get("loss").to_vec();
    assert!(losses.len() < 50, "stopped early: {losses:?}");
    let best = losses.iter().cloned().fold(f64::INFINITY, f64::min);
    let now = m
        .evaluate(&x, &y, EvaluateArgs::new().batch_size(64).verbose(0))
        .unwrap()
        .get("loss")
        .unwrap();
    // Full-batch epochs: epoch k's logged loss is the loss of the weights after epoch k-1.
    // The best weights (after the epoch logging the minimum) are the ones that produced the
    // next epoch's logged loss, and the diverged weights after the last update are worse.
    let i = losses.iter().position(|&l| l == best).unwrap();
    assert!(
        (now - losses[i + 1]).abs() < 1e-4 * losses[i + 1].abs(),
        "{now} vs {losses:?}"
    );
}

#[test]
fn callbacks_see_every_hook_and_can_stop() {
    let (x, y) = linear_data(40);
    let mut m = regressor();
    m.compile(CompileArgs::new().optimizer("sgd").loss("mse"))
        .unwrap();
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let (s1, s2, s3) = (seen.clone(), seen.clone(), seen.clone());
    let cb = LambdaCallback::new()
        .on_train_begin(move |_| s1.lock().unwrap().push("train_begin".into()))
        .on_epoch_end(move |e, logs| {
            s2.lock()
                .unwrap()
                .push(format!("epoch_end {e} {}", logs.get("loss").is_some()))
        })
        .on_batch_end(move |b, _| s3.lock().unwrap().push(format!("batch {b}")));
    struct StopAfterTwo;
    impl Callback for StopAfterTwo {
        fn on_epoch_end(&mut self, m: &mut Model, epoch: usize, _l: &mut Logs) -> kiln::Result<()> {
            if epoch == 1 {
                m.stop_training = true;
            }
            Ok(())
        }
    }
    let h = m
        .fit(
            &x,
            &y,
            FitArgs::new()
                .epochs(10)
                .batch_size(20)
                .verbose(0)
                .callback(cb)
                .callback(StopAfterTwo),
        )
        .unwrap();
    assert_eq!(h.epoch, vec![0, 1]);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            "train_begin",
            "batch 0",
            "batch 1",
            "epoch_end 0 true",
            "batch 0",
            "batch 1",
            "epoch_end 1 true"
        ]
    );
}

#[test]
fn lr_scheduler_and_reduce_on_plateau_change_the_optimizer() {
    let (x, y) = linear_data(32);
    let mut m = regressor();
    m.compile(CompileArgs::new().optimizer(SGD::new(0.1)).loss("mse"))
        .unwrap();
    let sched = LearningRateScheduler::new(|epoch, lr| if epoch < 2 { lr } else { lr * 0.5 });
    m.fit(&x, &y, FitArgs::new().epochs(4).verbose(0).callback(sched))
        .unwrap();
    assert!((m.optimizer().unwrap().learning_rate() - 0.025).abs() < 1e-12);
    let plateau = ReduceLROnPlateau::new()
        .monitor("loss")
        .patience(0)
        .factor(0.5)
        .min_delta(1e9);
    m.fit(
        &x,
        &y,
        FitArgs::new().epochs(2).verbose(0).callback(plateau),
    )
    .unwrap();
    assert!((m.optimizer().unwrap().learning_rate() - 0.0125).abs() < 1e-12);
}

#[test]
fn csv_logger_writes_rows() {
    let (x, y) = linear_data(16);
    let mut m = regressor();
    m.compile(CompileArgs::new().loss("mse").metrics(["mae"]))
        .unwrap();
    let path = std::env::temp_dir().join(format!("kiln_csv_{}.csv", std::process::id()));
    m.fit(
        &x,
        &y,
        FitArgs::new()
            .epochs(3)
            .verbose(0)
            .callback(CSVLogger::new(&path)),
    )
    .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "epoch,loss,mae");
    assert_eq!(lines.len(), 4);
    assert!(lines[3].starts_with("2,"));
    let _ = std::fs::remove_file(path);
}

#[test]
fn terminate_on_nan_stops() {
    let x = Tensor::from_vec(vec![1.0f32, f32::NAN, 1.0, 1.0, 1.0, 1.0], &[2, 3]).unwrap();
    let y = Tensor::zeros(&[2, 1], DType::F32);
    let mut m = regressor();
    m.compile(CompileArgs::new().loss("mse")).unwrap();
    let h = m
        .fit(
            &x,
            &y,
            FitArgs::new()
                .epochs(5)
                .batch_size(1)
                .verbose(0)
                .callback(TerminateOnNaN),
        )
        .unwrap();
    assert_eq!(h.epoch.len(), 1);
}

#[test]
fn class_and_sample_weights_change_the_loss() {
    let (x, y) = class_data(32);
    let mut m = classifier(2);
    m.compile(CompileArgs::new().loss("sparse_categorical_crossentropy"))
        .unwrap();
    let w0 = m.get_weights();
    let base = m.test_on_batch(&x, &y, None).unwrap().get("loss").unwrap();
    let zero = Tensor::zeros(&[32], DType::F32);
    let weighted = m
        .test_on_batch(&x, &y, Some(&zero))
        .unwrap()
        .get("loss")
        .unwrap();
    assert!(base > 0.0 && weighted == 0.0);
    let mut cw = HashMap::new();
    cw.insert(0usize, 0.0);
    cw.insert(1usize, 0.0);
    let h = m
        .fit(&x, &y, FitArgs::new().verbose(0).class_weight(cw))
        .unwrap();
    assert_eq!(h.get("loss")[0], 0.0);
    // Zero weights give zero gradients: nothing moved.
    for (a, b) in w0.iter().zip(m.get_weights()) {
        assert_eq!(a.to_vec::<f32>().unwrap(), b.to_vec::<f32>().unwrap());
    }
}

#[test]
fn add_loss_only_model_trains() {
    // A VAE-style model whose whole loss comes from add_loss: pull the output toward 0.
    #[derive(kiln::layers::Layer)]
    struct L2Out {
        base: LayerBase,
        dense: LayerRef,
    }
    impl Layer for L2Out {
        fn call(&mut self, inputs: &[Tensor], _c: &CallContext) -> kiln::Result<Vec<Tensor>> {
            let y = self.dense.call(&inputs[0])?;
            self.base.add_loss(y.square()?.mean(&[], false)?);
            Ok(vec![y])
        }
    }
    let mut m = Model::from_layer(L2Out {
        base: LayerBase::new("l2_out"),
        dense: Dense::new(2).bias_initializer("ones").into(),
    });
    m.compile(CompileArgs::new().optimizer(SGD::new(0.5)))
        .unwrap();
    let (x, _) = linear_data(32);
    let y = Tensor::zeros(&[32, 2], DType::F32);
    let h = m.fit(&x, &y, FitArgs::new().epochs(20).verbose(0)).unwrap();
    let l = h.get("loss");
    assert!(l[19] < l[0] * 0.01, "{l:?}");
}

#[test]
fn custom_loss_closure() {
    let (x, y) = linear_data(64);
    let mut m = regressor();
    let l1 = LossFn::new("l1", |t, p| Ok(p.sub(t)?.abs()?.mean(&[-1], false)?));
    m.compile(CompileArgs::new().optimizer(SGD::new(0.05)).loss(l1))
        .unwrap();
    let h = m
        .fit(&x, &y, FitArgs::new().epochs(30).batch_size(16).verbose(0))
        .unwrap();
    assert!(h.get("loss")[29] < h.get("loss")[0] * 0.5);
}
