//! The Keras guide's `Linear` layer ("Making new layers and models via subclassing"),
//! lazily built and serializable: the fields are the config, the weights are
//! [`Weight`]s, and `build`/`call` are all that is written by hand.
#![allow(dead_code)]

use kiln::layers::{last_dim, CallContext, Layer, LayerBase, Shape, Weight};
use kiln::Tensor;

/// `inputs @ w + b`, with `w` and `b` created from the input shape at the first call.
#[derive(Layer)]
#[layer(builders)]
pub struct Linear {
    base: LayerBase,
    /// Output units (default 32).
    #[layer(default = 32)]
    units: usize,
    w: Weight,
    b: Weight,
}

impl Layer for Linear {
    fn build(&mut self, input_shapes: &[Shape]) -> kiln::Result<()> {
        let input_dim = last_dim(input_shapes.first().map_or(&[], |s| s))?;
        let w = self.base.weight("w", &[input_dim, self.units]);
        self.w.set(w.initializer("random_normal").build()?);
        let b = self.base.weight("b", &[self.units]);
        self.b.set(b.initializer("random_normal").build()?);
        Ok(())
    }

    fn call(&mut self, x: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        Ok(vec![x[0]
            .matmul(&self.w.value()?)?
            .add(&self.b.value()?)?])
    }
}
