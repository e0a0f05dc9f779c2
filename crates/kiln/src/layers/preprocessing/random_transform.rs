//! The base the random augmentation layers share, as Keras's
//! `BaseImagePreprocessingLayer`: a layer holds a [`RandomBase`] (its random stream and
//! data format) and, when it resamples, a [`Resample`] (fill mode, interpolation, fill
//! value); it implements [`RandomTransform`] to say what a training call does, and
//! [`call`] gives the training/inference switch every one of them has. The builders and
//! configs of both parts are written once here.
//!
//! A new augmentation layer is then its factor, its random draw and its transform.

use kiln_data::image::FillMode;
use kiln_tensor::random::Generator;
use kiln_tensor::Tensor;
use serde_json::{json, Map, Value};

use super::augment::{
    fill_mode_name, new_generator, parse_fill_mode, projective_transform, seed_from_config,
    seed_json, to_f32, uniform, DataFormat, Factor, Interpolation, Layout,
};
use crate::layers::layer::{one_input, CallContext, Shape};
use crate::layers::registry::get_f64;
use crate::Result;

/// A layer's random stream (its own when seeded, else the global one) and its
/// `data_format`.
pub(crate) struct RandomBase {
    seed: Option<u64>,
    generator: Option<Generator>,
    data_format: DataFormat,
}

impl RandomBase {
    /// Unseeded, channels-last (Keras's defaults).
    pub(crate) fn new() -> RandomBase {
        RandomBase {
            seed: None,
            generator: None,
            data_format: DataFormat::ChannelsLast,
        }
    }

    /// Seeds the layer's own stream.
    pub(crate) fn set_seed(&mut self, seed: u64) {
        self.seed = Some(seed);
        self.generator = new_generator(Some(seed));
    }

    /// `"channels_last"` or `"channels_first"`.
    pub(crate) fn set_data_format(&mut self, api: &'static str, s: &str) -> Result<()> {
        self.data_format = DataFormat::parse(api, s)?;
        Ok(())
    }

    pub(crate) fn data_format(&self) -> DataFormat {
        self.data_format
    }

    /// `n` uniform draws from `[lo, hi)` on the layer's stream.
    pub(crate) fn uniform(&mut self, n: usize, lo: f64, hi: f64) -> Result<Vec<f32>> {
        uniform(self.generator.as_mut(), n, lo, hi)
    }

    /// The layout of `x` in the layer's data format.
    pub(crate) fn layout(&self, api: &'static str, x: &Tensor) -> Result<Layout> {
        Layout::of(api, x, self.data_format)
    }

    /// Writes `data_format` and `seed` into a layer config.
    pub(crate) fn write_config(&self, c: &mut Map<String, Value>) {
        c.insert("data_format".into(), json!(self.data_format.name()));
        c.insert("seed".into(), seed_json(self.seed));
    }

    /// Reads `data_format` (absent or null: channels_last) and `seed` from a config.
    pub(crate) fn from_config(class: &'static str, c: &Value) -> Result<RandomBase> {
        let mut base = RandomBase::new();
        base.data_format = DataFormat::from_config(class, c)?;
        if let Some(seed) = seed_from_config(c) {
            base.set_seed(seed);
        }
        Ok(base)
    }
}

/// How the geometric layers (rotation, translation, zoom) resample: TF's
/// `ImageProjectiveTransformV3` with a fill mode, an interpolation and a fill value.
pub(crate) struct Resample {
    fill_mode: FillMode,
    interpolation: Interpolation,
    fill_value: f32,
}

impl Resample {
    /// `fill_mode="reflect"`, `interpolation="bilinear"`, `fill_value=0.0`.
    pub(crate) fn new() -> Resample {
        Resample {
            fill_mode: FillMode::Reflect,
            interpolation: Interpolation::Bilinear,
            fill_value: 0.0,
        }
    }

    pub(crate) fn set_fill_mode(&mut self, api: &'static str, s: &str) -> Result<()> {
        self.fill_mode = parse_fill_mode(api, s)?;
        Ok(())
    }

    pub(crate) fn set_interpolation(&mut self, api: &'static str, s: &str) -> Result<()> {
        self.interpolation = Interpolation::parse(api, s)?;
        Ok(())
    }

    pub(crate) fn set_fill_value(&mut self, v: f32) {
        self.fill_value = v;
    }

