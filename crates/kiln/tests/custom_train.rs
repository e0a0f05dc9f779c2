//! Customizing what happens in fit (Keras 3.15's guide; tools/golden/gen_custom_train.py),
//! and the single training loop: tensors and datasets give the same History, resume the
//! same way under BackupAndRestore, and bad input is an `Err`.

mod common;

use common::{fixture, tensor_f32};
use kiln::callbacks::BackupAndRestore;
use kiln::layers::{Dense, Input, LayerApply};
use kiln::losses::{Loss, MeanSquaredError};
use kiln::metrics::{Mean, MeanMetricWrapper, Metric};
use kiln::models::{CompileArgs, EvaluateArgs, FitArgs, Model, StepData, StepLogs, TrainStep};
use kiln_data::dataset::Dataset;
use kiln_tensor::{DType, GradientTape, Tensor};

/// The guide's first model: compute_loss, optimizer.apply, and a loop over the compiled
/// metrics (the loss tracker takes the loss unweighted).
struct GuideStep;

impl TrainStep for GuideStep {
    fn train_step(&mut self, model: &mut Model, data: &StepData) -> kiln::Result<StepLogs> {
        let vars = model.trainable_weights();
        let tape = GradientTape::new();
        let y_pred = model.call_multi(&data.x, true)?;
        let loss = model.compute_loss(&data.x, &data.y, &y_pred, None)?;
        let grads = tape.gradient(&loss, &vars)?;
        drop(tape);
        model
            .optimizer_mut()
            .expect("compiled")
            .apply(&grads, &vars)?;
        model.update_compiled_metrics(&data.y, &y_pred, None, &loss)?;
        Ok(model.compiled_logs().into())
    }
}

/// The guide's lower-level model: its own trackers, listed by `metrics`, its own loss.
struct TrackerStep {
    loss_tracker: Mean,
    mae_metric: MeanMetricWrapper,
    loss_fn: MeanSquaredError,
}

impl TrackerStep {
    fn new() -> TrackerStep {
        TrackerStep {
            loss_tracker: Mean::new("loss"),
            // keras.metrics.MeanAbsoluteError(name="mae") on (batch, 1) targets.
            mae_metric: MeanMetricWrapper::new("mae", |t, p| Ok(p.sub(t)?.abs()?)),
            loss_fn: MeanSquaredError::new(),
        }
    }
    fn logs(&self) -> StepLogs {
        StepLogs::from_metrics(&[&self.loss_tracker, &self.mae_metric])
    }
}

impl TrainStep for TrackerStep {
    fn train_step(&mut self, model: &mut Model, data: &StepData) -> kiln::Result<StepLogs> {
        let vars = model.trainable_weights();
        let tape = GradientTape::new();
        let y_pred = model.call_multi(&data.x, true)?.remove(0);
        let loss = self.loss_fn.compute(&data.y[0], &y_pred, None)?;
        let grads = tape.gradient(&loss, &vars)?;
        drop(tape);
        model
            .optimizer_mut()
            .expect("compiled")
            .apply(&grads, &vars)?;
        self.loss_tracker.update(&loss, None)?;
        self.mae_metric.update_state(&data.y[0], &y_pred, None)?;
        Ok(self.logs())
    }
    fn test_step(&mut self, model: &mut Model, data: &StepData) -> kiln::Result<StepLogs> {
        let y_pred = model.call_multi(&data.x, false)?.remove(0);
        let loss = self.loss_fn.compute(&data.y[0], &y_pred, None)?;
        self.loss_tracker.update(&loss, None)?;
        self.mae_metric.update_state(&data.y[0], &y_pred, None)?;
        Ok(self.logs())
    }
    fn metrics(&mut self) -> Vec<&mut dyn Metric> {
        vec![&mut self.loss_tracker, &mut self.mae_metric]
    }
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-12)
}

