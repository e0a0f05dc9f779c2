//! `RandomContrast`.

use kiln_tensor::Tensor;
use serde_json::{json, Map, Value};

use super::augment::{base_factor, invalid, Factor, Layout};
use super::random_transform::config_range;
use super::random_transform::{config_factor, random_layer, RandomBase, RandomTransform};
use crate::layers::layer::LayerBase;
use crate::Result;

const API: &str = "RandomContrast";

/// `keras.layers.RandomContrast(factor, value_range=(0, 255), seed=None)`: in training
/// each image becomes `(x - mean) * c + mean` (mean over height and width, per channel),
/// clipped to `value_range`, with `c` drawn uniformly from `[1 - lower, 1 + upper]`;
/// inference returns the input unchanged. `factor` numbers lie in `[0, 1]`; as in Keras a
/// single `f` gives `(lower, upper) = (0, f)`, so `c` is in `[1, 1 + f]` (pass `(f, f)` for
/// `[1 - f, 1 + f]`). Training needs float images (Keras fails on integer ones).
/// Differentiable in `x`.
///
/// ```
/// use kiln::layers::RandomContrast;
/// use kiln_tensor::Tensor;
/// let l = RandomContrast::new(0.5)?;
/// let x = Tensor::from_vec(vec![10.0f32, 20.0, 30.0, 40.0], &[2, 2, 1])?;
/// let y = l.adjust(&x, &[2.0])?; // mean 25
/// assert_eq!(y.to_vec::<f32>()?, vec![0.0, 15.0, 35.0, 55.0]);
/// assert!(RandomContrast::new(-0.3).is_err());
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct RandomContrast {
    base: LayerBase,
    factor: (f64, f64),
    value_range: (f64, f64),
    random: RandomBase,
}

impl RandomContrast {
    /// Contrast factors from `factor` (numbers in `[0, 1]`).
    pub fn new(factor: impl Into<Factor>) -> Result<RandomContrast> {
        Ok(RandomContrast {
            base: LayerBase::new("random_contrast"),
            factor: base_factor(API, factor.into(), (0.0, 1.0))?,
            value_range: (0.0, 255.0),
            random: RandomBase::new(),
        })
    }

    /// From a Keras config.
    pub(crate) fn from_config(c: &Value) -> Result<RandomContrast> {
        let (lo, hi) = config_range(API, c, "value_range", (0.0, 255.0))?;
        let mut l = RandomContrast::new(config_factor(API, c, "factor")?)?.value_range(lo, hi);
        l.random = RandomBase::from_config(API, c)?;
        Ok(l)
    }
    /// The clipping range (default `(0, 255)`; kept as given, as Keras does).
    pub fn value_range(mut self, lo: f64, hi: f64) -> Self {
        self.value_range = (lo, hi);
        self
    }

    /// Draws `n` contrast factors (what a training call uses).
    pub fn random_factors(&mut self, n: usize) -> Result<Vec<f32>> {
        let (lo, hi) = self.factor;
        self.random.uniform(n, 1.0 - lo, 1.0 + hi)
    }

    /// Scales each image's deviation from its per-channel mean by its factor (one per
    /// image, or one for all), then clips to the value range.
    pub fn adjust(&self, x: &Tensor, factors: &[f32]) -> Result<Tensor> {
        let l = Layout::of(API, x, self.random.data_format())?;
        if !x.dtype().is_float() {
            return Err(invalid(
                API,
                format!(
                    "expected float images, got dtype {}; cast them first",
                    x.dtype().name()
                ),
            ));
        }
        if factors.len() != 1 && factors.len() != l.n {
            return Err(invalid(
                API,
                format!("expected 1 or {} factors, got {}", l.n, factors.len()),
            ));
        }
        let mut shape = l.per_image_shape();
        shape[0] = factors.len();
        let c = Tensor::from_vec(factors.to_vec(), &shape)?.cast(x.dtype())?;
        let (ha, wa) = l.spatial_axes();
        let mean = x.mean(&[ha, wa], true)?;
        let y = x.sub(&mean)?.mul(&c)?.add(&mean)?;
        Ok(y.clip(self.value_range.0, self.value_range.1)?)
    }
}

impl RandomTransform for RandomContrast {
    const API: &'static str = API;
    const INFERENCE_CASTS: bool = false;
    fn random_base(&self) -> &RandomBase {
        &self.random
    }
    fn transform_batch(&mut self, x: &Tensor, l: &Layout) -> Result<Tensor> {
        let factors = self.random_factors(l.n)?;
        self.adjust(x, &factors)
    }
    fn write_own_config(&self, c: &mut Map<String, Value>) {
        c.insert("factor".into(), json!([self.factor.0, self.factor.1]));
        c.insert(
            "value_range".into(),
            json!([self.value_range.0, self.value_range.1]),
        );
    }
}

random_layer!(RandomContrast);
