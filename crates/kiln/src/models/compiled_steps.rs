//! `compile(jit_compile=true)`: the train, test and predict steps traced once per input
//! signature with `kiln::function` and replayed as graphs.
//!
//! What is in the graph: the forward pass, the losses, the tape's backward pass and the
//! optimizer update (one host op, `apply_gradients`, run by the optimizer's own fused
//! kernel, as TF's `ResourceApplyAdam` runs inside a `tf.function`). What stays outside:
//! the metric updates and weight constraints, which run on the graph's outputs after each
//! step (kiln's metrics accumulate on the host). Random layers draw from the global
//! generator when the graph runs; a layer given its own `seed` draws from it only when
//! running eagerly.

use std::sync::Arc;

use kiln_tensor::function::{
    host_op, trace_concrete, ConcreteFunction, TensorSpec, TraceType, Value,
};
use kiln_tensor::{GradientTape, Tensor, Variable};

use crate::models::Model;
use crate::{Error, Result};

/// Traced steps by input type.
#[derive(Default)]
pub(crate) struct StepCache {
    train: Vec<Arc<ConcreteFunction>>,
    test: Vec<Arc<ConcreteFunction>>,
    predict: Vec<Arc<ConcreteFunction>>,
    /// Completed traces of the train / test / predict steps (for tests and `summary`).
    pub(crate) traces: [usize; 3],
    /// The train step's trainable variables by input signature: read from the model
    /// when a signature is first seen, as Keras's TensorFlow backend reads
    /// `trainable_weights` when it traces its train function ([`Model::step_signature`]).
    trainable: Vec<(TraceType, Vec<Variable>)>,
    /// The variables of the first train step since `compile`, which the optimizer is
    /// built for (Keras's `optimizer.build(trainable_variables)`).
    optimizer_vars: Option<Vec<Variable>>,
}

/// How the trainer feeds the train step, which decides the step's input signature as
/// Keras's TensorFlow backend sees it: `train_on_batch` passes `(x, y, sample_weight)`
/// with exact shapes; `fit` passes the dataset's elements, `(x, y)` or
/// `(x, y, sample_weight)`, whose batch dimension is fixed only when every batch is
/// full.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) enum StepFeed {
    /// `train_on_batch` and custom steps calling the built-in one.
    #[default]
    OnBatch,
    /// `fit`: the static batch size, or `None` when a batch may be partial.
    Fit {
        /// Rows of every batch when all are full.
        batch: Option<usize>,
    },
}

fn spec_list(ts: &[Tensor], feed: StepFeed) -> TraceType {
    TraceType::List(
        ts.iter()
            .map(|t| {
                let mut dims: Vec<Option<usize>> = t.shape().iter().map(|&d| Some(d)).collect();
                if let (StepFeed::Fit { batch }, Some(first)) = (feed, dims.first_mut()) {
                    *first = batch;
                }
                TraceType::Tensor(TensorSpec::new(&dims, t.dtype()))
            })
            .collect(),
    )
}

/// The train step's input signature for a batch fed as `feed`.
fn step_signature(
    feed: StepFeed,
    xs: &[Tensor],
    ys: &[Tensor],
    sample_weight: Option<&Tensor>,
) -> TraceType {
    let mut parts = vec![spec_list(xs, feed), spec_list(ys, feed)];
    match (sample_weight, feed) {
        (Some(w), _) => parts.push(match spec_list(std::slice::from_ref(w), feed) {
            TraceType::List(mut one) => one.remove(0),
            other => other,
        }),
        (None, StepFeed::OnBatch) => parts.push(TraceType::None),
        (None, StepFeed::Fit { .. }) => {}
    }
    TraceType::Tuple(parts)
}

fn list(ts: &[Tensor]) -> Value {
    Value::List(ts.iter().cloned().map(Value::Tensor).collect())
}

fn tensors(v: &Value, what: &str) -> Result<Vec<Tensor>> {
    v.items()
        .map(|items| {
            items
                .iter()
                .filter_map(|x| x.as_tensor().cloned())
                .collect()
        })
        .ok_or_else(|| Error::InvalidArgument {
            api: "Model (jit_compile)",
            msg: format!("internal: {what} is not a list of tensors"),
        })
}

