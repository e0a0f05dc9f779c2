//! `keras.losses.BinaryFocalCrossentropy` and its function: binary crossentropy scaled
//! by the focal factor `(1 - p_t) ** gamma`, optionally class-balanced by `alpha`.

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::activations::keras_logits;
use crate::losses::config::{self, LossConfig};
use crate::losses::functions::EPSILON;
use crate::losses::{Loss, Reduction};
use crate::{Error, Result};

/// Binary crossentropy element by element on probabilities `p` (clipped to
/// `[eps, 1 - eps]`), or on the logits a sigmoid activation saw when `p` is that
/// activation's output (Keras's `_keras_logits`).
pub(crate) fn binary_crossentropy_elements(t: &Tensor, p: &Tensor) -> Result<Tensor> {
    if let Some(logits) = keras_logits(p) {
        return Ok(t.sigmoid_cross_entropy_with_logits(&logits)?);
    }
    let p = p.clip(EPSILON, 1.0 - EPSILON)?;
    let a = t.mul(&p.log()?)?;
    let b = t
        .neg()?
        .add_scalar(1.0)?
        .mul(&p.neg()?.add_scalar(1.0)?.log()?)?;
    Ok(a.add(&b)?.neg()?)
}

/// `keras.losses.binary_focal_crossentropy`: per-element
/// `(1 - p_t) ** gamma * bce` (times `alpha` / `1 - alpha` for classes 1 / 0 with
/// `apply_class_balancing`), mean over `axis`. `p_t` is `y_pred` for label 1 and
/// `1 - y_pred` for label 0; `label_smoothing` moves labels toward 0.5.
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![0.0f32, 1.0, 0.0, 0.0], &[2, 2])?;
/// let p = Tensor::from_vec(vec![0.6f32, 0.4, 0.4, 0.6], &[2, 2])?;
/// let v = kiln::losses::binary_focal_crossentropy(&y, &p, false, 0.25, 2.0, false, 0.0, -1)?;
/// let v = v.to_vec::<f32>()?;
/// assert!((v[0] - 0.330).abs() < 1e-3 && (v[1] - 0.206).abs() < 1e-3);
/// # Ok::<(), kiln::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn binary_focal_crossentropy(
    y_true: &Tensor,
    y_pred: &Tensor,
    apply_class_balancing: bool,
    alpha: f64,
    gamma: f64,
    from_logits: bool,
    label_smoothing: f64,
    axis: isize,
) -> Result<Tensor> {
    let mut t = y_true.cast(y_pred.dtype())?;
    if t.shape() != y_pred.shape() {
        return Err(Error::InvalidArgument {
            api: "binary_focal_crossentropy",
            msg: format!(
                "Arguments `target` and `output` must have the same shape. Received: \
                 target.shape={:?}, output.shape={:?}",
                y_true.shape(),
                y_pred.shape()
            ),
        });
    }
    if label_smoothing != 0.0 {
        t = t
            .mul_scalar(1.0 - label_smoothing)?
            .add_scalar(0.5 * label_smoothing)?;
    }
    let p = if from_logits {
        y_pred.sigmoid()?
    } else {
        y_pred.clone()
    };
    let bce = binary_crossentropy_elements(&t, &p)?;
    let one_minus_t = t.neg()?.add_scalar(1.0)?;
    let p_t = t
        .mul(&p)?
        .add(&one_minus_t.mul(&p.neg()?.add_scalar(1.0)?)?)?;
    let gamma_t = Tensor::scalar_of(gamma, p.dtype());
    let focal = p_t.neg()?.add_scalar(1.0)?.pow(&gamma_t)?;
    let mut out = focal.mul(&bce)?;
    if apply_class_balancing {
        let weight = t
            .mul_scalar(alpha)?
            .add(&one_minus_t.mul_scalar(1.0 - alpha)?)?;
        out = weight.mul(&out)?;
    }
    Ok(out.mean(&[axis], false)?)
}

/// `keras.losses.BinaryFocalCrossentropy(apply_class_balancing=False, alpha=0.25,
/// gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1)`.
///
/// ```
/// use kiln::losses::{BinaryFocalCrossentropy, Loss};
/// use kiln_tensor::Tensor;
/// let l = BinaryFocalCrossentropy::new().gamma(4.0).from_logits(true);
/// let y = Tensor::from_vec(vec![0.0f32, 1.0, 0.0, 0.0], &[2, 2])?;
/// let p = Tensor::from_vec(vec![-18.6f32, 0.51, 2.94, -12.8], &[2, 2])?;
/// let v = l.reduction(kiln::losses::Reduction::Sum).compute(&y, &p, None)?;
/// assert!((v.item::<f32>()? - 1.222).abs() < 1e-3);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct BinaryFocalCrossentropy {
    name: String,
    reduction: Reduction,
    apply_class_balancing: bool,
    alpha: f64,
    gamma: f64,
    from_logits: bool,
    label_smoothing: f64,
    axis: isize,
}

impl Default for BinaryFocalCrossentropy {
    fn default() -> Self {
        Self::new()
    }
}

impl BinaryFocalCrossentropy {
    /// Keras's defaults.
    pub fn new() -> Self {
        BinaryFocalCrossentropy {
            name: "binary_focal_crossentropy".into(),
            reduction: Reduction::SumOverBatchSize,
            apply_class_balancing: false,
            alpha: 0.25,
            gamma: 2.0,
            from_logits: false,
            label_smoothing: 0.0,
            axis: -1,
        }
    }
    /// Weights class 1 by `alpha` and class 0 by `1 - alpha`.
    pub fn apply_class_balancing(mut self, v: bool) -> Self {
        self.apply_class_balancing = v;
        self
    }
    /// The class-1 weight with `apply_class_balancing`.
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
    /// Label smoothing toward 0.5.
    pub fn label_smoothing(mut self, v: f64) -> Self {
        self.label_smoothing = v;
        self
    }
    /// The axis the mean is over.
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
    /// `BinaryFocalCrossentropy.from_config(config)`.
    pub fn from_config(c: &Value) -> Result<Self> {
        let r = LossConfig::new("BinaryFocalCrossentropy", c);
        let d = Self::new();
        Ok(BinaryFocalCrossentropy {
            name: r.name(&d.name)?,
            reduction: r.reduction()?,
            apply_class_balancing: r.bool("apply_class_balancing", false)?,
            alpha: r.num("alpha", d.alpha)?,
            gamma: r.num("gamma", d.gamma)?,
            from_logits: r.bool("from_logits", false)?,
            label_smoothing: r.num("label_smoothing", 0.0)?,
            axis: r.int("axis", -1)? as isize,
        })
    }
}

impl Loss for BinaryFocalCrossentropy {
    fn name(&self) -> &str {
        &self.name
    }
    fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
        let (t, p) = crate::losses::squeeze_or_expand_to_same_rank(y_true, y_pred)?;
        binary_focal_crossentropy(
            &t,
            &p,
            self.apply_class_balancing,
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
        c.insert(
            "apply_class_balancing".into(),
            json!(self.apply_class_balancing),
        );
        c.insert("alpha".into(), json!(self.alpha));
        c.insert("gamma".into(), json!(self.gamma));
        Value::Object(c)
    }
    fn class_name(&self) -> String {
        "BinaryFocalCrossentropy".into()
    }
}
