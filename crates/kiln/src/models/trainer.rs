//! The trainer: `compile`, `fit`, `evaluate`, `predict` and the `*_on_batch` forms.

use kiln_tensor::autodiff::no_recording;
use kiln_tensor::random::Generator;
use kiln_tensor::{DType, GradientTape, Tensor, Variable};

use crate::callbacks::{Callback, CallbackParams, History, Logs, ProgbarLogger};
use crate::losses::Loss;
use crate::metrics::Metric;
use crate::models::compile_args::{
    CompileArgs, EvaluateArgs, FitArgs, LossArg, MetricArg, OptimizerArg, PredictArgs, Tensors,
};
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
    losses: Vec<Box<dyn Loss>>,
    loss_weights: Vec<f64>,
    /// The loss weights as given to `compile` (for `compile_config`).
    given_loss_weights: Option<Vec<f64>>,
    metric_args: Vec<Vec<MetricArg>>,
    /// The metrics as given to `compile`, in Keras's saved form (for `compile_config`).
    saved_metrics: serde_json::Value,
    /// Whether the losses, loss weights and metrics were given keyed by output name
    /// (then `compile_config` keys them by name too, as Keras saves what it was given).
    keyed: (bool, bool, bool),
    metrics_shared: bool,
    metrics: Option<Vec<Vec<Box<dyn Metric>>>>,
    loss_tracker: Tracker,
    output_trackers: Vec<Tracker>,
    output_names: Vec<String>,
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

