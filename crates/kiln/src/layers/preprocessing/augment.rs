//! What the random image augmentation layers share: factor ranges, the image layout,
//! per-image uniform draws and TensorFlow's `ImageProjectiveTransformV3` resampler.

use kiln_data::image::FillMode;
use kiln_tensor::random::Generator;
use kiln_tensor::{DType, Tensor};
use serde_json::{json, Value};

use crate::{Error, Result};

pub(crate) fn invalid(api: &'static str, msg: impl Into<String>) -> Error {
    Error::InvalidArgument {
        api,
        msg: msg.into(),
    }
}

/// A Keras augmentation factor: one number `f` (a symmetric range, `[-f, f]` clipped
/// to the layer's bounds) or an explicit `(lower, upper)` pair.
///
/// ```
/// use kiln::layers::Factor;
/// assert_eq!(Factor::from(0.2), Factor::Single(0.2));
/// assert_eq!(Factor::from((-0.1, 0.3)), Factor::Range(-0.1, 0.3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Factor {
    /// One number.
    Single(f64),
    /// A `(lower, upper)` pair (Keras sorts it).
    Range(f64, f64),
}

impl From<f64> for Factor {
    fn from(f: f64) -> Factor {
        Factor::Single(f)
    }
}

impl From<(f64, f64)> for Factor {
    fn from((a, b): (f64, f64)) -> Factor {
        Factor::Range(a, b)
    }
}

impl Factor {
    /// The JSON Keras's `get_config` writes for a raw factor.
    pub(crate) fn to_json(self) -> Value {
        match self {
            Factor::Single(f) => json!(f),
            Factor::Range(a, b) => json!([a, b]),
        }
    }

    /// Reads a number or a list of two numbers.
    pub(crate) fn from_json(class: &str, key: &str, v: &Value) -> Result<Factor> {
        let bad = || Error::InvalidArgument {
            api: "layers.from_config",
            msg: format!("{class}: '{key}' must be a number or a list of two numbers, got {v}"),
        };
        if let Some(f) = v.as_f64() {
            return Ok(Factor::Single(f));
        }
        match v.as_array().map(|a| a.as_slice()) {
            Some([a, b]) => Ok(Factor::Range(
                a.as_f64().ok_or_else(bad)?,
                b.as_f64().ok_or_else(bad)?,
            )),
            _ => Err(bad()),
        }
    }
}

fn sorted(a: f64, b: f64) -> (f64, f64) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// `BaseImagePreprocessingLayer._set_factor`: a single `f` must lie in `bounds` and gives
/// `(max(-|f|, lo), |f|)`; a pair is only rejected when it lies wholly outside `bounds`
/// (Keras checks `factor[0] > hi` and `factor[1] < lo`, nothing else), then sorted.
pub(crate) fn base_factor(api: &'static str, f: Factor, bounds: (f64, f64)) -> Result<(f64, f64)> {
    let err = || {
        invalid(
            api,
            format!(
                "the `factor` argument should be a number (or a list of two numbers) in the range [{}, {}], got {f:?}",
                bounds.0, bounds.1
            ),
        )
    };
    match f {
        Factor::Single(v) => {
            if !(v >= bounds.0 && v <= bounds.1) {
                return Err(err());
            }
            Ok(((-v.abs()).max(bounds.0), v.abs()))
        }
        Factor::Range(a, b) => {
            if a.is_nan() || b.is_nan() || a > bounds.1 || b < bounds.0 {
                return Err(err());
            }
            Ok(sorted(a, b))
        }
    }
}

/// RandomZoom's and RandomTranslation's `_set_factor`: every number must lie in
/// `(-1, 1]` (zoom, `open_low`) or `[-1, 1]` (translation); a single `f` gives `(-|f|, |f|)`.
pub(crate) fn axis_factor(
    api: &'static str,
    name: &str,
    f: Factor,
    open_low: bool,
) -> Result<(f64, f64)> {
    let check = |v: f64| {
        let ok = v <= 1.0 && if open_low { v > -1.0 } else { v >= -1.0 };
        if ok {
            Ok(())
        } else {
            Err(invalid(
                api,
                format!(
                    "the `{name}` argument should be a number (or a list of two numbers) in the range {}-1.0, 1.0], got {v}",
                    if open_low { "(" } else { "[" }
                ),
            ))
        }
    };
    match f {
        Factor::Single(v) => {
            check(v)?;
            Ok((-v.abs(), v.abs()))
        }
        Factor::Range(a, b) => {
            check(a)?;
            check(b)?;
            Ok(sorted(a, b))
        }
    }
}

