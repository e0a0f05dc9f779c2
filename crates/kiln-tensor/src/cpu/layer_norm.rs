//! Layer normalization over the last axis in one pass per row (forward) and one per row
//! (backward), instead of the dozen whole-tensor ops the composed formula records.
//!
//! Forward, per row of `n`: `mean`, `var = mean((x - mean)²)` (two passes, as
//! `Tensor::variance`), `rstd = 1/sqrt(var + eps)`, `y = (x - mean)·rstd·γ + β`.
//! Backward with `x̂ = (x - mean)·rstd` and `g = dy·γ`:
//! `dx = rstd·(g - mean(g) - x̂·mean(g·x̂))`, `dγ = Σ_rows dy·x̂`, `dβ = Σ_rows dy`.

use rayon::prelude::*;

use crate::cpu::conv::ConvFloat;
#[cfg(target_arch = "x86_64")]
use crate::cpu::conv_direct::{as_f32, as_f32_mut};
use crate::cpu::parallel::{chunk_len, num_threads, ELEMENTWISE_PAR_MIN};

/// The float types the kernels run on (f32, f64), with the square root they need.
pub(crate) trait NormFloat: ConvFloat {
    fn sqrt(self) -> Self;
}

impl NormFloat for f32 {
    #[inline]
    fn sqrt(self) -> f32 {
        f32::sqrt(self)
    }
}

impl NormFloat for f64 {
    #[inline]
    fn sqrt(self) -> f64 {
        f64::sqrt(self)
    }
}

/// Per-row statistics saved by the forward pass for the backward one.
pub(crate) struct Stats<T> {
    pub mean: Vec<T>,
    pub rstd: Vec<T>,
}

