//! `RandomZoom`.

use kiln_tensor::Tensor;
use serde_json::{Map, Value};

use super::augment::{axis_factor, Factor, Layout};
use super::random_transform::{config_factor, random_layer, RandomBase, RandomTransform, Resample};
use crate::layers::layer::LayerBase;
use crate::Result;

const API: &str = "RandomZoom";

/// `keras.layers.RandomZoom(height_factor, width_factor=None, fill_mode="reflect",
/// interpolation="bilinear", seed=None, fill_value=0.0, data_format=None)`: in training
/// zooms each image about its centre by `1 + f`, `f` drawn uniformly from the factor range
/// per axis (negative zooms in, positive zooms out, as in Keras); without `width_factor`
/// both axes use the height draw (aspect kept). Inference only casts to f32. Every
/// factor number must lie in `(-1, 1]`. Output is f32, resampled like TF's
/// `ImageProjectiveTransformV3`; no gradient flows through the resampling.
///
/// ```
/// use kiln::layers::{LayerRef, RandomZoom};
/// use kiln_tensor::Tensor;
/// // Zoom out by 2 (factor +1) with a constant fill: the image shrinks into the centre.
/// let l = RandomZoom::new((1.0, 1.0))?.fill_mode("constant")?.interpolation("nearest")?;
/// let x = Tensor::ones(&[1, 3, 3, 1], kiln_tensor::DType::F32);
/// let y = LayerRef::new(l).call_training(&x, true)?.to_vec::<f32>()?;
/// assert_eq!(y, vec![0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
/// assert!(RandomZoom::new(-1.0).is_err());
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct RandomZoom {
    base: LayerBase,
    height_factor: Factor,
    width_factor: Option<Factor>,
    height_range: (f64, f64),
    width_range: Option<(f64, f64)>,
    resample: Resample,
    random: RandomBase,
}

impl RandomZoom {
    /// Zooms by `1 + f`, `f` from `height_factor` (numbers in `(-1, 1]`), both axes alike.
    pub fn new(height_factor: impl Into<Factor>) -> Result<RandomZoom> {
        let height_factor = height_factor.into();
        Ok(RandomZoom {
            base: LayerBase::new("random_zoom"),
            height_range: axis_factor(API, "height_factor", height_factor, true)?,
            height_factor,
            width_factor: None,
            width_range: None,
            resample: Resample::new(),
            random: RandomBase::new(),
        })
    }

    /// From a Keras config.
    pub(crate) fn from_config(c: &Value) -> Result<RandomZoom> {
        let mut l = RandomZoom::new(config_factor(API, c, "height_factor")?)?;
        if !matches!(c.get("width_factor"), None | Some(Value::Null)) {
            l = l.width_factor(config_factor(API, c, "width_factor")?)?;
        }
        l.resample = Resample::from_config(API, c)?;
        l.random = RandomBase::from_config(API, c)?;
        Ok(l)
    }
    /// A separate range for the width (numbers in `(-1, 1]`).
    pub fn width_factor(mut self, f: impl Into<Factor>) -> Result<Self> {
        let f = f.into();
        self.width_range = Some(axis_factor(API, "width_factor", f, true)?);
        self.width_factor = Some(f);
        Ok(self)
    }

    /// Draws `n` (height, width) zoom factors `1 + f` (what a training call uses).
    pub fn random_zooms(&mut self, n: usize) -> Result<Vec<(f32, f32)>> {
        let (lo, hi) = self.height_range;
        let h = self.random.uniform(n, 1.0 + lo, 1.0 + hi)?;
        let w = match self.width_range {
            Some((lo, hi)) => self.random.uniform(n, 1.0 + lo, 1.0 + hi)?,
            None => h.clone(),
        };
        Ok(h.into_iter().zip(w).collect())
    }

    /// Zooms the images by the given (height, width) factors (one pair per image, or one
    /// for all): the output samples the input with that step about the centre.
    ///
    /// ```
    /// use kiln::layers::RandomZoom;
    /// use kiln_tensor::Tensor;
    /// let l = RandomZoom::new(0.5)?.fill_mode("constant")?;
    /// let x = Tensor::from_vec((0..9).map(|v| v as f32).collect(), &[3, 3, 1])?;
    /// // A step of 1 in height and 2 in width: columns -1, 1 and 3 are read.
    /// let y = l.zoom(&x, &[(1.0, 2.0)])?.to_vec::<f32>()?;
    /// assert_eq!(y, vec![0.0, 1.0, 0.0, 0.0, 4.0, 0.0, 0.0, 7.0, 0.0]);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn zoom(&self, x: &Tensor, zooms: &[(f32, f32)]) -> Result<Tensor> {
        let l = Layout::of(API, x, self.random.data_format())?;
        let (hw, hh) = ((l.w as f32 - 1.0) / 2.0, (l.h as f32 - 1.0) / 2.0);
        let m: Vec<[f32; 8]> = zooms
            .iter()
            .map(|&(zy, zx)| [zx, 0.0, hw * (1.0 - zx), 0.0, zy, hh * (1.0 - zy), 0.0, 0.0])
            .collect();
        self.resample.apply(API, x, self.random.data_format(), &m)
    }
}

impl RandomTransform for RandomZoom {
    const API: &'static str = API;
    const INFERENCE_CASTS: bool = true;
    fn random_base(&self) -> &RandomBase {
        &self.random
    }
    fn transform_batch(&mut self, x: &Tensor, l: &Layout) -> Result<Tensor> {
        let zooms = self.random_zooms(l.n)?;
        self.zoom(x, &zooms)
    }
    fn resample(&self) -> Option<&Resample> {
        Some(&self.resample)
    }
    fn write_own_config(&self, c: &mut Map<String, Value>) {
        c.insert("height_factor".into(), self.height_factor.to_json());
        c.insert(
            "width_factor".into(),
            self.width_factor.map_or(Value::Null, Factor::to_json),
        );
    }
}

random_layer!(RandomZoom, resample);
