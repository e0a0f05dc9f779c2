//! S001-1: seed 001's attention library code — `scaled_dot_product_attention`, a
//! hand-written `MultiHeadAttention(d_model, num_heads)` and an `EncoderLayer`. The seed
//! only defines them; the port also runs each once on random data so the definitions are
//! exercised (shapes printed), including a padding mask.

#[path = "common/transformer.rs"]
mod transformer;

use kiln::layers::LayerRef;
use kiln_tensor::random::Generator;
use kiln_tensor::shape::fmt_shape;
use kiln_tensor::{DType, Tensor};
use transformer::{scaled_dot_product_attention, SplitHeadsAttention, TransformerBlock};

fn main() -> kiln::Result<()> {
    let mut g = Generator::from_seed(1);
    let q = g.uniform(&[2, 4, 5, 8], 0.0, 1.0, DType::F32)?;
    let (out, weights) = scaled_dot_product_attention(&q, &q, &q, None)?;
    println!(
        "scaled_dot_product_attention: output {}, weights {}",
        fmt_shape(out.shape()),
        fmt_shape(weights.shape())
    );
    // Padding mask: 1 marks positions to ignore (the seed adds mask * -1e9).
    let mut pad = vec![0.0f32; 5];
    pad[4] = 1.0;
    let mask = Tensor::from_vec(pad, &[1, 1, 1, 5])?;
    let (_, weights) = scaled_dot_product_attention(&q, &q, &q, Some(&mask))?;
    let w = weights.to_vec::<f32>()?;
    assert!(
        w.chunks(5).all(|row| row[4] < 1e-6),
        "masked key gets no weight"
    );

    let x = g.uniform(&[2, 6, 16], 0.0, 1.0, DType::F32)?;
    let mha = LayerRef::new(SplitHeadsAttention::new(16, 4));
    let outs = mha.call_multi(&[x.clone(), x.clone(), x.clone()], None)?;
    println!(
        "MultiHeadAttention: output {}, attention weights {}",
        fmt_shape(outs[0].shape()),
        fmt_shape(outs[1].shape())
    );

    let encoder = LayerRef::new(TransformerBlock::split_heads(16, 4, 32));
    let y = encoder.call_training(&x, false)?;
    println!("EncoderLayer: {}", fmt_shape(y.shape()));
    assert_eq!(y.shape(), &[2, 6, 16]);
    Ok(())
}
