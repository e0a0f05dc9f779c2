//! Keras's `Loss.__call__` plumbing: rank matching, sample weights and reduction.

use kiln_tensor::Tensor;

use crate::losses::Reduction;
use crate::{Error, Result};

/// Keras's `squeeze_or_expand_to_same_rank`: when ranks differ by one and the longer has
/// a last axis of 1, squeeze it (or expand a rank-1 partner).
///
/// ```
/// use kiln_tensor::{DType, Tensor};
/// let a = Tensor::zeros(&[4], DType::F32);
/// let b = Tensor::zeros(&[4, 1], DType::F32);
/// let (a2, b2) = kiln::losses::squeeze_or_expand_to_same_rank(&a, &b)?;
/// assert_eq!((a2.shape(), b2.shape()), (&[4, 1][..], &[4, 1][..]));
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn squeeze_or_expand_to_same_rank(x1: &Tensor, x2: &Tensor) -> Result<(Tensor, Tensor)> {
    let (r1, r2) = (x1.rank(), x2.rank());
    let (mut a, mut b) = (x1.clone(), x2.clone());
    if r1 == r2 {
        return Ok((a, b));
    }
    if r1 == r2 + 1 && x1.shape().last() == Some(&1) {
        if r2 == 1 {
            b = b.expand_dims(-1)?;
        } else {
            a = a.squeeze(&[-1])?;
        }
    }
    if r2 == r1 + 1 && x2.shape().last() == Some(&1) {
        if r1 == 1 {
            a = a.expand_dims(-1)?;
        } else {
            b = b.squeeze(&[-1])?;
        }
    }
    Ok((a, b))
}

/// Weights per-sample `values` by `sample_weight` (broadcast after rank matching) and
/// reduces them, as Keras's `reduce_weighted_values`.
///
/// ```
/// use kiln::losses::{reduce_weighted, Reduction};
/// use kiln_tensor::Tensor;
/// let v = Tensor::from_vec(vec![1.0f32, 3.0], &[2])?;
/// let w = Tensor::from_vec(vec![1.0f32, 0.0], &[2])?;
/// assert_eq!(reduce_weighted(&v, Some(&w), Reduction::SumOverBatchSize)?.item::<f32>()?, 0.5);
/// assert_eq!(reduce_weighted(&v, Some(&w), Reduction::MeanWithSampleWeight)?.item::<f32>()?, 1.0);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn reduce_weighted(
    values: &Tensor,
    sample_weight: Option<&Tensor>,
    reduction: Reduction,
) -> Result<Tensor> {
    let mut values = values.clone();
    let mut sw: Option<Tensor> = None;
    if let Some(w) = sample_weight {
        let w = if w.dtype() == values.dtype() {
            w.clone()
        } else {
            w.cast(values.dtype())?
        };
        let (v, w) = squeeze_or_expand_to_same_rank(&values, &w)?;
        values = v.mul(&w).map_err(|e| Error::InvalidArgument {
            api: "Loss",
            msg: format!(
                "sample_weight of shape {:?} does not broadcast to the per-sample losses of \
                 shape {:?}: {e}",
                w.shape(),
                v.shape()
            ),
        })?;
        sw = Some(w);
    }
    if reduction == Reduction::None || values.rank() == 0 || values.shape() == [0] {
        return Ok(values);
    }
    let total = values.sum(&[], false)?;
    match reduction {
        Reduction::Sum | Reduction::None => Ok(total),
        Reduction::SumOverBatchSize | Reduction::Mean | Reduction::MeanWithSampleWeight => {
            match (&sw, reduction) {
                (Some(w), Reduction::MeanWithSampleWeight) => {
                    // divide_no_nan as tensor ops (so the reduction traces): a zero
                    // divisor gives 0.
                    let divisor = w.sum(&[], false)?.cast(total.dtype())?;
                    let is_zero = divisor.equal(&divisor.zeros_like())?;
                    let safe = Tensor::where_cond(&is_zero, &divisor.ones_like(), &divisor)?;
                    let q = total.div(&safe)?;
                    Ok(Tensor::where_cond(&is_zero, &q.zeros_like(), &q)?)
                }
                _ => {
                    let divisor = values.numel() as f64;
                    if divisor == 0.0 {
                        Ok(total.mul_scalar(0.0)?)
                    } else {
                        Ok(total.div_scalar(divisor)?)
                    }
                }
            }
        }
    }
}

/// Keras's `apply_mask` then `reduce_weighted_values`: the boolean `mask` folded into
/// the sample weights (for `"sum_over_batch_size"` and `"mean"` the kept entries weigh
/// `total / valid`, so the mean is over them; no kept entry gives 0).
pub(crate) fn reduce_masked(
    losses: &Tensor,
    mask: &Tensor,
    sample_weight: Option<&Tensor>,
    reduction: Reduction,
) -> Result<Tensor> {
    let mut m = mask.cast(losses.dtype())?;
    if matches!(reduction, Reduction::SumOverBatchSize | Reduction::Mean) {
        // divide_no_nan(total, valid) as tensor ops, so the reduction traces.
        let total = m.numel() as f64;
        let valid = m.sum(&[], false)?;
        let none = valid.equal(&valid.zeros_like())?;
        let safe = Tensor::where_cond(&none, &valid.ones_like(), &valid)?;
        let scale = safe.reciprocal()?.mul_scalar(total)?;
        let scale = Tensor::where_cond(&none, &scale.zeros_like(), &scale)?;
        m = m.mul(&scale)?;
    }
    let w = match sample_weight {
        Some(w) => {
            let w = w.cast(losses.dtype())?;
            let (m, w) = squeeze_or_expand_to_same_rank(&m, &w)?;
            w.mul(&m)?
        }
        None => m,
    };
    reduce_weighted(losses, Some(&w), reduction)
}
