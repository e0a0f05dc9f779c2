//! Quantization parameters as TFLite's quantization spec computes them.

/// Asymmetric int8 parameters for a calibrated range `[lo, hi]` (the range is widened to
/// hold 0, as the spec requires, so that zero is exact): `(scale, zero_point)`.
pub fn asymmetric_i8(lo: f32, hi: f32) -> (f32, i64) {
    let lo = lo.min(0.0);
    let hi = hi.max(0.0);
    let (qmin, qmax) = (-128.0f64, 127.0f64);
    if hi - lo <= f32::EPSILON {
        // A constant-zero tensor: any scale represents it; the converter uses 1.
        return (1.0, -128);
    }
    let scale = (hi as f64 - lo as f64) / (qmax - qmin);
    let zp_from_min = qmin - lo as f64 / scale;
    let zp = zp_from_min.round().clamp(qmin, qmax) as i64;
    (scale as f32, zp)
}

/// Symmetric int8 quantization of `w` split into `channels` groups along the axis
/// whose index is `channel_of(i)` for element `i`: values in [-127, 127], zero point 0.
/// Returns the int8 values and one scale per channel.
pub fn symmetric_per_channel(
    w: &[f32],
    channels: usize,
    channel_of: impl Fn(usize) -> usize,
) -> (Vec<i8>, Vec<f32>) {
    let mut amax = vec![0f32; channels];
    for (i, v) in w.iter().enumerate() {
        let c = channel_of(i);
        amax[c] = amax[c].max(v.abs());
    }
    let scales: Vec<f32> = amax
        .iter()
        .map(|&m| if m > 0.0 { m / 127.0 } else { 1.0 })
        .collect();
    let q = w
        .iter()
        .enumerate()
        .map(|(i, v)| (v / scales[channel_of(i)]).round().clamp(-127.0, 127.0) as i8)
        .collect();
    (q, scales)
}

/// int8 quantization with given parameters (round half away from zero, saturating).
pub fn quantize_i8(v: f32, scale: f32, zero_point: i64) -> i8 {
    ((v / scale).round() as i64 + zero_point).clamp(-128, 127) as i8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asymmetric_range_holds_zero_exactly() {
        let (s, z) = asymmetric_i8(-1.0, 3.0);
        assert!((s - 4.0 / 255.0).abs() < 1e-7);
        assert_eq!(z, -64);
        assert_eq!(quantize_i8(0.0, s, z) as i64, z);
        // A positive-only range starts at 0 (zero point -128).
        assert_eq!(asymmetric_i8(0.5, 2.0).1, -128);
    }

    #[test]
    fn symmetric_per_channel_uses_each_channel_max() {
        let w = [1.0, -2.0, 0.5, 0.25];
        let (q, s) = symmetric_per_channel(&w, 2, |i| i / 2);
        assert_eq!(s, vec![2.0 / 127.0, 0.5 / 127.0]);
        assert_eq!(q, vec![64, -127, 127, 64]);
    }
}
