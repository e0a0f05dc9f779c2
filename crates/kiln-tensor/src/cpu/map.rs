//! Elementwise maps: one input (unary) and two inputs with NumPy broadcasting (binary).
//! Contiguous operands run as slice loops the compiler vectorises; large ones are split
//! across threads; other layouts go through a strided row walk.

use std::mem::MaybeUninit;

use rayon::prelude::*;

use crate::cpu::parallel::{chunk_len, num_threads, ELEMENTWISE_PAR_MIN};
use crate::dtype::Element;
use crate::shape::numel;
use crate::Tensor;

/// Allocates `n` elements and lets `fill` write every one of them.
pub(crate) fn fill_new<O: Element>(n: usize, fill: impl FnOnce(&mut [MaybeUninit<O>])) -> Vec<O> {
    let mut v: Vec<O> = take_cached::<O>(n).unwrap_or_else(|| crate::cpu::alloc::with_capacity(n));
    fill(&mut v.spare_capacity_mut()[..n]);
    // SAFETY: `fill` initialised all `n` slots (every caller writes the whole slice).
    unsafe { v.set_len(n) };
    v
}

/// A cached large buffer when `O` is f32 (the only type the cache holds).
fn take_cached<O: Element>(n: usize) -> Option<Vec<O>> {
    if O::DTYPE != crate::DType::F32 {
        return None;
    }
    let v = crate::cpu::alloc::take_cached_f32(n)?;
    let mut v = std::mem::ManuallyDrop::new(v);
    // SAFETY: O is f32 (DTYPE is unique per element type), so the allocation's layout,
    // length and capacity carry over unchanged.
    Some(unsafe { Vec::from_raw_parts(v.as_mut_ptr() as *mut O, v.len(), v.capacity()) })
}

/// `out[i] = f(a[i])` over a row-major slice, threaded when large.
pub(crate) fn map_slice<A: Element, O: Element>(a: &[A], f: impl Fn(A) -> O + Sync) -> Vec<O> {
    let n = a.len();
    fill_new(n, |out| {
        if n >= ELEMENTWISE_PAR_MIN && num_threads() > 1 {
            let c = chunk_len(n, 1 << 14);
            out.par_chunks_mut(c)
                .zip(a.par_chunks(c))
                .for_each(|(o, x)| {
                    for (o, &x) in o.iter_mut().zip(x) {
                        o.write(f(x));
                    }
                });
        } else {
            for (o, &x) in out.iter_mut().zip(a) {
                o.write(f(x));
            }
        }
    })
}

/// `f` applied to every element of `a`; the result is contiguous with `a`'s shape.
pub(crate) fn unary_map<A: Element, O: Element>(a: &Tensor, f: impl Fn(A) -> O + Sync) -> Tensor {
    if let Some(m) = crate::meta::rule(&[a], a.shape(), O::DTYPE) {
        return m;
    }
    let data = a.data::<A>();
    Tensor::from_vec_unchecked(map_slice(&data, f), a.shape().to_vec())
}

/// Strides of `t` seen through the broadcast to `out_shape` (0 along broadcast dims).
pub(crate) fn broadcast_strides(t: &Tensor, out_shape: &[usize]) -> Vec<isize> {
    let r = out_shape.len();
    let tr = t.rank();
    let mut s = vec![0isize; r];
    for i in 0..tr {
        let oi = r - tr + i;
        if t.shape()[i] != 1 {
            s[oi] = t.strides()[i];
        }
    }
    s
}

/// `f(a, b)` with NumPy broadcasting; `out_shape` is the broadcast shape (already checked).
pub(crate) fn binary_map<A: Element, B: Element, O: Element>(
    a: &Tensor,
    b: &Tensor,
    out_shape: &[usize],
    f: impl Fn(A, B) -> O + Sync,
) -> Tensor {
    if let Some(m) = crate::meta::rule(&[a, b], out_shape, O::DTYPE) {
        return m;
    }
    let n = numel(out_shape);
    let out_vec = if n == 0 {
        Vec::new()
    } else if let (true, Some(x), Some(y)) = (
        a.shape() == b.shape(),
        a.contiguous_slice::<A>(),
        b.contiguous_slice::<B>(),
    ) {
        zip_slices(x, y, &f)
    } else if b.numel() == 1 && a.shape() == out_shape && a.is_contiguous() {
        let y = b.data::<B>()[0];
        map_slice(a.contiguous_slice::<A>().expect("contiguous"), |x| f(x, y))
    } else if a.numel() == 1 && b.shape() == out_shape && b.is_contiguous() {
        let x = a.data::<A>()[0];
        map_slice(b.contiguous_slice::<B>().expect("contiguous"), |y| f(x, y))
    } else {
        strided_binary(a, b, out_shape, &f)
    };
    Tensor::from_vec_unchecked(out_vec, out_shape.to_vec())
}

