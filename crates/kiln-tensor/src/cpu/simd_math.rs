//! Vectorisable f32 transcendental functions and the slice kernels built on them.
//!
//! `exp_f32` is a Cephes-style `expf`: range reduction `x = n ln2 + r` with `|r| <= ln2/2`
//! (Cody-Waite split of ln2), a degree-6 polynomial for `e^r`, and a scale by `2^n` built
//! from exponent bits (split in two factors so that subnormal results and `n = 128` are
//! exact). Every step is branch-free arithmetic or a select, so a plain loop over a slice
//! auto-vectorises. On x86-64 the slice kernels are compiled twice more, with AVX2+FMA and
//! with AVX-512 (`#[target_feature]`), and the build is chosen at run time by
//! [`crate::cpu::dispatch::cpu_path`]; the portable build (SSE2 on x86-64, anything
//! elsewhere) runs where neither is available or `KILN_CPU=portable`. All builds stay
//! within 2 ulp of `f32::exp` over the whole range, overflow to `inf`, underflow to 0 and
//! pass NaN through (see the tests at the bottom).
//!
//! `tanh_f32` and `sigmoid_f32` are built on `exp_f32`. Large slices are split across
//! threads above [`ELEMENTWISE_PAR_MIN`] elements.

use std::mem::MaybeUninit;

use rayon::prelude::*;

use crate::cpu::dispatch::dispatch;
use crate::cpu::map::fill_new;
use crate::cpu::parallel::{chunk_len, num_threads, ELEMENTWISE_PAR_MIN};

/// How `a * b + c` is evaluated: fused (one rounding, only where the CPU has FMA) or as
/// a multiply then an add (portable; an `fmaf` libm call would not vectorise).
pub(crate) trait MulAdd {
    fn mul_add(a: f32, b: f32, c: f32) -> f32;
    /// The rounding error of `hi = x * x`: `x * x - hi` exactly (for |x| <= 2^60).
    fn sq_err(x: f32, hi: f32) -> f32;
}

/// `a * b + c` with two roundings.
pub(crate) struct Unfused;
impl MulAdd for Unfused {
    #[inline(always)]
    fn mul_add(a: f32, b: f32, c: f32) -> f32 {
        a * b + c
    }
    #[inline(always)]
    fn sq_err(x: f32, hi: f32) -> f32 {
        // Dekker's split: x = xh + xl with 12-bit halves, whose products are exact.
        let c = 4097.0 * x;
        let xh = c - (c - x);
        let xl = x - xh;
        ((xh * xh - hi) + 2.0 * xh * xl) + xl * xl
    }
}

