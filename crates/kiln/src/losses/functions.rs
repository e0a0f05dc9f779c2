//! The loss functions (`keras.losses.mean_squared_error`, ...): per-sample values, the
//! last axis reduced. Keras's formulas with `epsilon = 1e-7`.

use kiln_tensor::{DType, Tensor};

use crate::activations::keras_logits;
use crate::losses::squeeze_or_expand_to_same_rank;
use crate::{Error, Result};

/// Keras's fuzz factor (`backend.epsilon()`).
pub(crate) const EPSILON: f64 = 1e-7;

/// Casts `y_true` to `y_pred`'s dtype and matches ranks.
fn prepare(y_true: &Tensor, y_pred: &Tensor) -> Result<(Tensor, Tensor)> {
    let t = if y_true.dtype() == y_pred.dtype() {
        y_true.clone()
    } else {
        y_true.cast(y_pred.dtype())?
    };
    squeeze_or_expand_to_same_rank(&t, y_pred)
}

fn same_shape(api: &'static str, a: &Tensor, b: &Tensor) -> Result<()> {
    if a.shape() != b.shape() {
        return Err(Error::InvalidArgument {
            api,
            msg: format!(
                "y_true and y_pred must have the same shape, got {:?} and {:?}",
                a.shape(),
                b.shape()
            ),
        });
    }
    Ok(())
}

fn mean_last(x: &Tensor) -> Result<Tensor> {
    Ok(x.mean(&[-1], false)?)
}

fn scalar_like(x: &Tensor, v: f64) -> Tensor {
    Tensor::scalar_of(v, x.dtype())
}

/// `mean(square(y_pred - y_true), axis=-1)`.
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![0.0f32, 1.0], &[1, 2])?;
/// let p = Tensor::from_vec(vec![1.0f32, 1.0], &[1, 2])?;
/// assert_eq!(kiln::losses::mean_squared_error(&y, &p)?.to_vec::<f32>()?, vec![0.5]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn mean_squared_error(y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
    let (t, p) = prepare(y_true, y_pred)?;
    mean_last(&p.squared_difference(&t)?)
}

/// `mean(abs(y_pred - y_true), axis=-1)`.
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![0.0f32, 1.0], &[1, 2])?;
/// let p = Tensor::from_vec(vec![1.0f32, 1.0], &[1, 2])?;
/// assert_eq!(kiln::losses::mean_absolute_error(&y, &p)?.to_vec::<f32>()?, vec![0.5]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn mean_absolute_error(y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
    let (t, p) = prepare(y_true, y_pred)?;
    mean_last(&p.sub(&t)?.abs()?)
}

/// `100 * mean(abs((y_true - y_pred) / maximum(abs(y_true), eps)), axis=-1)`.
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![2.0f32], &[1, 1])?;
/// let p = Tensor::from_vec(vec![1.0f32], &[1, 1])?;
/// assert_eq!(kiln::losses::mean_absolute_percentage_error(&y, &p)?.to_vec::<f32>()?, vec![50.0]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn mean_absolute_percentage_error(y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
    let (t, p) = prepare(y_true, y_pred)?;
    let denom = t.abs()?.maximum(&scalar_like(&t, EPSILON))?;
    let diff = t.sub(&p)?.div(&denom)?.abs()?;
    Ok(mean_last(&diff)?.mul_scalar(100.0)?)
}

/// `mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)`.
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![1.0f32], &[1, 1])?;
/// let v = kiln::losses::mean_squared_logarithmic_error(&y, &y)?;
/// assert_eq!(v.to_vec::<f32>()?, vec![0.0]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn mean_squared_logarithmic_error(y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
    let (t, p) = prepare(y_true, y_pred)?;
    let eps = scalar_like(&p, EPSILON);
    let a = p.maximum(&eps)?.add_scalar(1.0)?.log()?;
    let b = t.maximum(&eps)?.add_scalar(1.0)?.log()?;
    mean_last(&a.squared_difference(&b)?)
}

