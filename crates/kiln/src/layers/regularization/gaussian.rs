//! `GaussianNoise` and `GaussianDropout`.

use kiln_tensor::random::Generator;
use kiln_tensor::Tensor;

use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::{Error, Result};

/// Normal noise of `x`'s shape and float dtype from the layer's stream or the global one.
fn noise(rng: Option<&mut Generator>, x: &Tensor, mean: f64, stddev: f64) -> Result<Tensor> {
    let dt = if x.dtype().is_float() {
        x.dtype()
    } else {
        kiln_tensor::DType::F32
    };
    Ok(match rng {
        Some(g) => g.normal(x.shape(), mean, stddev, dt)?,
        None => kiln_tensor::random::normal(x.shape(), mean, stddev, dt)?,
    })
}

/// `keras.layers.GaussianNoise`: in training adds zero-mean normal noise of standard
/// deviation `stddev`; the identity in inference.
///
/// ```
/// use kiln::layers::{GaussianNoise, LayerRef};
/// use kiln_tensor::{DType, Tensor};
/// let l = LayerRef::new(GaussianNoise::new(0.1).seed(3));
/// let x = Tensor::zeros(&[1000], DType::F32);
/// assert_eq!(l.call(&x)?.to_vec::<f32>()?, vec![0.0; 1000]);
/// let y = l.call_training(&x, true)?.to_vec::<f32>()?;
/// let sd = (y.iter().map(|v| v * v).sum::<f32>() / 1000.0).sqrt();
/// assert!((sd - 0.1).abs() < 0.01);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(crate::layers::Layer)]
#[layer(builders)]
pub struct GaussianNoise {
    base: LayerBase,
    /// The noise's standard deviation (>= 0).
    stddev: f64,
    /// Seeds this layer's own random stream (else the global one is used).
    #[layer(default)]
    seed: Option<u64>,
    #[layer(init = Option::<Generator>::None)]
    generator: Option<Generator>,
}

impl Layer for GaussianNoise {
    fn supports_masking(&self) -> bool {
        true
    }
    fn build(&mut self, _input_shapes: &[Shape]) -> Result<()> {
        if self.generator.is_none() {
            self.generator = self.seed.map(Generator::from_seed);
        }
        if self.stddev.is_nan() || self.stddev < 0.0 {
            return Err(Error::InvalidArgument {
                api: "GaussianNoise",
                msg: format!("stddev must be a non-negative number, got {}", self.stddev),
            });
        }
        Ok(())
    }
    fn call(&mut self, inputs: &[Tensor], ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = one_input(inputs, "GaussianNoise")?;
        if !ctx.training || self.stddev == 0.0 {
            return Ok(vec![x.clone()]);
        }
        let n = noise(self.generator.as_mut(), x, 0.0, self.stddev)?;
        Ok(vec![x.add(&n)?])
    }
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        Some(Ok(input_shapes.to_vec()))
    }
}

/// `keras.layers.GaussianDropout`: in training multiplies by normal noise of mean 1 and
/// standard deviation `sqrt(rate / (1 - rate))`; the identity in inference.
///
/// ```
/// use kiln::layers::{GaussianDropout, LayerRef};
/// use kiln_tensor::{DType, Tensor};
/// let l = LayerRef::new(GaussianDropout::new(0.5).seed(1));
/// let x = Tensor::ones(&[4], DType::F32);
/// assert_eq!(l.call(&x)?.to_vec::<f32>()?, vec![1.0; 4]);
/// assert!(LayerRef::new(GaussianDropout::new(1.0)).call(&x).is_err());
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(crate::layers::Layer)]
#[layer(builders)]
pub struct GaussianDropout {
    base: LayerBase,
    /// The dropout-equivalent rate, in `[0, 1)`; the noise's deviation is `sqrt(rate / (1 - rate))`.
    rate: f64,
    /// Seeds this layer's own random stream (else the global one is used).
    #[layer(default)]
    seed: Option<u64>,
    #[layer(init = Option::<Generator>::None)]
    generator: Option<Generator>,
}

impl Layer for GaussianDropout {
    fn supports_masking(&self) -> bool {
        true
    }
    fn build(&mut self, _input_shapes: &[Shape]) -> Result<()> {
        if self.generator.is_none() {
            self.generator = self.seed.map(Generator::from_seed);
        }
        if !(0.0..1.0).contains(&self.rate) {
            return Err(Error::InvalidArgument {
                api: "GaussianDropout",
                msg: format!("rate must be in [0, 1), got {}", self.rate),
            });
        }
        Ok(())
    }
    fn call(&mut self, inputs: &[Tensor], ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = one_input(inputs, "GaussianDropout")?;
        if !ctx.training || self.rate == 0.0 {
            return Ok(vec![x.clone()]);
        }
        let sd = (self.rate / (1.0 - self.rate)).sqrt();
        let n = noise(self.generator.as_mut(), x, 1.0, sd)?;
        Ok(vec![x.mul(&n)?])
    }
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        Some(Ok(input_shapes.to_vec()))
    }
}