/// `a * b + c` with one rounding (compiles to `vfmadd` inside an `fma` function).
#[cfg(target_arch = "x86_64")]
pub(crate) struct Fused;
#[cfg(target_arch = "x86_64")]
impl MulAdd for Fused {
    #[inline(always)]
    fn mul_add(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
    #[inline(always)]
    fn sq_err(x: f32, hi: f32) -> f32 {
        x.mul_add(x, -hi)
    }
}

const LOG2E: f32 = std::f32::consts::LOG2_E;
/// ln 2 split so that `n * LN2_HI` is exact for |n| <= 2^15.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// 1.5 * 2^23: adding it rounds a float of magnitude < 2^22 to an integer (ties to even).
const ROUND_MAGIC: f32 = 12_582_912.0;
/// Clamp bounds: beyond them the result is certainly inf / 0, and `n` stays small.
const EXP_CLAMP_HI: f32 = 89.0;
const EXP_CLAMP_LO: f32 = -104.0;

/// The pieces of `e^x`: `e^x = (m + 1) * s1 * s2` where `m = e^r - 1` is accurate to a
/// relative ulp or two, and `n` is the power of two taken out (`s1 * s2 = 2^n`).
#[inline(always)]
fn exp_parts<M: MulAdd>(x: f32) -> (f32, f32, f32, i32) {
    // NaN fails both comparisons and flows through the arithmetic as NaN.
    let xc = if x > EXP_CLAMP_HI { EXP_CLAMP_HI } else { x };
    let xc = if xc < EXP_CLAMP_LO { EXP_CLAMP_LO } else { xc };
    let t = M::mul_add(xc, LOG2E, ROUND_MAGIC);
    let n = t - ROUND_MAGIC;
    let ni = (t.to_bits() as i32).wrapping_sub(ROUND_MAGIC.to_bits() as i32);
    let r = M::mul_add(-n, LN2_HI, xc);
    let r = M::mul_add(-n, LN2_LO, r);
    let mut p = 1.987_569_1e-4f32;
    p = M::mul_add(p, r, 1.398_199_9e-3);
    p = M::mul_add(p, r, 8.333_452e-3);
    p = M::mul_add(p, r, 4.166_579_6e-2);
    p = M::mul_add(p, r, 1.666_666_5e-1);
    p = M::mul_add(p, r, 5.000_000_1e-1);
    let m = M::mul_add(p, r * r, r);
    // 2^n = 2^n1 * 2^n2 with both halves normal for n in [-150, 128].
    let n1 = ni >> 1;
    let n2 = ni.wrapping_sub(n1);
    let s1 = f32::from_bits((n1.wrapping_add(127) << 23) as u32);
    let s2 = f32::from_bits((n2.wrapping_add(127) << 23) as u32);
    (m, s1, s2, ni)
}

/// `e^x` for f32, branch-free (see the module docs). Within 2 ulp of `f32::exp`.
#[inline(always)]
pub(crate) fn exp_f32<M: MulAdd>(x: f32) -> f32 {
    let (m, s1, s2, _) = exp_parts::<M>(x);
    (m + 1.0) * s1 * s2
}

/// `e^x - 1` for f32, accurate near 0 too: for |x| <= ln2/2 (`n = 0`) it is the reduced
/// polynomial itself, elsewhere `e^x - 1` cancels at most a factor ~3.4.
#[inline(always)]
pub(crate) fn expm1_f32<M: MulAdd>(x: f32) -> f32 {
    let (m, s1, s2, n) = exp_parts::<M>(x);
    let full = (m + 1.0) * s1 * s2 - 1.0;
    if n == 0 {
        m
    } else {
        full
    }
}

/// `tanh(x)` for f32: an odd polynomial for |x| < 0.625 (Cephes `tanhf`), else
/// `1 - 2 / (e^{2|x|} + 1)` with the sign of x. Both are computed and one selected.
#[inline(always)]
pub(crate) fn tanh_f32<M: MulAdd>(x: f32) -> f32 {
    let a = x.abs();
    let z = x * x;
    let mut p = -5.704_988_7e-3f32;
    p = M::mul_add(p, z, 2.063_908_9e-2);
    p = M::mul_add(p, z, -5.373_971_6e-2);
    p = M::mul_add(p, z, 1.333_144_2e-1);
    p = M::mul_add(p, z, -3.333_328_2e-1);
    let small = M::mul_add(p * z, x, x);
    let e = exp_f32::<M>(a + a);
    let large = (1.0 - 2.0 / (e + 1.0)).copysign(x);
    if a < 0.625 {
        small
    } else {
        large
    }
}

/// `1 / (1 + e^-x)` for f32 without overflow: with `e = e^-|x|`, `1/(1+e)` for x >= 0
/// and `e/(1+e)` for x < 0 (accurate for very negative x too).
#[inline(always)]
pub(crate) fn sigmoid_f32<M: MulAdd>(x: f32) -> f32 {
    let e = exp_f32::<M>(-x.abs());
    let s = 1.0 / (1.0 + e);
    if x >= 0.0 {
        s
    } else {
        e * s
    }
}

/// An elementwise f32 function, generic over how multiply-adds are evaluated.
pub(crate) trait F32Op: Copy + Send + Sync {
    fn apply<M: MulAdd>(self, x: f32) -> f32;
}

#[inline(always)]
fn apply_loop<O: F32Op, M: MulAdd>(op: O, x: &[f32], out: &mut [MaybeUninit<f32>]) {
    for (o, &v) in out.iter_mut().zip(x) {
        o.write(op.apply::<M>(v));
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn apply_avx2<O: F32Op>(op: O, x: &[f32], out: &mut [MaybeUninit<f32>]) {
    apply_loop::<O, Fused>(op, x, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")]
unsafe fn apply_avx512<O: F32Op>(op: O, x: &[f32], out: &mut [MaybeUninit<f32>]) {
    apply_loop::<O, Fused>(op, x, out)
}

/// True when the kernel path in use has FMA (the AVX2 and AVX-512 builds), so that a
/// kernel's result is the [`Fused`] evaluation rather than the [`Unfused`] one.
#[inline]
pub(crate) fn has_avx2_fma() -> bool {
    crate::cpu::dispatch::cpu_path() != crate::cpu::dispatch::CpuPath::Portable
}

/// Writes `op(x[i])` into `out[i]` on this thread, with the build for the kernel path.
#[inline]
pub(crate) fn apply_chunk<O: F32Op>(op: O, x: &[f32], out: &mut [MaybeUninit<f32>]) {
    dispatch!(
        avx512 => apply_avx512(op, x, out),
        avx2 => apply_avx2(op, x, out),
        portable => apply_loop::<O, Unfused>(op, x, out),
    )
}

/// `x[i] = op(x[i])` on this thread, with the best build for this CPU (the gate
/// activations of the fused recurrent kernels, applied to rows of a saved buffer).
#[inline]
pub(crate) fn apply_in_place<O: F32Op>(op: O, x: &mut [f32]) {
    #[inline(always)]
    fn run<O: F32Op, M: MulAdd>(op: O, x: &mut [f32]) {
        for v in x.iter_mut() {
            *v = op.apply::<M>(*v);
        }
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn run_avx2<O: F32Op>(op: O, x: &mut [f32]) {
        run::<O, Fused>(op, x)
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")]
    unsafe fn run_avx512<O: F32Op>(op: O, x: &mut [f32]) {
        run::<O, Fused>(op, x)
    }
    dispatch!(
        avx512 => run_avx512(op, x),
        avx2 => run_avx2(op, x),
        portable => run::<O, Unfused>(op, x),
    )
}

/// `op` over a slice into a new vector, split across threads when large.
pub(crate) fn map_f32<O: F32Op>(op: O, x: &[f32]) -> Vec<f32> {
    let n = x.len();
    fill_new(n, |out| {
        if n >= ELEMENTWISE_PAR_MIN && num_threads() > 1 {
            let c = chunk_len(n, 1 << 14);
            out.par_chunks_mut(c)
                .zip(x.par_chunks(c))
                .for_each(|(o, x)| apply_chunk(op, x, o));
        } else {
            apply_chunk(op, x, out);
        }
    })
}

/// Reference single-element evaluation with the portable build (tests and scalars).
#[inline]
#[cfg(test)]
pub(crate) fn apply_scalar<O: F32Op>(op: O, x: f32) -> f32 {
    op.apply::<Unfused>(x)
}

// ----- the kernels used by the ops ---------------------------------------------------

/// `e^x`.
#[derive(Clone, Copy)]
pub(crate) struct Exp;
impl F32Op for Exp {
    #[inline(always)]
    fn apply<M: MulAdd>(self, x: f32) -> f32 {
        exp_f32::<M>(x)
    }
}

/// `e^x - 1`.
#[derive(Clone, Copy)]
pub(crate) struct Expm1;
impl F32Op for Expm1 {
    #[inline(always)]
    fn apply<M: MulAdd>(self, x: f32) -> f32 {
        expm1_f32::<M>(x)
    }
}

/// `tanh(x)`.
#[derive(Clone, Copy)]
pub(crate) struct Tanh;
impl F32Op for Tanh {
    #[inline(always)]
    fn apply<M: MulAdd>(self, x: f32) -> f32 {
        tanh_f32::<M>(x)
    }
}

/// `sigmoid(x)`.
#[derive(Clone, Copy)]
pub(crate) struct Sigmoid;
impl F32Op for Sigmoid {
    #[inline(always)]
    fn apply<M: MulAdd>(self, x: f32) -> f32 {
        sigmoid_f32::<M>(x)
    }
}

/// `max(x, 0)`, NaN passes through.
#[derive(Clone, Copy)]
pub(crate) struct Relu;
impl F32Op for Relu {
    #[inline(always)]
    fn apply<M: MulAdd>(self, x: f32) -> f32 {
        if x < 0.0 {
            0.0
        } else {
            x
        }
    }
}

/// `x` for x > 0, `alpha * (e^x - 1)` otherwise.
#[derive(Clone, Copy)]
pub(crate) struct Elu(pub f32);
impl F32Op for Elu {
    #[inline(always)]
    fn apply<M: MulAdd>(self, x: f32) -> f32 {
        let em1 = expm1_f32::<M>(x);
        if x > 0.0 {
            x
        } else {
            self.0 * em1
        }
    }
}

/// `x * sigmoid(x)`.
#[derive(Clone, Copy)]
pub(crate) struct Silu;
impl F32Op for Silu {
    #[inline(always)]
    fn apply<M: MulAdd>(self, x: f32) -> f32 {
        x * sigmoid_f32::<M>(x)
    }
}

/// GELU, tanh approximation: `0.5 x (1 + tanh(u))` computed as `x * sigmoid(2u)` (the
/// same function without the cancellation of `1 + tanh(u)` for negative x).
#[derive(Clone, Copy)]
pub(crate) struct GeluTanh;
impl F32Op for GeluTanh {
    #[inline(always)]
    fn apply<M: MulAdd>(self, x: f32) -> f32 {
        const C: f32 = 0.797_884_6; // sqrt(2 / pi)
        let u = C * M::mul_add(0.044_715 * x, x * x, x);
        x * sigmoid_f32::<M>(u + u)
    }
}

/// `erf(u) / u = P(u^2)` on `|u| <= 1` (a degree-6 fit, relative error 1.2e-9). This and
/// the `ERFCX` coefficients come from `tools/numerics/fit_gelu_erf.py`.
// The leading coefficient is the fit's, one f32 ulp below 2/sqrt(pi) (the fit trades it
// against the others); it is not meant to be the constant.
#[allow(clippy::approx_constant)]
const ERF_P: [f32; 7] = [
    1.128_379_1,
    -0.376_126_26,
    0.112_835_854,
    -0.026_853_817,
    0.005_188_337,
    -8.010_282e-4,
    7.854_174e-5,
];
/// `erfcx(a) = erfc(a) e^{a^2} = P(a) / Q(a)` on `0.44 <= a <= 10.5` (a (4, 5) rational
/// fit, relative error 1.0e-9).
const ERFCX_P: [f32; 5] = [
    1.000_007,
    1.308_956_7,
    0.811_928_7,
    0.270_173_28,
    0.042_777_795,
];
const ERFCX_Q: [f32; 6] = [
    1.0,
    2.437_408_9,
    2.561_909_2,
    1.476_791_1,
    0.478_881_96,
    0.075_821_38,
];
/// `1 / sqrt(2 pi)`.
const INV_SQRT_2PI: f32 = 0.398_942_28;

#[inline(always)]
fn horner<M: MulAdd, const N: usize>(c: &[f32; N], t: f32) -> f32 {
    let mut r = c[N - 1];
    for &k in c[..N - 1].iter().rev() {
        r = M::mul_add(r, t, k);
    }
    r
}

/// The pieces of the exact gelu for f32: the normal CDF `Phi(x) = (1 + erf(x / sqrt 2)) / 2`
/// and `e^{-x^2 / 2}`, branch-free. For `-0.45 < x / sqrt 2 < 1`, `Phi` is
/// `(1 + u P(u^2)) / 2`; elsewhere it comes from `erfc(|u|) = e^{-u^2} erfcx(|u|)`, so the
/// left tail keeps its relative accuracy (`1 + erf` would cancel). `x^2` is split into
/// its rounded value and rounding error, so `e^{-x^2/2}` does not inherit the error of a
/// rounded square. Relative error of `x Phi(x)` under 1e-6 everywhere (5e-8 on average).
#[inline(always)]
pub(crate) fn gelu_parts<M: MulAdd>(x: f32) -> (f32, f32) {
    let u = x * std::f32::consts::FRAC_1_SQRT_2;
    let small = M::mul_add(0.5, u * horner::<M, 7>(&ERF_P, u * u), 0.5);
    // NaN fails the comparisons and flows through as NaN.
    let a = x.abs();
    let xc = if a > 20.0 { 20.0 } else { a };
    let hi = xc * xc;
    let lo = M::sq_err(xc, hi);
    let ex = exp_f32::<M>(-0.5 * hi) * M::mul_add(-0.5, lo, 1.0);
    let au = u.abs();
    let ac = if au > 10.5 { 10.5 } else { au };
    let erfc = ex * (horner::<M, 5>(&ERFCX_P, ac) / horner::<M, 6>(&ERFCX_Q, ac));
    let large = if x < 0.0 {
        0.5 * erfc
    } else {
        M::mul_add(-0.5, erfc, 1.0)
    };
    let phi = if u > -0.45 && u < 1.0 { small } else { large };
    (phi, ex)
}

/// The exact gelu `x Phi(x)` for f32 (see [`gelu_parts`]).
#[derive(Clone, Copy)]
pub(crate) struct GeluErf;
impl F32Op for GeluErf {
    #[inline(always)]
    fn apply<M: MulAdd>(self, x: f32) -> f32 {
        x * gelu_parts::<M>(x).0
    }
}

/// `g * gelu'(x) = g * (Phi(x) + x e^{-x^2/2} / sqrt(2 pi))` for f32: the exact gelu's
/// one-pass gradient, from the same pieces as the forward pass.
#[inline(always)]
pub(crate) fn gelu_grad_f32<M: MulAdd>(x: f32, g: f32) -> f32 {
    let (phi, ex) = gelu_parts::<M>(x);
    g * M::mul_add(x, ex * INV_SQRT_2PI, phi)
}

/// [`gelu_grad_f32`] over two slices of the same length into a new vector, with the best
/// build for this CPU, split across threads when large.
pub(crate) fn gelu_grad_map_f32(x: &[f32], g: &[f32]) -> Vec<f32> {
    #[inline(always)]
    fn run<M: MulAdd>(x: &[f32], g: &[f32], out: &mut [MaybeUninit<f32>]) {
        for ((o, &x), &g) in out.iter_mut().zip(x).zip(g) {
            o.write(gelu_grad_f32::<M>(x, g));
        }
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn run_avx2(x: &[f32], g: &[f32], out: &mut [MaybeUninit<f32>]) {
        run::<Fused>(x, g, out)
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")]
    unsafe fn run_avx512(x: &[f32], g: &[f32], out: &mut [MaybeUninit<f32>]) {
        run::<Fused>(x, g, out)
    }
    fn chunk(x: &[f32], g: &[f32], out: &mut [MaybeUninit<f32>]) {
        dispatch!(
            avx512 => run_avx512(x, g, out),
            avx2 => run_avx2(x, g, out),
            portable => run::<Unfused>(x, g, out),
        )
    }
    let n = x.len().min(g.len());
    fill_new(n, |out| {
        if n >= ELEMENTWISE_PAR_MIN / 4 && num_threads() > 1 {
            let c = chunk_len(n, 1 << 13);
            out.par_chunks_mut(c)
                .zip(x[..n].par_chunks(c))
                .zip(g[..n].par_chunks(c))
                .for_each(|((o, x), g)| chunk(x, g, o));
        } else {
            chunk(&x[..n], &g[..n], out);
        }
    })
}

/// `log(1 + e^x)` as `max(x, 0) + log1p(e^-|x|)` (no overflow for large x).
#[derive(Clone, Copy)]
pub(crate) struct Softplus;
impl F32Op for Softplus {
    #[inline(always)]
    fn apply<M: MulAdd>(self, x: f32) -> f32 {
        let e = exp_f32::<M>(-x.abs());
        let m = if x > 0.0 { x } else { 0.0 };
        if x.is_nan() {
            x
        } else {
            m + e.ln_1p()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place (0 for equal values, including both NaN).
    fn ulp_diff(a: f32, b: f32) -> u32 {
        if a.is_nan() && b.is_nan() {
            return 0;
        }
        if a.is_nan() || b.is_nan() {
            return u32::MAX;
        }
        let key = |v: f32| -> i64 {
            let b = v.to_bits() as i32;
            if b < 0 {
                -((b & 0x7fff_ffff) as i64)
            } else {
                b as i64
            }
        };
        (key(a) - key(b)).unsigned_abs().min(u32::MAX as u64) as u32
    }

    /// Many test points: a dense sweep over the exp range, random bit patterns, and edges.
    fn points() -> Vec<f32> {
        let mut v = Vec::new();
        let mut x = -110.0f32;
        while x < 92.0 {
            v.push(x);
            x += 0.000_731;
        }
        let mut s: u32 = 12345;
        for _ in 0..200_000 {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            v.push(f32::from_bits(s));
        }
        v.extend([
            0.0,
            -0.0,
            1e-30,
            -1e-30,
            f32::MIN_POSITIVE,
            88.722_83,
            88.722_84,
            88.73,
            -87.33,
            -87.34,
            -103.0,
            -103.97,
            -103.98,
            -104.0,
            -1000.0,
            1000.0,
            f32::MAX,
            f32::MIN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            -f32::NAN,
        ]);
        v
    }

    fn check_exp_build(name: &str, f: impl Fn(&[f32]) -> Vec<f32>) {
        let xs = points();
        let ys = f(&xs);
        let mut worst = (0u32, 0.0f32);
        for (&x, &y) in xs.iter().zip(&ys) {
            let d = ulp_diff(y, x.exp());
            if d > worst.0 {
                worst = (d, x);
            }
        }
        assert!(
            worst.0 <= 2,
            "{name}: exp off by {} ulp at x = {:e}",
            worst.0,
            worst.1
        );
    }

    #[test]
    fn exp_within_2_ulp_portable() {
        check_exp_build("portable", |xs| {
            let mut out = vec![MaybeUninit::uninit(); xs.len()];
            apply_loop::<Exp, Unfused>(Exp, xs, &mut out);
            out.iter().map(|o| unsafe { o.assume_init() }).collect()
        });
    }

    #[test]
    fn exp_within_2_ulp_dispatched() {
        check_exp_build("dispatched", |xs| map_f32(Exp, xs));
    }

    #[test]
    fn exp_edges() {
        let e = |x: f32| apply_scalar(Exp, x);
        assert_eq!(e(f32::INFINITY), f32::INFINITY);
        assert_eq!(e(f32::NEG_INFINITY), 0.0);
        assert_eq!(e(100.0), f32::INFINITY);
        assert_eq!(e(-200.0), 0.0);
        assert!(e(f32::NAN).is_nan());
        assert_eq!(e(0.0), 1.0);
        // Subnormal results.
        assert_eq!(e(-100.0), (-100.0f32).exp());
    }

    #[test]
    fn tanh_and_sigmoid_accuracy() {
        let xs = points();
        let th = map_f32(Tanh, &xs);
        let sg = map_f32(Sigmoid, &xs);
        for (i, &x) in xs.iter().enumerate() {
            let want = (x as f64).tanh() as f32;
            assert!(
                ulp_diff(th[i], want) <= 3,
                "tanh({x:e}) = {} want {want}",
                th[i]
            );
            let want = (1.0 / (1.0 + (-(x as f64)).exp())) as f32;
            assert!(
                ulp_diff(sg[i], want) <= 3,
                "sigmoid({x:e}) = {} want {want}",
                sg[i]
            );
        }
    }

    #[test]
    fn expm1_and_elu_accuracy() {
        let xs = points();
        let em = map_f32(Expm1, &xs);
        let el = map_f32(Elu(1.0), &xs);
        for (i, &x) in xs.iter().enumerate() {
            let want = (x as f64).exp_m1() as f32;
            assert!(
                ulp_diff(em[i], want) <= 3,
                "expm1({x:e}) = {} want {want}",
                em[i]
            );
            let want = if x > 0.0 { x } else { want };
            assert!(
                ulp_diff(el[i], want) <= 3,
                "elu({x:e}) = {} want {want}",
                el[i]
            );
        }
    }

    #[test]
    fn threaded_matches_single() {
        let xs: Vec<f32> = (0..(ELEMENTWISE_PAR_MIN + 777))
            .map(|i| (i as f32) * 1e-4 - 20.0)
            .collect();
        let a = map_f32(Silu, &xs);
        for (i, &x) in xs.iter().enumerate().step_by(97) {
            assert_eq!(a[i].to_bits(), {
                let mut o = [MaybeUninit::uninit()];
                apply_chunk(Silu, &[x], &mut o);
                unsafe { o[0].assume_init() }.to_bits()
            });
        }
    }

    /// `x Phi(x)` and `gelu'(x)` in f64 from erfc (no cancellation in the left tail).
    fn gelu_ref(x: f64) -> (f64, f64) {
        let tail = 0.5 * crate::cpu::special::erfc_f64(x.abs() * std::f64::consts::FRAC_1_SQRT_2);
        let phi = if x < 0.0 { tail } else { 1.0 - tail };
        let pdf = (-0.5 * x * x).exp() * 0.398_942_280_401_432_7;
        (x * phi, phi + x * pdf)
    }

    fn check_gelu<M: MulAdd>() {
        let mut x = -16.0f32;
        let (mut worst, mut worst_at, mut sum, mut count) = (0.0f64, 0.0f32, 0.0f64, 0usize);
        while x < 16.0 {
            let (want, dwant) = gelu_ref(x as f64);
            let got = GeluErf.apply::<M>(x) as f64;
            if want.abs() > 1e-30 {
                let rel = (got - want).abs() / want.abs();
                if rel > worst {
                    (worst, worst_at) = (rel, x);
                }
                sum += rel;
                count += 1;
            }
            let d = gelu_grad_f32::<M>(x, 1.0) as f64;
            assert!(
                (d - dwant).abs() <= 3e-7 * (1.0 + dwant.abs()),
                "gelu'({x}) = {d}, want {dwant}"
            );
            x += 0.000_37;
        }
        assert!(worst < 1.2e-6, "gelu: relative error {worst} at {worst_at}");
        assert!(
            sum / (count as f64) < 1e-7,
            "gelu: mean relative error {}",
            sum / count as f64
        );
        assert!(GeluErf.apply::<M>(f32::NAN).is_nan());
        assert!(gelu_grad_f32::<M>(f32::NAN, 1.0).is_nan());
        assert_eq!(GeluErf.apply::<M>(f32::INFINITY), f32::INFINITY);
        assert_eq!(GeluErf.apply::<M>(-100.0), 0.0);
        assert_eq!(GeluErf.apply::<M>(0.0), 0.0);
        assert_eq!(gelu_grad_f32::<M>(0.0, 1.0), 0.5);
        assert_eq!(gelu_grad_f32::<M>(50.0, 2.0), 2.0);
    }

    #[test]
    fn exact_gelu_is_accurate_in_both_builds() {
        check_gelu::<Unfused>();
        #[cfg(target_arch = "x86_64")]
        if has_avx2_fma() {
            check_gelu::<Fused>();
        }
    }

    #[test]
    fn gelu_grad_slices_equal_the_scalar_kernel() {
        let n = ELEMENTWISE_PAR_MIN + 77;
        let x: Vec<f32> = (0..n).map(|i| (i as f32 - n as f32 / 2.0) * 1e-4).collect();
        let g: Vec<f32> = (0..n).map(|i| 0.5 + (i % 5) as f32).collect();
        let out = gelu_grad_map_f32(&x, &g);
        let fused = has_avx2_fma();
        for i in (0..n).step_by(101) {
            let want = if fused {
                #[cfg(target_arch = "x86_64")]
                {
                    gelu_grad_f32::<Fused>(x[i], g[i])
                }
                #[cfg(not(target_arch = "x86_64"))]
                {
                    unreachable!()
                }
            } else {
                gelu_grad_f32::<Unfused>(x[i], g[i])
            };
            assert_eq!(out[i].to_bits(), want.to_bits(), "{i}");
        }
    }
}
