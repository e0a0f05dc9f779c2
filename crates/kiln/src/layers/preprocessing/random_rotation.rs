//! `RandomRotation`.

use kiln_tensor::Tensor;
use serde_json::{json, Map, Value};

use super::augment::{base_factor, Factor, Layout};
use super::random_transform::{config_factor, random_layer, RandomBase, RandomTransform, Resample};
use crate::layers::layer::LayerBase;
use crate::Result;

const API: &str = "RandomRotation";

/// `keras.layers.RandomRotation(factor, fill_mode="reflect", interpolation="bilinear",
/// seed=None, fill_value=0.0, data_format=None)`: in training rotates each image by an
/// angle drawn uniformly from `[lower * 360, upper * 360]` degrees (positive is
/// counter-clockwise) about its centre, resampled like TF's `ImageProjectiveTransformV3`;
/// in inference only casts to f32. `factor` is a fraction of a full turn: `f` means
/// `[-f, f]`, a pair `(lower, upper)`. Output is f32; no gradient flows through the
/// resampling (Keras's augmentation layers sit before the trainable part of a model).
///
/// ```
/// use kiln::layers::{LayerRef, RandomRotation};
/// use kiln_tensor::Tensor;
/// // A quarter turn counter-clockwise: the top row becomes the left column, reversed.
/// let l = LayerRef::new(RandomRotation::new((0.25, 0.25))?.interpolation("nearest")?);
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2, 1])?;
/// assert_eq!(l.call_training(&x, true)?.to_vec::<f32>()?, vec![2.0, 4.0, 1.0, 3.0]);
/// assert_eq!(l.call(&x)?.to_vec::<f32>()?, vec![1.0, 2.0, 3.0, 4.0]);
/// assert!(RandomRotation::new(1.5).is_err());
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct RandomRotation {
    base: LayerBase,
    factor: (f64, f64),
    resample: Resample,
    random: RandomBase,
}

impl RandomRotation {
    /// Rotations by up to `factor` of a full turn; `factor` must lie in `[-1, 1]`.
    pub fn new(factor: impl Into<Factor>) -> Result<RandomRotation> {
        Ok(RandomRotation {
            base: LayerBase::new("random_rotation"),
            factor: base_factor(API, factor.into(), (-1.0, 1.0))?,
            resample: Resample::new(),
            random: RandomBase::new(),
        })
    }

    /// From a Keras config.
    pub(crate) fn from_config(c: &Value) -> Result<RandomRotation> {
        let mut l = RandomRotation::new(config_factor(API, c, "factor")?)?;
        l.resample = Resample::from_config(API, c)?;
        l.random = RandomBase::from_config(API, c)?;
        Ok(l)
    }

    /// Draws `n` angles in degrees from the layer's range (what a training call uses).
    pub fn random_angles(&mut self, n: usize) -> Result<Vec<f32>> {
        let (lo, hi) = self.factor;
        self.random.uniform(n, lo * 360.0, hi * 360.0)
    }

    /// Rotates the images by the given angles in degrees (one per image, or one for all),
    /// counter-clockwise about the centre, with the layer's fill and interpolation.
    ///
    /// ```
    /// use kiln::layers::RandomRotation;
    /// use kiln_tensor::Tensor;
    /// let l = RandomRotation::new(0.5)?.interpolation("nearest")?;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2, 1])?;
    /// assert_eq!(l.rotate(&x, &[180.0])?.to_vec::<f32>()?, vec![4.0, 3.0, 2.0, 1.0]);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn rotate(&self, x: &Tensor, angles: &[f32]) -> Result<Tensor> {
        let l = Layout::of(API, x, self.random.data_format())?;
        let (cx, cy) = (0.5 * (l.w as f32 - 1.0), 0.5 * (l.h as f32 - 1.0));
        let deg = std::f32::consts::PI / 180.0;
        let m: Vec<[f32; 8]> = angles
            .iter()
            .map(|a| {
                let (s, c) = (a * deg).sin_cos();
                let (a0, a1, b0, b1) = (c, -s, s, c);
                [
                    a0,
                    a1,
                    cx - cx * a0 - cy * a1,
                    b0,
                    b1,
                    cy - cx * b0 - cy * b1,
                    0.0,
                    0.0,
                ]
            })
            .collect();
        self.resample.apply(API, x, self.random.data_format(), &m)
    }
}

impl RandomTransform for RandomRotation {
    const API: &'static str = API;
    const INFERENCE_CASTS: bool = true;
    fn random_base(&self) -> &RandomBase {
        &self.random
    }
    fn transform_batch(&mut self, x: &Tensor, l: &Layout) -> Result<Tensor> {
        let angles = self.random_angles(l.n)?;
        self.rotate(x, &angles)
    }
    fn resample(&self) -> Option<&Resample> {
        Some(&self.resample)
    }
    fn write_own_config(&self, c: &mut Map<String, Value>) {
        c.insert("factor".into(), json!([self.factor.0, self.factor.1]));
    }
}

random_layer!(RandomRotation, resample);