    /// Resamples `x` through one 8-parameter projective transform per image (or one for
    /// all), each mapping output to input coordinates.
    pub(crate) fn apply(
        &self,
        api: &'static str,
        x: &Tensor,
        format: DataFormat,
        transforms: &[[f32; 8]],
    ) -> Result<Tensor> {
        projective_transform(
            api,
            x,
            format,
            transforms,
            self.interpolation,
            self.fill_mode,
            self.fill_value,
        )
    }

    /// Writes `fill_mode`, `interpolation` and `fill_value` into a layer config.
    pub(crate) fn write_config(&self, c: &mut Map<String, Value>) {
        c.insert("fill_mode".into(), json!(fill_mode_name(self.fill_mode)));
        c.insert("interpolation".into(), json!(self.interpolation.name()));
        c.insert("fill_value".into(), json!(self.fill_value as f64));
    }

    /// Reads the three options from a config (absent keys take Keras's defaults).
    pub(crate) fn from_config(class: &'static str, c: &Value) -> Result<Resample> {
        let mut r = Resample::new();
        if let Some(s) = c.get("fill_mode").and_then(Value::as_str) {
            r.set_fill_mode(class, s)?;
        }
        if let Some(s) = c.get("interpolation").and_then(Value::as_str) {
            r.set_interpolation(class, s)?;
        }
        r.fill_value = get_f64(class, c, "fill_value", 0.0)? as f32;
        Ok(r)
    }
}

/// A required factor key of an augmentation config (`factor`, `height_factor`...).
pub(crate) fn config_factor(class: &'static str, c: &Value, key: &str) -> Result<Factor> {
    let v = c.get(key).ok_or_else(|| crate::Error::InvalidArgument {
        api: "layers.from_config",
        msg: format!("{class}: missing '{key}'"),
    })?;
    Factor::from_json(class, key, v)
}

/// An optional `[lo, hi]` key of an augmentation config (`value_range`).
pub(crate) fn config_range(
    class: &'static str,
    c: &Value,
    key: &str,
    default: (f64, f64),
) -> Result<(f64, f64)> {
    let bad = |msg: String| crate::Error::InvalidArgument {
        api: "layers.from_config",
        msg: format!("{class}: {msg}"),
    };
    match c.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => match v.as_array().map(|a| a.as_slice()) {
            Some([a, b]) => match (a.as_f64(), b.as_f64()) {
                (Some(a), Some(b)) => Ok((a, b)),
                _ => Err(bad(format!("'{key}' must be two numbers"))),
            },
            _ => Err(bad(format!("'{key}' must be a list of two numbers"))),
        },
    }
}

/// What an augmentation layer adds to the shared base: what a training call does to a
/// batch, and its own config keys. [`random_layer!`] then writes the layer's `Layer`
/// impl and builders.
pub(crate) trait RandomTransform {
    /// The Keras class name, used in errors and as the class in configs.
    const API: &'static str;
    /// Whether inference returns the input cast to f32 (the layers that resample, as
    /// Keras's `transform_images` casts) or unchanged.
    const INFERENCE_CASTS: bool;

    fn random_base(&self) -> &RandomBase;

    /// The resampling options of a geometric layer.
    fn resample(&self) -> Option<&Resample> {
        None
    }

    /// The training-mode output for `x`, whose layout is `layout`.
    fn transform_batch(&mut self, x: &Tensor, layout: &Layout) -> Result<Tensor>;

    /// The layer's own config keys (`factor`, `value_range`...), beside the base's.
    fn write_own_config(&self, c: &mut Map<String, Value>);

    /// `compute_output_shape` (the input's shape unless the layer changes it).
    fn output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        Some(Ok(input_shapes.to_vec()))
    }
}

/// `call` of an augmentation layer: checks the single input's rank, then in inference
/// returns it (cast to f32 where the layer resamples), in training transforms it.
pub(crate) fn call<T: RandomTransform>(
    layer: &mut T,
    inputs: &[Tensor],
    ctx: &CallContext,
) -> Result<Vec<Tensor>> {
    let x = one_input(inputs, T::API)?;
    let layout = layer.random_base().layout(T::API, x)?;
    if !ctx.training {
        return Ok(vec![if T::INFERENCE_CASTS {
            to_f32(x)?
        } else {
            x.clone()
        }]);
    }
    Ok(vec![layer.transform_batch(x, &layout)?])
}

