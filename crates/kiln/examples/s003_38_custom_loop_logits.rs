//! S003-38: `Sequential([Dense(64, relu), Dense(10)])` (logits) trained by a
//! GradientTape loop with Adam and sparse categorical crossentropy from logits, 10 epochs
//! of batch 32 over random data; prints the last batch's loss per epoch.

use kiln::layers::Dense;
use kiln::losses::{Loss, SparseCategoricalCrossentropy};
use kiln::models::Model;
use kiln::optimizers::{Adam, Optimizer};
use kiln_tensor::random::Generator;
use kiln_tensor::{DType, GradientTape, Tensor, Variable};

fn main() -> kiln::Result<()> {
    let model = Model::sequential(vec![
        Dense::new(64).activation("relu").into(),
        Dense::new(10).into(),
    ])?;
    let mut optimizer = Adam::default();
    let loss_fn = SparseCategoricalCrossentropy::new().from_logits(true);
    let mut g = Generator::from_seed(0);
    let x_train = g.uniform(&[100, 10], 0.0, 1.0, DType::F32)?;
    let y_train = g.randint(&[100], 0, 10, DType::I64)?;
    for epoch in 0..10 {
        let mut last = 0.0f32;
        for start in (0..100).step_by(32) {
            let len = 32.min(100 - start) as isize;
            let x_batch = x_train.slice(&[start as isize, 0], &[len, -1])?;
            let y_batch = y_train.slice(&[start as isize], &[len])?;
            let tape = GradientTape::new();
            let logits = model.call_multi(&[x_batch], true)?.remove(0);
            let loss = loss_fn.compute(&y_batch, &logits, None)?;
            let vars = model.trainable_weights();
            let refs: Vec<&Variable> = vars.iter().collect();
            let grads = tape.gradient(&loss, &refs)?;
            drop(tape);
            let pairs: Vec<(Tensor, Variable)> = grads
                .into_iter()
                .zip(vars)
                .filter_map(|(g, v)| g.map(|g| (g, v)))
                .collect();
            optimizer.apply_gradients(&pairs)?;
            last = loss.item::<f32>()?;
        }
        println!("Epoch {}, Loss: {last}", epoch + 1);
    }
    Ok(())
}
