//! Scaled dot-product attention kernels over `(batch, time, heads, dim)` buffers
//! (Keras's `ops.dot_product_attention` layout): `softmax(q · kᵀ · scale + mask) · v`.
//!
//! Two paths with the same results:
//! - direct: per head, the whole `(tq, tk)` score matrix, a row softmax, one product with
//!   `v`; the probabilities are kept for the backward pass (memory O(tq·tk) per head).
//! - blocked: per head and block of query rows, an online softmax over blocks of keys
//!   (running maximum and sum, the output rescaled as the maximum grows); only the
//!   output and each row's log-sum-exp are kept, and the backward pass recomputes the
//!   scores block by block (memory O(block²) per thread).
//!
//! Work is split across threads by batch element (each writes only its own slice of the
//! outputs). A masked score is replaced by `fill` before the softmax (a fully masked row
//! then gets uniform weights, as Keras's fused path), or, with `zero_rows`, masked
//! weights are zero and a fully masked row outputs zeros (Keras's explicit path).

use rayon::prelude::*;

use crate::cpu::gemm::{gemm_strided, GemmFloat, MatRef};
use crate::cpu::parallel::num_threads;
use crate::cpu::softmax::SoftmaxFloat;
use crate::dtype::Element;

/// Floats the attention kernels run on.
pub(crate) trait AttnFloat: GemmFloat + SoftmaxFloat + Element {}
impl AttnFloat for f32 {}
impl AttnFloat for f64 {}

/// Work below which the batch stays on one thread.
const PAR_MIN_FLOPS: usize = 4_000_000;

/// The score given to masked positions when `zero_rows` is off (Keras's fused-path
/// constant, `-0.7 * float32 max`).
pub(crate) const MASK_FILL: f64 = -0.7 * 3.38953e38;
/// The additive mask value of Keras's explicit (softmax-layer) path.
const ZERO_ROWS_FILL: f64 = -1e9;

/// Sizes of one call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Geom {
    pub b: usize,
    pub n: usize,
    pub tq: usize,
    pub tk: usize,
    pub h: usize,
    pub hv: usize,
    pub scale: f64,
    pub zero_rows: bool,
}

impl Geom {
    fn q_off(&self, b: usize, n: usize) -> usize {
        (b * self.tq * self.n + n) * self.h
    }
    fn k_off(&self, b: usize, n: usize) -> usize {
        (b * self.tk * self.n + n) * self.h
    }
    fn v_off(&self, b: usize, n: usize) -> usize {
        (b * self.tk * self.n + n) * self.hv
    }
    fn parallel(&self) -> bool {
        let flops = 4 * self.b * self.n * self.tq * self.tk * (self.h + self.hv);
        self.b > 1 && num_threads() > 1 && flops >= PAR_MIN_FLOPS
    }
}

/// A boolean mask read through broadcast strides over `(b, n, tq, tk)`.
#[derive(Clone, Copy)]
pub(crate) struct MaskView<'a> {
    pub data: &'a [bool],
    pub off: isize,
    pub strides: [isize; 4],
}

impl MaskView<'_> {
    #[inline]
    fn get(&self, b: usize, n: usize, i: usize, j: usize) -> bool {
        let s = &self.strides;
        self.data[(self.off
            + b as isize * s[0]
            + n as isize * s[1]
            + i as isize * s[2]
            + j as isize * s[3]) as usize]
    }
}

fn mat<T>(data: &[T], off: usize, rs: usize, cs: usize) -> MatRef<'_, T> {
    MatRef {
        data,
        off,
        rs: rs as isize,
        cs: cs as isize,
    }
}