/// `get_config` of an augmentation layer: the base config, the layer's own keys, then
/// the random base's and (for geometric layers) the resampling options.
pub(crate) fn config<T: RandomTransform>(layer: &T, mut c: Map<String, Value>) -> Value {
    layer.write_own_config(&mut c);
    layer.random_base().write_config(&mut c);
    if let Some(r) = layer.resample() {
        r.write_config(&mut c);
    }
    Value::Object(c)
}

/// The `Layer` impl, `LayerState` and builders of an augmentation layer implementing
/// [`RandomTransform`] (fields `base: LayerBase`, `random: RandomBase`, and `resample:
/// Resample` with the `resample` option). `seed_only`: no `data_format` builder.
macro_rules! random_layer {
    (@layer $t:ident) => {
        $crate::layers::macros::common_builders!($t);
        $crate::layers::macros::layer_state!(
            $t,
            <$t as $crate::layers::preprocessing::random_transform::RandomTransform>::API
        );
        impl $crate::layers::Layer for $t {
            fn call(
                &mut self,
                inputs: &[kiln_tensor::Tensor],
                ctx: &$crate::layers::CallContext,
            ) -> $crate::Result<Vec<kiln_tensor::Tensor>> {
                $crate::layers::preprocessing::random_transform::call(self, inputs, ctx)
            }
            fn compute_output_shape(
                &self,
                input_shapes: &[$crate::layers::Shape],
            ) -> Option<$crate::Result<Vec<$crate::layers::Shape>>> {
                $crate::layers::preprocessing::random_transform::RandomTransform::output_shape(
                    self,
                    input_shapes,
                )
            }
            fn get_config(&self) -> serde_json::Value {
                $crate::layers::preprocessing::random_transform::config(
                    self,
                    self.base.base_config(),
                )
            }
        }
    };
    ($t:ident, resample) => {
        $crate::layers::preprocessing::random_transform::random_layer!(@layer $t);
        $crate::layers::preprocessing::random_transform::random_builders!($t);
        $crate::layers::preprocessing::random_transform::resample_builders!($t);
    };
    ($t:ident, seed_only) => {
        $crate::layers::preprocessing::random_transform::random_layer!(@layer $t);
        $crate::layers::preprocessing::random_transform::random_builders!($t, seed_only);
    };
    ($t:ident) => {
        $crate::layers::preprocessing::random_transform::random_layer!(@layer $t);
        $crate::layers::preprocessing::random_transform::random_builders!($t);
    };
}

/// `seed` (and, unless the layer is channels-last only, `data_format`) builders for an
/// augmentation layer with a `random: RandomBase` field.
macro_rules! random_builders {
    ($t:ty, seed_only) => {
        impl $t {
            /// Seeds this layer's own random stream (else the global one is used).
            pub fn seed(mut self, seed: u64) -> Self {
                self.random.set_seed(seed);
                self
            }
        }
    };
    ($t:ty) => {
        $crate::layers::preprocessing::random_transform::random_builders!($t, seed_only);
        impl $t {
            /// `"channels_last"` (default) or `"channels_first"`.
            pub fn data_format(mut self, s: &str) -> $crate::Result<Self> {
                self.random.set_data_format(
                    <$t as $crate::layers::preprocessing::random_transform::RandomTransform>::API,
                    s,
                )?;
                Ok(self)
            }
        }
    };
}

/// `fill_mode`, `interpolation` and `fill_value` builders for a layer with a
/// `resample: Resample` field.
macro_rules! resample_builders {
    ($t:ty) => {
        impl $t {
            /// `"reflect"` (default), `"wrap"`, `"constant"` or `"nearest"`.
            pub fn fill_mode(mut self, s: &str) -> $crate::Result<Self> {
                self.resample.set_fill_mode(
                    <$t as $crate::layers::preprocessing::random_transform::RandomTransform>::API,
                    s,
                )?;
                Ok(self)
            }
            /// `"bilinear"` (default) or `"nearest"`.
            pub fn interpolation(mut self, s: &str) -> $crate::Result<Self> {
                self.resample.set_interpolation(
                    <$t as $crate::layers::preprocessing::random_transform::RandomTransform>::API,
                    s,
                )?;
                Ok(self)
            }
            /// The value outside the image for `fill_mode="constant"` (default 0).
            pub fn fill_value(mut self, v: f32) -> Self {
                self.resample.set_fill_value(v);
                self
            }
        }
    };
}

pub(crate) use random_builders;
pub(crate) use random_layer;
pub(crate) use resample_builders;
