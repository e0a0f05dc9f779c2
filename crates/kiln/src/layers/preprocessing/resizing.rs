//! `Resizing`, and the image resize `CenterCrop` falls back to.

use kiln_data::image::{resize, ResizeMethod};
use kiln_tensor::{DType, Tensor};
use serde_json::{json, Value};

use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

fn invalid(api: &'static str, msg: impl Into<String>) -> Error {
    Error::InvalidArgument {
        api,
        msg: msg.into(),
    }
}

/// How [`resize_images`] fits the aspect ratio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Aspect {
    /// Stretch to the target size.
    Stretch,
    /// Crop the largest centred box of the target aspect ratio first.
    Crop,
    /// Pad symmetrically with this value to the target aspect ratio first.
    Pad(f32),
}

/// Spatial axes of an NHWC batch or a single HWC image.
fn spatial(api: &'static str, x: &Tensor) -> Result<(usize, usize)> {
    match x.rank() {
        3 => Ok((x.shape()[0], x.shape()[1])),
        4 => Ok((x.shape()[1], x.shape()[2])),
        r => Err(invalid(
            api,
            format!(
                "expected images of rank 3 (height, width, channels) or 4 (batch, height, width, channels), got rank {r} shape {:?}",
                x.shape()
            ),
        )),
    }
}

/// Rows `[h0, h0+h)` and columns `[w0, w0+w)` of images of rank 3 or 4.
fn crop(x: &Tensor, h0: usize, w0: usize, h: usize, w: usize) -> Result<Tensor> {
    let (h0, w0, h, w) = (h0 as isize, w0 as isize, h as isize, w as isize);
    Ok(if x.rank() == 4 {
        x.slice(&[0, h0, w0, 0], &[-1, h, w, -1])?
    } else {
        x.slice(&[h0, w0, 0], &[h, w, -1])?
    })
}

/// `h` rows of `value` before and after (axis `ah`), then `w` columns (axis `ah + 1`).
fn pad(x: &Tensor, h: usize, w: usize, value: f32) -> Result<Tensor> {
    let ah = x.rank() - 3;
    let mut x = x.clone();
    for (axis, n) in [(ah, h), (ah + 1, w)] {
        if n > 0 {
            let mut shape = x.shape().to_vec();
            shape[axis] = n;
            let fill = Tensor::full(&shape, value as f64, x.dtype());
            x = Tensor::concat(&[&fill, &x, &fill], axis as isize)?;
        }
    }
    Ok(x)
}

/// `keras.ops.image.resize` (TensorFlow backend) for rank-3/4 channels-last images:
/// optional aspect crop or pad with Keras's float32 box arithmetic, then `tf.image.resize`.
/// Integer images come back rounded and saturated to their dtype, as Keras's Resizing.
pub(crate) fn resize_images(
    api: &'static str,
    x: &Tensor,
    size: (usize, usize),
    method: ResizeMethod,
    aspect: Aspect,
) -> Result<Tensor> {
    let (h, w) = spatial(api, x)?;
    let (th, tw) = size;
    if th == 0 || tw == 0 {
        return Err(invalid(
            api,
            format!("target size must be positive, got {size:?}"),
        ));
    }
    let dtype = x.dtype();
    let mut img = x.cast(DType::F32)?;
    let cross = |a: usize, b: usize, c: usize| ((a * b) as f32 / c as f32) as usize;
    match aspect {
        Aspect::Stretch => {}
        Aspect::Crop => {
            let ch = cross(w, th, tw).min(h).max(1);
            let cw = cross(h, tw, th).min(w).max(1);
            let (h0, w0) = (
                ((h - ch) as f32 / 2.0) as usize,
                ((w - cw) as f32 / 2.0) as usize,
            );
            img = crop(&img, h0, w0, ch, cw)?;
        }
        Aspect::Pad(value) => {
            let ph = cross(w, th, tw).max(h);
            let pw = cross(h, tw, th).max(w);
            let (h0, w0) = (
                ((ph - h) as f32 / 2.0) as usize,
                ((pw - w) as f32 / 2.0) as usize,
            );
            img = pad(&img, h0, w0, value)?;
        }
    }
    let out = resize(&img, size, method, false, false).map_err(|e| invalid(api, e.to_string()))?;
    let out = out.cast(DType::F32)?;
    Ok(if dtype.is_float() {
        out.cast(dtype)?
    } else {
        let (lo, hi) = match dtype {
            DType::U8 => (0.0, 255.0),
            DType::I32 => (i32::MIN as f64, i32::MAX as f64),
            _ => (i64::MIN as f64, i64::MAX as f64),
        };
        out.round()?.clip(lo, hi)?.cast(dtype)?
    })
}

