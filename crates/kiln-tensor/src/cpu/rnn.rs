//! Fused recurrent sequence kernels: LSTM and GRU (both `reset_after` variants) over a
//! whole `(batch, time, ·)` sequence, forward and backward through time.
//!
//! The input projection `x · kernel + bias` of every step is computed by the caller in
//! one GEMM and handed in as the gate buffer; each step then adds `h · recurrent_kernel`
//! into that step's rows with one GEMM (two for GRU with `reset_after = false`) and applies
//! the gate arithmetic in place. Batch rows never interact, so the batch is split into
//! one contiguous block per thread and every thread runs the whole time loop on its block
//! (no synchronisation per step). The buffers are batch-major, so a block of batch rows
//! is a contiguous sub-slice of each buffer.
//!
//! A Keras mask skips steps per batch row: the states are carried unchanged and the
//! output repeats the previous output (zeros before the first kept step, or always
//! zeros with `zero_output`).

use rayon::prelude::*;

use crate::cpu::gemm::{gemm_strided, GemmFloat, MatRef};
use crate::cpu::parallel::num_threads;

/// Work (2·batch·units·gates·units·time flops of recurrent GEMMs) below which a sequence
/// stays on one thread.
const PAR_MIN_FLOPS: usize = 2_000_000;
/// Fewest batch rows a thread's block gets.
const MIN_ROWS: usize = 4;

/// Floats the fused kernels run on, with their gate activations over slices.
pub(crate) trait RnnFloat:
    GemmFloat + std::ops::Sub<Output = Self> + std::ops::Neg<Output = Self>
{
    /// `x = 1 / (1 + e^-x)` in place.
    fn sigmoid_in_place(x: &mut [Self]);
    /// `x = tanh(x)` in place.
    fn tanh_in_place(x: &mut [Self]);
}

impl RnnFloat for f32 {
    fn sigmoid_in_place(x: &mut [f32]) {
        crate::cpu::simd_math::apply_in_place(crate::cpu::simd_math::Sigmoid, x)
    }
    fn tanh_in_place(x: &mut [f32]) {
        crate::cpu::simd_math::apply_in_place(crate::cpu::simd_math::Tanh, x)
    }
}

impl RnnFloat for f64 {
    fn sigmoid_in_place(x: &mut [f64]) {
        for v in x.iter_mut() {
            *v = if *v >= 0.0 {
                1.0 / (1.0 + (-*v).exp())
            } else {
                let e = v.exp();
                e / (1.0 + e)
            };
        }
    }
    fn tanh_in_place(x: &mut [f64]) {
        for v in x.iter_mut() {
            *v = v.tanh();
        }
    }
}

/// Which cell a sequence runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Gates `i, f, c, o`; states `h, c`.
    Lstm,
    /// GRU with the reset gate applied after the recurrent product (`reset_after=True`).
    GruAfter,
    /// GRU with the reset gate applied to `h` before its product (`reset_after=False`).
    GruBefore,
}

impl Kind {
    pub(crate) fn gates(self) -> usize {
        match self {
            Kind::Lstm => 4,
            _ => 3,
        }
    }
    pub(crate) fn states(self) -> usize {
        match self {
            Kind::Lstm => 2,
            _ => 1,
        }
    }
}

/// Sizes and flags of one fused sequence call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Geom {
    pub kind: Kind,
    pub b: usize,
    pub t: usize,
    pub u: usize,
    /// Process the time axis in reverse (outputs stay in processing order).
    pub back: bool,
    /// Masked steps output zeros instead of the previous output.
    pub zero_out: bool,
}

impl Geom {
    /// Rows of the packed output per batch row: `t` outputs, then the final states.
    pub(crate) fn packed_rows(&self) -> usize {
        self.t + self.kind.states()
    }
    fn tx(&self, s: usize) -> usize {
        if self.back {
            self.t - 1 - s
        } else {
            s
        }
    }
    /// Block boundaries (in batch rows) of the thread split.
    fn blocks(&self) -> Vec<usize> {
        let g = self.kind.gates();
        let flops = 2 * self.b * self.u * g * self.u * self.t;
        let nt = num_threads();
        let n = if nt > 1 && flops >= PAR_MIN_FLOPS {
            nt.min(self.b / MIN_ROWS).max(1)
        } else {
            1
        };
        (0..=n).map(|i| i * self.b / n).collect()
    }
}

