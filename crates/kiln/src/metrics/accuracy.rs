//! Accuracy metrics: element-wise, binary, categorical, sparse categorical and top-k.

use kiln_tensor::{DType, Tensor};

use crate::losses::squeeze_or_expand_to_same_rank;
use crate::metrics::{MeanMetricWrapper, Metric};
use crate::Result;

/// 1.0 where `y_true == y_pred` (`keras.metrics.accuracy`).
///
/// ```
/// use kiln_tensor::Tensor;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2])?;
/// let b = Tensor::from_vec(vec![1.0f32, 3.0], &[2])?;
/// assert_eq!(kiln::metrics::accuracy(&a, &b)?.to_vec::<f32>()?, vec![1.0, 0.0]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn accuracy(y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
    let t = y_true.cast(y_pred.dtype())?;
    let (t, p) = squeeze_or_expand_to_same_rank(&t, y_pred)?;
    Ok(t.equal(&p)?.cast(DType::F32)?)
}

/// 1.0 where `(y_pred > threshold) == y_true` (`keras.metrics.binary_accuracy`).
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![1.0f32, 0.0], &[2, 1])?;
/// let p = Tensor::from_vec(vec![0.7f32, 0.6], &[2, 1])?;
/// assert_eq!(kiln::metrics::binary_accuracy(&y, &p, 0.5)?.to_vec::<f32>()?, vec![1.0, 0.0]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn binary_accuracy(y_true: &Tensor, y_pred: &Tensor, threshold: f64) -> Result<Tensor> {
    let t = y_true.cast(y_pred.dtype())?;
    let (t, p) = squeeze_or_expand_to_same_rank(&t, y_pred)?;
    let pos = p
        .greater(&Tensor::scalar_of(threshold, p.dtype()))?
        .cast(t.dtype())?;
    Ok(t.equal(&pos)?.cast(DType::F32)?)
}

/// 1.0 where `argmax(y_true) == argmax(y_pred)` over the last axis
/// (`keras.metrics.categorical_accuracy`).
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![0.0f32, 1.0, 1.0, 0.0], &[2, 2])?;
/// let p = Tensor::from_vec(vec![0.2f32, 0.8, 0.3, 0.7], &[2, 2])?;
/// assert_eq!(kiln::metrics::categorical_accuracy(&y, &p)?.to_vec::<f32>()?, vec![1.0, 0.0]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn categorical_accuracy(y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
    let a = y_true.argmax(-1)?;
    let b = y_pred.argmax(-1)?;
    Ok(a.equal(&b)?.cast(DType::F32)?)
}

/// 1.0 where the integer label equals `argmax(y_pred)`
/// (`keras.metrics.sparse_categorical_accuracy`).
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![1i64, 1], &[2])?;
/// let p = Tensor::from_vec(vec![0.2f32, 0.8, 0.7, 0.3], &[2, 2])?;
/// assert_eq!(kiln::metrics::sparse_categorical_accuracy(&y, &p)?.to_vec::<f32>()?, vec![1.0, 0.0]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn sparse_categorical_accuracy(y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
    let mut t = y_true.clone();
    if t.rank() == y_pred.rank() && t.shape().last() == Some(&1) {
        t = t.squeeze(&[-1])?;
    }
    let pred = y_pred.argmax(-1)?;
    let t = t.cast(DType::F64)?;
    Ok(t.equal(&pred.cast(DType::F64)?)?.cast(DType::F32)?)
}

/// Whether each row's `target` index is among the `k` largest predictions (ties count
/// as in, like `tf.math.in_top_k`).
fn in_top_k(targets: &[i64], pred: &Tensor, k: usize) -> Result<Tensor> {
    let classes = *pred.shape().last().unwrap_or(&1);
    let rows = pred.numel() / classes.max(1);
    let p = pred.to_f64_vec();
    let out: Vec<f32> = (0..rows)
        .map(|r| {
            let row = &p[r * classes..(r + 1) * classes];
            let t = targets.get(r).copied().unwrap_or(-1);
            if t < 0 || t as usize >= classes {
                return 0.0;
            }
            let v = row[t as usize];
            let larger = row.iter().filter(|&&x| x > v).count();
            if larger < k {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    Ok(Tensor::from_vec(out, &[rows])?)
}

/// 1.0 where `argmax(y_true)` is in the top `k` of `y_pred`.
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![0.0f32, 0.0, 1.0], &[1, 3])?;
/// let p = Tensor::from_vec(vec![0.5f32, 0.3, 0.2], &[1, 3])?;
/// assert_eq!(kiln::metrics::top_k_categorical_accuracy(&y, &p, 2)?.to_vec::<f32>()?, vec![0.0]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn top_k_categorical_accuracy(y_true: &Tensor, y_pred: &Tensor, k: usize) -> Result<Tensor> {
    let t = y_true.argmax(-1)?.to_vec::<i64>()?;
    in_top_k(&t, y_pred, k)
}

/// 1.0 where the integer label is in the top `k` of `y_pred`.
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![1i64], &[1])?;
/// let p = Tensor::from_vec(vec![0.5f32, 0.3, 0.2], &[1, 3])?;
/// assert_eq!(kiln::metrics::sparse_top_k_categorical_accuracy(&y, &p, 2)?.to_vec::<f32>()?, vec![1.0]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn sparse_top_k_categorical_accuracy(
    y_true: &Tensor,
    y_pred: &Tensor,
    k: usize,
) -> Result<Tensor> {
    let t: Vec<i64> = y_true.to_f64_vec().iter().map(|&v| v as i64).collect();
    in_top_k(&t, y_pred, k)
}

