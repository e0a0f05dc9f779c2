//! matplotlib's colours: the `tab10` cycle and the `viridis` colormap.

use plotters::style::RGBColor;

const TAB10: [(u8, u8, u8); 10] = [
    (0x1f, 0x77, 0xb4),
    (0xff, 0x7f, 0x0e),
    (0x2c, 0xa0, 0x2c),
    (0xd6, 0x27, 0x28),
    (0x94, 0x67, 0xbd),
    (0x8c, 0x56, 0x4b),
    (0xe3, 0x77, 0xc2),
    (0x7f, 0x7f, 0x7f),
    (0xbc, 0xbd, 0x22),
    (0x17, 0xbe, 0xcf),
];

/// The `i`-th colour of matplotlib's default cycle (`tab10`), repeating after 10.
///
/// ```
/// assert_eq!(kiln_plot::tab10(0), (0x1f, 0x77, 0xb4));
/// assert_eq!(kiln_plot::tab10(11), kiln_plot::tab10(1));
/// ```
pub fn tab10(i: usize) -> (u8, u8, u8) {
    TAB10[i % 10]
}

pub(crate) fn tab10_rgb(i: usize) -> RGBColor {
    let (r, g, b) = tab10(i);
    RGBColor(r, g, b)
}

/// viridis at 0, 0.1, ..., 1 (matplotlib's `viridis` sampled at 11 points).
const VIRIDIS: [(u8, u8, u8); 11] = [
    (0x44, 0x01, 0x54),
    (0x48, 0x24, 0x75),
    (0x41, 0x44, 0x87),
    (0x35, 0x5f, 0x8d),
    (0x2a, 0x78, 0x8e),
    (0x21, 0x91, 0x8c),
    (0x22, 0xa8, 0x84),
    (0x44, 0xbf, 0x70),
    (0x7a, 0xd1, 0x51),
    (0xbd, 0xdf, 0x26),
    (0xfd, 0xe7, 0x25),
];

/// matplotlib's `viridis` colormap at `t` in `[0, 1]` (clamped; linear between 11
/// samples).
///
/// ```
/// assert_eq!(kiln_plot::viridis(0.0), (0x44, 0x01, 0x54));
/// assert_eq!(kiln_plot::viridis(1.0), (0xfd, 0xe7, 0x25));
/// ```
pub fn viridis(t: f64) -> (u8, u8, u8) {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let x = t * 10.0;
    let i = (x.floor() as usize).min(9);
    let f = x - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |p: u8, q: u8| (f64::from(p) + (f64::from(q) - f64::from(p)) * f).round() as u8;
    (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

pub(crate) fn viridis_rgb(t: f64) -> RGBColor {
    let (r, g, b) = viridis(t);
    RGBColor(r, g, b)
}
