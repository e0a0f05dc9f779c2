//! `keras.losses.Tversky` and `keras.losses.tversky`: `1 - TP / (TP + alpha * FP +
//! beta * FN + eps)` with soft counts over the chosen axes.

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::losses::config::{self, LossAxis, LossConfig};
use crate::losses::dice::same_shape_pair;
use crate::losses::functions::EPSILON;
use crate::losses::{Loss, Reduction};
use crate::Result;

/// `keras.losses.tversky(y_true, y_pred, alpha, beta, axis)`. Keras counts
/// `fp = sum((1 - y_pred) * y_true)` and `fn = sum(y_pred * (1 - y_true))`.
///
/// ```
/// use kiln::losses::{dice, tversky, LossAxis};
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![1.0f32, 0.0, 1.0, 1.0], &[2, 2])?;
/// let p = Tensor::from_vec(vec![0.8f32, 0.3, 0.6, 0.9], &[2, 2])?;
/// // alpha = beta = 0.5 is the Dice loss.
/// let a = tversky(&y, &p, 0.5, 0.5, &LossAxis::All)?.item::<f32>()?;
/// assert!((a - dice(&y, &p, &LossAxis::All)?.item::<f32>()?).abs() < 1e-6);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn tversky(
    y_true: &Tensor,
    y_pred: &Tensor,
    alpha: f64,
    beta: f64,
    axis: &LossAxis,
) -> Result<Tensor> {
    let t = same_shape_pair("tversky", y_true, y_pred)?;
    let ax = axis.axes();
    let inter = t.mul(y_pred)?.sum(&ax, false)?;
    let fp = y_pred.neg()?.add_scalar(1.0)?.mul(&t)?.sum(&ax, false)?;
    let fn_ = y_pred.mul(&t.neg()?.add_scalar(1.0)?)?.sum(&ax, false)?;
    let denom = inter
        .add(&fp.mul_scalar(alpha)?)?
        .add(&fn_.mul_scalar(beta)?)?
        .add_scalar(EPSILON)?;
    Ok(inter.div(&denom)?.neg()?.add_scalar(1.0)?)
}

/// `keras.losses.Tversky(alpha=0.5, beta=0.5, reduction="sum_over_batch_size",
/// name="tversky", axis=None)`.
///
/// ```
/// use kiln::losses::{Loss, Tversky};
/// let l = Tversky::new().alpha(0.3).beta(0.7);
/// assert_eq!(l.get_config()["beta"], 0.7);
/// ```
#[derive(Debug, Clone)]
pub struct Tversky {
    name: String,
    reduction: Reduction,
    alpha: f64,
    beta: f64,
    axis: LossAxis,
}

impl Default for Tversky {
    fn default() -> Self {
        Self::new()
    }
}

impl Tversky {
    /// Keras's defaults.
    pub fn new() -> Self {
        Tversky {
            name: "tversky".into(),
            reduction: Reduction::SumOverBatchSize,
            alpha: 0.5,
            beta: 0.5,
            axis: LossAxis::All,
        }
    }
    /// The false-positive weight.
    pub fn alpha(mut self, v: f64) -> Self {
        self.alpha = v;
        self
    }
    /// The false-negative weight.
    pub fn beta(mut self, v: f64) -> Self {
        self.beta = v;
        self
    }
    /// The axes the loss is computed over.
    pub fn axis(mut self, a: LossAxis) -> Self {
        self.axis = a;
        self
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
    /// `Tversky.from_config(config)`.
    pub fn from_config(c: &Value) -> Result<Self> {
        let r = LossConfig::new("Tversky", c);
        Ok(Tversky {
            name: r.name("tversky")?,
            reduction: r.reduction()?,
            alpha: r.num("alpha", 0.5)?,
            beta: r.num("beta", 0.5)?,
            axis: r.axis("axis")?,
        })
    }
}

impl Loss for Tversky {
    fn name(&self) -> &str {
        &self.name
    }
    fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
        let (t, p) = crate::losses::squeeze_or_expand_to_same_rank(y_true, y_pred)?;
        tversky(&t, &p, self.alpha, self.beta, &self.axis)
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn get_config(&self) -> Value {
        let mut c = config::base(&self.name, self.reduction);
        c.insert("alpha".into(), json!(self.alpha));
        c.insert("beta".into(), json!(self.beta));
        c.insert("axis".into(), self.axis.to_json());
        Value::Object(c)
    }
    fn class_name(&self) -> String {
        "Tversky".into()
    }
}
