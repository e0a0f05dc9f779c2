//! `Activation`: applies an activation function by name.

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::activations::Activation as Act;
use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

/// `keras.layers.Activation`.
///
/// ```
/// use kiln::layers::{Activation, LayerRef};
/// use kiln_tensor::Tensor;
/// let a = LayerRef::new(Activation::new("relu"));
/// let y = a.call(&Tensor::from_vec(vec![-1.0f32, 1.0], &[1, 2])?)?;
/// assert_eq!(y.to_vec::<f32>()?, vec![0.0, 1.0]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct Activation {
    base: LayerBase,
    activation: std::result::Result<Act, String>,
}

impl Activation {
    /// An activation layer for a Keras activation name (an unknown name fails on call).
    pub fn new(name: &str) -> Activation {
        Activation {
            base: LayerBase::new("activation"),
            activation: Act::get(name).map_err(|e| e.to_string()),
        }
    }
}

common_builders!(Activation);

layer_state!(Activation, "Activation");

impl Layer for Activation {
    fn supports_masking(&self) -> bool {
        true
    }
    fn build(&mut self, _input_shapes: &[Shape]) -> Result<()> {
        self.activation
            .as_ref()
            .map(|_| ())
            .map_err(|e| Error::InvalidArgument {
                api: "Activation",
                msg: e.clone(),
            })
    }
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = one_input(inputs, "Activation")?;
        Ok(vec![self
            .activation
            .clone()
            .unwrap_or_default()
            .apply(x)?])
    }
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        Some(Ok(input_shapes.to_vec()))
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.insert(
            "activation".into(),
            json!(self.activation.clone().unwrap_or_default().name()),
        );
        Value::Object(c)
    }
}
