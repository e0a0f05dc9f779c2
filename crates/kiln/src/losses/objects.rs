//! Loss classes (`keras.losses.MeanSquaredError`, ...): a loss function plus its
//! arguments, name and reduction.

use std::sync::Arc;

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::losses::functions as f;
use crate::losses::{reduce_weighted, Loss, Reduction};
use crate::Result;

use crate::losses::config::base as base_config;

macro_rules! simple_loss {
    ($t:ident, $name:literal, $func:path, $doc:literal) => {
        #[doc = $doc]
        ///
        /// ```
        #[doc = concat!("use kiln::losses::{Loss, ", stringify!($t), "};")]
        /// use kiln_tensor::Tensor;
        /// let y = Tensor::from_vec(vec![1.0f32, 0.0, 0.0, 1.0], &[2, 2])?;
        #[doc = concat!("let v = ", stringify!($t), "::new().compute(&y, &y, None)?;")]
        /// assert_eq!(v.shape(), &[] as &[usize]);
        /// # Ok::<(), kiln::Error>(())
        /// ```
        #[derive(Debug, Clone)]
        pub struct $t {
            name: String,
            reduction: Reduction,
        }

        impl $t {
            /// Keras's defaults.
            pub fn new() -> $t {
                $t {
                    name: $name.into(),
                    reduction: Reduction::SumOverBatchSize,
                }
            }
            /// Sets the reduction.
            pub fn reduction(mut self, r: Reduction) -> $t {
                self.reduction = r;
                self
            }
            /// Sets the name.
            pub fn with_name(mut self, n: &str) -> $t {
                self.name = n.into();
                self
            }
        }

        impl Default for $t {
            fn default() -> Self {
                $t::new()
            }
        }

        impl Loss for $t {
            fn name(&self) -> &str {
                &self.name
            }
            fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
                $func(y_true, y_pred)
            }
            fn reduction(&self) -> Reduction {
                self.reduction
            }
            fn get_config(&self) -> Value {
                Value::Object(base_config(&self.name, self.reduction))
            }
            fn class_name(&self) -> String {
                stringify!($t).into()
            }
        }
    };
}

simple_loss!(
    MeanSquaredError,
    "mean_squared_error",
    f::mean_squared_error,
    "`keras.losses.MeanSquaredError`."
);
simple_loss!(
    MeanAbsoluteError,
    "mean_absolute_error",
    f::mean_absolute_error,
    "`keras.losses.MeanAbsoluteError`."
);
simple_loss!(
    MeanAbsolutePercentageError,
    "mean_absolute_percentage_error",
    f::mean_absolute_percentage_error,
    "`keras.losses.MeanAbsolutePercentageError`."
);
simple_loss!(
    MeanSquaredLogarithmicError,
    "mean_squared_logarithmic_error",
    f::mean_squared_logarithmic_error,
    "`keras.losses.MeanSquaredLogarithmicError`."
);
simple_loss!(LogCosh, "log_cosh", f::log_cosh, "`keras.losses.LogCosh`.");
simple_loss!(
    KLDivergence,
    "kl_divergence",
    f::kl_divergence,
    "`keras.losses.KLDivergence`."
);
simple_loss!(Poisson, "poisson", f::poisson, "`keras.losses.Poisson`.");
simple_loss!(
    Hinge,
    "hinge",
    f::hinge,
    "`keras.losses.Hinge` (0/1 labels map to -1/1)."
);
simple_loss!(
    SquaredHinge,
    "squared_hinge",
    f::squared_hinge,
    "`keras.losses.SquaredHinge`."
);
simple_loss!(
    CategoricalHinge,
    "categorical_hinge",
    f::categorical_hinge,
    "`keras.losses.CategoricalHinge`."
);

/// `keras.losses.Huber(delta=1.0)`.
///
/// ```
/// use kiln::losses::{Huber, Loss};
/// let l = Huber::new().delta(2.0);
/// assert_eq!(l.get_config()["delta"], 2.0);
/// ```
#[derive(Debug, Clone)]
pub struct Huber {
    name: String,
    reduction: Reduction,
    delta: f64,
}

impl Default for Huber {
    fn default() -> Self {
        Huber::new()
    }
}

impl Huber {
    /// `delta = 1`.
    pub fn new() -> Huber {
        Huber {
            name: "huber_loss".into(),
            reduction: Reduction::SumOverBatchSize,
            delta: 1.0,
        }
    }
    /// Where the loss turns linear.
    pub fn delta(mut self, d: f64) -> Huber {
        self.delta = d;
        self
    }
    /// Sets the reduction.
    pub fn reduction(mut self, r: Reduction) -> Huber {
        self.reduction = r;
        self
    }
}

