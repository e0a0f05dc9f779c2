//! S003-26: the seed's `DecisionTransformer(state_dim=20, action_dim=5, embedding_dim=128,
//! num_heads=4, ff_dim=512, num_layers=6)` — ReLU Dense embeddings of states and actions,
//! summed, six TransformerBlocks around `MultiHeadAttention`, and `TimeDistributed(Dense(5))`
//! — called in training mode on U(0, 1) states (32, 100, 20) and actions (32, 100, 5);
//! prints `(32, 100, 5)`.

#[path = "common/transformer.rs"]
mod transformer;

use kiln::layers::{CallContext, Dense, Layer, LayerBase, LayerRef, TimeDistributed};
use kiln::models::Model;
use kiln_tensor::{DType, Tensor};
use transformer::TransformerBlock;

#[derive(Layer)]
struct DecisionTransformer {
    base: LayerBase,
    state_embed: LayerRef,
    action_embed: LayerRef,
    transformer_layers: Vec<LayerRef>,
    dense: LayerRef,
}

impl DecisionTransformer {
    fn new(
        action_dim: usize,
        embedding_dim: usize,
        num_heads: usize,
        ff_dim: usize,
        num_layers: usize,
    ) -> Self {
        DecisionTransformer {
            base: LayerBase::new("decision_transformer"),
            state_embed: Dense::new(embedding_dim).activation("relu").into(),
            action_embed: Dense::new(embedding_dim).activation("relu").into(),
            transformer_layers: (0..num_layers)
                .map(|_| LayerRef::new(TransformerBlock::keras(embedding_dim, num_heads, ff_dim)))
                .collect(),
            dense: TimeDistributed::new(Dense::new(action_dim)).into(),
        }
    }
}

impl Layer for DecisionTransformer {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let (states, actions) = (&inputs[0], &inputs[1]);
        let mut x = self
            .state_embed
            .call(states)?
            .add(&self.action_embed.call(actions)?)?;
        for layer in &self.transformer_layers {
            x = layer.call(&x)?;
        }
        Ok(vec![self.dense.call(&x)?])
    }
}

fn main() -> kiln::Result<()> {
    kiln::utils::set_random_seed(0);
    let (state_dim, action_dim, embedding_dim, num_heads, ff_dim, num_layers) =
        (20, 5, 128, 4, 512, 6);
    let dt = Model::from_layer(DecisionTransformer::new(
        action_dim,
        embedding_dim,
        num_heads,
        ff_dim,
        num_layers,
    ));
    let states = kiln_tensor::random::uniform(&[32, 100, state_dim], 0.0, 1.0, DType::F32)?;
    let actions = kiln_tensor::random::uniform(&[32, 100, action_dim], 0.0, 1.0, DType::F32)?;
    let output = dt.call_multi(&[states, actions], true)?.remove(0);
    println!("{}", kiln_tensor::shape::fmt_shape(output.shape()));
    assert_eq!(output.shape(), &[32, 100, 5]);
    Ok(())
}
