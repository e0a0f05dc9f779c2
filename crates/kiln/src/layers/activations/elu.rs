//! `ELU` layer.

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::Result;

/// `keras.layers.ELU(alpha=1.0)`.
///
/// ```
/// use kiln::layers::{LayerRef, ELU};
/// use kiln_tensor::Tensor;
/// let y = LayerRef::new(ELU::new()).call(&Tensor::from_vec(vec![0.0f32, 2.0], &[2])?)?;
/// assert_eq!(y.to_vec::<f32>()?, vec![0.0, 2.0]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct ELU {
    base: LayerBase,
    alpha: f64,
}

impl ELU {
    /// Alpha 1.
    pub fn new() -> ELU {
        ELU {
            base: LayerBase::new("elu"),
            alpha: 1.0,
        }
    }
    /// Sets alpha.
    pub fn alpha(mut self, v: f64) -> ELU {
        self.alpha = v;
        self
    }
}

impl Default for ELU {
    fn default() -> Self {
        ELU::new()
    }
}

common_builders!(ELU);

layer_state!(ELU, "ELU");

impl Layer for ELU {
    fn supports_masking(&self) -> bool {
        true
    }
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        Ok(vec![one_input(inputs, "ELU")?.elu(self.alpha)?])
    }
    fn compute_output_shape(&self, s: &[Shape]) -> Option<Result<Vec<Shape>>> {
        Some(Ok(s.to_vec()))
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.insert("alpha".into(), json!(self.alpha));
        Value::Object(c)
    }
}
