//! Direct convolution for few input channels (an image model's first layer: 1 or 3
//! channels, so an im2col row holds only 9 or 27 taps). There im2col + GEMM spends its time
//! building short rows and packing a thin operand; these loops instead add
//! `x[pixel] * w[tap, ..]` into whole output rows, vectorised over the output channels.
//!
//! Both kernels are compiled twice, portable and AVX2+FMA, chosen at run time.

use rayon::prelude::*;

use crate::cpu::conv::{ConvFloat, Geom, PAR_MIN_FLOPS};
use crate::cpu::parallel::num_threads;

/// Largest `kh * kw * cin` (ungrouped) routed to the direct kernels.
const DIRECT_MAX_TAPS: usize = 32;

/// Whether the direct kernels handle this convolution.
pub(crate) fn direct_applies(g: &Geom) -> bool {
    g.groups == 1 && g.kg() <= DIRECT_MAX_TAPS && g.cout >= 8
}

/// Valid output columns `ox` for kernel column `tx`: `ix = ox*sw + tx*dw - pl` in `[0, w)`.
#[inline(always)]
fn ox_range(g: &Geom, tx: usize) -> (usize, usize) {
    let off = (tx * g.dw) as isize - g.pl as isize;
    // ox*sw + off >= 0  and  ox*sw + off <= w - 1
    let lo = if off >= 0 {
        0
    } else {
        ((-off) as usize).div_ceil(g.sw)
    };
    let top = g.w as isize - 1 - off;
    let hi = if top < 0 {
        0
    } else {
        (top as usize / g.sw + 1).min(g.ow)
    };
    (lo.min(hi), hi)
}

/// The input row `iy` that kernel row `ty` of output row `oy` reads, if inside the image.
#[inline(always)]
fn input_row(g: &Geom, oy: usize, ty: usize) -> Option<usize> {
    let iy = (oy * g.sh + ty * g.dh) as isize - g.pt as isize;
    (iy >= 0 && (iy as usize) < g.h).then_some(iy as usize)
}

