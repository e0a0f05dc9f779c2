//! The environments' frames (gymnasium's `render()` of CartPole, MountainCar, Acrobot
//! and Pendulum), drawn with [`Frame`]'s primitives, and the shape helpers they share.

use std::f64::consts::{FRAC_PI_2, PI};

use super::{truncate, Frame, Rgb, BLACK, WHITE};

/// `pygame.math.Vector2(p).rotate_rad(angle)` as pygame 2.6 computes it: the angle reduced
/// to `[0, 2π)` with `fmod` first, and rotations within 1e-6 of a multiple of 90° done
/// exactly by swapping coordinates.
pub(super) fn rotate((x, y): (f64, f64), angle: f64) -> (f64, f64) {
    const EPSILON: f64 = 1e-6;
    let two_pi = 2.0 * PI;
    let mut angle = angle % two_pi;
    if angle < 0.0 {
        angle += two_pi;
    }
    if (angle + EPSILON) % FRAC_PI_2 < 2.0 * EPSILON {
        match ((angle + EPSILON) / FRAC_PI_2) as i64 {
            1 => (-y, x),
            2 => (-x, -y),
            3 => (y, -x),
            _ => (x, y),
        }
    } else {
        let (s, c) = (angle.sin(), angle.cos());
        (c * x - s * y, s * x + c * y)
    }
}

/// `gfxdraw.aapolygon` then `gfxdraw.filled_polygon` of the same points, as every
/// gymnasium scene draws its shapes.
pub(super) fn polygon(f: &mut Frame, pts: &[(f64, f64)], color: Rgb) {
    let v = truncate(pts);
    f.aa_polygon(&v, color);
    f.fill_polygon(&v, color);
}

/// `gfxdraw.aacircle` then `gfxdraw.filled_circle`.
pub(super) fn circle(f: &mut Frame, x: i64, y: i64, r: i64, color: Rgb) {
    f.aa_circle(x, y, r, color);
    f.fill_circle(x, y, r, color);
}

pub(super) fn rectangle(l: f64, r: f64, t: f64, b: f64) -> [(f64, f64); 4] {
    [(l, b), (l, t), (r, t), (r, b)]
}

/// CartPole's scene: 600x400, the cart, the pole, its axle and the track, drawn in
/// gymnasium's order.
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
    polygon(&mut f, &cart, BLACK);
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
    polygon(&mut f, &pole, [202, 152, 101]);
    circle(
        &mut f,
        cartx as i64,
        (carty + axleoffset) as i64,
        (polewidth / 2.0) as i64,
        [129, 132, 203],
    );
    f.hline(0, w as i64, carty as i64, BLACK);
    f.flip_vertical();
    f
}

/// `self._height(xs)`: `np.sin(3 * xs) * 0.45 + 0.55`.
pub(super) fn hill(x: f64) -> f64 {
    (3.0 * x).sin() * 0.45 + 0.55
}

/// `np.linspace(start, stop, num)`: `i * step + start` with `step = (stop - start) /
/// (num - 1)`, and the last value `stop` exactly.
pub(super) fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    let step = (stop - start) / (num - 1) as f64;
    let mut v: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    if let Some(last) = v.last_mut() {
        *last = stop;
    }
    v
}

/// MountainCar's scene: 600x400, the valley (`draw.aalines` through 100 points), the car
/// with its wheels, the flag pole and the flag, drawn in gymnasium's order.
pub(crate) fn mountain_car(pos: f64, min_pos: f64, max_pos: f64, goal_pos: f64) -> Frame {
    let (w, h) = (600usize, 400usize);
    let mut f = Frame::filled(w, h, WHITE);
    let scale = w as f64 / (max_pos - min_pos);
    let (carwidth, carheight) = (40.0, 20.0);
    // pygame takes the points as C floats
    let points: Vec<(f32, f32)> = linspace(min_pos, max_pos, 100)
        .into_iter()
        .map(|x| (((x - min_pos) * scale) as f32, (hill(x) * scale) as f32))
        .collect();
    for p in points.windows(2) {
        f.pg_aaline(p[0], p[1], BLACK);
    }
    let clearance = 10.0;
    let angle = (3.0 * pos).cos();
    let car = rectangle(-carwidth / 2.0, carwidth / 2.0, carheight, 0.0).map(|p| {
        let (x, y) = rotate(p, angle);
        (
            x + (pos - min_pos) * scale,
            y + clearance + hill(pos) * scale,
        )
    });
    polygon(&mut f, &car, BLACK);
    for c in [(carwidth / 4.0, 0.0), (-carwidth / 4.0, 0.0)] {
        let (x, y) = rotate(c, angle);
        circle(
            &mut f,
            (x + (pos - min_pos) * scale) as i64,
            (y + clearance + hill(pos) * scale) as i64,
            (carheight / 2.5) as i64,
            [128, 128, 128],
        );
    }
    let flagx = ((goal_pos - min_pos) * scale) as i64;
    let flagy1 = (hill(goal_pos) * scale) as i64;
    let flagy2 = flagy1 + 50;
    f.vline(flagx, flagy1, flagy2, BLACK);
    let flag = [
        (flagx, flagy2),
        (flagx, flagy2 - 10),
        (flagx + 25, flagy2 - 5),
    ];
    f.aa_polygon(&flag, [204, 204, 0]);
    f.fill_polygon(&flag, [204, 204, 0]);
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
        polygon(&mut f, &link, [0, 204, 204]);
        circle(
            &mut f,
            x as i64,
            y as i64,
            (0.1 * scale) as i64,
            [204, 204, 0],
        );
    }
    f.flip_vertical();
    f
}

/// The square gymnasium blits Pendulum's torque arrow into, in the y-up drawing frame:
/// `(left, top, side)`. The image is scaled to `scale * |u| / 2` pixels a side (computed
/// in float32, NumPy 2 keeping `u`'s dtype, and truncated to an integer) and centred on the
/// axle.
pub(crate) fn pendulum_arrow_box(last_u: f32) -> (i64, i64, i64) {
    let scale = (500.0f64 / (2.2 * 2.0)) as f32;
    let side = (scale * last_u.abs() / 2.0) as i64;
    (250 - side / 2, 250 - side / 2, side)
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
    polygon(&mut f, &rod, red);
    let oi = offset as i64;
    circle(&mut f, oi, oi, (rod_width / 2.0) as i64, red);
    let (ex, ey) = rotate((rod_length, 0.0), theta + PI / 2.0);
    circle(
        &mut f,
        (ex + offset) as i64,
        (ey + offset) as i64,
        (rod_width / 2.0) as i64,
        red,
    );
    if let Some(u) = last_u {
        // gymnasium blits a bitmap (clockwise.png, smooth-scaled and mirrored so it turns
        // counter-clockwise for positive torque); a ring arrow of the same size stands in
        let (left, top, side) = pendulum_arrow_box(u);
        if side >= 4 {
            // the bitmap cannot reach outside its square: keep the stand-in inside it too
            let before = f.pixels.clone();
            f.arc_arrow((offset, offset), side as f64 * 0.47, u > 0.0, BLACK);
            let inside =
                |x: i64, y: i64| (left..left + side).contains(&x) && (top..top + side).contains(&y);
            for y in 0..dim {
                for x in 0..dim {
                    if !inside(x as i64, y as i64) {
                        let i = (y * dim + x) * 3;
                        f.pixels[i..i + 3].copy_from_slice(&before[i..i + 3]);
                    }
                }
            }
        }
    }
    circle(&mut f, oi, oi, (0.05 * scale) as i64, BLACK);
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
}
