//! Strided (batched) matrix products: `C = A · B` over views.
//!
//! Every operand is described by a base offset into its buffer plus a row stride and a
//! column stride, so transposed, sliced and broadcast operands are read in place: the
//! `gemm` crate packs whatever layout it is given. Products with one output row or column
//! go to a GEMV loop instead (dot products or axpy sweeps that vectorise). The `gemm`
//! crate's own threading is used only above [`GEMM_PAR_MIN_FLOPS`]: on a 2-core machine it
//! loses below that. Batches of small products are spread over rayon's pool instead.

use std::mem::MaybeUninit;

use rayon::prelude::*;

use crate::cpu::map::fill_new;
use crate::cpu::num::Num;
use crate::cpu::parallel::num_threads;
use crate::dtype::Element;
use crate::shape::numel;
use crate::{DType, Tensor};

/// Work (2·m·n·k floating-point operations) below which a single product stays on one
/// thread.
pub(crate) const GEMM_PAR_MIN_FLOPS: usize = 25_000_000;

/// One matrix operand: element `(i, j)` lives at `data[off + i*rs + j*cs]`.
#[derive(Clone, Copy)]
pub(crate) struct MatRef<'a, T> {
    pub data: &'a [T],
    pub off: usize,
    pub rs: isize,
    pub cs: isize,
}

impl<T: Copy> MatRef<'_, T> {
    #[inline(always)]
    fn at(&self, i: usize, j: usize) -> T {
        self.data[(self.off as isize + i as isize * self.rs + j as isize * self.cs) as usize]
    }
}

/// Floats that the `gemm` crate multiplies natively.
pub(crate) trait GemmFloat:
    Num + std::ops::Add<Output = Self> + std::ops::Mul<Output = Self> + std::ops::AddAssign
{
}
impl GemmFloat for f32 {}
impl GemmFloat for f64 {}

/// `dst (m x n, row-major) = a (m x k) · b (k x n)` for floats. `threads` lets the `gemm`
/// crate use rayon's pool.
pub(crate) fn gemm_float<T: GemmFloat>(
    m: usize,
    n: usize,
    k: usize,
    a: MatRef<T>,
    b: MatRef<T>,
    dst: &mut [MaybeUninit<T>],
    threads: bool,
) {
    debug_assert_eq!(dst.len(), m * n);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        zero_init(dst);
        return;
    }
    if m == 1 || n == 1 {
        gemv(m, n, k, a, b, zero_init(dst));
        return;
    }
    // Every index the kernel forms, off + i*rs + p*cs with i < m, p < k, is an element of
    // the view the caller built over `data`, so the reads stay inside the slices.
    debug_assert!(in_bounds(&a, m, k) && in_bounds(&b, k, n));
    let nt = num_threads();
    if threads && nt > 1 && n >= WIDE_SPLIT_MIN_N && m >= WIDE_SPLIT_MIN_M {
        // Wide products: one single-threaded GEMM per block of output columns. The `gemm`
        // crate's own threading packs a full-width panel of `b` that overflows L2 here.
        let parts = nt.min(n / 128).max(1);
        let base = SendPtr(dst.as_mut_ptr() as *mut T);
        (0..parts).into_par_iter().for_each(|p| {
            let (c0, c1) = (p * n / parts, (p + 1) * n / parts);
            let bp = MatRef {
                off: (b.off as isize + c0 as isize * b.cs) as usize,
                ..b
            };
            let base = &base;
            // SAFETY: block `p` writes only columns c0..c1 of every row of `dst` (row
            // stride n), disjoint from the other blocks; the pointer stays inside `dst`.
            unsafe {
                raw_gemm(
                    m,
                    c1 - c0,
                    k,
                    base.0.add(c0),
                    n as isize,
                    a,
                    bp,
                    gemm::Parallelism::None,
                )
            };
        });
        return;
    }
    let par = if threads && nt > 1 {
        gemm::Parallelism::Rayon(nt)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: `dst` holds m*n elements written row-major (row stride n, column stride 1).
    unsafe { raw_gemm(m, n, k, dst.as_mut_ptr() as *mut T, n as isize, a, b, par) };
}

/// Writes zeros over `o` and returns it as initialised.
fn zero_init<T: Element>(o: &mut [MaybeUninit<T>]) -> &mut [T] {
    for x in o.iter_mut() {
        x.write(T::zero());
    }
    // SAFETY: every element was just initialised; MaybeUninit<T> has T's layout.
    unsafe { &mut *(o as *mut [MaybeUninit<T>] as *mut [T]) }
}

