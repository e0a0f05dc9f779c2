//! `Rescaling`.

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::Result;

/// `keras.layers.Rescaling(scale, offset)`: `x * scale + offset`, e.g. `1/255` to bring
/// pixels to `[0, 1]`. Integer inputs are cast to f32 first.
///
/// ```
/// use kiln::layers::{LayerRef, Rescaling};
/// use kiln_tensor::Tensor;
/// let l = LayerRef::new(Rescaling::new(1.0 / 127.5).offset(-1.0));
/// let y = l.call(&Tensor::from_vec(vec![0u8, 255], &[2])?)?;
/// assert_eq!(y.to_vec::<f32>()?, vec![-1.0, 1.0]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct Rescaling {
    base: LayerBase,
    scale: f64,
    offset: f64,
}

impl Rescaling {
    /// Multiplies by `scale`.
    pub fn new(scale: f64) -> Rescaling {
        Rescaling {
            base: LayerBase::new("rescaling"),
            scale,
            offset: 0.0,
        }
    }
    /// Then adds `offset` (default 0).
    pub fn offset(mut self, offset: f64) -> Self {
        self.offset = offset;
        self
    }
}

common_builders!(Rescaling);
layer_state!(Rescaling, "Rescaling");

impl Layer for Rescaling {
    fn supports_masking(&self) -> bool {
        true
    }
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = one_input(inputs, "Rescaling")?;
        let x = if x.dtype().is_float() {
            x.clone()
        } else {
            x.cast(self.base.dtype)?
        };
        Ok(vec![x.mul_scalar(self.scale)?.add_scalar(self.offset)?])
    }
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        Some(Ok(input_shapes.to_vec()))
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.insert("scale".into(), json!(self.scale));
        c.insert("offset".into(), json!(self.offset));
        Value::Object(c)
    }
}
