//! `keras.losses.Dice` and `keras.losses.dice`: `1 - 2 * sum(y_true * y_pred) /
//! (sum(y_true) + sum(y_pred) + eps)` over the chosen axes.

use kiln_tensor::Tensor;
use serde_json::Value;

use crate::losses::config::{self, LossAxis, LossConfig};
use crate::losses::functions::EPSILON;
use crate::losses::{Loss, Reduction};
use crate::{Error, Result};

/// `y_true` cast to `y_pred`'s dtype; the shapes must be equal.
pub(crate) fn same_shape_pair(
    api: &'static str,
    y_true: &Tensor,
    y_pred: &Tensor,
) -> Result<Tensor> {
    if y_true.shape() != y_pred.shape() {
        return Err(Error::InvalidArgument {
            api,
            msg: format!(
                "y_true and y_pred must have the same shape, got {:?} and {:?}",
                y_true.shape(),
                y_pred.shape()
            ),
        });
    }
    Ok(y_true.cast(y_pred.dtype())?)
}

/// `keras.losses.dice(y_true, y_pred, axis)`; `axis` [`LossAxis::All`] gives one number.
///
/// ```
/// use kiln::losses::{dice, LossAxis};
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![1.0f32, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0], &[2, 2, 2, 1])?;
/// let p = Tensor::from_vec(vec![0.0f32, 1.0, 0.0, 1.0, 0.4, 0.0, 0.0, 0.9], &[2, 2, 2, 1])?;
/// let v = dice(&y, &p, &LossAxis::Many(vec![1, 2, 3]))?.to_vec::<f32>()?;
/// assert!((v[0] - 0.5).abs() < 1e-6 && (v[1] - 0.757_575_75).abs() < 1e-6);
/// assert!((dice(&y, &p, &LossAxis::All)?.item::<f32>()? - 0.616_438_4).abs() < 1e-6);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn dice(y_true: &Tensor, y_pred: &Tensor, axis: &LossAxis) -> Result<Tensor> {
    let t = same_shape_pair("dice", y_true, y_pred)?;
    let ax = axis.axes();
    let inter = t.mul(y_pred)?.sum(&ax, false)?;
    let denom = t
        .sum(&ax, false)?
        .add(&y_pred.sum(&ax, false)?)?
        .add_scalar(EPSILON)?;
    Ok(inter.mul_scalar(2.0)?.div(&denom)?.neg()?.add_scalar(1.0)?)
}

/// `keras.losses.Dice(reduction="sum_over_batch_size", name="dice", axis=None)`.
///
/// ```
/// use kiln::losses::{Dice, Loss, LossAxis};
/// let l = Dice::new().axis(LossAxis::Many(vec![1, 2]));
/// assert_eq!(l.get_config()["axis"], serde_json::json!([1, 2]));
/// ```
#[derive(Debug, Clone)]
pub struct Dice {
    name: String,
    reduction: Reduction,
    axis: LossAxis,
}

impl Default for Dice {
    fn default() -> Self {
        Self::new()
    }
}

impl Dice {
    /// Keras's defaults.
    pub fn new() -> Self {
        Dice {
            name: "dice".into(),
            reduction: Reduction::SumOverBatchSize,
            axis: LossAxis::All,
        }
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
    /// `Dice.from_config(config)`.
    pub fn from_config(c: &Value) -> Result<Self> {
        let r = LossConfig::new("Dice", c);
        Ok(Dice {
            name: r.name("dice")?,
            reduction: r.reduction()?,
            axis: r.axis("axis")?,
        })
    }
}

impl Loss for Dice {
    fn name(&self) -> &str {
        &self.name
    }
    fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
        let (t, p) = crate::losses::squeeze_or_expand_to_same_rank(y_true, y_pred)?;
        dice(&t, &p, &self.axis)
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn get_config(&self) -> Value {
        let mut c = config::base(&self.name, self.reduction);
        c.insert("axis".into(), self.axis.to_json());
        Value::Object(c)
    }
    fn class_name(&self) -> String {
        "Dice".into()
    }
}
