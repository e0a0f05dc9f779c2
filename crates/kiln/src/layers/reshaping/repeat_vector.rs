//! `RepeatVector`.

use kiln_tensor::Tensor;

use crate::layers::layer::{one_input, CallContext, InputSpec, Layer, LayerBase, Shape};
use crate::Result;

/// `keras.layers.RepeatVector`: `(batch, features)` to `(batch, n, features)`.
///
/// ```
/// use kiln::layers::{LayerRef, RepeatVector};
/// use kiln_tensor::{DType, Tensor};
/// let y = LayerRef::new(RepeatVector::new(3)).call(&Tensor::zeros(&[2, 4], DType::F32))?;
/// assert_eq!(y.shape(), &[2, 3, 4]);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(crate::layers::Layer)]
#[layer(builders)]
pub struct RepeatVector {
    base: LayerBase,
    /// How many times the input is repeated.
    n: usize,
}

impl Layer for RepeatVector {
    fn build(&mut self, _input_shapes: &[Shape]) -> Result<()> {
        self.base.input_spec = Some(vec![InputSpec::ndim(2)]);
        Ok(())
    }
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = one_input(inputs, "RepeatVector")?;
        let s = x.shape().to_vec();
        Ok(vec![x
            .expand_dims(1)?
            .broadcast_to(&[s[0], self.n, s[1]])?
            .contiguous()])
    }
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let s = input_shapes.first()?;
        Some(Ok(vec![vec![
            s[0],
            Some(self.n),
            s.get(1).copied().flatten(),
        ]]))
    }
}
