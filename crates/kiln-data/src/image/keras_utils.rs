//! `keras.utils.load_img` / `img_to_array` / `array_to_img` / `save_img`.
//!
//! Keras does these with Pillow; kiln decodes with [`super::decode_image`] and repeats
//! Pillow's mode conversions and its two-pass fixed-point resampling.

use std::path::Path;
use std::str::FromStr;

use kiln_tensor::{DType, Tensor};

use super::invalid;
use crate::idx::io_err;
use crate::{DataError, Result};

/// `color_mode` of [`load_img`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorMode {
    /// `"grayscale"`: one channel (Pillow's `L`).
    Grayscale,
    /// `"rgb"`: three channels.
    Rgb,
    /// `"rgba"`: four channels.
    Rgba,
}

impl FromStr for ColorMode {
    type Err = DataError;
    /// ```
    /// assert!("rgb".parse::<kiln_data::image::ColorMode>().is_ok());
    /// assert!("cmyk".parse::<kiln_data::image::ColorMode>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "grayscale" => Ok(ColorMode::Grayscale),
            "rgb" => Ok(ColorMode::Rgb),
            "rgba" => Ok(ColorMode::Rgba),
            _ => Err(invalid(
                "image::load_img",
                format!("color_mode must be \"grayscale\", \"rgb\" or \"rgba\", got {s:?}"),
            )),
        }
    }
}

/// `interpolation` of [`load_img`] (Pillow's resampling filters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interpolation {
    /// `"nearest"` (Keras's default).
    Nearest,
    /// `"bilinear"`: triangle filter, widened when downscaling.
    Bilinear,
    /// `"bicubic"`: Keys cubic (a = -0.5), widened when downscaling.
    Bicubic,
}

impl FromStr for Interpolation {
    type Err = DataError;
    /// ```
    /// assert!("bicubic".parse::<kiln_data::image::Interpolation>().is_ok());
    /// assert!("lanczos".parse::<kiln_data::image::Interpolation>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "nearest" => Ok(Interpolation::Nearest),
            "bilinear" => Ok(Interpolation::Bilinear),
            "bicubic" => Ok(Interpolation::Bicubic),
            _ => Err(invalid(
                "image::load_img",
                format!(
                    "interpolation must be \"nearest\", \"bilinear\" or \"bicubic\", got {s:?}"
                ),
            )),
        }
    }
}

/// Pillow's `L` from RGB: `(19595 r + 38470 g + 7471 b + 0x8000) >> 16`.
fn pil_luma(r: u8, g: u8, b: u8) -> u8 {
    ((19595 * u32::from(r) + 38470 * u32::from(g) + 7471 * u32::from(b) + 0x8000) >> 16) as u8
}

/// Converts decoded pixels (1 to 4 channels) to `mode` like Pillow's `Image.convert`.
fn convert_mode(px: &[u8], src: usize, mode: ColorMode) -> Vec<u8> {
    let mut out = Vec::new();
    for p in px.chunks_exact(src) {
        let (rgb, a) = match src {
            1 => ([p[0]; 3], 255),
            2 => ([p[0]; 3], p[1]),
            3 => ([p[0], p[1], p[2]], 255),
            _ => ([p[0], p[1], p[2]], p[3]),
        };
        match mode {
            ColorMode::Grayscale if src <= 2 => out.push(p[0]),
            ColorMode::Grayscale => out.push(pil_luma(rgb[0], rgb[1], rgb[2])),
            ColorMode::Rgb => out.extend(rgb),
            ColorMode::Rgba => out.extend([rgb[0], rgb[1], rgb[2], a]),
        }
    }
    out
}

const PRECISION_BITS: u32 = 32 - 8 - 2;

/// Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for one axis: per output
/// sample, the first input index and fixed-point weights.
fn pil_coeffs(in_size: usize, out_size: usize, filter: Interpolation) -> Vec<(usize, Vec<i32>)> {
    let (support, f): (f64, fn(f64) -> f64) = match filter {
        Interpolation::Bilinear => (1.0, |x: f64| {
            let x = x.abs();
            if x < 1.0 {
                1.0 - x
            } else {
                0.0
            }
        }),
        _ => (2.0, |x: f64| {
            let a = -0.5;
            let x = x.abs();
            if x < 1.0 {
                ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
            } else if x < 2.0 {
                (((x - 5.0) * x + 8.0) * x - 4.0) * a
            } else {
                0.0
            }
        }),
    };
    let scale = in_size as f64 / out_size as f64;
    let filterscale = scale.max(1.0);
    let support = support * filterscale;
    (0..out_size)
        .map(|xx| {
            let center = (xx as f64 + 0.5) * scale;
            let ss = 1.0 / filterscale;
            let xmin = ((center - support + 0.5) as i64).max(0) as usize;
            let xmax = ((center + support + 0.5) as i64).min(in_size as i64) as usize;
            let n = xmax.saturating_sub(xmin);
            let w: Vec<f64> = (0..n)
                .map(|x| f((x as f64 + xmin as f64 - center + 0.5) * ss))
                .collect();
            let total: f64 = w.iter().sum();
            let k = w
                .iter()
                .map(|&v| {
                    let v = if total != 0.0 { v / total } else { v };
                    let s = v * f64::from(1u32 << PRECISION_BITS);
                    if v < 0.0 {
                        (s - 0.5) as i32
                    } else {
                        (s + 0.5) as i32
                    }
                })
                .collect();
            (xmin, k)
        })
        .collect()
}

fn clip8(acc: i64) -> u8 {
    (acc >> PRECISION_BITS).clamp(0, 255) as u8
}

/// Pillow's `Image.resize` for 8-bit images: nearest via its affine scaler, otherwise a
/// horizontal then a vertical convolution pass, each rounded to 8 bits.
fn pil_resize(
    px: &[u8],
    h: usize,
    w: usize,
    c: usize,
    oh: usize,
    ow: usize,
    f: Interpolation,
) -> Vec<u8> {
    if f == Interpolation::Nearest {
        let table = |out: usize, len: usize| {
            let step = len as f64 / out as f64;
            let mut pos = step * 0.5;
            (0..out)
                .map(|_| {
                    let i = (pos as usize).min(len - 1);
                    pos += step;
                    i
                })
                .collect::<Vec<_>>()
        };
        let (ys, xs) = (table(oh, h), table(ow, w));
        let mut out = Vec::with_capacity(oh * ow * c);
        for &y in &ys {
            for &x in &xs {
                let i = (y * w + x) * c;
                out.extend_from_slice(&px[i..i + c]);
            }
        }
        return out;
    }
    let mut cur = px.to_vec();
    let mut cw = w;
    if ow != w {
        let k = pil_coeffs(w, ow, f);
        let mut out = Vec::with_capacity(h * ow * c);
        for y in 0..h {
            for (xmin, kk) in &k {
                for ch in 0..c {
                    let mut acc: i64 = 1 << (PRECISION_BITS - 1);
                    for (j, &wt) in kk.iter().enumerate() {
                        acc += i64::from(cur[(y * cw + xmin + j) * c + ch]) * i64::from(wt);
                    }
                    out.push(clip8(acc));
                }
            }
        }
        cur = out;
        cw = ow;
    }
    if oh != h {
        let k = pil_coeffs(h, oh, f);
        let mut out = Vec::with_capacity(oh * cw * c);
        for (ymin, kk) in &k {
            for x in 0..cw {
                for ch in 0..c {
                    let mut acc: i64 = 1 << (PRECISION_BITS - 1);
                    for (j, &wt) in kk.iter().enumerate() {
                        acc += i64::from(cur[((ymin + j) * cw + x) * c + ch]) * i64::from(wt);
                    }
                    out.push(clip8(acc));
                }
            }
        }
        cur = out;
    }
    cur
}

fn premultiply(px: &mut [u8]) {
    for p in px.chunks_exact_mut(4) {
        let a = u32::from(p[3]);
        for v in &mut p[..3] {
            let t = u32::from(*v) * a + 128;
            *v = (((t >> 8) + t) >> 8) as u8;
        }
    }
}

