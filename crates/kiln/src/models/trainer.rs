//! The training loop (Keras's `trainers/trainer.py` and the backend's `fit`/`evaluate`/
//! `predict`): one loop each for `fit`, `evaluate` and `predict`, fed by a
//! [`DataAdapter`] whether the data are tensors or a `Dataset`, and the steps they run
//! (built in, or a model's [`TrainStep`]).

use std::collections::HashMap;

use kiln_tensor::autodiff::no_recording;
use kiln_tensor::random::Generator;
use kiln_tensor::{GradientTape, Tensor, Variable};

use crate::callbacks::{Callback, CallbackParams, History, Logs, ProgbarLogger};
use crate::models::compile_args::{EvaluateArgs, FitArgs, PredictArgs, Tensors};
use crate::models::compiled_steps::StepFeed;
use crate::models::custom_step::{StepData, TrainStep};
use crate::models::data_adapter::{
    apply_class_weight, cardinality, take_rows, Batch, DataAdapter, EpochIterator,
};
use crate::models::Model;
use crate::{Error, Result};

fn bad(api: &'static str, msg: String) -> Error {
    Error::InvalidArgument { api, msg }
}

/// The callbacks of one run: the progress bar first when `verbose`, then the user's.
fn callback_list(
    verbose: u8,
    user: Vec<Box<dyn Callback>>,
    params: &CallbackParams,
) -> Vec<Box<dyn Callback>> {
    let mut cbs: Vec<Box<dyn Callback>> = Vec::new();
    if verbose > 0 {
        cbs.push(Box::new(ProgbarLogger::default()));
    }
    cbs.extend(user);
    for cb in &mut cbs {
        cb.set_params(params);
    }
    cbs
}

/// Whether a step's logs report a loss (`loss`, or a name ending in `_loss` as a GAN's
/// `d_loss` / `g_loss`).
fn has_loss(logs: &Logs) -> bool {
    logs.iter()
        .any(|(n, _)| n == "loss" || n.ends_with("_loss"))
}

/// What `fit` runs, once the data are adapted.
pub(crate) struct FitPlan {
    pub(crate) data: EpochIterator,
    pub(crate) validation: Option<DataAdapter>,
    /// Applied per batch (datasets); tensors have it folded into their sample weights.
    pub(crate) class_weight: Option<HashMap<usize, f64>>,
}

impl Model {
    /// Installs the steps of a subclassed model (Keras's overridden `train_step`,
    /// `test_step`, `predict_step` and `metrics`); see [`TrainStep`].
    pub fn set_train_step(&mut self, steps: impl TrainStep + 'static) {
        self.custom_steps = Some(Box::new(steps));
    }

    /// Runs `f` with the model's custom steps taken out (so they can borrow the model).
    fn with_custom<R>(
        &mut self,
        f: impl FnOnce(&mut dyn TrainStep, &mut Model) -> Result<R>,
    ) -> Option<Result<R>> {
        let mut steps = self.custom_steps.take()?;
        let out = f(steps.as_mut(), self);
        self.custom_steps = Some(steps);
        Some(out)
    }

    /// The model's outputs for `x` and the compiled loss plus the model's own losses
    /// (`add_loss` terms and weight penalties of the last call), as Keras's
    /// `model.compute_loss(x, y, y_pred, sample_weight)`. Call it inside a
    /// `GradientTape` after the forward pass.
    pub fn compute_loss(
        &mut self,
        _x: &[Tensor],
        y: &[Tensor],
        y_pred: &[Tensor],
        sample_weight: Option<&Tensor>,
    ) -> Result<Tensor> {
        let extra = self.net.losses()?;
        let c = self.compiled_mut("Model.compute_loss")?;
        Ok(c.compute_loss_tensors(y, y_pred, sample_weight, extra)?.0)
    }

