//! `save_image_grid`: a batch of images laid out as `rows x cols` tiles in one PNG, the
//! figure the seed programs draw with `plt.subplot(rows, cols, i)` + `imshow`.

use std::path::Path;

use kiln_tensor::Tensor;

use crate::{Error, Result};

const API: &str = "save_image_grid";

fn bad(msg: String) -> Error {
    Error::InvalidArgument { api: API, msg }
}

/// Options of [`save_image_grid`]: the value range mapped to 0..255 (default `(0, 1)`),
/// the padding in pixels between tiles and around the border (default 0), and the
/// padding's grey level (default 0, black).
///
/// ```
/// let args = kiln::utils::ImageGridArgs::new().value_range(-1.0, 1.0).padding(2);
/// assert_eq!(args.range(), (-1.0, 1.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImageGridArgs {
    min: f64,
    max: f64,
    padding: usize,
    pad_value: u8,
}

impl Default for ImageGridArgs {
    fn default() -> Self {
        ImageGridArgs {
            min: 0.0,
            max: 1.0,
            padding: 0,
            pad_value: 0,
        }
    }
}

impl ImageGridArgs {
    /// The defaults: values in `[0, 1]`, no padding.
    pub fn new() -> Self {
        Self::default()
    }

    /// Values `min` and below become 0, `max` and above 255, linear in between (e.g.
    /// `(-1, 1)` for a tanh generator's output, `(0, 255)` for raw pixels).
    pub fn value_range(mut self, min: f64, max: f64) -> Self {
        self.min = min;
        self.max = max;
        self
    }

    /// Pixels between tiles and around the border.
    pub fn padding(mut self, padding: usize) -> Self {
        self.padding = padding;
        self
    }

    /// The grey level (0..=255) of the padding.
    pub fn pad_value(mut self, value: u8) -> Self {
        self.pad_value = value;
        self
    }

    /// The value range `(min, max)`.
    pub fn range(&self) -> (f64, f64) {
        (self.min, self.max)
    }
}

/// Maps `v` from `[min, max]` to 0..=255, clamping; NaN is 0.
fn to_byte(v: f64, min: f64, max: f64) -> u8 {
    if v.is_nan() {
        return 0;
    }
    let t = ((v - min) / (max - min)).clamp(0.0, 1.0);
    (t * 255.0).round() as u8
}

/// The grid's pixels (`rows * h + (rows + 1) * pad` by `cols * w + (cols + 1) * pad`,
/// `channels` bytes each, row-major) and its size `(width, height, channels)`.
pub(crate) fn grid_pixels(
    images: &Tensor,
    rows: usize,
    cols: usize,
    args: &ImageGridArgs,
) -> Result<(Vec<u8>, usize, usize, usize)> {
    let shape = images.shape();
    let (n, h, w, c) = match *shape {
        [n, h, w] => (n, h, w, 1),
        [n, h, w, c] if c == 1 || c == 3 => (n, h, w, c),
        _ => {
            return Err(bad(format!(
                "expected images of shape (N, H, W), (N, H, W, 1) or (N, H, W, 3), got {shape:?}"
            )));
        }
    };
    if rows == 0 || cols == 0 {
        return Err(bad(format!(
            "rows and cols must be at least 1, got {rows} x {cols}"
        )));
    }
    if h == 0 || w == 0 {
        return Err(bad(format!("images have an empty side: {shape:?}")));
    }
    if n < rows * cols {
        return Err(bad(format!(
            "a {rows} x {cols} grid needs {} images, got {n}",
            rows * cols
        )));
    }
    let (min, max) = (args.min, args.max);
    if !(min.is_finite() && max.is_finite() && min < max) {
        return Err(bad(format!(
            "value_range must be finite with min < max, got ({min}, {max})"
        )));
    }
    let pad = args.padding;
    let gw = cols * w + (cols + 1) * pad;
    let gh = rows * h + (rows + 1) * pad;
    let values = images.to_f64_vec();
    let mut px = vec![args.pad_value; gw * gh * c];
    for r in 0..rows {
        for col in 0..cols {
            let img = &values[(r * cols + col) * h * w * c..][..h * w * c];
            let (y0, x0) = (pad + r * (h + pad), pad + col * (w + pad));
            for y in 0..h {
                let src = &img[y * w * c..(y + 1) * w * c];
                let dst = &mut px[((y0 + y) * gw + x0) * c..][..w * c];
                for (d, &s) in dst.iter_mut().zip(src) {
                    *d = to_byte(s, min, max);
                }
            }
        }
    }
    Ok((px, gw, gh, c))
}

