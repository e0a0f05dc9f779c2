//! `tf.image.resize` (TensorFlow 2 semantics: half-pixel centres, no corner alignment).

use std::str::FromStr;

use kiln_tensor::Tensor;

use super::{invalid, Images};
use crate::{DataError, Result};

/// The interpolation of [`resize`], named like `tf.image.ResizeMethod`.
///
/// ```
/// use kiln_data::image::ResizeMethod;
/// assert_eq!("bicubic".parse::<ResizeMethod>()?, ResizeMethod::Bicubic);
/// assert!("lanczos9".parse::<ResizeMethod>().is_err());
/// # Ok::<(), kiln_data::DataError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResizeMethod {
    /// `"nearest"`: the input pixel whose centre is nearest, `floor((x + 0.5) * scale)`.
    Nearest,
    /// `"bilinear"`: linear interpolation between the two nearest centres per axis.
    Bilinear,
    /// `"bicubic"`: Keys cubic convolution (a = -0.5) with TensorFlow's 1024-step weight
    /// table; taps outside the image get weight 0 and the rest are renormalised.
    Bicubic,
    /// `"area"`: the average over the input area each output pixel covers.
    Area,
}

impl FromStr for ResizeMethod {
    type Err = DataError;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "nearest" => ResizeMethod::Nearest,
            "bilinear" => ResizeMethod::Bilinear,
            "bicubic" => ResizeMethod::Bicubic,
            "area" => ResizeMethod::Area,
            _ => {
                return Err(invalid(
                    "image::resize",
                    format!(
                        "unknown method {s:?} (expected \"nearest\", \"bilinear\", \"bicubic\" \
                         or \"area\")"
                    ),
                ))
            }
        })
    }
}

/// `tf.image.resize(images, size, method, preserve_aspect_ratio, antialias)`.
///
/// `images` is `[h, w, c]` or `[n, h, w, c]`. With `preserve_aspect_ratio` the result is
/// the largest size with the input's aspect ratio that fits in `size` (TensorFlow's
/// float32 scale and round-half-to-even). Nearest keeps the dtype; the other methods
/// return float32. `antialias = true` is not implemented and returns an error.
///
/// ```
/// use kiln_data::image::{resize, ResizeMethod};
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![0.0f32, 1.0], &[1, 2, 1])?;
/// let y = resize(&x, (1, 4), ResizeMethod::Bilinear, false, false)?;
/// assert_eq!(y.to_vec::<f32>()?, vec![0.0, 0.25, 0.75, 1.0]);
/// let n = resize(&x, (1, 4), ResizeMethod::Nearest, false, false)?;
/// assert_eq!(n.to_vec::<f32>()?, vec![0.0, 0.0, 1.0, 1.0]);
/// assert!(resize(&x, (0, 4), ResizeMethod::Area, false, false).is_err());
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn resize(
    images: &Tensor,
    size: (usize, usize),
    method: ResizeMethod,
    preserve_aspect_ratio: bool,
    antialias: bool,
) -> Result<Tensor> {
    const API: &str = "image::resize";
    let (_, h, w, _, _) = Images::<f32>::dims(API, images)?;
    if size.0 == 0 || size.1 == 0 {
        return Err(invalid(API, format!("size must be positive, got {size:?}")));
    }
    if h == 0 || w == 0 {
        return Err(invalid(
            API,
            format!("cannot resize an empty image of shape {:?}", images.shape()),
        ));
    }
    if antialias {
        return Err(invalid(API, "antialias=true is not implemented"));
    }
    let (oh, ow) = if preserve_aspect_ratio {
        let f = (size.0 as f32 / h as f32).min(size.1 as f32 / w as f32);
        let oh = (f * h as f32).round_ties_even() as usize;
        let ow = (f * w as f32).round_ties_even() as usize;
        if oh == 0 || ow == 0 {
            return Err(invalid(
                API,
                format!(
                    "preserving the aspect ratio of shape {:?} within {size:?} gives an empty \
                     size ({oh}, {ow})",
                    images.shape()
                ),
            ));
        }
        (oh, ow)
    } else {
        size
    };
    let sh = h as f32 / oh as f32;
    let sw = w as f32 / ow as f32;
    if method == ResizeMethod::Nearest {
        let im = Images::<f64>::f64(API, images)?;
        let near = |o: usize, scale: f32, len: usize| {
            (((o as f32 + 0.5) * scale).floor() as usize).min(len - 1)
        };
        return im.gather(oh, ow, |y, x| Some((near(y, sh, h), near(x, sw, w))));
    }
    let mut im = Images::f32(API, images)?;
    im.dtype = kiln_tensor::DType::F32;
    let out = match method {
        ResizeMethod::Bilinear => bilinear(&im, oh, ow, sh, sw),
        ResizeMethod::Bicubic => bicubic(&im, oh, ow, sh, sw),
        _ => area(&im, oh, ow, sh, sw),
    };
    im.finish_float(out, oh, ow, im.c)
}

struct Lerp {
    lower: usize,
    upper: usize,
    frac: f32,
}

fn lerp_weights(out: usize, len: usize, scale: f32) -> Vec<Lerp> {
    (0..out)
        .map(|o| {
            let pos = (o as f32 + 0.5) * scale - 0.5;
            let f = pos.floor();
            Lerp {
                lower: (f.max(0.0) as usize).min(len - 1),
                upper: (pos.ceil().max(0.0) as usize).min(len - 1),
                frac: pos - f,
            }
        })
        .collect()
}

