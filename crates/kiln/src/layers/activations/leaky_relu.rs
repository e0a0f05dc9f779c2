//! `LeakyReLU` layer.

use kiln_tensor::Tensor;

use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
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
#[derive(crate::layers::Layer)]
#[layer(builders)]
pub struct LeakyReLU {
    base: LayerBase,
    /// Slope for negative inputs (default 0.3, Keras's layer default).
    #[layer(default = 0.3)]
    negative_slope: f64,
}

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
}
