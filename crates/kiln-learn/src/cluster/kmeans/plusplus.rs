//! Greedy k-means++ initialisation (`_kmeans_plusplus`).

use super::kernels::*;
use super::{probabilities, Data};
use crate::cluster::real::Real;
use crate::error::Result;
use crate::linalg::gemm_nt;
use crate::numeric::dot;
use crate::random::RandomState;

/// The squared distances from each of the rows `cands` of the samples to every
/// sample, as scikit-learn's `_euclidean_distances(X[cands], X,
/// Y_norm_squared=..., squared=True)`: `(-2 c·x + |c|²) + |x|²`, clipped at zero, the
/// products `c·x` from one matrix product per block of samples. Returns one vector per
/// candidate.
pub(super) fn sq_distances_to<T: Real>(
    cands: &[usize],
    data: &Data<T>,
    x_sq_norms: &[f64],
) -> Vec<Vec<T>> {
    let (n, d, t) = (data.n, data.d, cands.len());
    let mut c = Vec::with_capacity(t * d);
    let mut buf = Vec::new();
    for &i in cands {
        c.extend_from_slice(T::widen(data.row(i), &mut buf));
    }
    let c_norms: Vec<f64> = c.chunks_exact(d).map(|r| dot(r, r)).collect();
    // samples × candidates
    let mut prod = vec![0.0; n * t];
    let fill = |start: usize, out: &mut [f64]| {
        let mut buf = Vec::new();
        for (b, block) in out.chunks_mut(E_STEP_CHUNK * t).enumerate() {
            let m = block.len() / t;
            let s0 = start + b * E_STEP_CHUNK;
            let rows = T::widen(&data.x[s0 * d..(s0 + m) * d], &mut buf);
            gemm_nt(rows, &c, m, t, d, block, false);
        }
    };
    let threads = threads_for(n.saturating_mul(d).saturating_mul(t), n);
    if threads <= 1 {
        fill(0, &mut prod);
    } else {
        let chunk = n.div_ceil(threads);
        std::thread::scope(|s| {
            for (p, part) in prod.chunks_mut(chunk * t).enumerate() {
                s.spawn(move || fill(p * chunk, part));
            }
        });
    }
    (0..t)
        .map(|j| {
            (0..n)
                .map(|i| {
                    T::from_f64((-2.0 * prod[i * t + j] + c_norms[j]) + x_sq_norms[i]).max(T::ZERO)
                })
                .collect()
        })
        .collect()
}

/// `_kmeans_plusplus`: the first centre drawn with probabilities proportional to the
/// weights, each next one the best of `2 + ln(k)` candidates drawn with probabilities
/// proportional to weight times squared distance to the nearest centre so far.
pub(super) fn kmeans_plusplus<T: Real>(
    data: &Data<T>,
    k: usize,
    x_sq_norms: &[f64],
    rng: &mut RandomState,
) -> Result<Vec<T>> {
    let (n, d) = (data.n, data.d);
    let n_local_trials = 2 + (k as f64).ln() as usize;
    let first = rng.choice_weighted_atol(&probabilities(data.w), T::P_ATOL)?;
    let mut centers = Vec::with_capacity(k * d);
    centers.extend_from_slice(data.row(first));
    let mut closest = sq_distances_to(&[first], data, x_sq_norms).swap_remove(0);
    let mut current_pot = T::dot(&closest, data.w);
    for _ in 1..k {
        let cumulative = T::cumsum(data.w.iter().zip(&closest).map(|(&w, &c)| w * c));
        let candidates: Vec<usize> = rng
            .random_samples(n_local_trials)
            .into_iter()
            .map(|u| {
                let v = u * current_pot.to_f64();
                cumulative.partition_point(|c| c.to_f64() < v).min(n - 1)
            })
            .collect();
        // np.minimum with the current distances, the potential, the first lowest kept
        let all = sq_distances_to(&candidates, data, x_sq_norms);
        let trial = |mut dist: Vec<T>, cand: usize| {
            for (a, b) in dist.iter_mut().zip(&closest) {
                if *b < *a {
                    *a = *b;
                }
            }
            (T::dot(&dist, data.w), dist, cand)
        };
        let mut trials = all.into_iter().zip(candidates.iter().copied());
        let (first_dist, first_cand) = trials.next().expect("at least two candidates");
        let (mut pot, mut dist, mut cand) = trial(first_dist, first_cand);
        for (dc, c) in trials {
            let t = trial(dc, c);
            if t.0 < pot {
                (pot, dist, cand) = t;
            }
        }
        current_pot = pot;
        closest = dist;
        centers.extend_from_slice(data.row(cand));
    }
    Ok(centers)
}
