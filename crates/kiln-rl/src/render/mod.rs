//! `rgb_array` rendering: frames drawn as gymnasium draws them with pygame, primitive for
//! primitive, so a frame is gymnasium's pixel for pixel.
//!
//! gymnasium draws each shape with SDL_gfx (through `pygame.gfxdraw`) on a 32-bit XRGB
//! surface: an anti-aliased outline (`aapolygon`, `aacircle`) and then the fill
//! (`filled_polygon`, `filled_circle`), MountainCar's valley with `pygame.draw.aalines`, and
//! flips the surface vertically at the end. The primitives here follow those algorithms
//! exactly: integer vertices truncated as `gfxdraw` truncates them, SDL_gfx's Wu lines with
//! their 32-bit error accumulator, its midpoint ellipse with `float` weights, its scanline
//! fill, its alpha blend with the unsigned wrap-around of the packed pixel (darkening rounds
//! away from the old value), pygame's `float` anti-aliased lines with their one-pixel-wider
//! clipping, and `Vector2.rotate_rad` with its angle reduction and exact quarter turns. The
//! golden test compares 97 frames of seeded episodes with pygame 2.6.1's.
//!
//! One thing is not reproduced: Pendulum's torque arrow is a bitmap asset in gymnasium
//! (`clockwise.png`, smooth-scaled to `scale * |u| / 2` pixels and alpha-blitted), which kiln
//! does not ship; a ring arrow of that size is drawn in the bitmap's square instead, and
//! every pixel outside the square is still gymnasium's.
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

mod scenes;

use std::f64::consts::PI;
use std::path::Path;

