//! `keras.metrics.R2Score`: the coefficient of determination accumulated over batches,
//! per output column, then averaged (optionally adjusted for the number of regressors).

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::losses::squeeze_or_expand_to_same_rank;
use crate::metrics::config::MetricConfig;
use crate::metrics::Metric;
use crate::{Error, Result};

/// How R2Score combines the per-output scores (Keras's `class_aggregation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassAggregation {
    /// `"uniform_average"`: the plain mean.
    UniformAverage,
    /// `"variance_weighted_average"`: weighted by each output's variance.
    VarianceWeightedAverage,
}

/// `keras.metrics.R2Score(class_aggregation="uniform_average", num_regressors=0)`.
/// Inputs are `(batch, outputs)`. Keras's `class_aggregation=None` (one score per
/// output) is refused: a kiln metric's result is one number.
///
/// ```
/// use kiln::metrics::{Metric, R2Score};
/// use kiln_tensor::Tensor;
/// let mut m = R2Score::new();
/// let y = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[4, 1])?;
/// let p = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 5.0], &[4, 1])?;
/// m.update_state(&y, &p, None)?;
/// assert!((m.result() - 0.8).abs() < 1e-12);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct R2Score {
    name: String,
    class_aggregation: ClassAggregation,
    num_regressors: u64,
    sum: Vec<f64>,
    squared_sum: Vec<f64>,
    residual: Vec<f64>,
    count: Vec<f64>,
    num_samples: f64,
}

impl Default for R2Score {
    fn default() -> Self {
        Self::new()
    }
}

impl R2Score {
    /// Keras's defaults.
    pub fn new() -> Self {
        R2Score {
            name: "r2_score".into(),
            class_aggregation: ClassAggregation::UniformAverage,
            num_regressors: 0,
            sum: Vec::new(),
            squared_sum: Vec::new(),
            residual: Vec::new(),
            count: Vec::new(),
            num_samples: 0.0,
        }
    }
    /// How per-output scores are combined.
    pub fn class_aggregation(mut self, a: ClassAggregation) -> Self {
        self.class_aggregation = a;
        self
    }
    /// The number of regressors of the adjusted R2 (0: unadjusted).
    pub fn num_regressors(mut self, n: u64) -> Self {
        self.num_regressors = n;
        self
    }
    /// Renames the metric.
    pub fn with_name(mut self, n: &str) -> Self {
        self.name = n.into();
        self
    }
    /// `R2Score.from_config(config)`, with Keras's argument checks.
    pub fn from_config(c: &Value) -> Result<Self> {
        let r = MetricConfig::new("R2Score", c);
        let agg = match c.get("class_aggregation") {
            None => ClassAggregation::UniformAverage,
            Some(Value::String(s)) if s == "uniform_average" => ClassAggregation::UniformAverage,
            Some(Value::String(s)) if s == "variance_weighted_average" => {
                ClassAggregation::VarianceWeightedAverage
            }
            Some(Value::Null) => {
                return Err(r.bad(
                    "class_aggregation=None (one score per output) is not supported: a kiln \
                     metric's result is one number; use 'uniform_average' or \
                     'variance_weighted_average'"
                        .into(),
                ))
            }
            Some(v) => {
                let v = v.as_str().map_or(v.to_string(), str::to_string);
                return Err(r.bad(format!(
                    "Invalid value for argument `class_aggregation`. Expected one of (None, \
                     'uniform_average', 'variance_weighted_average'). Received: \
                     class_aggregation={v}"
                )));
            }
        };
        let n = r.int("num_regressors", 0)?;
        if n < 0 {
            return Err(r.bad(format!(
                "Invalid value for argument `num_regressors`. Expected a value >= 0. \
                 Received: num_regressors={n}"
            )));
        }
        Ok(R2Score::new()
            .with_name(&r.name("r2_score")?)
            .class_aggregation(agg)
            .num_regressors(n as u64))
    }
}

