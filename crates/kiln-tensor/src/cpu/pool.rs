//! Pooling kernels on NHWC buffers (1-D pools use `h = kh = 1`). Windows are described
//! by a [`Geom`] with `cout = c`, `groups = 1` and unit dilation. Every inner loop runs over
//! the contiguous channel axis, so it vectorises.

use rayon::prelude::*;

use crate::cpu::conv::{ConvFloat, Geom};
#[cfg(target_arch = "x86_64")]
use crate::cpu::conv_direct::{as_f32, as_f32_mut};
use crate::cpu::parallel::{num_threads, ELEMENTWISE_PAR_MIN};

/// Calls `f(row_index, row)` for every output row `(n, oy)` of `out`, on several threads
/// when the input is large.
fn for_rows<T: Send>(
    out: &mut [T],
    row_len: usize,
    work: usize,
    f: impl Fn(usize, &mut [T]) + Sync + Send,
) {
    if row_len == 0 {
        return;
    }
    if work >= ELEMENTWISE_PAR_MIN && num_threads() > 1 {
        let rows = out.len() / row_len;
        let per = rows.div_ceil(num_threads() * 4).max(1);
        out.par_chunks_mut(per * row_len)
            .enumerate()
            .for_each(|(ci, chunk)| {
                for (j, row) in chunk.chunks_mut(row_len).enumerate() {
                    f(ci * per + j, row);
                }
            });
    } else {
        for (r, row) in out.chunks_mut(row_len).enumerate() {
            f(r, row);
        }
    }
}

/// Max pooling; padded positions never win (TF pads with -inf).
pub(crate) fn max_pool_forward<T: ConvFloat>(x: &[T], g: &Geom) -> Vec<T> {
    let c = g.c;
    let mut y = crate::cpu::alloc::filled(g.n * g.opix() * c, T::NEG_INF);
    for_rows(&mut y, g.ow * c, x.len(), |r, yrow| {
        let (oy, img) = (r % g.oh, r / g.oh);
        let base = img * g.img();
        let (iy0, ty0, ty1) = taps(oy, g.sh, g.pt, g.kh, g.h);
        for ox in 0..g.ow {
            let out = &mut yrow[ox * c..(ox + 1) * c];
            let (ix0, tx0, tx1) = taps(ox, g.sw, g.pl, g.kw, g.w);
            for ty in ty0..ty1 {
                let iy = (iy0 + ty as isize) as usize;
                let start = base + (iy * g.w + (ix0 + tx0 as isize) as usize) * c;
                let xs = &x[start..start + (tx1 - tx0) * c];
                for px in xs.chunks_exact(c) {
                    for (o, &v) in out.iter_mut().zip(px) {
                        *o = if v > *o { v } else { *o };
                    }
                }
            }
        }
    });
    y
}

/// Max-pool input gradient from the input `x`, the pooled output `y` and `dy`: each
/// window's gradient goes to the first element (row-major window order) equal to the
/// window's maximum, as TF routes it. Comparing against `y` instead of building argmax
/// indices keeps every loop a same-width select over channels, which vectorises.
pub(crate) fn max_pool_backward<T: ConvFloat>(x: &[T], y: &[T], dy: &[T], g: &Geom) -> Vec<T> {
    let c = g.c;
    // Windows that tile the input exactly (stride = window, no padding, sizes divisible:
    // the usual 2x2 pool) touch every input element once, so each window zeroes its own
    // (cache-hot) pixels instead of a separate zeroing pass over the whole gradient.
    let tiles_exactly = g.sh == g.kh
        && g.sw == g.kw
        && g.pt == 0
        && g.pl == 0
        && g.oh * g.kh == g.h
        && g.ow * g.kw == g.w;
    let mut dx = if tiles_exactly && c > 0 {
        crate::cpu::alloc::overwritten(g.n * g.img(), T::ZERO)
    } else {
        crate::cpu::alloc::filled(g.n * g.img(), T::ZERO)
    };
    if c == 0 || g.opix() == 0 {
        return dx;
    }
    // Windows of one image may overlap, so threads take whole images.
    let per_image = |(img, dxi): (usize, &mut [T])| {
        let mut taken = vec![T::ZERO; c];
        let xi = &x[img * g.img()..(img + 1) * g.img()];
        for oy in 0..g.oh {
            let (iy0, ty0, ty1) = taps(oy, g.sh, g.pt, g.kh, g.h);
            for ox in 0..g.ow {
                let o = ((img * g.oh + oy) * g.ow + ox) * c;
                let (yv, dyv) = (&y[o..o + c], &dy[o..o + c]);
                let (ix0, tx0, tx1) = taps(ox, g.sw, g.pl, g.kw, g.w);
                taken.fill(T::ZERO);
                for ty in ty0..ty1 {
                    let iy = (iy0 + ty as isize) as usize;
                    for tx in tx0..tx1 {
                        let ix = (ix0 + tx as isize) as usize;
                        let p = (iy * g.w + ix) * c;
                        let (xs, ds) = (&xi[p..p + c], &mut dxi[p..p + c]);
                        if tiles_exactly {
                            ds.fill(T::ZERO);
                        }
                        #[cfg(target_arch = "x86_64")]
                        if let (Some(ds), Some(xs), Some(mv), Some(gv), Some(t)) = (
                            as_f32_mut(ds),
                            as_f32(xs),
                            as_f32(yv),
                            as_f32(dyv),
                            as_f32_mut(&mut taken),
                        ) && crate::cpu::simd_math::has_avx2_fma()
                        {
                            // SAFETY: AVX2 checked; all five slices hold `c` elements.
                            unsafe { route_f32_avx2(ds, xs, mv, gv, t) };
                            continue;
                        }
                        for (((d, &xv), (&mv, &gv)), t) in ds
                            .iter_mut()
                            .zip(xs)
                            .zip(yv.iter().zip(dyv))
                            .zip(taken.iter_mut())
                        {
                            let hit = (xv == mv) & (*t == T::ZERO);
                            *d += if hit { gv } else { T::ZERO };
                            *t = if hit { T::ONE } else { *t };
                        }
                    }
                }
            }
        }
    };
    if x.len() >= ELEMENTWISE_PAR_MIN && num_threads() > 1 && g.n > 1 {
        dx.par_chunks_mut(g.img()).enumerate().for_each(per_image);
    } else {
        dx.chunks_mut(g.img()).enumerate().for_each(per_image);
    }
    dx
}

