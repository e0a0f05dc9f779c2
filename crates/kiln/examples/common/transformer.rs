//! The attention building blocks seeds 001 and 003 define, as kiln subclassed layers:
//! `scaled_dot_product_attention`, the hand-written split-heads multi-head attention, and
//! the post-norm transformer block around `keras.layers.MultiHeadAttention`.
#![allow(dead_code)]

use kiln::layers::{
    CallContext, Dense, Dropout, Layer, LayerBase, LayerNormalization, LayerRef, MultiHeadAttention,
};
use kiln::models::Model;
use kiln_tensor::{DType, Tensor};

/// Seed 001's `scaled_dot_product_attention(q, k, v, mask)`: `softmax(q k^T / sqrt(dk) +
/// mask * -1e9) v`, returning the output and the attention weights.
pub fn scaled_dot_product_attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    mask: Option<&Tensor>,
) -> kiln::Result<(Tensor, Tensor)> {
    let dk = *k.shape().last().unwrap_or(&1) as f64;
    let mut logits = q.matmul_t(k, false, true)?.div_scalar(dk.sqrt())?;
    if let Some(m) = mask {
        logits = logits.add(&m.cast(DType::F32)?.mul_scalar(-1e9)?)?;
    }
    let weights = logits.softmax(-1)?;
    Ok((weights.matmul(v)?, weights))
}

/// Seed 001's `MultiHeadAttention(d_model, num_heads)` / seed 003's
/// `MultiHeadSelfAttention`: Dense projections, heads split by reshape + transpose,
/// attention, heads merged, an output Dense. Inputs `[v, k, q]` (seed 001's order) and an
/// optional mask; outputs the attention output and the weights.
#[derive(Layer)]
pub struct SplitHeadsAttention {
    base: LayerBase,
    #[layer(skip)]
    num_heads: usize,
    #[layer(skip)]
    d_model: usize,
    wq: LayerRef,
    wk: LayerRef,
    wv: LayerRef,
    dense: LayerRef,
}

impl SplitHeadsAttention {
    pub fn new(d_model: usize, num_heads: usize) -> SplitHeadsAttention {
        assert_eq!(
            d_model % num_heads,
            0,
            "d_model must be divisible by num_heads"
        );
        SplitHeadsAttention {
            base: LayerBase::new("multi_head_attention"),
            num_heads,
            d_model,
            wq: Dense::new(d_model).into(),
            wk: Dense::new(d_model).into(),
            wv: Dense::new(d_model).into(),
            dense: Dense::new(d_model).into(),
        }
    }

    fn split_heads(&self, x: &Tensor, batch: usize) -> kiln::Result<Tensor> {
        let depth = (self.d_model / self.num_heads) as isize;
        Ok(
            x.reshape(&[batch as isize, -1, self.num_heads as isize, depth])?
                .permute(&[0, 2, 1, 3])?,
        )
    }
}

impl Layer for SplitHeadsAttention {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let (v, k, q) = (&inputs[0], &inputs[1], &inputs[2]);
        let batch = q.shape()[0];
        let q = self.split_heads(&self.wq.call(q)?, batch)?;
        let k = self.split_heads(&self.wk.call(k)?, batch)?;
        let v = self.split_heads(&self.wv.call(v)?, batch)?;
        let (att, weights) = scaled_dot_product_attention(&q, &k, &v, inputs.get(3))?;
        let concat =
            att.permute(&[0, 2, 1, 3])?
                .reshape(&[batch as isize, -1, self.d_model as isize])?;
        Ok(vec![self.dense.call(&concat)?, weights])
    }
}

/// The seeds' `EncoderLayer` / `TransformerBlock`: attention, dropout, residual +
/// LayerNormalization(1e-6), a ReLU feed-forward network, dropout, residual +
/// LayerNormalization. `attention` is either [`SplitHeadsAttention`] (self-attention on
/// `[x, x, x]`) or Keras's `MultiHeadAttention`; an optional second input is the mask.
#[derive(Layer)]
pub struct TransformerBlock {
    base: LayerBase,
    att: LayerRef,
    ffn: Model,
    layernorm1: LayerRef,
    layernorm2: LayerRef,
    dropout1: LayerRef,
    dropout2: LayerRef,
}

impl TransformerBlock {
    fn with_attention(att: LayerRef, embed_dim: usize, ff_dim: usize, rate: f64) -> Self {
        TransformerBlock {
            base: LayerBase::new("transformer_block"),
            att,
            ffn: Model::sequential(vec![
                Dense::new(ff_dim).activation("relu").into(),
                Dense::new(embed_dim).into(),
            ])
            .expect("a two-layer Sequential"),
            layernorm1: LayerNormalization::new().epsilon(1e-6).into(),
            layernorm2: LayerNormalization::new().epsilon(1e-6).into(),
            dropout1: Dropout::new(rate).into(),
            dropout2: Dropout::new(rate).into(),
        }
    }

    /// Seed 003's block around `keras.layers.MultiHeadAttention(num_heads,
    /// key_dim=embed_dim)`.
    pub fn keras(embed_dim: usize, num_heads: usize, ff_dim: usize) -> Self {
        let att = MultiHeadAttention::new(num_heads, embed_dim).into();
        Self::with_attention(att, embed_dim, ff_dim, 0.1)
    }

    /// The block around the hand-written split-heads attention (seeds 001 and 003).
    pub fn split_heads(embed_dim: usize, num_heads: usize, ff_dim: usize) -> Self {
        let att = SplitHeadsAttention::new(embed_dim, num_heads).into();
        Self::with_attention(att, embed_dim, ff_dim, 0.1)
    }
}

impl Layer for TransformerBlock {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let x = &inputs[0];
        let mut att_in = vec![x.clone(), x.clone(), x.clone()];
        if let Some(mask) = inputs.get(1) {
            att_in.push(mask.clone());
        }
        let attn = self.att.call_multi(&att_in, None)?.remove(0);
        let attn = self.dropout1.call(&attn)?;
        let out1 = self.layernorm1.call(&x.add(&attn)?)?;
        let ffn = self.ffn.as_layer().call(&out1)?;
        let ffn = self.dropout2.call(&ffn)?;
        Ok(vec![self.layernorm2.call(&out1.add(&ffn)?)?])
    }
}
