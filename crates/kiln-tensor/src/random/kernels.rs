//! The sampling kernels: chunked ChaCha8 streams filled in parallel, uniform bits,
//! Box-Muller normals with their own `ln` and `sin`/`cos`, truncation, bounded integers.

use std::mem::MaybeUninit;

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::cpu::parallel::num_threads;
use crate::dtype::Element;
use crate::shape::numel;
use crate::{DType, Tensor};

use super::{Key, INV_2_24, INV_2_53};

/// Elements per independent ChaCha stream (the unit of parallel generation).
pub(super) const CHUNK: usize = 1 << 14;
/// Elements below which generation stays on one thread.
pub(super) const PAR_MIN: usize = 1 << 16;
/// Box-Muller pairs computed per vectorised block.
pub(super) const PAIRS: usize = 64;
/// TF's truncation bound, in standard deviations.
pub(super) const TRUNCATE: f64 = 2.0;

/// The ChaCha stream for output block `k` of a call keyed by `key`.
pub(super) fn chunk_rng(key: &Key, k: usize) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::from_seed(*key);
    r.set_stream(k as u64);
    r
}

/// Allocates `n` outputs and lets `f` fill each block of [`CHUNK`] elements from its own
/// stream; blocks run in parallel for large `n` with identical results.
pub(super) fn fill_chunked<O: Element>(
    key: &Key,
    n: usize,
    f: impl Fn(&mut ChaCha8Rng, &mut [MaybeUninit<O>]) + Sync,
) -> Vec<O> {
    let mut v = crate::cpu::alloc::with_capacity::<O>(n);
    let out = &mut v.spare_capacity_mut()[..n];
    if n >= PAR_MIN && num_threads() > 1 {
        out.par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(k, c)| f(&mut chunk_rng(key, k), c));
    } else {
        for (k, c) in out.chunks_mut(CHUNK).enumerate() {
            f(&mut chunk_rng(key, k), c);
        }
    }
    // SAFETY: every block function writes its whole block (all callers fill `out` fully).
    unsafe { v.set_len(n) };
    v
}

/// `n` outputs each computed by `draw` from the block's stream (variable consumption).
pub(super) fn fill_each<O: Element>(
    key: &Key,
    n: usize,
    draw: impl Fn(&mut ChaCha8Rng) -> O + Sync,
) -> Vec<O> {
    fill_chunked(key, n, |rng, out| {
        for o in out {
            o.write(draw(rng));
        }
    })
}

/// Raw random words: `u32` or `u64`.
pub(super) trait Bits: Copy + Default + Send + Sync {
    fn fill(rng: &mut ChaCha8Rng, buf: &mut [Self]);
}
impl Bits for u32 {
    fn fill(rng: &mut ChaCha8Rng, buf: &mut [u32]) {
        rng.fill(buf);
    }
}
impl Bits for u64 {
    fn fill(rng: &mut ChaCha8Rng, buf: &mut [u64]) {
        rng.fill(buf);
    }
}

/// Fills `out` with `map(word)`, one random word per element, in vectorisable blocks.
#[inline(always)]
pub(super) fn fill_bits<B: Bits, O: Element>(
    rng: &mut ChaCha8Rng,
    out: &mut [MaybeUninit<O>],
    map: impl Fn(B) -> O,
) {
    let mut buf = [B::default(); 256];
    for o in out.chunks_mut(256) {
        let b = &mut buf[..o.len()];
        B::fill(rng, b);
        for (o, &w) in o.iter_mut().zip(b.iter()) {
            o.write(map(w));
        }
    }
}

pub(super) fn normal_impl(
    key: &Key,
    shape: &[usize],
    mean: f64,
    stddev: f64,
    dtype: DType,
    truncate: bool,
) -> Tensor {
    let n = numel(shape);
    if dtype == DType::F64 {
        let v = fill_chunked::<f64>(key, n, |rng, out| {
            let mut block = [0.0f64; 2 * PAIRS];
            fill_normals(rng, out, truncate, &mut block, normal_block_f64, |z| {
                mean + stddev * z
            });
        });
        return Tensor::from_vec_unchecked(v, shape.to_vec());
    }
    let (m, s) = (mean as f32, stddev as f32);
    let v = fill_chunked::<f32>(key, n, |rng, out| {
        let mut block = [0.0f32; 2 * PAIRS];
        fill_normals(rng, out, truncate, &mut block, normal_block_f32, |z| {
            m + s * z
        });
    });
    Tensor::from_vec_unchecked(v, shape.to_vec()).cast_unrecorded(dtype)
}

