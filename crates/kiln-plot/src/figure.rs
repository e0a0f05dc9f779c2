//! The canvas: an RGB buffer drawn by plotters, encoded as PNG.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::{PlotError, Result};

/// DejaVu Sans (Bitstream Vera licence, see fonts/LICENSE-DejaVu.txt).
static FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is compiled in and known to parse; a failure here would only leave
        // text undrawn, which the PNG tests would not notice, so check it in tests.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

pub(crate) type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

pub(crate) fn render_err<E: std::fmt::Display>(e: E) -> PlotError {
    PlotError::Render(e.to_string())
}

/// Draws on a white `width` x `height` canvas and returns the PNG bytes.
pub(crate) fn render(
    width: u32,
    height: u32,
    draw: impl FnOnce(&Area<'_>) -> Result<()>,
) -> Result<Vec<u8>> {
    if width == 0 || height == 0 || width > 16384 || height > 16384 {
        return Err(PlotError::InvalidArgument(format!(
            "the figure size must be between 1 and 16384 pixels a side, got {width}x{height}"
        )));
    }
    register_font();
    let mut buf = vec![255u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(render_err)?;
        draw(&root)?;
        root.present().map_err(render_err)?;
    }
    encode(&buf, width, height)
}

fn encode(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(render_err)?;
        w.write_image_data(rgb).map_err(render_err)?;
        w.finish().map_err(render_err)?;
    }
    Ok(out)
}

/// Writes PNG bytes to `path` through a temporary file in the same directory and a
/// rename, so that an existing plot is never left half-written.
pub fn save_png(path: impl AsRef<Path>, png: &[u8]) -> Result<()> {
    let path = path.as_ref();
    let io = |source| PlotError::Io {
        path: path.display().to_string(),
        source,
    };
    let tmp = path.with_extension(format!("png.tmp{}", std::process::id()));
    std::fs::write(&tmp, png).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

/// The `(width, height)` of PNG bytes, decoding the whole image (a check that a plot is
/// a valid PNG).
///
/// ```
/// let png = kiln_plot::LinePlot::new("t").size(320, 200).line("y", &[0.0, 1.0], &[1.0, 2.0]).to_png()?;
/// assert_eq!(kiln_plot::decode_png_size(&png)?, (320, 200));
/// # Ok::<(), kiln_plot::PlotError>(())
/// ```
pub fn decode_png_size(png: &[u8]) -> Result<(u32, u32)> {
    let bad = |e: png::DecodingError| PlotError::InvalidArgument(format!("not a PNG: {e}"));
    let mut reader = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .map_err(bad)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| PlotError::InvalidArgument("not a PNG: the image is too large".into()))?;
    let mut buf = vec![0; size];
    let info = reader.next_frame(&mut buf).map_err(bad)?;
    Ok((info.width, info.height))
}

/// `(min, max)` of finite values, widened when equal (or `(0, 1)` for none).
pub(crate) fn finite_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return (0.0, 1.0);
    }
    if lo == hi {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.05 };
        return (lo - d, hi + d);
    }
    (lo, hi)
}

/// The font used everywhere.
pub(crate) fn font(size: f64) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&BLACK)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_embedded_font_parses_and_draws_text() {
        assert!(plotters::style::register_font(
            "kiln-test",
            plotters::style::FontStyle::Normal,
            super::FONT
        )
        .is_ok());
        // a caption changes pixels: text is drawn with the embedded font
        let with = crate::LinePlot::new("Some title")
            .line("", &[0.0, 1.0], &[0.0, 1.0])
            .to_png()
            .unwrap();
        let without = crate::LinePlot::new("")
            .line("", &[0.0, 1.0], &[0.0, 1.0])
            .to_png()
            .unwrap();
        assert_ne!(with, without);
    }
}