impl Metric for R2Score {
    fn name(&self) -> &str {
        &self.name
    }
    fn update_state(&mut self, y_true: &Tensor, y_pred: &Tensor, w: Option<&Tensor>) -> Result<()> {
        let t = y_true.cast(y_pred.dtype())?;
        let (t, p) = squeeze_or_expand_to_same_rank(&t, y_pred)?;
        if t.rank() != 2 || p.rank() != 2 || t.shape() != p.shape() {
            return Err(Error::InvalidArgument {
                api: "R2Score",
                msg: format!(
                    "R2Score expects 2D inputs with shape (batch_size, output_dim). Received \
                     input shapes: y_pred.shape={:?} and y_true.shape={:?}.",
                    y_pred.shape(),
                    y_true.shape()
                ),
            });
        }
        let (n, k) = (t.shape()[0], t.shape()[1]);
        if self.sum.is_empty() {
            self.sum = vec![0.0; k];
            self.squared_sum = vec![0.0; k];
            self.residual = vec![0.0; k];
            self.count = vec![0.0; k];
        } else if self.sum.len() != k {
            return Err(Error::InvalidArgument {
                api: "R2Score",
                msg: format!(
                    "got {k} outputs after {} in earlier batches",
                    self.sum.len()
                ),
            });
        }
        let sw = match w {
            None => Tensor::ones(&[n, k], p.dtype()),
            Some(w) => {
                let w = w.cast(p.dtype())?;
                let w = if w.rank() == 1 { w.expand_dims(1)? } else { w };
                w.broadcast_to(&[n, k])
                    .map_err(|e| Error::InvalidArgument {
                        api: "R2Score",
                        msg: format!(
                            "sample_weight does not broadcast to y_true {:?}: {e}",
                            [n, k]
                        ),
                    })?
            }
        };
        let (t, p, sw) = (t.to_f64_vec(), p.to_f64_vec(), sw.to_f64_vec());
        for i in 0..n * k {
            let j = i % k;
            self.sum[j] += t[i] * sw[i];
            self.squared_sum[j] += t[i] * t[i] * sw[i];
            self.residual[j] += (t[i] - p[i]) * (t[i] - p[i]) * sw[i];
            self.count[j] += sw[i];
        }
        self.num_samples += (n * k) as f64;
        Ok(())
    }
    fn result(&self) -> f64 {
        if self.sum.is_empty() {
            return 0.0;
        }
        let k = self.sum.len();
        let totals: Vec<f64> = (0..k)
            .map(|j| self.squared_sum[j] - self.sum[j] * (self.sum[j] / self.count[j]))
            .collect();
        let raw: Vec<f64> = (0..k)
            .map(|j| {
                let r = 1.0 - self.residual[j] / totals[j];
                if r.is_infinite() {
                    0.0
                } else {
                    r
                }
            })
            .collect();
        let r2 = match self.class_aggregation {
            ClassAggregation::UniformAverage => raw.iter().sum::<f64>() / k as f64,
            ClassAggregation::VarianceWeightedAverage => {
                let num: f64 = totals.iter().zip(&raw).map(|(t, r)| t * r).sum();
                num / totals.iter().sum::<f64>()
            }
        };
        let (n, p) = (self.num_samples, self.num_regressors as f64);
        // Keras falls back to the plain score when p >= n - 1.
        if self.num_regressors != 0 && p < n - 1.0 {
            1.0 - (1.0 - r2) * (n - 1.0) / (n - p - 1.0)
        } else {
            r2
        }
    }
    fn reset_state(&mut self) {
        for v in [
            &mut self.sum,
            &mut self.squared_sum,
            &mut self.residual,
            &mut self.count,
        ] {
            v.iter_mut().for_each(|x| *x = 0.0);
        }
        self.num_samples = 0.0;
    }
    fn get_config(&self) -> Value {
        json!({
            "name": self.name,
            "dtype": "float32",
            "class_aggregation": match self.class_aggregation {
                ClassAggregation::UniformAverage => "uniform_average",
                ClassAggregation::VarianceWeightedAverage => "variance_weighted_average",
            },
            "num_regressors": self.num_regressors,
        })
    }
    fn class_name(&self) -> String {
        "R2Score".into()
    }
}