fn find(cache: &[Arc<ConcreteFunction>], args: &[Value]) -> Option<Arc<ConcreteFunction>> {
    let ty = TraceType::of(&Value::Tuple(args.to_vec()));
    cache.iter().find(|c| c.trace_type().accepts(&ty)).cloned()
}

fn batch_of(xs: &[Tensor]) -> usize {
    xs.first()
        .and_then(|t| t.shape().first().copied())
        .unwrap_or(1)
}

impl Model {
    /// The train step's input signature for this batch, the key of the variables the
    /// built-in train step updates.
    ///
    /// Keras 3 (TensorFlow backend) reads `model.trainable_weights` when it traces the
    /// train function, not at every step: at the first step after `compile`, and again
    /// only when a batch's input signature is new (another dtype or structure, or a
    /// new shape, after which `reduce_retracing` relaxes the differing dimensions so
    /// that one trace takes every batch size). `compile` drops every trace. So a layer
    /// frozen (or unfrozen) after the first step keeps training (or stays frozen) until
    /// a retrace or a new `compile`. kiln keeps the same list per signature, with the
    /// same relaxation. The first list is the one the optimizer is built for; a later
    /// list with other variables is Keras's "Unknown variable" error.
    pub(crate) fn step_signature(
        &self,
        xs: &[Tensor],
        ys: &[Tensor],
        sample_weight: Option<&Tensor>,
    ) -> TraceType {
        step_signature(self.step_feed, xs, ys, sample_weight)
    }

    /// The list kept for the signature `ty`, if one was read ([`Model::step_signature`]).
    pub(crate) fn cached_step_weights(
        &mut self,
        api: &'static str,
        ty: &TraceType,
    ) -> Result<Option<Vec<Variable>>> {
        let cache = self.step_cache(api)?;
        let found: Vec<&(TraceType, Vec<Variable>)> = cache
            .trainable
            .iter()
            .filter(|(t, _)| t.accepts(ty))
            .collect();
        // The most specific: one every other candidate accepts.
        Ok(found
            .iter()
            .find(|(t, _)| found.iter().all(|(u, _)| u.accepts(t)))
            .or(found.first())
            .map(|(_, vars)| vars.clone()))
    }

    /// Reads the list for a new signature `ty` (after the step's forward pass, so a
    /// model built lazily by its first call has its variables), relaxed against the
    /// earlier signatures as `reduce_retracing` does, and keeps it.
    pub(crate) fn new_step_weights(
        &mut self,
        api: &'static str,
        ty: TraceType,
    ) -> Result<Vec<Variable>> {
        let vars = self.net.trainable_weights();
        let cache = self.step_cache(api)?;
        let relaxed = cache
            .trainable
            .iter()
            .fold(ty, |acc, (t, _)| acc.join(t).unwrap_or(acc));
        if vars.is_empty() {
            eprintln!("UserWarning: The model does not have any trainable weights.");
        }
        match &cache.optimizer_vars {
            None => cache.optimizer_vars = Some(vars.clone()),
            Some(known) => {
                if let Some(v) = vars
                    .iter()
                    .find(|v| !known.iter().any(|k| k.id() == v.id()))
                {
                    return Err(Error::InvalidArgument {
                        api,
                        msg: format!(
                            "Unknown variable: {} (shape {:?}). This optimizer can only be \
                             called for the variables it was originally built with (the \
                             trainable variables of the first step after compile). When \
                             working with a new set of variables, compile again with a new \
                             optimizer",
                            v.name(),
                            v.shape()
                        ),
                    });
                }
            }
        }
        cache.trainable.push((relaxed, vars.clone()));
        Ok(vars)
    }

    fn step_cache(&mut self, api: &'static str) -> Result<&mut StepCache> {
        Ok(&mut self.compiled_mut(api)?.step_cache)
    }

