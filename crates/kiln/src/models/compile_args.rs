//! Arguments of `compile` and `fit`, with Keras's defaults.

use std::collections::HashMap;

use kiln_tensor::Tensor;

use crate::callbacks::Callback;
use crate::losses::Loss;
use crate::metrics::Metric;
use crate::optimizers::Optimizer;

/// An optimizer given by Keras name (`"adam"`) or as an object.
pub enum OptimizerArg {
    /// Resolved with `optimizers::get` at compile time.
    Name(String),
    /// A configured optimizer.
    Object(Box<dyn Optimizer>),
}

impl From<&str> for OptimizerArg {
    fn from(s: &str) -> Self {
        OptimizerArg::Name(s.to_string())
    }
}

impl From<Box<dyn Optimizer>> for OptimizerArg {
    fn from(o: Box<dyn Optimizer>) -> Self {
        OptimizerArg::Object(o)
    }
}

impl<O: Optimizer + 'static> From<O> for OptimizerArg {
    fn from(o: O) -> Self {
        OptimizerArg::Object(Box::new(o))
    }
}

/// A loss given by Keras name (`"mse"`) or as an object.
pub enum LossArg {
    /// Resolved with `losses::get` at compile time.
    Name(String),
    /// A configured loss.
    Object(Box<dyn Loss>),
}

impl From<&str> for LossArg {
    fn from(s: &str) -> Self {
        LossArg::Name(s.to_string())
    }
}

impl From<Box<dyn Loss>> for LossArg {
    fn from(l: Box<dyn Loss>) -> Self {
        LossArg::Object(l)
    }
}

impl<L: Loss + 'static> From<L> for LossArg {
    fn from(l: L) -> Self {
        LossArg::Object(Box::new(l))
    }
}

/// A metric given by Keras name (`"accuracy"`, `"mae"`) or as an object.
pub enum MetricArg {
    /// Resolved at the first batch (`"accuracy"` needs the loss and shapes).
    Name(String),
    /// A configured metric.
    Object(Box<dyn Metric>),
}

impl MetricArg {
    /// A plain function `fn(y_true, y_pred) -> per-sample values` as a metric, averaged
    /// over samples and named after the function (Keras's `metrics=[my_metric]`); see
    /// [`MeanMetricWrapper::from_fn`](crate::metrics::MeanMetricWrapper::from_fn).
    pub fn from_fn<F>(f: F) -> MetricArg
    where
        F: Fn(&Tensor, &Tensor) -> crate::Result<Tensor> + Send + Sync + 'static,
    {
        MetricArg::Object(Box::new(crate::metrics::MeanMetricWrapper::from_fn(f)))
    }
}

impl From<&str> for MetricArg {
    fn from(s: &str) -> Self {
        MetricArg::Name(s.to_string())
    }
}

impl From<Box<dyn Metric>> for MetricArg {
    fn from(m: Box<dyn Metric>) -> Self {
        MetricArg::Object(m)
    }
}

impl<M: Metric + 'static> From<M> for MetricArg {
    fn from(m: M) -> Self {
        MetricArg::Object(Box::new(m))
    }
}

/// `model.compile(...)` arguments. Keras's defaults: optimizer `"rmsprop"`, no loss
/// (a model may train on `add_loss` terms alone), no metrics.
///
/// ```
/// use kiln::models::CompileArgs;
/// let args = CompileArgs::new()
///     .optimizer("adam")
///     .loss("sparse_categorical_crossentropy")
///     .metrics(["accuracy"]);
/// # drop(args);
/// ```
pub struct CompileArgs {
    pub(crate) optimizer: OptimizerArg,
    pub(crate) losses: Vec<LossArg>,
    pub(crate) loss_weights: Option<Vec<f64>>,
    pub(crate) metrics: Vec<Vec<MetricArg>>,
    pub(crate) metrics_shared: bool,
    /// Output names keying `losses`, `loss_weights` and `metrics` when they were given
    /// as maps (resolved against the model's outputs at compile time).
    pub(crate) loss_keys: Option<Vec<String>>,
    pub(crate) loss_weight_keys: Option<Vec<String>>,
    pub(crate) metric_keys: Option<Vec<String>>,
    pub(crate) jit_compile: bool,
    pub(crate) steps_per_execution: usize,
}

impl Default for CompileArgs {
    fn default() -> Self {
        CompileArgs::new()
    }
}

impl CompileArgs {
    /// Keras's defaults.
    pub fn new() -> CompileArgs {
        CompileArgs {
            optimizer: OptimizerArg::Name("rmsprop".into()),
            losses: Vec::new(),
            loss_weights: None,
            metrics: Vec::new(),
            metrics_shared: true,
            loss_keys: None,
            loss_weight_keys: None,
            metric_keys: None,
            jit_compile: false,
            steps_per_execution: 1,
        }
    }