pub(crate) fn parse_method(api: &'static str, s: &str) -> Result<ResizeMethod> {
    match s {
        "lanczos3" | "lanczos5" => Err(invalid(
            api,
            format!(
                "interpolation {s:?} is not supported yet (use bilinear, nearest, bicubic or area)"
            ),
        )),
        _ => s
            .parse()
            .map_err(|e: kiln_data::DataError| invalid(api, e.to_string())),
    }
}

fn method_name(m: ResizeMethod) -> &'static str {
    match m {
        ResizeMethod::Nearest => "nearest",
        ResizeMethod::Bilinear => "bilinear",
        ResizeMethod::Bicubic => "bicubic",
        ResizeMethod::Area => "area",
    }
}

/// The output shape of a resize to `(h, w)` of a rank-3/4 image shape.
pub(crate) fn resized_shape(api: &'static str, s: &Shape, h: usize, w: usize) -> Result<Shape> {
    let mut s = s.clone();
    let a = match s.len() {
        3 => 0,
        4 => 1,
        r => {
            return Err(invalid(
                api,
                format!("expected an input of rank 3 or 4, got rank {r}"),
            ))
        }
    };
    s[a] = Some(h);
    s[a + 1] = Some(w);
    Ok(s)
}

/// `keras.layers.Resizing(height, width, interpolation="bilinear",
/// crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, fill_value=0.0)`: resizes
/// channels-last images (a batch or one image) with `tf.image.resize`; integer images
/// keep their dtype (rounded, saturated). `antialias`, the lanczos kernels and
/// channels-first data are not supported. No gradient flows through the resize.
///
/// ```
/// use kiln::layers::{LayerRef, Resizing};
/// use kiln_tensor::Tensor;
/// let l = LayerRef::new(Resizing::new(2, 2).interpolation("nearest")?);
/// let x = Tensor::from_vec((0..16).map(|v| v as f32).collect(), &[1, 4, 4, 1])?;
/// assert_eq!(l.call(&x)?.to_vec::<f32>()?, vec![5.0, 7.0, 13.0, 15.0]); // half-pixel centres
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct Resizing {
    base: LayerBase,
    height: usize,
    width: usize,
    method: ResizeMethod,
    crop_to_aspect_ratio: bool,
    pad_to_aspect_ratio: bool,
    fill_value: f32,
}

impl Resizing {
    /// Resize to `height` x `width`, bilinear.
    pub fn new(height: usize, width: usize) -> Resizing {
        Resizing {
            base: LayerBase::new("resizing"),
            height,
            width,
            method: ResizeMethod::Bilinear,
            crop_to_aspect_ratio: false,
            pad_to_aspect_ratio: false,
            fill_value: 0.0,
        }
    }
    /// `"bilinear"` (default), `"nearest"`, `"bicubic"` or `"area"`.
    pub fn interpolation(mut self, s: &str) -> Result<Self> {
        self.method = parse_method("Resizing", s)?;
        Ok(self)
    }
    /// Crop the largest centred box with the target aspect ratio first.
    pub fn crop_to_aspect_ratio(mut self, on: bool) -> Self {
        self.crop_to_aspect_ratio = on;
        self
    }
    /// Pad (with `fill_value`) to the target aspect ratio first.
    pub fn pad_to_aspect_ratio(mut self, on: bool) -> Self {
        self.pad_to_aspect_ratio = on;
        self
    }
    /// The padding value of `pad_to_aspect_ratio` (default 0).
    pub fn fill_value(mut self, v: f32) -> Self {
        self.fill_value = v;
        self
    }
}