/// Minimum output width and height for the column-split threading of [`gemm_float`].
const WIDE_SPLIT_MIN_N: usize = 512;
const WIDE_SPLIT_MIN_M: usize = 256;

struct SendPtr<T>(*mut T);
// SAFETY: used only to hand disjoint column blocks of one output buffer to rayon tasks.
unsafe impl<T> Send for SendPtr<T> {}
unsafe impl<T> Sync for SendPtr<T> {}

/// `dst = a · b` through the `gemm` crate; `dst` is row-major with row stride `dst_rs`.
///
/// # Safety
/// `dst` must be valid for writes at `i*dst_rs + j` for i < m, j < n, and `a`, `b` must
/// address only in-bounds elements for shapes (m, k) and (k, n).
#[allow(clippy::too_many_arguments)]
unsafe fn raw_gemm<T: GemmFloat>(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut T,
    dst_rs: isize,
    a: MatRef<T>,
    b: MatRef<T>,
    par: gemm::Parallelism,
) {
    // SAFETY: forwarded from the caller; T is f32 or f64, which `gemm::gemm` supports, and
    // `read_dst = false` so `dst` is only written.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            1,
            dst_rs,
            false,
            a.data.as_ptr().add(a.off),
            a.cs,
            a.rs,
            b.data.as_ptr().add(b.off),
            b.cs,
            b.rs,
            T::zero(),
            T::one(),
            false,
            false,
            false,
            par,
        );
    }
}

fn in_bounds<T>(x: &MatRef<T>, r: usize, c: usize) -> bool {
    if r == 0 || c == 0 {
        return true;
    }
    let last = x.off as isize + (r as isize - 1) * x.rs + (c as isize - 1) * x.cs;
    x.rs >= 0 && x.cs >= 0 && (last as usize) < x.data.len()
}

/// Dot product of two contiguous slices with 8 independent accumulators (vectorises).
#[inline]
pub(crate) fn dot<T: GemmFloat>(x: &[T], y: &[T]) -> T {
    let mut acc = [T::zero(); 8];
    let cx = x.chunks_exact(8);
    let cy = y.chunks_exact(8);
    let (rx, ry) = (cx.remainder(), cy.remainder());
    for (a, b) in cx.zip(cy) {
        for i in 0..8 {
            acc[i] += a[i] * b[i];
        }
    }
    let mut tail = T::zero();
    for (&a, &b) in rx.iter().zip(ry) {
        tail += a * b;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// `y += alpha * x` over contiguous slices.
#[inline]
fn axpy<T: GemmFloat>(alpha: T, x: &[T], y: &mut [T]) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o += alpha * v;
    }
}

/// Matrix-vector products (m == 1 or n == 1): contiguous runs use dot or axpy loops.
fn gemv<T: GemmFloat>(m: usize, n: usize, k: usize, a: MatRef<T>, b: MatRef<T>, dst: &mut [T]) {
    if m == 1 {
        // dst[j] = sum_p a[0, p] * b[p, j]
        if b.cs == 1 {
            dst.fill(T::zero());
            for p in 0..k {
                let s = (b.off as isize + p as isize * b.rs) as usize;
                axpy(a.at(0, p), &b.data[s..s + n], dst);
            }
        } else if b.rs == 1 && a.cs == 1 {
            let x = &a.data[a.off..a.off + k];
            for (j, o) in dst.iter_mut().enumerate() {
                let s = (b.off as isize + j as isize * b.cs) as usize;
                *o = dot(x, &b.data[s..s + k]);
            }
        } else {
            for (j, o) in dst.iter_mut().enumerate() {
                let mut acc = T::zero();
                for p in 0..k {
                    acc += a.at(0, p) * b.at(p, j);
                }
                *o = acc;
            }
        }
    } else {
        // n == 1: dst[i] = sum_p a[i, p] * b[p, 0]
        if a.cs == 1 && b.rs == 1 {
            let y = &b.data[b.off..b.off + k];
            for (i, o) in dst.iter_mut().enumerate() {
                let s = (a.off as isize + i as isize * a.rs) as usize;
                *o = dot(&a.data[s..s + k], y);
            }
        } else if a.rs == 1 {
            dst.fill(T::zero());
            for p in 0..k {
                let s = (a.off as isize + p as isize * a.cs) as usize;
                axpy(b.at(p, 0), &a.data[s..s + m], dst);
            }
        } else {
            for (i, o) in dst.iter_mut().enumerate() {
                let mut acc = T::zero();
                for p in 0..k {
                    acc += a.at(i, p) * b.at(p, 0);
                }
                *o = acc;
            }
        }
    }
}

