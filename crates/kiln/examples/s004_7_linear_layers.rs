//! S004-7: a `Regression` model chaining two eager `Linear` layers (5 -> 3 -> 1) whose
//! weights are created in the constructor, trained by the hand-written step.

#[path = "common/seed004.rs"]
mod seed004;

use kiln::layers::{CallContext, Layer, LayerBase, LayerRef};
use kiln::models::Model;
use kiln_tensor::{random::Generator, DType, Tensor, Variable};

#[derive(Layer)]
struct Linear {
    base: LayerBase,
    weights: Variable,
}

impl Linear {
    fn new(num_inputs: usize, num_outputs: usize) -> kiln::Result<Linear> {
        let mut base = LayerBase::new("linear");
        base.set_built(true);
        let w =
            Generator::from_global().uniform(&[num_inputs, num_outputs], 0.0, 1.0, DType::F32)?;
        let weights = Variable::new(w, format!("{}/Variable", base.name()), true);
        Ok(Linear { base, weights })
    }
}

impl Layer for Linear {
    fn call(&mut self, x: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        Ok(vec![x[0].matmul(&self.weights.value())?])
    }
}

#[derive(Layer)]
struct Regression {
    base: LayerBase,
    layers: Vec<LayerRef>,
}

impl Layer for Regression {
    fn call(&mut self, x: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let mut x = x[0].clone();
        for l in &self.layers {
            x = l.call(&x)?;
        }
        Ok(vec![x])
    }
}

fn main() -> kiln::Result<()> {
    let (x, y) = seed004::data();
    // Eager Linear layers own their variable directly; list them for the training step.
    let l1 = Linear::new(5, 3)?;
    let l2 = Linear::new(3, 1)?;
    let vars = vec![l1.weights.clone(), l2.weights.clone()];
    let model = Model::from_layer(Regression {
        base: LayerBase::new("regression"),
        layers: vec![l1.into(), l2.into()],
    });
    let train_step = kiln::function::Function::new("train_step", |_| {
        Ok::<_, kiln::Error>(seed004::sgd_loss(&vars, &x, &y, |x| model.call(x))?.into())
    });
    for _ in 0..1001 {
        train_step.call(&[])?;
    }
    let mae = seed004::mean_absolute_error(&model, &x, &y)?;
    println!("Mean absolute error is:  {mae:e}");
    seed004::assert_recovers(
        "S004-7 (product of the two kernels)",
        &seed004::reduce_matmul(&vars)?,
        1e-2,
    );
    Ok(())
}
