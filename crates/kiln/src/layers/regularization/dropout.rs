//! `Dropout`.

use kiln_tensor::random::Generator;
use kiln_tensor::Tensor;

use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::{Error, Result};

/// `keras.layers.Dropout`: in training, zeroes a `rate` fraction of the inputs and scales
/// the rest by `1 / (1 - rate)`; the identity in inference.
///
/// ```
/// use kiln::layers::{Dropout, LayerRef};
/// use kiln_tensor::{DType, Tensor};
/// let d = LayerRef::new(Dropout::new(0.5).seed(1));
/// let x = Tensor::ones(&[1000], DType::F32);
/// let y = d.call_training(&x, true)?.to_vec::<f32>()?;
/// assert!(y.iter().all(|&v| v == 0.0 || v == 2.0));
/// assert!(Dropout::new(1.5).validate().is_err());
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(crate::layers::Layer)]
#[layer(builders)]
pub struct Dropout {
    base: LayerBase,
    /// The fraction of the inputs to drop, in `[0, 1)`.
    rate: f64,
    /// The mask shape (`None` entries take the input's size), e.g. `[None, Some(1), None]`
    /// to drop whole timesteps' features consistently.
    #[layer(default)]
    noise_shape: Option<Vec<Option<usize>>>,
    /// Seeds this layer's own random stream (else the global one is used).
    #[layer(default)]
    seed: Option<u64>,
    #[layer(init = Option::<Generator>::None)]
    generator: Option<Generator>,
}

impl Dropout {
    /// Checks the rate (Keras raises on construction).
    pub fn validate(&self) -> Result<()> {
        if !(0.0..1.0).contains(&self.rate) {
            return Err(Error::InvalidArgument {
                api: "Dropout",
                msg: format!("rate must be in [0, 1), got {}", self.rate),
            });
        }
        Ok(())
    }
}

impl Layer for Dropout {
    fn supports_masking(&self) -> bool {
        true
    }
    fn build(&mut self, _input_shapes: &[Shape]) -> Result<()> {
        if self.generator.is_none() {
            self.generator = self.seed.map(Generator::from_seed);
        }
        self.validate()
    }
    fn call(&mut self, inputs: &[Tensor], ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = one_input(inputs, "Dropout")?;
        if !ctx.training || self.rate == 0.0 {
            return Ok(vec![x.clone()]);
        }
        let y = match &self.noise_shape {
            None => x.dropout(self.rate, self.generator.as_mut())?,
            Some(ns) => {
                let shape: Vec<usize> = ns
                    .iter()
                    .zip(x.shape())
                    .map(|(n, &d)| n.unwrap_or(d))
                    .collect();
                x.dropout_noise_shape(self.rate, &shape, self.generator.as_mut())?
            }
        };
        Ok(vec![y])
    }
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        Some(Ok(input_shapes.to_vec()))
    }
}
