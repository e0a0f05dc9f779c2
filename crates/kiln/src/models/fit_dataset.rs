//! `fit` / `evaluate` / `predict` over a [`Dataset`] (Keras's `model.fit(dataset)`):
//! each element is `(x, y)` or `(x, y, sample_weight)` (for `predict`, `x` or `(x,)`),
//! where `x` and `y` are a tensor or a tuple of tensors (several inputs or outputs).

use kiln_data::dataset::{Cardinality, Dataset, Element, ElementIter};
use kiln_tensor::Tensor;

use crate::callbacks::{Callback, CallbackParams, History, Logs, ProgbarLogger};
use crate::models::compile_args::FitArgs;
use crate::models::Model;
use crate::{Error, Result};

type Batch = (Vec<Tensor>, Vec<Tensor>, Option<Tensor>);

fn bad(api: &'static str, msg: String) -> Error {
    Error::InvalidArgument { api, msg }
}

fn tensors(e: &Element) -> Vec<Tensor> {
    e.leaves().into_iter().cloned().collect()
}

/// Splits an element into `(x, y, sample_weight)`.
fn split(api: &'static str, e: &Element) -> Result<Batch> {
    match e {
        Element::Tuple(parts) if parts.len() == 2 || parts.len() == 3 => {
            let sw = match parts.get(2) {
                Some(w) => Some(
                    w.as_tensor()
                        .map_err(|_| {
                            bad(
                                api,
                                format!("sample_weight must be a tensor, got {}", w.structure()),
                            )
                        })?
                        .clone(),
                ),
                None => None,
            };
            Ok((tensors(&parts[0]), tensors(&parts[1]), sw))
        }
        other => Err(bad(
            api,
            format!(
                "dataset elements must be (x, y) or (x, y, sample_weight) tuples, got {}",
                other.structure()
            ),
        )),
    }
}

fn steps_of(ds: &Dataset) -> Option<usize> {
    match ds.cardinality() {
        Cardinality::Finite(n) => Some(n),
        _ => None,
    }
}

