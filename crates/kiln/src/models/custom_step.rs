//! Customizing what happens in `fit` (Keras's overridable `train_step`, `test_step`,
//! `predict_step` and `metrics`): a [`TrainStep`] installed on a [`Model`] with
//! [`Model::set_train_step`] replaces the built-in steps, while `fit`, `evaluate`,
//! `predict`, the callbacks and `History` keep working around it.

use std::collections::HashMap;

use kiln_tensor::Tensor;

use crate::callbacks::Logs;
use crate::metrics::Metric;
use crate::models::Model;
use crate::{Error, Result};

/// One batch handed to a step (Keras's `data`): inputs, targets (empty for `predict`
/// and for datasets without targets) and the optional sample weights.
#[derive(Debug, Clone)]
pub struct StepData {
    /// The inputs, in the model's input order.
    pub x: Vec<Tensor>,
    /// The targets, in the model's output order.
    pub y: Vec<Tensor>,
    /// Per-sample weights, when given.
    pub sample_weight: Option<Tensor>,
}

/// A logged value a step returns: a number, or a tensor that must hold one value.
#[derive(Debug, Clone)]
pub enum LogValue {
    /// A plain number (a metric's `result()`).
    Number(f64),
    /// A tensor (a loss); it must have exactly one element.
    Tensor(Tensor),
}

impl From<f64> for LogValue {
    fn from(v: f64) -> LogValue {
        LogValue::Number(v)
    }
}
impl From<f32> for LogValue {
    fn from(v: f32) -> LogValue {
        LogValue::Number(v as f64)
    }
}
impl From<Tensor> for LogValue {
    fn from(t: Tensor) -> LogValue {
        LogValue::Tensor(t)
    }
}
impl From<&Tensor> for LogValue {
    fn from(t: &Tensor) -> LogValue {
        LogValue::Tensor(t.clone())
    }
}

/// What a custom step returns (Keras's logs dict): names to numbers or scalar tensors,
/// in insertion order.
///
/// ```
/// use kiln::models::StepLogs;
/// use kiln_tensor::Tensor;
/// let mut logs = StepLogs::new();
/// logs.insert("loss", Tensor::scalar(0.5f32));
/// logs.insert("mae", 0.25);
/// let logs = logs.into_logs("Model.train_step")?;
/// assert_eq!(logs["loss"], 0.5);
/// let mut bad = StepLogs::new();
/// bad.insert("loss", Tensor::from_vec(vec![1.0f32, 2.0], &[2])?);
/// assert!(bad.into_logs("Model.train_step").is_err());
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct StepLogs {
    entries: Vec<(String, LogValue)>,
}

impl StepLogs {
    /// Empty logs.
    pub fn new() -> StepLogs {
        StepLogs::default()
    }

    /// Sets `name` (replacing an earlier value).
    pub fn insert(&mut self, name: &str, value: impl Into<LogValue>) {
        let value = value.into();
        match self.entries.iter_mut().find(|(n, _)| n == name) {
            Some(e) => e.1 = value,
            None => self.entries.push((name.to_string(), value)),
        }
    }

    /// `name: metric.result()` for each metric (Keras's
    /// `{m.name: m.result() for m in self.metrics}`).
    pub fn from_metrics(metrics: &[&dyn Metric]) -> StepLogs {
        let mut logs = StepLogs::new();
        for m in metrics {
            logs.insert(m.name(), m.result());
        }
        logs
    }

    /// The logs as numbers; a tensor value with other than one element is an `Err`.
    pub fn into_logs(self, api: &'static str) -> Result<Logs> {
        let mut logs = Logs::new();
        for (name, v) in self.entries {
            let value = match v {
                LogValue::Number(x) => x,
                LogValue::Tensor(t) => {
                    if t.shape().iter().product::<usize>() != 1 {
                        return Err(Error::InvalidArgument {
                            api,
                            msg: format!(
                                "the step returned '{name}' with shape {:?}; logged values must \
                                 be scalars (reduce the loss, e.g. with mean, before returning it)",
                                t.shape()
                            ),
                        });
                    }
                    t.to_f64_vec()[0]
                }
            };
            logs.insert(&name, value);
        }
        Ok(logs)
    }
}