/// Integer products with TF's wrapping arithmetic (no BLAS for integers), accumulated
/// into a zeroed `dst`.
fn gemm_int<T: Num>(m: usize, n: usize, k: usize, a: MatRef<T>, b: MatRef<T>, dst: &mut [T]) {
    for i in 0..m {
        let row = &mut dst[i * n..(i + 1) * n];
        for p in 0..k {
            let x = a.at(i, p);
            for (j, o) in row.iter_mut().enumerate() {
                *o = o.add(x.mul(b.at(p, j)));
            }
        }
    }
}

/// Geometry of a batched product, computed once by the op.
pub(crate) struct MatmulPlan {
    /// Broadcast batch shape of the output.
    pub batch: Vec<usize>,
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub transpose_a: bool,
    pub transpose_b: bool,
}

/// Offset of each batch matrix of `t` (batch dims right-aligned with `batch`, size-1
/// dims broadcast) and its row/column strides after the optional transpose.
fn operand_layout(t: &Tensor, batch: &[usize], transpose: bool) -> (Vec<usize>, isize, isize) {
    let r = t.rank();
    let (rs, cs) = if transpose {
        (t.strides()[r - 1], t.strides()[r - 2])
    } else {
        (t.strides()[r - 2], t.strides()[r - 1])
    };
    let tb = &t.shape()[..r - 2];
    let ts = &t.strides()[..r - 2];
    let nb = batch.len();
    // Effective stride per output batch dim.
    let mut st = vec![0isize; nb];
    for i in 0..tb.len() {
        if tb[i] != 1 {
            st[nb - tb.len() + i] = ts[i];
        }
    }
    let count = numel(batch);
    let mut offs = Vec::with_capacity(count);
    let mut idx = vec![0usize; nb];
    let mut off = t.offset() as isize;
    for _ in 0..count {
        offs.push(off as usize);
        let mut d = nb;
        while d > 0 {
            d -= 1;
            idx[d] += 1;
            off += st[d];
            if idx[d] < batch[d] {
                break;
            }
            off -= st[d] * batch[d] as isize;
            idx[d] = 0;
        }
    }
    (offs, rs, cs)
}

/// Runs `kernel` over every batch matrix, writing a contiguous `(batch..., m, n)` result.
fn batched<T: Element>(
    a: &Tensor,
    b: &Tensor,
    plan: &MatmulPlan,
    kernel: impl Fn(MatRef<T>, MatRef<T>, &mut [MaybeUninit<T>], bool) + Sync,
) -> Vec<T> {
    let (m, n, k) = (plan.m, plan.n, plan.k);
    let count = numel(&plan.batch);
    let total = count * m * n;
    let (oa, ars, acs) = operand_layout(a, &plan.batch, plan.transpose_a);
    let (ob, brs, bcs) = operand_layout(b, &plan.batch, plan.transpose_b);
    let da = T::slice(a.buffer()).expect("kiln internal: dtype dispatch mismatch");
    let db = T::slice(b.buffer()).expect("kiln internal: dtype dispatch mismatch");
    let flops = 2 * m * n * k;
    let run = |i: usize, out: &mut [MaybeUninit<T>], threads: bool| {
        let ma = MatRef {
            data: da,
            off: oa[i],
            rs: ars,
            cs: acs,
        };
        let mb = MatRef {
            data: db,
            off: ob[i],
            rs: brs,
            cs: bcs,
        };
        kernel(ma, mb, out, threads);
    };
    // Every kernel writes all m*n elements of its block (see `gemm_float`, `gemm_int`).
    fill_new(total, |out| {
        if total == 0 {
            return;
        }
        if flops >= GEMM_PAR_MIN_FLOPS
            || count == 1
            || count * flops < GEMM_PAR_MIN_FLOPS
            || num_threads() < 2
        {
            let threads = flops >= GEMM_PAR_MIN_FLOPS;
            for (i, o) in out.chunks_mut(m * n).enumerate() {
                run(i, o, threads);
            }
        } else {
            out.par_chunks_mut(m * n)
                .enumerate()
                .for_each(|(i, o)| run(i, o, false));
        }
    })
}

