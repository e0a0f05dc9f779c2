//! Seed 000's `MyCustomLayer`: `activation(inputs @ w + b)` with `w` from `random_normal`
//! and `b` from zeros, created in `build`.
#![allow(dead_code)]

use kiln::activations::Activation;
use kiln::initializers::Initializer;
use kiln::layers::{CallContext, Layer, LayerBase, LayerRef, Shape};
use kiln_tensor::{Tensor, Variable};

#[derive(Layer)]
pub struct MyCustomLayer {
    base: LayerBase,
    units: usize,
    activation: Activation,
    #[layer(skip)]
    w: Option<Variable>,
    #[layer(skip)]
    b: Option<Variable>,
}

impl MyCustomLayer {
    /// `MyCustomLayer(units, activation)` as a layer handle.
    pub fn layer(units: usize, activation: &str) -> kiln::Result<LayerRef> {
        Ok(LayerRef::new(MyCustomLayer {
            base: LayerBase::new("my_custom_layer"),
            units,
            activation: Activation::get(activation)?,
            w: None,
            b: None,
        }))
    }
}

impl Layer for MyCustomLayer {
    fn build(&mut self, input_shape: &[Shape]) -> kiln::Result<()> {
        let last = input_shape[0].last().copied().flatten().unwrap_or(1);
        self.w = Some(self.base.add_weight(
            "w",
            &[last, self.units],
            &Initializer::get("random_normal")?,
            true,
            None,
            None,
        )?);
        self.b = Some(self.base.add_weight(
            "b",
            &[self.units],
            &Initializer::Zeros,
            true,
            None,
            None,
        )?);
        Ok(())
    }
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let (w, b) = match (&self.w, &self.b) {
            (Some(w), Some(b)) => (w.value(), b.value()),
            _ => {
                return Err(kiln::Error::InvalidArgument {
                    api: "MyCustomLayer.call",
                    msg: "not built".into(),
                })
            }
        };
        Ok(vec![self
            .activation
            .apply(&inputs[0].matmul(&w)?.add(&b)?)?])
    }
}

/// Seed 000's `MyCustomModel`: two custom layers.
#[derive(Layer)]
pub struct MyCustomModel {
    base: LayerBase,
    dense1: LayerRef,
    dense2: LayerRef,
}

impl MyCustomModel {
    /// `MyCustomModel(units, num_classes)`.
    pub fn new(units: usize, num_classes: usize) -> kiln::Result<MyCustomModel> {
        Ok(MyCustomModel {
            base: LayerBase::new("my_custom_model"),
            dense1: MyCustomLayer::layer(units, "relu")?,
            dense2: MyCustomLayer::layer(num_classes, "softmax")?,
        })
    }
}

impl Layer for MyCustomModel {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let x = self.dense1.call(&inputs[0])?;
        Ok(vec![self.dense2.call(&x)?])
    }
}