/// Runs `f(b, chunks...)` for every batch element, in parallel when it pays.
macro_rules! per_batch {
    ($g:expr, $f:expr, $($buf:expr, $len:expr),+) => {{
        let g: &Geom = $g;
        if g.parallel() {
            per_batch!(@par g, $f, $($buf, $len),+)
        } else {
            per_batch!(@seq g, $f, $($buf, $len),+)
        }
    }};
    (@par $g:expr, $f:expr, $b1:expr, $l1:expr) => {
        $b1.par_chunks_mut($l1.max(1)).enumerate().for_each(|(b, c1)| $f(b, c1))
    };
    (@par $g:expr, $f:expr, $b1:expr, $l1:expr, $b2:expr, $l2:expr) => {
        $b1.par_chunks_mut($l1.max(1))
            .zip($b2.par_chunks_mut($l2.max(1)))
            .enumerate()
            .for_each(|(b, (c1, c2))| $f(b, c1, c2))
    };
    (@par $g:expr, $f:expr, $b1:expr, $l1:expr, $b2:expr, $l2:expr, $b3:expr, $l3:expr) => {
        $b1.par_chunks_mut($l1.max(1))
            .zip($b2.par_chunks_mut($l2.max(1)))
            .zip($b3.par_chunks_mut($l3.max(1)))
            .enumerate()
            .for_each(|(b, ((c1, c2), c3))| $f(b, c1, c2, c3))
    };
    (@seq $g:expr, $f:expr, $b1:expr, $l1:expr) => {
        $b1.chunks_mut($l1.max(1)).enumerate().for_each(|(b, c1)| $f(b, c1))
    };
    (@seq $g:expr, $f:expr, $b1:expr, $l1:expr, $b2:expr, $l2:expr) => {
        $b1.chunks_mut($l1.max(1))
            .zip($b2.chunks_mut($l2.max(1)))
            .enumerate()
            .for_each(|(b, (c1, c2))| $f(b, c1, c2))
    };
    (@seq $g:expr, $f:expr, $b1:expr, $l1:expr, $b2:expr, $l2:expr, $b3:expr, $l3:expr) => {
        $b1.chunks_mut($l1.max(1))
            .zip($b2.chunks_mut($l2.max(1)))
            .zip($b3.chunks_mut($l3.max(1)))
            .enumerate()
            .for_each(|(b, ((c1, c2), c3))| $f(b, c1, c2, c3))
    };
}

/// Scores of rows `q0..q0+qb` against keys `k0..k0+kb` of head `(b, n)` into `s`
/// (row-major `qb x kb`), scaled, with masked entries set to `masked`.
#[allow(clippy::too_many_arguments)]
fn scores<T: AttnFloat>(
    g: &Geom,
    q: &[T],
    k: &[T],
    mask: Option<MaskView>,
    b: usize,
    n: usize,
    (q0, qb, k0, kb): (usize, usize, usize, usize),
    masked: T,
    s: &mut [T],
) {
    let nh = g.n * g.h;
    gemm_strided(
        qb,
        kb,
        g.h,
        s,
        0,
        kb,
        false,
        mat(q, g.q_off(b, n) + q0 * nh, nh, 1),
        mat(k, g.k_off(b, n) + k0 * nh, 1, nh),
    );
    let sc = T::from_f64(g.scale);
    for i in 0..qb {
        let row = &mut s[i * kb..(i + 1) * kb];
        for v in row.iter_mut() {
            *v = *v * sc;
        }
        if let Some(m) = mask {
            for (j, v) in row.iter_mut().enumerate() {
                if !m.get(b, n, q0 + i, k0 + j) {
                    *v = masked;
                }
            }
        }
    }
}

/// Direct forward: the output `(b, tq, n, hv)` and the probabilities `(b, n, tq, tk)`.
pub(crate) fn direct_forward<T: AttnFloat>(
    g: &Geom,
    q: &[T],
    k: &[T],
    v: &[T],
    mask: Option<MaskView>,
) -> (Vec<T>, Vec<T>) {
    let (tq, tk, nn, hv) = (g.tq, g.tk, g.n, g.hv);
    let mut out = vec![T::ZERO; g.b * tq * nn * hv];
    let mut probs = vec![T::ZERO; g.b * nn * tq * tk];
    let fill = T::from_f64(if g.zero_rows {
        ZERO_ROWS_FILL
    } else {
        MASK_FILL
    });
    let body = |b: usize, ob: &mut [T], pb: &mut [T]| {
        let mut row = vec![T::ZERO; tk];
        for n in 0..nn {
            let p = &mut pb[n * tq * tk..(n + 1) * tq * tk];
            scores(g, q, k, mask, b, n, (0, tq, 0, tk), fill, p);
            for i in 0..tq {
                let r = &mut p[i * tk..(i + 1) * tk];
                row.copy_from_slice(r);
                crate::cpu::softmax::row(&row, r, false);
                if g.zero_rows
                    && let Some(m) = mask
                {
                    for (j, x) in r.iter_mut().enumerate() {
                        if !m.get(b, n, i, j) {
                            *x = T::ZERO;
                        }
                    }
                }
            }
            gemm_strided(
                tq,
                hv,
                tk,
                ob,
                n * hv,
                nn * hv,
                false,
                mat(p, 0, tk, 1),
                mat(v, g.v_off(b, n), nn * hv, 1),
            );
        }
    };
    per_batch!(g, body, out, tq * nn * hv, probs, nn * tq * tk);
    (out, probs)
}