macro_rules! accuracy_metric {
    ($t:ident, $name:literal, $doc:literal, |$y:ident, $p:ident, $s:ident| $body:expr, $($field:ident : $fty:ty = $default:expr),*) => {
        #[doc = $doc]
        #[derive(Clone)]
        pub struct $t {
            inner: MeanMetricWrapper,
            $($field: $fty,)*
        }

        impl Default for $t {
            fn default() -> Self {
                $t::new()
            }
        }

        impl $t {
            /// Keras's defaults.
            pub fn new() -> $t {
                let mut m = $t {
                    inner: MeanMetricWrapper::new($name, |_, _| unreachable_metric()),
                    $($field: $default,)*
                };
                m.rebuild($name);
                m
            }

            /// Renames the metric.
            pub fn with_name(mut self, name: &str) -> $t {
                self.rebuild(name);
                self
            }

            fn rebuild(&mut self, name: &str) {
                let $s = self.clone_params();
                self.inner = MeanMetricWrapper::new(name, move |$y, $p| $body);
            }

            #[allow(unused_parens)]
            fn clone_params(&self) -> ($($fty),*) {
                ($(self.$field.clone()),*)
            }
        }

        impl Metric for $t {
            fn name(&self) -> &str {
                self.inner.name()
            }
            fn update_state(&mut self, y_true: &Tensor, y_pred: &Tensor, w: Option<&Tensor>) -> Result<()> {
                self.inner.update_state(y_true, y_pred, w)
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
    };
}

fn unreachable_metric() -> Result<Tensor> {
    Ok(Tensor::scalar(0.0f32))
}

accuracy_metric!(
    Accuracy,
    "accuracy",
    "How often predictions equal labels (`keras.metrics.Accuracy`).\n\n```\nuse kiln::metrics::{Accuracy, Metric};\nlet m = Accuracy::new();\nassert_eq!(m.name(), \"accuracy\");\n```",
    |y, p, _s| accuracy(y, p),
    _unused: () = ()
);
accuracy_metric!(
    CategoricalAccuracy,
    "categorical_accuracy",
    "`keras.metrics.CategoricalAccuracy`.\n\n```\nuse kiln::metrics::{CategoricalAccuracy, Metric};\nassert_eq!(CategoricalAccuracy::new().name(), \"categorical_accuracy\");\n```",
    |y, p, _s| categorical_accuracy(y, p),
    _unused: () = ()
);
accuracy_metric!(
    SparseCategoricalAccuracy,
    "sparse_categorical_accuracy",
    "`keras.metrics.SparseCategoricalAccuracy`.\n\n```\nuse kiln::metrics::{Metric, SparseCategoricalAccuracy};\nassert_eq!(SparseCategoricalAccuracy::new().name(), \"sparse_categorical_accuracy\");\n```",
    |y, p, _s| sparse_categorical_accuracy(y, p),
    _unused: () = ()
);
accuracy_metric!(
    BinaryAccuracy,
    "binary_accuracy",
    "`keras.metrics.BinaryAccuracy(threshold=0.5)`.\n\n```\nuse kiln::metrics::{BinaryAccuracy, Metric};\nassert_eq!(BinaryAccuracy::new().threshold(0.3).name(), \"binary_accuracy\");\n```",
    |y, p, s| binary_accuracy(y, p, s),
    threshold: f64 = 0.5
);
accuracy_metric!(
    TopKCategoricalAccuracy,
    "top_k_categorical_accuracy",
    "`keras.metrics.TopKCategoricalAccuracy(k=5)`.\n\n```\nuse kiln::metrics::{Metric, TopKCategoricalAccuracy};\nassert_eq!(TopKCategoricalAccuracy::new().k(3).name(), \"top_k_categorical_accuracy\");\n```",
    |y, p, s| top_k_categorical_accuracy(y, p, s),
    k: usize = 5
);
accuracy_metric!(
    SparseTopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy",
    "`keras.metrics.SparseTopKCategoricalAccuracy(k=5)`.\n\n```\nuse kiln::metrics::{Metric, SparseTopKCategoricalAccuracy};\nassert_eq!(SparseTopKCategoricalAccuracy::new().k(1).name(), \"sparse_top_k_categorical_accuracy\");\n```",
    |y, p, s| sparse_top_k_categorical_accuracy(y, p, s),
    k: usize = 5
);

impl BinaryAccuracy {
    /// Predictions above `threshold` count as 1.
    pub fn threshold(mut self, t: f64) -> BinaryAccuracy {
        self.threshold = t;
        let name = self.inner.name().to_string();
        self.rebuild(&name);
        self
    }
}

impl TopKCategoricalAccuracy {
    /// How many top predictions count.
    pub fn k(mut self, k: usize) -> Self {
        self.k = k;
        let name = self.inner.name().to_string();
        self.rebuild(&name);
        self
    }
}

impl SparseTopKCategoricalAccuracy {
    /// How many top predictions count.
    pub fn k(mut self, k: usize) -> Self {
        self.k = k;
        let name = self.inner.name().to_string();
        self.rebuild(&name);
        self
    }
}