/// What the backward pass needs, all batch-major and indexed by input time:
/// `gates` the activated gates `(b, t, g·u)`, `hprev` the state `h` entering each step
/// `(b, t, u)`; LSTM: `aux1` = `c` entering each step, `aux2` = `tanh` of the new cell;
/// GRU after: `aux1` = the recurrent product plus recurrent bias `(b, t, 3u)`; GRU
/// before: `aux1` = `r * h` `(b, t, u)`.
pub(crate) struct Saved<V> {
    pub gates: V,
    pub hprev: V,
    pub aux1: V,
    pub aux2: V,
}

/// Splits `buf` (rows of `per_row` elements) at the block boundaries.
fn split<'a, T>(mut buf: &'a mut [T], per_row: usize, bounds: &[usize]) -> Vec<&'a mut [T]> {
    let mut out = Vec::with_capacity(bounds.len() - 1);
    for w in bounds.windows(2) {
        let (head, tail) = buf.split_at_mut((w[1] - w[0]) * per_row);
        out.push(head);
        buf = tail;
    }
    out
}

fn split_ref<'a, T>(buf: &'a [T], per_row: usize, bounds: &[usize]) -> Vec<&'a [T]> {
    bounds
        .windows(2)
        .map(|w| &buf[w[0] * per_row..w[1] * per_row])
        .collect()
}