/// Direct backward from the saved probabilities: `(dq, dk, dv)` in the inputs' layouts.
#[allow(clippy::too_many_arguments)]
pub(crate) fn direct_backward<T: AttnFloat>(
    g: &Geom,
    q: &[T],
    k: &[T],
    v: &[T],
    mask: Option<MaskView>,
    probs: &[T],
    dout: &[T],
) -> (Vec<T>, Vec<T>, Vec<T>) {
    let (tq, tk, nn, h, hv) = (g.tq, g.tk, g.n, g.h, g.hv);
    let mut dq = vec![T::ZERO; g.b * tq * nn * h];
    let mut dk = vec![T::ZERO; g.b * tk * nn * h];
    let mut dv = vec![T::ZERO; g.b * tk * nn * hv];
    let sc = T::from_f64(g.scale);
    let body = |b: usize, dqb: &mut [T], dkb: &mut [T], dvb: &mut [T]| {
        let mut ds = vec![T::ZERO; tq * tk];
        for n in 0..nn {
            let p = &probs[(b * nn + n) * tq * tk..(b * nn + n + 1) * tq * tk];
            let dob = mat(dout, (b * tq * nn + n) * hv, nn * hv, 1);
            // dP = dO · vᵀ
            gemm_strided(
                tq,
                tk,
                hv,
                &mut ds,
                0,
                tk,
                false,
                dob,
                mat(v, g.v_off(b, n), 1, nn * hv),
            );
            softmax_backward_rows(g, &mut ds, p, mask, b, n, (0, tq, 0, tk), None, sc);
            write_grads(
                g,
                q,
                k,
                b,
                n,
                &ds,
                p,
                dout,
                (0, tq, 0, tk),
                dqb,
                dkb,
                dvb,
                false,
            );
        }
    };
    per_batch!(g, body, dq, tq * nn * h, dk, tk * nn * h, dv, tk * nn * hv);
    (dq, dk, dv)
}

/// `ds = p * (dp - rowsum(p * dp)) * scale` in place over `qb x kb` rows (the row sums
/// are given as `d` on the blocked path), zero where masked.
#[allow(clippy::too_many_arguments)]
fn softmax_backward_rows<T: AttnFloat>(
    _g: &Geom,
    ds: &mut [T],
    p: &[T],
    mask: Option<MaskView>,
    b: usize,
    n: usize,
    (q0, qb, k0, kb): (usize, usize, usize, usize),
    d: Option<&[T]>,
    sc: T,
) {
    for i in 0..qb {
        let (dr, pr) = (&mut ds[i * kb..(i + 1) * kb], &p[i * kb..(i + 1) * kb]);
        let di = match d {
            Some(d) => d[i],
            None => {
                let mut acc = T::ZERO;
                for (&x, &y) in dr.iter().zip(pr) {
                    acc += x * y;
                }
                acc
            }
        };
        for (x, &y) in dr.iter_mut().zip(pr) {
            *x = y * (*x - di) * sc;
        }
        if let Some(m) = mask {
            for (j, x) in dr.iter_mut().enumerate() {
                if !m.get(b, n, q0 + i, k0 + j) {
                    *x = T::ZERO;
                }
            }
        }
    }
}

