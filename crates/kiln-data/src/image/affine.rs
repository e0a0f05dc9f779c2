//! Keras's legacy `apply_affine_transform` (rotation, shift, shear, zoom) with scipy's
//! `ndimage.affine_transform` sampling.

use std::str::FromStr;

use kiln_tensor::Tensor;

use super::invalid;
use crate::{DataError, Result};

const API: &str = "image::apply_affine_transform";

/// How points that map outside the input are filled; Keras passes its `fill_mode`
/// straight to scipy, so these are scipy's `ndimage` modes (for an input `a b c d`):
///
/// * `Nearest`: `a a a | a b c d | d d d` (coordinates clamp to the edge).
/// * `Constant`: `k k k | a b c d | k k k`, and any coordinate outside `[0, n - 1]` gives
///   `cval` (no interpolation towards `cval`).
/// * `Reflect`: `d c b a | a b c d | d c b a` (half-sample symmetric, period `2n`).
/// * `Wrap`: scipy's `"wrap"`, whose period is `n - 1`, not `n`: a coordinate outside
///   `[0, n - 1]` is shifted by multiples of `n - 1` into it, so the first and last samples
///   overlap.
///
/// ```
/// use kiln_data::image::FillMode;
/// assert_eq!("wrap".parse::<FillMode>()?, FillMode::Wrap);
/// assert!("mirror".parse::<FillMode>().is_err());
/// # Ok::<(), kiln_data::DataError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FillMode {
    /// `"nearest"`.
    Nearest,
    /// `"constant"` (with [`AffineTransform::cval`]).
    Constant,
    /// `"reflect"`.
    Reflect,
    /// `"wrap"`.
    Wrap,
}

impl FromStr for FillMode {
    type Err = DataError;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "nearest" => FillMode::Nearest,
            "constant" => FillMode::Constant,
            "reflect" => FillMode::Reflect,
            "wrap" => FillMode::Wrap,
            _ => {
                return Err(invalid(
                    API,
                    format!(
                        "unknown fill_mode {s:?} (expected \"nearest\", \"constant\", \
                         \"reflect\" or \"wrap\")"
                    ),
                ))
            }
        })
    }
}

/// The arguments of `apply_affine_transform`, with Keras's defaults (channels first:
/// `row_axis = 1`, `col_axis = 2`, `channel_axis = 0`; `fill_mode = "nearest"`, `order = 1`).
///
/// ```
/// let t = kiln_data::image::AffineTransform { theta: 15.0, ..Default::default() };
/// assert_eq!((t.zx, t.channel_axis, t.order), (1.0, 0, 1));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AffineTransform {
    /// Rotation in degrees.
    pub theta: f64,
    /// Shift in pixels in Keras's "x" direction: the column axis when
    /// `col_axis > row_axis` (Keras swaps its matrix then), else the row axis. A positive
    /// shift samples further along, moving content towards index 0.
    pub tx: f64,
    /// Shift in Keras's "y" direction (the other of the two axes).
    pub ty: f64,
    /// Shear angle in degrees.
    pub shear: f64,
    /// Zoom in the "x" direction (see [`AffineTransform::tx`]; the sampling step: above 1
    /// zooms out).
    pub zx: f64,
    /// Zoom in the "y" direction.
    pub zy: f64,
    /// Index of the row axis in `x`.
    pub row_axis: usize,
    /// Index of the column axis.
    pub col_axis: usize,
    /// Index of the channel axis (0 or 2).
    pub channel_axis: usize,
    /// Boundary handling.
    pub fill_mode: FillMode,
    /// The fill value for [`FillMode::Constant`].
    pub cval: f64,
    /// Spline order: 0 (nearest sample) or 1 (linear); higher orders are not implemented.
    pub order: usize,
}