common_builders!(Resizing);
layer_state!(Resizing, "Resizing");

impl Layer for Resizing {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = one_input(inputs, "Resizing")?;
        let aspect = match (self.crop_to_aspect_ratio, self.pad_to_aspect_ratio) {
            (true, true) => {
                return Err(invalid(
                    "Resizing",
                    "only one of pad_to_aspect_ratio and crop_to_aspect_ratio can be true",
                ))
            }
            (true, false) => Aspect::Crop,
            (false, true) => Aspect::Pad(self.fill_value),
            (false, false) => Aspect::Stretch,
        };
        let size = (self.height, self.width);
        Ok(vec![resize_images(
            "Resizing",
            x,
            size,
            self.method,
            aspect,
        )?])
    }
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let s = input_shapes.first()?;
        Some(resized_shape("Resizing", s, self.height, self.width).map(|s| vec![s]))
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.insert("height".into(), json!(self.height));
        c.insert("width".into(), json!(self.width));
        c.insert("interpolation".into(), json!(method_name(self.method)));
        c.insert(
            "crop_to_aspect_ratio".into(),
            json!(self.crop_to_aspect_ratio),
        );
        c.insert(
            "pad_to_aspect_ratio".into(),
            json!(self.pad_to_aspect_ratio),
        );
        c.insert("fill_mode".into(), json!("constant"));
        c.insert("fill_value".into(), json!(self.fill_value as f64));
        c.insert("antialias".into(), json!(false));
        c.insert("data_format".into(), json!("channels_last"));
        Value::Object(c)
    }
}

/// `keras.layers.CenterCrop(height, width)`: the centred `height` x `width` window of
/// channels-last images (offsets `(H - height) // 2`); an image smaller than the target
/// in either axis is instead smart-resized (aspect crop + bilinear resize), as Keras does.
/// The crop itself is a differentiable slice.
///
/// ```
/// use kiln::layers::{CenterCrop, LayerRef};
/// use kiln_tensor::Tensor;
/// let l = LayerRef::new(CenterCrop::new(2, 2));
/// let x = Tensor::from_vec((0..16).map(|v| v as f32).collect(), &[4, 4, 1])?;
/// assert_eq!(l.call(&x)?.to_vec::<f32>()?, vec![5.0, 6.0, 9.0, 10.0]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct CenterCrop {
    base: LayerBase,
    height: usize,
    width: usize,
}

impl CenterCrop {
    /// Crop to `height` x `width`.
    pub fn new(height: usize, width: usize) -> CenterCrop {
        CenterCrop {
            base: LayerBase::new("center_crop"),
            height,
            width,
        }
    }
}

common_builders!(CenterCrop);
layer_state!(CenterCrop, "CenterCrop");

impl Layer for CenterCrop {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = one_input(inputs, "CenterCrop")?;
        let x = if x.dtype().is_float() {
            x.clone()
        } else {
            x.cast(self.base.compute_dtype())?
        };
        let (h, w) = spatial("CenterCrop", &x)?;
        let (th, tw) = (self.height, self.width);
        Ok(vec![if h >= th && w >= tw {
            crop(&x, (h - th) / 2, (w - tw) / 2, th, tw)?
        } else {
            resize_images(
                "CenterCrop",
                &x,
                (th, tw),
                ResizeMethod::Bilinear,
                Aspect::Crop,
            )?
        }])
    }
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let s = input_shapes.first()?;
        Some(resized_shape("CenterCrop", s, self.height, self.width).map(|s| vec![s]))
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.insert("height".into(), json!(self.height));
        c.insert("width".into(), json!(self.width));
        c.insert("data_format".into(), json!("channels_last"));
        Value::Object(c)
    }
}