/// `data_format`: Keras's two layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DataFormat {
    ChannelsLast,
    ChannelsFirst,
}

impl DataFormat {
    pub(crate) fn parse(api: &'static str, s: &str) -> Result<DataFormat> {
        match s {
            "channels_last" => Ok(DataFormat::ChannelsLast),
            "channels_first" => Ok(DataFormat::ChannelsFirst),
            _ => Err(invalid(
                api,
                format!("data_format must be \"channels_last\" or \"channels_first\", got {s:?}"),
            )),
        }
    }
    pub(crate) fn name(self) -> &'static str {
        match self {
            DataFormat::ChannelsLast => "channels_last",
            DataFormat::ChannelsFirst => "channels_first",
        }
    }
    /// Reads `data_format` from a config (absent or null: channels_last).
    pub(crate) fn from_config(class: &'static str, c: &Value) -> Result<DataFormat> {
        match c.get("data_format").and_then(Value::as_str) {
            Some(s) => DataFormat::parse(class, s),
            None => Ok(DataFormat::ChannelsLast),
        }
    }
}

/// `interpolation` of the affine-transform layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Interpolation {
    Nearest,
    Bilinear,
}

impl Interpolation {
    pub(crate) fn parse(api: &'static str, s: &str) -> Result<Interpolation> {
        match s {
            "nearest" => Ok(Interpolation::Nearest),
            "bilinear" => Ok(Interpolation::Bilinear),
            _ => Err(invalid(
                api,
                format!(
                    "unknown `interpolation` {s:?}; expected one of (\"nearest\", \"bilinear\")"
                ),
            )),
        }
    }
    pub(crate) fn name(self) -> &'static str {
        match self {
            Interpolation::Nearest => "nearest",
            Interpolation::Bilinear => "bilinear",
        }
    }
}

pub(crate) fn parse_fill_mode(api: &'static str, s: &str) -> Result<FillMode> {
    s.parse().map_err(|_| {
        invalid(
            api,
            format!(
                "unknown `fill_mode` {s:?}; expected one of (\"reflect\", \"wrap\", \"constant\", \"nearest\")"
            ),
        )
    })
}

pub(crate) fn fill_mode_name(m: FillMode) -> &'static str {
    match m {
        FillMode::Nearest => "nearest",
        FillMode::Constant => "constant",
        FillMode::Reflect => "reflect",
        FillMode::Wrap => "wrap",
    }
}

/// The axes of a rank-3 (one image) or rank-4 (batch) tensor.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    pub batched: bool,
    pub n: usize,
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub format: DataFormat,
}

impl Layout {
    pub(crate) fn of(api: &'static str, x: &Tensor, format: DataFormat) -> Result<Layout> {
        let s = x.shape();
        let (batched, n, rest) = match s.len() {
            3 => (false, 1, s),
            4 => (true, s[0], &s[1..]),
            r => {
                return Err(invalid(
                    api,
                    format!(
                        "expected images of rank 3 (single image) or 4 (batch of images), got rank {r} shape {s:?}"
                    ),
                ))
            }
        };
        let (h, w, c) = match format {
            DataFormat::ChannelsLast => (rest[0], rest[1], rest[2]),
            DataFormat::ChannelsFirst => (rest[1], rest[2], rest[0]),
        };
        Ok(Layout {
            batched,
            n,
            h,
            w,
            c,
            format,
        })
    }

    /// Flat index of `(image, row, column, channel)`.
    pub(crate) fn index(&self, b: usize, y: usize, x: usize, ch: usize) -> usize {
        match self.format {
            DataFormat::ChannelsLast => ((b * self.h + y) * self.w + x) * self.c + ch,
            DataFormat::ChannelsFirst => ((b * self.c + ch) * self.h + y) * self.w + x,
        }
    }

    /// The (signed) height and width axes of the tensor.
    pub(crate) fn spatial_axes(&self) -> (isize, isize) {
        match self.format {
            DataFormat::ChannelsLast => (-3, -2),
            DataFormat::ChannelsFirst => (-2, -1),
        }
    }