/// Runs `f` on every block, in parallel when there is more than one.
fn for_blocks<A: Send>(blocks: Vec<A>, f: impl Fn(A) + Sync + Send) {
    if blocks.len() == 1 {
        blocks.into_iter().for_each(f);
    } else {
        blocks.into_par_iter().for_each(f);
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

/// One block's forward buffers.
struct FwdBlock<'a, T> {
    rows: usize,
    gates: &'a mut [T],
    hprev: &'a mut [T],
    aux1: &'a mut [T],
    aux2: &'a mut [T],
    packed: &'a mut [T],
    h0: &'a [T],
    c0: &'a [T],
    mask: Option<&'a [bool]>,
}

/// The forward pass. `gates` holds `x · kernel + input bias` `(b, t, g·u)` in input time
/// order and is overwritten with the activated gates; `rk` is the recurrent kernel
/// `(u, g·u)` row-major; `rbias` the recurrent bias `(3u)` of GRU-after. Returns the
/// packed output `(b, t + states, u)` (outputs in processing order, then the final
/// states) and what the backward pass needs.
#[allow(clippy::too_many_arguments)]
pub(crate) fn forward<T: RnnFloat>(
    g: &Geom,
    mut gates: Vec<T>,
    rk: &[T],
    rbias: Option<&[T]>,
    h0: &[T],
    c0: &[T],
    mask: Option<&[bool]>,
) -> (Vec<T>, Saved<Vec<T>>) {
    let (t, u, gu) = (g.t, g.u, g.kind.gates() * g.u);
    let zero = T::zero();
    let mut hprev = vec![zero; g.b * t * u];
    let (a1, a2) = match g.kind {
        Kind::Lstm => (t * u, t * u),
        Kind::GruAfter => (t * gu, 0),
        Kind::GruBefore => (t * u, 0),
    };
    let mut aux1 = vec![zero; g.b * a1];
    let mut aux2 = vec![zero; g.b * a2];
    let pr = g.packed_rows();
    let mut packed = vec![zero; g.b * pr * u];
    let bounds = g.blocks();
    let blocks: Vec<FwdBlock<T>> = split(&mut gates, t * gu, &bounds)
        .into_iter()
        .zip(split(&mut hprev, t * u, &bounds))
        .zip(split(&mut aux1, a1, &bounds))
        .zip(split(&mut aux2, a2, &bounds))
        .zip(split(&mut packed, pr * u, &bounds))
        .zip(split_ref(h0, u, &bounds))
        .zip(split_ref(c0, if c0.is_empty() { 0 } else { u }, &bounds))
        .zip(bounds.windows(2))
        .map(
            |(((((((gates, hprev), aux1), aux2), packed), h0), c0), w)| FwdBlock {
                rows: w[1] - w[0],
                gates,
                hprev,
                aux1,
                aux2,
                packed,
                h0,
                c0,
                mask: mask.map(|m| &m[w[0] * t..w[1] * t]),
            },
        )
        .collect();
    for_blocks(blocks, |blk| forward_block(g, blk, rk, rbias));
    (
        packed,
        Saved {
            gates,
            hprev,
            aux1,
            aux2,
        },
    )
}

fn forward_block<T: RnnFloat>(g: &Geom, k: FwdBlock<T>, rk: &[T], rbias: Option<&[T]>) {
    let FwdBlock {
        rows,
        gates,
        hprev,
        aux1,
        aux2,
        packed,
        h0,
        c0,
        mask,
    } = k;
    if rows == 0 {
        return;
    }
    let (t, u) = (g.t, g.u);
    let gu = g.kind.gates() * u;
    let pr = g.packed_rows();
    let tx0 = g.tx(0);
    for bl in 0..rows {
        let o = (bl * t + tx0) * u;
        hprev[o..o + u].copy_from_slice(&h0[bl * u..(bl + 1) * u]);
        if g.kind == Kind::Lstm {
            aux1[o..o + u].copy_from_slice(&c0[bl * u..(bl + 1) * u]);
        }
    }
    let mut hn = vec![T::zero(); u];
    let mut cn = vec![T::zero(); u];
    // GRU-before: the z/r part of the recurrent product, then the candidate's product.
    let mut tmp = match g.kind {
        Kind::GruBefore => vec![T::zero(); rows * 2 * u],
        _ => Vec::new(),
    };
    let mut tmp_h = match g.kind {
        Kind::GruBefore => vec![T::zero(); rows * u],
        _ => Vec::new(),
    };
    for s in 0..t {
        let tx = g.tx(s);
        let hview = mat(hprev, tx * u, t * u, 1);
        match g.kind {
            Kind::Lstm => gemm_strided(
                rows,
                gu,
                u,
                gates,
                tx * gu,
                t * gu,
                true,
                hview,
                mat(rk, 0, gu, 1),
            ),
            Kind::GruAfter => gemm_strided(
                rows,
                gu,
                u,
                aux1,
                tx * gu,
                t * gu,
                false,
                hview,
                mat(rk, 0, gu, 1),
            ),
            Kind::GruBefore => gemm_strided(
                rows,
                2 * u,
                u,
                &mut tmp,
                0,
                2 * u,
                false,
                hview,
                mat(rk, 0, gu, 1),
            ),
        }
        if g.kind == Kind::GruBefore {
            // z, r first: the candidate's product needs r * h.
            for bl in 0..rows {
                let row = (bl * t + tx) * gu;
                let z = &mut gates[row..row + 2 * u];
                for (zv, &tv) in z.iter_mut().zip(&tmp[bl * 2 * u..(bl + 1) * 2 * u]) {
                    *zv += tv;
                }
                T::sigmoid_in_place(z);
                let hr = (bl * t + tx) * u;
                for j in 0..u {
                    aux1[hr + j] = gates[row + u + j] * hprev[hr + j];
                }
            }
            gemm_strided(
                rows,
                u,
                u,
                &mut tmp_h,
                0,
                u,
                false,
                mat(aux1, tx * u, t * u, 1),
                mat(rk, 2 * u, gu, 1),
            );
        }
        for bl in 0..rows {
            let row = (bl * t + tx) * gu;
            let hr = (bl * t + tx) * u;
            let z = &mut gates[row..row + gu];
            match g.kind {
                Kind::Lstm => {
                    T::sigmoid_in_place(&mut z[..2 * u]);
                    T::tanh_in_place(&mut z[2 * u..3 * u]);
                    T::sigmoid_in_place(&mut z[3 * u..]);
                    let cp = &aux1[hr..hr + u];
                    for j in 0..u {
                        cn[j] = z[u + j] * cp[j] + z[j] * z[2 * u + j];
                    }
                    let tc = &mut aux2[hr..hr + u];
                    tc.copy_from_slice(&cn);
                    T::tanh_in_place(tc);
                    for j in 0..u {
                        hn[j] = z[3 * u + j] * tc[j];
                    }
                }
                Kind::GruAfter => {
                    let hp = &mut aux1[row..row + gu];
                    if let Some(rb) = rbias {
                        for (v, &b) in hp.iter_mut().zip(rb) {
                            *v += b;
                        }
                    }
                    for j in 0..2 * u {
                        z[j] += hp[j];
                    }
                    T::sigmoid_in_place(&mut z[..2 * u]);
                    for j in 0..u {
                        z[2 * u + j] += z[u + j] * hp[2 * u + j];
                    }
                    T::tanh_in_place(&mut z[2 * u..]);
                    for j in 0..u {
                        let hh = z[2 * u + j];
                        hn[j] = hh + z[j] * (hprev[hr + j] - hh);
                    }
                }
                Kind::GruBefore => {
                    for j in 0..u {
                        z[2 * u + j] += tmp_h[bl * u + j];
                    }
                    T::tanh_in_place(&mut z[2 * u..]);
                    for j in 0..u {
                        let hh = z[2 * u + j];
                        hn[j] = hh + z[j] * (hprev[hr + j] - hh);
                    }
                }
            }
            let keep = mask.is_none_or(|m| m[bl * t + tx]);
            // Where the states after this step go: the next step's "entering" slots, or
            // the final-state rows of the packed output.
            let base = bl * pr * u;
            if s + 1 < t {
                let nx = (bl * t + g.tx(s + 1)) * u;
                if keep {
                    hprev[nx..nx + u].copy_from_slice(&hn);
                } else {
                    hprev.copy_within(hr..hr + u, nx);
                }
                if g.kind == Kind::Lstm {
                    if keep {
                        aux1[nx..nx + u].copy_from_slice(&cn);
                    } else {
                        aux1.copy_within(hr..hr + u, nx);
                    }
                }
            } else {
                let fh = base + t * u;
                packed[fh..fh + u].copy_from_slice(if keep { &hn[..] } else { &hprev[hr..hr + u] });
                if g.kind == Kind::Lstm {
                    let fc = base + (t + 1) * u;
                    packed[fc..fc + u].copy_from_slice(if keep {
                        &cn[..]
                    } else {
                        &aux1[hr..hr + u]
                    });
                }
            }
            let os = base + s * u;
            if keep {
                packed[os..os + u].copy_from_slice(&hn);
            } else if g.zero_out || s == 0 {
                packed[os..os + u].fill(T::zero());
            } else {
                packed.copy_within(os - u..os, os);
            }
        }
    }
}

/// The backward pass's results: `dgates` the gradient of the pre-activation input
/// projection `(b, t, g·u)` (input time order); `drec` (GRU-after only) that of the
/// recurrent product plus bias `(b, t, 3u)`; `dh0`, `dc0` those of the initial states.
pub(crate) struct Grads<T> {
    pub dgates: Vec<T>,
    pub drec: Vec<T>,
    pub dh0: Vec<T>,
    pub dc0: Vec<T>,
}

struct BwdBlock<'a, T> {
    rows: usize,
    gates: &'a [T],
    hprev: &'a [T],
    aux1: &'a [T],
    aux2: &'a [T],
    dpacked: &'a [T],
    mask: Option<&'a [bool]>,
    dgates: &'a mut [T],
    drec: &'a mut [T],
    dh0: &'a mut [T],
    dc0: &'a mut [T],
}

