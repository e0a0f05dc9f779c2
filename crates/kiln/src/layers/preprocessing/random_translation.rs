//! `RandomTranslation`.

use kiln_data::image::FillMode;
use kiln_tensor::random::Generator;
use kiln_tensor::Tensor;
use serde_json::{json, Value};

use super::augment::{
    axis_factor, fill_mode_name, new_generator, parse_fill_mode, projective_transform, seed_json,
    to_f32, uniform, DataFormat, Factor, Interpolation, Layout,
};
use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
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
    fill_mode: FillMode,
    interpolation: Interpolation,
    fill_value: f32,
    seed: Option<u64>,
    generator: Option<Generator>,
    data_format: DataFormat,
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
            fill_mode: FillMode::Reflect,
            interpolation: Interpolation::Bilinear,
            fill_value: 0.0,
            seed: None,
            generator: None,
            data_format: DataFormat::ChannelsLast,
        })
    }
    /// `"reflect"` (default), `"wrap"`, `"constant"` or `"nearest"`.
    pub fn fill_mode(mut self, s: &str) -> Result<Self> {
        self.fill_mode = parse_fill_mode(API, s)?;
        Ok(self)
    }
    /// `"bilinear"` (default) or `"nearest"`.
    pub fn interpolation(mut self, s: &str) -> Result<Self> {
        self.interpolation = Interpolation::parse(API, s)?;
        Ok(self)
    }
    /// The value outside the image for `fill_mode="constant"` (default 0).
    pub fn fill_value(mut self, v: f32) -> Self {
        self.fill_value = v;
        self
    }
    /// Seeds this layer's own random stream (else the global one is used).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self.generator = new_generator(Some(seed));
        self
    }
    /// `"channels_last"` (default) or `"channels_first"`.
    pub fn data_format(mut self, s: &str) -> Result<Self> {
        self.data_format = DataFormat::parse(API, s)?;
        Ok(self)
    }

    /// Draws `n` (rows, columns) shifts in pixels (what a training call uses).
    pub fn random_translations(
        &mut self,
        n: usize,
        height: usize,
        width: usize,
    ) -> Result<Vec<(f32, f32)>> {
        let (lo, hi) = self.height_range;
        let dy = uniform(self.generator.as_mut(), n, lo, hi)?;
        let (lo, hi) = self.width_range;
        let dx = uniform(self.generator.as_mut(), n, lo, hi)?;
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
        projective_transform(
            API,
            x,
            self.data_format,
            &m,
            self.interpolation,
            self.fill_mode,
            self.fill_value,
        )
    }
}

common_builders!(RandomTranslation);
layer_state!(RandomTranslation, "RandomTranslation");

impl Layer for RandomTranslation {
    fn call(&mut self, inputs: &[Tensor], ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = one_input(inputs, API)?;
        let l = Layout::of(API, x, self.data_format)?;
        if !ctx.training {
            return Ok(vec![to_f32(x)?]);
        }
        let shifts = self.random_translations(l.n, l.h, l.w)?;
        Ok(vec![self.translate(x, &shifts)?])
    }
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        Some(Ok(input_shapes.to_vec()))
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.insert("data_format".into(), json!(self.data_format.name()));
        c.insert("height_factor".into(), self.height_factor.to_json());
        c.insert("width_factor".into(), self.width_factor.to_json());
        c.insert("fill_mode".into(), json!(fill_mode_name(self.fill_mode)));
        c.insert("interpolation".into(), json!(self.interpolation.name()));
        c.insert("seed".into(), seed_json(self.seed));
        c.insert("fill_value".into(), json!(self.fill_value as f64));
        Value::Object(c)
    }
}