    /// The shape `[n, 1, 1, 1]` (or `[1, 1, 1]`) of one value per image.
    pub(crate) fn per_image_shape(&self) -> Vec<usize> {
        if self.batched {
            vec![self.n, 1, 1, 1]
        } else {
            vec![1, 1, 1]
        }
    }
}

/// A layer's random stream: its own when seeded, else the global one.
pub(crate) fn new_generator(seed: Option<u64>) -> Option<Generator> {
    seed.map(Generator::from_seed)
}

/// `n` draws of `keras.random.uniform(minval=lo, maxval=hi)` in f32: `lo + (hi - lo) * u`
/// with `u` in `[0, 1)`, so a degenerate range gives exactly `lo` (and, as in TF, a
/// reversed range is not an error).
pub(crate) fn uniform(rng: Option<&mut Generator>, n: usize, lo: f64, hi: f64) -> Result<Vec<f32>> {
    let u = match rng {
        Some(g) => g.uniform(&[n], 0.0, 1.0, DType::F32)?,
        None => kiln_tensor::random::uniform(&[n], 0.0, 1.0, DType::F32)?,
    };
    let (lo, hi) = (lo as f32, hi as f32);
    Ok(u.to_vec::<f32>()?
        .into_iter()
        .map(|u| lo + (hi - lo) * u)
        .collect())
}

/// `images` cast to f32, as Keras's `transform_images` casts to the compute dtype.
pub(crate) fn to_f32(x: &Tensor) -> Result<Tensor> {
    Ok(if x.dtype() == DType::F32 {
        x.clone()
    } else {
        x.cast(DType::F32)?
    })
}

/// TensorFlow's `MapCoordinate` for one axis of length `len`.
fn map_coordinate(c: f32, len: usize, mode: FillMode) -> f32 {
    let lenf = len as f32;
    let mapped = match mode {
        FillMode::Constant => return c,
        FillMode::Nearest => c,
        FillMode::Reflect => {
            // d c b a | a b c d | d c b a, period 2 * len.
            let mut c = c;
            if len <= 1 {
                if c < 0.0 || c > lenf - 1.0 {
                    c = 0.0;
                }
            } else if c < 0.0 {
                let sz2 = 2.0 * lenf;
                if c < -sz2 {
                    c += sz2 * ((-c / sz2) as i64) as f32;
                }
                c = if c < -lenf { c + sz2 } else { -c - 1.0 };
            } else if c > lenf - 1.0 {
                let sz2 = 2.0 * lenf;
                c -= sz2 * ((c / sz2) as i64) as f32;
                if c >= lenf {
                    c = sz2 - c - 1.0;
                }
            }
            c
        }
        FillMode::Wrap => {
            // a b c d | a b c d | a b c d, period len.
            let mut c = c;
            if len <= 1 {
                if c < 0.0 || c > lenf - 1.0 {
                    c = 0.0;
                }
            } else if c < 0.0 {
                let sz = lenf - 1.0;
                c += lenf * (((-c / sz) as i64) as f32 + 1.0);
            } else if c > lenf - 1.0 {
                let sz = lenf - 1.0;
                c -= lenf * ((c / sz) as i64) as f32;
            }
            c
        }
    };
    mapped.clamp(0.0, lenf - 1.0)
}

