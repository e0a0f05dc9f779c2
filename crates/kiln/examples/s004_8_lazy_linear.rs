//! S004-8: a lazy `Linear` layer that creates its kernel in `build` with `add_weight`
//! (Keras's default glorot_uniform); the model has no variables until it first runs.

#[path = "common/seed004.rs"]
mod seed004;

use kiln::initializers::Initializer;
use kiln::layers::{CallContext, Layer, LayerBase, LayerRef, Shape};
use kiln::models::Model;
use kiln_tensor::{Tensor, Variable};

#[derive(Layer)]
struct Linear {
    base: LayerBase,
    units: usize,
    #[layer(skip)]
    weights: Option<Variable>,
}

impl Layer for Linear {
    fn build(&mut self, input_shape: &[Shape]) -> kiln::Result<()> {
        let last = input_shape[0].last().copied().flatten().unwrap_or(1);
        self.weights = Some(self.base.add_weight(
            "Variable",
            &[last, self.units],
            &Initializer::GlorotUniform(None),
            true,
            None,
            None,
        )?);
        Ok(())
    }
    fn call(&mut self, x: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let w = self.weights.as_ref().map(|w| w.value()).ok_or_else(|| {
            kiln::Error::InvalidArgument {
                api: "Linear.call",
                msg: "not built".into(),
            }
        })?;
        Ok(vec![x[0].matmul(&w)?])
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
    let layers = [3usize, 1]
        .iter()
        .map(|&units| {
            LayerRef::new(Linear {
                base: LayerBase::new("linear"),
                units,
                weights: None,
            })
        })
        .collect();
    let model = Model::from_layer(Regression {
        base: LayerBase::new("regression"),
        layers,
    });
    seed004::pprint(&model.weights()); // should be empty
                                       // Traced: the first call builds the lazy layers (creating variables), so it traces
                                       // twice, as TF's does.
    let train_step = seed004::traced_train_step(&model, &x, &y);
    for _ in 0..1001 {
        train_step.call(&[])?;
    }
    assert_eq!(train_step.experimental_get_tracing_count(), 2);
    let mae = seed004::mean_absolute_error(&model, &x, &y)?;
    println!("Mean absolute error is:  {mae:e}");
    seed004::pprint(&model.weights());
    seed004::assert_recovers(
        "S004-8 (product of the kernels)",
        &seed004::reduce_matmul(&model.weights())?,
        1e-2,
    );
    Ok(())
}
