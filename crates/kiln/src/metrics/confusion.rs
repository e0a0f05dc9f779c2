//! Confusion-matrix metrics at a threshold: true/false positives/negatives, precision and
//! recall. Labels count as positive when non-zero; predictions when above the threshold.

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::metrics::Metric;
use crate::{Error, Result};

/// Weighted confusion counts at one threshold.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counts {
    pub tp: f64,
    pub fp: f64,
    pub tn: f64,
    pub fn_: f64,
}

/// Flattened labels, predictions, and per-element weights when given.
pub(crate) type FlatInputs = (Vec<f64>, Vec<f64>, Option<Vec<f64>>);

/// Flattened labels, predictions and per-element weights (weights broadcast to `y_pred`).
pub(crate) fn flat_inputs(
    api: &'static str,
    y_true: &Tensor,
    y_pred: &Tensor,
    sample_weight: Option<&Tensor>,
) -> Result<FlatInputs> {
    let t = y_true.cast(y_pred.dtype())?;
    let (t, p) = crate::losses::squeeze_or_expand_to_same_rank(&t, y_pred)?;
    if t.shape() != p.shape() {
        return Err(Error::InvalidArgument {
            api,
            msg: format!(
                "y_true and y_pred must have the same shape, got {:?} and {:?}",
                y_true.shape(),
                y_pred.shape()
            ),
        });
    }
    let w = match sample_weight {
        Some(w) => {
            let w = w.cast(p.dtype())?;
            let (w, _) = crate::losses::squeeze_or_expand_to_same_rank(&w, &p)?;
            let w = if w.rank() < p.rank() {
                // (batch,) weights against (batch, k) values: one weight per row.
                let mut w = w;
                while w.rank() < p.rank() {
                    w = w.expand_dims(-1)?;
                }
                w
            } else {
                w
            };
            Some(
                w.broadcast_to(p.shape())
                    .map_err(|e| Error::InvalidArgument {
                        api,
                        msg: format!("sample_weight does not broadcast to y_pred: {e}"),
                    })?
                    .to_f64_vec(),
            )
        }
        None => None,
    };
    Ok((t.to_f64_vec(), p.to_f64_vec(), w))
}

pub(crate) fn accumulate(c: &mut Counts, t: &[f64], p: &[f64], w: Option<&[f64]>, threshold: f64) {
    for i in 0..t.len() {
        let wi = w.map_or(1.0, |w| w[i]);
        let label = t[i] != 0.0;
        let pred = p[i] > threshold;
        match (label, pred) {
            (true, true) => c.tp += wi,
            (false, true) => c.fp += wi,
            (false, false) => c.tn += wi,
            (true, false) => c.fn_ += wi,
        }
    }
}

/// Keras's `NEG_INF` (`metrics_utils`): the value top-k filtering gives the predictions it
/// drops, so that they fall below every threshold.
const NEG_INF: f64 = -1e10;

/// The `top_k` / `class_id` options of Precision and Recall
/// (`metrics_utils.update_confusion_matrix_variables`): top-k filtering first, then one
/// class column. Unset for the plain counting metrics.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ClassFilter {
    top_k: Option<usize>,
    class_id: Option<usize>,
    /// Precision/Recall report both keys in their config; the counts report neither.
    in_config: bool,
}