/// Huber loss with threshold `delta`: quadratic inside, linear outside, mean over the
/// last axis.
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![0.0f32, 0.0], &[1, 2])?;
/// let p = Tensor::from_vec(vec![0.5f32, 3.0], &[1, 2])?;
/// let v = kiln::losses::huber(&y, &p, 1.0)?.to_vec::<f32>()?;
/// assert!((v[0] - (0.125 + 2.5) / 2.0).abs() < 1e-6);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn huber(y_true: &Tensor, y_pred: &Tensor, delta: f64) -> Result<Tensor> {
    let (t, p) = prepare(y_true, y_pred)?;
    let err = p.sub(&t)?;
    let abs = err.abs()?;
    let quad = err.square()?.mul_scalar(0.5)?;
    let lin = abs.mul_scalar(delta)?.sub_scalar(0.5 * delta * delta)?;
    let inside = abs.less_equal(&scalar_like(&abs, delta))?;
    mean_last(&Tensor::where_cond(&inside, &quad, &lin)?)
}

/// `mean(log(cosh(y_pred - y_true)), axis=-1)`, computed as `x + softplus(-2x) - log 2`.
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![0.0f32], &[1, 1])?;
/// assert!(kiln::losses::log_cosh(&y, &y)?.to_vec::<f32>()?[0].abs() < 1e-7);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn log_cosh(y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
    let (t, p) = prepare(y_true, y_pred)?;
    let x = p.sub(&t)?;
    let v = x
        .add(&x.mul_scalar(-2.0)?.softplus()?)?
        .sub_scalar(std::f64::consts::LN_2)?;
    mean_last(&v)
}

/// `-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`.
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![1.0f32, 0.0], &[1, 2])?;
/// let v = kiln::losses::cosine_similarity(&y, &y, -1)?.to_vec::<f32>()?;
/// assert!((v[0] + 1.0).abs() < 1e-6);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn cosine_similarity(y_true: &Tensor, y_pred: &Tensor, axis: isize) -> Result<Tensor> {
    let (t, p) = prepare(y_true, y_pred)?;
    let norm = |x: &Tensor| -> Result<Tensor> {
        let inv = x
            .square()?
            .sum(&[axis], true)?
            .rsqrt()?
            .minimum(&scalar_like(x, 1.0 / EPSILON))?;
        Ok(x.mul(&inv)?)
    };
    Ok(norm(&t)?.mul(&norm(&p)?)?.sum(&[axis], false)?.neg()?)
}

/// `sum(y_true * log(y_true / y_pred), axis=-1)` with both clipped to `[eps, 1]`.
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![0.5f32, 0.5], &[1, 2])?;
/// assert!(kiln::losses::kl_divergence(&y, &y)?.to_vec::<f32>()?[0].abs() < 1e-7);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn kl_divergence(y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
    let t = y_true.cast(y_pred.dtype())?.clip(EPSILON, 1.0)?;
    let p = y_pred.clip(EPSILON, 1.0)?;
    Ok(t.mul(&t.div(&p)?.log()?)?.sum(&[-1], false)?)
}

/// `mean(y_pred - y_true * log(y_pred + eps), axis=-1)`.
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![1.0f32], &[1, 1])?;
/// assert!((kiln::losses::poisson(&y, &y)?.to_vec::<f32>()?[0] - 1.0).abs() < 1e-6);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn poisson(y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
    let t = y_true.cast(y_pred.dtype())?;
    let v = y_pred.sub(&t.mul(&y_pred.add_scalar(EPSILON)?.log()?)?)?;
    mean_last(&v)
}

/// Labels in {0, 1} become {-1, 1}; other labels are kept (Keras's hinge convention).
fn hinge_labels(t: &Tensor) -> Result<Tensor> {
    // As tensor ops (Keras uses a `cond`), so the loss also traces.
    let zero = t.equal(&t.zeros_like())?;
    let one = t.equal(&t.ones_like())?;
    let binary = zero.logical_or(&one)?.all(&[], false)?;
    let mapped = t.mul_scalar(2.0)?.sub_scalar(1.0)?;
    Ok(Tensor::where_cond(&binary, &mapped, t)?)
}