fn bilinear(im: &Images<f32>, oh: usize, ow: usize, sh: f32, sw: f32) -> Vec<f32> {
    let ys = lerp_weights(oh, im.h, sh);
    let xs = lerp_weights(ow, im.w, sw);
    let mut out = Vec::with_capacity(im.n * oh * ow * im.c);
    for b in 0..im.n {
        for y in &ys {
            for x in &xs {
                for ch in 0..im.c {
                    let v = |yy, xx| im.data[im.idx(b, yy, xx, ch)];
                    let (tl, tr) = (v(y.lower, x.lower), v(y.lower, x.upper));
                    let (bl, br) = (v(y.upper, x.lower), v(y.upper, x.upper));
                    let top = tl + (tr - tl) * x.frac;
                    let bottom = bl + (br - bl) * x.frac;
                    out.push(top + (bottom - top) * y.frac);
                }
            }
        }
    }
    out
}

const TABLE_SIZE: usize = 1024;

/// Keys cubic weights at `i / TABLE_SIZE` (even slots: |t| in [0, 1]; odd: |t| + 1).
fn keys_table() -> Vec<f32> {
    let a = -0.5f64;
    let mut table = vec![0.0f32; (TABLE_SIZE + 1) * 2];
    for i in 0..=TABLE_SIZE {
        let mut x = (i as f64 / TABLE_SIZE as f64) as f32;
        let xd = x as f64;
        table[i * 2] = (((a + 2.0) * xd - (a + 3.0)) * xd * xd + 1.0) as f32;
        x += 1.0;
        let xd = x as f64;
        table[i * 2 + 1] = (((a * xd - 5.0 * a) * xd + 8.0 * a) * xd - 4.0 * a) as f32;
    }
    table
}

fn cubic_weights(out: usize, len: usize, scale: f32, table: &[f32]) -> Vec<([usize; 4], [f32; 4])> {
    (0..out)
        .map(|o| {
            let pos = (o as f32 + 0.5) * scale - 0.5;
            let loc = pos.floor();
            let delta = pos - loc;
            let loc = loc as i64;
            let offset = (delta * TABLE_SIZE as f32).round_ties_even() as usize;
            let offset = offset.min(TABLE_SIZE);
            let taps = [
                table[offset * 2 + 1],
                table[offset * 2],
                table[(TABLE_SIZE - offset) * 2],
                table[(TABLE_SIZE - offset) * 2 + 1],
            ];
            let mut idx = [0usize; 4];
            let mut w = [0.0f32; 4];
            for k in 0..4 {
                let want = loc - 1 + k as i64;
                let bounded = want.clamp(0, len as i64 - 1);
                idx[k] = bounded as usize;
                w[k] = if bounded == want { taps[k] } else { 0.0 };
            }
            let sum = w[0] + w[1] + w[2] + w[3];
            if sum.abs() >= 1000.0 * f32::MIN_POSITIVE {
                let inv = 1.0 / sum;
                for v in &mut w {
                    *v *= inv;
                }
            }
            (idx, w)
        })
        .collect()
}

fn bicubic(im: &Images<f32>, oh: usize, ow: usize, sh: f32, sw: f32) -> Vec<f32> {
    let table = keys_table();
    let ys = cubic_weights(oh, im.h, sh, &table);
    let xs = cubic_weights(ow, im.w, sw, &table);
    let mut out = Vec::with_capacity(im.n * oh * ow * im.c);
    for b in 0..im.n {
        for (yi, yw) in &ys {
            for (xi, xw) in &xs {
                for ch in 0..im.c {
                    let col = |xx: usize| {
                        let v = |k: usize| im.data[im.idx(b, yi[k], xx, ch)];
                        v(0) * yw[0] + v(1) * yw[1] + v(2) * yw[2] + v(3) * yw[3]
                    };
                    let c = [col(xi[0]), col(xi[1]), col(xi[2]), col(xi[3])];
                    out.push(c[0] * xw[0] + c[1] * xw[1] + c[2] * xw[2] + c[3] * xw[3]);
                }
            }
        }
    }
    out
}

/// The input cells (clamped to the image) and their overlap with output cell `o`.
fn area_spans(out: usize, len: usize, scale: f32) -> Vec<Vec<(usize, f32)>> {
    (0..out)
        .map(|o| {
            let lo = o as f32 * scale;
            let hi = (o + 1) as f32 * scale;
            let (start, end) = (lo.floor() as i64, hi.ceil() as i64);
            (start..end)
                .map(|i| {
                    let fi = i as f32;
                    let s = if fi < lo {
                        if fi + 1.0 > hi {
                            scale
                        } else {
                            fi + 1.0 - lo
                        }
                    } else if fi + 1.0 > hi {
                        hi - fi
                    } else {
                        1.0
                    };
                    (i.clamp(0, len as i64 - 1) as usize, s)
                })
                .collect()
        })
        .collect()
}

fn area(im: &Images<f32>, oh: usize, ow: usize, sh: f32, sw: f32) -> Vec<f32> {
    let ys = area_spans(oh, im.h, sh);
    let xs = area_spans(ow, im.w, sw);
    let norm = 1.0 / (sh * sw);
    let mut out = Vec::with_capacity(im.n * oh * ow * im.c);
    for b in 0..im.n {
        for yspan in &ys {
            for xspan in &xs {
                for ch in 0..im.c {
                    let mut sum = 0.0f32;
                    for &(yy, wy) in yspan {
                        let mut row = 0.0f32;
                        for &(xx, wx) in xspan {
                            row += im.data[im.idx(b, yy, xx, ch)] * wx;
                        }
                        sum += row * wy;
                    }
                    out.push(sum * norm);
                }
            }
        }
    }
    out
}
