//! `ActivityRegularization`.

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::regularizers::Regularizer;
use crate::Result;

/// `keras.layers.ActivityRegularization`: passes its input through unchanged and adds
/// `l1 * sum(|x|) + l2 * sum(x^2)` of it to the model's losses (Keras's activity
/// regularizer mechanism).
///
/// ```
/// use kiln::layers::{ActivityRegularization, LayerRef};
/// use kiln_tensor::Tensor;
/// let l = LayerRef::new(ActivityRegularization::new(0.0, 0.5));
/// let x = Tensor::from_vec(vec![1.0f32, -2.0], &[1, 2])?;
/// assert_eq!(l.call(&x)?.to_vec::<f32>()?, vec![1.0, -2.0]);
/// assert_eq!(l.losses()?[0].item::<f32>()?, 2.5);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct ActivityRegularization {
    base: LayerBase,
    l1: f64,
    l2: f64,
}

impl ActivityRegularization {
    /// L1 and L2 factors (Keras's defaults are 0.0 and 0.0).
    pub fn new(l1: f64, l2: f64) -> ActivityRegularization {
        let mut base = LayerBase::new("activity_regularization");
        base.activity_regularizer = Some(Regularizer::L1L2 { l1, l2 });
        ActivityRegularization { base, l1, l2 }
    }
}

common_builders!(ActivityRegularization);
layer_state!(ActivityRegularization, "ActivityRegularization");

impl Layer for ActivityRegularization {
    fn supports_masking(&self) -> bool {
        true
    }
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        Ok(vec![one_input(inputs, "ActivityRegularization")?.clone()])
    }
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        Some(Ok(input_shapes.to_vec()))
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.remove("activity_regularizer");
        c.insert("l1".into(), json!(self.l1));
        c.insert("l2".into(), json!(self.l2));
        Value::Object(c)
    }
}