/// Backpropagation through time from the gradient of the packed output.
pub(crate) fn backward<T: RnnFloat>(
    g: &Geom,
    saved: &Saved<&[T]>,
    rk: &[T],
    dpacked: &[T],
    mask: Option<&[bool]>,
) -> Grads<T> {
    let (t, u, gu) = (g.t, g.u, g.kind.gates() * g.u);
    let zero = T::zero();
    let mut dgates = vec![zero; g.b * t * gu];
    let dr = if g.kind == Kind::GruAfter { t * gu } else { 0 };
    let mut drec = vec![zero; g.b * dr];
    let mut dh0 = vec![zero; g.b * u];
    let dcs = if g.kind == Kind::Lstm { u } else { 0 };
    let mut dc0 = vec![zero; g.b * dcs];
    let (a1, a2) = match g.kind {
        Kind::Lstm => (t * u, t * u),
        Kind::GruAfter => (t * gu, 0),
        Kind::GruBefore => (t * u, 0),
    };
    let pr = g.packed_rows();
    let bounds = g.blocks();
    let blocks: Vec<BwdBlock<T>> = split(&mut dgates, t * gu, &bounds)
        .into_iter()
        .zip(split(&mut drec, dr, &bounds))
        .zip(split(&mut dh0, u, &bounds))
        .zip(split(&mut dc0, dcs, &bounds))
        .zip(bounds.windows(2))
        .map(|((((dgates, drec), dh0), dc0), w)| {
            let (b0, b1) = (w[0], w[1]);
            BwdBlock {
                rows: b1 - b0,
                gates: &saved.gates[b0 * t * gu..b1 * t * gu],
                hprev: &saved.hprev[b0 * t * u..b1 * t * u],
                aux1: &saved.aux1[b0 * a1..b1 * a1],
                aux2: &saved.aux2[b0 * a2..b1 * a2],
                dpacked: &dpacked[b0 * pr * u..b1 * pr * u],
                mask: mask.map(|m| &m[b0 * t..b1 * t]),
                dgates,
                drec,
                dh0,
                dc0,
            }
        })
        .collect();
    for_blocks(blocks, |blk| backward_block(g, blk, rk));
    Grads {
        dgates,
        drec,
        dh0,
        dc0,
    }
}

