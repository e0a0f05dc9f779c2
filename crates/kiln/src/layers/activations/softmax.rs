//! `Softmax` layer.

use kiln_tensor::Tensor;

use crate::layers::layer::{CallContext, Layer, LayerBase, Shape};
use crate::{Error, Result};

/// `keras.layers.Softmax(axis=-1)`. An optional second input is a mask (true = keep):
/// masked positions get a large negative logit (Keras adds -1e9) before the softmax.
///
/// ```
/// use kiln::layers::{LayerRef, Softmax};
/// use kiln_tensor::Tensor;
/// let y = LayerRef::new(Softmax::new()).call(&Tensor::from_vec(vec![0.0f32, 0.0], &[1, 2])?)?;
/// assert_eq!(y.to_vec::<f32>()?, vec![0.5, 0.5]);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(crate::layers::Layer)]
#[layer(builders)]
pub struct Softmax {
    base: LayerBase,
    /// The axis (default -1, the last).
    #[layer(default = -1)]
    axis: isize,
}

impl Layer for Softmax {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        match inputs {
            [x] => Ok(vec![x.softmax(self.axis)?]),
            [x, mask] => {
                let keep = mask.cast(x.dtype())?;
                let penalty = keep.neg()?.add_scalar(1.0)?.mul_scalar(-1e9)?;
                Ok(vec![x.add(&penalty)?.softmax(self.axis)?])
            }
            _ => Err(Error::InvalidArgument {
                api: "Softmax.call",
                msg: format!(
                    "expects an input and an optional mask, got {} tensors",
                    inputs.len()
                ),
            }),
        }
    }
    fn compute_output_shape(&self, s: &[Shape]) -> Option<Result<Vec<Shape>>> {
        Some(Ok(s[..1.min(s.len())].to_vec()))
    }
}
