//! `ELU` layer.

use kiln_tensor::Tensor;

use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
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
#[derive(crate::layers::Layer)]
#[layer(builders)]
pub struct ELU {
    base: LayerBase,
    /// Scale of the negative part (default 1.0).
    #[layer(default = 1.0)]
    alpha: f64,
}

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
}
