//! `F1Score` and `FBetaScore`.

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::metrics::Metric;
use crate::{Error, Result};

/// How [`FBetaScore`] combines classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Average {
    /// Counts summed over classes first.
    Micro,
    /// Unweighted mean of the per-class scores (kiln's default; Keras's default `None`
    /// returns one score per class, which a scalar `result()` cannot hold).
    #[default]
    Macro,
    /// Per-class scores weighted by each class's label count.
    Weighted,
}

/// `keras.metrics.FBetaScore(average, beta=1, threshold=None)`: with no threshold the
/// top-scoring class of each row counts as predicted.
///
/// ```
/// use kiln::metrics::{FBetaScore, Metric};
/// use kiln_tensor::Tensor;
/// let mut f = FBetaScore::new(1.0);
/// let y = Tensor::from_vec(vec![1.0f32, 0.0, 0.0, 1.0], &[2, 2])?;
/// f.update_state(&y, &y, None)?;
/// assert!((f.result() - 1.0).abs() < 1e-9);
/// assert!(FBetaScore::new(0.0).validate().is_err());
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct FBetaScore {
    name: String,
    beta: f64,
    average: Average,
    threshold: Option<f64>,
    tp: Vec<f64>,
    fp: Vec<f64>,
    fn_: Vec<f64>,
    support: Vec<f64>,
}

/// `keras.metrics.F1Score`: [`FBetaScore`] with `beta = 1`, named `f1_score`.
pub struct F1Score;

impl F1Score {
    /// An F-beta score with beta 1, macro-averaged.
    #[allow(clippy::new_ret_no_self)]
    pub fn new() -> FBetaScore {
        let mut f = FBetaScore::new(1.0);
        f.name = "f1_score".into();
        f
    }
}

impl FBetaScore {
    /// Score with `beta` (> 0).
    pub fn new(beta: f64) -> FBetaScore {
        FBetaScore {
            name: "fbeta_score".into(),
            beta,
            average: Average::Macro,
            threshold: None,
            tp: Vec::new(),
            fp: Vec::new(),
            fn_: Vec::new(),
            support: Vec::new(),
        }
    }
    /// How classes are combined.
    pub fn average(mut self, a: Average) -> FBetaScore {
        self.average = a;
        self
    }
    /// Predictions above `t` count as positive (instead of the row's top class).
    pub fn threshold(mut self, t: f64) -> FBetaScore {
        self.threshold = Some(t);
        self
    }
    /// Checks `beta` as Keras does.
    pub fn validate(&self) -> Result<()> {
        if self.beta <= 0.0 || !self.beta.is_finite() {
            return Err(Error::InvalidArgument {
                api: "FBetaScore",
                msg: format!("beta must be a positive float, got {}", self.beta),
            });
        }
        Ok(())
    }
}

fn div_no_nan(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        a / b
    }
}

impl Metric for FBetaScore {
    fn name(&self) -> &str {
        &self.name
    }
    fn update_state(&mut self, y_true: &Tensor, y_pred: &Tensor, w: Option<&Tensor>) -> Result<()> {
        self.validate()?;
        if y_pred.rank() != 2 || y_true.shape() != y_pred.shape() {
            return Err(Error::InvalidArgument {
                api: "FBetaScore",
                msg: format!(
                    "expects y_true and y_pred of the same shape (batch, classes), got {:?} and {:?}",
                    y_true.shape(),
                    y_pred.shape()
                ),
            });
        }
        let (rows, k) = (y_pred.shape()[0], y_pred.shape()[1]);
        if self.tp.len() != k {
            self.tp = vec![0.0; k];
            self.fp = vec![0.0; k];
            self.fn_ = vec![0.0; k];
            self.support = vec![0.0; k];
        }
        let t = y_true.to_f64_vec();
        let p = y_pred.to_f64_vec();
        let w = match w {
            Some(w) => w.to_f64_vec(),
            None => vec![1.0; rows],
        };
        for r in 0..rows {
            let row = &p[r * k..(r + 1) * k];
            let max = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            for c in 0..k {
                let pred = match self.threshold {
                    Some(th) => row[c] > th,
                    None => row[c] >= max && row[c].abs() > 1e-9,
                };
                let pred = if pred { 1.0 } else { 0.0 };
                let label = t[r * k + c];
                let wr = w.get(r).copied().unwrap_or(1.0);
                self.tp[c] += pred * label * wr;
                self.fp[c] += pred * (1.0 - label) * wr;
                self.fn_[c] += (1.0 - pred) * label * wr;
                self.support[c] += label * wr;
            }
        }
        Ok(())
    }
    fn result(&self) -> f64 {
        if self.tp.is_empty() {
            return 0.0;
        }
        let b2 = self.beta * self.beta;
        let score = |tp: f64, fp: f64, fn_: f64| {
            let precision = div_no_nan(tp, tp + fp);
            let recall = div_no_nan(tp, tp + fn_);
            div_no_nan(precision * recall, b2 * precision + recall) * (1.0 + b2)
        };
        match self.average {
            Average::Micro => score(
                self.tp.iter().sum(),
                self.fp.iter().sum(),
                self.fn_.iter().sum(),
            ),
            Average::Macro => {
                let k = self.tp.len() as f64;
                (0..self.tp.len())
                    .map(|c| score(self.tp[c], self.fp[c], self.fn_[c]))
                    .sum::<f64>()
                    / k
            }
            Average::Weighted => {
                let total: f64 = self.support.iter().sum();
                (0..self.tp.len())
                    .map(|c| {
                        score(self.tp[c], self.fp[c], self.fn_[c])
                            * div_no_nan(self.support[c], total)
                    })
                    .sum()
            }
        }
    }
    fn reset_state(&mut self) {
        for v in [&mut self.tp, &mut self.fp, &mut self.fn_, &mut self.support] {
            v.iter_mut().for_each(|x| *x = 0.0);
        }
    }
    fn get_config(&self) -> Value {
        json!({
            "name": self.name,
            "beta": self.beta,
            "average": match self.average { Average::Micro => "micro", Average::Macro => "macro", Average::Weighted => "weighted" },
            "threshold": self.threshold,
        })
    }
}