fn zip_slices<A: Element, B: Element, O: Element>(
    x: &[A],
    y: &[B],
    f: &(impl Fn(A, B) -> O + Sync),
) -> Vec<O> {
    let n = x.len();
    fill_new(n, |out| {
        if n >= ELEMENTWISE_PAR_MIN && num_threads() > 1 {
            let c = chunk_len(n, 1 << 14);
            out.par_chunks_mut(c)
                .zip(x.par_chunks(c).zip(y.par_chunks(c)))
                .for_each(|(o, (x, y))| {
                    for ((o, &x), &y) in o.iter_mut().zip(x).zip(y) {
                        o.write(f(x, y));
                    }
                });
        } else {
            for ((o, &x), &y) in out.iter_mut().zip(x).zip(y) {
                o.write(f(x, y));
            }
        }
    })
}

/// General broadcast: walk the output in rows of its (coalesced) last dimension.
fn strided_binary<A: Element, B: Element, O: Element>(
    a: &Tensor,
    b: &Tensor,
    out_shape: &[usize],
    f: &(impl Fn(A, B) -> O + Sync),
) -> Vec<O> {
    let sa_full = broadcast_strides(a, out_shape);
    let sb_full = broadcast_strides(b, out_shape);
    // Coalesce dims jointly: merge i-1 and i when both operands are contiguous across them.
    let mut shape: Vec<usize> = Vec::new();
    let mut sa: Vec<isize> = Vec::new();
    let mut sb: Vec<isize> = Vec::new();
    for i in 0..out_shape.len() {
        let d = out_shape[i];
        if d == 1 {
            continue;
        }
        if let Some(&last) = shape.last() {
            let la = *sa.last().unwrap();
            let lb = *sb.last().unwrap();
            if la == sa_full[i] * d as isize && lb == sb_full[i] * d as isize {
                *shape.last_mut().unwrap() = last * d;
                *sa.last_mut().unwrap() = sa_full[i];
                *sb.last_mut().unwrap() = sb_full[i];
                continue;
            }
        }
        shape.push(d);
        sa.push(sa_full[i]);
        sb.push(sb_full[i]);
    }
    if shape.is_empty() {
        shape.push(1);
        sa.push(0);
        sb.push(0);
    }
    let rank = shape.len();
    let inner = shape[rank - 1];
    let (ia, ib) = (sa[rank - 1], sb[rank - 1]);
    let rows = numel(&shape[..rank - 1]);
    let xa = A::slice(a.buffer()).expect("dtype dispatch");
    let xb = B::slice(b.buffer()).expect("dtype dispatch");
    let (oa, ob) = (a.offset() as isize, b.offset() as isize);
    let n = rows * inner;

    let do_rows = |row0: usize, out: &mut [MaybeUninit<O>]| {
        // Multi-index of row0 over the outer dims.
        let mut idx = vec![0usize; rank - 1];
        let mut r = row0;
        for d in (0..rank - 1).rev() {
            idx[d] = r % shape[d];
            r /= shape[d];
        }
        let mut pa = oa
            + (0..rank - 1)
                .map(|d| idx[d] as isize * sa[d])
                .sum::<isize>();
        let mut pb = ob
            + (0..rank - 1)
                .map(|d| idx[d] as isize * sb[d])
                .sum::<isize>();
        for o in out.chunks_mut(inner) {
            row(o, xa, xb, pa, pb, ia, ib, f);
            let mut d = rank - 1;
            while d > 0 {
                d -= 1;
                idx[d] += 1;
                pa += sa[d];
                pb += sb[d];
                if idx[d] < shape[d] {
                    break;
                }
                pa -= sa[d] * shape[d] as isize;
                pb -= sb[d] * shape[d] as isize;
                idx[d] = 0;
            }
        }
    };

    fill_new(n, |out| {
        if n >= ELEMENTWISE_PAR_MIN && num_threads() > 1 && rows > 1 {
            let rows_per = chunk_len(rows, 1.max((1 << 14) / inner.max(1)));
            out.par_chunks_mut(rows_per * inner)
                .enumerate()
                .for_each(|(k, o)| do_rows(k * rows_per, o));
        } else {
            do_rows(0, out);
        }
    })
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn row<A: Element, B: Element, O: Element>(
    out: &mut [MaybeUninit<O>],
    xa: &[A],
    xb: &[B],
    pa: isize,
    pb: isize,
    ia: isize,
    ib: isize,
    f: &impl Fn(A, B) -> O,
) {
    let n = out.len();
    let (pa, pb) = (pa as usize, pb as usize);
    match (ia, ib) {
        (1, 1) => {
            for ((o, &x), &y) in out.iter_mut().zip(&xa[pa..pa + n]).zip(&xb[pb..pb + n]) {
                o.write(f(x, y));
            }
        }
        (1, 0) => {
            let y = xb[pb];
            for (o, &x) in out.iter_mut().zip(&xa[pa..pa + n]) {
                o.write(f(x, y));
            }
        }
        (0, 1) => {
            let x = xa[pa];
            for (o, &y) in out.iter_mut().zip(&xb[pb..pb + n]) {
                o.write(f(x, y));
            }
        }
        _ => {
            for (j, o) in out.iter_mut().enumerate() {
                let x = xa[(pa as isize + j as isize * ia) as usize];
                let y = xb[(pb as isize + j as isize * ib) as usize];
                o.write(f(x, y));
            }
        }
    }
}

/// `g * (x > 0 ? on : off)` over equal-length f32 slices, AVX2 when available, threaded
/// when large: the relu-family gradient, a hot loop of every CNN backward pass.
pub(crate) fn select_positive_f32(g: &[f32], x: &[f32], on: f32, off: f32) -> Vec<f32> {
    let n = g.len().min(x.len());
    let run = |o: &mut [MaybeUninit<f32>], g: &[f32], x: &[f32]| {
        #[cfg(target_arch = "x86_64")]
        if crate::cpu::simd_math::has_avx2_fma() {
            // SAFETY: AVX2 checked; the three slices have equal lengths.
            unsafe { select_positive_avx2(o, g, x, on, off) };
            return;
        }
        for ((o, &g), &x) in o.iter_mut().zip(g).zip(x) {
            o.write(g * if x > 0.0 { on } else { off });
        }
    };
    fill_new(n, |out| {
        if n >= ELEMENTWISE_PAR_MIN && num_threads() > 1 {
            let c = chunk_len(n, 1 << 14);
            out.par_chunks_mut(c)
                .zip(g[..n].par_chunks(c).zip(x[..n].par_chunks(c)))
                .for_each(|(o, (g, x))| run(o, g, x));
        } else {
            run(out, &g[..n], &x[..n]);
        }
    })
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
// Pointer loads/stores throughout, covered by the caller's safety contract.
#[allow(unsafe_op_in_unsafe_fn)]
unsafe fn select_positive_avx2(
    o: &mut [MaybeUninit<f32>],
    g: &[f32],
    x: &[f32],
    on: f32,
    off: f32,
) {
    use std::arch::x86_64::*;
    let n = o.len().min(g.len()).min(x.len());
    let (von, voff, zero) = (_mm256_set1_ps(on), _mm256_set1_ps(off), _mm256_setzero_ps());
    let mut i = 0;
    while i + 8 <= n {
        let xv = _mm256_loadu_ps(x.as_ptr().add(i));
        let m = _mm256_cmp_ps::<_CMP_GT_OQ>(xv, zero);
        let f = _mm256_blendv_ps(voff, von, m);
        let r = _mm256_mul_ps(_mm256_loadu_ps(g.as_ptr().add(i)), f);
        _mm256_storeu_ps(o.as_mut_ptr().add(i) as *mut f32, r);
        i += 8;
    }
    while i < n {
        o[i].write(g[i] * if x[i] > 0.0 { on } else { off });
        i += 1;
    }
}
