//! Lloyd's algorithm (`_kmeans_single_lloyd` and `_k_means_lloyd.pyx`): a fused
//! E-step (nearest centre by matrix-product scores) and M-step per iteration.

use super::kernels::*;
use super::{Data, Run};
use crate::cluster::real::Real;

/// `_kmeans_single_lloyd`.
pub(super) fn lloyd<T: Real>(
    data: &Data<T>,
    centers_init: Vec<T>,
    k: usize,
    max_iter: usize,
    tol: T,
) -> Run<T> {
    let threads = threads_for(data.n.saturating_mul(k).saturating_mul(data.d), data.n);
    lloyd_on(data, centers_init, k, max_iter, tol, threads)
}

/// `lloyd_iter_chunked_dense`: one pass over the samples, each sample's label from its
/// dot products with the centres (SIMD, dispatched at run time), then the sample added
/// (weighted, in order) to its cluster's sum while it is in cache. With several threads, thread `t`
/// takes the `t`-th contiguous block of chunks (OpenMP's static schedule), sums into
/// its own buffers, and the per-thread sums are added in thread order, as scikit-learn
/// does with that many OpenMP threads; one thread sums in sample order.
pub(super) fn lloyd_iter<T: Real>(
    data: &Data<T>,
    centers: &[T],
    k: usize,
    labels: &mut [usize],
    centers_new: &mut [T],
    weight_in_clusters: &mut [T],
    threads: usize,
) {
    let (n, d) = (data.n, data.d);
    let norms: Vec<T> = centers.chunks_exact(d).map(|c| T::dot(c, c)).collect();
    let run = |first: usize, labels: &mut [usize], sums: &mut [T], weights: &mut [T]| {
        sums.fill(T::ZERO);
        weights.fill(T::ZERO);
        let mut scores = vec![T::ZERO; 4 * k];
        let mut r = 0;
        while r < labels.len() {
            // four samples' products at once (each centre read once per four), then
            // the four samples in order
            let group = (labels.len() - r).min(4);
            let i0 = first + r;
            if group == 4 {
                T::dots4(&data.x[i0 * d..(i0 + 4) * d], centers, k, &mut scores);
            } else {
                for g in 0..group {
                    T::dots(data.row(i0 + g), centers, &mut scores[g * k..(g + 1) * k]);
                }
            }
            for g in 0..group {
                let i = i0 + g;
                let best = nearest_score(&scores[g * k..(g + 1) * k], &norms);
                labels[r + g] = best;
                let w = data.w[i];
                weights[best] += w;
                T::add_scaled(&mut sums[best * d..(best + 1) * d], data.row(i), w);
            }
            r += group;
        }
    };
    let n_chunks = n.div_ceil(E_STEP_CHUNK);
    let threads = threads.clamp(1, n_chunks.max(1));
    if threads == 1 {
        run(0, labels, centers_new, weight_in_clusters);
        return;
    }
    // OpenMP's static schedule: the first n_chunks % threads threads take one more
    let (q, r) = (n_chunks / threads, n_chunks % threads);
    let mut parts: Vec<(usize, &mut [usize])> = Vec::with_capacity(threads);
    let mut rest = labels;
    let mut first = 0;
    for t in 0..threads {
        let chunks = q + usize::from(t < r);
        let len = (chunks * E_STEP_CHUNK).min(rest.len());
        let (head, tail) = rest.split_at_mut(len);
        parts.push((first, head));
        first += len;
        rest = tail;
    }
    let mut buffers: Vec<(Vec<T>, Vec<T>)> = (0..threads)
        .map(|_| (vec![T::ZERO; k * d], vec![T::ZERO; k]))
        .collect();
    std::thread::scope(|s| {
        for ((first, part), (sums, weights)) in parts.into_iter().zip(buffers.iter_mut()) {
            let run = &run;
            s.spawn(move || run(first, part, sums, weights));
        }
    });
    centers_new.fill(T::ZERO);
    weight_in_clusters.fill(T::ZERO);
    for (sums, weights) in &buffers {
        for (a, &b) in centers_new.iter_mut().zip(sums) {
            *a += b;
        }
        for (a, &b) in weight_in_clusters.iter_mut().zip(weights) {
            *a += b;
        }
    }
}

pub(super) fn lloyd_on<T: Real>(
    data: &Data<T>,
    centers_init: Vec<T>,
    k: usize,
    max_iter: usize,
    tol: T,
    threads: usize,
) -> Run<T> {
    let d = data.d;
    let mut centers = centers_init;
    let mut centers_new = vec![T::ZERO; k * d];
    let mut weight_in_clusters = vec![T::ZERO; k];
    let mut shift = vec![T::ZERO; k];
    let mut labels = vec![usize::MAX; data.n];
    let mut labels_old = labels.clone();
    let mut strict = false;
    let mut iterations = 0;
    for i in 0..max_iter {
        iterations = i + 1;
        lloyd_iter(
            data,
            &centers,
            k,
            &mut labels,
            &mut centers_new,
            &mut weight_in_clusters,
            threads,
        );
        relocate_empty_clusters(
            data,
            &centers,
            &mut centers_new,
            &mut weight_in_clusters,
            &labels,
        );
        average_centers(&mut centers_new, &weight_in_clusters, d);
        center_shift(&centers, &centers_new, d, &mut shift);
        std::mem::swap(&mut centers, &mut centers_new);
        if labels == labels_old {
            strict = true;
            break;
        }
        let squares: Vec<T> = shift.iter().map(|&s| s * s).collect();
        if T::np_sum(&squares) <= tol {
            break;
        }
        labels_old.copy_from_slice(&labels);
    }
    if !strict {
        // a last E-step, so that the labels go with the final centres
        assign_labels(data.x, d, &centers, k, &mut labels);
    }
    Run {
        inertia: inertia(data, &centers, &labels),
        labels,
        centers,
        n_iter: iterations,
    }
}
