//! `rgb_array` rendering: frames drawn with gymnasium's scene geometry (screen sizes,
//! scales, shapes, colours and the final vertical flip) by a small software rasteriser.
//!
//! gymnasium draws with pygame: filled polygons and circles with SDL_gfx's `gfxdraw`, each
//! outlined again with an anti-aliased polygon or circle. The fills here follow SDL_gfx's
//! integer rules (truncated vertices, inclusive scanlines, midpoint circles) and MountainCar's
//! track is an anti-aliased line, but the anti-aliased outlines are not drawn, so a frame
//! agrees with gymnasium's in all but a few tenths of a percent of its pixels (the golden
//! test checks this against pygame 2.6.1 frames) without being pixel-identical. Pendulum's
//! torque arrow, a bitmap asset in gymnasium, is drawn as a ring arrow of the same size.
//!
//! ```
//! use kiln_rl::{Env, make};
//!
//! let mut env = make("CartPole-v1").unwrap();
//! env.reset(Some(0)).unwrap();
//! let frame = env.render().unwrap();
//! assert_eq!((frame.width(), frame.height()), (600, 400));
//! assert_eq!(frame.pixel(0, 0), [255, 255, 255]);
//! let png = frame.to_png().unwrap();
//! assert_eq!(&png[1..4], b"PNG");
//! ```

use std::f64::consts::PI;
use std::path::Path;

use crate::error::{Result, RlError};

type Rgb = [u8; 3];

const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];

