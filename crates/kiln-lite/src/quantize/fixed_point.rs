//! TFLite's integer requantization arithmetic (gemmlowp's fixed point): a real multiplier
//! as a Q31 value and a power-of-two shift, applied with rounding as the reference
//! kernels do, so kiln's int8 results match the interpreter's.

/// `QuantizeMultiplier`: `m = q * 2^(shift - 31)` with `q` in [2^30, 2^31).
pub fn quantize_multiplier(m: f64) -> (i32, i32) {
    if m == 0.0 {
        return (0, 0);
    }
    let (frac, mut shift) = frexp(m);
    let mut q = (frac * (1i64 << 31) as f64).round() as i64;
    if q == 1i64 << 31 {
        q /= 2;
        shift += 1;
    }
    if shift < -31 {
        return (0, 0);
    }
    (q as i32, shift)
}

/// `m = frac * 2^exp` with `frac` in [0.5, 1).
fn frexp(m: f64) -> (f64, i32) {
    let mut exp = m.abs().log2().floor() as i32 + 1;
    let mut frac = m / 2f64.powi(exp);
    // Correct the rare off-by-one of log2 at exact powers of two.
    if frac.abs() >= 1.0 {
        frac /= 2.0;
        exp += 1;
    } else if frac.abs() < 0.5 {
        frac *= 2.0;
        exp -= 1;
    }
    (frac, exp)
}

/// `SaturatingRoundingDoublingHighMul`.
pub fn sat_rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    let ab = a as i64 * b as i64;
    let nudge = if ab >= 0 {
        1i64 << 30
    } else {
        1 - (1i64 << 30)
    };
    ((ab + nudge) / (1i64 << 31)) as i32
}

/// `RoundingDivideByPOT`: `x / 2^exponent`, rounding half away from zero.
pub fn rounding_divide_by_pot(x: i32, exponent: i32) -> i32 {
    if exponent <= 0 {
        return x;
    }
    let mask = (1i32 << exponent) - 1;
    let remainder = x & mask;
    let threshold = (mask >> 1) + (x < 0) as i32;
    (x >> exponent) + (remainder > threshold) as i32
}

/// `MultiplyByQuantizedMultiplier(x, q, shift)`.
pub fn multiply_by_quantized_multiplier(x: i32, q: i32, shift: i32) -> i32 {
    let left = shift.max(0);
    let right = (-shift).max(0);
    rounding_divide_by_pot(
        sat_rounding_doubling_high_mul(x.wrapping_mul(1 << left), q),
        right,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiplier_round_trips() {
        for m in [0.75f64, 0.001_234, 3.5, 1.0 / 256.0] {
            let (q, s) = quantize_multiplier(m);
            let back = q as f64 * 2f64.powi(s - 31);
            assert!((back - m).abs() <= m * 1e-9, "{m} -> {back}");
        }
        // 1000 * 0.25 = 250 exactly; with no shift the rounding is the doubling high
        // multiply's: 1.5 rounds up to 2, -1.5 rounds up to -1 (gemmlowp's nudge).
        let (q, s) = quantize_multiplier(0.25);
        assert_eq!(multiply_by_quantized_multiplier(1000, q, s), 250);
        let (q, s) = quantize_multiplier(0.5);
        assert_eq!(multiply_by_quantized_multiplier(3, q, s), 2);
        assert_eq!(multiply_by_quantized_multiplier(-3, q, s), -1);
    }
}
