//! Softmax and log-softmax along one axis of a contiguous `(outer, n, inner)` layout.
//! Rows along the last axis (inner = 1) take a vectorised path with a polynomial `exp`.

use rayon::prelude::*;

use crate::cpu::parallel::{chunk_len, num_threads, ELEMENTWISE_PAR_MIN};

/// Float element the softmax kernels run on (f32 or f64).
pub(crate) trait SoftmaxFloat:
    Copy
    + Send
    + Sync
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + 'static
{
    const NEG_INF: Self;
    const ZERO: Self;
    const ONE: Self;
    /// `e^x`, vectorisable (for f32 a Cephes-style polynomial, within 2 ulp).
    fn vexp(self) -> Self;
    fn ln(self) -> Self;
    fn sum(x: &[Self]) -> Self;
}

impl SoftmaxFloat for f32 {
    const NEG_INF: f32 = f32::NEG_INFINITY;
    const ZERO: f32 = 0.0;
    const ONE: f32 = 1.0;
    #[inline(always)]
    fn vexp(self) -> f32 {
        exp_f32(self)
    }
    fn ln(self) -> f32 {
        f32::ln(self)
    }
    fn sum(x: &[f32]) -> f32 {
        crate::cpu::reduce::sum_f32(x)
    }
}

impl SoftmaxFloat for f64 {
    const NEG_INF: f64 = f64::NEG_INFINITY;
    const ZERO: f64 = 0.0;
    const ONE: f64 = 1.0;
    #[inline(always)]
    fn vexp(self) -> f64 {
        self.exp()
    }
    fn ln(self) -> f64 {
        f64::ln(self)
    }
    fn sum(x: &[f64]) -> f64 {
        x.iter().sum()
    }
}

/// `e^x` for f32 without a libm call, so loops over it vectorise: `x = n ln2 + r`,
/// `e^r` by a degree-7 polynomial on `|r| <= ln2/2`, `2^n` built in the exponent bits.
/// Below -87.3 (where `e^x` is subnormal) it returns 0; NaN stays NaN.
#[inline(always)]
pub(crate) fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    const ROUND: f32 = 12_582_912.0; // 1.5 * 2^23: adding and subtracting rounds to nearest
    let xc = x.clamp(-87.3, 88.3);
    let n = (xc * LOG2E + ROUND) - ROUND;
    let r = xc - n * LN2_HI - n * LN2_LO;
    let p = 1.987_569_1e-4f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 0.166_666_65;
    let p = p * r + 0.5;
    let p = p * r * r + r + 1.0;
    let scale = f32::from_bits(((n as i32 + 127) << 23) as u32);
    let y = p * scale;
    if x < -87.3 {
        0.0
    } else {
        y
    }
}

