//! Layer tables for the 256-layer ziggurat samplers NumPy's `Generator` uses for
//! `standard_normal` and `standard_exponential` (Marsaglia & Tsang 2000).
//!
//! The tables are computed here from the ziggurat's defining recursion rather than copied:
//! with `x[255] = r` and common layer area `v`, `x[i-1] = f⁻¹(v / x[i] + f(x[i]))`. NumPy's
//! shipped tables were generated elsewhere and differ from these in the last few bits, so a
//! sample agrees with NumPy's to about 1e-15 relative and takes the same accept/reject path
//! except with probability ~1e-15 per draw (the golden tests check both).

use std::sync::OnceLock;

/// The normal ziggurat's base-layer right edge (`ziggurat_nor_r`).
pub(crate) const NORMAL_R: f64 = 3.654_152_885_361_009;
/// `1 / NORMAL_R` (`ziggurat_nor_inv_r`).
pub(crate) const NORMAL_INV_R: f64 = 0.273_661_237_329_758_3;
/// The exponential ziggurat's base-layer right edge (`ziggurat_exp_r`).
pub(crate) const EXPONENTIAL_R: f64 = 7.697_117_470_131_05;
/// The common layer area of the normal ziggurat,
/// `r·f(r) + sqrt(π/2)·erfc(r/√2)` for `f(x) = exp(-x²/2)` (evaluated in 90-digit arithmetic).
const NORMAL_V: f64 = 4.928_673_233_974_655e-3;

/// One ziggurat: `k` (acceptance thresholds on the integer draw), `w` (the draw-to-x scale
/// per layer) and `f` (the density at each layer's edge).
pub(crate) struct Tables {
    pub(crate) k: [u64; 256],
    pub(crate) w: [f64; 256],
    pub(crate) f: [f64; 256],
}

fn build(r: f64, v: f64, bits: i32, density: fn(f64) -> f64, inverse: fn(f64) -> f64) -> Tables {
    let scale = 2f64.powi(bits);
    let mut x = [0f64; 256];
    x[255] = r;
    for i in (2..256).rev() {
        x[i - 1] = inverse(v / x[i] + density(x[i]));
    }
    let q = v / density(r);
    let mut k = [0u64; 256];
    let mut w = [0f64; 256];
    let mut f = [0f64; 256];
    k[0] = (r / q * scale) as u64;
    w[0] = q / scale;
    f[0] = 1.0;
    for i in 1..256 {
        w[i] = x[i] / scale;
        f[i] = density(x[i]);
    }
    for i in 2..256 {
        k[i] = (x[i - 1] / x[i] * scale) as u64;
    }
    Tables { k, w, f }
}

pub(crate) fn normal_tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        build(
            NORMAL_R,
            NORMAL_V,
            52,
            |x| (-0.5 * x * x).exp(),
            |y| (-2.0 * y.ln()).sqrt(),
        )
    })
}

pub(crate) fn exponential_tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        // v = r·e^-r + ∫_r^∞ e^-x dx
        let v = (EXPONENTIAL_R + 1.0) * (-EXPONENTIAL_R).exp();
        build(EXPONENTIAL_R, v, 53, |x| (-x).exp(), |y| -y.ln())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_close_at_the_top() {
        // The recursion's top layer must have (nearly) the common area: x1·(f(0) - f(x1)) = v.
        let t = normal_tables();
        let x1 = t.w[1] * 2f64.powi(52);
        assert!((x1 * (1.0 - t.f[1]) - NORMAL_V).abs() < 1e-12);
        let e = exponential_tables();
        let x1 = e.w[1] * 2f64.powi(53);
        let v = (EXPONENTIAL_R + 1.0) * (-EXPONENTIAL_R).exp();
        assert!((x1 * (1.0 - e.f[1]) - v).abs() < 1e-12);
        assert_eq!(t.k[1], 0);
        assert!(t.k[2..].iter().all(|&k| k > 0 && k < 1 << 52));
        assert!((NORMAL_R * NORMAL_INV_R - 1.0).abs() < 1e-16);
    }
}
