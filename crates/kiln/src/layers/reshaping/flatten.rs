//! `Flatten`.

use kiln_tensor::Tensor;

use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::Result;

/// `keras.layers.Flatten`: `(batch, d1, d2, ...)` to `(batch, d1 * d2 * ...)`.
///
/// ```
/// use kiln::layers::{Flatten, LayerRef};
/// use kiln_tensor::{DType, Tensor};
/// let y = LayerRef::new(Flatten::new()).call(&Tensor::zeros(&[2, 28, 28], DType::F32))?;
/// assert_eq!(y.shape(), &[2, 784]);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(crate::layers::Layer)]
#[layer(builders)]
pub struct Flatten {
    base: LayerBase,
}

impl Layer for Flatten {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = one_input(inputs, "Flatten")?;
        let batch = x.shape().first().copied().unwrap_or(1);
        if x.rank() == 1 {
            return Ok(vec![x.reshape(&[batch as isize, 1])?]);
        }
        let rest: usize = x.shape()[1..].iter().product();
        Ok(vec![x.reshape(&[batch as isize, rest as isize])?])
    }
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let s = input_shapes.first()?;
        let rest = s[1.min(s.len())..]
            .iter()
            .try_fold(1usize, |acc, d| d.map(|d| acc * d));
        Some(Ok(vec![vec![s.first().copied().flatten(), rest]]))
    }
}