/// `mean(maximum(1 - y_true * y_pred, 0), axis=-1)`; 0/1 labels are mapped to -1/1.
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![1.0f32, 0.0], &[1, 2])?;
/// let p = Tensor::from_vec(vec![2.0f32, -2.0], &[1, 2])?;
/// assert_eq!(kiln::losses::hinge(&y, &p)?.to_vec::<f32>()?, vec![0.0]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn hinge(y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
    let t = hinge_labels(&y_true.cast(y_pred.dtype())?)?;
    let m = t.mul(y_pred)?.neg()?.add_scalar(1.0)?.relu()?;
    mean_last(&m)
}

/// `mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)`.
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![1.0f32], &[1, 1])?;
/// let p = Tensor::from_vec(vec![0.0f32], &[1, 1])?;
/// assert_eq!(kiln::losses::squared_hinge(&y, &p)?.to_vec::<f32>()?, vec![1.0]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn squared_hinge(y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
    let t = hinge_labels(&y_true.cast(y_pred.dtype())?)?;
    let m = t.mul(y_pred)?.neg()?.add_scalar(1.0)?.relu()?;
    mean_last(&m.square()?)
}

/// `maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)` over the last axis.
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![0.0f32, 1.0], &[1, 2])?;
/// let p = Tensor::from_vec(vec![0.0f32, 2.0], &[1, 2])?;
/// assert_eq!(kiln::losses::categorical_hinge(&y, &p)?.to_vec::<f32>()?, vec![0.0]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn categorical_hinge(y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
    let t = y_true.cast(y_pred.dtype())?;
    let pos = t.mul(y_pred)?.sum(&[-1], false)?;
    let neg = t.neg()?.add_scalar(1.0)?.mul(y_pred)?.max(&[-1], false)?;
    Ok(neg.sub(&pos)?.add_scalar(1.0)?.relu()?)
}

/// Binary crossentropy, mean over `axis`. With `from_logits` (or when `y_pred` is the
/// output of a sigmoid activation) the stable logits form is used; otherwise `y_pred` is
/// clipped to `[eps, 1 - eps]`. `label_smoothing` moves labels toward 0.5.
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![1.0f32, 0.0], &[1, 2])?;
/// let p = Tensor::from_vec(vec![0.5f32, 0.5], &[1, 2])?;
/// let v = kiln::losses::binary_crossentropy(&y, &p, false, 0.0, -1)?.to_vec::<f32>()?;
/// assert!((v[0] - 2f32.ln()).abs() < 1e-6);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn binary_crossentropy(
    y_true: &Tensor,
    y_pred: &Tensor,
    from_logits: bool,
    label_smoothing: f64,
    axis: isize,
) -> Result<Tensor> {
    let mut t = y_true.cast(y_pred.dtype())?;
    if label_smoothing != 0.0 {
        t = t
            .mul_scalar(1.0 - label_smoothing)?
            .add_scalar(0.5 * label_smoothing)?;
    }
    same_shape("binary_crossentropy", &t, y_pred)?;
    let (logits, from_logits) = match (from_logits, keras_logits(y_pred)) {
        (_, Some(l)) => (l, true),
        (f, None) => (y_pred.clone(), f),
    };
    let per_elem = if from_logits {
        t.sigmoid_cross_entropy_with_logits(&logits)?
    } else {
        let p = logits.clip(EPSILON, 1.0 - EPSILON)?;
        let a = t.mul(&p.log()?)?;
        let b = t
            .neg()?
            .add_scalar(1.0)?
            .mul(&p.neg()?.add_scalar(1.0)?.log()?)?;
        a.add(&b)?.neg()?
    };
    Ok(per_elem.mean(&[axis], false)?)
}