/// `d += (x == m && t == 0) ? g : 0; t |= hit` over one pixel's channels (AVX2).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
// Pointer loads/stores throughout, covered by the caller's safety contract.
#[allow(unsafe_op_in_unsafe_fn)]
unsafe fn route_f32_avx2(d: &mut [f32], x: &[f32], m: &[f32], g: &[f32], t: &mut [f32]) {
    use std::arch::x86_64::*;
    let n = d.len().min(x.len()).min(m.len()).min(g.len()).min(t.len());
    let mut i = 0;
    while i + 8 <= n {
        let eq = _mm256_cmp_ps::<_CMP_EQ_OQ>(
            _mm256_loadu_ps(x.as_ptr().add(i)),
            _mm256_loadu_ps(m.as_ptr().add(i)),
        );
        let tv = _mm256_loadu_ps(t.as_ptr().add(i));
        let free = _mm256_cmp_ps::<_CMP_EQ_OQ>(tv, _mm256_setzero_ps());
        let hit = _mm256_and_ps(eq, free);
        let dv = _mm256_loadu_ps(d.as_ptr().add(i));
        let add = _mm256_and_ps(hit, _mm256_loadu_ps(g.as_ptr().add(i)));
        _mm256_storeu_ps(d.as_mut_ptr().add(i), _mm256_add_ps(dv, add));
        _mm256_storeu_ps(
            t.as_mut_ptr().add(i),
            _mm256_or_ps(tv, _mm256_and_ps(hit, _mm256_set1_ps(1.0))),
        );
        i += 8;
    }
    while i < n {
        let hit = x[i] == m[i] && t[i] == 0.0;
        if hit {
            d[i] += g[i];
            t[i] = 1.0;
        }
        i += 1;
    }
}

/// For every max-pool output element, the flat input index of the FIRST maximum of its
/// window in row-major window order (TF's gradient routing at ties).
pub(crate) fn max_pool_argmax<T: ConvFloat>(x: &[T], g: &Geom) -> Vec<usize> {
    let c = g.c;
    let mut idx = vec![0usize; g.n * g.opix() * c];
    for_rows(&mut idx, g.ow * c, x.len(), |r, irow| {
        let (oy, img) = (r % g.oh, r / g.oh);
        let base = img * g.img();
        let (iy0, ty0, ty1) = taps(oy, g.sh, g.pt, g.kh, g.h);
        let mut best = vec![T::NEG_INF; c];
        for ox in 0..g.ow {
            let out = &mut irow[ox * c..(ox + 1) * c];
            let (ix0, tx0, tx1) = taps(ox, g.sw, g.pl, g.kw, g.w);
            best.fill(T::NEG_INF);
            let mut first = true;
            for ty in ty0..ty1 {
                let iy = (iy0 + ty as isize) as usize;
                for tx in tx0..tx1 {
                    let ix = (ix0 + tx as isize) as usize;
                    let p = base + (iy * g.w + ix) * c;
                    let px = &x[p..p + c];
                    if first {
                        best.copy_from_slice(px);
                        for (ch, o) in out.iter_mut().enumerate() {
                            *o = p + ch;
                        }
                        first = false;
                        continue;
                    }
                    for (ch, ((o, b), &v)) in
                        out.iter_mut().zip(best.iter_mut()).zip(px).enumerate()
                    {
                        if v > *b {
                            *b = v;
                            *o = p + ch;
                        }
                    }
                }
            }
        }
    });
    idx
}

