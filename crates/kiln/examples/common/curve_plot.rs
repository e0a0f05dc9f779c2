//! A plain learning-curve plot for the RL examples, drawn pixel by pixel and written with
//! the `png` crate: a white 640x400 canvas, a black axes box, tick marks (x every 50
//! episodes, y every 100 points), a dashed grey line at the solve threshold, and one
//! polyline per series. There is no text (no font): the caller prints what the axes are.

use std::path::Path;

/// One line of the plot: a value per episode (episode 1 at the left edge); `NaN` leaves a
/// gap.
pub struct Series<'a> {
    pub values: &'a [f64],
    pub color: [u8; 3],
}

const W: usize = 640;
const H: usize = 400;
const LEFT: usize = 40;
const RIGHT: usize = 20;
const TOP: usize = 20;
const BOTTOM: usize = 30;

struct Canvas {
    pixels: Vec<u8>,
}

impl Canvas {
    fn put(&mut self, x: i64, y: i64, c: [u8; 3]) {
        if (0..W as i64).contains(&x) && (0..H as i64).contains(&y) {
            let i = (y as usize * W + x as usize) * 3;
            self.pixels[i..i + 3].copy_from_slice(&c);
        }
    }

    /// Bresenham's line, two pixels thick (the pixel below each point too).
    fn line(&mut self, (mut x0, mut y0): (i64, i64), (x1, y1): (i64, i64), c: [u8; 3]) {
        let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
        let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
        let mut err = dx + dy;
        loop {
            self.put(x0, y0, c);
            self.put(x0, y0 + 1, c);
            if x0 == x1 && y0 == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x0 += sx;
            }
            if e2 <= dx {
                err += dx;
                y0 += sy;
            }
        }
    }
}

/// Writes the series as a line plot to `path`: x from episode 1 to the longest series'
/// length, y from 0 to `y_max` (values are clamped into the box), with a dashed line at
/// `threshold`.
pub fn save_learning_curve(
    path: &Path,
    series: &[Series],
    y_max: f64,
    threshold: f64,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut c = Canvas {
        pixels: vec![255; W * H * 3],
    };
    let (x0, x1) = (LEFT as i64, (W - RIGHT) as i64);
    let (y0, y1) = ((H - BOTTOM) as i64, TOP as i64); // y0: value 0 (bottom)
    let n = series.iter().map(|s| s.values.len()).max().unwrap_or(0);
    let px = |i: usize| -> i64 {
        if n <= 1 {
            x0
        } else {
            x0 + ((x1 - x0) as f64 * i as f64 / (n - 1) as f64).round() as i64
        }
    };
    let py = |v: f64| -> i64 {
        let f = (v / y_max).clamp(0.0, 1.0);
        y0 - ((y0 - y1) as f64 * f).round() as i64
    };
    let black = [0, 0, 0];
    let grey = [160, 160, 160];
    // the threshold, dashed
    let yt = py(threshold);
    for x in x0..=x1 {
        if (x - x0) % 8 < 4 {
            c.put(x, yt, grey);
        }
    }
    // axes box and ticks
    c.line((x0, y0), (x1, y0), black);
    c.line((x0, y1), (x1, y1), black);
    c.line((x0, y0), (x0, y1), black);
    c.line((x1, y0), (x1, y1), black);
    let mut v = 0.0;
    while v <= y_max {
        let y = py(v);
        c.line((x0 - 6, y), (x0, y), black);
        v += 100.0;
    }
    for ep in (0..=n).step_by(50).filter(|&e| e >= 1) {
        let x = px(ep - 1);
        c.line((x, y0), (x, y0 + 6), black);
    }
    for s in series {
        let mut prev: Option<(i64, i64)> = None;
        for (i, &v) in s.values.iter().enumerate() {
            if v.is_nan() {
                prev = None;
                continue;
            }
            let p = (px(i), py(v));
            c.line(prev.unwrap_or(p), p, s.color);
            prev = Some(p);
        }
    }
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut enc = png::Encoder::new(file, W as u32, H as u32);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header()?;
    writer.write_image_data(&c.pixels)?;
    writer.finish()?;
    Ok(())
}