/// Fills `out` with `affine(z)` for standard normals `z` produced a block at a time by
/// `draw`; when `truncate`, values with `|z| >= 2` are skipped (re-drawn).
#[inline(always)]
pub(super) fn fill_normals<F: Copy + Into<f64>, O: Element>(
    rng: &mut ChaCha8Rng,
    out: &mut [MaybeUninit<O>],
    truncate: bool,
    block: &mut [F; 2 * PAIRS],
    draw: impl Fn(&mut ChaCha8Rng, &mut [F; 2 * PAIRS]),
    affine: impl Fn(F) -> O,
) {
    if !truncate {
        for o in out.chunks_mut(2 * PAIRS) {
            draw(rng, block);
            for (o, &z) in o.iter_mut().zip(block.iter()) {
                o.write(affine(z));
            }
        }
        return;
    }
    let mut filled = 0;
    while filled < out.len() {
        draw(rng, block);
        for &z in block.iter() {
            if z.into().abs() < TRUNCATE && filled < out.len() {
                out[filled].write(affine(z));
                filled += 1;
            }
        }
    }
}

/// `2 * PAIRS` standard normals in f32 by Box-Muller, from 24-bit uniforms, with
/// polynomial log and sin/cos so the loop vectorises.
pub(super) fn normal_block_f32(rng: &mut ChaCha8Rng, out: &mut [f32; 2 * PAIRS]) {
    let mut bits = [0u32; 2 * PAIRS];
    rng.fill(&mut bits[..]);
    let (a, b) = bits.split_at(PAIRS);
    let (lo, hi) = out.split_at_mut(PAIRS);
    for i in 0..PAIRS {
        let (z0, z1) = box_muller_f32(a[i], b[i]);
        lo[i] = z0;
        hi[i] = z1;
    }
}

#[inline(always)]
pub(super) fn box_muller_f32(a: u32, b: u32) -> (f32, f32) {
    // u in (0, 1]: ln(u) is finite and <= 0.
    let u = (((a >> 8) as i32) + 1) as f32 * INV_2_24;
    let r = (-2.0 * ln_f32(u)).sqrt();
    // Angle: quadrant from the top 2 bits, offset within [-pi/4, pi/4) from the next 24.
    let f = (((b >> 6) & 0x00FF_FFFF) as i32) as f32 * INV_2_24;
    let (s, c) = sin_cos_pi4((f - 0.5) * std::f32::consts::FRAC_PI_2);
    let q = b >> 30;
    let (x, y) = if q & 1 != 0 { (-s, c) } else { (c, s) };
    let r = if q & 2 != 0 { -r } else { r };
    (r * x, r * y)
}

/// Natural log of a positive normal f32 (Cephes `logf`, about 1 ulp).
#[inline(always)]
pub(super) fn ln_f32(x: f32) -> f32 {
    let bits = x.to_bits();
    let e = ((bits >> 23) & 0xFF) as i32 - 126; // x = m * 2^e with m in [0.5, 1)
    let m = f32::from_bits((bits & 0x007F_FFFF) | 0x3F00_0000);
    let small = m < std::f32::consts::FRAC_1_SQRT_2;
    let e = (e - small as i32) as f32;
    let x = if small { m + m - 1.0 } else { m - 1.0 };
    let z = x * x;
    let mut y = 7.037_683_6e-2f32;
    y = y * x - 1.151_461e-1;
    y = y * x + 1.167_699_9e-1;
    y = y * x - 1.242_014_1e-1;
    y = y * x + 1.424_932_3e-1;
    y = y * x - 1.666_805_8e-1;
    y = y * x + 2.000_071_4e-1;
    y = y * x - 2.499_999_4e-1;
    y = y * x + 3.333_333e-1;
    y = y * x * z;
    y += -2.121_944_4e-4 * e;
    y += -0.5 * z;
    x + y + 0.693_359_4 * e
}

