//! `keras.losses.Circle` and `keras.losses.circle`: the Circle loss of Sun et al. (2020)
//! on L2-normalised embeddings, pairs of equal labels pulled together and the others
//! pushed apart, each pair weighted by how far it is from its optimum.

use kiln_tensor::{DType, Tensor};
use serde_json::{json, Value};

use crate::losses::config::{self, LossConfig};
use crate::losses::reduction::reduce_masked;
use crate::losses::{Loss, Reduction};
use crate::{Error, Result};

/// Integer labels as a flat list: shape `[n]` or `[n, 1]`.
fn labels(api: &'static str, t: &Tensor, n: usize) -> Result<Vec<i64>> {
    let ok = match t.shape() {
        [m] => *m == n,
        [m, 1] => *m == n,
        _ => false,
    };
    if !ok {
        return Err(Error::InvalidArgument {
            api,
            msg: format!(
                "labels of shape {:?} do not match embeddings of shape [{n}, ...]: expected \
                 integer labels of shape [{n}] or [{n}, 1]",
                t.shape()
            ),
        });
    }
    Ok(t.cast(DType::I64)?.to_vec::<i64>()?)
}

/// `logsumexp(x, axis=1)` over the entries where `mask` holds, `-inf` for a row with
/// none (as `logsumexp(where(mask, x, -inf))`, with finite gradients for such rows).
fn masked_logsumexp(x: &Tensor, mask: &[bool], n: usize, m: usize) -> Result<Tensor> {
    let rows: Vec<bool> = (0..n)
        .map(|i| mask[i * m..(i + 1) * m].iter().any(|&b| b))
        .collect();
    let cond: Vec<bool> = (0..n * m).map(|k| mask[k] || !rows[k / m]).collect();
    let cond = Tensor::from_vec(cond, &[n, m])?;
    let neg_inf = Tensor::scalar_of(f64::NEG_INFINITY, x.dtype());
    let lse = Tensor::where_cond(&cond, x, &neg_inf)?.logsumexp(&[1], false)?;
    let has = Tensor::from_vec(rows, &[n])?;
    Ok(Tensor::where_cond(&has, &lse, &neg_inf)?)
}

/// `keras.losses.circle(y_true, y_pred, ref_labels=None, ref_embeddings=None,
/// remove_diagonal=True, gamma=80, margin=0.4)` with the batch as its own reference:
/// one loss per sample (0 for a sample without positive or negative pairs).
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![0i64, 0, 1], &[3])?;
/// let e = Tensor::from_vec(vec![1.0f32, 0.0, 0.8, 0.6, 0.0, 1.0], &[3, 2])?;
/// let v = kiln::losses::circle(&y, &e, true, 80.0, 0.4)?;
/// assert_eq!(v.shape(), &[3]);
/// assert_eq!(v.to_vec::<f32>()?[2], 0.0); // no other sample has label 1
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn circle(
    y_true: &Tensor,
    y_pred: &Tensor,
    remove_diagonal: bool,
    gamma: f64,
    margin: f64,
) -> Result<Tensor> {
    if y_pred.rank() != 2 {
        return Err(Error::InvalidArgument {
            api: "circle",
            msg: format!(
                "y_pred must be embeddings of shape (batch_size, dim), got {:?}",
                y_pred.shape()
            ),
        });
    }
    let n = y_pred.shape()[0];
    let lab = labels("circle", y_true, n)?;
    let mut pos = vec![false; n * n];
    let mut neg = vec![false; n * n];
    for i in 0..n {
        for j in 0..n {
            let same = lab[i] == lab[j];
            pos[i * n + j] = same && !(remove_diagonal && i == j);
            neg[i * n + j] = !same;
        }
    }
    let dt = y_pred.dtype();
    let fmask = |m: &[bool]| -> Result<Tensor> {
        let v: Vec<f64> = m.iter().map(|&b| if b { 1.0 } else { 0.0 }).collect();
        Ok(Tensor::from_vec(v, &[n, n])?.cast(dt)?)
    };
    let dist = y_pred
        .matmul(&y_pred.transpose(None)?)?
        .neg()?
        .add_scalar(1.0)?
        .relu()?;
    let pos_w = dist.add_scalar(margin)?.mul(&fmask(&pos)?)?.relu()?;
    let neg_w = dist
        .neg()?
        .add_scalar(1.0 + margin)?
        .mul(&fmask(&neg)?)?
        .relu()?;
    let pos_d = dist.neg()?.add_scalar(margin)?;
    let neg_d = dist.neg()?.add_scalar(1.0 - margin)?;
    let pos_wd = pos_w.mul(&pos_d)?.mul_scalar(-gamma)?;
    let neg_wd = neg_w.mul(&neg_d)?.mul_scalar(gamma)?;
    let p_loss = masked_logsumexp(&pos_wd, &pos, n, n)?;
    let n_loss = masked_logsumexp(&neg_wd, &neg, n, n)?;
    Ok(p_loss.add(&n_loss)?.softplus()?)
}