/// 8-bit greyscale (`c == 1`) or RGB PNG bytes of `px`.
fn encode_png(px: &[u8], w: usize, h: usize, c: usize) -> Result<Vec<u8>> {
    let err = |e: png::EncodingError| bad(format!("PNG encoding failed: {e}"));
    let (w32, h32) = (
        u32::try_from(w).map_err(|_| bad(format!("the grid is too wide ({w} pixels)")))?,
        u32::try_from(h).map_err(|_| bad(format!("the grid is too tall ({h} pixels)")))?,
    );
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w32, h32);
        enc.set_color(if c == 1 {
            png::ColorType::Grayscale
        } else {
            png::ColorType::Rgb
        });
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().map_err(err)?;
        wr.write_image_data(px).map_err(err)?;
        wr.finish().map_err(err)?;
    }
    Ok(out)
}

/// Writes the first `rows * cols` images of `images` as a `rows x cols` grid to the PNG
/// file `path` (row by row, image `i` at row `i / cols`, column `i % cols`), the way the
/// seeds' `plt.subplot(rows, cols, i + 1); plt.imshow(img, cmap="gray")` figures show
/// generated digits. `images` is greyscale `(N, H, W)` or `(N, H, W, 1)`, or RGB
/// `(N, H, W, 3)`, any float or integer dtype; [`ImageGridArgs`] sets the value range
/// mapped to 0..255 (values outside are clamped) and the padding. The file is written
/// atomically (a temporary file renamed over `path`), so a failure never leaves a partial
/// PNG.
///
/// Errors: another shape, fewer than `rows * cols` images, `rows` or `cols` 0, an empty
/// or inverted value range, a path not ending in `.png`, or an I/O failure.
///
/// ```
/// use kiln::utils::{save_image_grid, ImageGridArgs};
/// use kiln_tensor::Tensor;
/// let imgs = Tensor::from_vec(vec![0.0f32, 1.0, 0.5, -1.0], &[4, 1, 1])?;
/// let path = std::env::temp_dir().join(format!("kiln_doc_grid_{}.png", std::process::id()));
/// save_image_grid(&path, &imgs, 2, 2, ImageGridArgs::new().padding(1))?;
/// assert!(std::fs::metadata(&path).is_ok());
/// assert!(save_image_grid(&path, &imgs, 3, 2, ImageGridArgs::new()).is_err());
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn save_image_grid(
    path: impl AsRef<Path>,
    images: &Tensor,
    rows: usize,
    cols: usize,
    args: ImageGridArgs,
) -> Result<()> {
    let path = path.as_ref();
    let is_png = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("png"));
    if !is_png {
        return Err(bad(format!(
            "{}: the grid is written as PNG; give a path ending in .png",
            path.display()
        )));
    }
    let (px, w, h, c) = grid_pixels(images, rows, cols, &args)?;
    let png = encode_png(&px, w, h, c)?;
    crate::saving::atomic_write(path, &png).map_err(|e| match e {
        Error::InvalidArgument { msg, .. } => bad(format!("cannot write the PNG: {msg}")),
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_padding_and_range() {
        // Two 1x2 images in a 1 x 2 grid with 1 pixel of padding (value 9).
        let imgs = Tensor::from_vec(vec![-1.0f32, 1.0, 0.0, 3.0], &[2, 1, 2]).unwrap();
        let args = ImageGridArgs::new()
            .value_range(-1.0, 1.0)
            .padding(1)
            .pad_value(9);
        let (px, w, h, c) = grid_pixels(&imgs, 1, 2, &args).unwrap();
        assert_eq!((w, h, c), (7, 3, 1));
        assert_eq!(&px[..7], &[9; 7]);
        assert_eq!(&px[7..14], &[9, 0, 255, 9, 128, 255, 9]);
        assert_eq!(&px[14..], &[9; 7]);
    }

    #[test]
    fn bad_shapes_and_counts() {
        let t = Tensor::from_vec(vec![0.0f32; 8], &[2, 2, 2]).unwrap();
        let a = ImageGridArgs::new();
        let e = grid_pixels(&t, 2, 2, &a).unwrap_err().to_string();
        assert!(e.contains("needs 4 images, got 2"), "{e}");
        let e = grid_pixels(&t.reshape(&[2, 2, 2, 1]).unwrap(), 0, 2, &a)
            .unwrap_err()
            .to_string();
        assert!(e.contains("at least 1"), "{e}");
        let e = grid_pixels(&t.reshape(&[1, 2, 2, 2]).unwrap(), 1, 1, &a)
            .unwrap_err()
            .to_string();
        assert!(e.contains("(N, H, W, 3)"), "{e}");
        let e = grid_pixels(&t.reshape(&[8]).unwrap(), 1, 1, &a)
            .unwrap_err()
            .to_string();
        assert!(e.contains("got [8]"), "{e}");
        let e = grid_pixels(&t, 1, 1, &a.value_range(1.0, 1.0))
            .unwrap_err()
            .to_string();
        assert!(e.contains("min < max"), "{e}");
    }
}