/// `(sin x, cos x)` for `|x| <= pi/4` (Cephes `sinf`/`cosf` polynomials).
#[inline(always)]
pub(super) fn sin_cos_pi4(x: f32) -> (f32, f32) {
    let z = x * x;
    let s = ((-1.951_529_6e-4 * z + 8.332_161e-3) * z - 1.666_665_5e-1) * z * x + x;
    let c = ((2.443_315_7e-5 * z - 1.388_731_6e-3) * z + 4.166_664_6e-2) * z * z - 0.5 * z + 1.0;
    (s, c)
}

/// `2 * PAIRS` standard normals in f64 by Box-Muller from 53-bit uniforms.
pub(super) fn normal_block_f64(rng: &mut ChaCha8Rng, out: &mut [f64; 2 * PAIRS]) {
    let mut bits = [0u64; 2 * PAIRS];
    rng.fill(&mut bits[..]);
    let (a, b) = bits.split_at(PAIRS);
    let (lo, hi) = out.split_at_mut(PAIRS);
    for i in 0..PAIRS {
        let u = ((a[i] >> 11) + 1) as f64 * INV_2_53; // (0, 1]
        let r = (-2.0 * u.ln()).sqrt();
        let (s, c) = ((b[i] >> 11) as f64 * INV_2_53 * std::f64::consts::TAU).sin_cos();
        lo[i] = r * c;
        hi[i] = r * s;
    }
}

/// Uniform integer in `[0, range)` without bias (Lemire's widening multiply).
#[inline]
pub(super) fn bounded_u64(rng: &mut ChaCha8Rng, range: u64) -> u64 {
    let mut m = (rng.next_u64() as u128) * (range as u128);
    if (m as u64) < range {
        let t = range.wrapping_neg() % range;
        while (m as u64) < t {
            m = (rng.next_u64() as u128) * (range as u128);
        }
    }
    (m >> 64) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_f32_is_accurate() {
        let mut worst = 0.0f64;
        for k in 1..=100_000u32 {
            let u = k as f32 / 100_000.0;
            let got = ln_f32(u) as f64;
            let want = (u as f64).ln();
            worst = worst.max((got - want).abs() / want.abs().max(1e-30).max(1e-7));
        }
        // Tiny inputs: the whole exponent range Box-Muller uses.
        for e in 1..=24 {
            let u = (2.0f32).powi(-e) * 1.3;
            assert!(((ln_f32(u) as f64) - (u as f64).ln()).abs() < 1e-5);
        }
        assert!(worst < 1e-5, "ln_f32 relative error {worst}");
    }

    #[test]
    fn sin_cos_is_accurate() {
        for k in -1000..=1000 {
            let x = k as f32 / 1000.0 * std::f32::consts::FRAC_PI_4;
            let (s, c) = sin_cos_pi4(x);
            assert!((s as f64 - (x as f64).sin()).abs() < 2e-7, "sin({x})");
            assert!((c as f64 - (x as f64).cos()).abs() < 2e-7, "cos({x})");
        }
    }

    #[test]
    fn box_muller_covers_the_circle() {
        // Angles from all four quadrants give points on the circle of radius r.
        let mut quadrants = [0usize; 4];
        for q in 0..4u32 {
            for k in 0..64u32 {
                let b = (q << 30) | (k << 24);
                let (x, y) = box_muller_f32(0x8000_0000, b);
                let r = (-2.0f32 * (0.5f32 + 1.0 / 16_777_216.0).ln()).sqrt();
                assert!(((x * x + y * y).sqrt() - r).abs() < 1e-5);
                let a = y.atan2(x).rem_euclid(std::f32::consts::TAU);
                quadrants[((a / std::f32::consts::FRAC_PI_2) as usize).min(3)] += 1;
            }
        }
        assert!(quadrants.iter().all(|&c| c > 32), "{quadrants:?}");
    }

    #[test]
    fn bounded_is_in_range() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        for range in [1u64, 2, 3, 7, 1000, u64::MAX] {
            for _ in 0..1000 {
                assert!(bounded_u64(&mut rng, range) < range);
            }
        }
    }
}