/// `Σ f(i)` over `0..n` with eight independent partial sums, so the loop vectorises (a
/// single accumulator is a serial chain the compiler may not reorder).
#[inline(always)]
fn lane_sum<T: NormFloat>(n: usize, f: impl Fn(usize) -> T) -> T {
    let mut acc = [T::ZERO; 8];
    let full = n / 8 * 8;
    let mut i = 0;
    while i < full {
        for (l, a) in acc.iter_mut().enumerate() {
            *a += f(i + l);
        }
        i += 8;
    }
    let mut tail = T::ZERO;
    for j in full..n {
        tail += f(j);
    }
    let pairs = [
        acc[0] + acc[4],
        acc[1] + acc[5],
        acc[2] + acc[6],
        acc[3] + acc[7],
    ];
    (pairs[0] + pairs[2]) + (pairs[1] + pairs[3]) + tail
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn forward_rows_body<T: NormFloat>(
    x: &[T],
    y: &mut [T],
    mean: &mut [T],
    rstd: &mut [T],
    n: usize,
    gamma: Option<&[T]>,
    beta: Option<&[T]>,
    eps: T,
) {
    let inv_n = T::ONE / T::from_usize(n);
    for (r, (xr, yr)) in x.chunks_exact(n).zip(y.chunks_exact_mut(n)).enumerate() {
        let m = lane_sum(n, |i| xr[i]) * inv_n;
        let var = lane_sum(n, |i| {
            let d = xr[i] - m;
            d * d
        }) * inv_n;
        let s = T::ONE / (var + eps).sqrt();
        mean[r] = m;
        rstd[r] = s;
        match (gamma, beta) {
            (Some(g), Some(b)) => {
                for i in 0..n {
                    yr[i] = (xr[i] - m) * s * g[i] + b[i];
                }
            }
            (Some(g), None) => {
                for i in 0..n {
                    yr[i] = (xr[i] - m) * s * g[i];
                }
            }
            (None, Some(b)) => {
                for i in 0..n {
                    yr[i] = (xr[i] - m) * s + b[i];
                }
            }
            (None, None) => {
                for i in 0..n {
                    yr[i] = (xr[i] - m) * s;
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn forward_rows_avx512(
    x: &[f32],
    y: &mut [f32],
    mean: &mut [f32],
    rstd: &mut [f32],
    n: usize,
    gamma: Option<&[f32]>,
    beta: Option<&[f32]>,
    eps: f32,
) {
    forward_rows_body(x, y, mean, rstd, n, gamma, beta, eps)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn forward_rows_avx2(
    x: &[f32],
    y: &mut [f32],
    mean: &mut [f32],
    rstd: &mut [f32],
    n: usize,
    gamma: Option<&[f32]>,
    beta: Option<&[f32]>,
    eps: f32,
) {
    forward_rows_body(x, y, mean, rstd, n, gamma, beta, eps)
}

#[allow(clippy::too_many_arguments)]
fn forward_rows<T: NormFloat>(
    x: &[T],
    y: &mut [T],
    mean: &mut [T],
    rstd: &mut [T],
    n: usize,
    gamma: Option<&[T]>,
    beta: Option<&[T]>,
    eps: f64,
) {
    #[cfg(target_arch = "x86_64")]
    if crate::cpu::dispatch::cpu_path() != crate::cpu::dispatch::CpuPath::Portable
        && let (Some(xf), Some(yf), Some(mf), Some(sf)) =
            (as_f32(x), as_f32_mut(y), as_f32_mut(mean), as_f32_mut(rstd))
    {
        let g = gamma.and_then(as_f32);
        let b = beta.and_then(as_f32);
        let e = eps as f32;
        return crate::cpu::dispatch::dispatch!(
            avx512 => forward_rows_avx512(xf, yf, mf, sf, n, g, b, e),
            avx2 => forward_rows_avx2(xf, yf, mf, sf, n, g, b, e),
            portable => unreachable!("the portable path was excluded above"),
        );
    }
    forward_rows_body(x, y, mean, rstd, n, gamma, beta, T::from_f64(eps))
}

/// Normalizes each row of `n` elements of `x` (`rows x n`, row-major).
pub(crate) fn forward<T: NormFloat>(
    x: &[T],
    n: usize,
    gamma: Option<&[T]>,
    beta: Option<&[T]>,
    eps: f64,
) -> (Vec<T>, Stats<T>) {
    let rows = x.len().checked_div(n).unwrap_or(0);
    let mut y = crate::cpu::alloc::overwritten(x.len(), T::ZERO);
    let mut mean = vec![T::ZERO; rows];
    let mut rstd = vec![T::ZERO; rows];
    if rows == 0 {
        return (y, Stats { mean, rstd });
    }
    if x.len() >= ELEMENTWISE_PAR_MIN && num_threads() > 1 && rows > 1 {
        let per = chunk_len(rows, 1);
        y.par_chunks_mut(per * n)
            .zip(x.par_chunks(per * n))
            .zip(mean.par_chunks_mut(per).zip(rstd.par_chunks_mut(per)))
            .for_each(|((yc, xc), (mc, sc))| forward_rows(xc, yc, mc, sc, n, gamma, beta, eps));
    } else {
        forward_rows(x, &mut y, &mut mean, &mut rstd, n, gamma, beta, eps);
    }
    (y, Stats { mean, rstd })
}

/// Backward over a block of rows: writes `dx` (when given) and adds into the block's
/// `dγ`/`dβ` partial sums.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn backward_rows_body<T: NormFloat>(
    x: &[T],
    dy: &[T],
    mean: &[T],
    rstd: &[T],
    n: usize,
    gamma: Option<&[T]>,
    mut dx: Option<&mut [T]>,
    dgamma: &mut [T],
    dbeta: &mut [T],
) {
    let inv_n = T::ONE / T::from_usize(n);
    for (r, (xr, gr)) in x.chunks_exact(n).zip(dy.chunks_exact(n)).enumerate() {
        let (m, s) = (mean[r], rstd[r]);
        for i in 0..n {
            let xh = (xr[i] - m) * s;
            dgamma[i] += gr[i] * xh;
            dbeta[i] += gr[i];
        }
        let Some(dx) = dx.as_deref_mut() else {
            continue;
        };
        let dxr = &mut dx[r * n..(r + 1) * n];
        let gi = |i: usize| match gamma {
            Some(g) => gr[i] * g[i],
            None => gr[i],
        };
        let mg = lane_sum(n, gi) * inv_n;
        let mgx = lane_sum(n, |i| gi(i) * ((xr[i] - m) * s)) * inv_n;
        for i in 0..n {
            let xh = (xr[i] - m) * s;
            dxr[i] = s * (gi(i) - mg - xh * mgx);
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn backward_rows_avx512(
    x: &[f32],
    dy: &[f32],
    mean: &[f32],
    rstd: &[f32],
    n: usize,
    gamma: Option<&[f32]>,
    dx: Option<&mut [f32]>,
    dgamma: &mut [f32],
    dbeta: &mut [f32],
) {
    backward_rows_body(x, dy, mean, rstd, n, gamma, dx, dgamma, dbeta)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn backward_rows_avx2(
    x: &[f32],
    dy: &[f32],
    mean: &[f32],
    rstd: &[f32],
    n: usize,
    gamma: Option<&[f32]>,
    dx: Option<&mut [f32]>,
    dgamma: &mut [f32],
    dbeta: &mut [f32],
) {
    backward_rows_body(x, dy, mean, rstd, n, gamma, dx, dgamma, dbeta)
}

#[allow(clippy::too_many_arguments)]
fn backward_rows<T: NormFloat>(
    x: &[T],
    dy: &[T],
    mean: &[T],
    rstd: &[T],
    n: usize,
    gamma: Option<&[T]>,
    dx: Option<&mut [T]>,
    dgamma: &mut [T],
    dbeta: &mut [T],
) {
    #[cfg(target_arch = "x86_64")]
    if crate::cpu::dispatch::cpu_path() != crate::cpu::dispatch::CpuPath::Portable
        && let (Some(xf), Some(gf), Some(mf), Some(sf)) =
            (as_f32(x), as_f32(dy), as_f32(mean), as_f32(rstd))
    {
        let ga = gamma.and_then(as_f32);
        let dxf = dx.and_then(as_f32_mut);
        let dg = as_f32_mut(dgamma).expect("same type as x");
        let db = as_f32_mut(dbeta).expect("same type as x");
        return crate::cpu::dispatch::dispatch!(
            avx512 => backward_rows_avx512(xf, gf, mf, sf, n, ga, dxf, dg, db),
            avx2 => backward_rows_avx2(xf, gf, mf, sf, n, ga, dxf, dg, db),
            portable => unreachable!("the portable path was excluded above"),
        );
    }
    backward_rows_body(x, dy, mean, rstd, n, gamma, dx, dgamma, dbeta)
}

/// Gradients of [`forward`]: `(dx, dγ, dβ)`; `dx` only when `need_dx`.
pub(crate) fn backward<T: NormFloat>(
    x: &[T],
    dy: &[T],
    stats: &Stats<T>,
    n: usize,
    gamma: Option<&[T]>,
    need_dx: bool,
) -> (Option<Vec<T>>, Vec<T>, Vec<T>) {
    let rows = stats.mean.len();
    let mut dx = need_dx.then(|| crate::cpu::alloc::overwritten(x.len(), T::ZERO));
    if rows == 0 {
        return (dx, vec![T::ZERO; n], vec![T::ZERO; n]);
    }
    let (mean, rstd) = (&stats.mean[..], &stats.rstd[..]);
    if x.len() >= ELEMENTWISE_PAR_MIN && num_threads() > 1 && rows > 1 {
        let per = chunk_len(rows, 1);
        let blocks = rows.div_ceil(per);
        // One dγ/dβ partial per block, summed in block order (deterministic).
        let mut partial = vec![T::ZERO; blocks * 2 * n];
        let run = |(bi, (part, dxc)): (usize, (&mut [T], Option<&mut [T]>))| {
            let r0 = bi * per;
            let r1 = (r0 + per).min(rows);
            let (dg, db) = part.split_at_mut(n);
            backward_rows(
                &x[r0 * n..r1 * n],
                &dy[r0 * n..r1 * n],
                &mean[r0..r1],
                &rstd[r0..r1],
                n,
                gamma,
                dxc,
                dg,
                db,
            );
        };
        match dx.as_deref_mut() {
            Some(d) => partial
                .par_chunks_mut(2 * n)
                .zip(d.par_chunks_mut(per * n))
                .enumerate()
                .for_each(|(bi, (p, d))| run((bi, (p, Some(d))))),
            None => partial
                .par_chunks_mut(2 * n)
                .enumerate()
                .for_each(|(bi, p)| run((bi, (p, None)))),
        }
        let mut dg = vec![T::ZERO; n];
        let mut db = vec![T::ZERO; n];
        for p in partial.chunks_exact(2 * n) {
            for i in 0..n {
                dg[i] += p[i];
                db[i] += p[n + i];
            }
        }
        (dx, dg, db)
    } else {
        let mut dg = vec![T::ZERO; n];
        let mut db = vec![T::ZERO; n];
        backward_rows(
            x,
            dy,
            mean,
            rstd,
            n,
            gamma,
            dx.as_deref_mut(),
            &mut dg,
            &mut db,
        );
        (dx, dg, db)
    }
}
