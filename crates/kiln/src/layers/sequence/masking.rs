//! `Masking`: marks timesteps whose features all equal a value as padding.

use kiln_tensor::Tensor;

use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::Result;

/// `keras.layers.Masking(mask_value=0.0)`: a timestep (all but the last axis) is masked
/// when every feature equals `mask_value`; masked timesteps are zeroed in the output and
/// the mask (`[batch, time]`, true = keep) goes to the following layers.
///
/// ```
/// use kiln::layers::{LayerRef, Masking};
/// use kiln_tensor::Tensor;
/// let m = LayerRef::new(Masking::new(0.0));
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 0.0, 0.0], &[1, 2, 2])?;
/// let (y, masks) = m.call_with_masks(&[x], &[], None)?;
/// assert_eq!(masks[0].as_ref().unwrap().to_vec::<bool>()?, vec![true, false]);
/// assert_eq!(y[0].to_vec::<f32>()?, vec![1.0, 2.0, 0.0, 0.0]);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(crate::layers::Layer)]
#[layer(builders)]
pub struct Masking {
    base: LayerBase,
    /// Inputs whose every feature equals it are masked.
    mask_value: f64,
}

impl Masking {
    fn keep(&self, x: &Tensor) -> Result<Tensor> {
        let v = Tensor::full(&[], self.mask_value, x.dtype());
        Ok(x.not_equal(&v)?.any(&[-1], true)?)
    }
}

impl Layer for Masking {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = one_input(inputs, "Masking")?;
        let keep = self.keep(x)?.cast(x.dtype())?;
        Ok(vec![x.mul(&keep)?])
    }
    fn supports_masking(&self) -> bool {
        true
    }
    fn compute_mask(
        &self,
        inputs: &[Tensor],
        _m: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        let x = one_input(inputs, "Masking")?;
        Ok(vec![Some(self.keep(x)?.squeeze(&[-1])?)])
    }
    fn compute_output_shape(&self, s: &[Shape]) -> Option<Result<Vec<Shape>>> {
        Some(Ok(s[..1.min(s.len())].to_vec()))
    }
}
