//! Reductions over a set of axes, expressed as "rows": the kept axes index the output, the
//! reduced axes form a contiguous row that one fold consumes.

use crate::dtype::Element;
use crate::shape::numel;
use crate::Tensor;

/// Gathers `t` so that each output element's inputs form one contiguous row, and calls
/// `fold` on every row. `axes` must be normalised (sorted, unique).
pub(crate) fn reduce_rows<T: Element, O: Element>(
    t: &Tensor,
    axes: &[usize],
    fold: impl Fn(&[T]) -> O,
) -> Vec<O> {
    let rank = t.rank();
    let kept: Vec<usize> = (0..rank).filter(|a| !axes.contains(a)).collect();
    let kept_shape: Vec<usize> = kept.iter().map(|&a| t.shape()[a]).collect();
    let row_len: usize = axes.iter().map(|&a| t.shape()[a]).product();
    let rows = numel(&kept_shape);
    if rows == 0 {
        return Vec::new();
    }
    // Permute kept axes first, reduced axes last, then read row-major.
    let perm: Vec<usize> = kept.iter().chain(axes.iter()).copied().collect();
    let shape: Vec<usize> = perm.iter().map(|&p| t.shape()[p]).collect();
    let strides: Vec<isize> = perm.iter().map(|&p| t.strides()[p]).collect();
    let view = t.view(shape, strides, t.offset());
    let data = view.data::<T>();
    if row_len == 0 {
        (0..rows).map(|_| fold(&[])).collect()
    } else {
        data.chunks(row_len).map(&fold).collect()
    }
}