impl ClassFilter {
    /// Filters flattened inputs of `shape` (weights already broadcast to it).
    fn apply(
        &self,
        api: &'static str,
        shape: &[usize],
        t: Vec<f64>,
        mut p: Vec<f64>,
        w: Option<Vec<f64>>,
    ) -> Result<FlatInputs> {
        if self.top_k.is_none() && self.class_id.is_none() {
            return Ok((t, p, w));
        }
        let last = shape.last().copied().unwrap_or(1);
        if let Some(k) = self.top_k {
            if k == 0 || k > last {
                return Err(Error::InvalidArgument {
                    api,
                    msg: format!(
                        "top_k={k} needs 1 <= top_k <= the last dimension of y_pred {shape:?}"
                    ),
                });
            }
            for row in p.chunks_mut(last) {
                // tf.math.top_k keeps the lower index among equal values.
                let mut order: Vec<usize> = (0..row.len()).collect();
                order.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(a.cmp(&b)));
                for &i in &order[k..] {
                    row[i] = NEG_INF;
                }
            }
        }
        let Some(c) = self.class_id else {
            return Ok((t, p, w));
        };
        if shape.len() < 2 {
            return Err(Error::InvalidArgument {
                api,
                msg: format!(
                    "class_id needs y_pred of shape (num_samples, num_classes), got {shape:?}"
                ),
            });
        }
        if c >= last {
            return Err(Error::InvalidArgument {
                api,
                msg: format!("class_id={c} is out of range for {last} classes (y_pred {shape:?})"),
            });
        }
        let column = |v: &[f64]| v.iter().skip(c).step_by(last).copied().collect::<Vec<_>>();
        Ok((column(&t), column(&p), w.as_deref().map(column)))
    }

    fn extend_config(&self, c: &mut Value) {
        if self.in_config {
            c["top_k"] = json!(self.top_k);
            c["class_id"] = json!(self.class_id);
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

macro_rules! confusion_metric {
    ($t:ident, $name:literal, $filtered:literal, $doc:literal, |$c:ident| $result:expr) => {
        #[doc = $doc]
        #[derive(Debug, Clone)]
        pub struct $t {
            name: String,
            threshold: f64,
            counts: Counts,
            filter: ClassFilter,
        }

        impl Default for $t {
            fn default() -> Self {
                $t::new()
            }
        }

        impl $t {
            /// Threshold 0.5.
            pub fn new() -> $t {
                $t {
                    name: $name.into(),
                    threshold: 0.5,
                    counts: Counts::default(),
                    filter: ClassFilter {
                        in_config: $filtered,
                        ..ClassFilter::default()
                    },
                }
            }
            /// Predictions above `t` count as positive.
            pub fn threshold(mut self, t: f64) -> $t {
                self.threshold = t;
                self
            }
            /// Renames the metric.
            pub fn with_name(mut self, n: &str) -> $t {
                self.name = n.into();
                self
            }
        }

        impl Metric for $t {
            fn name(&self) -> &str {
                &self.name
            }
            fn update_state(&mut self, y_true: &Tensor, y_pred: &Tensor, w: Option<&Tensor>) -> Result<()> {
                let (t, p, w) = flat_inputs($name, y_true, y_pred, w)?;
                let (t, p, w) = self.filter.apply($name, y_pred.shape(), t, p, w)?;
                accumulate(&mut self.counts, &t, &p, w.as_deref(), self.threshold);
                Ok(())
            }
            fn result(&self) -> f64 {
                let $c = &self.counts;
                $result
            }
            fn reset_state(&mut self) {
                self.counts = Counts::default();
            }
            fn get_config(&self) -> Value {
                let mut c = json!({ "name": self.name, "thresholds": self.threshold, "dtype": "float32" });
                self.filter.extend_config(&mut c);
                c
            }
        }
    };
}

confusion_metric!(
    TruePositives,
    "true_positives",
    false,
    "Weighted count of true positives (`keras.metrics.TruePositives`).\n\n```\nuse kiln::metrics::{Metric, TruePositives};\nuse kiln_tensor::Tensor;\nlet mut m = TruePositives::new();\nlet y = Tensor::from_vec(vec![1.0f32, 0.0, 1.0], &[3])?;\nlet p = Tensor::from_vec(vec![0.9f32, 0.8, 0.1], &[3])?;\nm.update_state(&y, &p, None)?;\nassert_eq!(m.result(), 1.0);\n# Ok::<(), kiln::Error>(())\n```",
    |c| c.tp
);
confusion_metric!(
    FalsePositives,
    "false_positives",
    false,
    "Weighted count of false positives (`keras.metrics.FalsePositives`).\n\n```\nuse kiln::metrics::{FalsePositives, Metric};\nassert_eq!(FalsePositives::new().result(), 0.0);\n```",
    |c| c.fp
);
confusion_metric!(
    TrueNegatives,
    "true_negatives",
    false,
    "Weighted count of true negatives (`keras.metrics.TrueNegatives`).\n\n```\nuse kiln::metrics::{Metric, TrueNegatives};\nassert_eq!(TrueNegatives::new().result(), 0.0);\n```",
    |c| c.tn
);
confusion_metric!(
    FalseNegatives,
    "false_negatives",
    false,
    "Weighted count of false negatives (`keras.metrics.FalseNegatives`).\n\n```\nuse kiln::metrics::{FalseNegatives, Metric};\nassert_eq!(FalseNegatives::new().result(), 0.0);\n```",
    |c| c.fn_
);
confusion_metric!(
    Precision,
    "precision",
    true,
    "`tp / (tp + fp)` at a threshold (`keras.metrics.Precision`; with `top_k` and `class_id`).\n\n```\nuse kiln::metrics::{Metric, Precision};\nuse kiln_tensor::Tensor;\nlet mut m = Precision::new();\nlet y = Tensor::from_vec(vec![1.0f32, 0.0], &[2])?;\nlet p = Tensor::from_vec(vec![0.9f32, 0.8], &[2])?;\nm.update_state(&y, &p, None)?;\nassert_eq!(m.result(), 0.5);\n# Ok::<(), kiln::Error>(())\n```",
    |c| div_no_nan(c.tp, c.tp + c.fp)
);
confusion_metric!(
    Recall,
    "recall",
    true,
    "`tp / (tp + fn)` at a threshold (`keras.metrics.Recall`; with `top_k` and `class_id`).\n\n```\nuse kiln::metrics::{Metric, Recall};\nuse kiln_tensor::Tensor;\nlet mut m = Recall::new();\nlet y = Tensor::from_vec(vec![1.0f32, 1.0], &[2])?;\nlet p = Tensor::from_vec(vec![0.9f32, 0.2], &[2])?;\nm.update_state(&y, &p, None)?;\nassert_eq!(m.result(), 0.5);\n# Ok::<(), kiln::Error>(())\n```",
    |c| div_no_nan(c.tp, c.tp + c.fn_)
);

macro_rules! class_filter_builders {
    ($t:ident) => {
        impl $t {
            /// Only the `k` largest predictions of each row can count as positive; the
            /// threshold then defaults to Keras's `NEG_INF` (set one after this to override).
            ///
            /// ```
            #[doc = concat!("use kiln::metrics::{Metric, ", stringify!($t), "};")]
            /// use kiln_tensor::Tensor;
            #[doc = concat!("let mut m = ", stringify!($t), "::new().top_k(1);")]
            /// let y = Tensor::from_vec(vec![0.0f32, 1.0, 1.0, 0.0], &[2, 2])?;
            /// let p = Tensor::from_vec(vec![0.2f32, 0.8, 0.3, 0.1], &[2, 2])?;
            /// m.update_state(&y, &p, None)?;
            /// assert_eq!(m.result(), 1.0);
            /// # Ok::<(), kiln::Error>(())
            /// ```
            pub fn top_k(mut self, k: usize) -> $t {
                self.filter.top_k = Some(k);
                self.threshold = NEG_INF;
                self
            }
            /// Counts only column `class_id` of `(num_samples, num_classes)` inputs.
            ///
            /// ```
            #[doc = concat!("use kiln::metrics::{Metric, ", stringify!($t), "};")]
            /// use kiln_tensor::Tensor;
            #[doc = concat!("let mut m = ", stringify!($t), "::new().class_id(0);")]
            /// let y = Tensor::from_vec(vec![1.0f32, 0.0, 1.0, 0.0], &[2, 2])?;
            /// let p = Tensor::from_vec(vec![0.9f32, 0.1, 0.7, 0.3], &[2, 2])?;
            /// m.update_state(&y, &p, None)?;
            /// assert_eq!(m.result(), 1.0);
            /// # Ok::<(), kiln::Error>(())
            /// ```
            pub fn class_id(mut self, class_id: usize) -> $t {
                self.filter.class_id = Some(class_id);
                self
            }
        }
    };
}
class_filter_builders!(Precision);
class_filter_builders!(Recall);