impl Model {
    /// Trains on a dataset of batches (`model.fit(dataset, epochs=...)`). Each epoch is
    /// one pass over the dataset, or `steps_per_epoch` batches drawn from a continuing
    /// iterator (which restarts when exhausted); an infinite dataset needs
    /// `steps_per_epoch`. As in Keras, `batch_size` and `shuffle` do not apply (the
    /// dataset decides), `validation_split` and `sample_weight` are errors (hold the
    /// validation data out of the dataset, and put sample weights in its elements), and
    /// `class_weight` weights each batch by its labels; `validation_data` works as in
    /// [`Model::fit`].
    ///
    /// ```
    /// use kiln::layers::Dense;
    /// use kiln::models::{CompileArgs, FitArgs, Model};
    /// use kiln_data::dataset::Dataset;
    /// use kiln_tensor::{DType, Tensor};
    /// let mut m = Model::sequential(vec![Dense::new(1).input_shape(&[2]).into()])?;
    /// m.compile(CompileArgs::new().optimizer("sgd").loss("mse"))?;
    /// let ds = Dataset::from_tensor_slices((Tensor::ones(&[8, 2], DType::F32), Tensor::ones(&[8, 1], DType::F32)))?
    ///     .batch(4)?;
    /// let h = m.fit_dataset(&ds, FitArgs::new().epochs(2).verbose(0))?;
    /// assert_eq!(h.history["loss"].len(), 2);
    /// assert!(m.fit_dataset(&ds.repeat(None), FitArgs::new().verbose(0)).is_err());
    /// let e = m.fit_dataset(&ds, FitArgs::new().validation_split(0.2)).unwrap_err();
    /// assert!(e.to_string().contains("validation_split"), "{e}");
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn fit_dataset(&mut self, ds: &Dataset, args: FitArgs) -> Result<History> {
        let api = "Model.fit";
        self.compiled_mut(api)?;
        if args.validation_split != 0.0 {
            return Err(bad(
                api,
                format!(
                    "validation_split={} is only supported for tensors, not a Dataset; hold the \
                     validation batches out of the dataset (take/skip) and pass them as \
                     validation_data",
                    args.validation_split
                ),
            ));
        }
        if args.sample_weight.is_some() {
            return Err(bad(
                api,
                "when x is a Dataset, sample_weight should not be passed; include the sample \
                 weights in the dataset's elements as (x, y, sample_weight)"
                    .into(),
            ));
        }
        let steps = match (args.steps_per_epoch, ds.cardinality()) {
            (Some(s), _) => Some(s),
            (None, Cardinality::Infinite) => {
                return Err(bad(
                    api,
                    "the dataset is infinite (repeat() without a count): pass steps_per_epoch"
                        .into(),
                ))
            }
            (None, c) => steps_of_card(c),
        };
        let params = CallbackParams {
            verbose: args.verbose,
            epochs: args.epochs,
            steps,
        };
        let mut callbacks: Vec<Box<dyn Callback>> = Vec::new();
        if args.verbose > 0 {
            callbacks.push(Box::new(ProgbarLogger::default()));
        }
        callbacks.extend(args.callbacks);
        for cb in &mut callbacks {
            cb.set_params(&params);
        }
        let validation = match args.validation_data {
            Some((vx, vy, vw)) => {
                let (vx, vy) = self.resolve_xy(api, vx, vy)?;
                Some((vx, vy, vw))
            }
            None => None,
        };
        let mut history = History::default();
        let empty = Logs::new();
        self.stop_training = false;
        for cb in &mut callbacks {
            cb.on_train_begin(self, &empty)?;
        }
        let mut epoch_logs = Logs::new();
        let mut it: Option<ElementIter> = None;
        for epoch in args.initial_epoch..args.epochs {
            self.compiled_mut(api)?.reset_metrics();
            for cb in &mut callbacks {
                cb.on_epoch_begin(self, epoch, &empty)?;
            }
            if args.steps_per_epoch.is_none() || it.is_none() {
                it = Some(ds.iter());
            }
            let mut step = 0usize;
            loop {
                if args.steps_per_epoch.is_some_and(|s| step >= s) {
                    break;
                }
                let next = match it.as_mut().and_then(|i| i.next()) {
                    Some(e) => e,
                    None if args.steps_per_epoch.is_some() => {
                        // Exhausted mid-epoch: start a new pass, as Keras's data adapter.
                        it = Some(ds.iter());
                        match it.as_mut().and_then(|i| i.next()) {
                            Some(e) => e,
                            None => break,
                        }
                    }
                    None => break,
                };
                let (x, y, mut sw) = split(api, &next?)?;
                if let Some(cw) = &args.class_weight {
                    sw = Some(super::trainer::apply_class_weight(api, cw, &y, sw)?);
                }
                for cb in &mut callbacks {
                    cb.on_train_batch_begin(self, step, &empty)?;
                }
                self.train_step(&x, &y, sw.as_ref())?;
                let logs = self.compiled_mut(api)?.logs();
                for cb in &mut callbacks {
                    cb.on_train_batch_end(self, step, &logs)?;
                }
                step += 1;
                if self.stop_training {
                    break;
                }
            }
            if step == 0 {
                return Err(bad(api, "the dataset produced no batches".into()));
            }
            epoch_logs = self.compiled_mut(api)?.logs();
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

    /// Loss and metrics over one pass of a dataset of `(x, y[, sample_weight])` batches.
    ///
    /// ```
    /// use kiln::layers::Dense;
    /// use kiln::models::{CompileArgs, Model};
    /// use kiln_data::dataset::Dataset;
    /// use kiln_tensor::{DType, Tensor};
    /// let mut m = Model::sequential(vec![Dense::new(1).kernel_initializer("zeros").input_shape(&[2]).into()])?;
    /// m.compile(CompileArgs::new().loss("mse"))?;
    /// let ds = Dataset::from_tensor_slices((Tensor::ones(&[6, 2], DType::F32), Tensor::ones(&[6, 1], DType::F32)))?.batch(4)?;
    /// assert_eq!(m.evaluate_dataset(&ds, 0)?.get("loss"), Some(1.0));
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn evaluate_dataset(&mut self, ds: &Dataset, verbose: u8) -> Result<Logs> {
        let api = "Model.evaluate";
        if ds.cardinality() == Cardinality::Infinite {
            return Err(bad(api, "cannot evaluate an infinite dataset".into()));
        }
        self.compiled_mut(api)?.reset_metrics();
        let mut callbacks: Vec<Box<dyn Callback>> = Vec::new();
        if verbose > 0 {
            let mut p = ProgbarLogger::default();
            p.set_params(&CallbackParams {
                verbose,
                epochs: 0,
                steps: steps_of(ds),
            });
            callbacks.push(Box::new(p));
        }
        let empty = Logs::new();
        for cb in callbacks.iter_mut() {
            cb.on_test_begin(self, &empty)?;
        }
        for (b, e) in ds.iter().enumerate() {
            let (x, y, sw) = split(api, &e?)?;
            for cb in callbacks.iter_mut() {
                cb.on_test_batch_begin(self, b, &empty)?;
            }
            self.test_step(&x, &y, sw.as_ref())?;
            let logs = self.compiled_mut(api)?.logs();
            for cb in callbacks.iter_mut() {
                cb.on_test_batch_end(self, b, &logs)?;
            }
        }
        let logs = self.compiled_mut(api)?.logs();
        for cb in callbacks.iter_mut() {
            cb.on_test_end(self, &logs)?;
        }
        Ok(logs)
    }

    /// Predictions over one pass of a dataset whose elements are `x`, `(x,)` or `(x, y...)`
    /// (targets are ignored), concatenated along the batch axis (first output).
    pub fn predict_dataset(&mut self, ds: &Dataset) -> Result<Tensor> {
        let api = "Model.predict";
        if ds.cardinality() == Cardinality::Infinite {
            return Err(bad(api, "cannot predict over an infinite dataset".into()));
        }
        let mut outs: Vec<Tensor> = Vec::new();
        for e in ds.iter() {
            let e = e?;
            let x = match &e {
                Element::Tuple(parts) if !parts.is_empty() => tensors(&parts[0]),
                other => tensors(other),
            };
            let mut y = self.predict_on_batch(x)?;
            if y.is_empty() {
                return Err(bad(api, "the model has no outputs".into()));
            }
            outs.push(y.swap_remove(0));
        }
        if outs.is_empty() {
            return Err(bad(api, "the dataset produced no batches".into()));
        }
        let refs: Vec<&Tensor> = outs.iter().collect();
        Ok(Tensor::concat(&refs, 0)?)
    }
}

fn steps_of_card(c: Cardinality) -> Option<usize> {
    match c {
        Cardinality::Finite(n) => Some(n),
        _ => None,
    }
}
