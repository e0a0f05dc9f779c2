//! S003-7: a subclassed `MyModel` (Dense 64 relu, Dense 10 softmax) trained on flattened
//! MNIST by a GradientTape loop with Adam and sparse categorical crossentropy, 5 epochs of
//! batch 32. The seed prints inside the batch loop (defect 9); the port prints once per
//! epoch, with the last batch's loss, as intended.

use kiln::layers::{CallContext, Dense, Layer, LayerBase, LayerRef};
use kiln::losses::{Loss, SparseCategoricalCrossentropy};
use kiln::models::Model;
use kiln::optimizers::{Adam, Optimizer};
use kiln_tensor::{DType, GradientTape, Tensor, Variable};

#[derive(Layer)]
struct MyModel {
    base: LayerBase,
    dense1: LayerRef,
    dense2: LayerRef,
}

impl Layer for MyModel {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let x = self.dense1.call(&inputs[0])?;
        Ok(vec![self.dense2.call(&x)?])
    }
}

fn main() -> kiln::Result<()> {
    let model = Model::from_layer(MyModel {
        base: LayerBase::new("my_model"),
        dense1: Dense::new(64).activation("relu").into(),
        dense2: Dense::new(10).activation("softmax").into(),
    });
    let loss_fn = SparseCategoricalCrossentropy::new();
    let mut optimizer = Adam::default();
    let ((train_images, train_labels), _) = kiln_data::datasets::mnist::load_data()?;
    let train_images = train_images
        .reshape(&[-1, 784])?
        .cast(DType::F32)?
        .div_scalar(255.0)?;
    let train_labels = train_labels.cast(DType::I32)?;
    let n = train_images.shape()[0];
    let epochs = 5;
    for epoch in 0..epochs {
        println!("Epoch {}/{epochs}", epoch + 1);
        let mut last = 0.0f32;
        for start in (0..n).step_by(32) {
            let len = 32.min(n - start) as isize;
            let x_batch = train_images.slice(&[start as isize, 0], &[len, -1])?;
            let y_batch = train_labels.slice(&[start as isize], &[len])?;
            let tape = GradientTape::new();
            let predictions = model.call_multi(&[x_batch], true)?.remove(0);
            let loss = loss_fn.compute(&y_batch, &predictions, None)?;
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
        println!("Epoch {}, Loss: {last:.4}", epoch + 1);
    }
    Ok(())
}