fn unpremultiply(px: &mut [u8]) {
    for p in px.chunks_exact_mut(4) {
        let a = u32::from(p[3]);
        if a != 0 && a != 255 {
            for v in &mut p[..3] {
                *v = ((255 * u32::from(*v)) / a).min(255) as u8;
            }
        }
    }
}

/// `keras.utils.img_to_array(keras.utils.load_img(path, color_mode, target_size,
/// interpolation))`: reads a PNG or JPEG file as a float32 `[height, width, channels]`
/// tensor (values 0 to 255).
///
/// The image is converted to `color_mode` like Pillow (`L = (19595 r + 38470 g + 7471 b +
/// 32768) >> 16`), then, if `target_size = Some((height, width))` differs from its size,
/// resized with Pillow's filters (RGBA is premultiplied by alpha for bilinear/bicubic, as
/// Pillow does). 16-bit greyscale PNGs load as 8-bit (their high byte), where Pillow
/// would keep 16-bit values. Errors name the file.
///
/// ```
/// use kiln_data::image::{encode_png, load_img, ColorMode, Interpolation};
/// use kiln_tensor::{DType, Tensor};
/// let dir = std::env::temp_dir().join(format!("kiln-load-img-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("a.png");
/// std::fs::write(&path, encode_png(&Tensor::full(&[4, 6, 3], 200.0, DType::U8))?).unwrap();
/// let x = load_img(&path, ColorMode::Grayscale, Some((2, 3)), Interpolation::Nearest)?;
/// assert_eq!(x.shape(), &[2, 3, 1]);
/// assert_eq!(x.to_vec::<f32>()?, vec![200.0; 6]);
/// assert!(load_img(dir.join("missing.png"), ColorMode::Rgb, None, Interpolation::Nearest).is_err());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn load_img(
    path: impl AsRef<Path>,
    color_mode: ColorMode,
    target_size: Option<(usize, usize)>,
    interpolation: Interpolation,
) -> Result<Tensor> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| io_err(path, e))?;
    let decoded = super::decode_image(&bytes, 0).map_err(|e| DataError::Corrupt {
        path: path.to_path_buf(),
        msg: e.to_string(),
    })?;
    let [h, w, src] = *decoded.shape() else {
        return Err(DataError::Corrupt {
            path: path.to_path_buf(),
            msg: format!("decoded to shape {:?}", decoded.shape()),
        });
    };
    let c = match color_mode {
        ColorMode::Grayscale => 1,
        ColorMode::Rgb => 3,
        ColorMode::Rgba => 4,
    };
    let mut px = convert_mode(&decoded.to_vec::<u8>()?, src, color_mode);
    let (mut oh, mut ow) = (h, w);
    if let Some((th, tw)) = target_size {
        if th == 0 || tw == 0 {
            return Err(invalid(
                "image::load_img",
                format!("target_size must be positive, got ({th}, {tw})"),
            ));
        }
        if (th, tw) != (h, w) && h > 0 && w > 0 {
            let alpha = c == 4 && interpolation != Interpolation::Nearest;
            if alpha {
                premultiply(&mut px);
            }
            px = pil_resize(&px, h, w, c, th, tw, interpolation);
            if alpha {
                unpremultiply(&mut px);
            }
            (oh, ow) = (th, tw);
        }
    }
    let data: Vec<f32> = px.into_iter().map(f32::from).collect();
    Ok(Tensor::from_vec(data, &[oh, ow, c])?)
}

/// `keras.utils.img_to_array`: a float32 `[height, width, channels]` tensor; a rank-2
/// (greyscale) input gains a channel axis.
///
/// ```
/// use kiln_tensor::{DType, Tensor};
/// let x = kiln_data::image::img_to_array(&Tensor::zeros(&[2, 3], DType::U8))?;
/// assert_eq!((x.shape(), x.dtype()), (&[2usize, 3, 1][..], DType::F32));
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn img_to_array(img: &Tensor) -> Result<Tensor> {
    let x = img.cast(DType::F32)?;
    match *x.shape() {
        [h, w] => Ok(x.reshape(&[h as isize, w as isize, 1])?),
        [_, _, _] => Ok(x),
        ref s => Err(invalid(
            "image::img_to_array",
            format!("expected an image of rank 2 or 3, got shape {s:?}"),
        )),
    }
}

