//! Attention masks and the masked softmax the attention layers share.

use kiln_tensor::{DType, Tensor};

use crate::Result;

/// What a row whose every position is masked becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MaskedRows {
    /// Keras's fused `dot_product_attention` path: masked logits become the most negative
    /// float, so a fully masked row is a uniform distribution.
    Uniform,
    /// Keras's `Softmax(mask=...)`: logits get -1e9 and masked probabilities are zeroed,
    /// so a fully masked row is all zeros.
    Zero,
}

/// `[1, q_len, v_len]` boolean lower-triangular mask: query `i` sees keys `j <= i`.
pub(crate) fn causal_mask(q_len: usize, v_len: usize) -> Result<Tensor> {
    let v: Vec<bool> = (0..q_len)
        .flat_map(|i| (0..v_len).map(move |j| j <= i))
        .collect();
    Ok(Tensor::from_vec(v, &[1, q_len, v_len])?)
}

/// Softmax of `scores` over `axes`, with positions where `mask` is false excluded.
pub(crate) fn masked_softmax(
    scores: &Tensor,
    mask: Option<&Tensor>,
    axes: &[isize],
    rows: MaskedRows,
) -> Result<Tensor> {
    let mask = match mask {
        None => None,
        Some(m) if m.dtype() == DType::Bool => Some(m.clone()),
        Some(m) => Some(m.cast(DType::F32)?.greater(&Tensor::scalar(0.5f32))?),
    };
    let x = match &mask {
        None => scores.clone(),
        Some(m) => {
            let fill = match rows {
                MaskedRows::Uniform => -0.7 * 3.38953e38,
                MaskedRows::Zero => -1e9,
            };
            Tensor::where_cond(m, scores, &Tensor::full(&[], fill, scores.dtype()))?
        }
    };
    let p = if axes.len() == 1 {
        x.softmax(axes[0])?
    } else {
        x.sub(&x.logsumexp(axes, true)?)?.exp()?
    };
    Ok(match (&mask, rows) {
        (Some(m), MaskedRows::Zero) => Tensor::where_cond(m, &p, &Tensor::zeros(&[], p.dtype()))?,
        _ => p,
    })
}
