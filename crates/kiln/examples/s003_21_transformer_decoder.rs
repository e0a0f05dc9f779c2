//! S003-21: a `TransformerDecoder(d_model, num_heads, dff)` layer — masked self-attention
//! (`attention_mask=look_ahead_mask`), cross-attention on the encoder output
//! (`attention_mask=padding_mask`), a ReLU feed-forward network, each followed by dropout
//! and residual + LayerNormalization(1e-6). The seed only defines it (prints nothing);
//! the port also runs it once silently with a causal look-ahead mask and a padding mask
//! and checks the output shape and that the look-ahead mask hides the future.

use kiln::layers::{
    CallContext, Dense, Dropout, Layer, LayerBase, LayerNormalization, LayerRef, MultiHeadAttention,
};
use kiln::models::Model;
use kiln_tensor::{DType, Tensor};

#[derive(Layer)]
struct TransformerDecoder {
    base: LayerBase,
    mha1: LayerRef,
    mha2: LayerRef,
    ffn: Model,
    layernorm1: LayerRef,
    layernorm2: LayerRef,
    layernorm3: LayerRef,
    dropout1: LayerRef,
    dropout2: LayerRef,
    dropout3: LayerRef,
}

impl TransformerDecoder {
    fn new(d_model: usize, num_heads: usize, dff: usize, rate: f64) -> kiln::Result<Self> {
        Ok(TransformerDecoder {
            base: LayerBase::new("transformer_decoder"),
            mha1: MultiHeadAttention::new(num_heads, d_model).into(),
            mha2: MultiHeadAttention::new(num_heads, d_model).into(),
            ffn: Model::sequential(vec![
                Dense::new(dff).activation("relu").into(),
                Dense::new(d_model).into(),
            ])?,
            layernorm1: LayerNormalization::new().epsilon(1e-6).into(),
            layernorm2: LayerNormalization::new().epsilon(1e-6).into(),
            layernorm3: LayerNormalization::new().epsilon(1e-6).into(),
            dropout1: Dropout::new(rate).into(),
            dropout2: Dropout::new(rate).into(),
            dropout3: Dropout::new(rate).into(),
        })
    }
}

impl Layer for TransformerDecoder {
    /// Inputs: `[x, enc_output, look_ahead_mask, padding_mask]`.
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let (x, enc, look_ahead, padding) = (&inputs[0], &inputs[1], &inputs[2], &inputs[3]);
        let attn1 = self
            .mha1
            .call(&[x.clone(), x.clone(), x.clone(), look_ahead.clone()][..])?;
        let attn1 = self.dropout1.call(&attn1)?;
        let out1 = self.layernorm1.call(&x.add(&attn1)?)?;
        let attn2 = self
            .mha2
            .call(&[out1.clone(), enc.clone(), enc.clone(), padding.clone()][..])?;
        let attn2 = self.dropout2.call(&attn2)?;
        let out2 = self.layernorm2.call(&out1.add(&attn2)?)?;
        let ffn = self.ffn.as_layer().call(&out2)?;
        let ffn = self.dropout3.call(&ffn)?;
        Ok(vec![self.layernorm3.call(&out2.add(&ffn)?)?])
    }
}

fn main() -> kiln::Result<()> {
    kiln::utils::set_random_seed(0);
    let decoder = LayerRef::new(TransformerDecoder::new(64, 4, 128, 0.1)?);
    let (t, s) = (6usize, 7usize);
    let x = kiln_tensor::random::uniform(&[2, t, 64], 0.0, 1.0, DType::F32)?;
    let enc = kiln_tensor::random::uniform(&[2, s, 64], 0.0, 1.0, DType::F32)?;
    let look_ahead: Vec<bool> = (0..t).flat_map(|i| (0..t).map(move |j| j <= i)).collect();
    let look_ahead = Tensor::from_vec(look_ahead, &[1, t, t])?;
    let padding: Vec<bool> = (0..2 * t * s).map(|k| k % s < s - 2).collect();
    let padding = Tensor::from_vec(padding, &[2, t, s])?;
    let run = |x: &Tensor| {
        decoder.call_multi(
            &[x.clone(), enc.clone(), look_ahead.clone(), padding.clone()],
            Some(false),
        )
    };
    let y = run(&x)?.remove(0);
    assert_eq!(y.shape(), &[2, t, 64]);
    // Changing the last target step must not change earlier outputs (causal mask).
    let mut v = x.to_vec::<f32>()?;
    for b in 0..2 {
        for f in 0..64 {
            v[(b * t + t - 1) * 64 + f] += 1.0;
        }
    }
    let y2 = run(&Tensor::from_vec(v, &[2, t, 64])?)?.remove(0);
    let (a, b) = (y.to_vec::<f32>()?, y2.to_vec::<f32>()?);
    for bi in 0..2 {
        for k in 0..(t - 1) * 64 {
            let i = bi * t * 64 + k;
            assert!((a[i] - b[i]).abs() < 1e-5, "step {} saw the future", k / 64);
        }
    }
    Ok(())
}
