//! `Rescaling`.

use kiln_tensor::Tensor;

use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
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
#[derive(crate::layers::Layer)]
#[layer(builders)]
pub struct Rescaling {
    base: LayerBase,
    /// Multiplies the inputs.
    scale: f64,
    /// Added after scaling (default 0).
    #[layer(default = 0.0)]
    offset: f64,
}

impl Layer for Rescaling {
    fn supports_masking(&self) -> bool {
        true
    }
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = one_input(inputs, "Rescaling")?;
        let x = if x.dtype().is_float() {
            x.clone()
        } else {
            x.cast(self.base.compute_dtype())?
        };
        Ok(vec![x.mul_scalar(self.scale)?.add_scalar(self.offset)?])
    }
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        Some(Ok(input_shapes.to_vec()))
    }
}