use crate::error::{Result, RlError};
pub(crate) use scenes::{acrobot, cartpole, mountain_car, pendulum};

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

    fn inside(&self, x: i64, y: i64) -> bool {
        x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height
    }

    fn put(&mut self, x: i64, y: i64, color: Rgb) {
        if self.inside(x, y) {
            let i = (y as usize * self.width + x as usize) * 3;
            self.pixels[i..i + 3].copy_from_slice(&color);
        }
    }

    /// SDL_gfx's `_putPixelAlpha` on a 32-bit XRGB surface (what `pygame.Surface((w, h))`
    /// is without a display): per channel, in the channel's place in the 32-bit word and
    /// with unsigned wrap-around, `d + (((c - d) >> shift) * alpha >> 8 << shift)`, masked.
    /// The wrap-around makes darkening round away from the old value, as pygame's does.
    fn blend_gfx(&mut self, x: i64, y: i64, color: Rgb, alpha: u32) {
        if !self.inside(x, y) {
            return;
        }
        if alpha == 255 {
            self.put(x, y, color);
            return;
        }
        let i = (y as usize * self.width + x as usize) * 3;
        let pack = |p: &[u8]| (u32::from(p[0]) << 16) | (u32::from(p[1]) << 8) | u32::from(p[2]);
        let (dc, c) = (pack(&self.pixels[i..i + 3]), pack(&color));
        let mut out = 0u32;
        for shift in [16u32, 8, 0] {
            let mask = 0xffu32 << shift;
            let d = dc & mask;
            let step = ((c & mask).wrapping_sub(d) >> shift).wrapping_mul(alpha) >> 8;
            out |= d.wrapping_add(step << shift) & mask;
        }
        self.pixels[i] = (out >> 16) as u8;
        self.pixels[i + 1] = (out >> 8) as u8;
        self.pixels[i + 2] = out as u8;
    }

    /// SDL_gfx's `pixelColorWeightNolock` for an opaque colour: alpha `255 * weight >> 8`.
    fn put_weighted(&mut self, x: i64, y: i64, color: Rgb, weight: u32) {
        self.blend_gfx(x, y, color, (255 * weight) >> 8);
    }

    fn hline(&mut self, x0: i64, x1: i64, y: i64, color: Rgb) {
        for x in x0.min(x1)..=x0.max(x1) {
            self.put(x, y, color);
        }
    }

    fn vline(&mut self, x: i64, y0: i64, y1: i64, color: Rgb) {
        for y in y0.min(y1)..=y0.max(y1) {
            self.put(x, y, color);
        }
    }

    /// SDL_gfx's `_clipLine`: Cohen-Sutherland against the surface, with the slope in
    /// `float` and the moved coordinate truncated to an integer.
    fn clip_line(&self, p1: &mut (i64, i64), p2: &mut (i64, i64)) -> bool {
        let (left, top) = (0i64, 0i64);
        let (right, bottom) = (self.width as i64 - 1, self.height as i64 - 1);
        let encode = |(x, y): (i64, i64)| {
            let mut code = 0u8;
            if x < left {
                code |= 1;
            } else if x > right {
                code |= 2;
            }
            if y < top {
                code |= 8;
            } else if y > bottom {
                code |= 4;
            }
            code
        };
        loop {
            let (mut c1, mut c2) = (encode(*p1), encode(*p2));
            if c1 | c2 == 0 {
                return true;
            }
            if c1 & c2 != 0 {
                return false;
            }
            if c1 == 0 {
                std::mem::swap(p1, p2);
                std::mem::swap(&mut c1, &mut c2);
            }
            let m = if p2.0 != p1.0 {
                (p2.1 - p1.1) as f32 / (p2.0 - p1.0) as f32
            } else {
                1.0f32
            };
            if c1 & 1 != 0 {
                p1.1 += ((left - p1.0) as f32 * m) as i64;
                p1.0 = left;
            } else if c1 & 2 != 0 {
                p1.1 += ((right - p1.0) as f32 * m) as i64;
                p1.0 = right;
            } else if c1 & 4 != 0 {
                if p2.0 != p1.0 {
                    p1.0 += ((bottom - p1.1) as f32 / m) as i64;
                }
                p1.1 = bottom;
            } else {
                if p2.0 != p1.0 {
                    p1.0 += ((top - p1.1) as f32 / m) as i64;
                }
                p1.1 = top;
            }
        }
    }

    /// SDL_gfx's `_aalineColor` without the end point (as `aapolygon` draws each edge): the
    /// first point in full colour, then Wu's algorithm with a 32-bit error accumulator whose
    /// top 8 bits weight each pixel pair.
    fn gfx_aaline(&mut self, a: (i64, i64), b: (i64, i64), color: Rgb) {
        let (mut p1, mut p2) = (a, b);
        if !self.clip_line(&mut p1, &mut p2) {
            return;
        }
        let ((mut xx0, mut yy0), (mut xx1, mut yy1)) = (p1, p2);
        if yy0 > yy1 {
            std::mem::swap(&mut yy0, &mut yy1);
            std::mem::swap(&mut xx0, &mut xx1);
        }
        let (mut dx, mut dy) = (xx1 - xx0, yy1 - yy0);
        if dx == 0 {
            if dy > 0 {
                self.vline(p1.0, yy0, yy0 + dy, color);
            } else {
                self.put(p1.0, p1.1, color);
            }
            return;
        }
        if dy == 0 {
            self.hline(xx0, xx0 + dx, p1.1, color);
            return;
        }
        let xdir = if dx >= 0 {
            1
        } else {
            dx = -dx;
            -1
        };
        let mut erracc = 0u32;
        self.put(p1.0, p1.1, color);
        if dy > dx {
            // (65536 << 16) wraps to 0 in 32 bits, as in C, for a 45-degree line
            let erradj = (((dx << 16) / dy) as u32) << 16;
            let mut x0pxdir = xx0 + xdir;
            loop {
                dy -= 1;
                if dy == 0 {
                    break;
                }
                let before = erracc;
                erracc = erracc.wrapping_add(erradj);
                if erracc <= before {
                    xx0 = x0pxdir;
                    x0pxdir += xdir;
                }
                yy0 += 1;
                let wgt = erracc >> 24;
                self.put_weighted(xx0, yy0, color, 255 - wgt);
                self.put_weighted(x0pxdir, yy0, color, wgt);
            }
        } else {
            let erradj = (((dy << 16) / dx) as u32) << 16;
            let mut y0p1 = yy0 + 1;
            loop {
                dx -= 1;
                if dx == 0 {
                    break;
                }
                let before = erracc;
                erracc = erracc.wrapping_add(erradj);
                if erracc <= before {
                    yy0 = y0p1;
                    y0p1 += 1;
                }
                xx0 += xdir;
                let wgt = erracc >> 24;
                self.put_weighted(xx0, yy0, color, 255 - wgt);
                self.put_weighted(xx0, y0p1, color, wgt);
            }
        }
    }

    /// `gfxdraw.aapolygon`: each edge, the closing one last, with [`Frame::gfx_aaline`].
    fn aa_polygon(&mut self, v: &[(i64, i64)], color: Rgb) {
        if v.len() < 3 {
            return;
        }
        for w in v.windows(2) {
            self.gfx_aaline(w[0], w[1], color);
        }
        self.gfx_aaline(v[v.len() - 1], v[0], color);
    }

    /// `gfxdraw.aacircle`: SDL_gfx's `aaellipseColor` with equal radii (integer midpoint
    /// steps, each pixel pair weighted by `|d| / |s|` in `float`).
    fn aa_circle(&mut self, x: i64, y: i64, r: i64, color: Rgb) {
        if r < 0 {
            return;
        }
        if r == 0 {
            self.vline(x, y, y, color);
            return;
        }
        let (rx, ry) = (r, r);
        if x + rx < 0
            || x - rx > self.width as i64 - 1
            || y + ry < 0
            || y - ry > self.height as i64 - 1
        {
            return;
        }
        let (a2, b2) = (rx * rx, ry * ry);
        let (ds, dt) = (2 * a2, 2 * b2);
        let (xc2, yc2) = (2 * x, 2 * y);
        let sab = ((a2 + b2) as f64).sqrt();
        let dxt = (a2 as f64 / sab).round_ties_even() as i64;
        let (mut t, mut s, mut d) = (0i64, -2 * a2 * ry, 0i64);
        let (mut xp, mut yp) = (x, y - ry);
        self.put(xp, yp, color);
        self.put(xc2 - xp, yp, color);
        self.put(xp, yc2 - yp, color);
        self.put(xc2 - xp, yc2 - yp, color);
        let weights = |num: i64, den: i64| {
            let cp = if den != 0 {
                (num.abs() as f32 / den.abs() as f32).min(1.0)
            } else {
                1.0
            };
            let weight = (cp * 255.0) as u32;
            (weight, 255 - weight)
        };
        for _ in 1..=dxt {
            xp -= 1;
            d += t - b2;
            let ys;
            if d >= 0 {
                ys = yp - 1;
            } else if d - s - a2 > 0 {
                if 2 * d - s - a2 >= 0 {
                    ys = yp + 1;
                } else {
                    ys = yp;
                    yp += 1;
                    d -= s + a2;
                    s += ds;
                }
            } else {
                yp += 1;
                ys = yp + 1;
                d -= s + a2;
                s += ds;
            }
            t -= dt;
            let (weight, iweight) = weights(d, s);
            let xx = xc2 - xp;
            self.put_weighted(xp, yp, color, iweight);
            self.put_weighted(xx, yp, color, iweight);
            self.put_weighted(xp, ys, color, weight);
            self.put_weighted(xx, ys, color, weight);
            let yy = yc2 - yp;
            self.put_weighted(xp, yy, color, iweight);
            self.put_weighted(xx, yy, color, iweight);
            let yy = yc2 - ys;
            self.put_weighted(xp, yy, color, weight);
            self.put_weighted(xx, yy, color, weight);
        }
        let dyt = (b2 as f64 / sab).round_ties_even() as i64;
        for _ in 1..=dyt {
            yp += 1;
            d -= s + a2;
            let xs;
            if d <= 0 {
                xs = xp + 1;
            } else if d + t - b2 < 0 {
                if 2 * d + t - b2 <= 0 {
                    xs = xp - 1;
                } else {
                    xs = xp;
                    xp -= 1;
                    d += t - b2;
                    t -= dt;
                }
            } else {
                xp -= 1;
                xs = xp - 1;
                d += t - b2;
                t -= dt;
            }
            s += ds;
            let (weight, iweight) = weights(d, t);
            let (xx, yy) = (xc2 - xp, yc2 - yp);
            self.put_weighted(xp, yp, color, iweight);
            self.put_weighted(xx, yp, color, iweight);
            self.put_weighted(xp, yy, color, iweight);
            self.put_weighted(xx, yy, color, iweight);
            let xx = xc2 - xs;
            self.put_weighted(xs, yp, color, weight);
            self.put_weighted(xx, yp, color, weight);
            self.put_weighted(xs, yy, color, weight);
            self.put_weighted(xx, yy, color, weight);
        }
    }

    /// Fills the polygon the way SDL_gfx's `filledPolygon` (pygame's `gfxdraw`) does: one
    /// scanline per pixel row including the last, edge crossings in 16.16 fixed point, spans
    /// rounded inwards. The vertices are already integers (`gfxdraw` truncates them).
    fn fill_polygon(&mut self, v: &[(i64, i64)], color: Rgb) {
        if v.len() < 3 {
            return;
        }
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

    /// SDL_gfx's `filledCircleColor`: midpoint steps, and a row's span drawn only the
    /// first time the row is reached (rows `y ± cy` when `cy` changes, with the span of the
    /// current `cx`; rows `y ± cx` when `cx` changes), so the rows at the top and bottom are
    /// the narrow spans of the first step that reaches them.
    fn fill_circle(&mut self, x: i64, y: i64, rad: i64, color: Rgb) {
        if rad < 0 {
            return;
        }
        if rad == 0 {
            self.put(x, y, color);
            return;
        }
        if x + rad < 0
            || x - rad > self.width as i64 - 1
            || y + rad < 0
            || y - rad > self.height as i64 - 1
        {
            return;
        }
        let (mut cx, mut cy) = (0i64, rad);
        let (mut ocx, mut ocy) = (-1i64, -1i64);
        let mut df = 1 - rad;
        let (mut d_e, mut d_se) = (3i64, -2 * rad + 5);
        loop {
            if ocy != cy {
                if cy > 0 {
                    self.hline(x - cx, x + cx, y + cy, color);
                    self.hline(x - cx, x + cx, y - cy, color);
                } else {
                    self.hline(x - cx, x + cx, y, color);
                }
                ocy = cy;
            }
            if ocx != cx {
                if cx != cy {
                    if cx > 0 {
                        self.hline(x - cy, x + cy, y - cx, color);
                        self.hline(x - cy, x + cy, y + cx, color);
                    } else {
                        self.hline(x - cy, x + cy, y, color);
                    }
                }
                ocx = cx;
            }
            if df < 0 {
                df += d_e;
                d_e += 2;
                d_se += 2;
            } else {
                df += d_se;
                d_e += 2;
                d_se += 4;
                cy -= 1;
            }
            cx += 1;
            if cx > cy {
                break;
            }
        }
    }

    /// pygame's `draw.aaline` colour for one pixel (`get_antialiased_color` with blending):
    /// `brightness * colour + (1 - brightness) * background` in `float`, truncated. Off the
    /// surface nothing is drawn.
    fn put_bright(&mut self, x: i32, y: i32, color: Rgb, brightness: f32) {
        let (x, y) = (i64::from(x), i64::from(y));
        if !self.inside(x, y) {
            return;
        }
        let i = (y as usize * self.width + x as usize) * 3;
        for (c, &target) in self.pixels[i..i + 3].iter_mut().zip(&color) {
            *c = (brightness * f32::from(target) + (1.0 - brightness) * f32::from(*c)) as u8;
        }
    }

    /// pygame 2.6's `draw_aaline` (what `draw.aalines` draws each segment with): the end
    /// points in `float`, clipped one pixel outside the surface, each end pixel pair
    /// weighted by its coverage, then one pixel pair per column (or row, when steep).
    fn pg_aaline(&mut self, from: (f32, f32), to: (f32, f32), color: Rgb) {
        let ((mut from_x, mut from_y), (mut to_x, mut to_y)) = (from, to);
        let (mut dx, mut dy) = (to_x - from_x, to_y - from_y);
        if dx.abs() < 0.0001 && dy.abs() < 0.0001 {
            let (x, y) = ((from_x + 0.5).floor() as i32, (from_y + 0.5).floor() as i32);
            self.put_bright(x, y, color, 1.0);
            return;
        }
        let mut clip_left = -1.0f32;
        let mut clip_right = clip_left + self.width as f32 + 1.0;
        let mut clip_top = -1.0f32;
        let mut clip_bottom = clip_top + self.height as f32 + 1.0;
        let steep = dx.abs() < dy.abs();
        if steep {
            std::mem::swap(&mut from_x, &mut from_y);
            std::mem::swap(&mut to_x, &mut to_y);
            std::mem::swap(&mut dx, &mut dy);
            std::mem::swap(&mut clip_left, &mut clip_top);
            std::mem::swap(&mut clip_right, &mut clip_bottom);
        }
        if dx < 0.0 {
            std::mem::swap(&mut from_x, &mut to_x);
            std::mem::swap(&mut from_y, &mut to_y);
            dy = -dy;
            dx = -dx;
        }
        if to_x <= clip_left || from_x >= clip_right {
            return;
        }
        let gradient = dy / dx;
        if from_x < clip_left {
            from_y += gradient * (clip_left - from_x);
            from_x = clip_left;
        }
        if to_x > clip_right {
            to_y += gradient * (clip_right - to_x);
            to_x = clip_right;
        }
        if gradient > 0.0 {
            if to_y <= clip_top || from_y >= clip_bottom {
                return;
            }
            if from_y < clip_top {
                from_x += (clip_top - from_y) / gradient;
                from_y = clip_top;
            }
            if to_y > clip_bottom {
                to_x += (clip_bottom - to_y) / gradient;
                to_y = clip_bottom;
            }
        } else {
            if from_y <= clip_top || to_y >= clip_bottom {
                return;
            }
            if to_y < clip_top {
                to_x += (clip_top - to_y) / gradient;
                to_y = clip_top;
            }
            if from_y > clip_bottom {
                from_x += (clip_bottom - from_y) / gradient;
                from_y = clip_bottom;
            }
        }
        from_y += 1.0;
        to_y += 1.0;
        let plot = |f: &mut Frame, x: i32, y: i32, b: f32| {
            if steep {
                f.put_bright(y, x, color, b)
            } else {
                f.put_bright(x, y, color, b)
            }
        };
        // first end point
        let mut x_pixel_start = from_x as i32;
        let y_endpoint = from_y + gradient * (x_pixel_start as f32 - from_x);
        let mut intersect_y = y_endpoint;
        if to_x > clip_left + 1.0 {
            let x_gap = (1 + x_pixel_start) as f32 - from_x;
            let brightness = y_endpoint - (y_endpoint as i32) as f32;
            let y = y_endpoint as i32;
            if (y as f32) < y_endpoint {
                plot(self, x_pixel_start, y, brightness * x_gap);
            }
            plot(self, x_pixel_start, y - 1, (1.0 - brightness) * x_gap);
            intersect_y += gradient;
            x_pixel_start += 1;
        }
        // second end point
        let x_pixel_end = to_x.ceil() as i32;
        if from_x < clip_right - 1.0 {
            let y_endpoint = to_y + gradient * (x_pixel_end as f32 - to_x);
            let x_gap = (1 - x_pixel_end) as f32 + to_x;
            let brightness = y_endpoint - (y_endpoint as i32) as f32;
            let y = y_endpoint as i32;
            if (y as f32) < y_endpoint {
                plot(self, x_pixel_end, y, brightness * x_gap);
            }
            plot(self, x_pixel_end, y - 1, (1.0 - brightness) * x_gap);
        }
        for x in x_pixel_start..x_pixel_end {
            let y = intersect_y as i32;
            let brightness = 1.0 - intersect_y + y as f32;
            plot(self, x, y - 1, brightness);
            if (y as f32) < intersect_y {
                plot(self, x, y, 1.0 - brightness);
            }
            intersect_y += gradient;
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

    /// A three-quarter ring around `(cx, cy)` with an arrowhead at its end, like
    /// gymnasium's `clockwise.png` as Pendulum blits it: in the y-up drawing frame the ring
    /// runs counter-clockwise from the top round to the right-hand side, the head pointing up
    /// there (`ccw`), or mirrored left-right (clockwise).
    fn arc_arrow(&mut self, (cx, cy): (f64, f64), radius: f64, ccw: bool, color: Rgb) {
        let thickness = (radius / 12.0).max(1.5);
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
        self.fill_polygon(&truncate(&tri), color);
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

/// Coordinates as `gfxdraw` takes them: each truncated towards zero to an integer.
fn truncate(pts: &[(f64, f64)]) -> Vec<(i64, i64)> {
    pts.iter().map(|&(x, y)| (x as i64, y as i64)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gfx_blend_rounds_away_from_the_old_value() {
        let mut f = Frame::filled(1, 1, WHITE);
        // darkening: 255 - ceil(255 * 128 / 256); lightening: 0 + floor(255 * 128 / 256)
        f.blend_gfx(0, 0, BLACK, 128);
        assert_eq!(f.pixel(0, 0), [127, 127, 127]);
        let mut f = Frame::filled(1, 1, BLACK);
        f.blend_gfx(0, 0, WHITE, 128);
        assert_eq!(f.pixel(0, 0), [127, 127, 127]);
        // weight 255 is alpha 254, never a plain copy: 255 - ceil(255 * 254 / 256) = 1
        let mut f = Frame::filled(1, 1, WHITE);
        f.put_weighted(0, 0, BLACK, 255);
        assert_eq!(f.pixel(0, 0), [1, 1, 1]);
        f.put_weighted(0, 0, WHITE, 0);
        assert_eq!(f.pixel(0, 0), [1, 1, 1]);
    }

    #[test]
    fn filled_circle_rows_are_drawn_once() {
        // SDL_gfx's radius-5 disc: the top and bottom rows are the first step's 1-pixel span
        let mut f = Frame::filled(11, 11, WHITE);
        f.fill_circle(5, 5, 5, BLACK);
        let row = |f: &Frame, y| (0..11).filter(|&x| f.pixel(x, y) == BLACK).count();
        assert_eq!(row(&f, 0), 1);
        assert_eq!(row(&f, 10), 1);
        assert_eq!(row(&f, 5), 11);
    }

    #[test]
    fn diagonal_gfx_line_has_no_rollover_weights() {
        // (65536 << 16) wraps to 0: every pixel of a 45-degree line after the first (drawn
        // in full colour) gets weight 255, alpha 254
        let mut f = Frame::filled(6, 6, WHITE);
        f.gfx_aaline((0, 0), (5, 5), BLACK);
        assert_eq!(f.pixel(0, 0), BLACK);
        for i in 1..5 {
            assert_eq!(f.pixel(i, i), [1, 1, 1], "{i}");
            assert_eq!(f.pixel(i + 1, i), WHITE, "{i}");
        }
        assert_eq!(f.pixel(5, 5), WHITE); // aapolygon edges leave out the end point
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
