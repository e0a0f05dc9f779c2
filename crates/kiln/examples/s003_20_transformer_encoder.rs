//! S003-20: a `TransformerEncoder(d_model=512, num_heads=8, dff=2048)` layer —
//! `keras.layers.MultiHeadAttention(num_heads, key_dim=d_model)` self-attention with the
//! mask as `attention_mask`, dropout, residual + LayerNormalization(1e-6), a ReLU
//! feed-forward network, dropout, residual + LayerNormalization. The seed instantiates it
//! and builds an input U(1, 60, 512) without calling it, so it prints nothing; the port
//! also calls it once (silently) and checks the output shape.

#[path = "common/transformer.rs"]
mod transformer;

use kiln::layers::LayerRef;
use kiln_tensor::DType;
use transformer::TransformerBlock;

fn main() -> kiln::Result<()> {
    kiln::utils::set_random_seed(0);
    let encoder = LayerRef::new(TransformerBlock::keras(512, 8, 2048));
    let x = kiln_tensor::random::uniform(&[1, 60, 512], 0.0, 1.0, DType::F32)?;
    let y = encoder.call_training(&x, false)?;
    assert_eq!(y.shape(), &[1, 60, 512]);
    Ok(())
}
