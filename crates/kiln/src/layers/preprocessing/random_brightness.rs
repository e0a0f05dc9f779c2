//! `RandomBrightness`.

use kiln_tensor::Tensor;
use serde_json::{json, Map, Value};

use super::augment::{base_factor, invalid, Factor, Layout};
use super::random_transform::config_range;
use super::random_transform::{config_factor, random_layer, RandomBase, RandomTransform};
use crate::layers::layer::LayerBase;
use crate::Result;

const API: &str = "RandomBrightness";

/// `keras.layers.RandomBrightness(factor, value_range=(0, 255), seed=None)`: in training
/// adds `f * (max - min)` to each image, `f` drawn uniformly from the factor range, then
/// clips to `value_range`; inference returns the input unchanged. `factor` (numbers in
/// `[-1, 1]`): `f` means `[-f, f]`. Training needs float images (Keras's integer path
/// truncates the delta to the image dtype; kiln refuses it). Differentiable in `x`.
///
/// ```
/// use kiln::layers::{LayerRef, RandomBrightness};
/// use kiln_tensor::Tensor;
/// let l = LayerRef::new(RandomBrightness::new((0.1, 0.1))?);
/// let x = Tensor::from_vec(vec![0.0f32, 100.0, 250.0], &[1, 3, 1])?;
/// assert_eq!(l.call_training(&x, true)?.to_vec::<f32>()?, vec![25.5, 125.5, 255.0]);
/// assert!(RandomBrightness::new(1.5).is_err());
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct RandomBrightness {
    base: LayerBase,
    factor: (f64, f64),
    value_range: (f64, f64),
    random: RandomBase,
}

impl RandomBrightness {
    /// Brightness shifts of up to `factor` of the value range (numbers in `[-1, 1]`).
    pub fn new(factor: impl Into<Factor>) -> Result<RandomBrightness> {
        Ok(RandomBrightness {
            base: LayerBase::new("random_brightness"),
            factor: base_factor(API, factor.into(), (-1.0, 1.0))?,
            value_range: (0.0, 255.0),
            random: RandomBase::new(),
        })
    }

    /// From a Keras config.
    pub(crate) fn from_config(c: &Value) -> Result<RandomBrightness> {
        // seed_only: the layer is channels-last whatever the config says, as before.
        let (lo, hi) = config_range(API, c, "value_range", (0.0, 255.0))?;
        let mut l = RandomBrightness::new(config_factor(API, c, "factor")?)?.value_range(lo, hi);
        if let Some(seed) = c.get("seed").and_then(Value::as_u64) {
            l.random.set_seed(seed);
        }
        Ok(l)
    }
    /// The pixel range (default `(0, 255)`; sorted, as Keras does).
    pub fn value_range(mut self, lo: f64, hi: f64) -> Self {
        self.value_range = if lo <= hi { (lo, hi) } else { (hi, lo) };
        self
    }

    /// Draws `n` deltas in pixel units (what a training call uses).
    pub fn random_deltas(&mut self, n: usize) -> Result<Vec<f32>> {
        let (lo, hi) = self.factor;
        let span = (self.value_range.1 - self.value_range.0) as f32;
        Ok(self
            .random
            .uniform(n, lo, hi)?
            .into_iter()
            .map(|f| f * span)
            .collect())
    }

    /// Adds `deltas` (pixel units; one per image, or one for all) and clips to the range.
    ///
    /// ```
    /// use kiln::layers::RandomBrightness;
    /// use kiln_tensor::Tensor;
    /// let l = RandomBrightness::new(0.5)?.value_range(0.0, 1.0);
    /// let x = Tensor::from_vec(vec![0.25f32, 0.75], &[2, 1, 1, 1])?;
    /// assert_eq!(l.adjust(&x, &[1.0, -0.5])?.to_vec::<f32>()?, vec![1.0, 0.25]);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn adjust(&self, x: &Tensor, deltas: &[f32]) -> Result<Tensor> {
        let l = Layout::of(API, x, self.random.data_format())?;
        if !x.dtype().is_float() {
            return Err(invalid(
                API,
                format!(
                    "expected float images, got dtype {}; cast them first (Keras truncates the delta to the integer dtype)",
                    x.dtype().name()
                ),
            ));
        }
        if deltas.len() != 1 && deltas.len() != l.n {
            return Err(invalid(
                API,
                format!("expected 1 or {} deltas, got {}", l.n, deltas.len()),
            ));
        }
        let mut shape = l.per_image_shape();
        shape[0] = deltas.len();
        let d = Tensor::from_vec(deltas.to_vec(), &shape)?.cast(x.dtype())?;
        Ok(x.add(&d)?.clip(self.value_range.0, self.value_range.1)?)
    }
}

impl RandomTransform for RandomBrightness {
    const API: &'static str = API;
    const INFERENCE_CASTS: bool = false;
    fn random_base(&self) -> &RandomBase {
        &self.random
    }
    fn transform_batch(&mut self, x: &Tensor, l: &Layout) -> Result<Tensor> {
        let deltas = self.random_deltas(l.n)?;
        self.adjust(x, &deltas)
    }
    fn write_own_config(&self, c: &mut Map<String, Value>) {
        c.insert("factor".into(), json!([self.factor.0, self.factor.1]));
        c.insert(
            "value_range".into(),
            json!([self.value_range.0, self.value_range.1]),
        );
    }
}

random_layer!(RandomBrightness, seed_only);