impl Loss for Huber {
    fn name(&self) -> &str {
        &self.name
    }
    fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
        f::huber(y_true, y_pred, self.delta)
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn get_config(&self) -> Value {
        let mut c = base_config(&self.name, self.reduction);
        c.insert("delta".into(), json!(self.delta));
        Value::Object(c)
    }
    fn class_name(&self) -> String {
        "Huber".into()
    }
}

/// `keras.losses.CosineSimilarity(axis=-1)`.
///
/// ```
/// use kiln::losses::{CosineSimilarity, Loss};
/// assert_eq!(CosineSimilarity::new().get_config()["axis"], -1);
/// ```
#[derive(Debug, Clone)]
pub struct CosineSimilarity {
    name: String,
    reduction: Reduction,
    axis: isize,
}

impl Default for CosineSimilarity {
    fn default() -> Self {
        CosineSimilarity::new()
    }
}

impl CosineSimilarity {
    /// Axis -1.
    pub fn new() -> CosineSimilarity {
        CosineSimilarity {
            name: "cosine_similarity".into(),
            reduction: Reduction::SumOverBatchSize,
            axis: -1,
        }
    }
    /// The axis the similarity is computed along.
    pub fn axis(mut self, a: isize) -> CosineSimilarity {
        self.axis = a;
        self
    }
    /// Sets the reduction.
    pub fn reduction(mut self, r: Reduction) -> CosineSimilarity {
        self.reduction = r;
        self
    }
}

impl Loss for CosineSimilarity {
    fn name(&self) -> &str {
        &self.name
    }
    fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
        f::cosine_similarity(y_true, y_pred, self.axis)
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn get_config(&self) -> Value {
        let mut c = base_config(&self.name, self.reduction);
        c.insert("axis".into(), json!(self.axis));
        Value::Object(c)
    }
    fn class_name(&self) -> String {
        "CosineSimilarity".into()
    }
}

macro_rules! crossentropy_loss {
    ($t:ident, $name:literal, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone)]
        pub struct $t {
            name: String,
            reduction: Reduction,
            from_logits: bool,
            label_smoothing: f64,
            axis: isize,
        }

        impl Default for $t {
            fn default() -> Self {
                $t::new()
            }
        }

        impl $t {
            /// Keras's defaults (`from_logits=false`, no smoothing, axis -1).
            pub fn new() -> $t {
                $t {
                    name: $name.into(),
                    reduction: Reduction::SumOverBatchSize,
                    from_logits: false,
                    label_smoothing: 0.0,
                    axis: -1,
                }
            }
            /// Whether `y_pred` holds logits.
            pub fn from_logits(mut self, v: bool) -> $t {
                self.from_logits = v;
                self
            }
            /// Label smoothing in `[0, 1]`.
            pub fn label_smoothing(mut self, v: f64) -> $t {
                self.label_smoothing = v;
                self
            }
            /// The class axis.
            pub fn axis(mut self, a: isize) -> $t {
                self.axis = a;
                self
            }
            /// Sets the reduction.
            pub fn reduction(mut self, r: Reduction) -> $t {
                self.reduction = r;
                self
            }

            fn crossentropy_config(&self) -> Value {
                let mut c = base_config(&self.name, self.reduction);
                c.insert("from_logits".into(), json!(self.from_logits));
                c.insert("label_smoothing".into(), json!(self.label_smoothing));
                c.insert("axis".into(), json!(self.axis));
                Value::Object(c)
            }
        }
    };
}

crossentropy_loss!(
    BinaryCrossentropy,
    "binary_crossentropy",
    "`keras.losses.BinaryCrossentropy`.\n\n```\nuse kiln::losses::{BinaryCrossentropy, Loss};\nlet l = BinaryCrossentropy::new().from_logits(true);\nassert_eq!(l.get_config()[\"from_logits\"], true);\n```"
);
crossentropy_loss!(
    CategoricalCrossentropy,
    "categorical_crossentropy",
    "`keras.losses.CategoricalCrossentropy`.\n\n```\nuse kiln::losses::{CategoricalCrossentropy, Loss};\nlet l = CategoricalCrossentropy::new().label_smoothing(0.1);\nassert_eq!(l.get_config()[\"label_smoothing\"], 0.1);\n```"
);