impl From<Logs> for StepLogs {
    fn from(logs: Logs) -> StepLogs {
        let mut out = StepLogs::new();
        for (n, v) in logs.iter() {
            out.insert(n, v);
        }
        out
    }
}

impl From<HashMap<String, f64>> for StepLogs {
    fn from(map: HashMap<String, f64>) -> StepLogs {
        let mut names: Vec<_> = map.into_iter().collect();
        names.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = StepLogs::new();
        for (n, v) in names {
            out.insert(&n, v);
        }
        out
    }
}

/// The steps of a subclassed model (override `train_step`, `test_step`, `predict_step`
/// and `metrics` as in Keras). Each method gets the model, to call it
/// ([`Model::call_multi`]), compute the compiled loss ([`Model::compute_loss`]), reach
/// the optimizer ([`Model::optimizer_mut`]) and the compiled metrics
/// ([`Model::update_compiled_metrics`], [`Model::compiled_logs`]). Methods not
/// overridden run the built-in steps.
///
/// The trackers a step owns are listed by [`TrainStep::metrics`], so that `fit` and
/// `evaluate` reset them at the start of each epoch and run, as Keras resets
/// `model.metrics`.
///
/// ```
/// use kiln::layers::Dense;
/// use kiln::metrics::{Mean, Metric};
/// use kiln::models::{CompileArgs, FitArgs, Model, StepData, StepLogs, TrainStep};
/// use kiln_tensor::{GradientTape, Tensor};
///
/// struct Custom { loss_tracker: Mean }
/// impl TrainStep for Custom {
///     fn train_step(&mut self, model: &mut Model, data: &StepData) -> kiln::Result<StepLogs> {
///         let vars = model.trainable_weights();
///         let tape = GradientTape::new();
///         let pred = model.call_multi(&data.x, true)?;
///         let loss = model.compute_loss(&data.x, &data.y, &pred, None)?;
///         let grads = tape.gradient(&loss, &vars)?;
///         drop(tape);
///         model.optimizer_mut().expect("compiled").apply(&grads, &vars)?;
///         self.loss_tracker.update(&loss, None)?;
///         Ok(StepLogs::from_metrics(&[&self.loss_tracker]))
///     }
///     fn metrics(&mut self) -> Vec<&mut dyn Metric> {
///         vec![&mut self.loss_tracker]
///     }
/// }
///
/// let mut m = Model::sequential(vec![Dense::new(1).input_shape(&[2]).into()])?;
/// m.set_train_step(Custom { loss_tracker: Mean::new("loss") });
/// m.compile(CompileArgs::new().optimizer("sgd").loss("mse"))?;
/// let x = Tensor::ones(&[8, 2], kiln_tensor::DType::F32);
/// let h = m.fit(&x, &x.slice(&[0, 0], &[-1, 1])?, kiln::models::FitArgs::new().epochs(2).batch_size(4).verbose(0))?;
/// assert_eq!(h.get("loss").len(), 2);
/// # Ok::<(), kiln::Error>(())
/// ```
pub trait TrainStep: Send {
    /// One training step (Keras's `train_step(data)`); returns the logs.
    fn train_step(&mut self, model: &mut Model, data: &StepData) -> Result<StepLogs> {
        model.default_train_step(data).map(StepLogs::from)
    }

    /// One evaluation step (Keras's `test_step(data)`); returns the logs.
    fn test_step(&mut self, model: &mut Model, data: &StepData) -> Result<StepLogs> {
        model.default_test_step(data).map(StepLogs::from)
    }

    /// One prediction step (Keras's `predict_step(data)`); returns the outputs.
    fn predict_step(&mut self, model: &mut Model, x: &[Tensor]) -> Result<Vec<Tensor>> {
        model.default_predict_step(x)
    }

    /// The step's own metric trackers (Keras's `metrics` property), reset by `fit` at
    /// each epoch and by `evaluate` at each run.
    fn metrics(&mut self) -> Vec<&mut dyn Metric> {
        Vec::new()
    }
}