/// Categorical crossentropy over `axis` against one-hot (or soft) labels. With
/// `from_logits` (or a softmax activation's output) the stable logits form is used;
/// otherwise `y_pred` is renormalised and clipped. `label_smoothing` mixes in the uniform
/// distribution.
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![0.0f32, 1.0], &[1, 2])?;
/// let p = Tensor::from_vec(vec![0.5f32, 0.5], &[1, 2])?;
/// let v = kiln::losses::categorical_crossentropy(&y, &p, false, 0.0, -1)?.to_vec::<f32>()?;
/// assert!((v[0] - 2f32.ln()).abs() < 1e-6);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn categorical_crossentropy(
    y_true: &Tensor,
    y_pred: &Tensor,
    from_logits: bool,
    label_smoothing: f64,
    axis: isize,
) -> Result<Tensor> {
    let mut t = y_true.cast(y_pred.dtype())?;
    if label_smoothing != 0.0 {
        let k = *t.shape().last().unwrap_or(&1) as f64;
        t = t
            .mul_scalar(1.0 - label_smoothing)?
            .add_scalar(label_smoothing / k)?;
    }
    same_shape("categorical_crossentropy", &t, y_pred)?;
    let (logits, from_logits) = match (from_logits, keras_logits(y_pred)) {
        (_, Some(l)) => (l, true),
        (f, None) => (y_pred.clone(), f),
    };
    if from_logits {
        return Ok(Tensor::softmax_cross_entropy_with_logits(
            &t, &logits, axis,
        )?);
    }
    let p = logits.div(&logits.sum(&[axis], true)?)?;
    let p = p.clip(EPSILON, 1.0 - EPSILON)?;
    Ok(t.mul(&p.log()?)?.sum(&[axis], false)?.neg()?)
}

/// Sparse categorical crossentropy: integer class labels (shape of `y_pred` minus its last
/// axis, or with a last axis of 1) against class scores. A label outside
/// `[0, num_classes)` is an error naming it.
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![1i64], &[1])?;
/// let p = Tensor::from_vec(vec![0.5f32, 0.5], &[1, 2])?;
/// let v = kiln::losses::sparse_categorical_crossentropy(&y, &p, false)?.to_vec::<f32>()?;
/// assert!((v[0] - 2f32.ln()).abs() < 1e-6);
/// let bad = Tensor::from_vec(vec![7i64], &[1])?;
/// assert!(kiln::losses::sparse_categorical_crossentropy(&bad, &p, false).is_err());
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn sparse_categorical_crossentropy(
    y_true: &Tensor,
    y_pred: &Tensor,
    from_logits: bool,
) -> Result<Tensor> {
    let mut t = y_true.clone();
    if t.rank() == y_pred.rank() && t.shape().last() == Some(&1) {
        t = t.squeeze(&[-1])?;
    }
    if y_pred.rank() == 0 || t.shape() != &y_pred.shape()[..y_pred.rank() - 1] {
        return Err(Error::InvalidArgument {
            api: "sparse_categorical_crossentropy",
            msg: format!(
                "labels of shape {:?} do not match predictions of shape {:?}: expected labels \
                 of shape {:?} (or with a trailing axis of 1)",
                y_true.shape(),
                y_pred.shape(),
                &y_pred.shape()[..y_pred.rank().saturating_sub(1)]
            ),
        });
    }
    let labels = if t.dtype() == DType::I64 || t.dtype() == DType::I32 {
        t
    } else {
        t.cast(DType::I64)?
    };
    let (logits, from_logits) = match (from_logits, keras_logits(y_pred)) {
        (_, Some(l)) => (l, true),
        (f, None) => (y_pred.clone(), f),
    };
    let logits = if from_logits {
        logits
    } else {
        logits.clip(EPSILON, 1.0 - EPSILON)?.log()?
    };
    labels
        .sparse_softmax_cross_entropy_with_logits(&logits)
        .map_err(|e| Error::InvalidArgument {
            api: "sparse_categorical_crossentropy",
            msg: format!(
                "{e} (labels must be class indices in [0, {}))",
                y_pred.shape().last().unwrap_or(&0)
            ),
        })
}
