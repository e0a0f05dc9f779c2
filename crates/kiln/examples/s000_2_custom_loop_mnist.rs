//! S000-2: `MyCustomModel` trained on MNIST by a custom GradientTape loop with Adam and
//! sparse categorical crossentropy, 5 epochs of batch 64, printing the loss every 100
//! steps. `tf.data`'s `shuffle(1024).batch(64)` is done here with a 1024-sample shuffle
//! buffer over the training set (the pipeline API comes with the data issue).

#[path = "common/custom_layer.rs"]
mod custom_layer;

use custom_layer::MyCustomModel;
use kiln::losses::{Loss, SparseCategoricalCrossentropy};
use kiln::models::Model;
use kiln::optimizers::{Adam, Optimizer};
use kiln_tensor::random::Generator;
use kiln_tensor::{DType, GradientTape, Tensor};

/// Indices in the order a `shuffle(buffer_size)` over 0..n yields them.
fn buffered_shuffle(n: usize, buffer: usize, g: &mut Generator) -> Vec<i64> {
    let mut buf: Vec<i64> = (0..buffer.min(n) as i64).collect();
    let mut next = buf.len() as i64;
    let mut out = Vec::with_capacity(n);
    while !buf.is_empty() {
        let k = (g.next_u64() % buf.len() as u64) as usize;
        out.push(buf[k]);
        if (next as usize) < n {
            buf[k] = next;
            next += 1;
        } else {
            buf.swap_remove(k);
        }
    }
    out
}

fn main() -> kiln::Result<()> {
    let ((x_train, y_train), _) = kiln_data::datasets::mnist::load_data()?;
    let x_train = x_train
        .cast(DType::F32)?
        .div_scalar(255.0)?
        .reshape(&[-1, 784])?;
    let y_train = y_train.cast(DType::I64)?;
    let n = x_train.shape()[0];
    let (epochs, batch_size) = (5, 64);
    let mut optimizer = Adam::default();
    let loss_fn = SparseCategoricalCrossentropy::new();
    let model = Model::from_layer(MyCustomModel::new(64, 10)?);
    let mut g = Generator::from_seed(0);
    for epoch in 0..epochs {
        println!("Epoch {}/{epochs}", epoch + 1);
        let order = buffered_shuffle(n, 1024, &mut g);
        for (step, chunk) in order.chunks(batch_size).enumerate() {
            let idx = Tensor::from_vec(chunk.to_vec(), &[chunk.len()])?;
            let (x_batch, y_batch) = (x_train.gather(&idx, 0)?, y_train.gather(&idx, 0)?);
            let tape = GradientTape::new();
            let logits = model.call_multi(&[x_batch], true)?.remove(0);
            let loss = loss_fn.compute(&y_batch, &logits, None)?;
            let vars = model.trainable_weights();
            let grads = tape.gradient(&loss, &vars)?;
            drop(tape);
            optimizer.apply(&grads, &vars)?;
            if step % 100 == 0 {
                println!("Step {step}, Loss: {:.4}", loss.item::<f32>()?);
            }
        }
    }
    Ok(())
}