impl Default for AffineTransform {
    fn default() -> Self {
        AffineTransform {
            theta: 0.0,
            tx: 0.0,
            ty: 0.0,
            shear: 0.0,
            zx: 1.0,
            zy: 1.0,
            row_axis: 1,
            col_axis: 2,
            channel_axis: 0,
            fill_mode: FillMode::Nearest,
            cval: 0.0,
            order: 1,
        }
    }
}

type M3 = [[f64; 3]; 3];

fn dot(a: &M3, b: &M3) -> M3 {
    let mut out = [[0.0; 3]; 3];
    for (i, row) in out.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
        }
    }
    out
}

/// `keras.src.legacy.preprocessing.image.apply_affine_transform` on a rank-3 image: builds
/// rotation, shift, shear and zoom matrices (in that order, about the image centre) and
/// resamples each channel like `scipy.ndimage.affine_transform` (output pixel `o` reads
/// the input at `A o + b`). Returns `x` unchanged when every parameter is neutral. The
/// result has `x`'s shape and dtype (computed in f64, like scipy).
///
/// ```
/// use kiln_data::image::{apply_affine_transform, AffineTransform, FillMode};
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec((0..9).map(|v| v as f32).collect::<Vec<_>>(), &[3, 3, 1])?;
/// let t = AffineTransform {
///     tx: 1.0, row_axis: 0, col_axis: 1, channel_axis: 2,
///     fill_mode: FillMode::Constant, cval: -1.0, ..Default::default()
/// };
/// let y = apply_affine_transform(&x, &t)?;
/// assert_eq!(y.to_vec::<f32>()?, vec![1.0, 2.0, -1.0, 4.0, 5.0, -1.0, 7.0, 8.0, -1.0]);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn apply_affine_transform(x: &Tensor, t: &AffineTransform) -> Result<Tensor> {
    let axes = [t.row_axis, t.col_axis, t.channel_axis];
    if axes[0] == axes[1] || axes[0] == axes[2] || axes[1] == axes[2] {
        return Err(invalid(
            API,
            format!("row_axis, col_axis and channel_axis must be distinct, got {axes:?}"),
        ));
    }
    if axes.iter().any(|&a| a > 2) {
        return Err(invalid(
            API,
            format!("row_axis, col_axis and channel_axis must be 0, 1 or 2, got {axes:?}"),
        ));
    }
    let shape = x.shape().to_vec();
    if shape.len() != 3 {
        return Err(invalid(
            API,
            format!("expected a rank-3 image (rows, columns and channels), got shape {shape:?}"),
        ));
    }
    if t.channel_axis != 0 && t.channel_axis != 2 {
        return Err(invalid(
            API,
            format!("channel_axis must be 0 or 2, got {}", t.channel_axis),
        ));
    }
    if t.order > 1 {
        return Err(invalid(
            API,
            format!("order {} is not implemented (only 0 and 1)", t.order),
        ));
    }
    let mut m: Option<M3> = None;
    let mut then = |b: M3| m = Some(m.map_or(b, |a| dot(&a, &b)));
    if t.theta != 0.0 {
        let r = t.theta.to_radians();
        then([
            [r.cos(), -r.sin(), 0.0],
            [r.sin(), r.cos(), 0.0],
            [0.0, 0.0, 1.0],
        ]);
    }
    if t.tx != 0.0 || t.ty != 0.0 {
        then([[1.0, 0.0, t.tx], [0.0, 1.0, t.ty], [0.0, 0.0, 1.0]]);
    }
    if t.shear != 0.0 {
        let s = t.shear.to_radians();
        then([[1.0, -s.sin(), 0.0], [0.0, s.cos(), 0.0], [0.0, 0.0, 1.0]]);
    }
    if t.zx != 1.0 || t.zy != 1.0 {
        then([[t.zx, 0.0, 0.0], [0.0, t.zy, 0.0], [0.0, 0.0, 1.0]]);
    }
    let Some(m) = m else {
        return Ok(x.clone());
    };
    let (h, w) = (shape[t.row_axis], shape[t.col_axis]);
    let (ox, oy) = (h as f64 / 2.0 - 0.5, w as f64 / 2.0 - 0.5);
    let offset = [[1.0, 0.0, ox], [0.0, 1.0, oy], [0.0, 0.0, 1.0]];
    let reset = [[1.0, 0.0, -ox], [0.0, 1.0, -oy], [0.0, 0.0, 1.0]];
    let mut m = dot(&dot(&offset, &m), &reset);
    if t.col_axis > t.row_axis {
        for row in &mut m {
            row.swap(0, 1);
        }
        m.swap(0, 1);
    }
    // The plane's axes are the two non-channel axes in their original order.
    let (p0, p1) = if t.channel_axis == 0 { (1, 2) } else { (0, 1) };
    let (d0, d1, nc) = (shape[p0], shape[p1], shape[t.channel_axis]);
    let strides = [shape[1] * shape[2], shape[2], 1];
    let (sc, s0, s1) = (strides[t.channel_axis], strides[p0], strides[p1]);
    let data = x.to_f64_vec();
    let mut out = vec![0.0f64; data.len()];
    for i0 in 0..d0 {
        for i1 in 0..d1 {
            let c0 = m[0][0] * i0 as f64 + m[0][1] * i1 as f64 + m[0][2];
            let c1 = m[1][0] * i0 as f64 + m[1][1] * i1 as f64 + m[1][2];
            let taps = match (
                axis_taps(c0, d0, t.fill_mode, t.order),
                axis_taps(c1, d1, t.fill_mode, t.order),
            ) {
                (Some(a), Some(b)) => Some((a, b)),
                _ => None,
            };
            for ch in 0..nc {
                let o = i0 * s0 + i1 * s1 + ch * sc;
                out[o] = match &taps {
                    None => t.cval,
                    Some((a, b)) => {
                        let mut acc = 0.0;
                        for &(j0, w0) in a.iter().take(t.order + 1) {
                            for &(j1, w1) in b.iter().take(t.order + 1) {
                                acc += data[j0 * s0 + j1 * s1 + ch * sc] * w0 * w1;
                            }
                        }
                        acc
                    }
                };
            }
        }
    }
    Ok(Tensor::from_vec(out, &shape)?.cast(x.dtype())?)
}

