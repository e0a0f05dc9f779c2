//! `GaussianNoise` and `GaussianDropout`.

use kiln_tensor::random::Generator;
use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
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
pub struct GaussianNoise {
    base: LayerBase,
    stddev: f64,
    seed: Option<u64>,
    generator: Option<Generator>,
}

impl GaussianNoise {
    /// Noise with standard deviation `stddev` (>= 0).
    pub fn new(stddev: f64) -> GaussianNoise {
        GaussianNoise {
            base: LayerBase::new("gaussian_noise"),
            stddev,
            seed: None,
            generator: None,
        }
    }
    /// Seeds this layer's own random stream.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self.generator = Some(Generator::from_seed(seed));
        self
    }
}

common_builders!(GaussianNoise);
layer_state!(GaussianNoise, "GaussianNoise");

impl Layer for GaussianNoise {
    fn supports_masking(&self) -> bool {
        true
    }
    fn build(&mut self, _input_shapes: &[Shape]) -> Result<()> {
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
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.insert("stddev".into(), json!(self.stddev));
        c.insert("seed".into(), json!(self.seed));
        Value::Object(c)
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
pub struct GaussianDropout {
    base: LayerBase,
    rate: f64,
    seed: Option<u64>,
    generator: Option<Generator>,
}

impl GaussianDropout {
    /// Dropout-equivalent `rate` in `[0, 1)`.
    pub fn new(rate: f64) -> GaussianDropout {
        GaussianDropout {
            base: LayerBase::new("gaussian_dropout"),
            rate,
            seed: None,
            generator: None,
        }
    }
    /// Seeds this layer's own random stream.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self.generator = Some(Generator::from_seed(seed));
        self
    }
}

common_builders!(GaussianDropout);
layer_state!(GaussianDropout, "GaussianDropout");

impl Layer for GaussianDropout {
    fn supports_masking(&self) -> bool {
        true
    }
    fn build(&mut self, _input_shapes: &[Shape]) -> Result<()> {
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
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.insert("rate".into(), json!(self.rate));
        c.insert("seed".into(), json!(self.seed));
        Value::Object(c)
    }
}