/// Number of samples in each tensor; all must agree (Keras's "data cardinality" check).
fn cardinality(groups: &[(&str, &[Tensor])]) -> Result<usize> {
    let sizes: Vec<(String, Vec<usize>)> = groups
        .iter()
        .map(|(name, ts)| {
            (
                name.to_string(),
                ts.iter()
                    .map(|t| t.shape().first().copied().unwrap_or(0))
                    .collect(),
            )
        })
        .collect();
    let all: Vec<usize> = sizes.iter().flat_map(|(_, s)| s.iter().copied()).collect();
    let first = *all.first().ok_or_else(|| Error::InvalidArgument {
        api: "Model.fit",
        msg: "no data was given".into(),
    })?;
    if all.iter().any(|&n| n != first) {
        let desc: Vec<String> = sizes
            .iter()
            .map(|(n, s)| {
                format!(
                    "{n} sizes: {}",
                    s.iter()
                        .map(|v| v.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect();
        return Err(Error::InvalidArgument {
            api: "Model.fit",
            msg: format!(
                "data cardinality is ambiguous: {}. Make sure all arrays contain the same number \
                 of samples",
                desc.join("; ")
            ),
        });
    }
    Ok(first)
}

/// Rows `idx` (or the contiguous range when `idx` is `None`) of every tensor.
fn take_rows(
    ts: &[Tensor],
    range: std::ops::Range<usize>,
    perm: Option<&[i64]>,
) -> Result<Vec<Tensor>> {
    match perm {
        Some(p) => {
            let rows = Tensor::from_vec(p[range.clone()].to_vec(), &[range.len()])?;
            ts.iter().map(|t| Ok(t.gather(&rows, 0)?)).collect()
        }
        None => ts
            .iter()
            .map(|t| {
                let mut begin = vec![0isize; t.rank()];
                let mut size = vec![-1isize; t.rank()];
                begin[0] = range.start as isize;
                size[0] = range.len() as isize;
                Ok(t.slice(&begin, &size)?)
            })
            .collect(),
    }
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
    fn compute_loss(
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
            msg: "no loss to optimize: compile with a loss or add losses in call()".into(),
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

/// Sample weights from `class_weight` and the labels (sparse ids, or one-hot argmax).
fn class_sample_weights(
    class_weight: &std::collections::HashMap<usize, f64>,
    y: &Tensor,
) -> Result<Tensor> {
    let n = y.shape().first().copied().unwrap_or(0);
    let labels: Vec<i64> = if y.rank() >= 2 && y.shape()[y.rank() - 1] > 1 {
        y.argmax(-1)?.to_vec::<i64>()?
    } else {
        y.reshape(&[n as isize])?
            .cast(DType::I64)?
            .to_vec::<i64>()?
    };
    let w: Vec<f32> = labels
        .iter()
        .map(|&c| {
            usize::try_from(c)
                .ok()
                .and_then(|c| class_weight.get(&c).copied())
                .unwrap_or(1.0) as f32
        })
        .collect();
    Ok(Tensor::from_vec(w, &[n])?)
}

/// `sample_weight` multiplied by the weights `class_weight` gives `y`'s labels (Keras:
/// single-output models only).
pub(crate) fn apply_class_weight(
    api: &'static str,
    class_weight: &std::collections::HashMap<usize, f64>,
    ys: &[Tensor],
    sample_weight: Option<Tensor>,
) -> Result<Tensor> {
    let [y] = ys else {
        return Err(Error::InvalidArgument {
            api,
            msg: "class_weight is only supported for models with a single output".into(),
        });
    };
    let w = class_sample_weights(class_weight, y)?;
    Ok(match sample_weight {
        Some(s) => s.cast(DType::F32)?.mul(&w)?,
        None => w,
    })
}

/// Batches of one pass over `n` samples.
fn batch_ranges(n: usize, batch_size: usize) -> Vec<std::ops::Range<usize>> {
    (0..n.div_ceil(batch_size))
        .map(|b| b * batch_size..((b + 1) * batch_size).min(n))
        .collect()
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

    /// One optimizer step on a batch; returns the per-output losses.
    pub(crate) fn train_step(
        &mut self,
        xs: &[Tensor],
        ys: &[Tensor],
        sample_weight: Option<&Tensor>,
    ) -> Result<()> {
        if self.compiled.as_ref().is_some_and(|c| c.jit_compile) {
            return self.train_step_compiled(xs, ys, sample_weight);
        }
        let vars: Vec<Variable> = self.net.trainable_weights();
        let tape = GradientTape::new();
        let preds = self.net.call_multi(xs, Some(true))?;
        let extra = self.net.losses()?;
        let compiled = self.compiled_mut("Model.fit")?;
        let (loss, per_output) = compiled.compute_loss(ys, &preds, sample_weight, extra)?;
        let var_refs: Vec<&Variable> = vars.iter().collect();
        let grads = tape.gradient(&loss, &var_refs)?;
        drop(tape);
        let pairs: Vec<(Tensor, Variable)> = grads
            .into_iter()
            .zip(vars)
            .filter_map(|(g, v)| g.map(|g| (g, v)))
            .collect();
        compiled.optimizer.apply_gradients(&pairs)?;
        let loss_value = loss.to_f64_vec().first().copied().unwrap_or(f64::NAN);
        let batch = xs
            .first()
            .and_then(|t| t.shape().first().copied())
            .unwrap_or(1);
        compiled.update_metrics(ys, &preds, sample_weight, loss_value, &per_output, batch)?;
        self.net.apply_constraints()?;
        Ok(())
    }

    pub(crate) fn test_step(
        &mut self,
        xs: &[Tensor],
        ys: &[Tensor],
        sample_weight: Option<&Tensor>,
    ) -> Result<()> {
        if self.compiled.as_ref().is_some_and(|c| c.jit_compile) {
            return self.test_step_compiled(xs, ys, sample_weight);
        }
        let _pause = no_recording();
        let preds = self.net.call_multi(xs, Some(false))?;
        let extra = self.net.losses()?;
        let compiled = self.compiled_mut("Model.evaluate")?;
        let (loss, per_output) = compiled.compute_loss(ys, &preds, sample_weight, extra)?;
        let loss_value = loss.to_f64_vec().first().copied().unwrap_or(f64::NAN);
        let batch = xs
            .first()
            .and_then(|t| t.shape().first().copied())
            .unwrap_or(1);
        compiled.update_metrics(ys, &preds, sample_weight, loss_value, &per_output, batch)
    }

    /// Trains for `epochs` over `(x, y)` (`model.fit`), returning the per-epoch logs.
    ///
    /// ```
    /// use kiln::layers::Dense;
    /// use kiln::models::{CompileArgs, FitArgs, Model};
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec((0..32).map(|i| i as f32 / 32.0).collect(), &[32, 1])?;
    /// let y = x.mul_scalar(2.0)?;
    /// let mut m = Model::sequential(vec![Dense::new(1).input_shape(&[1]).into()])?;
    /// m.compile(CompileArgs::new().optimizer("sgd").loss("mse"))?;
    /// let h = m.fit(&x, &y, FitArgs::new().epochs(3).verbose(0))?;
    /// assert_eq!(h.get("loss").len(), 3);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn fit(
        &mut self,
        x: impl Into<Tensors>,
        y: impl Into<Tensors>,
        args: FitArgs,
    ) -> Result<History> {
        if self.compiled.is_none() {
            return Err(not_compiled("Model.fit"));
        }
        let (mut xs, mut ys) = self.resolve_xy("Model.fit", x.into(), y.into())?;
        let mut sw = args.sample_weight.clone();
        let n_all = cardinality(&[("x", &xs), ("y", &ys)])?;
        if let Some(w) = &sw
            && w.shape().first().copied() != Some(n_all)
        {
            return Err(Error::InvalidArgument {
                api: "Model.fit",
                msg: format!(
                    "sample_weight has shape {:?}, expected ({n_all},)",
                    w.shape()
                ),
            });
        }
        if args.batch_size == 0 {
            return Err(Error::InvalidArgument {
                api: "Model.fit",
                msg: "batch_size must be at least 1".into(),
            });
        }
        if let Some(cw) = &args.class_weight {
            sw = Some(apply_class_weight("Model.fit", cw, &ys, sw)?);
        }
        // validation_split holds out the last samples, before shuffling (as Keras).
        let mut validation = match args.validation_data {
            Some((vx, vy, vw)) => {
                let (vx, vy) = self.resolve_xy("Model.fit", vx, vy)?;
                Some((vx, vy, vw))
            }
            None => None,
        };
        if args.validation_split > 0.0 {
            if !(0.0..1.0).contains(&args.validation_split) {
                return Err(Error::InvalidArgument {
                    api: "Model.fit",
                    msg: format!(
                        "validation_split must be in [0, 1), got {}",
                        args.validation_split
                    ),
                });
            }
            let split = (n_all as f64 * (1.0 - args.validation_split)) as usize;
            if split == 0 || split == n_all {
                return Err(Error::InvalidArgument {
                    api: "Model.fit",
                    msg: format!(
                        "validation_split {} leaves no training or no validation samples out of {n_all}",
                        args.validation_split
                    ),
                });
            }
            let vx = take_rows(&xs, split..n_all, None)?;
            let vy = take_rows(&ys, split..n_all, None)?;
            let vw = match &sw {
                Some(w) => Some(take_rows(std::slice::from_ref(w), split..n_all, None)?.remove(0)),
                None => None,
            };
            xs = take_rows(&xs, 0..split, None)?;
            ys = take_rows(&ys, 0..split, None)?;
            if let Some(w) = &sw {
                sw = Some(take_rows(std::slice::from_ref(w), 0..split, None)?.remove(0));
            }
            validation = Some((vx, vy, vw));
        }
        let n = xs[0].shape().first().copied().unwrap_or(0);
        let batches = batch_ranges(n, args.batch_size);
        let steps = args.steps_per_epoch.unwrap_or(batches.len());
        let params = CallbackParams {
            verbose: args.verbose,
            epochs: args.epochs,
            steps: Some(steps),
        };
        let mut callbacks: Vec<Box<dyn Callback>> = Vec::new();
        if args.verbose > 0 {
            callbacks.push(Box::new(ProgbarLogger::default()));
        }
        callbacks.extend(args.callbacks);
        for cb in &mut callbacks {
            cb.set_params(&params);
        }
        let mut history = History::default();
        let all: Vec<Tensor> = xs.iter().chain(&ys).chain(&sw).cloned().collect();
        // Each epoch's shuffle comes from (fit seed, epoch), so a fit resumed at
        // `initial_epoch` after a reload shuffles exactly as the uninterrupted run did.
        let shuffle_seed = Generator::from_global().next_u64();
        self.stop_training = false;
        let empty = Logs::new();
        for cb in &mut callbacks {
            cb.on_train_begin(self, &empty)?;
        }
        let mut epoch_logs = Logs::new();
        let first_epoch = self.resume_at_epoch.take().unwrap_or(args.initial_epoch);
        for epoch in first_epoch..args.epochs {
            self.compiled_mut("Model.fit")?.reset_metrics();
            for cb in &mut callbacks {
                cb.on_epoch_begin(self, epoch, &empty)?;
            }
            let perm: Option<Vec<i64>> = if args.shuffle {
                let mut rng = Generator::from_seed(
                    shuffle_seed ^ (epoch as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                );
                Some(rng.permutation(n).to_vec::<i64>()?)
            } else {
                None
            };
            for step in 0..steps {
                let range = batches[step % batches.len()].clone();
                for cb in &mut callbacks {
                    cb.on_train_batch_begin(self, step, &empty)?;
                }
                // One take over inputs, targets and weights: the batch's row indices are
                // built once.
                let mut batch = take_rows(&all, range, perm.as_deref())?;
                let bw = if sw.is_some() { batch.pop() } else { None };
                let by = batch.split_off(xs.len());
                self.train_step(&batch, &by, bw.as_ref())?;
                let logs = self.compiled_mut("Model.fit")?.logs();
                for cb in &mut callbacks {
                    cb.on_train_batch_end(self, step, &logs)?;
                }
                if self.stop_training {
                    break;
                }
            }
            epoch_logs = self.compiled_mut("Model.fit")?.logs();
            let due = (epoch + 1) % args.validation_freq == 0;
            if let (Some((vx, vy, vw)), true) = (&validation, due) {
                let vb = args.validation_batch_size.unwrap_or(args.batch_size);
                let val = self.evaluate_inner(vx, vy, vw.as_ref(), vb, &mut callbacks)?;
                epoch_logs.extend_prefixed(&val, "val_");
            }
            // Callbacks may add to the logs (ReduceLROnPlateau and LearningRateScheduler
            // write `learning_rate`); History records what they leave, as Keras's History
            // runs after the user's callbacks.
            for cb in &mut callbacks {
                cb.on_epoch_end(self, epoch, &mut epoch_logs)?;
            }
            history.record(epoch, &epoch_logs);
            if self.stop_training {
                break;
            }
        }
        for cb in &mut callbacks {
            cb.on_train_end(self, &epoch_logs)?;
        }
        Ok(history)
    }

    pub(crate) fn evaluate_inner(
        &mut self,
        xs: &[Tensor],
        ys: &[Tensor],
        sw: Option<&Tensor>,
        batch_size: usize,
        callbacks: &mut [Box<dyn Callback>],
    ) -> Result<Logs> {
        let n = cardinality(&[("x", xs), ("y", ys)])?;
        if batch_size == 0 {
            return Err(Error::InvalidArgument {
                api: "Model.evaluate",
                msg: "batch_size must be at least 1".into(),
            });
        }
        self.compiled_mut("Model.evaluate")?.reset_metrics();
        let empty = Logs::new();
        for cb in callbacks.iter_mut() {
            cb.on_test_begin(self, &empty)?;
        }
        for (b, range) in batch_ranges(n, batch_size).into_iter().enumerate() {
            for cb in callbacks.iter_mut() {
                cb.on_test_batch_begin(self, b, &empty)?;
            }
            let bx = take_rows(xs, range.clone(), None)?;
            let by = take_rows(ys, range.clone(), None)?;
            let bw = match sw {
                Some(w) => Some(take_rows(std::slice::from_ref(w), range, None)?.remove(0)),
                None => None,
            };
            self.test_step(&bx, &by, bw.as_ref())?;
            let logs = self.compiled_mut("Model.evaluate")?.logs();
            for cb in callbacks.iter_mut() {
                cb.on_test_batch_end(self, b, &logs)?;
            }
        }
        let logs = self.compiled_mut("Model.evaluate")?.logs();
        for cb in callbacks.iter_mut() {
            cb.on_test_end(self, &logs)?;
        }
        Ok(logs)
    }

    /// Loss and metrics over `(x, y)` (`model.evaluate(..., return_dict=True)`);
    /// [`Logs::iter`] gives Keras's list form in order, and `logs["accuracy"]` one value.
    ///
    /// ```
    /// use kiln::layers::Dense;
    /// use kiln::models::{CompileArgs, EvaluateArgs, Model};
    /// use kiln_tensor::{DType, Tensor};
    /// let mut m = Model::sequential(vec![Dense::new(1).kernel_initializer("zeros").input_shape(&[2]).into()])?;
    /// m.compile(CompileArgs::new().loss("mse").metrics(["mae"]))?;
    /// let (x, y) = (Tensor::ones(&[4, 2], DType::F32), Tensor::ones(&[4, 1], DType::F32));
    /// let logs = m.evaluate(&x, &y, EvaluateArgs::new().verbose(0))?;
    /// assert_eq!(logs["loss"], 1.0);
    /// assert_eq!(logs.get("mae"), Some(1.0));
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn evaluate(
        &mut self,
        x: impl Into<Tensors>,
        y: impl Into<Tensors>,
        args: EvaluateArgs,
    ) -> Result<Logs> {
        if self.compiled.is_none() {
            return Err(not_compiled("Model.evaluate"));
        }
        let EvaluateArgs {
            batch_size,
            verbose,
            sample_weight,
            steps,
            callbacks,
        } = args;
        let (mut xs, mut ys) = self.resolve_xy("Model.evaluate", x.into(), y.into())?;
        let mut sw = sample_weight;
        let mut n = cardinality(&[("x", &xs), ("y", &ys)])?;
        if let Some(w) = &sw
            && w.shape().first().copied() != Some(n)
        {
            return Err(Error::InvalidArgument {
                api: "Model.evaluate",
                msg: format!("sample_weight has shape {:?}, expected ({n},)", w.shape()),
            });
        }
        if let Some(steps) = steps
            && steps.saturating_mul(batch_size.max(1)) < n
        {
            n = steps * batch_size.max(1);
            xs = take_rows(&xs, 0..n, None)?;
            ys = take_rows(&ys, 0..n, None)?;
            if let Some(w) = &sw {
                sw = Some(take_rows(std::slice::from_ref(w), 0..n, None)?.remove(0));
            }
        }
        let mut cbs: Vec<Box<dyn Callback>> = Vec::new();
        if verbose > 0 {
            cbs.push(Box::new(ProgbarLogger::default()));
        }
        cbs.extend(callbacks);
        let params = CallbackParams {
            verbose,
            epochs: 0,
            steps: Some(n.div_ceil(batch_size.max(1))),
        };
        for cb in &mut cbs {
            cb.set_params(&params);
        }
        self.evaluate_inner(&xs, &ys, sw.as_ref(), batch_size, &mut cbs)
    }

    /// Outputs for `x`, batch by batch, concatenated (`model.predict`). Multi-output
    /// models: see [`Model::predict_multi`] and [`Model::predict_named`].
    ///
    /// ```
    /// use kiln::layers::Dense;
    /// use kiln::models::{Model, PredictArgs};
    /// use kiln_tensor::{DType, Tensor};
    /// let mut m = Model::sequential(vec![Dense::new(3).input_shape(&[2]).into()])?;
    /// let y = m.predict(&Tensor::ones(&[70, 2], DType::F32), PredictArgs::new().verbose(0))?;
    /// assert_eq!(y.shape(), &[70, 3]);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn predict(&mut self, x: impl Into<Tensors>, args: PredictArgs) -> Result<Tensor> {
        let mut outs = self.predict_multi(x, args)?;
        if outs.len() != 1 {
            return Err(Error::InvalidArgument {
                api: "Model.predict",
                msg: format!("the model has {} outputs; use predict_multi", outs.len()),
            });
        }
        Ok(outs.remove(0))
    }

    /// All outputs for `x`, batch by batch.
    pub fn predict_multi(
        &mut self,
        x: impl Into<Tensors>,
        args: PredictArgs,
    ) -> Result<Vec<Tensor>> {
        let PredictArgs {
            batch_size,
            verbose,
            steps,
            callbacks,
        } = args;
        let xs = x
            .into()
            .resolve("Model.predict", "x", "input", &self.input_names())?;
        let n = cardinality(&[("x", &xs)])?;
        if batch_size == 0 {
            return Err(Error::InvalidArgument {
                api: "Model.predict",
                msg: "batch_size must be at least 1".into(),
            });
        }
        let _pause = no_recording();
        let mut ranges = batch_ranges(n, batch_size);
        if let Some(steps) = steps {
            ranges.truncate(steps);
        }
        let mut cbs: Vec<Box<dyn Callback>> = Vec::new();
        if verbose > 0 {
            cbs.push(Box::new(ProgbarLogger::default()));
        }
        cbs.extend(callbacks);
        let params = CallbackParams {
            verbose,
            epochs: 0,
            steps: Some(ranges.len()),
        };
        for cb in &mut cbs {
            cb.set_params(&params);
        }
        let empty = Logs::new();
        for cb in cbs.iter_mut() {
            cb.on_predict_begin(self, &empty)?;
        }
        let mut parts: Vec<Vec<Tensor>> = Vec::new();
        for (b, range) in ranges.into_iter().enumerate() {
            for cb in cbs.iter_mut() {
                cb.on_predict_batch_begin(self, b, &empty)?;
            }
            let bx = take_rows(&xs, range, None)?;
            let out = self.predict_step(&bx)?;
            if parts.is_empty() {
                parts = out.iter().map(|_| Vec::new()).collect();
            }
            for (p, o) in parts.iter_mut().zip(out) {
                p.push(o);
            }
            for cb in cbs.iter_mut() {
                cb.on_predict_batch_end(self, b, &empty)?;
            }
        }
        for cb in cbs.iter_mut() {
            cb.on_predict_end(self, &empty)?;
        }
        parts
            .into_iter()
            .map(|p| {
                if p.len() == 1 {
                    Ok(p.into_iter()
                        .next()
                        .unwrap_or_else(|| Tensor::scalar(0.0f32)))
                } else {
                    let refs: Vec<&Tensor> = p.iter().collect();
                    Ok(Tensor::concat(&refs, 0)?)
                }
            })
            .collect()
    }

    /// One gradient step on one batch (`model.train_on_batch(..., return_dict=True)`);
    /// metrics are reset first, so the logs describe this batch only.
    pub fn train_on_batch(
        &mut self,
        x: impl Into<Tensors>,
        y: impl Into<Tensors>,
        sample_weight: Option<&Tensor>,
    ) -> Result<Logs> {
        let (xs, ys) = self.resolve_xy("Model.train_on_batch", x.into(), y.into())?;
        cardinality(&[("x", &xs), ("y", &ys)])?;
        let c = self.compiled_mut("Model.train_on_batch")?;
        c.reset_metrics();
        self.train_step(&xs, &ys, sample_weight)?;
        Ok(self.compiled_mut("Model.train_on_batch")?.logs())
    }

    /// Loss and metrics of one batch (`model.test_on_batch(..., return_dict=True)`).
    pub fn test_on_batch(
        &mut self,
        x: impl Into<Tensors>,
        y: impl Into<Tensors>,
        sample_weight: Option<&Tensor>,
    ) -> Result<Logs> {
        let (xs, ys) = self.resolve_xy("Model.test_on_batch", x.into(), y.into())?;
        cardinality(&[("x", &xs), ("y", &ys)])?;
        self.compiled_mut("Model.test_on_batch")?.reset_metrics();
        self.test_step(&xs, &ys, sample_weight)?;
        Ok(self.compiled_mut("Model.test_on_batch")?.logs())
    }

    /// Outputs for one batch (`model.predict_on_batch`).
    pub fn predict_on_batch(&mut self, x: impl Into<Tensors>) -> Result<Vec<Tensor>> {
        let xs = x
            .into()
            .resolve("Model.predict_on_batch", "x", "input", &self.input_names())?;
        let _pause = no_recording();
        self.predict_step(&xs)
    }

    /// `x` and `y` in the model's input and output order (maps are looked up by name).
    pub(crate) fn resolve_xy(
        &self,
        api: &'static str,
        x: Tensors,
        y: Tensors,
    ) -> Result<(Vec<Tensor>, Vec<Tensor>)> {
        Ok((
            x.resolve(api, "x", "input", &self.input_names())?,
            y.resolve(api, "y", "output", &self.output_names())?,
        ))
    }

    /// [`Model::predict`] keyed by output name (Keras's dict of outputs): every output,
    /// batch by batch, with its output layer's name.
    ///
    /// ```
    /// use kiln::layers::{Dense, Input, LayerApply};
    /// use kiln::models::{Model, PredictArgs};
    /// use kiln_tensor::{DType, Tensor};
    /// let x = Input::new(&[Some(2)]).name("x").build();
    /// let a = Dense::new(3).name("cls").apply(&x)?;
    /// let b = Dense::new(1).name("reg").apply(&x)?;
    /// let mut m = Model::new(&[x], &[a, b])?;
    /// let out = m.predict_named([("x", Tensor::ones(&[5, 2], DType::F32))], PredictArgs::new().verbose(0))?;
    /// assert_eq!(out["reg"].shape(), &[5, 1]);
    /// assert!(m.predict_named([("y", Tensor::ones(&[5, 2], DType::F32))], PredictArgs::new()).is_err());
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn predict_named(
        &mut self,
        x: impl Into<Tensors>,
        args: PredictArgs,
    ) -> Result<std::collections::HashMap<String, Tensor>> {
        let outs = self.predict_multi(x, args)?;
        Ok(self.output_names().into_iter().zip(outs).collect())
    }

    /// Resets the compiled metrics (`model.reset_metrics()`).
    pub fn reset_metrics(&mut self) {
        if let Some(c) = &mut self.compiled {
            c.reset_metrics();
        }
    }

    /// Whether `compile` has been called.
    pub fn is_compiled(&self) -> bool {
        self.compiled.is_some()
    }
}

impl Model {
    /// Keras's `model.compile_from_config(config)`: compiles from a saved
    /// `compile_config` (see [`Model::get_compile_config`]); an `Err` names what could
    /// not be restored (an unregistered custom loss, an unknown output name, ...).
    ///
    /// ```
    /// use kiln::layers::Dense;
    /// use kiln::models::{CompileArgs, Model};
    /// let mut m = Model::sequential(vec![Dense::new(1).input_shape(&[3]).into()])?;
    /// m.compile(CompileArgs::new().optimizer("sgd").loss("mse"))?;
    /// let cc = m.get_compile_config().unwrap();
    /// let mut again = Model::sequential(vec![Dense::new(1).input_shape(&[3]).into()])?;
    /// again.compile_from_config(&cc)?;
    /// assert_eq!(again.get_compile_config(), Some(cc));
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn compile_from_config(&mut self, config: &serde_json::Value) -> Result<()> {
        crate::saving::compile_from(self, config).map_err(|why| Error::InvalidArgument {
            api: "Model.compile_from_config",
            msg: why,
        })
    }
}

/// `items` in output order: as given, or looked up by output name when `keys` are given
/// (`missing` supplies an output left out, or `None` when that is an error).
fn by_output<T>(
    what: &str,
    keys: Option<Vec<String>>,
    items: Vec<T>,
    outputs: &[String],
    missing: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>> {
    let Some(keys) = keys else {
        return Ok(items);
    };
    let bad = |msg: String| Error::InvalidArgument {
        api: "Model.compile",
        msg,
    };
    if let Some(k) = keys.iter().find(|k| !outputs.contains(k)) {
        return Err(bad(format!(
            "the {what} map names '{k}', which is not an output; the model's outputs are {outputs:?} (received {keys:?})"
        )));
    }
    let mut by_name: std::collections::HashMap<String, T> = keys.into_iter().zip(items).collect();
    outputs
        .iter()
        .map(|o| {
            by_name.remove(o).or_else(|| missing(o)).ok_or_else(|| {
                bad(format!(
                    "the {what} map has no entry for output '{o}'; the model's outputs are {outputs:?}"
                ))
            })
        })
        .collect()
}

/// The metrics given to `compile` as Keras saves them: names as given, objects in their
/// object form; one list for every output, or one list per output.
fn saved_metrics(metrics: &[Vec<MetricArg>], shared: bool) -> serde_json::Value {
    use serde_json::Value;
    let list = |ms: &[MetricArg]| -> Value {
        Value::Array(
            ms.iter()
                .map(|m| match m {
                    MetricArg::Name(n) => Value::String(n.clone()),
                    MetricArg::Object(o) => crate::saving::serialize_metric(o.as_ref()),
                })
                .collect(),
        )
    };
    match (metrics, shared) {
        ([], _) => Value::Null,
        ([ms], true) => list(ms),
        (per, _) => Value::Array(per.iter().map(|ms| list(ms)).collect()),
    }
}

/// Keras's class name for an optimizer's `name`.
fn optimizer_class(name: &str) -> String {
    match name {
        "sgd" => "SGD".into(),
        "rmsprop" => "RMSprop".into(),
        "adamw" => "AdamW".into(),
        other => {
            let mut c = other.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        }
    }
}

impl Model {
    /// Keras's `model.get_compile_config()` (`None` when not compiled), as saved in a
    /// `.keras` file: the optimizer as a Keras object, the losses (a built-in loss with
    /// its default options by name, else in Keras's object form; custom ones by their
    /// registered name, see [`crate::saving::register_loss_fn`]), the loss weights and
    /// the metrics as given to `compile`.
    ///
    /// ```
    /// use kiln::layers::Dense;
    /// use kiln::models::{CompileArgs, Model};
    /// let mut m = Model::sequential(vec![Dense::new(1).input_shape(&[3]).into()])?;
    /// m.compile(CompileArgs::new().optimizer("sgd").loss("mse").metrics(["mae"]))?;
    /// let cc = m.get_compile_config().unwrap();
    /// assert_eq!(cc["loss"], "mean_squared_error");
    /// assert_eq!(cc["metrics"], serde_json::json!(["mae"]));
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn get_compile_config(&self) -> Option<serde_json::Value> {
        use serde_json::json;
        let c = self.compiled.as_ref()?;
        let oc = c.optimizer.get_config();
        // `get_config` is already a Keras object for kiln's optimizers; wrap a bare config.
        let optimizer = if oc.get("class_name").is_some() {
            oc
        } else {
            json!({
                "module": "keras.optimizers",
                "class_name": optimizer_class(c.optimizer.name()),
                "config": oc,
                "registered_name": null,
            })
        };
        let keyed = |v: serde_json::Value, by_name: bool| -> serde_json::Value {
            match v {
                serde_json::Value::Array(items)
                    if by_name && items.len() == c.output_names.len() =>
                {
                    serde_json::Value::Object(c.output_names.iter().cloned().zip(items).collect())
                }
                other => other,
            }
        };
        let mut loss = crate::saving::losses_value(&c.losses);
        if c.keyed.0 && c.losses.len() == 1 {
            loss = json!([loss]);
        }
        Some(json!({
            "optimizer": optimizer,
            "loss": keyed(loss, c.keyed.0),
            "loss_weights": keyed(json!(c.given_loss_weights), c.keyed.1),
            "metrics": keyed(c.saved_metrics.clone(), c.keyed.2),
            "weighted_metrics": null,
            "run_eagerly": false,
            "steps_per_execution": c.steps_per_execution,
            "jit_compile": c.jit_compile,
        }))
    }
}

impl Model {
    /// The optimizer's state for saving (`None` when not compiled or not exportable).
    pub(crate) fn optimizer_state(&self) -> Option<(String, Vec<Tensor>)> {
        let c = self.compiled.as_ref()?;
        let vars = self.trainable_weights();
        Some((
            c.optimizer.name().to_string(),
            c.optimizer.export_state(&vars)?,
        ))
    }

    /// Restores a saved optimizer state into the compiled model's optimizer.
    pub(crate) fn set_optimizer_state(&mut self, values: &[Tensor]) -> Result<()> {
        let vars = self.trainable_weights();
        let c = self.compiled_mut("load_model")?;
        c.optimizer.import_state(&vars, values)
    }
}