/// Sum of a contiguous f32 slice with 32 independent accumulators (vectorisable, and
/// more accurate than one running sum), in the build of the kernel path in use
/// (`cpu::dispatch`). The association order is the same in every build, so results do
/// not depend on the CPU.
pub(crate) fn sum_f32(x: &[f32]) -> f32 {
    crate::cpu::dispatch::dispatch!(
        avx512 => sum_f32_avx512(x),
        avx2 => sum_f32_avx2(x),
        portable => sum_f32_impl(x),
    )
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn sum_f32_avx2(x: &[f32]) -> f32 {
    sum_f32_impl(x)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")]
unsafe fn sum_f32_avx512(x: &[f32]) -> f32 {
    sum_f32_impl(x)
}

#[inline(always)]
fn sum_f32_impl(x: &[f32]) -> f32 {
    const L: usize = 32;
    let mut acc = [0.0f32; L];
    let chunks = x.chunks_exact(L);
    let rem = chunks.remainder();
    for c in chunks {
        for i in 0..L {
            acc[i] += c[i];
        }
    }
    let mut s = 0.0f32;
    for r in rem {
        s += r;
    }
    // Pairwise combine the lanes.
    let mut w = L;
    while w > 1 {
        w /= 2;
        for i in 0..w {
            acc[i] += acc[i + w];
        }
    }
    acc[0] + s
}

/// Elements above which a whole-slice f32 sum is split across threads.
const SUM_PAR_MIN: usize = 1 << 20;

/// [`sum_f32`] split across threads for large slices (deterministic for a fixed thread
/// count: chunk boundaries depend only on the length and the pool size).
pub(crate) fn sum_f32_par(x: &[f32]) -> f32 {
    use rayon::prelude::*;
    let n = x.len();
    if n < SUM_PAR_MIN || crate::cpu::parallel::num_threads() < 2 {
        return sum_f32(x);
    }
    let c = crate::cpu::parallel::chunk_len(n, 1 << 16);
    let parts: Vec<f32> = x.par_chunks(c).map(sum_f32).collect();
    parts.iter().sum()
}

/// Splits a reduction of a contiguous tensor into `(outer, reduced, inner)` when the
/// reduced axes (ignoring size-1 dims) form one consecutive block; `None` otherwise.
pub(crate) fn block_layout(shape: &[usize], axes: &[usize]) -> Option<(usize, usize, usize)> {
    let big: Vec<usize> = (0..shape.len()).filter(|&i| shape[i] != 1).collect();
    let red: Vec<usize> = big.iter().copied().filter(|i| axes.contains(i)).collect();
    if red.is_empty() {
        return Some((shape.iter().product(), 1, 1));
    }
    let first = big.iter().position(|&i| i == red[0])?;
    if big[first..first + red.len()] != red[..] {
        return None;
    }
    let outer: usize = big[..first].iter().map(|&i| shape[i]).product();
    let r: usize = red.iter().map(|&i| shape[i]).product();
    let inner: usize = big[first + red.len()..].iter().map(|&i| shape[i]).product();
    Some((outer, r, inner))
}

/// Reduces `t` over sorted, unique `axes` without gathering when possible.
///
/// `fold` reduces one contiguous run of elements (used when the reduced axes are
/// innermost); `combine` folds one element into an accumulator started at `init` (used
/// when reduced axes lead: whole rows are accumulated elementwise, which vectorises).
/// Other layouts gather first (see [`reduce_rows`]). Output is row-major over kept axes.
pub(crate) fn reduce_axes<T: Element, O: Element>(
    t: &Tensor,
    axes: &[usize],
    init: O,
    combine: impl Fn(O, T) -> O + Sync,
    fold: impl Fn(&[T]) -> O + Sync,
) -> Vec<O> {
    use rayon::prelude::*;
    let par = t.numel() >= crate::cpu::parallel::ELEMENTWISE_PAR_MIN
        && crate::cpu::parallel::num_threads() > 1;
    if let (Some(s), Some((outer, r, inner))) =
        (t.contiguous_slice::<T>(), block_layout(t.shape(), axes))
    {
        if outer * inner == 0 {
            return Vec::new();
        }
        if inner == 1 {
            if r == 0 {
                return (0..outer).map(|_| fold(&[])).collect();
            }
            if par && outer > 1 {
                return s.par_chunks(r).map(&fold).collect();
            }
            return s.chunks(r).map(&fold).collect();
        }
        let mut out = vec![init; outer * inner];
        let block = |a: usize, acc: &mut [O]| {
            let base = a * r * inner;
            for k in 0..r {
                let row = &s[base + k * inner..base + (k + 1) * inner];
                for (o, &x) in acc.iter_mut().zip(row) {
                    *o = combine(*o, x);
                }
            }
        };
        if par && outer > 1 {
            out.par_chunks_mut(inner)
                .enumerate()
                .for_each(|(a, acc)| block(a, acc));
        } else if par && inner >= 4096 {
            // One outer block with wide rows: split the columns across threads.
            let c = crate::cpu::parallel::chunk_len(inner, 1024);
            out.par_chunks_mut(c).enumerate().for_each(|(j, acc)| {
                let off = j * c;
                for k in 0..r {
                    let row = &s[k * inner + off..k * inner + off + acc.len()];
                    for (o, &x) in acc.iter_mut().zip(row) {
                        *o = combine(*o, x);
                    }
                }
            });
        } else {
            for (a, acc) in out.chunks_mut(inner).enumerate() {
                block(a, acc);
            }
        }
        return out;
    }
    reduce_rows::<T, O>(t, axes, |row| fold(row))
}

/// Index of the best element along `axis` of a contiguous `(outer, n, inner)` layout;
/// `better(a, b)` is true when `a` strictly beats `b` (so the lowest index wins ties).
pub(crate) fn arg_best<T: Element>(
    s: &[T],
    outer: usize,
    n: usize,
    inner: usize,
    better: impl Fn(T, T) -> bool,
) -> Vec<i64> {
    let mut out = vec![0i64; outer * inner];
    if n == 0 {
        return out;
    }
    let mut best: Vec<T> = vec![s[0]; inner];
    for a in 0..outer {
        let base = a * n * inner;
        best.copy_from_slice(&s[base..base + inner]);
        let idx = &mut out[a * inner..(a + 1) * inner];
        for k in 1..n {
            let row = &s[base + k * inner..base + (k + 1) * inner];
            for j in 0..inner {
                if better(row[j], best[j]) {
                    best[j] = row[j];
                    idx[j] = k as i64;
                }
            }
        }
    }
    out
}

/// Cumulative fold along the middle axis of a contiguous `(outer, n, inner)` layout, as
/// `tf.math.cumsum` / `cumprod` with `exclusive` and `reverse`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn cumulative<T: Element>(
    s: &[T],
    outer: usize,
    n: usize,
    inner: usize,
    init: T,
    exclusive: bool,
    reverse: bool,
    combine: impl Fn(T, T) -> T,
) -> Vec<T> {
    let mut out = vec![init; s.len()];
    let mut acc = vec![init; inner];
    for a in 0..outer {
        acc.iter_mut().for_each(|v| *v = init);
        for step in 0..n {
            let k = if reverse { n - 1 - step } else { step };
            let off = (a * n + k) * inner;
            let row = &s[off..off + inner];
            let dst = &mut out[off..off + inner];
            if exclusive {
                dst.copy_from_slice(&acc);
                for (v, &x) in acc.iter_mut().zip(row) {
                    *v = combine(*v, x);
                }
            } else {
                for ((v, &x), d) in acc.iter_mut().zip(row).zip(dst.iter_mut()) {
                    *v = combine(*v, x);
                    *d = *v;
                }
            }
        }
    }
    out
}