/// `dx[idx[i]] += dy[i]` into a zero tensor of `in_len` elements (`per_in` elements per
/// image, `per_out` indices per image; indices never cross images).
pub(crate) fn scatter_add<T: ConvFloat>(
    dy: &[T],
    idx: &[usize],
    in_len: usize,
    per_in: usize,
    per_out: usize,
) -> Vec<T> {
    let mut dx = crate::cpu::alloc::filled(in_len, T::ZERO);
    if per_in == 0 || per_out == 0 {
        return dx;
    }
    let one = |(img, d): (usize, &mut [T])| {
        let base = img * per_in;
        let range = img * per_out..(img + 1) * per_out;
        for (&i, &v) in idx[range.clone()].iter().zip(&dy[range]) {
            d[i - base] += v;
        }
    };
    if in_len >= ELEMENTWISE_PAR_MIN && num_threads() > 1 {
        dx.par_chunks_mut(per_in).enumerate().for_each(one);
    } else {
        dx.chunks_mut(per_in).enumerate().for_each(one);
    }
    dx
}

/// `out[i] = src[idx[i]]`.
pub(crate) fn gather<T: ConvFloat>(src: &[T], idx: &[usize]) -> Vec<T> {
    idx.iter().map(|&i| src[i]).collect()
}

/// Average pooling dividing by the number of real (unpadded) elements in each window.
pub(crate) fn avg_pool_forward<T: ConvFloat>(x: &[T], g: &Geom) -> Vec<T> {
    let c = g.c;
    let mut y = crate::cpu::alloc::filled(g.n * g.opix() * c, T::ZERO);
    for_rows(&mut y, g.ow * c, x.len(), |r, yrow| {
        let (oy, img) = (r % g.oh, r / g.oh);
        let base = img * g.img();
        let (iy0, ty0, ty1) = taps(oy, g.sh, g.pt, g.kh, g.h);
        for ox in 0..g.ow {
            let out = &mut yrow[ox * c..(ox + 1) * c];
            let (ix0, tx0, tx1) = taps(ox, g.sw, g.pl, g.kw, g.w);
            for ty in ty0..ty1 {
                let iy = (iy0 + ty as isize) as usize;
                let start = base + (iy * g.w + (ix0 + tx0 as isize) as usize) * c;
                for px in x[start..start + (tx1 - tx0) * c].chunks_exact(c) {
                    for (o, &v) in out.iter_mut().zip(px) {
                        *o += v;
                    }
                }
            }
            let count = (ty1 - ty0) * (tx1 - tx0);
            if count > 0 {
                let inv = T::ONE / T::from_usize(count);
                for o in out.iter_mut() {
                    *o = *o * inv;
                }
            }
        }
    });
    y
}

/// The adjoint of [`avg_pool_forward`]: spreads `dy / count` over each window.
pub(crate) fn avg_pool_backward<T: ConvFloat>(dy: &[T], g: &Geom) -> Vec<T> {
    let c = g.c;
    let mut dx = crate::cpu::alloc::filled(g.n * g.img(), T::ZERO);
    if g.img() == 0 {
        return dx;
    }
    let one = |(img, d): (usize, &mut [T])| {
        let mut scaled = vec![T::ZERO; c];
        for oy in 0..g.oh {
            let (iy0, ty0, ty1) = taps(oy, g.sh, g.pt, g.kh, g.h);
            for ox in 0..g.ow {
                let (ix0, tx0, tx1) = taps(ox, g.sw, g.pl, g.kw, g.w);
                let count = (ty1 - ty0) * (tx1 - tx0);
                if count == 0 {
                    continue;
                }
                let inv = T::ONE / T::from_usize(count);
                let src = &dy[((img * g.oh + oy) * g.ow + ox) * c..][..c];
                for (s, &v) in scaled.iter_mut().zip(src) {
                    *s = v * inv;
                }
                for ty in ty0..ty1 {
                    let iy = (iy0 + ty as isize) as usize;
                    let start = (iy * g.w + (ix0 + tx0 as isize) as usize) * c;
                    for px in d[start..start + (tx1 - tx0) * c].chunks_exact_mut(c) {
                        for (o, &v) in px.iter_mut().zip(&scaled) {
                            *o += v;
                        }
                    }
                }
            }
        }
    };
    if dx.len() >= ELEMENTWISE_PAR_MIN && num_threads() > 1 {
        dx.par_chunks_mut(g.img()).enumerate().for_each(one);
    } else {
        dx.chunks_mut(g.img()).enumerate().for_each(one);
    }
    dx
}

/// Valid window taps along one axis (unit dilation): `(first input index, first tap,
/// last tap exclusive)`.
#[inline]
fn taps(o: usize, s: usize, p: usize, k: usize, size: usize) -> (isize, usize, usize) {
    let i0 = (o * s) as isize - p as isize;
    let lo = if i0 >= 0 { 0 } else { (-i0) as usize };
    let hi = if i0 >= size as isize {
        0
    } else {
        ((size as isize - i0) as usize).min(k)
    };
    (i0, lo.min(hi), hi)
}
