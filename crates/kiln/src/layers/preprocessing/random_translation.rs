//! `RandomTranslation`.

use kiln_tensor::Tensor;
use serde_json::{Map, Value};

use super::augment::{axis_factor, Factor, Layout};
use super::random_transform::{config_factor, random_layer, RandomBase, RandomTransform, Resample};
use crate::layers::layer::LayerBase;
use crate::Result;

const API: &str = "RandomTranslation";

/// `keras.layers.RandomTranslation(height_factor, width_factor, fill_mode="reflect",
/// interpolation="bilinear", seed=None, fill_value=0.0, data_format=None)`: in training
/// shifts each image by `f * height` rows and `g * width` columns, `f` and `g` drawn
/// uniformly from their ranges (positive moves the content down / right). Inference
/// only casts to f32. Every factor number must lie in `[-1, 1]`. Output is f32,
/// resampled like TF's `ImageProjectiveTransformV3`; no gradient flows through it.
///
/// ```
/// use kiln::layers::{LayerRef, RandomTranslation};
/// use kiln_tensor::Tensor;
/// // Half the width to the right, constant fill 9.
/// let l = RandomTranslation::new(0.0, (0.5, 0.5))?.fill_mode("constant")?.fill_value(9.0);
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[1, 4, 1])?;
/// let y = LayerRef::new(l).call_training(&x, true)?.to_vec::<f32>()?;
/// assert_eq!(y, vec![9.0, 9.0, 1.0, 2.0]);
/// assert!(RandomTranslation::new(1.5, 0.0).is_err());
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct RandomTranslation {
    base: LayerBase,
    height_factor: Factor,
    width_factor: Factor,
    height_range: (f64, f64),
    width_range: (f64, f64),
    resample: Resample,
    random: RandomBase,
}

impl RandomTranslation {
    /// Shifts by fractions of the height and width (numbers in `[-1, 1]`).
    pub fn new(
        height_factor: impl Into<Factor>,
        width_factor: impl Into<Factor>,
    ) -> Result<RandomTranslation> {
        let (height_factor, width_factor) = (height_factor.into(), width_factor.into());
        Ok(RandomTranslation {
            base: LayerBase::new("random_translation"),
            height_range: axis_factor(API, "height_factor", height_factor, false)?,
            width_range: axis_factor(API, "width_factor", width_factor, false)?,
            height_factor,
            width_factor,
            resample: Resample::new(),
            random: RandomBase::new(),
        })
    }

    /// From a Keras config.
    pub(crate) fn from_config(c: &Value) -> Result<RandomTranslation> {
        let mut l = RandomTranslation::new(
            config_factor(API, c, "height_factor")?,
            config_factor(API, c, "width_factor")?,
        )?;
        l.resample = Resample::from_config(API, c)?;
        l.random = RandomBase::from_config(API, c)?;
        Ok(l)
    }

    /// Draws `n` (rows, columns) shifts in pixels (what a training call uses).
    pub fn random_translations(
        &mut self,
        n: usize,
        height: usize,
        width: usize,
    ) -> Result<Vec<(f32, f32)>> {
        let (lo, hi) = self.height_range;
        let dy = self.random.uniform(n, lo, hi)?;
        let (lo, hi) = self.width_range;
        let dx = self.random.uniform(n, lo, hi)?;
        Ok(dy
            .into_iter()
            .zip(dx)
            .map(|(dy, dx)| (dy * height as f32, dx * width as f32))
            .collect())
    }

    /// Shifts the images by the given (rows, columns) in pixels (one pair per image, or
    /// one for all); fractional shifts interpolate.
    ///
    /// ```
    /// use kiln::layers::RandomTranslation;
    /// use kiln_tensor::Tensor;
    /// let l = RandomTranslation::new(0.2, 0.2)?.fill_mode("nearest")?;
    /// let x = Tensor::from_vec(vec![0.0f32, 2.0, 4.0], &[1, 3, 1])?;
    /// assert_eq!(l.translate(&x, &[(0.0, -0.5)])?.to_vec::<f32>()?, vec![1.0, 3.0, 4.0]);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn translate(&self, x: &Tensor, shifts: &[(f32, f32)]) -> Result<Tensor> {
        let m: Vec<[f32; 8]> = shifts
            .iter()
            .map(|&(dy, dx)| [1.0, 0.0, -dx, 0.0, 1.0, -dy, 0.0, 0.0])
            .collect();
        self.resample.apply(API, x, self.random.data_format(), &m)
    }
}

impl RandomTransform for RandomTranslation {
    const API: &'static str = API;
    const INFERENCE_CASTS: bool = true;
    fn random_base(&self) -> &RandomBase {
        &self.random
    }
    fn transform_batch(&mut self, x: &Tensor, l: &Layout) -> Result<Tensor> {
        let shifts = self.random_translations(l.n, l.h, l.w)?;
        self.translate(x, &shifts)
    }
    fn resample(&self) -> Option<&Resample> {
        Some(&self.resample)
    }
    fn write_own_config(&self, c: &mut Map<String, Value>) {
        c.insert("height_factor".into(), self.height_factor.to_json());
        c.insert("width_factor".into(), self.width_factor.to_json());
    }
}

random_layer!(RandomTranslation, resample);
