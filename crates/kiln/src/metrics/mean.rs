//! `Mean`, `Sum`, `MeanMetricWrapper` and `RootMeanSquaredError`: weighted running
//! reductions, with Keras's `reduce_to_samplewise_values` rules for sample weights.

use std::sync::Arc;

use kiln_tensor::autodiff::no_recording;
use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::losses::squeeze_or_expand_to_same_rank;
use crate::metrics::Metric;
use crate::{Error, Result};

/// Per-sample values and weights: values averaged over the axes the weights lack, the
/// weights broadcast to them (Keras's `reduce_to_samplewise_values` with `mean`).
/// Returns `(sum of weighted values, sum of weights or count)`.
pub(crate) fn weighted_sums(values: &Tensor, sample_weight: Option<&Tensor>) -> Result<(f64, f64)> {
    let values = if values.dtype().is_float() {
        values.clone()
    } else {
        values.cast(kiln_tensor::DType::F32)?
    };
    match sample_weight {
        None => {
            let v = values.to_f64_vec();
            let rows = if values.rank() == 0 {
                1
            } else {
                values.shape()[0]
            };
            let per_row = v.len().checked_div(rows).unwrap_or(0);
            if values.rank() <= 1 {
                Ok((
                    v.iter().sum(),
                    v.len().max(usize::from(values.rank() == 0)) as f64,
                ))
            } else {
                // Mean over the non-batch axes, then sum over samples.
                let s: f64 = v
                    .chunks(per_row.max(1))
                    .map(|c| c.iter().sum::<f64>() / c.len() as f64)
                    .sum();
                Ok((s, rows as f64))
            }
        }
        Some(w) => {
            let w = w.cast(values.dtype())?;
            let (mut v, w) = squeeze_or_expand_to_same_rank(&values, &w)?;
            if v.rank() > w.rank() {
                let axes: Vec<isize> = (w.rank()..v.rank()).map(|a| a as isize).collect();
                v = v.mean(&axes, false)?;
            }
            let w = w
                .broadcast_to(v.shape())
                .map_err(|e| Error::InvalidArgument {
                    api: "Metric.update_state",
                    msg: format!(
                    "sample_weight of shape {:?} does not broadcast to values of shape {:?}: {e}",
                    w.shape(),
                    v.shape()
                ),
                })?;
            let vv = v.to_f64_vec();
            let ww = w.to_f64_vec();
            let total: f64 = vv.iter().zip(&ww).map(|(a, b)| a * b).sum();
            // Weights of rank > 1 are averaged per sample before counting.
            let count = if w.rank() > 1 {
                let rows = w.shape()[0].max(1);
                let per = ww.len() / rows;
                ww.chunks(per.max(1))
                    .map(|c| c.iter().sum::<f64>() / c.len() as f64)
                    .sum()
            } else {
                ww.iter().sum()
            };
            Ok((total, count))
        }
    }
}

fn div_no_nan(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        a / b
    }
}

/// The weighted mean of everything seen (`keras.metrics.Mean`). `update_state` takes the
/// values as `y_pred` (`y_true` is ignored), matching [`Metric`]'s signature; see
/// [`Mean::update`].
///
/// ```
/// use kiln::metrics::{Mean, Metric};
/// use kiln_tensor::Tensor;
/// let mut m = Mean::new("mean");
/// m.update(&Tensor::from_vec(vec![1.0f32, 3.0, 5.0, 7.0], &[4])?, None)?;
/// assert_eq!(m.result(), 4.0);
/// m.update(&Tensor::from_vec(vec![1.0f32, 3.0], &[2])?, Some(&Tensor::from_vec(vec![1.0f32, 0.0], &[2])?))?;
/// assert_eq!(m.result(), 17.0 / 5.0);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Mean {
    name: String,
    total: f64,
    count: f64,
}