    /// The optimizer.
    pub fn optimizer(mut self, optimizer: impl Into<OptimizerArg>) -> CompileArgs {
        self.optimizer = optimizer.into();
        self
    }

    /// One loss for every output.
    pub fn loss(mut self, loss: impl Into<LossArg>) -> CompileArgs {
        self.losses = vec![loss.into()];
        self
    }

    /// One loss per output, in output order.
    pub fn losses(mut self, losses: Vec<LossArg>) -> CompileArgs {
        self.losses = losses;
        self.loss_keys = None;
        self
    }

    /// Losses keyed by output name (Keras's `loss={"cls": ..., "reg": ...}`); every
    /// output needs one, and a name that is not an output is an error at `compile`.
    ///
    /// ```
    /// use kiln::layers::{Dense, Input, LayerApply};
    /// use kiln::models::{CompileArgs, Model};
    /// let x = Input::new(&[Some(4)]).name("x").build();
    /// let cls = Dense::new(3).name("cls").apply(&x)?;
    /// let reg = Dense::new(1).name("reg").apply(&x)?;
    /// let mut m = Model::new(&[x], &[cls, reg])?;
    /// m.compile(CompileArgs::new().loss_map([("reg", "mse"), ("cls", "sparse_categorical_crossentropy")]))?;
    /// let e = m.compile(CompileArgs::new().loss_map([("cls", "mse"), ("regr", "mse")])).unwrap_err();
    /// assert!(e.to_string().contains("'regr'"), "{e}");
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn loss_map<I, K, L>(mut self, losses: I) -> CompileArgs
    where
        I: IntoIterator<Item = (K, L)>,
        K: Into<String>,
        L: Into<LossArg>,
    {
        let (keys, losses): (Vec<String>, Vec<LossArg>) = losses
            .into_iter()
            .map(|(k, l)| (k.into(), l.into()))
            .unzip();
        self.losses = losses;
        self.loss_keys = Some(keys);
        self
    }

    /// Loss weights keyed by output name (an output left out weighs 1).
    pub fn loss_weights_map<I, K>(mut self, weights: I) -> CompileArgs
    where
        I: IntoIterator<Item = (K, f64)>,
        K: Into<String>,
    {
        let (keys, w): (Vec<String>, Vec<f64>) =
            weights.into_iter().map(|(k, v)| (k.into(), v)).unzip();
        self.loss_weights = Some(w);
        self.loss_weight_keys = Some(keys);
        self
    }

    /// Metrics keyed by output name (an output left out gets none).
    pub fn metrics_map<I, K, V, M>(mut self, metrics: I) -> CompileArgs
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: IntoIterator<Item = M>,
        M: Into<MetricArg>,
    {
        let (keys, m): (Vec<String>, Vec<Vec<MetricArg>>) = metrics
            .into_iter()
            .map(|(k, v)| (k.into(), v.into_iter().map(Into::into).collect()))
            .unzip();
        self.metrics = m;
        self.metrics_shared = false;
        self.metric_keys = Some(keys);
        self
    }

    /// Runs the train, test and predict steps as traced graphs (`kiln::function`), one
    /// trace per input signature (Keras's `jit_compile=True`; kiln has no XLA, the graph
    /// is replayed by its own executor). Off by default, as Keras resolves `"auto"` on a
    /// CPU. Saved in `compile_config`.
    ///
    /// ```
    /// use kiln::layers::Dense;
    /// use kiln::models::{CompileArgs, Model};
    /// let mut m = Model::sequential(vec![Dense::new(1).input_shape(&[3]).into()])?;
    /// m.compile(CompileArgs::new().optimizer("sgd").loss("mse").jit_compile(true))?;
    /// assert_eq!(m.get_compile_config().unwrap()["jit_compile"], true);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn jit_compile(mut self, on: bool) -> CompileArgs {
        self.jit_compile = on;
        self
    }

    /// Batches per execution (Keras's `steps_per_execution`). Kept and saved in
    /// `compile_config` so models round-trip with Keras; kiln still runs one step per
    /// execution and calls batch-level callbacks after every batch (Keras calls them
    /// once per execution). 0 is treated as 1.
    pub fn steps_per_execution(mut self, n: usize) -> CompileArgs {
        self.steps_per_execution = n.max(1);
        self
    }

    /// Weights of the per-output losses in the total loss.
    pub fn loss_weights(mut self, weights: &[f64]) -> CompileArgs {
        self.loss_weights = Some(weights.to_vec());
        self.loss_weight_keys = None;
        self
    }

    /// Metrics computed for every output.
    pub fn metrics<I, M>(mut self, metrics: I) -> CompileArgs
    where
        I: IntoIterator<Item = M>,
        M: Into<MetricArg>,
    {
        self.metrics = vec![metrics.into_iter().map(Into::into).collect()];
        self.metrics_shared = true;
        self.metric_keys = None;
        self
    }

    /// Metrics per output, in output order.
    pub fn metrics_per_output(mut self, metrics: Vec<Vec<MetricArg>>) -> CompileArgs {
        self.metrics = metrics;
        self.metrics_shared = false;
        self.metric_keys = None;
        self
    }
}