impl Loss for BinaryCrossentropy {
    fn name(&self) -> &str {
        &self.name
    }
    fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
        let (t, p) = crate::losses::squeeze_or_expand_to_same_rank(y_true, y_pred)?;
        f::binary_crossentropy(&t, &p, self.from_logits, self.label_smoothing, self.axis)
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn get_config(&self) -> Value {
        self.crossentropy_config()
    }
    fn class_name(&self) -> String {
        "BinaryCrossentropy".into()
    }
}

impl Loss for CategoricalCrossentropy {
    fn name(&self) -> &str {
        &self.name
    }
    fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
        let (t, p) = crate::losses::squeeze_or_expand_to_same_rank(y_true, y_pred)?;
        f::categorical_crossentropy(&t, &p, self.from_logits, self.label_smoothing, self.axis)
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn get_config(&self) -> Value {
        self.crossentropy_config()
    }
    fn class_name(&self) -> String {
        "CategoricalCrossentropy".into()
    }
}

/// `keras.losses.SparseCategoricalCrossentropy(from_logits=False, ignore_class=None)`.
/// With `ignore_class`, labels equal to it contribute nothing and the mean is over the
/// other entries (Keras masks them).
///
/// ```
/// use kiln::losses::{Loss, SparseCategoricalCrossentropy};
/// use kiln_tensor::Tensor;
/// let l = SparseCategoricalCrossentropy::new().from_logits(true);
/// let y = Tensor::from_vec(vec![0i64, 1], &[2])?;
/// let logits = Tensor::from_vec(vec![0.0f32, 0.0, 0.0, 0.0], &[2, 2])?;
/// assert!((l.compute(&y, &logits, None)?.item::<f32>()? - 2f32.ln()).abs() < 1e-6);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SparseCategoricalCrossentropy {
    name: String,
    reduction: Reduction,
    from_logits: bool,
    ignore_class: Option<i64>,
}

impl Default for SparseCategoricalCrossentropy {
    fn default() -> Self {
        SparseCategoricalCrossentropy::new()
    }
}

impl SparseCategoricalCrossentropy {
    /// Keras's defaults.
    pub fn new() -> Self {
        SparseCategoricalCrossentropy {
            name: "sparse_categorical_crossentropy".into(),
            reduction: Reduction::SumOverBatchSize,
            from_logits: false,
            ignore_class: None,
        }
    }
    /// Whether `y_pred` holds logits.
    pub fn from_logits(mut self, v: bool) -> Self {
        self.from_logits = v;
        self
    }
    /// A label value to leave out of the loss (e.g. padding).
    pub fn ignore_class(mut self, c: i64) -> Self {
        self.ignore_class = Some(c);
        self
    }
    /// Sets the reduction.
    pub fn reduction(mut self, r: Reduction) -> Self {
        self.reduction = r;
        self
    }

