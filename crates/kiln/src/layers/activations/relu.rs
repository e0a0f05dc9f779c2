//! `ReLU` layer.

use kiln_tensor::Tensor;

use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::{Error, Result};

/// `keras.layers.ReLU(max_value, negative_slope, threshold)`:
/// `max_value` above it, `x` on `[threshold, max_value)`, `negative_slope * (x - threshold)`
/// below the threshold.
///
/// ```
/// use kiln::layers::{LayerRef, ReLU};
/// use kiln_tensor::Tensor;
/// let r = LayerRef::new(ReLU::new().max_value(1.0));
/// let y = r.call(&Tensor::from_vec(vec![-1.0f32, 0.5, 3.0], &[3])?)?;
/// assert_eq!(y.to_vec::<f32>()?, vec![0.0, 0.5, 1.0]);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(crate::layers::Layer)]
#[layer(builders)]
pub struct ReLU {
    base: LayerBase,
    /// Caps the output (default none).
    #[layer(default)]
    max_value: Option<f64>,
    /// Slope below the threshold (default 0).
    #[layer(default = 0.0)]
    negative_slope: f64,
    /// Where the activation starts (default 0).
    #[layer(default = 0.0)]
    threshold: f64,
}

/// Keras's `relu(x, negative_slope, max_value, threshold)`, step by step.
pub(crate) fn relu_general(
    x: &Tensor,
    negative_slope: f64,
    max_value: Option<f64>,
    threshold: f64,
) -> Result<Tensor> {
    if negative_slope != 0.0 && max_value.is_none() && threshold == 0.0 {
        return Ok(x.leaky_relu(negative_slope)?);
    }
    let negative_part = if negative_slope != 0.0 {
        Some(if threshold != 0.0 {
            x.neg()?.add_scalar(threshold)?.relu()?
        } else {
            x.neg()?.relu()?
        })
    } else {
        None
    };
    let mut clip_max = max_value.is_some();
    let mut y = if threshold != 0.0 {
        let keep = x.greater(&Tensor::scalar_of(threshold, x.dtype()))?;
        x.mul(&keep.cast(x.dtype())?)?
    } else if max_value == Some(6.0) {
        clip_max = false;
        x.relu6()?
    } else {
        x.relu()?
    };
    if clip_max {
        y = y.clip(0.0, max_value.unwrap_or(f64::INFINITY))?;
    }
    if let Some(n) = negative_part {
        y = y.sub(&n.mul_scalar(negative_slope)?)?;
    }
    Ok(y)
}

impl Layer for ReLU {
    fn supports_masking(&self) -> bool {
        true
    }
    fn build(&mut self, _s: &[Shape]) -> Result<()> {
        if self.max_value.is_some_and(|m| m < 0.0) || self.negative_slope < 0.0 {
            return Err(Error::InvalidArgument {
                api: "ReLU",
                msg: format!(
                    "max_value and negative_slope must be >= 0, got {:?} and {}",
                    self.max_value, self.negative_slope
                ),
            });
        }
        Ok(())
    }
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = one_input(inputs, "ReLU")?;
        Ok(vec![relu_general(
            x,
            self.negative_slope,
            self.max_value,
            self.threshold,
        )?])
    }
    fn compute_output_shape(&self, s: &[Shape]) -> Option<Result<Vec<Shape>>> {
        Some(Ok(s.to_vec()))
    }
}