    /// Updates the compiled loss tracker with `loss` (weight 1, as Keras's
    /// `metric.update_state(loss)` in a custom `train_step`; the built-in step weights it
    /// by the batch size) and the compiled metrics with `(y, y_pred)`.
    pub fn update_compiled_metrics(
        &mut self,
        y: &[Tensor],
        y_pred: &[Tensor],
        sample_weight: Option<&Tensor>,
        loss: &Tensor,
    ) -> Result<()> {
        let value = loss.to_f64_vec().first().copied().unwrap_or(f64::NAN);
        let c = self.compiled_mut("Model.update_compiled_metrics")?;
        c.update_metrics(y, y_pred, sample_weight, value, &[], 1)
    }

    /// The compiled loss tracker and metrics' current values (`loss`, then the metrics).
    pub fn compiled_logs(&self) -> Logs {
        self.compiled.as_ref().map(|c| c.logs()).unwrap_or_default()
    }

    /// The built-in train step (forward, compiled loss, gradients, optimizer, metrics),
    /// traced when compiled with `jit_compile`; returns the logs so far this epoch.
    pub fn default_train_step(&mut self, data: &StepData) -> Result<Logs> {
        self.train_step(&data.x, &data.y, data.sample_weight.as_ref())?;
        Ok(self.compiled_logs())
    }

    /// The built-in test step (forward in inference mode, loss, metrics).
    pub fn default_test_step(&mut self, data: &StepData) -> Result<Logs> {
        self.test_step(&data.x, &data.y, data.sample_weight.as_ref())?;
        Ok(self.compiled_logs())
    }

    /// The built-in predict step (`call(x, training=False)`).
    pub fn default_predict_step(&mut self, x: &[Tensor]) -> Result<Vec<Tensor>> {
        self.predict_step(x)
    }

    /// One training batch through the model's steps: the custom `train_step` when one
    /// is installed, else the built-in one.
    pub(crate) fn run_train_step(&mut self, api: &'static str, batch: Batch) -> Result<Logs> {
        let (x, y, sample_weight) = batch;
        let data = StepData {
            x,
            y,
            sample_weight,
        };
        match self.with_custom(|s, m| s.train_step(m, &data)) {
            Some(out) => {
                let logs = out?.into_logs(api)?;
                if !has_loss(&logs) {
                    return Err(bad(
                        api,
                        format!(
                            "train_step returned logs without a loss: got {:?}; return the loss \
                             under 'loss' (or a name ending in '_loss')",
                            logs.iter().map(|(n, _)| n).collect::<Vec<_>>()
                        ),
                    ));
                }
                self.reduce_step_logs(logs)
            }
            None => {
                let logs = self.default_train_step(&data)?;
                self.reduce_step_logs(logs)
            }
        }
    }

    /// One evaluation batch through the model's steps.
    pub(crate) fn run_test_step(&mut self, api: &'static str, batch: Batch) -> Result<Logs> {
        let (x, y, sample_weight) = batch;
        let data = StepData {
            x,
            y,
            sample_weight,
        };
        let logs = match self.with_custom(|s, m| s.test_step(m, &data)) {
            Some(out) => out?.into_logs(api)?,
            None => self.default_test_step(&data)?,
        };
        self.reduce_step_logs(logs)
    }

    /// One prediction batch through the model's steps.
    pub(crate) fn run_predict_step(&mut self, x: &[Tensor]) -> Result<Vec<Tensor>> {
        let _pause = no_recording();
        match self.with_custom(|s, m| s.predict_step(m, x)) {
            Some(out) => out,
            None => self.default_predict_step(x),
        }
    }

