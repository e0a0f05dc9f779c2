//! `Identity`: returns its input.

use kiln_tensor::Tensor;

use crate::layers::layer::{CallContext, Layer, LayerBase, Shape};
use crate::Result;

/// `keras.layers.Identity`: a placeholder layer that passes its inputs through.
///
/// ```
/// use kiln::layers::{Identity, LayerRef};
/// use kiln_tensor::{DType, Tensor};
/// let x = Tensor::ones(&[2, 2], DType::F32);
/// assert_eq!(LayerRef::new(Identity::new()).call(&x)?.to_vec::<f32>()?, vec![1.0; 4]);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(crate::layers::Layer)]
#[layer(builders)]
pub struct Identity {
    base: LayerBase,
}

impl Layer for Identity {
    fn supports_masking(&self) -> bool {
        true
    }
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        Ok(inputs.to_vec())
    }
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        Some(Ok(input_shapes.to_vec()))
    }
}
