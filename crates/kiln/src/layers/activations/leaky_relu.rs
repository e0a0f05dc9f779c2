//! `LeakyReLU` layer.

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::Result;

/// `keras.layers.LeakyReLU(negative_slope=0.3)`.
///
/// ```
/// use kiln::layers::{LayerRef, LeakyReLU};
/// use kiln_tensor::Tensor;
/// let y = LayerRef::new(LeakyReLU::new()).call(&Tensor::from_vec(vec![-1.0f32, 2.0], &[2])?)?;
/// assert!((y.to_vec::<f32>()?[0] + 0.3).abs() < 1e-7);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct LeakyReLU {
    base: LayerBase,
    negative_slope: f64,
}

impl LeakyReLU {
    /// Slope 0.3 (Keras's layer default).
    pub fn new() -> LeakyReLU {
        LeakyReLU {
            base: LayerBase::new("leaky_re_lu"),
            negative_slope: 0.3,
        }
    }
    /// Sets the slope for negative inputs.
    pub fn negative_slope(mut self, v: f64) -> LeakyReLU {
        self.negative_slope = v;
        self
    }
}

impl Default for LeakyReLU {
    fn default() -> Self {
        LeakyReLU::new()
    }
}

common_builders!(LeakyReLU);

layer_state!(LeakyReLU, "LeakyReLU");

impl Layer for LeakyReLU {
    fn supports_masking(&self) -> bool {
        true
    }
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        Ok(vec![
            one_input(inputs, "LeakyReLU")?.leaky_relu(self.negative_slope)?
        ])
    }
    fn compute_output_shape(&self, s: &[Shape]) -> Option<Result<Vec<Shape>>> {
        Some(Ok(s.to_vec()))
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.insert("negative_slope".into(), json!(self.negative_slope));
        Value::Object(c)
    }
}