/// The batched product `a · b` for a checked plan; the result is a contiguous tensor of
/// shape `batch + (m, n)`. Half floats compute in f32; integers wrap.
pub(crate) fn matmul_kernel(a: &Tensor, b: &Tensor, plan: &MatmulPlan) -> Tensor {
    // Row- or column-major matrices (any leading dimension, any batch strides) are read in
    // place; a matrix whose elements are strided in both directions is copied once.
    if !gemm_friendly(a) || !gemm_friendly(b) {
        let fix = |t: &Tensor| {
            if gemm_friendly(t) {
                t.clone()
            } else {
                t.contiguous_unrecorded()
            }
        };
        return matmul_kernel(&fix(a), &fix(b), plan);
    }
    let mut shape = plan.batch.clone();
    shape.push(plan.m);
    shape.push(plan.n);
    let (m, n, k) = (plan.m, plan.n, plan.k);
    match a.dtype() {
        DType::F32 => Tensor::from_vec_unchecked(
            batched::<f32>(a, b, plan, |x, y, o, t| gemm_float(m, n, k, x, y, o, t)),
            shape,
        ),
        DType::F64 => Tensor::from_vec_unchecked(
            batched::<f64>(a, b, plan, |x, y, o, t| gemm_float(m, n, k, x, y, o, t)),
            shape,
        ),
        DType::F16 | DType::BF16 => {
            let out = matmul_kernel(
                &a.cast_unrecorded(DType::F32),
                &b.cast_unrecorded(DType::F32),
                plan,
            );
            out.cast_unrecorded(a.dtype())
        }
        DType::I32 => Tensor::from_vec_unchecked(
            batched::<i32>(a, b, plan, |x, y, o, _| {
                gemm_int(m, n, k, x, y, zero_init(o))
            }),
            shape,
        ),
        DType::I64 => Tensor::from_vec_unchecked(
            batched::<i64>(a, b, plan, |x, y, o, _| {
                gemm_int(m, n, k, x, y, zero_init(o))
            }),
            shape,
        ),
        DType::U8 => Tensor::from_vec_unchecked(
            batched::<u8>(a, b, plan, |x, y, o, _| {
                gemm_int(m, n, k, x, y, zero_init(o))
            }),
            shape,
        ),
        DType::Bool | DType::String => {
            unreachable!("matmul rejects bool and string (require_numeric) before the kernel")
        }
    }
}

/// True when the matrices in the last two dimensions of `t` have a unit stride in one
/// direction (or are a single row or column).
fn gemm_friendly(t: &Tensor) -> bool {
    let r = t.rank();
    let (rows, cols) = (t.shape()[r - 2], t.shape()[r - 1]);
    let (rs, cs) = (t.strides()[r - 2], t.strides()[r - 1]);
    rows <= 1 || cols <= 1 || rs == 1 || cs == 1
}

/// `out[r, c] = x[r, c] + bias[c]` over a row-major `(rows, c)` slice, threaded when large.
pub(crate) fn add_rows<T: Num>(x: &[T], bias: &[T]) -> Vec<T> {
    let c = bias.len();
    let n = x.len();
    fill_new(n, |out| {
        if c == 0 {
            return;
        }
        let body = |o: &mut [MaybeUninit<T>], xs: &[T]| {
            for (orow, xrow) in o.chunks_mut(c).zip(xs.chunks(c)) {
                for ((o, &v), &b) in orow.iter_mut().zip(xrow).zip(bias) {
                    o.write(v.add(b));
                }
            }
        };
        if n >= crate::cpu::parallel::ELEMENTWISE_PAR_MIN && num_threads() > 1 {
            let rows = n / c;
            let per = rows.div_ceil(num_threads()).max(1) * c;
            out.par_chunks_mut(per)
                .zip(x.par_chunks(per))
                .for_each(|(o, xs)| body(o, xs));
        } else {
            body(out, x);
        }
    })
}

/// `max(x + bias, 0)` over rows of `bias.len()` (channels-last), threaded when large: the
/// bias and relu of a convolution or dense layer in one pass over memory.
pub(crate) fn add_rows_relu_f32(x: &[f32], bias: &[f32]) -> Vec<f32> {
    let c = bias.len();
    let n = x.len();
    fill_new(n, |out| {
        if c == 0 {
            return;
        }
        let body = |o: &mut [MaybeUninit<f32>], xs: &[f32]| {
            for (orow, xrow) in o.chunks_mut(c).zip(xs.chunks(c)) {
                for ((o, &v), &b) in orow.iter_mut().zip(xrow).zip(bias) {
                    let s = v + b;
                    o.write(if s > 0.0 { s } else { 0.0 });
                }
            }
        };
        if n >= crate::cpu::parallel::ELEMENTWISE_PAR_MIN && num_threads() > 1 {
            let rows = n / c;
            let per = rows.div_ceil(num_threads()).max(1) * c;
            out.par_chunks_mut(per)
                .zip(x.par_chunks(per))
                .for_each(|(o, xs)| body(o, xs));
        } else {
            body(out, x);
        }
    })
}

