//! S003-24: `VisionTransformer(num_patches=196, embedding_dim=128, num_heads=4,
//! ff_dim=512, num_layers=6, num_classes=10)` — 16x16 patches from
//! `tf.image.extract_patches`, a Dense patch embedding, six transformer blocks around
//! `keras.layers.MultiHeadAttention`, Flatten, Dense(10, softmax) — on U(32, 224, 224, 3);
//! prints `(32, 10)`.

#[path = "common/transformer.rs"]
mod transformer;

use kiln::layers::{CallContext, Dense, Flatten, Layer, LayerBase, LayerRef};
use kiln::models::Model;
use kiln_tensor::ops::conv::Padding;
use kiln_tensor::{DType, Tensor};
use transformer::TransformerBlock;

/// The seed's `PatchEmbedding`: a Dense projection of each flattened patch.
#[derive(Layer)]
struct PatchEmbedding {
    base: LayerBase,
    projection: LayerRef,
}

impl Layer for PatchEmbedding {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        Ok(vec![self.projection.call(&inputs[0])?])
    }
}

#[derive(Layer)]
struct VisionTransformer {
    base: LayerBase,
    patch_embed: LayerRef,
    transformer_layers: Vec<LayerRef>,
    flatten: LayerRef,
    dense: LayerRef,
}

impl VisionTransformer {
    fn new(
        embedding_dim: usize,
        num_heads: usize,
        ff_dim: usize,
        num_layers: usize,
        num_classes: usize,
    ) -> Self {
        VisionTransformer {
            base: LayerBase::new("vision_transformer"),
            patch_embed: PatchEmbedding {
                base: LayerBase::new("patch_embedding"),
                projection: Dense::new(embedding_dim).into(),
            }
            .into(),
            transformer_layers: (0..num_layers)
                .map(|_| TransformerBlock::keras(embedding_dim, num_heads, ff_dim).into())
                .collect(),
            flatten: Flatten::new().into(),
            dense: Dense::new(num_classes).activation("softmax").into(),
        }
    }

    fn extract_patches(images: &Tensor) -> kiln::Result<Tensor> {
        let batch = images.shape()[0] as isize;
        let patches = images.extract_patches([16, 16], [16, 16], [1, 1], &Padding::Valid)?;
        Ok(patches.reshape(&[batch, -1, 16 * 16 * 3])?)
    }
}

impl Layer for VisionTransformer {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let patches = Self::extract_patches(&inputs[0])?;
        let mut x = self.patch_embed.call(&patches)?;
        for layer in &self.transformer_layers {
            x = layer.call(&x)?;
        }
        let x = self.flatten.call(&x)?;
        Ok(vec![self.dense.call(&x)?])
    }
}

fn main() -> kiln::Result<()> {
    kiln::utils::set_random_seed(0);
    let (num_patches, embedding_dim, num_heads, ff_dim, num_layers, num_classes) =
        (196, 128, 4, 512, 6, 10);
    let vit = Model::from_layer(VisionTransformer::new(
        embedding_dim,
        num_heads,
        ff_dim,
        num_layers,
        num_classes,
    ));
    let images = kiln_tensor::random::uniform(&[32, 224, 224, 3], 0.0, 1.0, DType::F32)?;
    let output = vit.call(&images)?;
    println!("{}", kiln_tensor::shape::fmt_shape(output.shape()));
    assert_eq!(output.shape(), &[32, num_classes]);
    let patches = VisionTransformer::extract_patches(&images)?;
    assert_eq!(patches.shape()[1], num_patches);
    Ok(())
}
