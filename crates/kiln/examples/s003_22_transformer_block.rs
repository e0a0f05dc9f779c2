//! S003-22: a hand-written `MultiHeadSelfAttention(embed_dim, num_heads)` (Dense
//! projections, split heads, scaled dot-product attention, merged heads) inside a
//! `TransformerBlock(128, 8, 512)` on U(1, 100, 128); prints `(1, 100, 128)`.

#[path = "common/transformer.rs"]
mod transformer;

use kiln::layers::LayerRef;
use kiln_tensor::DType;
use transformer::TransformerBlock;

fn main() -> kiln::Result<()> {
    kiln::utils::set_random_seed(0);
    let (embed_dim, num_heads, ff_dim, sequence_length) = (128, 8, 512, 100);
    let transformer_block =
        LayerRef::new(TransformerBlock::split_heads(embed_dim, num_heads, ff_dim));
    let inputs =
        kiln_tensor::random::uniform(&[1, sequence_length, embed_dim], 0.0, 1.0, DType::F32)?;
    let outputs = transformer_block.call(&inputs)?;
    println!("{}", kiln_tensor::shape::fmt_shape(outputs.shape()));
    assert_eq!(outputs.shape(), &[1, 100, 128]);
    Ok(())
}
