//! `keras.metrics.PearsonCorrelation` and `keras.metrics.ConcordanceCorrelation`: a
//! correlation per sample along `axis`, averaged over samples (weighted), and their
//! functions `keras.metrics.pearson_correlation` / `concordance_correlation`.

use kiln_tensor::autodiff::no_recording;
use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::losses::squeeze_or_expand_to_same_rank;
use crate::metrics::config::MetricConfig;
use crate::metrics::{Mean, Metric};
use crate::Result;

/// Keras's fuzz factor.
const EPSILON: f64 = 1e-7;

fn prepare(y_true: &Tensor, y_pred: &Tensor) -> Result<(Tensor, Tensor)> {
    let t = y_true.cast(y_pred.dtype())?;
    squeeze_or_expand_to_same_rank(&t, y_pred)
}

/// `keras.metrics.pearson_correlation(y_true, y_pred, axis)`: the mean product of the
/// standardised values along `axis`.
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![0.0f32, 1.0, 0.5, 1.0, 1.0, 0.2], &[2, 3])?;
/// let p = Tensor::from_vec(vec![0.1f32, 0.9, 0.5, 1.0, 0.9, 0.2], &[2, 3])?;
/// let v = kiln::metrics::pearson_correlation(&y, &p, -1)?.to_vec::<f32>()?;
/// // Keras 3.15 gives [1.0, 0.9933992].
/// assert!((v[0] - 1.0).abs() < 1e-5 && (v[1] - 0.993_399_2).abs() < 1e-5);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn pearson_correlation(y_true: &Tensor, y_pred: &Tensor, axis: isize) -> Result<Tensor> {
    let (t, p) = prepare(y_true, y_pred)?;
    let standardise = |x: &Tensor| -> Result<Tensor> {
        let c = x.sub(&x.mean(&[axis], true)?)?;
        Ok(c.div(&c.std(&[axis], true)?)?)
    };
    Ok(standardise(&t)?
        .mul(&standardise(&p)?)?
        .mean(&[axis], false)?)
}

/// `keras.metrics.concordance_correlation(y_true, y_pred, axis)`, as Keras computes it
/// (its covariance term centres `y_true` on the mean of `y_pred`).
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![0.0f32, 1.0, 0.5, 1.0, 1.0, 0.2], &[2, 3])?;
/// let p = Tensor::from_vec(vec![0.1f32, 0.9, 0.5, 1.0, 0.9, 0.2], &[2, 3])?;
/// let v = kiln::metrics::concordance_correlation(&y, &p, -1)?.to_vec::<f32>()?;
/// assert_eq!(v.len(), 2);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn concordance_correlation(y_true: &Tensor, y_pred: &Tensor, axis: isize) -> Result<Tensor> {
    let (t, p) = prepare(y_true, y_pred)?;
    let tm = t.mean(&[axis], true)?;
    let pm = p.mean(&[axis], true)?;
    let tv = t.sub(&tm)?.variance(&[axis], true)?;
    let pv = p.sub(&pm)?.variance(&[axis], true)?;
    let covar = t.sub(&pm)?.mul(&p.sub(&pm)?)?;
    let norm = tv.add(&pv)?.add(&tm.sub(&pm)?.square()?)?;
    Ok(covar
        .mul_scalar(2.0)?
        .div(&norm.add_scalar(EPSILON)?)?
        .mean(&[axis], false)?)
}

macro_rules! correlation_metric {
    ($t:ident, $name:literal, $func:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone)]
        pub struct $t {
            mean: Mean,
            axis: isize,
        }

        impl Default for $t {
            fn default() -> Self {
                Self::new()
            }
        }

        impl $t {
            /// Keras's defaults (`axis=-1`).
            pub fn new() -> Self {
                $t {
                    mean: Mean::new($name),
                    axis: -1,
                }
            }
            /// The axis the correlation is computed along.
            pub fn axis(mut self, a: isize) -> Self {
                self.axis = a;
                self
            }
            /// Renames the metric.
            pub fn with_name(mut self, n: &str) -> Self {
                self.mean = Mean::new(n);
                self
            }
            /// `from_config(config)`.
            pub fn from_config(c: &Value) -> Result<Self> {
                let r = MetricConfig::new(stringify!($t), c);
                Ok($t::new()
                    .with_name(&r.name($name)?)
                    .axis(r.int("axis", -1)? as isize))
            }
        }

        impl Metric for $t {
            fn name(&self) -> &str {
                self.mean.name()
            }
            fn update_state(
                &mut self,
                y_true: &Tensor,
                y_pred: &Tensor,
                w: Option<&Tensor>,
            ) -> Result<()> {
                let _pause = no_recording();
                let values = $func(y_true, y_pred, self.axis)?;
                self.mean.update(&values, w)
            }
            fn result(&self) -> f64 {
                self.mean.result()
            }
            fn reset_state(&mut self) {
                self.mean.reset_state()
            }
            fn get_config(&self) -> Value {
                json!({ "name": self.mean.name(), "dtype": "float32", "axis": self.axis })
            }
            fn class_name(&self) -> String {
                stringify!($t).into()
            }
        }
    };
}

correlation_metric!(
    PearsonCorrelation,
    "pearson_correlation",
    pearson_correlation,
    "`keras.metrics.PearsonCorrelation(axis=-1)`.\n\n```\nuse kiln::metrics::{Metric, PearsonCorrelation};\nuse kiln_tensor::Tensor;\nlet mut m = PearsonCorrelation::new();\nlet y = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[1, 3])?;\nm.update_state(&y, &y.mul_scalar(2.0)?, None)?;\nassert!((m.result() - 1.0).abs() < 1e-6);\n# Ok::<(), kiln::Error>(())\n```"
);
correlation_metric!(
    ConcordanceCorrelation,
    "concordance_correlation",
    concordance_correlation,
    "`keras.metrics.ConcordanceCorrelation(axis=-1)`.\n\n```\nuse kiln::metrics::{ConcordanceCorrelation, Metric};\nassert_eq!(ConcordanceCorrelation::new().get_config()[\"axis\"], -1);\n```"
);