/// `dq += ds · k`, `dk += dsᵀ · q`, `dv += pᵀ · dO` for one block of head `(b, n)`, into
/// the batch element's slices (`acc` false: overwrite).
#[allow(clippy::too_many_arguments)]
fn write_grads<T: AttnFloat>(
    g: &Geom,
    q: &[T],
    k: &[T],
    b: usize,
    n: usize,
    ds: &[T],
    p: &[T],
    dout: &[T],
    (q0, qb, k0, kb): (usize, usize, usize, usize),
    dqb: &mut [T],
    dkb: &mut [T],
    dvb: &mut [T],
    acc: bool,
) {
    let (nn, h, hv) = (g.n, g.h, g.hv);
    let (nh, nhv) = (nn * h, nn * hv);
    gemm_strided(
        qb,
        h,
        kb,
        dqb,
        q0 * nh + n * h,
        nh,
        acc,
        mat(ds, 0, kb, 1),
        mat(k, g.k_off(b, n) + k0 * nh, nh, 1),
    );
    gemm_strided(
        kb,
        h,
        qb,
        dkb,
        k0 * nh + n * h,
        nh,
        acc,
        mat(ds, 0, 1, kb),
        mat(q, g.q_off(b, n) + q0 * nh, nh, 1),
    );
    gemm_strided(
        kb,
        hv,
        qb,
        dvb,
        k0 * nhv + n * hv,
        nhv,
        acc,
        mat(p, 0, 1, kb),
        mat(dout, (b * g.tq * nn + n) * hv + q0 * nhv, nhv, 1),
    );
}

/// Blocked forward (online softmax over key blocks): the output `(b, tq, n, hv)` and
/// each row's maximum score and reciprocal weight sum `(b, n, tq, 2)` (a row with no
/// weight gets a zero reciprocal and outputs zeros).
pub(crate) fn blocked_forward<T: AttnFloat>(
    g: &Geom,
    q: &[T],
    k: &[T],
    v: &[T],
    mask: Option<MaskView>,
    (bq, bk): (usize, usize),
) -> (Vec<T>, Vec<T>) {
    let (tq, tk, nn, hv) = (g.tq, g.tk, g.n, g.hv);
    let mut out = vec![T::ZERO; g.b * tq * nn * hv];
    // Per row: the maximum and the reciprocal sum (kept apart: with the large mask fill
    // a log-sum-exp would lose the log of the sum to rounding).
    let mut lse = vec![T::ZERO; g.b * nn * tq * 2];
    let masked = if g.zero_rows {
        T::NEG_INF
    } else {
        T::from_f64(MASK_FILL)
    };
    let body = |b: usize, ob: &mut [T], lb: &mut [T]| {
        let mut s = vec![T::ZERO; bq * bk];
        let mut m = vec![T::NEG_INF; bq];
        let mut l = vec![T::ZERO; bq];
        for n in 0..nn {
            for q0 in (0..tq).step_by(bq) {
                let qb = bq.min(tq - q0);
                m[..qb].fill(T::NEG_INF);
                l[..qb].fill(T::ZERO);
                for i in 0..qb {
                    let o = (q0 + i) * nn * hv + n * hv;
                    ob[o..o + hv].fill(T::ZERO);
                }
                for k0 in (0..tk).step_by(bk) {
                    let kb = bk.min(tk - k0);
                    let sb = &mut s[..qb * kb];
                    scores(g, q, k, mask, b, n, (q0, qb, k0, kb), masked, sb);
                    for i in 0..qb {
                        let row = &mut sb[i * kb..(i + 1) * kb];
                        let mut mx = T::NEG_INF;
                        for &x in row.iter() {
                            mx = if x > mx { x } else { mx };
                        }
                        let mn = if mx > m[i] { mx } else { m[i] };
                        if mn == T::NEG_INF {
                            row.fill(T::ZERO);
                            continue;
                        }
                        let corr = if m[i] == T::NEG_INF {
                            T::ZERO
                        } else {
                            (m[i] - mn).vexp()
                        };
                        let mut sum = T::ZERO;
                        for x in row.iter_mut() {
                            *x = if *x == T::NEG_INF {
                                T::ZERO
                            } else {
                                (*x - mn).vexp()
                            };
                            sum += *x;
                        }
                        l[i] = l[i] * corr + sum;
                        m[i] = mn;
                        if corr != T::ONE {
                            let o = (q0 + i) * nn * hv + n * hv;
                            for x in ob[o..o + hv].iter_mut() {
                                *x = *x * corr;
                            }
                        }
                    }
                    gemm_strided(
                        qb,
                        hv,
                        kb,
                        ob,
                        q0 * nn * hv + n * hv,
                        nn * hv,
                        true,
                        mat(sb, 0, kb, 1),
                        mat(v, g.v_off(b, n) + k0 * nn * hv, nn * hv, 1),
                    );
                }
                for i in 0..qb {
                    let o = (q0 + i) * nn * hv + n * hv;
                    let li = 2 * (n * tq + q0 + i);
                    if l[i] > T::ZERO {
                        let inv = T::ONE / l[i];
                        for x in ob[o..o + hv].iter_mut() {
                            *x = *x * inv;
                        }
                        lb[li] = m[i];
                        lb[li + 1] = inv;
                    } else {
                        ob[o..o + hv].fill(T::ZERO);
                        lb[li] = T::ZERO;
                        lb[li + 1] = T::ZERO;
                    }
                }
            }
        }
    };
    per_batch!(g, body, out, tq * nn * hv, lse, nn * tq * 2);
    (out, lse)
}

