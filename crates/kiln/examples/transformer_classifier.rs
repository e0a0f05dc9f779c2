//! A small transformer classifier learning a synthetic, order-dependent sequence task
//! (issue 6, acceptance 3): every sequence of 16 tokens holds one `1` and one `2` among
//! filler tokens 3..11, and the label is whether the `1` comes first. Bag-of-words models
//! cannot solve it (both orders have the same tokens); attention over token + position
//! embeddings (Keras's `TokenAndPositionEmbedding` tutorial design) does.
//!
//! Model: token + position Embedding(32) -> the seeds' TransformerBlock(32 dims, 2 heads,
//! ffn 64) around `MultiHeadAttention` -> GlobalAveragePooling1D -> Dense(1, sigmoid);
//! Adam(1e-3), binary crossentropy. Prints the test accuracy and asserts it is >= 0.95.
//! `KILN_EPOCHS` overrides the number of epochs (default 12).

#[path = "common/transformer.rs"]
mod transformer;

use kiln::layers::{
    CallContext, Dense, Embedding, GlobalAveragePooling1D, Layer, LayerBase, LayerRef,
};
use kiln::models::EvaluateArgs;
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln_tensor::Tensor;
use transformer::TransformerBlock;

const SEQ: usize = 16;
const VOCAB: usize = 12;

/// Token embedding plus a learned embedding of each position.
#[derive(Layer)]
struct TokenAndPositionEmbedding {
    base: LayerBase,
    token_emb: LayerRef,
    pos_emb: LayerRef,
}

impl Layer for TokenAndPositionEmbedding {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let t = inputs[0].shape()[1];
        let positions = Tensor::from_vec((0..t as i32).collect::<Vec<_>>(), &[t])?;
        let tokens = self.token_emb.call(&inputs[0])?;
        Ok(vec![tokens.add(&self.pos_emb.call(&positions)?)?])
    }
}

#[derive(Layer)]
struct Classifier {
    base: LayerBase,
    embedding: LayerRef,
    block: LayerRef,
    pool: LayerRef,
    out: LayerRef,
}

impl Layer for Classifier {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let x = self.embedding.call(&inputs[0])?;
        let x = self.block.call(&x)?;
        let x = self.pool.call(&x)?;
        Ok(vec![self.out.call(&x)?])
    }
}

/// xorshift64*: a fixed, self-contained stream so the data never changes.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
}

/// `n` sequences and their labels (1.0 when token 1 precedes token 2).
fn dataset(n: usize, rng: &mut Rng) -> kiln::Result<(Tensor, Tensor)> {
    let mut ids = Vec::with_capacity(n * SEQ);
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let mut seq: Vec<i32> = (0..SEQ).map(|_| 3 + rng.below(VOCAB - 3) as i32).collect();
        let a = rng.below(SEQ);
        let mut b = rng.below(SEQ - 1);
        if b >= a {
            b += 1;
        }
        seq[a] = 1;
        seq[b] = 2;
        labels.push(if a < b { 1.0f32 } else { 0.0 });
        ids.extend(seq);
    }
    Ok((
        Tensor::from_vec(ids, &[n, SEQ])?,
        Tensor::from_vec(labels, &[n, 1])?,
    ))
}

fn main() -> kiln::Result<()> {
    let epochs: usize = std::env::var("KILN_EPOCHS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    kiln::utils::set_random_seed(3);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (x_train, y_train) = dataset(4000, &mut rng)?;
    let (x_test, y_test) = dataset(1000, &mut rng)?;

    let (embed_dim, num_heads, ff_dim) = (32, 2, 64);
    let mut model = Model::from_layer(Classifier {
        base: LayerBase::new("transformer_classifier"),
        embedding: LayerRef::new(TokenAndPositionEmbedding {
            base: LayerBase::new("token_and_position_embedding"),
            token_emb: Embedding::new(VOCAB, embed_dim).into(),
            pos_emb: Embedding::new(SEQ, embed_dim).into(),
        }),
        block: LayerRef::new(TransformerBlock::keras(embed_dim, num_heads, ff_dim)),
        pool: GlobalAveragePooling1D::new().into(),
        out: Dense::new(1).activation("sigmoid").into(),
    });
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("binary_crossentropy")
            .metrics(["accuracy"]),
    )?;
    model.fit(
        &x_train,
        &y_train,
        FitArgs::new()
            .epochs(epochs)
            .batch_size(32)
            .validation_data(&x_test, &y_test)
            .verbose(2),
    )?;
    let logs = model.evaluate(
        &x_test,
        &y_test,
        EvaluateArgs::new().batch_size(250).verbose(0),
    )?;
    let accuracy = logs.get("accuracy").unwrap_or(f64::NAN);
    println!(
        "test_loss: {:.4} - test_accuracy: {accuracy:.4}",
        logs.get("loss").unwrap_or(f64::NAN)
    );
    assert!(
        accuracy >= 0.95,
        "the transformer should learn the order task: {accuracy}"
    );
    Ok(())
}
