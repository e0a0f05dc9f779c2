//! `keras.losses.CategoricalGeneralizedCrossEntropy` and its function: the
//! noise-robust `(1 - p ** q) / q` of the true class's probability.

use kiln_tensor::{DType, Tensor};
use serde_json::{json, Value};

use crate::losses::config::{self, LossConfig};
use crate::losses::{Loss, Reduction};
use crate::{Error, Result};

const API: &str = "categorical_generalized_cross_entropy";

/// `keras.losses.categorical_generalized_cross_entropy(y_true, y_pred, q)`: integer class
/// labels of shape `[batch]` (or `[batch, 1]`) against probabilities `[batch, classes]`.
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![0i64, 1], &[2])?;
/// let p = Tensor::from_vec(vec![0.64f32, 0.36, 0.2, 0.8], &[2, 2])?;
/// let v = kiln::losses::categorical_generalized_cross_entropy(&y, &p, 0.5)?.to_vec::<f32>()?;
/// assert!((v[0] - 0.4).abs() < 1e-6);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn categorical_generalized_cross_entropy(
    y_true: &Tensor,
    y_pred: &Tensor,
    q: f64,
) -> Result<Tensor> {
    let mut t = y_true.clone();
    if t.rank() == y_pred.rank() && t.shape().last() == Some(&1) {
        t = t.squeeze(&[-1])?;
    }
    let k = y_pred.shape().last().copied().unwrap_or(0);
    if y_pred.rank() == 0 || t.shape() != &y_pred.shape()[..y_pred.rank() - 1] {
        return Err(Error::InvalidArgument {
            api: API,
            msg: format!(
                "labels of shape {:?} do not match predictions of shape {:?}: expected \
                 integer class indices of shape {:?} (or with a trailing axis of 1)",
                y_true.shape(),
                y_pred.shape(),
                &y_pred.shape()[..y_pred.rank().saturating_sub(1)]
            ),
        });
    }
    let labels = t.cast(DType::I64)?;
    // Keras one-hot encodes (an out-of-range label gives an all-zero row, so p = 0).
    let onehot = labels.one_hot(k, 1.0, 0.0, -1, y_pred.dtype())?;
    let p = y_pred.mul(&onehot)?.sum(&[-1], false)?;
    let qt = Tensor::scalar_of(q, p.dtype());
    Ok(p.pow(&qt)?.neg()?.add_scalar(1.0)?.div_scalar(q)?)
}

/// `keras.losses.CategoricalGeneralizedCrossEntropy(q=0.5)`; `q` must be in `(0, 1)`.
///
/// ```
/// use kiln::losses::{CategoricalGeneralizedCrossEntropy, Loss};
/// assert_eq!(CategoricalGeneralizedCrossEntropy::new(0.3)?.get_config()["q"], 0.3);
/// let err = CategoricalGeneralizedCrossEntropy::new(1.5).unwrap_err().to_string();
/// assert!(err.contains("q must be in the interval (0, 1)"));
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct CategoricalGeneralizedCrossEntropy {
    name: String,
    reduction: Reduction,
    q: f64,
}

impl CategoricalGeneralizedCrossEntropy {
    /// With noise parameter `q` (Keras's default is 0.5); outside `(0, 1)` is an `Err`.
    pub fn new(q: f64) -> Result<Self> {
        if !(q > 0.0 && q < 1.0) {
            return Err(Error::InvalidArgument {
                api: "CategoricalGeneralizedCrossEntropy",
                msg: format!("q must be in the interval (0, 1) (got q={q})"),
            });
        }
        Ok(CategoricalGeneralizedCrossEntropy {
            name: API.into(),
            reduction: Reduction::SumOverBatchSize,
            q,
        })
    }
    /// Sets the reduction.
    pub fn reduction(mut self, r: Reduction) -> Self {
        self.reduction = r;
        self
    }
    /// Sets the name.
    pub fn with_name(mut self, n: &str) -> Self {
        self.name = n.into();
        self
    }
    /// `CategoricalGeneralizedCrossEntropy.from_config(config)`.
    pub fn from_config(c: &Value) -> Result<Self> {
        let r = LossConfig::new("CategoricalGeneralizedCrossEntropy", c);
        let mut l = Self::new(r.num("q", 0.5)?)?;
        l.name = r.name(API)?;
        l.reduction = r.reduction()?;
        Ok(l)
    }
}

impl Default for CategoricalGeneralizedCrossEntropy {
    fn default() -> Self {
        CategoricalGeneralizedCrossEntropy {
            name: API.into(),
            reduction: Reduction::SumOverBatchSize,
            q: 0.5,
        }
    }
}

impl Loss for CategoricalGeneralizedCrossEntropy {
    fn name(&self) -> &str {
        &self.name
    }
    fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
        categorical_generalized_cross_entropy(y_true, y_pred, self.q)
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn get_config(&self) -> Value {
        let mut c = config::base(&self.name, self.reduction);
        c.insert("q".into(), json!(self.q));
        Value::Object(c)
    }
    fn class_name(&self) -> String {
        "CategoricalGeneralizedCrossEntropy".into()
    }
}