/// One `rgb_array` frame: `height` rows of `width` RGB pixels, top row first, the layout of
/// gymnasium's `(height, width, 3)` uint8 array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Frame {
    fn filled(width: usize, height: usize, color: Rgb) -> Self {
        let mut pixels = Vec::with_capacity(width * height * 3);
        for _ in 0..width * height {
            pixels.extend_from_slice(&color);
        }
        Self {
            width,
            height,
            pixels,
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The pixels, row-major RGB, top row first.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// The colour at column `x`, row `y` (row 0 at the top). Panics outside the frame, like
    /// slice indexing.
    pub fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        assert!(
            x < self.width && y < self.height,
            "pixel ({x}, {y}) outside a {}x{} frame",
            self.width,
            self.height
        );
        let i = (y * self.width + x) * 3;
        [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
    }

    /// The frame encoded as an 8-bit RGB PNG.
    pub fn to_png(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let err = |e: png::EncodingError| RlError::Png(e.to_string());
        {
            let mut enc = png::Encoder::new(&mut out, self.width as u32, self.height as u32);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut writer = enc.write_header().map_err(err)?;
            writer.write_image_data(&self.pixels).map_err(err)?;
            writer.finish().map_err(err)?;
        }
        Ok(out)
    }

    /// Writes the frame as a PNG file.
    pub fn save_png(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let bytes = self.to_png()?;
        std::fs::write(path, bytes).map_err(|e| RlError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }

    fn put(&mut self, x: i64, y: i64, color: Rgb) {
        if x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height {
            let i = (y as usize * self.width + x as usize) * 3;
            self.pixels[i..i + 3].copy_from_slice(&color);
        }
    }

    fn hline(&mut self, x0: i64, x1: i64, y: i64, color: Rgb) {
        for x in x0.min(x1)..=x0.max(x1) {
            self.put(x, y, color);
        }
    }

    /// Fills the polygon the way SDL_gfx's `filledPolygon` (pygame's `gfxdraw`) does:
    /// vertices truncated to integer pixels, one scanline per pixel row including the last,
    /// edge crossings in 16.16 fixed point, spans rounded inwards.
    fn fill_polygon(&mut self, pts: &[(f64, f64)], color: Rgb) {
        if pts.len() < 3 {
            return;
        }
        let v: Vec<(i64, i64)> = pts.iter().map(|&(x, y)| (x as i64, y as i64)).collect();
        let miny = v.iter().map(|p| p.1).min().unwrap_or(0);
        let maxy = v.iter().map(|p| p.1).max().unwrap_or(0);
        let mut ints = Vec::with_capacity(v.len());
        for y in miny.max(0)..=maxy.min(self.height as i64 - 1) {
            ints.clear();
            for i in 0..v.len() {
                let (a, b) = (v[(i + v.len() - 1) % v.len()], v[i]);
                let ((x1, y1), (x2, y2)) = match a.1.cmp(&b.1) {
                    std::cmp::Ordering::Less => (a, b),
                    std::cmp::Ordering::Greater => (b, a),
                    std::cmp::Ordering::Equal => continue,
                };
                if (y >= y1 && y < y2) || (y == maxy && y > y1 && y <= y2) {
                    ints.push((65536 * (y - y1)) / (y2 - y1) * (x2 - x1) + 65536 * x1);
                }
            }
            ints.sort_unstable();
            for span in ints.chunks_exact(2) {
                let xa = span[0] + 1;
                let xa = (xa >> 16) + ((xa & 32768) >> 15);
                let xb = span[1] - 1;
                let xb = (xb >> 16) + ((xb & 32768) >> 15);
                self.hline(xa, xb, y, color);
            }
        }
    }

    /// Fills a circle of integer radius `r` with the midpoint algorithm, one horizontal span
    /// per row (as SDL_gfx's `filledCircle`).
    fn fill_circle(&mut self, cx: i64, cy: i64, r: i64, color: Rgb) {
        if r <= 0 {
            self.put(cx, cy, color);
            return;
        }
        let (mut x, mut y) = (0i64, r);
        let mut df = 1 - r;
        let (mut d_e, mut d_se) = (3i64, -2 * r + 5);
        while x <= y {
            self.hline(cx - x, cx + x, cy + y, color);
            self.hline(cx - x, cx + x, cy - y, color);
            self.hline(cx - y, cx + y, cy + x, color);
            self.hline(cx - y, cx + y, cy - x, color);
            if df < 0 {
                df += d_e;
                d_e += 2;
                d_se += 2;
            } else {
                df += d_se;
                d_e += 2;
                d_se += 4;
                y -= 1;
            }
            x += 1;
        }
    }

    /// A one-pixel line between the endpoints truncated to pixels (Bresenham, as pygame's
    /// non-anti-aliased `draw.line`).
    fn line(&mut self, (x0, y0): (f64, f64), (x1, y1): (f64, f64), color: Rgb) {
        let (mut x, mut y) = (x0 as i64, y0 as i64);
        let (x1, y1) = (x1 as i64, y1 as i64);
        let (dx, dy) = ((x1 - x).abs(), -(y1 - y).abs());
        let (sx, sy) = (if x < x1 { 1 } else { -1 }, if y < y1 { 1 } else { -1 });
        let mut err = dx + dy;
        loop {
            self.put(x, y, color);
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    /// Blends `color` over the pixel with coverage `a` in `[0, 1]`.
    fn blend(&mut self, x: i64, y: i64, color: Rgb, a: f64) {
        if x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height {
            let i = (y as usize * self.width + x as usize) * 3;
            for (c, &target) in self.pixels[i..i + 3].iter_mut().zip(&color) {
                let old = f64::from(*c);
                *c = (old + (f64::from(target) - old) * a.clamp(0.0, 1.0)).round() as u8;
            }
        }
    }

    /// An anti-aliased line (Xiaolin Wu's algorithm), standing in for pygame's `aaline`.
    fn aa_line(&mut self, (x0, y0): (f64, f64), (x1, y1): (f64, f64), color: Rgb) {
        let steep = (y1 - y0).abs() > (x1 - x0).abs();
        let (mut x0, mut y0, mut x1, mut y1) = if steep {
            (y0, x0, y1, x1)
        } else {
            (x0, y0, x1, y1)
        };
        if x0 > x1 {
            std::mem::swap(&mut x0, &mut x1);
            std::mem::swap(&mut y0, &mut y1);
        }
        let gradient = if x1 == x0 { 1.0 } else { (y1 - y0) / (x1 - x0) };
        let plot = |f: &mut Frame, x: i64, y: i64, a: f64| {
            if steep {
                f.blend(y, x, color, a)
            } else {
                f.blend(x, y, color, a)
            }
        };
        let (xs, xe) = (x0.round() as i64, x1.round() as i64);
        for x in xs..=xe {
            let y = y0 + gradient * (x as f64 - x0);
            let yf = y.floor();
            let frac = y - yf;
            plot(self, x, yf as i64, 1.0 - frac);
            plot(self, x, yf as i64 + 1, frac);
        }
    }

    /// A three-quarter ring around `(cx, cy)` with an arrowhead at its end, like
    /// gymnasium's `clockwise.png` as Pendulum blits it: in the y-up drawing frame the ring
    /// runs counter-clockwise from the top round to the right-hand side, the head pointing up
    /// there (`ccw`), or mirrored left-right (clockwise).
    fn arc_arrow(&mut self, (cx, cy): (f64, f64), radius: f64, ccw: bool, color: Rgb) {
        let thickness = (radius / 16.0).max(1.5);
        let head = (radius / 6.0).max(2.0);
        let mirror = |x: f64| if ccw { x } else { 2.0 * cx - x };
        let reach = (radius + thickness) as i64 + 1;
        let (x0, y0) = (cx as i64, cy as i64);
        for py in y0 - reach..=y0 + reach {
            for px in x0 - reach..=x0 + reach {
                let dx = mirror(px as f64 + 0.5) - cx;
                let dy = py as f64 + 0.5 - cy;
                let angle = dy.atan2(dx).rem_euclid(2.0 * PI);
                if (dx.hypot(dy) - radius).abs() <= thickness / 2.0 && angle >= 0.5 * PI {
                    self.put(px, py, color);
                }
            }
        }
        let hx = cx + radius;
        let tri = [
            (mirror(hx), cy + 1.5 * head),
            (mirror(hx - head), cy - 0.5 * head),
            (mirror(hx + head), cy - 0.5 * head),
        ];
        self.fill_polygon(&tri, color);
    }

    /// `pygame.transform.flip(surf, False, True)`: gymnasium draws with y up.
    fn flip_vertical(&mut self) {
        let row = self.width * 3;
        for y in 0..self.height / 2 {
            let (top, bottom) = self.pixels.split_at_mut((self.height - 1 - y) * row);
            top[y * row..(y + 1) * row].swap_with_slice(&mut bottom[..row]);
        }
    }
}

/// `pygame.math.Vector2(p).rotate_rad(angle)`.
fn rotate((x, y): (f64, f64), angle: f64) -> (f64, f64) {
    let (s, c) = angle.sin_cos();
    (x * c - y * s, x * s + y * c)
}

fn rectangle(l: f64, r: f64, t: f64, b: f64) -> [(f64, f64); 4] {
    [(l, b), (l, t), (r, t), (r, b)]
}

/// CartPole's scene: 600x400, the cart, the pole, its axle and the track.
pub(crate) fn cartpole(state: &[f64; 4], x_threshold: f64, half_length: f64) -> Frame {
    let (w, h) = (600usize, 400usize);
    let mut f = Frame::filled(w, h, WHITE);
    let scale = w as f64 / (x_threshold * 2.0);
    let polewidth = 10.0;
    let polelen = scale * (2.0 * half_length);
    let (cartwidth, cartheight) = (50.0, 30.0);
    let axleoffset = cartheight / 4.0;
    let cartx = state[0] * scale + w as f64 / 2.0;
    let carty = 100.0;
    let cart = rectangle(
        -cartwidth / 2.0,
        cartwidth / 2.0,
        cartheight / 2.0,
        -cartheight / 2.0,
    )
    .map(|(x, y)| (x + cartx, y + carty));
    f.fill_polygon(&cart, BLACK);
    let pole = rectangle(
        -polewidth / 2.0,
        polewidth / 2.0,
        polelen - polewidth / 2.0,
        -polewidth / 2.0,
    )
    .map(|p| {
        let (x, y) = rotate(p, -state[2]);
        (x + cartx, y + carty + axleoffset)
    });
    f.fill_polygon(&pole, [202, 152, 101]);
    f.fill_circle(
        cartx as i64,
        (carty + axleoffset) as i64,
        (polewidth / 2.0) as i64,
        [129, 132, 203],
    );
    f.line((0.0, carty), (w as f64, carty), BLACK);
    f.flip_vertical();
    f
}

fn hill(x: f64) -> f64 {
    (3.0 * x).sin() * 0.45 + 0.55
}

/// MountainCar's scene: 600x400, the valley, the car with its wheels, and the flag.
pub(crate) fn mountain_car(pos: f64, min_pos: f64, max_pos: f64, goal_pos: f64) -> Frame {
    let (w, h) = (600usize, 400usize);
    let mut f = Frame::filled(w, h, WHITE);
    let scale = w as f64 / (max_pos - min_pos);
    let (carwidth, carheight) = (40.0, 20.0);
    let points: Vec<(f64, f64)> = (0..100)
        .map(|i| {
            let x = min_pos + (max_pos - min_pos) * i as f64 / 99.0;
            ((x - min_pos) * scale, hill(x) * scale)
        })
        .collect();
    for p in points.windows(2) {
        f.aa_line(p[0], p[1], BLACK);
    }
    let clearance = 10.0;
    let angle = (3.0 * pos).cos();
    let base = ((pos - min_pos) * scale, clearance + hill(pos) * scale);
    let car = rectangle(-carwidth / 2.0, carwidth / 2.0, carheight, 0.0).map(|p| {
        let (x, y) = rotate(p, angle);
        (x + base.0, y + base.1)
    });
    f.fill_polygon(&car, BLACK);
    for c in [(carwidth / 4.0, 0.0), (-carwidth / 4.0, 0.0)] {
        let (x, y) = rotate(c, angle);
        f.fill_circle(
            (x + base.0) as i64,
            (y + base.1) as i64,
            (carheight / 2.5) as i64,
            [128, 128, 128],
        );
    }
    let flagx = ((goal_pos - min_pos) * scale).trunc();
    let flagy1 = (hill(goal_pos) * scale).trunc();
    let flagy2 = flagy1 + 50.0;
    f.line((flagx, flagy1), (flagx, flagy2), BLACK);
    f.fill_polygon(
        &[
            (flagx, flagy2),
            (flagx, flagy2 - 10.0),
            (flagx + 25.0, flagy2 - 5.0),
        ],
        [204, 204, 0],
    );
    f.flip_vertical();
    f
}

/// Acrobot's scene: 500x500, the target bar and the two links with their joints.
pub(crate) fn acrobot(s: &[f64; 4], l1: f64, l2: f64) -> Frame {
    let dim = 500usize;
    let mut f = Frame::filled(dim, dim, WHITE);
    let bound = l1 + l2 + 0.2;
    let scale = dim as f64 / (bound * 2.0);
    let offset = dim as f64 / 2.0;
    let p1 = (-l1 * s[0].cos() * scale, l1 * s[0].sin() * scale);
    // gymnasium swaps each point to (y, x) before drawing
    let joints = [(0.0, 0.0), (p1.1, p1.0)];
    let thetas = [s[0] - PI / 2.0, s[0] + s[1] - PI / 2.0];
    let lengths = [l1 * scale, l2 * scale];
    f.line(
        (-2.2 * scale + offset, scale + offset),
        (2.2 * scale + offset, scale + offset),
        BLACK,
    );
    for i in 0..2 {
        let (x, y) = (joints[i].0 + offset, joints[i].1 + offset);
        let link = rectangle(0.0, lengths[i], 0.1 * scale, -0.1 * scale).map(|p| {
            let (px, py) = rotate(p, thetas[i]);
            (px + x, py + y)
        });
        f.fill_polygon(&link, [0, 204, 204]);
        f.fill_circle(x as i64, y as i64, (0.1 * scale) as i64, [204, 204, 0]);
    }
    f.flip_vertical();
    f
}

/// Pendulum's scene: 500x500, the rod, its end caps, the axle and (after a step) an arrow
/// for the last torque, sized by its magnitude.
pub(crate) fn pendulum(theta: f64, last_u: Option<f32>) -> Frame {
    let dim = 500usize;
    let mut f = Frame::filled(dim, dim, WHITE);
    let bound = 2.2;
    let scale = dim as f64 / (bound * 2.0);
    let offset = (dim / 2) as f64;
    let rod_length = scale;
    let rod_width = 0.2 * scale;
    let red = [204, 77, 77];
    let rod = rectangle(0.0, rod_length, rod_width / 2.0, -rod_width / 2.0).map(|p| {
        let (x, y) = rotate(p, theta + PI / 2.0);
        (x + offset, y + offset)
    });
    f.fill_polygon(&rod, red);
    let oi = offset as i64;
    f.fill_circle(oi, oi, (rod_width / 2.0) as i64, red);
    let (ex, ey) = rotate((rod_length, 0.0), theta + PI / 2.0);
    f.fill_circle(
        (ex + offset) as i64,
        (ey + offset) as i64,
        (rod_width / 2.0) as i64,
        red,
    );
    if let Some(u) = last_u {
        // gymnasium blits an arrow image of side scale * |u| / 2 centred on the axle,
        // mirrored so it turns counter-clockwise for positive torque
        let size = scale * f64::from(u.abs()) / 2.0;
        if size >= 4.0 {
            f.arc_arrow((offset, offset), size * 0.47, u > 0.0, BLACK);
        }
    }
    f.fill_circle(oi, oi, (0.05 * scale) as i64, BLACK);
    f.flip_vertical();
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(f: &Frame, color: Rgb) -> usize {
        f.pixels.chunks(3).filter(|p| *p == color).count()
    }

    #[test]
    fn cartpole_cart_moves_with_x() {
        let a = cartpole(&[0.0, 0.0, 0.0, 0.0], 2.4, 0.5);
        let b = cartpole(&[1.0, 0.0, 0.0, 0.0], 2.4, 0.5);
        // the cart spans 50 px around x=300 (x=0) or x=425 (x=1), rows 285-314; the track
        // is row 299
        assert_eq!(a.pixel(280, 290), BLACK);
        assert_eq!(b.pixel(280, 290), WHITE);
        assert_eq!(b.pixel(405, 290), BLACK);
        assert_eq!(b.pixel(10, 299), BLACK);
        assert_eq!(b.pixel(10, 290), WHITE);
        // an upright pole is about 10 x 125 px of its colour, less what the axle covers
        let pole = count(&a, [202, 152, 101]);
        assert!((1100..=1400).contains(&pole), "{pole}");
    }

    #[test]
    fn frames_have_gymnasium_sizes_and_write_png() {
        let m = mountain_car(-0.5, -1.2, 0.6, 0.5);
        assert_eq!((m.width(), m.height()), (600, 400));
        assert!(count(&m, [204, 204, 0]) > 50);
        let a = acrobot(&[0.0; 4], 1.0, 1.0);
        assert_eq!((a.width(), a.height()), (500, 500));
        assert!(count(&a, [0, 204, 204]) > 1000);
        let p = pendulum(0.0, Some(2.0));
        assert!(count(&p, [204, 77, 77]) > 1000);
        assert!(count(&p, BLACK) > count(&pendulum(0.0, None), BLACK));
        let dir = std::env::temp_dir().join(format!("kiln_rl_render_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("frame.png");
        p.save_png(&path).unwrap();
        assert_eq!(&std::fs::read(&path).unwrap()[1..4], b"PNG");
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(p.save_png(dir.join("missing/frame.png")).is_err());
    }

    #[test]
    fn flip_reverses_rows() {
        let mut f = Frame::filled(2, 3, WHITE);
        f.put(0, 0, BLACK);
        f.flip_vertical();
        assert_eq!(f.pixel(0, 2), BLACK);
        assert_eq!(f.pixel(0, 0), WHITE);
    }
}