impl Mean {
    /// A mean named `name`.
    pub fn new(name: &str) -> Mean {
        Mean {
            name: name.into(),
            total: 0.0,
            count: 0.0,
        }
    }
    /// Accumulates `values`, optionally weighted.
    pub fn update(&mut self, values: &Tensor, sample_weight: Option<&Tensor>) -> Result<()> {
        let (t, c) = weighted_sums(values, sample_weight)?;
        self.total += t;
        self.count += c;
        Ok(())
    }
}

impl Metric for Mean {
    fn name(&self) -> &str {
        &self.name
    }
    fn update_state(
        &mut self,
        _y_true: &Tensor,
        y_pred: &Tensor,
        w: Option<&Tensor>,
    ) -> Result<()> {
        self.update(y_pred, w)
    }
    fn result(&self) -> f64 {
        div_no_nan(self.total, self.count)
    }
    fn reset_state(&mut self) {
        self.total = 0.0;
        self.count = 0.0;
    }
    fn get_config(&self) -> Value {
        json!({ "name": self.name, "dtype": "float32" })
    }
}

/// The weighted sum of everything seen (`keras.metrics.Sum`); values come in `y_pred`.
///
/// ```
/// use kiln::metrics::{Metric, Sum};
/// use kiln_tensor::Tensor;
/// let mut s = Sum::new("sum");
/// let v = Tensor::from_vec(vec![1.0f32, 3.0], &[2])?;
/// s.update_state(&v, &v, None)?;
/// assert_eq!(s.result(), 4.0);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Sum {
    name: String,
    total: f64,
}

impl Sum {
    /// A sum named `name`.
    pub fn new(name: &str) -> Sum {
        Sum {
            name: name.into(),
            total: 0.0,
        }
    }
}

impl Metric for Sum {
    fn name(&self) -> &str {
        &self.name
    }
    fn update_state(
        &mut self,
        _y_true: &Tensor,
        y_pred: &Tensor,
        w: Option<&Tensor>,
    ) -> Result<()> {
        let v = match w {
            Some(w) => {
                let w = w.cast(y_pred.dtype())?;
                let (v, w) = squeeze_or_expand_to_same_rank(y_pred, &w)?;
                v.mul(&w)?
            }
            None => y_pred.clone(),
        };
        self.total += v.to_f64_vec().iter().sum::<f64>();
        Ok(())
    }
    fn result(&self) -> f64 {
        self.total
    }
    fn reset_state(&mut self) {
        self.total = 0.0;
    }
    fn get_config(&self) -> Value {
        json!({ "name": self.name, "dtype": "float32" })
    }
}

type MetricFn = Arc<dyn Fn(&Tensor, &Tensor) -> Result<Tensor> + Send + Sync>;

/// A metric from a function of `(y_true, y_pred)`: the weighted mean of its values
/// (`keras.metrics.MeanMetricWrapper`). Ranks are matched as Keras does first.
///
/// ```
/// use kiln::metrics::{MeanMetricWrapper, Metric};
/// use kiln_tensor::Tensor;
/// let mut m = MeanMetricWrapper::new("abs_err", |t, p| Ok(p.sub(t)?.abs()?));
/// let y = Tensor::from_vec(vec![1.0f32, 2.0], &[2, 1])?;
/// m.update_state(&y, &y.mul_scalar(2.0)?, None)?;
/// assert_eq!(m.result(), 1.5);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Clone)]
pub struct MeanMetricWrapper {
    mean: Mean,
    f: MetricFn,
    class: Option<String>,
}

impl MeanMetricWrapper {
    /// Wraps a plain function, named after it, as Keras wraps `metrics=[my_metric]`
    /// (a closure is `"<lambda>"`). Register it with
    /// [`crate::saving::register_metric_fn`] under the same name so `load_model` can
    /// restore it.
    ///
    /// ```
    /// use kiln::metrics::{MeanMetricWrapper, Metric};
    /// use kiln_tensor::Tensor;
    /// fn top_logit(_y: &Tensor, p: &Tensor) -> kiln::Result<Tensor> {
    ///     Ok(p.max(&[-1], false)?)
    /// }
    /// let mut m = MeanMetricWrapper::from_fn(top_logit);
    /// assert_eq!(m.name(), "top_logit");
    /// m.update_state(&Tensor::zeros(&[2], kiln::DType::F32), &Tensor::from_vec(vec![1.0f32, 3.0, 2.0, 0.0], &[2, 2])?, None)?;
    /// assert_eq!(m.result(), 2.5);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn from_fn<F>(f: F) -> MeanMetricWrapper
    where
        F: Fn(&Tensor, &Tensor) -> Result<Tensor> + Send + Sync + 'static,
    {
        MeanMetricWrapper::new(crate::losses::fn_name::<F>(), f)
    }

