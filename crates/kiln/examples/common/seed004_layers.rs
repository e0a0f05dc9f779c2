//! Seed 004's `Linear` (lazy, optional bias initialised to ones, optional fused ReLU),
//! the separate `ReLU` layer, the `NeuralNetwork` container and the traced training loop
//! of S004-11/12.
#![allow(dead_code)]

use kiln::initializers::Initializer;
use kiln::layers::{CallContext, Dense, Layer, LayerBase, LayerRef, Shape};
use kiln::models::Model;
use kiln_tensor::{Tensor, Variable};

// The including example declares `mod seed004` at its root.
use crate::seed004;

#[derive(Layer)]
pub struct Linear {
    base: LayerBase,
    units: usize,
    use_bias: bool,
    relu: bool,
    #[layer(skip)]
    weights: Option<Variable>,
    #[layer(skip)]
    bias: Option<Variable>,
}

impl Linear {
    pub fn layer(units: usize, use_bias: bool, relu: bool) -> LayerRef {
        LayerRef::new(Linear {
            base: LayerBase::new("linear"),
            units,
            use_bias,
            relu,
            weights: None,
            bias: None,
        })
    }
}

impl Layer for Linear {
    fn build(&mut self, input_shape: &[Shape]) -> kiln::Result<()> {
        let last = input_shape[0].last().copied().flatten().unwrap_or(1);
        // `self.add_weight(shape=...)`: glorot-uniform and trainable by default.
        self.weights = Some(self.base.weight("Variable", &[last, self.units]).build()?);
        if self.use_bias {
            self.bias = Some(
                self.base
                    .weight("Variable", &[self.units])
                    .initializer(Initializer::Ones)
                    .build()?,
            );
        }
        Ok(())
    }
    fn call(&mut self, x: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let w = self.weights.as_ref().map(|w| w.value()).ok_or_else(|| {
            kiln::Error::InvalidArgument {
                api: "Linear.call",
                msg: "not built".into(),
            }
        })?;
        let mut out = x[0].matmul(&w)?;
        if let Some(b) = &self.bias {
            out = out.add(&b.value())?;
        }
        if self.relu {
            out = out.maximum(&Tensor::scalar(0.0f32))?;
        }
        Ok(vec![out])
    }
}

/// S004-11's separate activation layer: `maximum(0, x)`.
#[derive(Layer)]
pub struct ReLU {
    pub base: LayerBase,
}

impl Layer for ReLU {
    fn call(&mut self, x: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        Ok(vec![x[0].maximum(&Tensor::scalar(0.0f32))?])
    }
}

#[derive(Layer)]
pub struct NeuralNetwork {
    pub base: LayerBase,
    pub layers: Vec<LayerRef>,
}

impl Layer for NeuralNetwork {
    fn call(&mut self, x: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let mut x = x[0].clone();
        for l in &self.layers {
            x = l.call(&x)?;
        }
        Ok(vec![x])
    }
}

pub fn train(model: &Model, x: &Tensor, y: &Tensor) -> kiln::Result<f32> {
    let train_step = seed004::traced_train_step(model, x, y);
    for _ in 0..1001 {
        train_step.call(&[])?;
    }
    seed004::mean_absolute_error(model, x, y)
}

#[derive(Layer)]
pub struct Regression {
    pub base: LayerBase,
    pub layers: Vec<LayerRef>,
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

/// S004-9's model, `Regression` of `Dense(3, use_bias=False)` and `Dense(1, use_bias=False)`,
/// trained for 1001 traced steps; returns it with its mean absolute error.
pub fn dense_regression(x: &Tensor, y: &Tensor) -> kiln::Result<(Model, f32)> {
    let layers = [3usize, 1]
        .iter()
        .map(|&u| Dense::new(u).use_bias(false).into())
        .collect();
    let model = Model::from_layer(Regression {
        base: LayerBase::new("regression"),
        layers,
    });
    let mae = train(&model, x, y)?;
    Ok((model, mae))
}
