//! S004-1: a plain struct holding one variable (`LinearRegression(object)`), trained by a
//! hand-written gradient-descent step for 1001 iterations. `@tf.function` runs eagerly
//! here (graph tracing comes with a later issue).

#[path = "common/seed004.rs"]
mod seed004;

use kiln_tensor::{random::Generator, DType, Tensor, Variable};

struct LinearRegression {
    weights: Variable,
}

impl LinearRegression {
    fn new(num_parameters: usize) -> kiln::Result<LinearRegression> {
        let w = Generator::from_global().uniform(&[num_parameters, 1], 0.0, 1.0, DType::F32)?;
        Ok(LinearRegression {
            weights: Variable::new(w, "Variable", true),
        })
    }
    fn call(&self, x: &Tensor) -> kiln::Result<Tensor> {
        Ok(x.matmul(&self.weights.value())?)
    }
}

fn main() -> kiln::Result<()> {
    let (x, y) = seed004::data();
    let model = LinearRegression::new(5)?;
    let t0 = std::time::Instant::now();
    for iteration in 0..1001 {
        let loss = seed004::train_step(std::slice::from_ref(&model.weights), &x, &y, |x| {
            model.call(x)
        })?;
        if iteration % 200 == 0 {
            println!("mean squared loss at iteration {iteration:4} is {loss:5.4}");
        }
    }
    seed004::pprint(std::slice::from_ref(&model.weights));
    println!("time took: {} seconds", t0.elapsed().as_secs_f64());
    seed004::assert_recovers("S004-1", &model.weights.value(), 1e-2);
    Ok(())
}