fn run_golden(name: &str) -> f64 {
    let fx = fixture("custom_train.json");
    let c = &fx["cases"][name];
    let (x, y) = (tensor_f32(&c["x"]), tensor_f32(&c["y"]));
    kiln::utils::clear_session();
    let inp = Input::shape(&[32]);
    let out = Dense::new(1).apply(&inp).unwrap();
    let mut m = Model::new(&[inp], &[out]).unwrap();
    let w: Vec<Tensor> = c["weights"]
        .as_array()
        .unwrap()
        .iter()
        .map(tensor_f32)
        .collect();
    m.set_weights(&w).unwrap();
    match name {
        "guide_train_step" => {
            m.set_train_step(GuideStep);
            m.compile(
                CompileArgs::new()
                    .optimizer("adam")
                    .loss("mse")
                    .metrics(["mae"]),
            )
            .unwrap();
        }
        "guide_trackers" => {
            m.set_train_step(TrackerStep::new());
            m.compile(CompileArgs::new().optimizer("adam")).unwrap();
        }
        _ => m
            .compile(
                CompileArgs::new()
                    .optimizer("adam")
                    .loss("mse")
                    .metrics(["mae"]),
            )
            .unwrap(),
    }
    let h = m
        .fit(
            &x,
            &y,
            FitArgs::new()
                .epochs(3)
                .batch_size(32)
                .shuffle(false)
                .verbose(0),
        )
        .unwrap();
    let mut worst = 0.0f64;
    for key in ["loss", "mae"] {
        let want: Vec<f64> = c["history"][key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let got = h.get(key);
        assert_eq!(got.len(), 3, "{name} {key}");
        for (e, (g, w)) in got.iter().zip(&want).enumerate() {
            let r = rel(*g, *w);
            worst = worst.max(r);
            assert!(
                r < 1e-5,
                "{name} {key} epoch {e}: kiln {g} vs keras {w} (rel {r:e})"
            );
        }
    }
    let ev = m
        .evaluate(&x, &y, EvaluateArgs::new().batch_size(32).verbose(0))
        .unwrap();
    for key in ["loss", "mae"] {
        let w = c["evaluate"][key].as_f64().unwrap();
        let g = ev.get(key).unwrap();
        let r = rel(g, w);
        worst = worst.max(r);
        assert!(r < 1e-5, "{name} evaluate {key}: kiln {g} vs keras {w}");
    }
    println!("{name}: max relative difference {worst:e}");
    worst
}

#[test]
fn guide_custom_train_step_matches_keras() {
    run_golden("guide_train_step");
}

#[test]
fn guide_own_trackers_and_test_step_match_keras() {
    run_golden("guide_trackers");
}

#[test]
fn builtin_train_step_matches_keras() {
    run_golden("builtin");
}

fn small_model() -> Model {
    kiln::utils::clear_session();
    let mut m = Model::sequential(vec![Dense::new(1)
        .kernel_initializer("zeros")
        .input_shape(&[2])
        .into()])
    .unwrap();
    m.compile(
        CompileArgs::new()
            .optimizer(kiln::optimizers::Adam::new(0.05))
            .loss("mse")
            .metrics(["mae"]),
    )
    .unwrap();
    m
}

fn data() -> (Tensor, Tensor) {
    let x = Tensor::from_vec((0..60).map(|v| (v % 7) as f32 / 7.0).collect(), &[30, 2]).unwrap();
    let y = x.sum(&[1], true).unwrap();
    (x, y)
}

#[test]
fn tensors_and_a_dataset_of_the_same_batches_give_identical_history() {
    let (x, y) = data();
    let args = || {
        FitArgs::new()
            .epochs(3)
            .batch_size(8)
            .shuffle(false)
            .verbose(0)
    };
    let ha = small_model()
        .fit(&x, &y, args().validation_data(&x, &y))
        .unwrap();
    let ds = Dataset::from_tensor_slices((x.clone(), y.clone()))
        .unwrap()
        .batch(8)
        .unwrap();
    let hb = small_model()
        .fit_dataset(&ds, args().validation_data(&x, &y))
        .unwrap();
    assert_eq!(ha.history, hb.history);
    assert_eq!(ha.epoch, hb.epoch);
    // steps_per_epoch continues across epochs in both.
    let hc = small_model()
        .fit(&x, &y, args().steps_per_epoch(3))
        .unwrap();
    let hd = small_model()
        .fit_dataset(&ds, args().steps_per_epoch(3))
        .unwrap();
    assert_eq!(hc.history, hd.history);
}

#[test]
fn backup_and_restore_resumes_at_the_next_epoch_from_tensors_and_datasets() {
    let (x, y) = data();
    let ds = Dataset::from_tensor_slices((x.clone(), y.clone()))
        .unwrap()
        .batch(8)
        .unwrap();
    for use_ds in [false, true] {
        let dir = std::env::temp_dir().join(format!(
            "kiln_custom_train_bar_{}_{use_ds}",
            std::process::id()
        ));
        std::fs::remove_dir_all(&dir).ok();
        let fit = |m: &mut Model, epochs: usize, backup: bool| {
            let mut args = FitArgs::new()
                .epochs(epochs)
                .batch_size(8)
                .shuffle(false)
                .verbose(0);
            if backup {
                args = args.callbacks(vec![Box::new(
                    BackupAndRestore::new(&dir).delete_checkpoint(false),
                )]);
            }
            if use_ds {
                m.fit_dataset(&ds, args).unwrap()
            } else {
                m.fit(&x, &y, args).unwrap()
            }
        };
        let full = fit(&mut small_model(), 4, false);
        // An "interrupted" run of 2 epochs leaves a backup of epoch 1 ...
        fit(&mut small_model(), 2, true);
        // ... and a fresh model resumes from it at epoch 2.
        let resumed = fit(&mut small_model(), 4, true);
        assert_eq!(resumed.epoch, vec![2, 3], "dataset: {use_ds}");
        for (a, b) in resumed.get("loss").iter().zip(&full.get("loss")[2..]) {
            assert!(rel(*a, *b) < 1e-6, "dataset {use_ds}: {a} vs {b}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}

struct NoLoss;
impl TrainStep for NoLoss {
    fn train_step(&mut self, _m: &mut Model, _d: &StepData) -> kiln::Result<StepLogs> {
        let mut logs = StepLogs::new();
        logs.insert("mae", 0.5);
        Ok(logs)
    }
}

struct VectorLoss;
impl TrainStep for VectorLoss {
    fn train_step(&mut self, _m: &mut Model, d: &StepData) -> kiln::Result<StepLogs> {
        let mut logs = StepLogs::new();
        logs.insert("loss", d.y[0].clone());
        Ok(logs)
    }
}

#[test]
fn bad_train_step_logs_are_errors() {
    let (x, y) = data();
    let mut m = small_model();
    m.set_train_step(NoLoss);
    let e = m.fit(&x, &y, FitArgs::new().verbose(0)).unwrap_err();
    assert!(e.to_string().contains("without a loss"), "{e}");
    let mut m = small_model();
    m.set_train_step(VectorLoss);
    let e = m.fit(&x, &y, FitArgs::new().verbose(0)).unwrap_err();
    assert!(e.to_string().contains("must be scalars"), "{e}");
}

#[test]
fn empty_inputs_are_errors_not_panics() {
    let mut m = small_model();
    let empty_x = Tensor::zeros(&[0, 2], DType::F32);
    let empty_y = Tensor::zeros(&[0, 1], DType::F32);
    for args in [
        FitArgs::new().verbose(0),
        FitArgs::new().steps_per_epoch(3).verbose(0),
    ] {
        let e = m.fit(&empty_x, &empty_y, args).unwrap_err();
        assert!(e.to_string().contains("0 samples"), "{e}");
    }
    assert!(m
        .evaluate(&empty_x, &empty_y, EvaluateArgs::new().verbose(0))
        .is_err());
    let empty_ds = Dataset::from_tensor_slices((empty_x.clone(), empty_y.clone()))
        .unwrap()
        .batch(4)
        .unwrap();
    for args in [
        FitArgs::new().verbose(0),
        FitArgs::new().steps_per_epoch(3).verbose(0),
    ] {
        let e = m.fit_dataset(&empty_ds, args).unwrap_err();
        assert!(e.to_string().contains("no batches"), "{e}");
    }
    assert!(m.evaluate_dataset(&empty_ds, 0).is_err());
    assert!(m.predict_dataset(&empty_ds).is_err());
    let (x, y) = data();
    let e = m
        .fit(&x, &y, FitArgs::new().steps_per_epoch(0).verbose(0))
        .unwrap_err();
    assert!(e.to_string().contains("steps_per_epoch"), "{e}");
}

#[test]
fn fit_without_trainable_weights_or_loss_is_an_error() {
    let (x, y) = data();
    let mut m = small_model();
    m.set_trainable(false);
    m.compile(CompileArgs::new().optimizer("sgd")).unwrap();
    let e = m.fit(&x, &y, FitArgs::new().verbose(0)).unwrap_err();
    assert!(e.to_string().contains("No loss to compute"), "{e}");
}