/// Model inputs or targets: one tensor, one per model input/output in order, or a map
/// keyed by the inputs' / outputs' names (Keras's `x={"a": ..., "b": ...}`).
///
/// ```
/// use kiln::models::Tensors;
/// use kiln_tensor::{DType, Tensor};
/// let t = Tensor::zeros(&[4, 2], DType::F32);
/// assert_eq!(Tensors::from(&t).len(), 1);
/// assert_eq!(Tensors::from(vec![t.clone(), t.clone()]).len(), 2);
/// let named = Tensors::from([("a", t.clone()), ("b", t)]);
/// assert_eq!(named.names(), Some(&["a".to_string(), "b".to_string()][..]));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Tensors {
    tensors: Vec<Tensor>,
    /// The key of each tensor, when given by name.
    names: Option<Vec<String>>,
}

impl Tensors {
    /// How many tensors were given.
    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    /// True when none were given.
    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }

    /// The keys, when the tensors were given by name.
    pub fn names(&self) -> Option<&[String]> {
        self.names.as_deref()
    }

    /// The tensors in the order given (names dropped).
    pub fn into_vec(self) -> Vec<Tensor> {
        self.tensors
    }

    /// The tensors in `expected` order: positional ones as given, named ones looked up by
    /// name. A missing or unknown name is an `Err` naming what was expected and received
    /// (`what` is `"x"` or `"y"`, `kind` `"input"` or `"output"`).
    pub(crate) fn resolve(
        self,
        api: &'static str,
        what: &str,
        kind: &str,
        expected: &[String],
    ) -> crate::Result<Vec<Tensor>> {
        let Some(names) = self.names else {
            return Ok(self.tensors);
        };
        let bad = |msg: String| crate::Error::InvalidArgument { api, msg };
        if let Some(extra) = names.iter().find(|n| !expected.contains(n)) {
            return Err(bad(format!(
                "{what} has an entry for '{extra}', which is not a model {kind}; expected the keys {expected:?}, received {names:?}"
            )));
        }
        let mut by_name: std::collections::HashMap<String, Tensor> =
            names.iter().cloned().zip(self.tensors).collect();
        expected
            .iter()
            .map(|n| {
                by_name.remove(n).ok_or_else(|| {
                    bad(format!(
                        "missing data for {kind} '{n}': {what} was given with the keys {names:?}; expected the keys {expected:?}"
                    ))
                })
            })
            .collect()
    }
}

impl From<&Tensor> for Tensors {
    fn from(t: &Tensor) -> Self {
        vec![t.clone()].into()
    }
}

impl From<Tensor> for Tensors {
    fn from(t: Tensor) -> Self {
        vec![t].into()
    }
}

impl From<Vec<Tensor>> for Tensors {
    fn from(tensors: Vec<Tensor>) -> Self {
        Tensors {
            tensors,
            names: None,
        }
    }
}

impl From<&Vec<Tensor>> for Tensors {
    fn from(v: &Vec<Tensor>) -> Self {
        v.clone().into()
    }
}

impl From<&[Tensor]> for Tensors {
    fn from(v: &[Tensor]) -> Self {
        v.to_vec().into()
    }
}

impl<const N: usize> From<[Tensor; N]> for Tensors {
    fn from(v: [Tensor; N]) -> Self {
        v.to_vec().into()
    }
}

impl<const N: usize> From<&[Tensor; N]> for Tensors {
    fn from(v: &[Tensor; N]) -> Self {
        v.to_vec().into()
    }
}

impl<S: Into<String>> FromIterator<(S, Tensor)> for Tensors {
    fn from_iter<I: IntoIterator<Item = (S, Tensor)>>(iter: I) -> Self {
        let (names, tensors): (Vec<String>, Vec<Tensor>) =
            iter.into_iter().map(|(k, t)| (k.into(), t)).unzip();
        Tensors {
            tensors,
            names: Some(names),
        }
    }
}

