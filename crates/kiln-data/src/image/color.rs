//! `tf.image` colour adjustments and colour-space conversions on floating-point images.
//!
//! These follow TensorFlow's float kernels step by step (f32 arithmetic, the same
//! HSV formulas and tie rules) and take floating-point tensors; integer images are
//! rejected with an error rather than silently rescaled.

use kiln_tensor::Tensor;

use super::{invalid, Images};
use crate::Result;

fn need_channels(api: &'static str, im: &Images<f32>, t: &Tensor, c: usize) -> Result<()> {
    if im.c != c {
        return Err(invalid(
            api,
            format!(
                "expected {c} channel{} in the last axis, got shape {:?}",
                if c == 1 { "" } else { "s" },
                t.shape()
            ),
        ));
    }
    Ok(())
}

fn map_pixels(
    api: &'static str,
    image: &Tensor,
    f: impl Fn(f32, f32, f32) -> (f32, f32, f32),
) -> Result<Tensor> {
    let im = Images::float(api, image)?;
    need_channels(api, &im, image, 3)?;
    let mut out = im.data.clone();
    for p in out.chunks_exact_mut(3) {
        let (r, g, b) = f(p[0], p[1], p[2]);
        p.copy_from_slice(&[r, g, b]);
    }
    im.finish_float(out, im.h, im.w, 3)
}

/// `tf.image.adjust_brightness`: adds `delta` to every value (no clipping for floats).
///
/// ```
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![0.25f32, 0.5], &[1, 1, 2])?;
/// let y = kiln_data::image::adjust_brightness(&x, 0.25)?;
/// assert_eq!(y.to_vec::<f32>()?, vec![0.5, 0.75]);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn adjust_brightness(image: &Tensor, delta: f32) -> Result<Tensor> {
    let im = Images::float("image::adjust_brightness", image)?;
    let out = im.data.iter().map(|v| v + delta).collect();
    im.finish_float(out, im.h, im.w, im.c)
}

/// `tf.image.adjust_contrast`: per image and channel, `(x - mean) * factor + mean`, the
/// mean taken over height and width.
///
/// ```
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![0.0f32, 1.0], &[1, 2, 1])?;
/// let y = kiln_data::image::adjust_contrast(&x, 2.0)?;
/// assert_eq!(y.to_vec::<f32>()?, vec![-0.5, 1.5]);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn adjust_contrast(images: &Tensor, contrast_factor: f32) -> Result<Tensor> {
    let im = Images::float("image::adjust_contrast", images)?;
    let (hw, c) = (im.h * im.w, im.c);
    let mut out = im.data.clone();
    for img in out.chunks_mut((hw * c).max(1)) {
        for ch in 0..c {
            let sum: f64 = img.iter().skip(ch).step_by(c).map(|&v| v as f64).sum();
            let mean = (sum / hw as f64) as f32;
            for v in img.iter_mut().skip(ch).step_by(c) {
                *v = (*v - mean) * contrast_factor + mean;
            }
        }
    }
    im.finish_float(out, im.h, im.w, c)
}

/// `tf.image.adjust_gamma`: `gain * x ** gamma`; `gamma` must be non-negative.
///
/// ```
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![0.25f32, 1.0], &[1, 2, 1])?;
/// let y = kiln_data::image::adjust_gamma(&x, 0.5, 2.0)?;
/// assert_eq!(y.to_vec::<f32>()?, vec![1.0, 2.0]);
/// assert!(kiln_data::image::adjust_gamma(&x, -1.0, 1.0).is_err());
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn adjust_gamma(image: &Tensor, gamma: f32, gain: f32) -> Result<Tensor> {
    const API: &str = "image::adjust_gamma";
    let im = Images::float(API, image)?;
    if gamma.is_nan() || gamma < 0.0 {
        return Err(invalid(
            API,
            format!("gamma must be a non-negative real number, got {gamma}"),
        ));
    }
    let out = im.data.iter().map(|v| gain * v.powf(gamma)).collect();
    im.finish_float(out, im.h, im.w, im.c)
}

/// `tf.image.rgb_to_grayscale`: `0.2989 r + 0.587 g + 0.114 b`, keeping a last axis of 1.
///
/// ```
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1.0f32, 1.0, 1.0], &[1, 1, 3])?;
/// let g = kiln_data::image::rgb_to_grayscale(&x)?;
/// assert_eq!(g.shape(), &[1, 1, 1]);
/// let bad = Tensor::zeros(&[4, 4, 2], kiln_tensor::DType::F32);
/// let err = kiln_data::image::rgb_to_grayscale(&bad).unwrap_err().to_string();
/// assert!(err.contains("expected 3 channels in the last axis, got shape [4, 4, 2]"));
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn rgb_to_grayscale(images: &Tensor) -> Result<Tensor> {
    const API: &str = "image::rgb_to_grayscale";
    let im = Images::float(API, images)?;
    need_channels(API, &im, images, 3)?;
    let out = im
        .data
        .chunks_exact(3)
        .map(|p| p[0] * 0.2989 + p[1] * 0.587 + p[2] * 0.114)
        .collect();
    im.finish_float(out, im.h, im.w, 1)
}