/// `keras.utils.array_to_img`: a uint8 `[height, width, 1, 3 or 4]` image from an array.
/// With `scale`, values are shifted to start at 0 and scaled so the maximum is 255 (in
/// float32, like Keras); then they are truncated to integers. Values outside `[0, 255]`
/// saturate (NumPy's `astype(uint8)` would wrap them).
///
/// ```
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![-1.0f32, 0.0, 1.0], &[1, 3, 1])?;
/// let img = kiln_data::image::array_to_img(&x, true)?;
/// assert_eq!(img.to_vec::<u8>()?, vec![0, 127, 255]);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn array_to_img(x: &Tensor, scale: bool) -> Result<Tensor> {
    const API: &str = "image::array_to_img";
    let [_, _, c] = *x.shape() else {
        return Err(invalid(
            API,
            format!(
                "expected an image array of rank 3 [height, width, channels], got shape {:?}",
                x.shape()
            ),
        ));
    };
    if !matches!(c, 1 | 3 | 4) {
        return Err(invalid(
            API,
            format!(
                "unsupported channel number {c} (expected 1, 3 or 4) in shape {:?}",
                x.shape()
            ),
        ));
    }
    let mut v: Vec<f32> = x.to_f64_vec().into_iter().map(|v| v as f32).collect();
    if scale && !v.is_empty() {
        let min = v.iter().copied().fold(f32::INFINITY, f32::min);
        v.iter_mut().for_each(|a| *a -= min);
        let max = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        if max != 0.0 {
            v.iter_mut().for_each(|a| *a /= max);
        }
        v.iter_mut().for_each(|a| *a *= 255.0);
    }
    let bytes: Vec<u8> = v.into_iter().map(|a| a.clamp(0.0, 255.0) as u8).collect();
    Ok(Tensor::from_vec(bytes, x.shape())?)
}

/// `keras.utils.save_img(path, x, scale=scale)`: [`array_to_img`] then PNG or JPEG (by
/// the extension: `.png`, `.jpg`, `.jpeg`; JPEG at Pillow's default quality 75, dropping
/// an alpha channel as Keras does). Written atomically: a temporary file in the same
/// directory renamed into place.
///
/// ```
/// use kiln_data::image::{load_img, save_img, ColorMode, Interpolation};
/// use kiln_tensor::Tensor;
/// let dir = std::env::temp_dir().join(format!("kiln-save-img-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let x = Tensor::from_vec(vec![0.0f32, 10.0, 20.0, 30.0], &[2, 2, 1])?;
/// save_img(dir.join("x.png"), &x, false)?;
/// let y = load_img(dir.join("x.png"), ColorMode::Grayscale, None, Interpolation::Nearest)?;
/// assert_eq!(y.to_vec::<f32>()?, vec![0.0, 10.0, 20.0, 30.0]);
/// assert!(save_img(dir.join("x.gif"), &x, false).is_err());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn save_img(path: impl AsRef<Path>, x: &Tensor, scale: bool) -> Result<()> {
    const API: &str = "image::save_img";
    let path = path.as_ref();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let img = array_to_img(x, scale)?;
    let bytes = match ext.as_str() {
        "png" => super::encode_png(&img)?,
        "jpg" | "jpeg" => {
            let img = if img.shape()[2] == 4 {
                let (h, w) = (img.shape()[0], img.shape()[1]);
                let rgb: Vec<u8> = img
                    .to_vec::<u8>()?
                    .chunks_exact(4)
                    .flat_map(|p| [p[0], p[1], p[2]])
                    .collect();
                Tensor::from_vec(rgb, &[h, w, 3])?
            } else {
                img
            };
            super::encode_jpeg(&img, 75)?
        }
        _ => {
            return Err(invalid(
                API,
                format!(
                    "{}: cannot tell the image format from the extension (use .png, .jpg or .jpeg)",
                    path.display()
                ),
            ))
        }
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| io_err(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io_err(path, e)
    })
}