impl<const N: usize> From<[(&str, Tensor); N]> for Tensors {
    fn from(v: [(&str, Tensor); N]) -> Self {
        v.into_iter().collect()
    }
}

impl From<Vec<(&str, Tensor)>> for Tensors {
    fn from(v: Vec<(&str, Tensor)>) -> Self {
        v.into_iter().collect()
    }
}

impl From<HashMap<String, Tensor>> for Tensors {
    fn from(v: HashMap<String, Tensor>) -> Self {
        v.into_iter().collect()
    }
}

impl From<HashMap<&str, Tensor>> for Tensors {
    fn from(v: HashMap<&str, Tensor>) -> Self {
        v.into_iter().collect()
    }
}

/// `model.fit(...)` arguments with Keras's defaults (`batch_size=32`, `epochs=1`,
/// `verbose=1`, `shuffle=True`).
///
/// ```
/// let args = kiln::models::FitArgs::new().epochs(5).batch_size(128).validation_split(0.1);
/// # drop(args);
/// ```
pub struct FitArgs {
    pub(crate) batch_size: usize,
    pub(crate) epochs: usize,
    pub(crate) verbose: u8,
    pub(crate) callbacks: Vec<Box<dyn Callback>>,
    pub(crate) validation_split: f64,
    pub(crate) validation_data: Option<(Tensors, Tensors, Option<Tensor>)>,
    pub(crate) shuffle: bool,
    pub(crate) class_weight: Option<HashMap<usize, f64>>,
    pub(crate) sample_weight: Option<Tensor>,
    pub(crate) initial_epoch: usize,
    pub(crate) steps_per_epoch: Option<usize>,
    pub(crate) validation_batch_size: Option<usize>,
    pub(crate) validation_freq: usize,
}

impl Default for FitArgs {
    fn default() -> Self {
        FitArgs::new()
    }
}

impl FitArgs {
    /// Keras's defaults.
    pub fn new() -> FitArgs {
        FitArgs {
            batch_size: 32,
            epochs: 1,
            verbose: 1,
            callbacks: Vec::new(),
            validation_split: 0.0,
            validation_data: None,
            shuffle: true,
            class_weight: None,
            sample_weight: None,
            initial_epoch: 0,
            steps_per_epoch: None,
            validation_batch_size: None,
            validation_freq: 1,
        }
    }

    /// Samples per gradient step.
    pub fn batch_size(mut self, n: usize) -> FitArgs {
        self.batch_size = n;
        self
    }

    /// Index of the last epoch to run (counting from 0 with `initial_epoch`).
    pub fn epochs(mut self, n: usize) -> FitArgs {
        self.epochs = n;
        self
    }

    /// 0 silent, 1 progress bar, 2 one line per epoch.
    pub fn verbose(mut self, v: u8) -> FitArgs {
        self.verbose = v;
        self
    }

    /// Callbacks to run.
    pub fn callbacks(mut self, callbacks: Vec<Box<dyn Callback>>) -> FitArgs {
        self.callbacks = callbacks;
        self
    }

    /// Adds one callback.
    pub fn callback(mut self, callback: impl Callback + 'static) -> FitArgs {
        self.callbacks.push(Box::new(callback));
        self
    }

    /// Fraction of the data (taken from the end, before shuffling) held out for
    /// validation.
    pub fn validation_split(mut self, fraction: f64) -> FitArgs {
        self.validation_split = fraction;
        self
    }

    /// Explicit validation inputs and targets.
    pub fn validation_data(mut self, x: impl Into<Tensors>, y: impl Into<Tensors>) -> FitArgs {
        self.validation_data = Some((x.into(), y.into(), None));
        self
    }

    /// Explicit validation inputs, targets and sample weights.
    pub fn validation_data_weighted(
        mut self,
        x: impl Into<Tensors>,
        y: impl Into<Tensors>,
        sample_weight: Tensor,
    ) -> FitArgs {
        self.validation_data = Some((x.into(), y.into(), Some(sample_weight)));
        self
    }

    /// Whether to reshuffle the training data every epoch.
    pub fn shuffle(mut self, shuffle: bool) -> FitArgs {
        self.shuffle = shuffle;
        self
    }

    /// Loss weight per class index (samples' weights from their labels).
    pub fn class_weight(mut self, weights: HashMap<usize, f64>) -> FitArgs {
        self.class_weight = Some(weights);
        self
    }

    /// Loss weight per sample (shape `(n,)`).
    pub fn sample_weight(mut self, weights: Tensor) -> FitArgs {
        self.sample_weight = Some(weights);
        self
    }