/// Forward: `y (n, oh, ow, cout)`, overwritten.
pub(crate) fn forward<T: ConvFloat>(x: &[T], wt: &[T], g: &Geom, y: &mut [T]) {
    let row_len = g.ow * g.cout;
    assert!(
        x.len() >= g.n * g.img()
            && wt.len() >= g.kg() * g.cout
            && y.len() == g.n * g.opix() * g.cout,
        "kiln internal: direct conv operand sizes"
    );
    let txr = tx_ranges(g);
    let run = |(r, yrow): (usize, &mut [T])| {
        #[cfg(target_arch = "x86_64")]
        if let (Some(x), Some(wt), Some(yrow)) = (as_f32(x), as_f32(wt), as_f32_mut(yrow))
            && crate::cpu::simd_math::has_avx2_fma()
        {
            // SAFETY: AVX2+FMA checked; operand sizes asserted above.
            unsafe { f32_avx::forward_row(x, wt, g, &txr, r, yrow) };
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if crate::cpu::simd_math::has_avx2_fma() {
            // SAFETY: the CPU supports AVX2 and FMA (checked above).
            unsafe { forward_row_avx2(x, wt, g, r, yrow) };
            return;
        }
        forward_row(x, wt, g, r, yrow);
    };
    if g.n * g.opix() * g.kg() * g.cout * 2 >= PAR_MIN_FLOPS / 4 && num_threads() > 1 {
        y.par_chunks_mut(row_len).enumerate().for_each(run);
    } else {
        y.chunks_mut(row_len).enumerate().for_each(run);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn forward_row_avx2<T: ConvFloat>(x: &[T], wt: &[T], g: &Geom, r: usize, yrow: &mut [T]) {
    forward_row(x, wt, g, r, yrow);
}

/// Output row `r = img * oh + oy`.
#[inline(always)]
fn forward_row<T: ConvFloat>(x: &[T], wt: &[T], g: &Geom, r: usize, yrow: &mut [T]) {
    let (img, oy) = (r / g.oh, r % g.oh);
    let (c, co) = (g.c, g.cout);
    yrow.fill(T::ZERO);
    for ty in 0..g.kh {
        let Some(iy) = input_row(g, oy, ty) else {
            continue;
        };
        let xrow = &x[(img * g.h + iy) * g.w * c..(img * g.h + iy + 1) * g.w * c];
        for tx in 0..g.kw {
            let (lo, hi) = ox_range(g, tx);
            for ci in 0..c {
                let t = (ty * g.kw + tx) * c + ci;
                let wv = &wt[t * co..(t + 1) * co];
                for ox in lo..hi {
                    let ix = ox * g.sw + tx * g.dw - g.pl;
                    let xv = xrow[ix * c + ci];
                    let out = &mut yrow[ox * co..(ox + 1) * co];
                    for (o, &w) in out.iter_mut().zip(wv) {
                        *o += xv * w;
                    }
                }
            }
        }
    }
}

/// Kernel gradient: `dw (kh, kw, c, cout)` = Σ over output pixels of `x[tap] * dy[pixel]`.
pub(crate) fn backward_filter<T: ConvFloat>(x: &[T], dy: &[T], g: &Geom) -> Vec<T> {
    let wlen = g.kg() * g.cout;
    let rows = g.n * g.oh;
    assert!(
        x.len() >= g.n * g.img() && dy.len() >= g.n * g.opix() * g.cout,
        "kiln internal: direct conv operand sizes"
    );
    let add_row = |acc: &mut Vec<T>, r: usize| {
        #[cfg(target_arch = "x86_64")]
        if let (Some(x), Some(dy), Some(acc)) = (as_f32(x), as_f32(dy), as_f32_mut(acc))
            && crate::cpu::simd_math::has_avx2_fma()
        {
            // SAFETY: AVX2+FMA checked; operand sizes asserted above.
            unsafe { f32_avx::filter_row(x, dy, g, r, acc) };
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if crate::cpu::simd_math::has_avx2_fma() {
            // SAFETY: the CPU supports AVX2 and FMA (checked above).
            unsafe { filter_row_avx2(x, dy, g, r, acc) };
            return;
        }
        filter_row(x, dy, g, r, acc);
    };
    if g.n * g.opix() * g.kg() * g.cout * 2 >= PAR_MIN_FLOPS / 4 && num_threads() > 1 {
        let per = rows.div_ceil(num_threads() * 2).max(1);
        let parts: Vec<Vec<T>> = (0..rows.div_ceil(per))
            .into_par_iter()
            .map(|chunk| {
                let mut acc = vec![T::ZERO; wlen];
                for r in chunk * per..((chunk + 1) * per).min(rows) {
                    add_row(&mut acc, r);
                }
                acc
            })
            .collect();
        let mut it = parts.into_iter();
        let mut total = it.next().unwrap_or_else(|| vec![T::ZERO; wlen]);
        for p in it {
            for (a, b) in total.iter_mut().zip(p) {
                *a += b;
            }
        }
        total
    } else {
        let mut acc = vec![T::ZERO; wlen];
        for r in 0..rows {
            add_row(&mut acc, r);
        }
        acc
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn filter_row_avx2<T: ConvFloat>(x: &[T], dy: &[T], g: &Geom, r: usize, acc: &mut [T]) {
    filter_row(x, dy, g, r, acc);
}

/// Adds output row `r = img * oh + oy`'s contribution to `acc`.
#[inline(always)]
fn filter_row<T: ConvFloat>(x: &[T], dy: &[T], g: &Geom, r: usize, acc: &mut [T]) {
    let (img, oy) = (r / g.oh, r % g.oh);
    let (c, co) = (g.c, g.cout);
    let dyrow = &dy[r * g.ow * co..(r + 1) * g.ow * co];
    for ty in 0..g.kh {
        let Some(iy) = input_row(g, oy, ty) else {
            continue;
        };
        let xrow = &x[(img * g.h + iy) * g.w * c..(img * g.h + iy + 1) * g.w * c];
        for tx in 0..g.kw {
            let (lo, hi) = ox_range(g, tx);
            for ci in 0..c {
                let t = (ty * g.kw + tx) * c + ci;
                let out = &mut acc[t * co..(t + 1) * co];
                for ox in lo..hi {
                    let ix = ox * g.sw + tx * g.dw - g.pl;
                    let xv = xrow[ix * c + ci];
                    let d = &dyrow[ox * co..(ox + 1) * co];
                    for (o, &dv) in out.iter_mut().zip(d) {
                        *o += xv * dv;
                    }
                }
            }
        }
    }
}

/// Per output column, the valid kernel columns `tx_lo..tx_hi`.
fn tx_ranges(g: &Geom) -> Vec<(usize, usize)> {
    (0..g.ow)
        .map(|ox| {
            let start = ox * g.sw; // ix = start + tx*dw - pl
            let lo = if start >= g.pl {
                0
            } else {
                (g.pl - start).div_ceil(g.dw)
            };
            let hi = if g.w - 1 + g.pl < start {
                0
            } else {
                ((g.w - 1 + g.pl - start) / g.dw + 1).min(g.kw)
            };
            (lo.min(hi), hi)
        })
        .collect()
}

pub(crate) fn as_f32<T: ConvFloat>(v: &[T]) -> Option<&[f32]> {
    (std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>()).then(|| {
        // SAFETY: T is f32 (same type id), so the slice reinterprets to itself.
        unsafe { std::slice::from_raw_parts(v.as_ptr() as *const f32, v.len()) }
    })
}

pub(crate) fn as_f32_mut<T: ConvFloat>(v: &mut [T]) -> Option<&mut [f32]> {
    (std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>()).then(|| {
        // SAFETY: T is f32 (same type id), so the slice reinterprets to itself.
        unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr() as *mut f32, v.len()) }
    })
}

/// f32 kernels with explicit AVX2 registers: a block of 32 output channels stays in four
/// registers over all taps of a pixel (forward) or over a whole output row (kernel
/// gradient), so each multiply-add touches memory once instead of three times.
#[cfg(target_arch = "x86_64")]
mod f32_avx {
    use super::{input_row, ox_range, Geom};
    use std::arch::x86_64::*;

    /// Output row `r = img * oh + oy`; `txr` from [`super::tx_ranges`].
    ///
    /// # Safety
    /// AVX2 and FMA must be available; `x` holds `n*h*w*c`, `wt` `kg*cout` and `yrow`
    /// `ow*cout` elements.
    #[target_feature(enable = "avx2,fma")]
    // Pointer loads/stores throughout, covered by the caller's safety contract.
    #[allow(unsafe_op_in_unsafe_fn)]
    pub(super) unsafe fn forward_row(
        x: &[f32],
        wt: &[f32],
        g: &Geom,
        txr: &[(usize, usize)],
        r: usize,
        yrow: &mut [f32],
    ) {
        let (img, oy) = (r / g.oh, r % g.oh);
        let (c, co) = (g.c, g.cout);
        let mut rows = [(0usize, 0usize); 16];
        let mut nrows = 0;
        for ty in 0..g.kh.min(16) {
            if let Some(iy) = input_row(g, oy, ty) {
                rows[nrows] = (ty, (img * g.h + iy) * g.w * c);
                nrows += 1;
            }
        }
        let (xp, wp, yp) = (x.as_ptr(), wt.as_ptr(), yrow.as_mut_ptr());
        for (ox, &(tx0, tx1)) in txr.iter().enumerate() {
            let ybase = yp.add(ox * co);
            let mut j = 0;
            while j + 32 <= co {
                let (mut a0, mut a1, mut a2, mut a3) = (
                    _mm256_setzero_ps(),
                    _mm256_setzero_ps(),
                    _mm256_setzero_ps(),
                    _mm256_setzero_ps(),
                );
                for &(ty, xrow) in &rows[..nrows] {
                    for tx in tx0..tx1 {
                        let ix = ox * g.sw + tx * g.dw - g.pl;
                        let xq = xp.add(xrow + ix * c);
                        for ci in 0..c {
                            let xv = _mm256_set1_ps(*xq.add(ci));
                            let w = wp.add(((ty * g.kw + tx) * c + ci) * co + j);
                            a0 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(w), a0);
                            a1 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(w.add(8)), a1);
                            a2 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(w.add(16)), a2);
                            a3 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(w.add(24)), a3);
                        }
                    }
                }
                _mm256_storeu_ps(ybase.add(j), a0);
                _mm256_storeu_ps(ybase.add(j + 8), a1);
                _mm256_storeu_ps(ybase.add(j + 16), a2);
                _mm256_storeu_ps(ybase.add(j + 24), a3);
                j += 32;
            }
            while j + 8 <= co {
                let mut a0 = _mm256_setzero_ps();
                for &(ty, xrow) in &rows[..nrows] {
                    for tx in tx0..tx1 {
                        let ix = ox * g.sw + tx * g.dw - g.pl;
                        let xq = xp.add(xrow + ix * c);
                        for ci in 0..c {
                            let xv = _mm256_set1_ps(*xq.add(ci));
                            let w = wp.add(((ty * g.kw + tx) * c + ci) * co + j);
                            a0 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(w), a0);
                        }
                    }
                }
                _mm256_storeu_ps(ybase.add(j), a0);
                j += 8;
            }
            while j < co {
                let mut a = 0.0f32;
                for &(ty, xrow) in &rows[..nrows] {
                    for tx in tx0..tx1 {
                        let ix = ox * g.sw + tx * g.dw - g.pl;
                        for ci in 0..c {
                            a += *xp.add(xrow + ix * c + ci)
                                * *wp.add(((ty * g.kw + tx) * c + ci) * co + j);
                        }
                    }
                }
                *ybase.add(j) = a;
                j += 1;
            }
        }
    }

    /// Adds output row `r`'s contribution to the kernel gradient `acc` (`kg x cout`).
    ///
    /// # Safety
    /// AVX2 and FMA must be available; `x` holds `n*h*w*c`, `dy` `n*oh*ow*cout` and `acc`
    /// `kg*cout` elements.
    #[target_feature(enable = "avx2,fma")]
    // Pointer loads/stores throughout, covered by the caller's safety contract.
    #[allow(unsafe_op_in_unsafe_fn)]
    pub(super) unsafe fn filter_row(x: &[f32], dy: &[f32], g: &Geom, r: usize, acc: &mut [f32]) {
        let (img, oy) = (r / g.oh, r % g.oh);
        let (c, co) = (g.c, g.cout);
        let (xp, ap) = (x.as_ptr(), acc.as_mut_ptr());
        let dyp = dy.as_ptr().add(r * g.ow * co);
        for ty in 0..g.kh {
            let Some(iy) = input_row(g, oy, ty) else {
                continue;
            };
            let xrow = xp.add((img * g.h + iy) * g.w * c);
            for tx in 0..g.kw {
                let (lo, hi) = ox_range(g, tx);
                for ci in 0..c {
                    let t = (ty * g.kw + tx) * c + ci;
                    let out = ap.add(t * co);
                    let mut j = 0;
                    while j + 32 <= co {
                        let mut a0 = _mm256_loadu_ps(out.add(j));
                        let mut a1 = _mm256_loadu_ps(out.add(j + 8));
                        let mut a2 = _mm256_loadu_ps(out.add(j + 16));
                        let mut a3 = _mm256_loadu_ps(out.add(j + 24));
                        for ox in lo..hi {
                            let ix = ox * g.sw + tx * g.dw - g.pl;
                            let xv = _mm256_set1_ps(*xrow.add(ix * c + ci));
                            let d = dyp.add(ox * co + j);
                            a0 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(d), a0);
                            a1 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(d.add(8)), a1);
                            a2 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(d.add(16)), a2);
                            a3 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(d.add(24)), a3);
                        }
                        _mm256_storeu_ps(out.add(j), a0);
                        _mm256_storeu_ps(out.add(j + 8), a1);
                        _mm256_storeu_ps(out.add(j + 16), a2);
                        _mm256_storeu_ps(out.add(j + 24), a3);
                        j += 32;
                    }
                    while j + 8 <= co {
                        let mut a0 = _mm256_loadu_ps(out.add(j));
                        for ox in lo..hi {
                            let ix = ox * g.sw + tx * g.dw - g.pl;
                            let xv = _mm256_set1_ps(*xrow.add(ix * c + ci));
                            a0 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(dyp.add(ox * co + j)), a0);
                        }
                        _mm256_storeu_ps(out.add(j), a0);
                        j += 8;
                    }
                    while j < co {
                        let mut a = *out.add(j);
                        for ox in lo..hi {
                            let ix = ox * g.sw + tx * g.dw - g.pl;
                            a += *xrow.add(ix * c + ci) * *dyp.add(ox * co + j);
                        }
                        *out.add(j) = a;
                        j += 1;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geom(c: usize, co: usize, k: usize, s: usize, d: usize, pad: usize) -> Geom {
        let (h, w) = (7, 6);
        let eff = (k - 1) * d + 1;
        let oh = (h + 2 * pad - eff) / s + 1;
        let ow = (w + 2 * pad - eff) / s + 1;
        Geom {
            n: 2,
            h,
            w,
            c,
            kh: k,
            kw: k,
            cout: co,
            groups: 1,
            sh: s,
            sw: s,
            dh: d,
            dw: d,
            pt: pad,
            pl: pad,
            oh,
            ow,
        }
    }

    fn naive(x: &[f64], wt: &[f64], g: &Geom) -> Vec<f64> {
        let mut y = vec![0.0; g.n * g.oh * g.ow * g.cout];
        for n in 0..g.n {
            for oy in 0..g.oh {
                for ox in 0..g.ow {
                    for o in 0..g.cout {
                        let mut acc = 0.0;
                        for ty in 0..g.kh {
                            for tx in 0..g.kw {
                                let iy = (oy * g.sh + ty * g.dh) as isize - g.pt as isize;
                                let ix = (ox * g.sw + tx * g.dw) as isize - g.pl as isize;
                                if iy < 0 || ix < 0 || iy >= g.h as isize || ix >= g.w as isize {
                                    continue;
                                }
                                for ci in 0..g.c {
                                    let xv =
                                        x[((n * g.h + iy as usize) * g.w + ix as usize) * g.c + ci];
                                    acc += xv * wt[((ty * g.kw + tx) * g.c + ci) * g.cout + o];
                                }
                            }
                        }
                        y[((n * g.oh + oy) * g.ow + ox) * g.cout + o] = acc;
                    }
                }
            }
        }
        y
    }

    /// Forward and kernel gradient (f32 AVX path and f64 portable path) against a naive
    /// convolution, over channels, widths with 32/8/1-wide tails, strides, dilations and
    /// padding. The kernel gradient is checked through `<dW, W'> = <y(W'), dY>`.
    #[test]
    fn direct_kernels_match_naive_convolution() {
        for &(c, co, k, s, d, pad) in &[
            (1, 32, 3, 1, 1, 1),
            (3, 45, 3, 2, 1, 1),
            (2, 8, 2, 1, 2, 0),
            (1, 41, 5, 2, 1, 2),
            (3, 16, 3, 1, 1, 0),
        ] {
            let g = geom(c, co, k, s, d, pad);
            let x: Vec<f64> = (0..g.n * g.img())
                .map(|i| ((i * 7 % 13) as f64) - 6.0)
                .collect();
            let wt: Vec<f64> = (0..g.kg() * co)
                .map(|i| ((i * 5 % 11) as f64) * 0.25 - 1.0)
                .collect();
            let want = naive(&x, &wt, &g);
            let mut y64 = vec![f64::NAN; want.len()];
            forward(&x, &wt, &g, &mut y64);
            assert_eq!(y64, want, "f64 forward {c} {co} {k} {s} {d} {pad}");
            let (x32, w32): (Vec<f32>, Vec<f32>) = (
                x.iter().map(|&v| v as f32).collect(),
                wt.iter().map(|&v| v as f32).collect(),
            );
            let mut y32 = vec![f32::NAN; want.len()];
            forward(&x32, &w32, &g, &mut y32);
            for (a, b) in y32.iter().zip(&want) {
                assert!(
                    (*a as f64 - b).abs() <= 1e-4 * b.abs().max(1.0),
                    "f32 forward"
                );
            }
            // Kernel gradient: dW[t, o] = sum over pixels of x[tap] * dy[pixel, o].
            let dy: Vec<f64> = (0..want.len())
                .map(|i| ((i * 3 % 7) as f64) - 3.0)
                .collect();
            let dw = backward_filter(&x, &dy, &g);
            let dw32 = backward_filter(&x32, &dy.iter().map(|&v| v as f32).collect::<Vec<_>>(), &g);
            for t in 0..g.kg() * co {
                let mut e = vec![0.0; g.kg() * co];
                e[t] = 1.0;
                let yt = naive(&x, &e, &g);
                let want_t: f64 = yt.iter().zip(&dy).map(|(a, b)| a * b).sum();
                assert_eq!(dw[t], want_t, "f64 filter grad");
                assert!((dw32[t] as f64 - want_t).abs() <= 1e-3 * want_t.abs().max(1.0));
            }
        }
    }
}
