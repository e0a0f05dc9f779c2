//! S003-41: MNIST with `Sequential([Flatten(input_shape=(28, 28)), Dense(128, relu),
//! Dense(10)])`, sparse categorical crossentropy from logits, Adam, and a custom
//! GradientTape loop over unshuffled batches of 32 for 5 epochs, printing every 200 steps.
//! (The seed computes the gradient inside the tape context; the result is the same.)

use kiln::layers::{Dense, Flatten};
use kiln::losses::{Loss, SparseCategoricalCrossentropy};
use kiln::models::Model;
use kiln::optimizers::{Adam, Optimizer};
use kiln_tensor::{DType, GradientTape};

fn main() -> kiln::Result<()> {
    let ((x_train, y_train), _) = kiln_data::datasets::mnist::load_data()?;
    let x_train = x_train.cast(DType::F32)?.div_scalar(255.0)?;
    let y_train = y_train.cast(DType::I64)?;
    let model = Model::sequential(vec![
        Flatten::new().input_shape(&[28, 28]).into(),
        Dense::new(128).activation("relu").into(),
        Dense::new(10).into(),
    ])?;
    let loss_fn = SparseCategoricalCrossentropy::new().from_logits(true);
    let mut optimizer = Adam::default();
    let n = x_train.shape()[0];
    for epoch in 0..5 {
        println!("Start of epoch {}", epoch + 1);
        for (step, start) in (0..n).step_by(32).enumerate() {
            let len = 32.min(n - start) as isize;
            let x_batch = x_train.slice(&[start as isize, 0, 0], &[len, -1, -1])?;
            let y_batch = y_train.slice(&[start as isize], &[len])?;
            let tape = GradientTape::new();
            let logits = model.call_multi(&[x_batch], true)?.remove(0);
            let loss_value = loss_fn.compute(&y_batch, &logits, None)?;
            let vars = model.trainable_weights();
            let grads = tape.gradient(&loss_value, &vars)?;
            drop(tape);
            optimizer.apply(&grads, &vars)?;
            if step % 200 == 0 {
                println!(
                    "Epoch {} Step {step}: Loss = {}",
                    epoch + 1,
                    loss_value.item::<f32>()?
                );
            }
        }
    }
    Ok(())
}
