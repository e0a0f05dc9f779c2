//! `RandomZoom`.

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
    fill_mode: FillMode,
    interpolation: Interpolation,
    fill_value: f32,
    seed: Option<u64>,
    generator: Option<Generator>,
    data_format: DataFormat,
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
            fill_mode: FillMode::Reflect,
            interpolation: Interpolation::Bilinear,
            fill_value: 0.0,
            seed: None,
            generator: None,
            data_format: DataFormat::ChannelsLast,
        })
    }
    /// A separate range for the width (numbers in `(-1, 1]`).
    pub fn width_factor(mut self, f: impl Into<Factor>) -> Result<Self> {
        let f = f.into();
        self.width_range = Some(axis_factor(API, "width_factor", f, true)?);
        self.width_factor = Some(f);
        Ok(self)
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

    /// Draws `n` (height, width) zoom factors `1 + f` (what a training call uses).
    pub fn random_zooms(&mut self, n: usize) -> Result<Vec<(f32, f32)>> {
        let (lo, hi) = self.height_range;
        let h = uniform(self.generator.as_mut(), n, 1.0 + lo, 1.0 + hi)?;
        let w = match self.width_range {
            Some((lo, hi)) => uniform(self.generator.as_mut(), n, 1.0 + lo, 1.0 + hi)?,
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
        let l = Layout::of(API, x, self.data_format)?;
        let (hw, hh) = ((l.w as f32 - 1.0) / 2.0, (l.h as f32 - 1.0) / 2.0);
        let m: Vec<[f32; 8]> = zooms
            .iter()
            .map(|&(zy, zx)| [zx, 0.0, hw * (1.0 - zx), 0.0, zy, hh * (1.0 - zy), 0.0, 0.0])
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

common_builders!(RandomZoom);
layer_state!(RandomZoom, "RandomZoom");

impl Layer for RandomZoom {
    fn call(&mut self, inputs: &[Tensor], ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = one_input(inputs, API)?;
        let l = Layout::of(API, x, self.data_format)?;
        if !ctx.training {
            return Ok(vec![to_f32(x)?]);
        }
        let zooms = self.random_zooms(l.n)?;
        Ok(vec![self.zoom(x, &zooms)?])
    }
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        Some(Ok(input_shapes.to_vec()))
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.insert("data_format".into(), json!(self.data_format.name()));
        c.insert("height_factor".into(), self.height_factor.to_json());
        c.insert(
            "width_factor".into(),
            self.width_factor.map_or(Value::Null, Factor::to_json),
        );
        c.insert("fill_mode".into(), json!(fill_mode_name(self.fill_mode)));
        c.insert("interpolation".into(), json!(self.interpolation.name()));
        c.insert("seed".into(), seed_json(self.seed));
        c.insert("fill_value".into(), json!(self.fill_value as f64));
        Value::Object(c)
    }
}
