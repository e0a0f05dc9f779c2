//! `RandomRotation`.

use kiln_data::image::FillMode;
use kiln_tensor::random::Generator;
use kiln_tensor::Tensor;
use serde_json::{json, Value};

use super::augment::{
    base_factor, fill_mode_name, new_generator, parse_fill_mode, projective_transform, seed_json,
    to_f32, uniform, DataFormat, Factor, Interpolation, Layout,
};
use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
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
    fill_mode: FillMode,
    interpolation: Interpolation,
    fill_value: f32,
    seed: Option<u64>,
    generator: Option<Generator>,
    data_format: DataFormat,
}

impl RandomRotation {
    /// Rotations by up to `factor` of a full turn; `factor` must lie in `[-1, 1]`.
    pub fn new(factor: impl Into<Factor>) -> Result<RandomRotation> {
        Ok(RandomRotation {
            base: LayerBase::new("random_rotation"),
            factor: base_factor(API, factor.into(), (-1.0, 1.0))?,
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

    /// Draws `n` angles in degrees from the layer's range (what a training call uses).
    pub fn random_angles(&mut self, n: usize) -> Result<Vec<f32>> {
        let (lo, hi) = self.factor;
        uniform(self.generator.as_mut(), n, lo * 360.0, hi * 360.0)
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
        let l = Layout::of(API, x, self.data_format)?;
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

common_builders!(RandomRotation);
layer_state!(RandomRotation, "RandomRotation");

impl Layer for RandomRotation {
    fn call(&mut self, inputs: &[Tensor], ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = one_input(inputs, API)?;
        let l = Layout::of(API, x, self.data_format)?;
        if !ctx.training {
            return Ok(vec![to_f32(x)?]);
        }
        let angles = self.random_angles(l.n)?;
        Ok(vec![self.rotate(x, &angles)?])
    }
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        Some(Ok(input_shapes.to_vec()))
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.insert("factor".into(), json!([self.factor.0, self.factor.1]));
        c.insert("data_format".into(), json!(self.data_format.name()));
        c.insert("fill_mode".into(), json!(fill_mode_name(self.fill_mode)));
        c.insert("fill_value".into(), json!(self.fill_value as f64));
        c.insert("interpolation".into(), json!(self.interpolation.name()));
        c.insert("seed".into(), seed_json(self.seed));
        Value::Object(c)
    }
}