/// Blocked backward: recomputes each score block from `q`, `k` and the saved row
/// maxima and reciprocal sums; returns `(dq, dk, dv)`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn blocked_backward<T: AttnFloat>(
    g: &Geom,
    q: &[T],
    k: &[T],
    v: &[T],
    mask: Option<MaskView>,
    out: &[T],
    lse: &[T],
    dout: &[T],
    (bq, bk): (usize, usize),
) -> (Vec<T>, Vec<T>, Vec<T>) {
    let (tq, tk, nn, h, hv) = (g.tq, g.tk, g.n, g.h, g.hv);
    let mut dq = vec![T::ZERO; g.b * tq * nn * h];
    let mut dk = vec![T::ZERO; g.b * tk * nn * h];
    let mut dv = vec![T::ZERO; g.b * tk * nn * hv];
    let masked = if g.zero_rows {
        T::NEG_INF
    } else {
        T::from_f64(MASK_FILL)
    };
    let sc = T::from_f64(g.scale);
    let body = |b: usize, dqb: &mut [T], dkb: &mut [T], dvb: &mut [T]| {
        let mut p = vec![T::ZERO; bq * bk];
        let mut ds = vec![T::ZERO; bq * bk];
        let mut d = vec![T::ZERO; tq];
        for n in 0..nn {
            for (i, di) in d.iter_mut().enumerate() {
                let o = (b * tq + i) * nn * hv + n * hv;
                let mut acc = T::ZERO;
                for (&x, &y) in dout[o..o + hv].iter().zip(&out[o..o + hv]) {
                    acc += x * y;
                }
                *di = acc;
            }
            let lrow = &lse[2 * (b * nn + n) * tq..2 * (b * nn + n + 1) * tq];
            for q0 in (0..tq).step_by(bq) {
                let qb = bq.min(tq - q0);
                for k0 in (0..tk).step_by(bk) {
                    let kb = bk.min(tk - k0);
                    let (pb, dsb) = (&mut p[..qb * kb], &mut ds[..qb * kb]);
                    scores(g, q, k, mask, b, n, (q0, qb, k0, kb), masked, pb);
                    for i in 0..qb {
                        let (mi, inv) = (lrow[2 * (q0 + i)], lrow[2 * (q0 + i) + 1]);
                        for x in pb[i * kb..(i + 1) * kb].iter_mut() {
                            *x = if inv == T::ZERO || *x == T::NEG_INF {
                                T::ZERO
                            } else {
                                (*x - mi).vexp() * inv
                            };
                        }
                    }
                    gemm_strided(
                        qb,
                        kb,
                        hv,
                        dsb,
                        0,
                        kb,
                        false,
                        mat(dout, (b * tq * nn + n) * hv + q0 * nn * hv, nn * hv, 1),
                        mat(v, g.v_off(b, n) + k0 * nn * hv, 1, nn * hv),
                    );
                    let dblk = &d[q0..q0 + qb];
                    softmax_backward_rows(g, dsb, pb, mask, b, n, (q0, qb, k0, kb), Some(dblk), sc);
                    write_grads(
                        g,
                        q,
                        k,
                        b,
                        n,
                        dsb,
                        pb,
                        dout,
                        (q0, qb, k0, kb),
                        dqb,
                        dkb,
                        dvb,
                        true,
                    );
                }
            }
        }
    };
    per_batch!(g, body, dq, tq * nn * h, dk, tk * nn * h, dv, tk * nn * hv);
    (dq, dk, dv)
}
