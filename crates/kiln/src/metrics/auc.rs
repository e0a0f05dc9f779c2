//! `AUC`: area under the ROC or precision-recall curve, from confusion counts at evenly
//! spaced thresholds (Keras's Riemann-sum approximation).

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::metrics::confusion::{flat_inputs, Counts};
use crate::metrics::Metric;
use crate::{Error, Result};

/// Which curve [`AUC`] integrates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Curve {
    /// True-positive rate against false-positive rate.
    #[default]
    Roc,
    /// Precision against recall (Davis & Goadrich interpolation).
    Pr,
}

/// `keras.metrics.AUC(num_thresholds=200, curve="ROC", summation_method="interpolation")`.
/// Thresholds are `0 - 1e-7`, `i / (n - 1)` for `i = 1..n-2`, and `1 + 1e-7`.
///
/// ```
/// use kiln::metrics::{Metric, AUC};
/// use kiln_tensor::Tensor;
/// let mut auc = AUC::new();
/// let y = Tensor::from_vec(vec![0.0f32, 0.0, 1.0, 1.0], &[4])?;
/// let p = Tensor::from_vec(vec![0.1f32, 0.4, 0.35, 0.8], &[4])?;
/// auc.update_state(&y, &p, None)?;
/// assert!((auc.result() - 0.75).abs() < 1e-6);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct AUC {
    name: String,
    curve: Curve,
    thresholds: Vec<f64>,
    counts: Vec<Counts>,
}

impl Default for AUC {
    fn default() -> Self {
        AUC::new()
    }
}

impl AUC {
    /// 200 thresholds, ROC curve.
    pub fn new() -> AUC {
        let mut a = AUC {
            name: "auc".into(),
            curve: Curve::Roc,
            thresholds: Vec::new(),
            counts: Vec::new(),
        };
        a.set_thresholds(200);
        a
    }

    fn set_thresholds(&mut self, n: usize) {
        let n = n.max(2);
        let mut t = vec![-1e-7];
        for i in 0..n - 2 {
            t.push((i + 1) as f64 / (n - 1) as f64);
        }
        t.push(1.0 + 1e-7);
        self.counts = vec![Counts::default(); t.len()];
        self.thresholds = t;
    }

    /// Number of thresholds (> 1).
    pub fn num_thresholds(mut self, n: usize) -> AUC {
        self.set_thresholds(n);
        self
    }

    /// ROC or PR.
    pub fn curve(mut self, c: Curve) -> AUC {
        self.curve = c;
        self
    }

    /// Renames the metric.
    pub fn with_name(mut self, n: &str) -> AUC {
        self.name = n.into();
        self
    }
}

fn div_no_nan(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        a / b
    }
}

impl Metric for AUC {
    fn name(&self) -> &str {
        &self.name
    }
    fn update_state(&mut self, y_true: &Tensor, y_pred: &Tensor, w: Option<&Tensor>) -> Result<()> {
        let (t, p, w) = flat_inputs("AUC", y_true, y_pred, w)?;
        if p.iter().any(|&v| !(0.0..=1.0).contains(&v)) {
            return Err(Error::InvalidArgument {
                api: "AUC",
                msg: "predictions must be in [0, 1]".into(),
            });
        }
        sweep_thresholds(&mut self.counts, &self.thresholds, &t, &p, w.as_deref());
        Ok(())
    }
    fn result(&self) -> f64 {
        let n = self.counts.len();
        let tp: Vec<f64> = self.counts.iter().map(|c| c.tp).collect();
        let fp: Vec<f64> = self.counts.iter().map(|c| c.fp).collect();
        let fn_: Vec<f64> = self.counts.iter().map(|c| c.fn_).collect();
        let tn: Vec<f64> = self.counts.iter().map(|c| c.tn).collect();
        match self.curve {
            Curve::Roc => {
                let y: Vec<f64> = (0..n).map(|i| div_no_nan(tp[i], tp[i] + fn_[i])).collect();
                let x: Vec<f64> = (0..n).map(|i| div_no_nan(fp[i], fp[i] + tn[i])).collect();
                (0..n - 1)
                    .map(|i| (x[i] - x[i + 1]) * (y[i] + y[i + 1]) / 2.0)
                    .sum()
            }
            Curve::Pr => {
                let p: Vec<f64> = (0..n).map(|i| tp[i] + fp[i]).collect();
                (0..n - 1)
                    .map(|i| {
                        let dtp = tp[i] - tp[i + 1];
                        let dp = p[i] - p[i + 1];
                        let slope = div_no_nan(dtp, dp.max(0.0));
                        let intercept = tp[i + 1] - slope * p[i + 1];
                        let ratio = if p[i] > 0.0 && p[i + 1] > 0.0 {
                            div_no_nan(p[i], p[i + 1].max(0.0))
                        } else {
                            1.0
                        };
                        div_no_nan(
                            slope * (dtp + intercept * ratio.ln()),
                            (tp[i + 1] + fn_[i + 1]).max(0.0),
                        )
                    })
                    .sum()
            }
        }
    }
    fn reset_state(&mut self) {
        for c in &mut self.counts {
            *c = Counts::default();
        }
    }
    fn get_config(&self) -> Value {
        json!({
            "name": self.name,
            "num_thresholds": self.thresholds.len(),
            "curve": match self.curve { Curve::Roc => "ROC", Curve::Pr => "PR" },
            "summation_method": "interpolation",
            "multi_label": false,
        })
    }
    fn class_name(&self) -> String {
        "AUC".into()
    }
}

/// Adds weighted confusion counts at every threshold (a prediction above a threshold is
/// positive there); sorts once, then sweeps: O(n log n + thresholds).
pub(crate) fn sweep_thresholds(
    counts: &mut [Counts],
    thresholds: &[f64],
    t: &[f64],
    p: &[f64],
    w: Option<&[f64]>,
) {
    // Sort once, then sweep the thresholds: O(n log n + thresholds).
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let (mut pos_total, mut neg_total) = (0.0, 0.0);
    for i in 0..t.len() {
        let wi = w.map_or(1.0, |w| w[i]);
        if t[i] != 0.0 {
            pos_total += wi;
        } else {
            neg_total += wi;
        }
    }
    let (mut pos_below, mut neg_below) = (0.0, 0.0);
    let mut k = 0;
    for (ti, &thr) in thresholds.iter().enumerate() {
        // Everything <= thr is predicted negative.
        while k < idx.len() && p[idx[k]] <= thr {
            let i = idx[k];
            let wi = w.map_or(1.0, |w| w[i]);
            if t[i] != 0.0 {
                pos_below += wi;
            } else {
                neg_below += wi;
            }
            k += 1;
        }
        let c = &mut counts[ti];
        c.tp += pos_total - pos_below;
        c.fn_ += pos_below;
        c.fp += neg_total - neg_below;
        c.tn += neg_below;
    }
}
