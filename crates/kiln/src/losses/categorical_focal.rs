//! `keras.losses.CategoricalFocalCrossentropy` and its function: categorical
//! crossentropy with each class's term scaled by `alpha * (1 - p) ** gamma`.

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::losses::config::{self, LossConfig};
use crate::losses::dice::same_shape_pair;
use crate::losses::functions::EPSILON;
use crate::losses::{Loss, Reduction};
use crate::Result;

/// `keras.losses.categorical_focal_crossentropy`: `sum(alpha * (1 - p) ** gamma *
/// -y_true * log(p), axis)` with `p` renormalised over `axis` and clipped to
/// `[eps, 1 - eps]` (after a softmax when `from_logits`); `label_smoothing` mixes in the
/// uniform distribution.
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![0.0f32, 1.0, 0.0, 0.0, 0.0, 1.0], &[2, 3])?;
/// let p = Tensor::from_vec(vec![0.05f32, 0.9, 0.05, 0.1, 0.85, 0.05], &[2, 3])?;
/// let v = kiln::losses::categorical_focal_crossentropy(&y, &p, 0.25, 2.0, false, 0.0, -1)?;
/// let v = v.to_vec::<f32>()?;
/// assert!((v[0] - 2.634_012_9e-4).abs() < 1e-7 && (v[1] - 0.675_912_1).abs() < 1e-5);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn categorical_focal_crossentropy(
    y_true: &Tensor,
    y_pred: &Tensor,
    alpha: f64,
    gamma: f64,
    from_logits: bool,
    label_smoothing: f64,
    axis: isize,
) -> Result<Tensor> {
    let mut t = same_shape_pair("categorical_focal_crossentropy", y_true, y_pred)?;
    if label_smoothing != 0.0 {
        let k = *t.shape().last().unwrap_or(&1) as f64;
        t = t
            .mul_scalar(1.0 - label_smoothing)?
            .add_scalar(label_smoothing / k)?;
    }
    let p = if from_logits {
        y_pred.softmax(axis)?
    } else {
        y_pred.clone()
    };
    let out = p
        .div(&p.sum(&[axis], true)?)?
        .clip(EPSILON, 1.0 - EPSILON)?;
    let cce = t.neg()?.mul(&out.log()?)?;
    let gamma_t = Tensor::scalar_of(gamma, out.dtype());
    let factor = out
        .neg()?
        .add_scalar(1.0)?
        .pow(&gamma_t)?
        .mul_scalar(alpha)?;
    Ok(factor.mul(&cce)?.sum(&[axis], false)?)
}

/// `keras.losses.CategoricalFocalCrossentropy(alpha=0.25, gamma=2.0, from_logits=False,
/// label_smoothing=0.0, axis=-1)` (a scalar `alpha`).
///
/// ```
/// use kiln::losses::{CategoricalFocalCrossentropy, Loss};
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![0.0f32, 1.0, 0.0, 0.0, 0.0, 1.0], &[2, 3])?;
/// let p = Tensor::from_vec(vec![0.05f32, 0.95, 0.0, 0.1, 0.8, 0.1], &[2, 3])?;
/// let v = CategoricalFocalCrossentropy::new().compute(&y, &p, None)?.item::<f32>()?;
/// assert!((v - 0.233_152_76).abs() < 1e-6);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct CategoricalFocalCrossentropy {
    name: String,
    reduction: Reduction,
    alpha: f64,
    gamma: f64,
    from_logits: bool,
    label_smoothing: f64,
    axis: isize,
}

impl Default for CategoricalFocalCrossentropy {
    fn default() -> Self {
        Self::new()
    }
}

impl CategoricalFocalCrossentropy {
    /// Keras's defaults.
    pub fn new() -> Self {
        CategoricalFocalCrossentropy {
            name: "categorical_focal_crossentropy".into(),
            reduction: Reduction::SumOverBatchSize,
            alpha: 0.25,
            gamma: 2.0,
            from_logits: false,
            label_smoothing: 0.0,
            axis: -1,
        }
    }
    /// The weighting factor of every class.
    pub fn alpha(mut self, v: f64) -> Self {
        self.alpha = v;
        self
    }
    /// The focusing parameter.
    pub fn gamma(mut self, v: f64) -> Self {
        self.gamma = v;
        self
    }
    /// Whether `y_pred` holds logits.
    pub fn from_logits(mut self, v: bool) -> Self {
        self.from_logits = v;
        self
    }
    /// Label smoothing in `[0, 1]`.
    pub fn label_smoothing(mut self, v: f64) -> Self {
        self.label_smoothing = v;
        self
    }
    /// The class axis.
    pub fn axis(mut self, v: isize) -> Self {
        self.axis = v;
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
    /// `CategoricalFocalCrossentropy.from_config(config)`; a per-class `alpha` list is
    /// refused (kiln implements the scalar form).
    pub fn from_config(c: &Value) -> Result<Self> {
        let r = LossConfig::new("CategoricalFocalCrossentropy", c);
        let d = Self::new();
        Ok(CategoricalFocalCrossentropy {
            name: r.name(&d.name)?,
            reduction: r.reduction()?,
            alpha: r.num("alpha", d.alpha)?,
            gamma: r.num("gamma", d.gamma)?,
            from_logits: r.bool("from_logits", false)?,
            label_smoothing: r.num("label_smoothing", 0.0)?,
            axis: r.int("axis", -1)? as isize,
        })
    }
}

impl Loss for CategoricalFocalCrossentropy {
    fn name(&self) -> &str {
        &self.name
    }
    fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
        let (t, p) = crate::losses::squeeze_or_expand_to_same_rank(y_true, y_pred)?;
        categorical_focal_crossentropy(
            &t,
            &p,
            self.alpha,
            self.gamma,
            self.from_logits,
            self.label_smoothing,
            self.axis,
        )
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn get_config(&self) -> Value {
        let mut c = config::base(&self.name, self.reduction);
        c.insert("from_logits".into(), json!(self.from_logits));
        c.insert("label_smoothing".into(), json!(self.label_smoothing));
        c.insert("axis".into(), json!(self.axis));
        c.insert("alpha".into(), json!(self.alpha));
        c.insert("gamma".into(), json!(self.gamma));
        Value::Object(c)
    }
    fn class_name(&self) -> String {
        "CategoricalFocalCrossentropy".into()
    }
}
