//! S004-2: the same regression as a subclassed Keras model (`tf.keras.Model` subclass with
//! its own variable), trained by the hand-written step. Eager (no `@tf.function` yet).

#[path = "common/seed004.rs"]
mod seed004;

use kiln::initializers::Initializer;
use kiln::layers::{CallContext, Layer, LayerBase};
use kiln::models::Model;
use kiln_tensor::{Tensor, Variable};

#[derive(Layer)]
struct LinearRegression {
    base: LayerBase,
    weights: Variable,
}

impl Layer for LinearRegression {
    fn call(&mut self, x: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        Ok(vec![x[0].matmul(&self.weights.value())?])
    }
}

fn main() -> kiln::Result<()> {
    let (x, y) = seed004::data();
    let mut base = LayerBase::new("linear_regression");
    let weights = base.add_weight(
        "Variable",
        &[5, 1],
        &Initializer::random_uniform(0.0, 1.0),
        true,
        None,
        None,
    )?;
    let model = Model::from_layer(LinearRegression { base, weights });
    let t0 = std::time::Instant::now();
    for iteration in 0..1001 {
        let loss = seed004::train_model_step(&model, &x, &y)?;
        if iteration % 200 == 0 {
            println!("mean squared loss at iteration {iteration:4} is {loss:5.4}");
        }
    }
    seed004::pprint(&model.weights());
    println!("time took: {} seconds", t0.elapsed().as_secs_f64());
    seed004::assert_recovers("S004-2", &model.weights()[0].value(), 1e-2);
    Ok(())
}
