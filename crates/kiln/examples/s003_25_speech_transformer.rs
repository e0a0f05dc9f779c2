//! S003-25: `SpeechTransformer(num_mel_bins=80, embedding_dim=128, num_heads=4, ff_dim=512,
//! num_layers=6, num_classes=30)` — Conv1D(128, 3, same, relu), BatchNormalization,
//! Reshape, six transformer blocks around `keras.layers.MultiHeadAttention`, Flatten,
//! Dense(30, softmax) — on U(32, 100, 80) with `training=True`; prints `(32, 30)`.

#[path = "common/transformer.rs"]
mod transformer;

use kiln::layers::{
    BatchNormalization, CallContext, Conv1D, Dense, Flatten, Layer, LayerBase, LayerRef, Reshape,
};
use kiln::models::Model;
use kiln_tensor::{DType, Tensor};
use transformer::TransformerBlock;

#[derive(Layer)]
struct SpeechTransformer {
    base: LayerBase,
    conv1: LayerRef,
    batch_norm: LayerRef,
    reshape: LayerRef,
    transformer_layers: Vec<LayerRef>,
    flatten: LayerRef,
    dense: LayerRef,
}

impl SpeechTransformer {
    fn new(
        embedding_dim: usize,
        num_heads: usize,
        ff_dim: usize,
        num_layers: usize,
        num_classes: usize,
    ) -> Self {
        SpeechTransformer {
            base: LayerBase::new("speech_transformer"),
            conv1: Conv1D::new(embedding_dim, 3)
                .padding("same")
                .activation("relu")
                .into(),
            batch_norm: BatchNormalization::new().into(),
            reshape: Reshape::new(&[-1, embedding_dim as isize]).into(),
            transformer_layers: (0..num_layers)
                .map(|_| TransformerBlock::keras(embedding_dim, num_heads, ff_dim).into())
                .collect(),
            flatten: Flatten::new().into(),
            dense: Dense::new(num_classes).activation("softmax").into(),
        }
    }
}

impl Layer for SpeechTransformer {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let x = self.conv1.call(&inputs[0])?;
        let x = self.batch_norm.call(&x)?;
        let mut x = self.reshape.call(&x)?;
        for layer in &self.transformer_layers {
            x = layer.call(&x)?;
        }
        let x = self.flatten.call(&x)?;
        Ok(vec![self.dense.call(&x)?])
    }
}

fn main() -> kiln::Result<()> {
    kiln::utils::set_random_seed(0);
    let (num_mel_bins, embedding_dim, num_heads, ff_dim, num_layers, num_classes) =
        (80, 128, 4, 512, 6, 30);
    let st = Model::from_layer(SpeechTransformer::new(
        embedding_dim,
        num_heads,
        ff_dim,
        num_layers,
        num_classes,
    ));
    let spectrograms =
        kiln_tensor::random::uniform(&[32, 100, num_mel_bins], 0.0, 1.0, DType::F32)?;
    let output = st.call_multi(&[spectrograms], true)?.remove(0);
    println!("{}", kiln_tensor::shape::fmt_shape(output.shape()));
    assert_eq!(output.shape(), &[32, num_classes]);
    Ok(())
}