/// `tf.image.grayscale_to_rgb`: repeats the single channel three times. Keeps the dtype.
///
/// ```
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![7u8], &[1, 1, 1])?;
/// assert_eq!(kiln_data::image::grayscale_to_rgb(&x)?.to_vec::<u8>()?, vec![7, 7, 7]);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn grayscale_to_rgb(images: &Tensor) -> Result<Tensor> {
    const API: &str = "image::grayscale_to_rgb";
    let im = Images::<f64>::f64(API, images)?;
    if im.c != 1 {
        return Err(invalid(
            API,
            format!(
                "expected 1 channel in the last axis, got shape {:?}",
                images.shape()
            ),
        ));
    }
    let out = im.data.iter().flat_map(|&v| [v, v, v]).collect();
    im.finish_same(out, im.h, im.w, 3)
}

/// `tf.image.rgb_to_hsv`: hue, saturation and value in `[0, 1]` (hue 0 for greys).
///
/// ```
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![0.0f32, 1.0, 0.0], &[1, 1, 3])?;
/// let hsv = kiln_data::image::rgb_to_hsv(&x)?.to_vec::<f32>()?;
/// assert!((hsv[0] - 1.0 / 3.0).abs() < 1e-6 && hsv[1] == 1.0 && hsv[2] == 1.0);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn rgb_to_hsv(images: &Tensor) -> Result<Tensor> {
    map_pixels("image::rgb_to_hsv", images, |r, g, b| {
        let v = r.max(g).max(b);
        let range = v - r.min(g).min(b);
        let s = if v > 0.0 { range / v } else { 0.0 };
        let norm = (1.0 / range) * (1.0f32 / 6.0);
        let mut h = if r == v {
            norm * (g - b)
        } else if g == v {
            norm * (b - r) + 2.0f32 / 6.0
        } else {
            norm * (r - g) + 4.0f32 / 6.0
        };
        if range <= 0.0 {
            h = 0.0;
        }
        if h < 0.0 {
            h += 1.0;
        }
        (h, s, v)
    })
}

/// `tf.image.hsv_to_rgb`: the inverse of [`rgb_to_hsv`].
///
/// ```
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![0.0f32, 1.0, 0.5], &[1, 1, 3])?;
/// assert_eq!(kiln_data::image::hsv_to_rgb(&x)?.to_vec::<f32>()?, vec![0.5, 0.0, 0.0]);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn hsv_to_rgb(images: &Tensor) -> Result<Tensor> {
    map_pixels("image::hsv_to_rgb", images, |h, s, v| {
        let dh = h * 6.0;
        let dr = ((dh - 3.0).abs() - 1.0).clamp(0.0, 1.0);
        let dg = (-(dh - 2.0).abs() + 2.0).clamp(0.0, 1.0);
        let db = (-(dh - 4.0).abs() + 2.0).clamp(0.0, 1.0);
        let one_s = -s + 1.0;
        (
            (one_s + s * dr) * v,
            (one_s + s * dg) * v,
            (one_s + s * db) * v,
        )
    })
}

/// The HSV conversion of TensorFlow's AdjustSaturation kernel (hue in `[0, 1)`).
fn sat_rgb_to_hsv(r: f32, g: f32, b: f32) -> (f32, f32, f32) {
    let v = r.max(g.max(b));
    let range = v - r.min(g.min(b));
    let s = if v > 0.0 { range / v } else { 0.0 };
    let norm = 1.0 / (6.0 * range);
    let mut h = if r == v {
        norm * (g - b)
    } else if g == v {
        (norm as f64 * (b - r) as f64 + 2.0 / 6.0) as f32
    } else {
        (norm as f64 * (r - g) as f64 + 4.0 / 6.0) as f32
    };
    if range <= 0.0 {
        h = 0.0;
    }
    if h < 0.0 {
        h += 1.0;
    }
    (h, s, v)
}

fn sat_hsv_to_rgb(h: f32, s: f32, v: f32) -> (f32, f32, f32) {
    let c = s * v;
    let m = v - c;
    let dh = h * 6.0;
    let category = dh as i32;
    let mut fmodu = dh;
    while fmodu <= 0.0 {
        fmodu += 2.0;
    }
    while fmodu >= 2.0 {
        fmodu -= 2.0;
    }
    let x = c * (1.0 - (fmodu - 1.0).abs());
    let (r, g, b) = match category {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        5 => (c, 0.0, x),
        _ => (0.0, 0.0, 0.0),
    };
    (r + m, g + m, b + m)
}

