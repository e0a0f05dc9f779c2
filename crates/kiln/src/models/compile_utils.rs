//! Compile state (Keras's `trainers/compile_utils.py`): what `compile` sets up — the
//! optimizer, the compiled losses with their weights, the compiled metrics and the loss
//! trackers — and how a step turns predictions into a loss and updated metrics.

use kiln_tensor::autodiff::no_recording;
use kiln_tensor::Tensor;

use crate::callbacks::Logs;
use crate::losses::Loss;
use crate::metrics::Metric;
use crate::models::compile_args::{CompileArgs, LossArg, MetricArg, OptimizerArg};
use crate::models::compile_config::{by_output, saved_metrics};
use crate::models::Model;
use crate::optimizers::Optimizer;
use crate::{Error, Result};

/// A metric renamed to the identifier it was compiled with (`"acc"`, `"mae"`) or
/// prefixed with its output's name.
struct Named {
    inner: Box<dyn Metric>,
    name: String,
}

impl Metric for Named {
    fn name(&self) -> &str {
        &self.name
    }
    fn update_state(&mut self, y: &Tensor, p: &Tensor, w: Option<&Tensor>) -> Result<()> {
        self.inner.update_state(y, p, w)
    }
    fn result(&self) -> f64 {
        self.inner.result()
    }
    fn reset_state(&mut self) {
        self.inner.reset_state()
    }
    fn get_config(&self) -> serde_json::Value {
        self.inner.get_config()
    }
}

/// Weighted running mean (Keras's `Mean` metric, used for the loss trackers).
#[derive(Debug, Clone, Copy, Default)]
struct Tracker {
    total: f64,
    count: f64,
}

impl Tracker {
    fn update(&mut self, value: f64, weight: f64) {
        self.total += value * weight;
        self.count += weight;
    }
    fn result(&self) -> f64 {
        if self.count == 0.0 {
            0.0
        } else {
            self.total / self.count
        }
    }
}

/// What `compile` sets up.
pub(crate) struct Compiled {
    pub(crate) optimizer: Box<dyn Optimizer>,
    pub(crate) losses: Vec<Box<dyn Loss>>,
    pub(crate) loss_weights: Vec<f64>,
    /// The loss weights as given to `compile` (for `compile_config`).
    pub(crate) given_loss_weights: Option<Vec<f64>>,
    pub(crate) metric_args: Vec<Vec<MetricArg>>,
    /// The metrics as given to `compile`, in Keras's saved form (for `compile_config`).
    pub(crate) saved_metrics: serde_json::Value,
    /// Whether the losses, loss weights and metrics were given keyed by output name
    /// (then `compile_config` keys them by name too, as Keras saves what it was given).
    pub(crate) keyed: (bool, bool, bool),
    pub(crate) metrics_shared: bool,
    pub(crate) metrics: Option<Vec<Vec<Box<dyn Metric>>>>,
    loss_tracker: Tracker,
    output_trackers: Vec<Tracker>,
    pub(crate) output_names: Vec<String>,
    /// `compile(jit_compile=True)`: train, test and predict steps run as traced graphs.
    pub(crate) jit_compile: bool,
    pub(crate) steps_per_execution: usize,
    /// The traced steps, by input type.
    pub(crate) step_cache: crate::models::compiled_steps::StepCache,
}

fn not_compiled(api: &'static str) -> Error {
    Error::InvalidArgument {
        api,
        msg: "you must call compile() before using the model for training or evaluation".into(),
    }
}

