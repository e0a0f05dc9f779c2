//! Elkan's algorithm (`_kmeans_single_elkan` and `_k_means_elkan.pyx`): Lloyd's
//! iterations with triangle-inequality bounds that skip most distance computations.

use super::kernels::*;
use super::{Data, Run};
use crate::cluster::real::Real;
use crate::numeric::dot;

/// Half the pairwise distances between centres, by scikit-learn's
/// `euclidean_distances(centers) / 2` (`((-2 a·b + |a|²) + |b|²)`, clipped at zero, zero
/// diagonal), and each centre's distance to its nearest other centre (the second
/// smallest entry of its column).
pub(super) fn center_half_distances<T: Real>(
    centers: &[T],
    k: usize,
    d: usize,
) -> (Vec<T>, Vec<T>) {
    // float32 centres: the distances on float64 copies, rounded to float32 before the
    // square root (`_euclidean_distances_upcast`)
    let mut buf = Vec::new();
    let centers64 = T::widen(centers, &mut buf);
    let norms: Vec<f64> = centers64.chunks_exact(d).map(|c| dot(c, c)).collect();
    let mut half = vec![T::ZERO; k * k];
    for i in 0..k {
        for j in 0..k {
            if i != j {
                let ci = &centers64[i * d..(i + 1) * d];
                let cj = &centers64[j * d..(j + 1) * d];
                let sq = (-2.0 * dot(ci, cj) + norms[i]) + norms[j];
                half[i * k + j] = T::from_f64(sq).max(T::ZERO).sqrt() / T::TWO;
            }
        }
    }
    let next = (0..k)
        .map(|j| {
            let mut column: Vec<T> = (0..k).map(|i| half[i * k + j]).collect();
            column.sort_by(T::total_cmp);
            column.get(1).copied().unwrap_or(T::ZERO)
        })
        .collect();
    (half, next)
}

/// Elkan's per-sample state: the upper bound on the distance to the own centre and the
/// lower bounds on the distances to every centre.
pub(super) struct Bounds<T> {
    pub(super) upper: Vec<T>,
    pub(super) lower: Vec<T>,
}

/// `init_bounds_dense`: labels and bounds from the initial centres, skipping the
/// centres the triangle inequality rules out.
pub(super) fn init_bounds<T: Real>(
    data: &Data<T>,
    centers: &[T],
    half: &[T],
    k: usize,
    labels: &mut [usize],
) -> Bounds<T> {
    let d = data.d;
    let mut upper = vec![T::ZERO; data.n];
    let mut lower = vec![T::ZERO; data.n * k];
    for i in 0..data.n {
        let x = data.row(i);
        let mut best = 0;
        let mut min = sq_distance(x, &centers[..d]).sqrt();
        lower[i * k] = min;
        for j in 1..k {
            if min > half[best * k + j] {
                let dist = sq_distance(x, &centers[j * d..(j + 1) * d]).sqrt();
                lower[i * k + j] = dist;
                if dist < min {
                    min = dist;
                    best = j;
                }
            }
        }
        labels[i] = best;
        upper[i] = min;
    }
    Bounds { upper, lower }
}

/// The label pass of `elkan_iter_chunked_dense` for a run of samples starting at
/// `start`: bounds are tightened and distances computed only where they can change
/// the label.
#[allow(clippy::too_many_arguments)]
pub(super) fn elkan_labels<T: Real>(
    data: &Data<T>,
    start: usize,
    centers: &[T],
    half: &[T],
    next: &[T],
    k: usize,
    labels: &mut [usize],
    upper: &mut [T],
    lower: &mut [T],
) {
    let d = data.d;
    for (o, label_out) in labels.iter_mut().enumerate() {
        let x = data.row(start + o);
        let lower = &mut lower[o * k..(o + 1) * k];
        let mut ub = upper[o];
        let mut label = *label_out;
        // (finite data: no NaN bounds)
        if next[label] < ub {
            let mut tight = false;
            for j in 0..k {
                if j != label && ub > lower[j] && ub > half[label * k + j] {
                    if !tight {
                        ub = sq_distance(x, &centers[label * d..(label + 1) * d]).sqrt();
                        lower[label] = ub;
                        tight = true;
                    }
                    if ub > lower[j] || ub > half[label * k + j] {
                        let dist = sq_distance(x, &centers[j * d..(j + 1) * d]).sqrt();
                        lower[j] = dist;
                        if dist < ub {
                            label = j;
                            ub = dist;
                        }
                    }
                }
            }
            *label_out = label;
            upper[o] = ub;
        }
    }
}

/// Elkan's label pass over all samples, split over threads for large inputs (each
/// sample's update touches only its own bounds).
#[allow(clippy::too_many_arguments)]
pub(super) fn elkan_assign<T: Real>(
    data: &Data<T>,
    centers: &[T],
    half: &[T],
    next: &[T],
    k: usize,
    labels: &mut [usize],
    bounds: &mut Bounds<T>,
    threads: usize,
) {
    if threads <= 1 {
        elkan_labels(
            data,
            0,
            centers,
            half,
            next,
            k,
            labels,
            &mut bounds.upper,
            &mut bounds.lower,
        );
        return;
    }
    let chunk = data.n.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let parts = labels
            .chunks_mut(chunk)
            .zip(bounds.upper.chunks_mut(chunk))
            .zip(bounds.lower.chunks_mut(chunk * k));
        for (t, ((l, u), lo)) in parts.enumerate() {
            s.spawn(move || elkan_labels(data, t * chunk, centers, half, next, k, l, u, lo));
        }
    });
}

/// `_kmeans_single_elkan`.
pub(super) fn elkan<T: Real>(
    data: &Data<T>,
    centers_init: Vec<T>,
    k: usize,
    max_iter: usize,
    tol: T,
) -> Run<T> {
    let threads = threads_for(data.n.saturating_mul(k).saturating_mul(data.d), data.n);
    elkan_on(data, centers_init, k, max_iter, tol, threads)
}

pub(super) fn elkan_on<T: Real>(
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
    let (mut half, mut next) = center_half_distances(&centers, k, d);
    let mut bounds = init_bounds(data, &centers, &half, k, &mut labels);
    let mut strict = false;
    let mut iterations = 0;
    for i in 0..max_iter {
        iterations = i + 1;
        elkan_assign(
            data,
            &centers,
            &half,
            &next,
            k,
            &mut labels,
            &mut bounds,
            threads,
        );
        update_centers(
            data,
            &labels,
            &centers,
            &mut centers_new,
            &mut weight_in_clusters,
            &mut shift,
        );
        for (s, &label) in labels.iter().enumerate() {
            bounds.upper[s] += shift[label];
            for (lb, &sh) in bounds.lower[s * k..(s + 1) * k].iter_mut().zip(&shift) {
                *lb -= sh;
                if *lb < T::ZERO {
                    *lb = T::ZERO;
                }
            }
        }
        (half, next) = center_half_distances(&centers_new, k, d);
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
        elkan_assign(
            data,
            &centers,
            &half,
            &next,
            k,
            &mut labels,
            &mut bounds,
            threads,
        );
    }
    Run {
        inertia: inertia(data, &centers, &labels),
        labels,
        centers,
        n_iter: iterations,
    }
}