    /// Labels with ignored entries replaced by 0, and the keep-mask.
    fn masked(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<(Tensor, Option<Tensor>)> {
        let Some(c) = self.ignore_class else {
            return Ok((y_true.clone(), None));
        };
        let mut t = y_true.clone();
        if t.rank() == y_pred.rank() && t.shape().last() == Some(&1) {
            t = t.squeeze(&[-1])?;
        }
        let t = t.cast(kiln_tensor::DType::I64)?;
        let keep = t.not_equal(&Tensor::scalar(c))?;
        let zeros = t.zeros_like();
        Ok((Tensor::where_cond(&keep, &t, &zeros)?, Some(keep)))
    }
}

impl Loss for SparseCategoricalCrossentropy {
    fn name(&self) -> &str {
        &self.name
    }
    fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
        let (t, keep) = self.masked(y_true, y_pred)?;
        let l = f::sparse_categorical_crossentropy(&t, y_pred, self.from_logits)?;
        match keep {
            Some(k) => Ok(l.mul(&k.cast(l.dtype())?)?),
            None => Ok(l),
        }
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn compute(
        &self,
        y_true: &Tensor,
        y_pred: &Tensor,
        sample_weight: Option<&Tensor>,
    ) -> Result<Tensor> {
        let (t, keep) = self.masked(y_true, y_pred)?;
        let losses = f::sparse_categorical_crossentropy(&t, y_pred, self.from_logits)?;
        let Some(keep) = keep else {
            return reduce_weighted(&losses, sample_weight, self.reduction);
        };
        // Keras folds the mask into the sample weight (the mean is over the kept entries).
        crate::losses::reduction::reduce_masked(&losses, &keep, sample_weight, self.reduction)
    }
    fn get_config(&self) -> Value {
        let mut c = base_config(&self.name, self.reduction);
        c.insert("from_logits".into(), json!(self.from_logits));
        c.insert("ignore_class".into(), json!(self.ignore_class));
        Value::Object(c)
    }
    fn class_name(&self) -> String {
        "SparseCategoricalCrossentropy".into()
    }
}

type LossClosure = Arc<dyn Fn(&Tensor, &Tensor) -> Result<Tensor> + Send + Sync>;

/// A user function as a loss (Keras accepts any `fn(y_true, y_pred)`), with the usual
/// reduction and sample weighting.
///
/// ```
/// use kiln::losses::{Loss, LossFn};
/// use kiln_tensor::Tensor;
/// let l = LossFn::new("abs_sum", |y, p| Ok(p.sub(y)?.abs()?.sum(&[-1], false)?));
/// let y = Tensor::from_vec(vec![1.0f32, 2.0], &[1, 2])?;
/// assert_eq!(l.compute(&y, &y.mul_scalar(2.0)?, None)?.item::<f32>()?, 3.0);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Clone)]
pub struct LossFn {
    name: String,
    reduction: Reduction,
    f: LossClosure,
}

impl LossFn {
    /// Wraps `f(y_true, y_pred) -> per-sample losses`.
    pub fn new(
        name: &str,
        f: impl Fn(&Tensor, &Tensor) -> Result<Tensor> + Send + Sync + 'static,
    ) -> LossFn {
        LossFn {
            name: name.into(),
            reduction: Reduction::SumOverBatchSize,
            f: Arc::new(f),
        }
    }
    /// Sets the reduction.
    pub fn reduction(mut self, r: Reduction) -> LossFn {
        self.reduction = r;
        self
    }
}

impl Loss for LossFn {
    fn name(&self) -> &str {
        &self.name
    }
    fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
        let (t, p) = crate::losses::squeeze_or_expand_to_same_rank(y_true, y_pred)?;
        (self.f)(&t, &p)
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn get_config(&self) -> Value {
        Value::Object(base_config(&self.name, self.reduction))
    }
    fn class_name(&self) -> String {
        "function".into()
    }
}

/// The Rust name of a function item `F` (its last path segment), Keras's `fn.__name__`;
/// a closure is `"<lambda>"`, as a Python lambda is.
pub(crate) fn fn_name<F>() -> &'static str {
    let full = std::any::type_name::<F>();
    // Drop generic arguments (`f::<T>`) before taking the last segment.
    let base = full.split('<').next().unwrap_or(full);
    match base.rsplit("::").next() {
        Some(s) if s.starts_with('{') || s.is_empty() => "<lambda>",
        Some(s) => s,
        None => full,
    }
}

/// A plain function `fn(y_true, y_pred) -> per-sample losses` is a loss, as in Keras
/// (`model.compile(loss=my_loss)`): named after the function, reduced with
/// `sum_over_batch_size`, saved as Keras saves a function loss. Register it with
/// [`crate::saving::register_loss_fn`] under the same name so `load_model` can restore it.
///
/// ```
/// use kiln::losses::Loss;
/// use kiln_tensor::Tensor;
/// fn my_loss(y_true: &Tensor, y_pred: &Tensor) -> kiln::Result<Tensor> {
///     Ok(y_true.sub(y_pred)?.abs()?.mean(&[-1], false)?)
/// }
/// assert_eq!(my_loss.name(), "my_loss");
/// let (t, p) = (Tensor::from_vec(vec![1.0f32, 2.0], &[2, 1])?, Tensor::from_vec(vec![0.0f32, 0.0], &[2, 1])?);
/// assert_eq!(my_loss.compute(&t, &p, None)?.item::<f32>()?, 1.5);
/// # Ok::<(), kiln::Error>(())
/// ```
impl<F> Loss for F
where
    F: Fn(&Tensor, &Tensor) -> Result<Tensor> + Send + Sync,
{
    fn name(&self) -> &str {
        fn_name::<F>()
    }
    fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
        let (t, p) = crate::losses::squeeze_or_expand_to_same_rank(y_true, y_pred)?;
        self(&t, &p)
    }
    fn reduction(&self) -> Reduction {
        Reduction::SumOverBatchSize
    }
    fn get_config(&self) -> Value {
        Value::Object(base_config(fn_name::<F>(), Reduction::SumOverBatchSize))
    }
    fn class_name(&self) -> String {
        "function".into()
    }
}