/// A projective transform per image (`[a0, a1, a2, b0, b1, b2, c0, c1]`: output pixel
/// `(x, y)` reads the input at `((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)` with
/// `k = c0 x + c1 y + 1`), resampled like TF's `ImageProjectiveTransformV3` in f32: the
/// fill mode maps the coordinate, then nearest (round half away from zero) or bilinear
/// taps read `fill_value` outside the image. One transform serves every image when
/// `transforms` has one entry. The result is f32 with `x`'s shape; it is not recorded
/// for gradients.
pub(crate) fn projective_transform(
    api: &'static str,
    x: &Tensor,
    format: DataFormat,
    transforms: &[[f32; 8]],
    interpolation: Interpolation,
    fill_mode: FillMode,
    fill_value: f32,
) -> Result<Tensor> {
    let l = Layout::of(api, x, format)?;
    if transforms.len() != 1 && transforms.len() != l.n {
        return Err(invalid(
            api,
            format!(
                "expected 1 or {} transforms (one per image), got {}",
                l.n,
                transforms.len()
            ),
        ));
    }
    let data = to_f32(x)?.to_vec::<f32>()?;
    let mut out = vec![0.0f32; data.len()];
    let read = |b: usize, y: i64, xi: i64, ch: usize| -> f32 {
        if y >= 0 && (y as usize) < l.h && xi >= 0 && (xi as usize) < l.w {
            data[l.index(b, y as usize, xi as usize, ch)]
        } else {
            fill_value
        }
    };
    for b in 0..l.n {
        let t = &transforms[if transforms.len() == 1 { 0 } else { b }];
        for oy in 0..l.h {
            for ox in 0..l.w {
                let (fx, fy) = (ox as f32, oy as f32);
                let k = t[6] * fx + t[7] * fy + 1.0;
                if k == 0.0 {
                    for ch in 0..l.c {
                        out[l.index(b, oy, ox, ch)] = fill_value;
                    }
                    continue;
                }
                let ix = (t[0] * fx + t[1] * fy + t[2]) / k;
                let iy = (t[3] * fx + t[4] * fy + t[5]) / k;
                let xm = map_coordinate(ix, l.w, fill_mode);
                let ym = map_coordinate(iy, l.h, fill_mode);
                for ch in 0..l.c {
                    out[l.index(b, oy, ox, ch)] = match interpolation {
                        Interpolation::Nearest => read(b, ym.round() as i64, xm.round() as i64, ch),
                        Interpolation::Bilinear => {
                            let (y0, x0) = (ym.floor(), xm.floor());
                            let (y1, x1) = (y0 + 1.0, x0 + 1.0);
                            let (yi, xi) = (y0 as i64, x0 as i64);
                            let top = (x1 - xm) * read(b, yi, xi, ch)
                                + (xm - x0) * read(b, yi, xi + 1, ch);
                            let bottom = (x1 - xm) * read(b, yi + 1, xi, ch)
                                + (xm - x0) * read(b, yi + 1, xi + 1, ch);
                            (y1 - ym) * top + (ym - y0) * bottom
                        }
                    };
                }
            }
        }
    }
    Ok(Tensor::from_vec(out, x.shape())?)
}

/// The seed as Keras's config writes it (an int or null).
pub(crate) fn seed_json(seed: Option<u64>) -> Value {
    json!(seed)
}

/// Reads `seed` (an int or null) from a config.
pub(crate) fn seed_from_config(c: &Value) -> Option<u64> {
    c.get("seed").and_then(Value::as_u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflect_and_wrap_map_into_range() {
        // len 4: reflect -1 -> 0, -2 -> 1, 4 -> 3, 5 -> 2; wrap -1 -> 3, 4 -> 0.
        let r = |c| map_coordinate(c, 4, FillMode::Reflect);
        assert_eq!(
            [r(-1.0), r(-2.0), r(4.0), r(5.0), r(9.0)],
            [0.0, 1.0, 3.0, 2.0, 1.0]
        );
        let w = |c| map_coordinate(c, 4, FillMode::Wrap);
        assert_eq!([w(-1.0), w(4.0), w(5.0)], [3.0, 0.0, 1.0]);
        assert_eq!(map_coordinate(-7.0, 4, FillMode::Constant), -7.0);
        assert_eq!(map_coordinate(-7.0, 4, FillMode::Nearest), 0.0);
    }

    #[test]
    fn factor_validation_follows_keras() {
        assert_eq!(
            base_factor("t", Factor::Single(0.2), (-1.0, 1.0)).unwrap(),
            (-0.2, 0.2)
        );
        assert_eq!(
            base_factor("t", Factor::Single(0.2), (0.0, 1.0)).unwrap(),
            (0.0, 0.2)
        );
        assert!(base_factor("t", Factor::Single(1.5), (-1.0, 1.0)).is_err());
        // Keras only rejects a pair lying wholly outside the bounds.
        assert_eq!(
            base_factor("t", Factor::Range(-2.0, 3.0), (-1.0, 1.0)).unwrap(),
            (-2.0, 3.0)
        );
        assert!(base_factor("t", Factor::Range(1.5, 3.0), (-1.0, 1.0)).is_err());
        assert!(axis_factor("t", "height_factor", Factor::Single(-1.0), true).is_err());
        assert!(axis_factor("t", "height_factor", Factor::Single(-1.0), false).is_ok());
        assert!(axis_factor("t", "height_factor", Factor::Range(-0.5, 1.2), false).is_err());
    }
}