/// Keras's resolution of `"accuracy"`: binary when the prediction has one unit, sparse
/// categorical when the labels have lower rank (or a last axis of 1 against several
/// units), categorical otherwise.
fn resolve_metric(name: &str, y_true: &Tensor, y_pred: &Tensor) -> Result<Box<dyn Metric>> {
    let lower = name.to_ascii_lowercase();
    let inner = if lower == "accuracy" || lower == "acc" {
        let yt_last = y_true.shape().last().copied().unwrap_or(1);
        let yp_last = y_pred.shape().last().copied().unwrap_or(1);
        let is_binary = yp_last == 1;
        let is_sparse = y_true.rank() < y_pred.rank() || (yt_last == 1 && yp_last > 1);
        let id = if is_binary {
            "binary_accuracy"
        } else if is_sparse {
            "sparse_categorical_accuracy"
        } else {
            "categorical_accuracy"
        };
        crate::metrics::get(id)?
    } else {
        crate::metrics::get(name)?
    };
    Ok(Box::new(Named {
        inner,
        name: name.to_string(),
    }))
}

impl Compiled {
    pub(crate) fn reset_metrics(&mut self) {
        self.loss_tracker = Tracker::default();
        for t in &mut self.output_trackers {
            *t = Tracker::default();
        }
        if let Some(ms) = &mut self.metrics {
            for m in ms.iter_mut().flatten() {
                m.reset_state();
            }
        }
    }