/// `tf.image.adjust_saturation`: scales the HSV saturation by `saturation_factor`,
/// clipped to `[0, 1]`.
///
/// ```
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![0.2f32, 0.4, 0.8], &[1, 1, 3])?;
/// let grey = kiln_data::image::adjust_saturation(&x, 0.0)?.to_vec::<f32>()?;
/// assert!(grey.iter().all(|&v| (v - 0.8).abs() < 1e-6));
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn adjust_saturation(image: &Tensor, saturation_factor: f32) -> Result<Tensor> {
    map_pixels("image::adjust_saturation", image, |r, g, b| {
        let (h, s, v) = sat_rgb_to_hsv(r, g, b);
        // max-then-min (not clamp) so a NaN saturation becomes 0, as in TF's kernel.
        #[allow(clippy::manual_clamp)]
        let s = (s * saturation_factor).max(0.0).min(1.0);
        sat_hsv_to_rgb(h, s, v)
    })
}

/// `tf.image.adjust_hue`: rotates the hue by `delta` (a fraction of a full turn, in
/// `[-1, 1]`), keeping each pixel's min and max channel values.
///
/// ```
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1.0f32, 0.0, 0.0], &[1, 1, 3])?;
/// let y = kiln_data::image::adjust_hue(&x, 1.0 / 3.0)?.to_vec::<f32>()?;
/// assert!((y[0] - 0.0).abs() < 1e-5 && (y[1] - 1.0).abs() < 1e-5 && y[2].abs() < 1e-5);
/// assert!(kiln_data::image::adjust_hue(&x, 1.5).is_err());
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn adjust_hue(image: &Tensor, delta: f32) -> Result<Tensor> {
    const API: &str = "image::adjust_hue";
    if !(-1.0..=1.0).contains(&delta) {
        return Err(invalid(
            API,
            format!("delta must be in the interval [-1, 1], got {delta}"),
        ));
    }
    let delta_h = delta * 6.0;
    map_pixels(API, image, |r, g, b| {
        let (mut h, vmin, vmax) = rgb_to_hv_range(r, g, b);
        h += delta_h;
        while h < 0.0 {
            h += 6.0;
        }
        while h >= 6.0 {
            h -= 6.0;
        }
        hv_range_to_rgb(h, vmin, vmax)
    })
}

/// Hue in `[0, 6)` plus the min and max channel (TensorFlow's AdjustHue kernel).
fn rgb_to_hv_range(r: f32, g: f32, b: f32) -> (f32, f32, f32) {
    let (vmax, vmid, vmin, category) = if r < g {
        if b < r {
            (g, r, b, 1)
        } else if b > g {
            (b, g, r, 3)
        } else {
            (g, b, r, 2)
        }
    } else if b < g {
        (r, g, b, 0)
    } else if b > r {
        (b, r, g, 4)
    } else {
        (r, b, g, 5)
    };
    if vmax == vmin {
        return (0.0, vmin, vmax);
    }
    let ratio = (vmid - vmin) / (vmax - vmin);
    let h = category as f32
        + if category % 2 == 0 {
            ratio
        } else {
            1.0 - ratio
        };
    (h, vmin, vmax)
}

fn hv_range_to_rgb(h: f32, vmin: f32, vmax: f32) -> (f32, f32, f32) {
    let category = h as i32;
    let mut ratio = h - category as f32;
    if category % 2 != 0 {
        ratio = 1.0 - ratio;
    }
    let vmid = vmin + ratio * (vmax - vmin);
    match category {
        0 => (vmax, vmid, vmin),
        1 => (vmid, vmax, vmin),
        2 => (vmin, vmax, vmid),
        3 => (vmin, vmid, vmax),
        4 => (vmid, vmin, vmax),
        _ => (vmax, vmin, vmid),
    }
}

/// `tf.image.per_image_standardization`: `(x - mean) / max(stddev, 1 / sqrt(N))` per
/// image, over its `N = height * width * channels` values. Integer images are cast (not
/// rescaled) to float32, like TensorFlow; the result is float32.
///
/// ```
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1.0f32, 3.0], &[1, 2, 1])?;
/// assert_eq!(kiln_data::image::per_image_standardization(&x)?.to_vec::<f32>()?, vec![-1.0, 1.0]);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn per_image_standardization(image: &Tensor) -> Result<Tensor> {
    let mut im = Images::f32("image::per_image_standardization", image)?;
    im.dtype = kiln_tensor::DType::F32;
    let per = im.h * im.w * im.c;
    let mut out = im.data.clone();
    let min_std = 1.0 / (per as f32).sqrt();
    for img in out.chunks_mut(per.max(1)) {
        let mean = (img.iter().map(|&v| v as f64).sum::<f64>() / per as f64) as f32;
        let var = img
            .iter()
            .map(|&v| ((v - mean) as f64).powi(2))
            .sum::<f64>()
            / per as f64;
        let std = (var.sqrt() as f32).max(min_std);
        for v in img.iter_mut() {
            *v = (*v - mean) / std;
        }
    }
    im.finish_float(out, im.h, im.w, im.c)
}
