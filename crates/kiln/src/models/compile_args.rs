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
        self
    }

    /// Weights of the per-output losses in the total loss.
    pub fn loss_weights(mut self, weights: &[f64]) -> CompileArgs {
        self.loss_weights = Some(weights.to_vec());
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
        self
    }

    /// Metrics per output, in output order.
    pub fn metrics_per_output(mut self, metrics: Vec<Vec<MetricArg>>) -> CompileArgs {
        self.metrics = metrics;
        self.metrics_shared = false;
        self
    }
}

/// Model inputs or targets: one tensor, or one per model input/output.
///
/// ```
/// use kiln::models::Tensors;
/// use kiln_tensor::{DType, Tensor};
/// let t = Tensor::zeros(&[4, 2], DType::F32);
/// assert_eq!(Tensors::from(&t).0.len(), 1);
/// assert_eq!(Tensors::from(vec![t.clone(), t]).0.len(), 2);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Tensors(pub Vec<Tensor>);

impl From<&Tensor> for Tensors {
    fn from(t: &Tensor) -> Self {
        Tensors(vec![t.clone()])
    }
}

impl From<Tensor> for Tensors {
    fn from(t: Tensor) -> Self {
        Tensors(vec![t])
    }
}

impl From<Vec<Tensor>> for Tensors {
    fn from(v: Vec<Tensor>) -> Self {
        Tensors(v)
    }
}

impl From<&Vec<Tensor>> for Tensors {
    fn from(v: &Vec<Tensor>) -> Self {
        Tensors(v.clone())
    }
}

impl From<&[Tensor]> for Tensors {
    fn from(v: &[Tensor]) -> Self {
        Tensors(v.to_vec())
    }
}

impl<const N: usize> From<[Tensor; N]> for Tensors {
    fn from(v: [Tensor; N]) -> Self {
        Tensors(v.to_vec())
    }
}

impl<const N: usize> From<&[Tensor; N]> for Tensors {
    fn from(v: &[Tensor; N]) -> Self {
        Tensors(v.to_vec())
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