/// `keras.losses.Circle(gamma=80.0, margin=0.4, remove_diagonal=True)`. As in Keras,
/// samples whose loss is 0 are masked out of the mean.
///
/// ```
/// use kiln::losses::{Circle, Loss};
/// let l = Circle::new().gamma(10.0).margin(0.25);
/// assert_eq!(l.get_config()["margin"], 0.25);
/// ```
#[derive(Debug, Clone)]
pub struct Circle {
    name: String,
    reduction: Reduction,
    gamma: f64,
    margin: f64,
    remove_diagonal: bool,
}

impl Default for Circle {
    fn default() -> Self {
        Self::new()
    }
}

impl Circle {
    /// Keras's defaults.
    pub fn new() -> Self {
        Circle {
            name: "circle".into(),
            reduction: Reduction::SumOverBatchSize,
            gamma: 80.0,
            margin: 0.4,
            remove_diagonal: true,
        }
    }
    /// The scale of the loss.
    pub fn gamma(mut self, v: f64) -> Self {
        self.gamma = v;
        self
    }
    /// The relaxation margin.
    pub fn margin(mut self, v: f64) -> Self {
        self.margin = v;
        self
    }
    /// Whether a sample is not its own positive.
    pub fn remove_diagonal(mut self, v: bool) -> Self {
        self.remove_diagonal = v;
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
    /// `Circle.from_config(config)`.
    pub fn from_config(c: &Value) -> Result<Self> {
        let r = LossConfig::new("Circle", c);
        Ok(Circle {
            name: r.name("circle")?,
            reduction: r.reduction()?,
            gamma: r.num("gamma", 80.0)?,
            margin: r.num("margin", 0.4)?,
            remove_diagonal: r.bool("remove_diagonal", true)?,
        })
    }
}

impl Loss for Circle {
    fn name(&self) -> &str {
        &self.name
    }
    fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
        circle(
            y_true,
            y_pred,
            self.remove_diagonal,
            self.gamma,
            self.margin,
        )
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn compute(
        &self,
        y_true: &Tensor,
        y_pred: &Tensor,
        sample_weight: Option<&Tensor>,
    ) -> Result<Tensor> {
        let losses = self.call(y_true, y_pred)?;
        // Keras sets the loss's mask to `loss > 0`.
        let mask = losses.greater(&losses.zeros_like())?;
        reduce_masked(&losses, &mask, sample_weight, self.reduction)
    }
    fn get_config(&self) -> Value {
        let mut c = config::base(&self.name, self.reduction);
        c.insert("gamma".into(), json!(self.gamma));
        c.insert("margin".into(), json!(self.margin));
        c.insert("remove_diagonal".into(), json!(self.remove_diagonal));
        Value::Object(c)
    }
    fn class_name(&self) -> String {
        "Circle".into()
    }
}