fn backward_block<T: RnnFloat>(g: &Geom, k: BwdBlock<T>, rk: &[T]) {
    let BwdBlock {
        rows,
        gates,
        hprev,
        aux1,
        aux2,
        dpacked,
        mask,
        dgates,
        drec,
        dh0,
        dc0,
    } = k;
    if rows == 0 {
        return;
    }
    let (t, u) = (g.t, g.u);
    let gu = g.kind.gates() * u;
    let pr = g.packed_rows();
    let one = T::one();
    // Gradients flowing into the states after the current step, and into the previous
    // output through a masked step that repeated it.
    let mut dh = vec![T::zero(); rows * u];
    let mut dc = vec![T::zero(); if g.kind == Kind::Lstm { rows * u } else { 0 }];
    let mut dcar = vec![T::zero(); rows * u];
    let mut tmp = vec![T::zero(); rows * u];
    for bl in 0..rows {
        let base = bl * pr * u;
        dh[bl * u..(bl + 1) * u].copy_from_slice(&dpacked[base + t * u..base + (t + 1) * u]);
        if g.kind == Kind::Lstm {
            dc[bl * u..(bl + 1) * u]
                .copy_from_slice(&dpacked[base + (t + 1) * u..base + (t + 2) * u]);
        }
    }
    let keep_of = |bl: usize, tx: usize| mask.is_none_or(|m| m[bl * t + tx]);
    for s in (0..t).rev() {
        let tx = g.tx(s);
        for bl in 0..rows {
            let keep = keep_of(bl, tx);
            let os = bl * pr * u + s * u;
            let hr = (bl * t + tx) * u;
            let row = (bl * t + tx) * gu;
            let dcr = &mut dcar[bl * u..(bl + 1) * u];
            if !keep {
                // The step passed its states through and repeated (or zeroed) the output.
                for j in 0..u {
                    let gout = dpacked[os + j] + dcr[j];
                    dcr[j] = if g.zero_out { T::zero() } else { gout };
                }
                continue;
            }
            let dhr = &mut dh[bl * u..(bl + 1) * u];
            let a = &gates[row..row + gu];
            let dz = &mut dgates[row..row + gu];
            match g.kind {
                Kind::Lstm => {
                    let dcrow = &mut dc[bl * u..(bl + 1) * u];
                    let cp = &aux1[hr..hr + u];
                    let tc = &aux2[hr..hr + u];
                    for j in 0..u {
                        let dht = dpacked[os + j] + dcr[j] + dhr[j];
                        let (i, f, c, o) = (a[j], a[u + j], a[2 * u + j], a[3 * u + j]);
                        let tcj = tc[j];
                        let dct = dcrow[j] + dht * o * (one - tcj * tcj);
                        dz[j] = dct * c * i * (one - i);
                        dz[u + j] = dct * cp[j] * f * (one - f);
                        dz[2 * u + j] = dct * i * (one - c * c);
                        dz[3 * u + j] = dht * tcj * o * (one - o);
                        dcrow[j] = dct * f;
                        dcr[j] = T::zero();
                    }
                }
                Kind::GruAfter => {
                    let hp = &aux1[row..row + gu];
                    let dhp = &mut drec[row..row + gu];
                    for j in 0..u {
                        let gt = dpacked[os + j] + dcr[j] + dhr[j];
                        let (z, r, hh) = (a[j], a[u + j], a[2 * u + j]);
                        let dzp = gt * (hprev[hr + j] - hh) * z * (one - z);
                        let dhhp = gt * (one - z) * (one - hh * hh);
                        let drp = dhhp * hp[2 * u + j] * r * (one - r);
                        dz[j] = dzp;
                        dz[u + j] = drp;
                        dz[2 * u + j] = dhhp;
                        dhp[j] = dzp;
                        dhp[u + j] = drp;
                        dhp[2 * u + j] = dhhp * r;
                        // The direct path h_prev -> z * h_prev; the product's part is
                        // added after the GEMM.
                        dhr[j] = gt * z;
                        dcr[j] = T::zero();
                    }
                }
                Kind::GruBefore => {
                    for j in 0..u {
                        let gt = dpacked[os + j] + dcr[j] + dhr[j];
                        let (z, hh) = (a[j], a[2 * u + j]);
                        dz[j] = gt * (hprev[hr + j] - hh) * z * (one - z);
                        dz[2 * u + j] = gt * (one - z) * (one - hh * hh);
                        dhr[j] = gt * z;
                        dcr[j] = T::zero();
                    }
                }
            }
        }
        // The gradient reaching h_prev through the recurrent product(s).
        match g.kind {
            Kind::Lstm => gemm_strided(
                rows,
                u,
                gu,
                &mut tmp,
                0,
                u,
                false,
                mat(dgates, tx * gu, t * gu, 1),
                mat(rk, 0, 1, gu),
            ),
            Kind::GruAfter => gemm_strided(
                rows,
                u,
                gu,
                &mut tmp,
                0,
                u,
                false,
                mat(drec, tx * gu, t * gu, 1),
                mat(rk, 0, 1, gu),
            ),
            Kind::GruBefore => {
                // d(r * h) from the candidate's product, then dr and the direct r path.
                gemm_strided(
                    rows,
                    u,
                    u,
                    &mut tmp,
                    0,
                    u,
                    false,
                    mat(dgates, tx * gu + 2 * u, t * gu, 1),
                    mat(rk, 2 * u, 1, gu),
                );
                for bl in 0..rows {
                    if !keep_of(bl, tx) {
                        continue;
                    }
                    let hr = (bl * t + tx) * u;
                    let row = (bl * t + tx) * gu;
                    for j in 0..u {
                        let drh = tmp[bl * u + j];
                        let r = gates[row + u + j];
                        dgates[row + u + j] = drh * hprev[hr + j] * r * (one - r);
                        dh[bl * u + j] += drh * r;
                    }
                }
                gemm_strided(
                    rows,
                    u,
                    2 * u,
                    &mut tmp,
                    0,
                    u,
                    false,
                    mat(dgates, tx * gu, t * gu, 1),
                    mat(rk, 0, 1, gu),
                );
            }
        }
        for bl in 0..rows {
            if !keep_of(bl, tx) {
                continue;
            }
            let (d, p) = (&mut dh[bl * u..(bl + 1) * u], &tmp[bl * u..(bl + 1) * u]);
            if g.kind == Kind::Lstm {
                d.copy_from_slice(p);
            } else {
                for (x, &y) in d.iter_mut().zip(p) {
                    *x += y;
                }
            }
        }
    }
    dh0.copy_from_slice(&dh);
    dc0.copy_from_slice(&dc);
}