    /// The train step's graph body: forward, loss, gradients, the optimizer's host op.
    fn train_body(
        &mut self,
        a: &kiln_tensor::function::Args,
        ty: &TraceType,
        cached: Option<&[Variable]>,
    ) -> Result<Value> {
        let xs = tensors(a.get(0)?, "x")?;
        let ys = tensors(a.get(1)?, "y")?;
        let sw = a.get(2)?.as_tensor().cloned();
        let tape = GradientTape::new();
        // The step's list may hold variables frozen since it was read (see
        // `step_signature`): watch them explicitly.
        for v in cached.unwrap_or_default() {
            tape.watch_variable(v);
        }
        let preds = self.net.call_multi(&xs, Some(true))?;
        let extra = self.net.losses()?;
        let vars = match cached {
            Some(v) => v.to_vec(),
            None => self.new_step_weights("Model.fit", ty.clone())?,
        };
        let compiled = self.compiled_mut("Model.fit")?;
        let (loss, per_output) = compiled.compute_loss_tensors(&ys, &preds, sw.as_ref(), extra)?;
        let var_refs: Vec<&Variable> = vars.iter().collect();
        let grads = tape.gradient(&loss, &var_refs)?;
        drop(tape);
        let (idx, gs): (Vec<usize>, Vec<Tensor>) = grads
            .into_iter()
            .enumerate()
            .filter_map(|(i, g)| g.map(|g| (i, g)))
            .unzip();
        host_op("apply_gradients", &idx, &gs, &[])?;
        Ok(Value::Tuple(vec![
            loss.into(),
            list(&per_output),
            list(&preds),
        ]))
    }

    fn test_body(&mut self, a: &kiln_tensor::function::Args) -> Result<Value> {
        let xs = tensors(a.get(0)?, "x")?;
        let ys = tensors(a.get(1)?, "y")?;
        let sw = a.get(2)?.as_tensor().cloned();
        let _pause = kiln_tensor::autodiff::no_recording();
        let preds = self.net.call_multi(&xs, Some(false))?;
        let extra = self.net.losses()?;
        let compiled = self.compiled_mut("Model.evaluate")?;
        let (loss, per_output) = compiled.compute_loss_tensors(&ys, &preds, sw.as_ref(), extra)?;
        Ok(Value::Tuple(vec![
            loss.into(),
            list(&per_output),
            list(&preds),
        ]))
    }

    /// Reads a step's outputs and updates the metrics as the eager step does.
    fn finish_step(
        &mut self,
        api: &'static str,
        out: &Value,
        xs: &[Tensor],
        ys: &[Tensor],
        sample_weight: Option<&Tensor>,
    ) -> Result<()> {
        let items = out.items().unwrap_or(&[]);
        let loss = items
            .first()
            .and_then(Value::as_tensor)
            .map(|t| t.to_f64_vec().first().copied().unwrap_or(f64::NAN))
            .unwrap_or(f64::NAN);
        let per_output: Vec<f64> = tensors(items.get(1).unwrap_or(&Value::None), "losses")
            .unwrap_or_default()
            .iter()
            .map(|t| t.to_f64_vec().first().copied().unwrap_or(f64::NAN))
            .collect();
        let preds = tensors(items.get(2).unwrap_or(&Value::None), "predictions")?;
        let batch = batch_of(xs);
        self.compiled_mut(api)?
            .update_metrics(ys, &preds, sample_weight, loss, &per_output, batch)
    }