    /// Epoch to start at (resuming a run).
    pub fn initial_epoch(mut self, epoch: usize) -> FitArgs {
        self.initial_epoch = epoch;
        self
    }

    /// Batches per epoch (cycling through the data when it has fewer).
    pub fn steps_per_epoch(mut self, steps: usize) -> FitArgs {
        self.steps_per_epoch = Some(steps);
        self
    }

    /// Batch size for validation (default: `batch_size`).
    pub fn validation_batch_size(mut self, n: usize) -> FitArgs {
        self.validation_batch_size = Some(n);
        self
    }

    /// Validate every `n` epochs.
    pub fn validation_freq(mut self, n: usize) -> FitArgs {
        self.validation_freq = n.max(1);
        self
    }
}

/// `model.evaluate(...)` arguments with Keras's defaults (`batch_size=32`,
/// `verbose="auto"`, which is 1: a progress bar).
///
/// ```
/// use kiln::models::EvaluateArgs;
/// let args = EvaluateArgs::new().batch_size(256).verbose(0);
/// # drop(args);
/// ```
pub struct EvaluateArgs {
    pub(crate) batch_size: usize,
    pub(crate) verbose: u8,
    pub(crate) sample_weight: Option<Tensor>,
    pub(crate) steps: Option<usize>,
    pub(crate) callbacks: Vec<Box<dyn Callback>>,
}

impl Default for EvaluateArgs {
    fn default() -> Self {
        EvaluateArgs::new()
    }
}

impl EvaluateArgs {
    /// Keras's defaults.
    pub fn new() -> EvaluateArgs {
        EvaluateArgs {
            batch_size: 32,
            verbose: 1,
            sample_weight: None,
            steps: None,
            callbacks: Vec::new(),
        }
    }

    /// Samples per batch.
    pub fn batch_size(mut self, n: usize) -> EvaluateArgs {
        self.batch_size = n;
        self
    }

    /// 0 silent, 1 progress bar, 2 one line at the end.
    pub fn verbose(mut self, v: u8) -> EvaluateArgs {
        self.verbose = v;
        self
    }

    /// Loss weight per sample (shape `(n,)`).
    pub fn sample_weight(mut self, weights: Tensor) -> EvaluateArgs {
        self.sample_weight = Some(weights);
        self
    }

    /// Evaluate only the first `steps` batches.
    pub fn steps(mut self, steps: usize) -> EvaluateArgs {
        self.steps = Some(steps);
        self
    }

    /// Callbacks to run (`on_test_*`).
    pub fn callbacks(mut self, callbacks: Vec<Box<dyn Callback>>) -> EvaluateArgs {
        self.callbacks = callbacks;
        self
    }

    /// Adds one callback.
    pub fn callback(mut self, callback: impl Callback + 'static) -> EvaluateArgs {
        self.callbacks.push(Box::new(callback));
        self
    }
}

/// `model.predict(...)` arguments with Keras's defaults (`batch_size=32`,
/// `verbose="auto"`, which is 1: a progress bar).
///
/// ```
/// use kiln::models::PredictArgs;
/// let args = PredictArgs::new().batch_size(256).verbose(0);
/// # drop(args);
/// ```
pub struct PredictArgs {
    pub(crate) batch_size: usize,
    pub(crate) verbose: u8,
    pub(crate) steps: Option<usize>,
    pub(crate) callbacks: Vec<Box<dyn Callback>>,
}

impl Default for PredictArgs {
    fn default() -> Self {
        PredictArgs::new()
    }
}

impl PredictArgs {
    /// Keras's defaults.
    pub fn new() -> PredictArgs {
        PredictArgs {
            batch_size: 32,
            verbose: 1,
            steps: None,
            callbacks: Vec::new(),
        }
    }

    /// Samples per batch.
    pub fn batch_size(mut self, n: usize) -> PredictArgs {
        self.batch_size = n;
        self
    }

    /// 0 silent, 1 progress bar.
    pub fn verbose(mut self, v: u8) -> PredictArgs {
        self.verbose = v;
        self
    }

    /// Predict only the first `steps` batches.
    pub fn steps(mut self, steps: usize) -> PredictArgs {
        self.steps = Some(steps);
        self
    }

    /// Callbacks to run (`on_predict_*`).
    pub fn callbacks(mut self, callbacks: Vec<Box<dyn Callback>>) -> PredictArgs {
        self.callbacks = callbacks;
        self
    }

    /// Adds one callback.
    pub fn callback(mut self, callback: impl Callback + 'static) -> PredictArgs {
        self.callbacks.push(Box::new(callback));
        self
    }
}