/// `dst (+)= a (m x k) · b (k x n)` on this thread, where output element `(i, j)` lives at
/// `dst[off + i*rs + j]`: the per-step products of the fused recurrent kernels, which
/// write (or accumulate into) strided rows of a larger sequence buffer in place.
///
/// Panics if an index of `dst`, `a` or `b` would fall outside its slice (callers build
/// the views from their own buffer sizes, so that is a kiln bug, not a user error).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm_strided<T: GemmFloat>(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [T],
    off: usize,
    rs: usize,
    accumulate: bool,
    a: MatRef<T>,
    b: MatRef<T>,
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(
        off + (m - 1) * rs + n <= dst.len() && in_bounds(&a, m, k) && in_bounds(&b, k, n),
        "kiln internal: gemm_strided view out of bounds"
    );
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                dst[off + i * rs..off + i * rs + n].fill(T::zero());
            }
        }
        return;
    }
    // SAFETY: the bounds were checked above; T is f32 or f64. With `read_dst` the kernel
    // computes dst = 1·dst + 1·a·b, otherwise dst = a·b without reading dst.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr().add(off),
            1,
            rs as isize,
            accumulate,
            a.data.as_ptr().add(a.off),
            a.cs,
            a.rs,
            b.data.as_ptr().add(b.off),
            b.cs,
            b.rs,
            T::one(),
            T::one(),
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(m: usize, n: usize, k: usize, a: &MatRef<f64>, b: &MatRef<f64>) -> Vec<f64> {
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                out[i * n + j] = (0..k).map(|p| a.at(i, p) * b.at(p, j)).sum();
            }
        }
        out
    }

    #[test]
    fn gemm_and_gemv_match_naive_for_all_layouts() {
        let data: Vec<f64> = (0..2000)
            .map(|i| ((i * 37) % 101) as f64 / 50.0 - 1.0)
            .collect();
        for &(m, n, k) in &[
            (1, 7, 9),
            (7, 1, 9),
            (1, 1, 5),
            (5, 6, 7),
            (17, 33, 19),
            (3, 4, 0),
        ] {
            for a_rm in [true, false] {
                for b_rm in [true, false] {
                    let a = if a_rm {
                        MatRef {
                            data: &data,
                            off: 3,
                            rs: k as isize,
                            cs: 1,
                        }
                    } else {
                        MatRef {
                            data: &data,
                            off: 3,
                            rs: 1,
                            cs: m as isize,
                        }
                    };
                    let b = if b_rm {
                        MatRef {
                            data: &data,
                            off: 5,
                            rs: n as isize,
                            cs: 1,
                        }
                    } else {
                        MatRef {
                            data: &data,
                            off: 5,
                            rs: 1,
                            cs: k as isize,
                        }
                    };
                    let out = fill_new(m * n, |o| gemm_float(m, n, k, a, b, o, false));
                    let want = naive(m, n, k, &a, &b);
                    for (g, w) in out.iter().zip(&want) {
                        assert!(
                            (g - w).abs() < 1e-12,
                            "{m}x{n}x{k} a_rm={a_rm} b_rm={b_rm}: {g} vs {w}"
                        );
                    }
                }
            }
        }
        // A general (neither row- nor column-major) stride and a broadcast (stride 0) row.
        let a = MatRef {
            data: &data,
            off: 0,
            rs: 10,
            cs: 3,
        };
        let b = MatRef {
            data: &data,
            off: 1,
            rs: 0,
            cs: 2,
        };
        let out = fill_new(4 * 6, |o| gemm_float(4, 6, 3, a, b, o, false));
        let want = naive(4, 6, 3, &a, &b);
        for (g, w) in out.iter().zip(&want) {
            assert!((g - w).abs() < 1e-12);
        }
    }

    #[test]
    fn dot_handles_remainders() {
        let x: Vec<f32> = (0..19).map(|i| i as f32).collect();
        assert_eq!(dot(&x, &x), (0..19).map(|i| (i * i) as f32).sum::<f32>());
    }
}