    /// [`Model::train_step`] through a traced graph.
    pub(crate) fn train_step_compiled(
        &mut self,
        xs: &[Tensor],
        ys: &[Tensor],
        sample_weight: Option<&Tensor>,
    ) -> Result<()> {
        let args = vec![
            list(xs),
            list(ys),
            sample_weight.cloned().map_or(Value::None, Value::Tensor),
        ];
        let ty = self.step_signature(xs, ys, sample_weight);
        let cached = self.cached_step_weights("Model.fit", &ty)?;
        let cf = match find(&self.step_cache("Model.fit")?.train, &args) {
            Some(cf) => cf,
            None => {
                let cf = Arc::new(trace_concrete("train_step", &args, |a| {
                    self.train_body(a, &ty, cached.as_deref())
                })?);
                let cache = self.step_cache("Model.fit")?;
                cache.train.push(cf.clone());
                cache.traces[0] += 1;
                cf
            }
        };
        let vars = match cached {
            Some(v) => v,
            None => self
                .cached_step_weights("Model.fit", &ty)?
                .unwrap_or_default(),
        };
        let compiled = self.compiled_mut("Model.fit")?;
        let optimizer = &mut compiled.optimizer;
        let mut apply =
            |name: &str, idx: &[usize], gs: &[Tensor]| -> kiln_tensor::Result<Vec<Tensor>> {
                if name != "apply_gradients" {
                    return Err(kiln_tensor::Error::Trace(format!(
                        "the train step has an unknown host op '{name}'"
                    )));
                }
                let pairs: Vec<(Tensor, Variable)> = idx
                    .iter()
                    .zip(gs)
                    .map(|(&i, g)| (g.clone(), vars[i].clone()))
                    .collect();
                optimizer
                    .apply_gradients(&pairs)
                    .map_err(|e| kiln_tensor::Error::Trace(e.to_string()))?;
                Ok(vec![])
            };
        let out = cf.call_with(&args, &mut apply)?;
        self.finish_step("Model.fit", &out, xs, ys, sample_weight)?;
        self.net.apply_constraints()?;
        Ok(())
    }

    /// [`Model::test_step`] through a traced graph.
    pub(crate) fn test_step_compiled(
        &mut self,
        xs: &[Tensor],
        ys: &[Tensor],
        sample_weight: Option<&Tensor>,
    ) -> Result<()> {
        let args = vec![
            list(xs),
            list(ys),
            sample_weight.cloned().map_or(Value::None, Value::Tensor),
        ];
        let cf = match find(&self.step_cache("Model.evaluate")?.test, &args) {
            Some(cf) => cf,
            None => {
                let cf = Arc::new(trace_concrete("test_step", &args, |a| self.test_body(a))?);
                let cache = self.step_cache("Model.evaluate")?;
                cache.test.push(cf.clone());
                cache.traces[1] += 1;
                cf
            }
        };
        let out = cf.call(&args)?;
        self.finish_step("Model.evaluate", &out, xs, ys, sample_weight)
    }

    /// The predict step (`call(x, training=False)`) through a traced graph when the
    /// model was compiled with `jit_compile`, else eagerly.
    pub(crate) fn predict_step(&mut self, xs: &[Tensor]) -> Result<Vec<Tensor>> {
        if !self.compiled.as_ref().is_some_and(|c| c.jit_compile) {
            return self.net.call_multi(xs, Some(false));
        }
        let args = vec![list(xs)];
        let cf = match find(&self.step_cache("Model.predict")?.predict, &args) {
            Some(cf) => cf,
            None => {
                let net = self.net.clone();
                let cf = Arc::new(trace_concrete(
                    "predict_step",
                    &args,
                    |a| -> Result<Value> {
                        let xs = tensors(a.get(0)?, "x")?;
                        let _pause = kiln_tensor::autodiff::no_recording();
                        Ok(list(&net.call_multi(&xs, Some(false))?))
                    },
                )?);
                let cache = self.step_cache("Model.predict")?;
                cache.predict.push(cf.clone());
                cache.traces[2] += 1;
                cf
            }
        };
        tensors(&cf.call(&args)?, "predictions")
    }

    /// How many times the train, test and predict steps were traced since `compile`
    /// (each new input signature traces once; 0 without `jit_compile`).
    ///
    /// ```
    /// use kiln::layers::Dense;
    /// use kiln::models::{CompileArgs, FitArgs, Model};
    /// use kiln_tensor::{DType, Tensor};
    /// let mut m = Model::sequential(vec![Dense::new(1).input_shape(&[2]).into()])?;
    /// m.compile(CompileArgs::new().optimizer("sgd").loss("mse").jit_compile(true))?;
    /// let (x, y) = (Tensor::ones(&[8, 2], DType::F32), Tensor::zeros(&[8, 1], DType::F32));
    /// m.fit(&x, &y, FitArgs::new().epochs(2).batch_size(4).verbose(0))?;
    /// assert_eq!(m.step_tracing_counts(), [1, 0, 0]);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn step_tracing_counts(&self) -> [usize; 3] {
        self.compiled
            .as_ref()
            .map_or([0; 3], |c| c.step_cache.traces)
    }
}
