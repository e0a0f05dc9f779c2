//! `to_categorical` and `normalize`.

use kiln_tensor::{DType, Tensor};

use crate::{DataError, Result};

fn invalid(api: &'static str, msg: String) -> DataError {
    DataError::Invalid { api, msg }
}

/// One-hot encodes integer class labels (`keras.utils.to_categorical`): output shape
/// `y.shape + (num_classes,)` in f32, where a trailing axis of size 1 on a rank > 1 input
/// is dropped first, as Keras does; `num_classes` defaults to `max(y) + 1`.
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![0i64, 2, 1], &[3, 1])?;
/// let c = kiln_data::utils::to_categorical(&y, None)?;
/// assert_eq!(c.shape(), &[3, 3]);
/// assert_eq!(c.to_vec::<f32>()?, vec![1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0]);
/// assert!(kiln_data::utils::to_categorical(&y, Some(2)).is_err());
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn to_categorical(y: &Tensor, num_classes: Option<usize>) -> Result<Tensor> {
    let api = "to_categorical";
    let labels: Vec<i64> = y.cast(DType::I64)?.to_vec::<i64>()?;
    if y.dtype().is_float() {
        let raw = y.cast(DType::F64)?.to_vec::<f64>()?;
        if let Some(v) = raw.iter().find(|v| v.fract() != 0.0 || !v.is_finite()) {
            return Err(invalid(api, format!("labels must be integers, got {v}")));
        }
    }
    let mut shape = y.shape().to_vec();
    if shape.len() > 1 && shape.last() == Some(&1) {
        shape.pop();
    }
    if let Some(&bad) = labels.iter().find(|&&v| v < 0) {
        return Err(invalid(
            api,
            format!("labels must be non-negative, got {bad}"),
        ));
    }
    let max = labels.iter().copied().max().unwrap_or(-1);
    let n = match num_classes {
        Some(n) => {
            if max >= n as i64 {
                return Err(invalid(
                    api,
                    format!("label {max} is out of range for num_classes={n} (labels must be < num_classes)"),
                ));
            }
            n
        }
        None => (max + 1) as usize,
    };
    let mut out = vec![0f32; labels.len() * n];
    for (i, &l) in labels.iter().enumerate() {
        out[i * n + l as usize] = 1.0;
    }
    shape.push(n);
    Ok(Tensor::from_vec(out, &shape)?)
}

/// Scales `x` to unit `order`-norm along `axis` (`keras.utils.normalize` on a tensor,
/// i.e. `ops.nn.normalize`): `x / norm`, with zero norms left as 1 (so zero rows stay
/// zero). Keras's NumPy-array path mis-scales `axis=0` (it broadcasts the norms along the
/// last axis); kiln does not copy that.
///
/// ```
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![3.0f32, 4.0, 0.0, 0.0], &[2, 2])?;
/// let n = kiln_data::utils::normalize(&x, -1, 2)?;
/// assert_eq!(n.to_vec::<f32>()?, vec![0.6, 0.8, 0.0, 0.0]);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn normalize(x: &Tensor, axis: isize, order: u32) -> Result<Tensor> {
    if order == 0 {
        return Err(invalid("normalize", "order must be at least 1".into()));
    }
    let x = if x.dtype().is_float() {
        x.clone()
    } else {
        x.cast(DType::F32)?
    };
    let norm = match order {
        1 => x.abs()?.sum(&[axis], true)?,
        2 => x.square()?.sum(&[axis], true)?.sqrt()?,
        p => {
            let p = p as f64;
            x.abs()?
                .pow(&Tensor::scalar_of(p, x.dtype()))?
                .sum(&[axis], true)?
                .pow(&Tensor::scalar_of(1.0 / p, x.dtype()))?
        }
    };
    let zero = norm.equal(&Tensor::scalar_of(0.0, norm.dtype()))?;
    let safe = Tensor::where_cond(&zero, &Tensor::scalar_of(1.0, norm.dtype()), &norm)?;
    Ok(x.div(&safe)?)
}
