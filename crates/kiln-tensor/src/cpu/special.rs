//! Special functions the standard library lacks: `erf` and `erfc`.
//!
//! `erf_f64` is libm's (FreeBSD msun, under 1 ulp). The series/continued-fraction forms
//! below (`erf_reference`, `erfc_f64`: Maclaurin series for |x| < 2, a Lentz-evaluated
//! continued fraction beyond, ~1e-15) are kept as the tests'
//! independent reference.

#[cfg(test)]
const FRAC_2_SQRT_PI: f64 = std::f64::consts::FRAC_2_SQRT_PI;

/// `erf(x)` by its Maclaurin series (used for |x| < 2, where it converges quickly and
/// loses at most one digit to cancellation).
#[cfg(test)]
fn erf_series(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = x; // (-1)^n x^(2n+1) / n!
    let mut sum = x;
    for n in 1..200 {
        term *= -x2 / n as f64;
        let add = term / (2 * n + 1) as f64;
        sum += add;
        if add.abs() <= 1e-17 * sum.abs() {
            break;
        }
    }
    FRAC_2_SQRT_PI * sum
}

/// `erfc(x)` for x >= 2 by the continued fraction
/// `erfc(x) = e^{-x^2}/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))`.
#[cfg(test)]
fn erfc_cf(x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut f = x;
    let mut c = x;
    let mut d = 0.0f64;
    for k in 1..500 {
        let a = k as f64 * 0.5;
        d = x + a * d;
        if d.abs() < TINY {
            d = TINY;
        }
        d = 1.0 / d;
        c = x + a / c;
        if c.abs() < TINY {
            c = TINY;
        }
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x * x).exp() * (FRAC_2_SQRT_PI * 0.5) / f
}

/// The error function (libm's, under 1 ulp: about 30x faster than the series below, which
/// stays as the tests' independent reference).
#[inline]
pub(crate) fn erf_f64(x: f64) -> f64 {
    libm::erf(x)
}

/// The error function from its power series and continued fraction, accurate to ~1e-15.
#[cfg(test)]
pub(crate) fn erf_reference(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let a = x.abs();
    if a < 2.0 {
        erf_series(x)
    } else if a > 6.0 {
        1.0f64.copysign(x)
    } else {
        (1.0 - erfc_cf(a)).copysign(x)
    }
}

/// The complementary error function `1 - erf(x)`, accurate (relatively) for large x.
#[cfg(test)]
pub(crate) fn erfc_f64(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x < 2.0 {
        1.0 - erf_series(x.max(-6.0))
    } else if x > 27.3 {
        0.0
    } else {
        erfc_cf(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_known_values() {
        // Reference values of erf (Abramowitz & Stegun table 7.1 / high-precision).
        let cases = [
            (0.0, 0.0),
            (0.1, 0.112_462_916_018_284_9),
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (1.5, 0.966_105_146_475_310_7),
            (2.0, 0.995_322_265_018_952_7),
            (2.5, 0.999_593_047_982_555),
            (3.0, 0.999_977_909_503_001_4),
        ];
        for (x, want) in cases {
            assert!(
                (erf_f64(x) - want).abs() < 1e-15,
                "erf({x}) = {} want {want}",
                erf_f64(x)
            );
            assert!((erf_f64(-x) + want).abs() < 1e-15);
        }
        // erfc(3) and erfc(5) relative.
        let e3 = 2.209_049_699_858_544e-5;
        assert!((erfc_f64(3.0) / e3 - 1.0).abs() < 1e-13);
        let e5 = 1.537_459_794_428_034_8e-12;
        assert!((erfc_f64(5.0) / e5 - 1.0).abs() < 1e-13);
        assert!((erfc_f64(-1.0) - (1.0 + 0.842_700_792_949_714_9)).abs() < 1e-15);
    }

    #[test]
    fn libm_erf_equals_the_series_reference() {
        let mut worst = 0.0f64;
        for i in -8000..=8000 {
            let x = i as f64 / 1000.0;
            let (a, b) = (erf_f64(x), erf_reference(x));
            worst = worst.max((a - b).abs());
        }
        assert!(worst < 2e-15, "max |libm - reference| = {worst:e}");
        assert!(erf_f64(f64::NAN).is_nan());
    }

    #[test]
    fn series_and_fraction_agree_at_the_switch() {
        for x in [1.9, 1.99, 2.0, 2.01, 2.2] {
            let s = 1.0 - erf_series(x);
            let c = erfc_cf(x);
            assert!((s / c - 1.0).abs() < 1e-12, "x={x}: {s} vs {c}");
        }
    }
}