    fn ensure_metrics(&mut self, ys: &[Tensor], preds: &[Tensor]) -> Result<()> {
        if self.metrics.is_some() {
            return Ok(());
        }
        let n = preds.len();
        let multi = n > 1;
        let mut out: Vec<Vec<Box<dyn Metric>>> = (0..n).map(|_| Vec::new()).collect();
        let args = std::mem::take(&mut self.metric_args);
        if self.metrics_shared {
            // The same list for each output: names resolve again per output.
            let names: Vec<Option<String>> = args
                .first()
                .map(|v| {
                    v.iter()
                        .map(|a| match a {
                            MetricArg::Name(s) => Some(s.clone()),
                            MetricArg::Object(_) => None,
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mut objects: Vec<Box<dyn Metric>> = Vec::new();
            if let Some(first) = args.into_iter().next() {
                for a in first {
                    if let MetricArg::Object(m) = a {
                        objects.push(m);
                    }
                }
            }
            let mut objects = objects.into_iter();
            for (i, slot) in out.iter_mut().enumerate() {
                for name in &names {
                    let m = match name {
                        Some(s) => resolve_metric(s, &ys[i], &preds[i])?,
                        None if i == 0 => match objects.next() {
                            Some(m) => m,
                            None => continue,
                        },
                        None => {
                            return Err(Error::InvalidArgument {
                                api: "Model.compile",
                                msg: "metric objects cannot be shared by several outputs; pass \
                                      them per output with metrics_per_output"
                                    .into(),
                            })
                        }
                    };
                    slot.push(m);
                }
            }
        } else {
            if args.len() != n {
                return Err(Error::InvalidArgument {
                    api: "Model.compile",
                    msg: format!(
                        "metrics were given for {} outputs, but the model has {n}",
                        args.len()
                    ),
                });
            }
            for (i, list) in args.into_iter().enumerate() {
                for a in list {
                    out[i].push(match a {
                        MetricArg::Name(s) => resolve_metric(&s, &ys[i], &preds[i])?,
                        MetricArg::Object(m) => m,
                    });
                }
            }
        }
        if multi {
            let names = &self.output_names;
            out = out
                .into_iter()
                .enumerate()
                .map(|(i, list)| {
                    list.into_iter()
                        .map(|m| {
                            let name = format!("{}_{}", names[i], m.name());
                            Box::new(Named { inner: m, name }) as Box<dyn Metric>
                        })
                        .collect()
                })
                .collect();
        }
        self.metrics = Some(out);
        Ok(())
    }

    /// Total loss (compiled losses, weighted, plus the model's own losses) and the
    /// per-output compiled losses.
    pub(crate) fn compute_loss(
        &self,
        ys: &[Tensor],
        preds: &[Tensor],
        sample_weight: Option<&Tensor>,
        extra: Vec<Tensor>,
    ) -> Result<(Tensor, Vec<f64>)> {
        let (total, per_output) = self.compute_loss_tensors(ys, preds, sample_weight, extra)?;
        let per_output = per_output
            .iter()
            .map(|l| l.to_f64_vec().first().copied().unwrap_or(f64::NAN))
            .collect();
        Ok((total, per_output))
    }

    /// The total loss and each output's loss, as tensors (traceable: nothing is read).
    pub(crate) fn compute_loss_tensors(
        &self,
        ys: &[Tensor],
        preds: &[Tensor],
        sample_weight: Option<&Tensor>,
        extra: Vec<Tensor>,
    ) -> Result<(Tensor, Vec<Tensor>)> {
        let mut total: Option<Tensor> = None;
        let mut per_output = Vec::new();
        if !self.losses.is_empty() {
            if ys.len() != preds.len() {
                return Err(Error::InvalidArgument {
                    api: "Model.compute_loss",
                    msg: format!(
                        "the model has {} outputs, but {} targets were given",
                        preds.len(),
                        ys.len()
                    ),
                });
            }
            for (i, (y, p)) in ys.iter().zip(preds).enumerate() {
                let loss = if self.losses.len() == 1 {
                    &self.losses[0]
                } else {
                    &self.losses[i]
                };
                let y = if y.dtype() != p.dtype() && p.dtype().is_float() && y.dtype().is_float() {
                    y.cast(p.dtype())?
                } else {
                    y.clone()
                };
                let l = loss.compute(&y, p, sample_weight)?;
                per_output.push(l.clone());
                let w = self.loss_weights.get(i).copied().unwrap_or(1.0);
                let l = if w != 1.0 { l.mul_scalar(w)? } else { l };
                total = Some(match total {
                    Some(t) => t.add(&l)?,
                    None => l,
                });
            }
        }
        for e in extra {
            // Keras sums each term; kiln takes a scalar or a per-sample vector and
            // rejects anything of higher rank (most likely a forgotten reduction).
            if e.rank() > 1 {
                return Err(Error::InvalidArgument {
                    api: "Model.compute_loss",
                    msg: format!(
                        "a loss added with add_loss (or a regularizer) has shape {:?}; expected \
                         a scalar or a per-sample vector (reduce it, e.g. with mean)",
                        e.shape()
                    ),
                });
            }
            let e = e.sum(&[], false)?;
            let e = match &total {
                Some(t) if e.dtype() != t.dtype() => e.cast(t.dtype())?,
                _ => e,
            };
            total = Some(match total {
                Some(t) => t.add(&e)?,
                None => e,
            });
        }
        let total = total.ok_or_else(|| Error::InvalidArgument {
            api: "Model.compute_loss",
            msg: "No loss to compute. Provide a `loss` argument in `compile()` (or add losses \
                  in call() with add_loss)"
                .into(),
        })?;
        Ok((total, per_output))
    }

    pub(crate) fn update_metrics(
        &mut self,
        ys: &[Tensor],
        preds: &[Tensor],
        sample_weight: Option<&Tensor>,
        loss: f64,
        per_output: &[f64],
        batch: usize,
    ) -> Result<()> {
        let _pause = no_recording();
        self.loss_tracker.update(loss, batch as f64);
        if per_output.len() > 1 {
            if self.output_trackers.len() != per_output.len() {
                self.output_trackers = vec![Tracker::default(); per_output.len()];
            }
            for (t, v) in self.output_trackers.iter_mut().zip(per_output) {
                t.update(*v, batch as f64);
            }
        }
        if !ys.is_empty() {
            self.ensure_metrics(ys, preds)?;
        }
        if let Some(ms) = &mut self.metrics {
            for (i, list) in ms.iter_mut().enumerate() {
                for m in list {
                    m.update_state(&ys[i], &preds[i], sample_weight)?;
                }
            }
        }
        Ok(())
    }

    pub(crate) fn logs(&self) -> Logs {
        let mut logs = Logs::new();
        logs.insert("loss", self.loss_tracker.result());
        if self.output_trackers.len() > 1 {
            for (name, t) in self.output_names.iter().zip(&self.output_trackers) {
                logs.insert(&format!("{name}_loss"), t.result());
            }
        }
        if let Some(ms) = &self.metrics {
            for m in ms.iter().flatten() {
                logs.insert(m.name(), m.result());
            }
        }
        logs
    }
}

impl Model {
    /// Configures training (`model.compile`). Unknown identifiers are errors here.
    ///
    /// ```
    /// use kiln::layers::Dense;
    /// use kiln::models::{CompileArgs, Model};
    /// let mut m = Model::sequential(vec![Dense::new(1).input_shape(&[3]).into()])?;
    /// m.compile(CompileArgs::new().optimizer("sgd").loss("mse"))?;
    /// assert!(m.compile(CompileArgs::new().optimizer("sgdd").loss("mse")).is_err());
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn compile(&mut self, args: CompileArgs) -> Result<()> {
        let optimizer = match args.optimizer {
            OptimizerArg::Name(n) => crate::optimizers::get(&n)?,
            OptimizerArg::Object(o) => o,
        };
        let n_out = self.num_outputs();
        let outputs = self.output_names();
        let keyed = (
            args.loss_keys.is_some(),
            args.loss_weight_keys.is_some(),
            args.metric_keys.is_some(),
        );
        let args_losses = by_output("loss", args.loss_keys, args.losses, &outputs, |_| None)?;
        let args_loss_weights = match args.loss_weights {
            Some(w) => Some(by_output(
                "loss_weights",
                args.loss_weight_keys,
                w,
                &outputs,
                |_| Some(1.0),
            )?),
            None => None,
        };
        let args_metrics = by_output("metrics", args.metric_keys, args.metrics, &outputs, |_| {
            Some(Vec::new())
        })?;
        let mut losses = Vec::new();
        for l in args_losses {
            losses.push(match l {
                LossArg::Name(n) => crate::losses::get(&n)?,
                LossArg::Object(o) => o,
            });
        }
        if losses.len() > 1 && losses.len() != n_out {
            return Err(Error::InvalidArgument {
                api: "Model.compile",
                msg: format!(
                    "{} losses were given, but the model has {n_out} outputs",
                    losses.len()
                ),
            });
        }
        let given_loss_weights = args_loss_weights.clone();
        let loss_weights = args_loss_weights.unwrap_or_else(|| vec![1.0; n_out]);
        if loss_weights.len() != n_out {
            return Err(Error::InvalidArgument {
                api: "Model.compile",
                msg: format!(
                    "{} loss weights were given, but the model has {n_out} outputs",
                    loss_weights.len()
                ),
            });
        }
        // Validate metric names now so typos fail at compile time, as in Keras.
        for list in &args_metrics {
            for m in list {
                if let MetricArg::Name(n) = m {
                    let lower = n.to_ascii_lowercase();
                    if lower != "accuracy" && lower != "acc" {
                        crate::metrics::get(n)?;
                    }
                }
            }
        }
        self.compiled = Some(Compiled {
            optimizer,
            losses,
            loss_weights,
            given_loss_weights,
            saved_metrics: saved_metrics(&args_metrics, args.metrics_shared),
            metric_args: args_metrics,
            keyed,
            metrics_shared: args.metrics_shared,
            metrics: None,
            loss_tracker: Tracker::default(),
            output_trackers: Vec::new(),
            output_names: self.output_names(),
            jit_compile: args.jit_compile,
            steps_per_execution: args.steps_per_execution,
            step_cache: Default::default(),
        });
        Ok(())
    }

    pub(crate) fn compiled_mut(&mut self, api: &'static str) -> Result<&mut Compiled> {
        self.compiled.as_mut().ok_or_else(|| not_compiled(api))
    }
}