    /// Wraps `f` under `name`.
    pub fn new(
        name: &str,
        f: impl Fn(&Tensor, &Tensor) -> Result<Tensor> + Send + Sync + 'static,
    ) -> MeanMetricWrapper {
        MeanMetricWrapper {
            mean: Mean::new(name),
            f: Arc::new(f),
            class: None,
        }
    }

    /// The Keras class this wrapper stands for (`"LogCoshError"` for the metric named
    /// `"logcosh"`), saved as its `class_name`.
    ///
    /// ```
    /// use kiln::metrics::Metric;
    /// let m = kiln::metrics::get("log_cosh_error").unwrap();
    /// assert_eq!((m.name(), m.class_name().as_str()), ("logcosh", "LogCoshError"));
    /// ```
    pub fn with_class_name(mut self, class: &str) -> MeanMetricWrapper {
        self.class = Some(class.into());
        self
    }
}

impl Metric for MeanMetricWrapper {
    fn name(&self) -> &str {
        &self.mean.name
    }
    fn update_state(&mut self, y_true: &Tensor, y_pred: &Tensor, w: Option<&Tensor>) -> Result<()> {
        let _pause = no_recording();
        let (t, p) = squeeze_or_expand_to_same_rank(y_true, y_pred)?;
        let values = (self.f)(&t, &p)?;
        self.mean.update(&values, w)
    }
    fn result(&self) -> f64 {
        self.mean.result()
    }
    fn reset_state(&mut self) {
        self.mean.reset_state()
    }
    fn get_config(&self) -> Value {
        self.mean.get_config()
    }
    fn class_name(&self) -> String {
        match &self.class {
            Some(c) => c.clone(),
            None => crate::utils::to_camel_case(self.name()),
        }
    }
}

/// `sqrt` of the weighted mean squared error (`keras.metrics.RootMeanSquaredError`).
///
/// ```
/// use kiln::metrics::{Metric, RootMeanSquaredError};
/// use kiln_tensor::Tensor;
/// let mut m = RootMeanSquaredError::new();
/// let y = Tensor::from_vec(vec![0.0f32, 0.0], &[2, 1])?;
/// m.update_state(&y, &y.add_scalar(2.0)?, None)?;
/// assert_eq!(m.result(), 2.0);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RootMeanSquaredError {
    mean: Mean,
}

impl Default for RootMeanSquaredError {
    fn default() -> Self {
        RootMeanSquaredError::new()
    }
}

impl RootMeanSquaredError {
    /// Named `root_mean_squared_error`.
    pub fn new() -> RootMeanSquaredError {
        RootMeanSquaredError {
            mean: Mean::new("root_mean_squared_error"),
        }
    }
}

impl Metric for RootMeanSquaredError {
    fn name(&self) -> &str {
        &self.mean.name
    }
    fn update_state(&mut self, y_true: &Tensor, y_pred: &Tensor, w: Option<&Tensor>) -> Result<()> {
        let _pause = no_recording();
        let t = y_true.cast(y_pred.dtype())?;
        let (t, p) = squeeze_or_expand_to_same_rank(&t, y_pred)?;
        let err = p.squared_difference(&t)?;
        self.mean.update(&err, w)
    }
    fn result(&self) -> f64 {
        self.mean.result().sqrt()
    }
    fn reset_state(&mut self) {
        self.mean.reset_state()
    }
    fn get_config(&self) -> Value {
        self.mean.get_config()
    }
}