/// The input indices and weights that coordinate `c` reads along an axis of length `len`,
/// or `None` for the constant fill.
fn axis_taps(c: f64, len: usize, mode: FillMode, order: usize) -> Option<[(usize, f64); 2]> {
    let last = len as f64 - 1.0;
    let clamp = |i: f64| (i.max(0.0) as usize).min(len - 1);
    // Map the coordinate into range the way scipy's map_coordinate does.
    let c = if c < 0.0 || c > last {
        match mode {
            FillMode::Constant => return None,
            FillMode::Nearest => c.clamp(0.0, last),
            FillMode::Wrap if len <= 1 => 0.0,
            FillMode::Wrap => {
                let sz = last;
                if c < 0.0 {
                    c + sz * ((-c / sz).trunc() + 1.0)
                } else {
                    c - sz * (c / sz).trunc()
                }
            }
            FillMode::Reflect => {
                // Half-sample symmetric extension: sample k reads reflect(k).
                let reflect = |k: i64| {
                    let n = len as i64;
                    let m = k.rem_euclid(2 * n);
                    (if m >= n { 2 * n - 1 - m } else { m }) as usize
                };
                if order == 0 {
                    return Some([(reflect((c + 0.5).floor() as i64), 1.0), (0, 0.0)]);
                }
                let f = c.floor();
                let frac = c - f;
                let k = f as i64;
                return Some([(reflect(k), 1.0 - frac), (reflect(k + 1), frac)]);
            }
        }
    } else {
        c
    };
    if order == 0 {
        return Some([(clamp((c + 0.5).floor()), 1.0), (0, 0.0)]);
    }
    let f = c.floor();
    let frac = c - f;
    Some([(clamp(f), 1.0 - frac), (clamp(f + 1.0), frac)])
}