    /// One optimizer step on a batch; returns the per-output losses.
    pub(crate) fn train_step(
        &mut self,
        xs: &[Tensor],
        ys: &[Tensor],
        sample_weight: Option<&Tensor>,
    ) -> Result<()> {
        if self.compiled.as_ref().is_some_and(|c| c.jit_compile) {
            if self.distribution.is_some() {
                return Err(bad(
                    "Model.fit",
                    "jit_compile=true with a distribution strategy is not supported: the \
                     traced step has no place for the gradient all-reduce; compile with \
                     jit_compile=false"
                        .into(),
                ));
            }
            return self.train_step_compiled(xs, ys, sample_weight);
        }
        // The variables are those read when this step signature was first seen (Keras
        // reads them when it traces the step), or now, after the forward pass.
        let ty = self.step_signature(xs, ys, sample_weight);
        let cached = self.cached_step_weights("Model.fit", &ty)?;
        let tape = GradientTape::new();
        // The kept list may hold variables frozen since: watch them explicitly.
        for v in cached.iter().flatten() {
            tape.watch_variable(v);
        }
        let preds = self.net.call_multi(xs, Some(true))?;
        let extra = self.net.losses()?;
        let vars = match cached {
            Some(v) => v,
            None => self.new_step_weights("Model.fit", ty)?,
        };
        let compiled = self.compiled_mut("Model.fit")?;
        let (loss, per_output) = compiled.compute_loss(ys, &preds, sample_weight, extra)?;
        let var_refs: Vec<&Variable> = vars.iter().collect();
        let mut grads = match &mut self.distribution {
            Some(d) if d.overlap() => {
                let mut ready = |i: usize, g: &Tensor| {
                    d.gradient_ready(i, g)
                        .map_err(|e| kiln_tensor::Error::Tape(e.to_string()))
                };
                tape.gradient_with_ready(&loss, &var_refs, &mut ready)?
            }
            _ => tape.gradient(&loss, &var_refs)?,
        };
        drop(tape);
        if let Some(d) = &mut self.distribution {
            d.reduce_gradients(&mut grads, &vars)?;
        }
        let compiled = self.compiled_mut("Model.fit")?;
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
    /// A `Dataset` goes through [`Model::fit_dataset`]; both run the same loop.
    ///
    /// ```
    /// use kiln::layers::Dense;
    /// use kiln::models::{CompileArgs, FitArgs, Model};
    /// use kiln_tensor::{DType, Tensor};
    /// let x = Tensor::from_vec((0..32).map(|i| i as f32 / 32.0).collect(), &[32, 1])?;
    /// let y = x.mul_scalar(2.0)?;
    /// let mut m = Model::sequential(vec![Dense::new(1).input_shape(&[1]).into()])?;
    /// m.compile(CompileArgs::new().optimizer("sgd").loss("mse"))?;
    /// let h = m.fit(&x, &y, FitArgs::new().epochs(3).verbose(0))?;
    /// assert_eq!(h.get("loss").len(), 3);
    /// // No samples is an error, not a panic.
    /// let empty = Tensor::zeros(&[0, 1], DType::F32);
    /// assert!(m.fit(&empty, &empty, FitArgs::new().steps_per_epoch(2).verbose(0)).is_err());
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn fit(
        &mut self,
        x: impl Into<Tensors>,
        y: impl Into<Tensors>,
        mut args: FitArgs,
    ) -> Result<History> {
        let api = "Model.fit";
        self.compiled_mut(api)?;
        let (mut xs, mut ys) = self.resolve_xy(api, x.into(), y.into())?;
        let mut sw = args.sample_weight.take();
        let n_all = cardinality(&[("x", &xs), ("y", &ys)])?;
        if n_all == 0 {
            return Err(bad(
                api,
                "the input data has 0 samples; expected at least one sample".into(),
            ));
        }
        if let Some(w) = &sw
            && w.shape().first().copied() != Some(n_all)
        {
            return Err(bad(
                api,
                format!(
                    "sample_weight has shape {:?}, expected ({n_all},)",
                    w.shape()
                ),
            ));
        }
        if args.batch_size == 0 {
            return Err(bad(api, "batch_size must be at least 1".into()));
        }
        if let Some(cw) = args.class_weight.take() {
            sw = Some(apply_class_weight(api, &cw, &ys, sw)?);
        }
        let vb = args.validation_batch_size.unwrap_or(args.batch_size);
        // validation_split holds out the last samples, before shuffling (as Keras).
        let mut validation = match args.validation_data.take() {
            Some((vx, vy, vw)) => {
                let (vx, vy) = self.resolve_xy(api, vx, vy)?;
                Some(DataAdapter::tensors(api, vx, vy, vw, vb, false, 0)?)
            }
            None => None,
        };
        if args.validation_split > 0.0 {
            if !(0.0..1.0).contains(&args.validation_split) {
                return Err(bad(
                    api,
                    format!(
                        "validation_split must be in [0, 1), got {}",
                        args.validation_split
                    ),
                ));
            }
            let split = (n_all as f64 * (1.0 - args.validation_split)) as usize;
            if split == 0 || split == n_all {
                return Err(bad(
                    api,
                    format!(
                        "validation_split {} leaves no training or no validation samples out of {n_all}",
                        args.validation_split
                    ),
                ));
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
            validation = Some(DataAdapter::tensors(api, vx, vy, vw, vb, false, 0)?);
        }
        // Each pass's shuffle comes from (fit seed, epoch), so a fit resumed at
        // `initial_epoch` after a reload shuffles exactly as the uninterrupted run did.
        let seed = Generator::from_global().next_u64();
        let adapter = DataAdapter::tensors(api, xs, ys, sw, args.batch_size, args.shuffle, seed)?;
        let data = EpochIterator::new(api, adapter, args.steps_per_epoch)?;
        self.run_fit(
            api,
            FitPlan {
                data,
                validation,
                class_weight: None,
            },
            args,
        )
    }

    /// The training loop (Keras's `fit` body), the same for tensors and datasets.
    pub(crate) fn run_fit(
        &mut self,
        api: &'static str,
        plan: FitPlan,
        mut args: FitArgs,
    ) -> Result<History> {
        let FitPlan {
            mut data,
            validation,
            class_weight,
        } = plan;
        if args.validation_freq == 0 {
            return Err(bad(api, "validation_freq must be at least 1".into()));
        }
        // Only the chief replica of a distribution strategy prints.
        let verbose = if self.is_chief() { args.verbose } else { 0 };
        let params = CallbackParams {
            verbose,
            epochs: args.epochs,
            steps: data.steps(),
        };
        let user_callbacks = std::mem::take(&mut args.callbacks);
        let mut callbacks = callback_list(verbose, user_callbacks, &params);
        let mut history = History::default();
        self.stop_training = false;
        let empty = Logs::new();
        for cb in &mut callbacks {
            cb.on_train_begin(self, &empty)?;
        }
        let mut epoch_logs = Logs::new();
        let feed = std::mem::replace(
            &mut self.step_feed,
            StepFeed::Fit {
                batch: data.static_batch(),
            },
        );
        let result = self.fit_epochs(
            api,
            &mut data,
            validation,
            class_weight,
            &args,
            &mut callbacks,
            &mut history,
            &mut epoch_logs,
        );
        self.step_feed = feed;
        result?;
        // Keras: `optimizer.finalize_variable_values(trainable_weights)` after the epochs
        // (with `use_ema`, the variables take their moving averages).
        if args.epochs > 0 {
            let vars = self.trainable_weights();
            if let Some(opt) = self.optimizer_mut() {
                opt.finalize_variable_values(&vars)?;
            }
        }
        for cb in &mut callbacks {
            cb.on_train_end(self, &epoch_logs)?;
        }
        Ok(history)
    }

    /// The epochs of [`Model::run_fit`].
    #[allow(clippy::too_many_arguments)]
    fn fit_epochs(
        &mut self,
        api: &'static str,
        data: &mut EpochIterator,
        validation: Option<DataAdapter>,
        class_weight: Option<HashMap<usize, f64>>,
        args: &FitArgs,
        callbacks: &mut [Box<dyn Callback>],
        history: &mut History,
        epoch_logs: &mut Logs,
    ) -> Result<()> {
        let empty = Logs::new();
        // BackupAndRestore sets the epoch to resume at in on_train_begin.
        let first_epoch = self.resume_at_epoch.take().unwrap_or(args.initial_epoch);
        for epoch in first_epoch..args.epochs {
            self.reset_metrics();
            for cb in callbacks.iter_mut() {
                cb.on_epoch_begin(self, epoch, &empty)?;
            }
            data.begin_epoch(epoch)?;
            let mut step = 0usize;
            let mut logs = Logs::new();
            while let Some((x, y, mut sw)) = data.next_batch(epoch, step)? {
                if let Some(cw) = &class_weight {
                    sw = Some(apply_class_weight(api, cw, &y, sw)?);
                }
                for cb in callbacks.iter_mut() {
                    cb.on_train_batch_begin(self, step, &empty)?;
                }
                logs = self.run_train_step(api, (x, y, sw))?;
                for cb in callbacks.iter_mut() {
                    cb.on_train_batch_end(self, step, &logs)?;
                }
                step += 1;
                if self.stop_training {
                    break;
                }
            }
            if step == 0 {
                return Err(bad(
                    api,
                    "the data produced no batches; expected at least one batch per epoch".into(),
                ));
            }
            *epoch_logs = logs;
            let due = (epoch + 1) % args.validation_freq == 0;
            if let (Some(val_data), true) = (&validation, due) {
                let val = self.run_evaluate(api, val_data, None, callbacks)?;
                epoch_logs.extend_prefixed(&val, "val_");
            }
            // Callbacks may add to the logs (ReduceLROnPlateau and LearningRateScheduler
            // write `learning_rate`); History records what they leave, as Keras's History
            // runs after the user's callbacks.
            for cb in callbacks.iter_mut() {
                cb.on_epoch_end(self, epoch, epoch_logs)?;
            }
            history.record(epoch, epoch_logs);
            if self.stop_training {
                break;
            }
        }
        Ok(())
    }

    /// The evaluation loop (Keras's `evaluate` body): one pass (or `steps` batches).
    pub(crate) fn run_evaluate(
        &mut self,
        api: &'static str,
        data: &DataAdapter,
        steps: Option<usize>,
        callbacks: &mut [Box<dyn Callback>],
    ) -> Result<Logs> {
        if steps.is_none() && data.is_infinite() {
            return Err(bad(
                api,
                "cannot evaluate an infinite dataset without steps".into(),
            ));
        }
        self.reset_metrics();
        let empty = Logs::new();
        for cb in callbacks.iter_mut() {
            cb.on_test_begin(self, &empty)?;
        }
        let mut logs = None;
        for (b, batch) in data.pass(api, 0)?.enumerate() {
            if steps.is_some_and(|s| b >= s) {
                break;
            }
            let batch = batch?;
            for cb in callbacks.iter_mut() {
                cb.on_test_batch_begin(self, b, &empty)?;
            }
            let l = self.run_test_step(api, batch)?;
            for cb in callbacks.iter_mut() {
                cb.on_test_batch_end(self, b, &l)?;
            }
            logs = Some(l);
        }
        let logs = logs.ok_or_else(|| {
            bad(
                api,
                "the data produced no batches; expected at least one batch to evaluate".into(),
            )
        })?;
        for cb in callbacks.iter_mut() {
            cb.on_test_end(self, &logs)?;
        }
        Ok(logs)
    }

    /// The prediction loop: every output, batch by batch, concatenated.
    pub(crate) fn run_predict(
        &mut self,
        api: &'static str,
        data: &DataAdapter,
        steps: Option<usize>,
        callbacks: &mut [Box<dyn Callback>],
    ) -> Result<Vec<Tensor>> {
        if steps.is_none() && data.is_infinite() {
            return Err(bad(
                api,
                "cannot predict over an infinite dataset without steps".into(),
            ));
        }
        let empty = Logs::new();
        for cb in callbacks.iter_mut() {
            cb.on_predict_begin(self, &empty)?;
        }
        let mut parts: Vec<Vec<Tensor>> = Vec::new();
        for (b, batch) in data.pass(api, 0)?.enumerate() {
            if steps.is_some_and(|s| b >= s) {
                break;
            }
            let (bx, _, _): Batch = batch?;
            for cb in callbacks.iter_mut() {
                cb.on_predict_batch_begin(self, b, &empty)?;
            }
            let out = self.run_predict_step(&bx)?;
            if parts.is_empty() {
                parts = out.iter().map(|_| Vec::new()).collect();
            }
            if out.len() != parts.len() {
                return Err(bad(
                    api,
                    format!(
                        "predict_step returned {} outputs for batch {b}, {} before",
                        out.len(),
                        parts.len()
                    ),
                ));
            }
            for (p, o) in parts.iter_mut().zip(out) {
                p.push(o);
            }
            for cb in callbacks.iter_mut() {
                cb.on_predict_batch_end(self, b, &empty)?;
            }
        }
        if parts.is_empty() {
            return Err(bad(
                api,
                "the data produced no batches (or the model no outputs); expected at least one"
                    .into(),
            ));
        }
        for cb in callbacks.iter_mut() {
            cb.on_predict_end(self, &empty)?;
        }
        parts
            .into_iter()
            .map(|mut p| {
                if p.len() == 1 {
                    Ok(p.remove(0))
                } else {
                    let refs: Vec<&Tensor> = p.iter().collect();
                    Ok(Tensor::concat(&refs, 0)?)
                }
            })
            .collect()
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
        let api = "Model.evaluate";
        self.compiled_mut(api)?;
        let EvaluateArgs {
            batch_size,
            verbose,
            sample_weight,
            steps,
            callbacks,
        } = args;
        let (xs, ys) = self.resolve_xy(api, x.into(), y.into())?;
        let data = DataAdapter::tensors(api, xs, ys, sample_weight, batch_size, false, 0)?;
        let verbose = if self.is_chief() { verbose } else { 0 };
        let params = CallbackParams {
            verbose,
            epochs: 0,
            steps: steps.or(data.num_batches()).min(data.num_batches()),
        };
        let mut cbs = callback_list(verbose, callbacks, &params);
        self.run_evaluate(api, &data, steps, &mut cbs)
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
    /// assert!(m.predict(&Tensor::ones(&[0, 2], DType::F32), PredictArgs::new()).is_err());
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn predict(&mut self, x: impl Into<Tensors>, args: PredictArgs) -> Result<Tensor> {
        let mut outs = self.predict_multi(x, args)?;
        if outs.len() != 1 {
            return Err(bad(
                "Model.predict",
                format!("the model has {} outputs; use predict_multi", outs.len()),
            ));
        }
        Ok(outs.remove(0))
    }

    /// All outputs for `x`, batch by batch.
    pub fn predict_multi(
        &mut self,
        x: impl Into<Tensors>,
        args: PredictArgs,
    ) -> Result<Vec<Tensor>> {
        let api = "Model.predict";
        let PredictArgs {
            batch_size,
            verbose,
            steps,
            callbacks,
        } = args;
        let xs = x.into().resolve(api, "x", "input", &self.input_names())?;
        let data = DataAdapter::tensors(api, xs, Vec::new(), None, batch_size, false, 0)?;
        let verbose = if self.is_chief() { verbose } else { 0 };
        let params = CallbackParams {
            verbose,
            epochs: 0,
            steps: steps.or(data.num_batches()).min(data.num_batches()),
        };
        let mut cbs = callback_list(verbose, callbacks, &params);
        self.run_predict(api, &data, steps, &mut cbs)
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
        self.compiled_mut("Model.train_on_batch")?;
        self.reset_metrics();
        self.run_train_step("Model.train_on_batch", (xs, ys, sample_weight.cloned()))
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
        self.compiled_mut("Model.test_on_batch")?;
        self.reset_metrics();
        self.run_test_step("Model.test_on_batch", (xs, ys, sample_weight.cloned()))
    }

    /// Outputs for one batch (`model.predict_on_batch`).
    pub fn predict_on_batch(&mut self, x: impl Into<Tensors>) -> Result<Vec<Tensor>> {
        let xs = x
            .into()
            .resolve("Model.predict_on_batch", "x", "input", &self.input_names())?;
        self.run_predict_step(&xs)
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
        if let Some(s) = &mut self.custom_steps {
            for m in s.metrics() {
                m.reset_state();
            }
        }
    }

    /// Whether `compile` has been called.
    pub fn is_compiled(&self) -> bool {
        self.compiled.is_some()
    }
}