/// One row along the last axis; f32 rows run the AVX2 or AVX-512 build when that is the
/// kernel path in use (`cpu::dispatch`).
#[inline]
pub(crate) fn row<T: SoftmaxFloat>(x: &[T], out: &mut [T], log: bool) {
    #[cfg(target_arch = "x86_64")]
    if std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>() {
        // SAFETY: T is f32 (checked above), so the slices may be viewed as f32.
        let (xf, of) = unsafe {
            (
                std::slice::from_raw_parts(x.as_ptr() as *const f32, x.len()),
                std::slice::from_raw_parts_mut(out.as_mut_ptr() as *mut f32, out.len()),
            )
        };
        return crate::cpu::dispatch::dispatch!(
            avx512 => row_avx512(xf, of, log),
            avx2 => row_avx2(xf, of, log),
            portable => row_impl(xf, of, log, f32::vexp),
        );
    }
    row_impl(x, out, log, T::vexp)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn row_avx2(x: &[f32], out: &mut [f32], log: bool) {
    use crate::cpu::simd_math::{exp_f32, Fused};
    row_impl(x, out, log, |v: f32| exp_f32::<Fused>(v))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")]
unsafe fn row_avx512(x: &[f32], out: &mut [f32], log: bool) {
    use crate::cpu::simd_math::{exp_f32, Fused};
    row_impl(x, out, log, |v: f32| exp_f32::<Fused>(v))
}

#[inline(always)]
fn row_impl<T: SoftmaxFloat>(x: &[T], out: &mut [T], log: bool, exp: impl Fn(T) -> T) {
    let mut m = T::NEG_INF;
    // Non-short-circuit scans so both loops vectorise.
    let mut nan = false;
    for &v in x {
        m = if v > m { v } else { m };
        nan |= v.partial_cmp(&v).is_none();
    }
    if nan {
        // NaN anywhere in the row: NaN everywhere, as TF.
        let nan = T::ZERO / T::ZERO;
        out.iter_mut().for_each(|o| *o = nan);
        return;
    }
    for (o, &v) in out.iter_mut().zip(x) {
        *o = exp(v - m);
    }
    let s = T::sum(out);
    if log {
        // (v - m) - log(s): subtracting the max first keeps the result exact for large
        // logits (m + log(s) would round away log(s)'s low bits).
        let ls = s.ln();
        for (o, &v) in out.iter_mut().zip(x) {
            *o = (v - m) - ls;
        }
    } else {
        let inv = T::ONE / s;
        for o in out.iter_mut() {
            *o = *o * inv;
        }
    }
}

/// Softmax (or log-softmax) of `x` laid out as `(outer, n, inner)` along `n`.
pub(crate) fn softmax<T: SoftmaxFloat + crate::dtype::Element>(
    x: &[T],
    outer: usize,
    n: usize,
    inner: usize,
    log: bool,
) -> Vec<T> {
    if x.is_empty() {
        return Vec::new();
    }
    let par = x.len() >= ELEMENTWISE_PAR_MIN && num_threads() > 1;
    if inner == 1 {
        // Every element is written by `row`: a cached buffer skips zeroing fresh pages.
        let mut out = crate::cpu::alloc::overwritten(x.len(), T::ZERO);
        if par && outer > 1 {
            let rows = chunk_len(outer, 1);
            out.par_chunks_mut(rows * n)
                .zip(x.par_chunks(rows * n))
                .for_each(|(o, xs)| {
                    for (o, xs) in o.chunks_mut(n).zip(xs.chunks(n)) {
                        row(xs, o, log);
                    }
                });
        } else {
            for (o, xs) in out.chunks_mut(n).zip(x.chunks(n)) {
                row(xs, o, log);
            }
        }
        return out;
    }
    let mut out = vec![T::ZERO; x.len()];
    let block = |xs: &[T], o: &mut [T]| {
        let mut m = vec![T::NEG_INF; inner];
        for k in 0..n {
            for (mj, &v) in m.iter_mut().zip(&xs[k * inner..(k + 1) * inner]) {
                // NaN propagates into the max so the whole column becomes NaN.
                *mj = if v > *mj || v.partial_cmp(&v).is_none() {
                    v
                } else {
                    *mj
                };
            }
        }
        let mut s = vec![T::ZERO; inner];
        for k in 0..n {
            let (xr, or) = (
                &xs[k * inner..(k + 1) * inner],
                &mut o[k * inner..(k + 1) * inner],
            );
            for j in 0..inner {
                let e = (xr[j] - m[j]).vexp();
                or[j] = e;
                s[j] = s[j] + e;
            }
        }
        if log {
            let ls: Vec<T> = s.iter().map(|&s| s.ln()).collect();
            for k in 0..n {
                for j in 0..inner {
                    o[k * inner + j] = (xs[k * inner + j] - m[j]) - ls[j];
                }
            }
        } else {
            let inv: Vec<T> = s.iter().map(|&s| T::ONE / s).collect();
            for k in 0..n {
                for j in 0..inner {
                    o[k * inner + j] = o[k * inner + j] * inv[j];
                }
            }
        }
    };
    let len = n * inner;
    if par && outer > 1 {
        out.par_chunks_mut(len)
            .zip(x.par_chunks(len))
            .for_each(|(o, xs)| block(xs, o));
    } else {
        for (o, xs) in out.chunks_mut(len).zip(x.chunks(len)) {
            block(xs, o);
        }
    }
    out
}

/// Softmax gradient along rows of length `n` (last axis): `dx = y * (g - sum(g * y))`,
/// one pass per row instead of four whole-tensor ops.
pub(crate) fn softmax_grad_rows_f32(y: &[f32], g: &[f32], n: usize) -> Vec<f32> {
    let mut out = crate::cpu::alloc::overwritten(y.len(), 0.0f32);
    if y.is_empty() || n == 0 {
        return out;
    }
    let one = |o: &mut [f32], ys: &[f32], gs: &[f32]| {
        for ((o, yr), gr) in o.chunks_mut(n).zip(ys.chunks(n)).zip(gs.chunks(n)) {
            let dot: f32 = yr.iter().zip(gr).map(|(a, b)| a * b).sum();
            for ((o, &yv), &gv) in o.iter_mut().zip(yr).zip(gr) {
                *o = yv * (gv - dot);
            }
        }
    };
    let rows = y.len() / n;
    if y.len() >= ELEMENTWISE_PAR_MIN && num_threads() > 1 && rows > 1 {
        let chunk = chunk_len(rows, 1) * n;
        out.par_chunks_mut(chunk)
            .zip(y.par_chunks(chunk).zip(g.par_chunks(chunk)))
            .for_each(|(o, (ys, gs))| one(o, ys, gs));
    } else {
        one(&mut out, y, g);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::exp_f32;

    #[test]
    fn fast_exp_is_accurate() {
        let mut worst = 0.0f64;
        let mut x = -87.0f32;
        while x < 88.0 {
            let want = (x as f64).exp();
            let got = exp_f32(x) as f64;
            worst = worst.max(((got - want) / want).abs());
            x += 0.013;
        }
        assert!(worst < 3e-7, "worst relative error {worst}");
        assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
        assert!(exp_f32(f32::NAN).is_nan());
        assert_eq!(exp_f32(0.0), 1.0);
    }
}
