//! The kernels `KMeans`'s iterations share (`_k_means_common.pyx` and the E-step of
//! `_k_means_lloyd.pyx`): the samples view, the unrolled squared distance, label
//! assignment, weighted centre sums, empty-cluster relocation, centre averaging and
//! shifts, and the inertia.

use crate::cluster::real::Real;

/// Samples per matrix product of the E-step (scikit-learn's chunk size).
pub(super) const E_STEP_CHUNK: usize = 256;

/// Below this many multiply-adds an E-step runs on the calling thread.
pub(super) const PARALLEL_WORK: usize = 1 << 21;

/// Samples (centred for `fit`), their weights and the shape.
pub(super) struct Data<'a, T = f64> {
    pub(super) x: &'a [T],
    pub(super) w: &'a [T],
    pub(super) n: usize,
    pub(super) d: usize,
}

impl<T> Data<'_, T> {
    pub(super) fn row(&self, i: usize) -> &[T] {
        &self.x[i * self.d..(i + 1) * self.d]
    }
}

/// `_euclidean_dense_dense(squared=True)`: the squared distance summed four terms at a
/// time, then the remainder.
#[inline]
pub(super) fn sq_distance<T: Real>(a: &[T], b: &[T]) -> T {
    let mut result = T::ZERO;
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        let t0 = (x[0] - y[0]) * (x[0] - y[0]);
        let t1 = (x[1] - y[1]) * (x[1] - y[1]);
        let t2 = (x[2] - y[2]) * (x[2] - y[2]);
        let t3 = (x[3] - y[3]) * (x[3] - y[3]);
        result += ((t0 + t1) + t2) + t3;
    }
    for (&x, &y) in ra.iter().zip(rb) {
        result += (x - y) * (x - y);
    }
    result
}

/// How many threads an E-step over `n` samples with `work` multiply-adds uses: one
/// below [`PARALLEL_WORK`], else up to the available parallelism, with at least 256
/// samples per thread.
pub(super) fn threads_for(work: usize, n: usize) -> usize {
    if work < PARALLEL_WORK {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |t| t.get().min(n.div_ceil(256)))
    }
}

/// The nearest centre by `|c|² - 2 x·c` (scikit-learn's E-step scores, the products
/// from [`Real::dots`]), the first centre on ties; split over threads for large inputs (each sample's label depends
/// only on the centres, so the result does not depend on the split).
pub(super) fn assign_labels<T: Real>(
    x: &[T],
    d: usize,
    centers: &[T],
    k: usize,
    labels: &mut [usize],
) {
    let n = labels.len();
    let threads = threads_for(n.saturating_mul(k).saturating_mul(d), n);
    assign_labels_on(x, d, centers, k, labels, threads);
}

pub(super) fn assign_labels_on<T: Real>(
    x: &[T],
    d: usize,
    centers: &[T],
    k: usize,
    labels: &mut [usize],
    threads: usize,
) {
    let norms: Vec<T> = centers.chunks_exact(d).map(|c| T::dot(c, c)).collect();
    let nearest = |xs: &[T], out: &mut [usize]| {
        let mut scores = vec![T::ZERO; k];
        for (xi, label) in xs.chunks_exact(d).zip(out.iter_mut()) {
            T::dots(xi, centers, &mut scores);
            *label = nearest_score(&scores, &norms);
        }
    };
    if threads <= 1 {
        nearest(x, labels);
        return;
    }
    let chunk = labels.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        for (xs, out) in x.chunks(chunk * d).zip(labels.chunks_mut(chunk)) {
            s.spawn(move || nearest(xs, out));
        }
    });
}

/// The M-step sums: the weight of each cluster and its weighted sum of samples, added
/// in sample order. Large inputs split the features over threads: each entry is still
/// summed over the samples in order, so the split does not change the result.
pub(super) fn accumulate<T: Real>(
    data: &Data<T>,
    labels: &[usize],
    centers_new: &mut [T],
    weight_in_clusters: &mut [T],
) {
    let threads = threads_for(data.n.saturating_mul(data.d).saturating_mul(8), data.n);
    accumulate_on(data, labels, centers_new, weight_in_clusters, threads);
}

pub(super) fn accumulate_on<T: Real>(
    data: &Data<T>,
    labels: &[usize],
    centers_new: &mut [T],
    weight_in_clusters: &mut [T],
    threads: usize,
) {
    weight_in_clusters.fill(T::ZERO);
    for (&label, &w) in labels.iter().zip(data.w) {
        weight_in_clusters[label] += w;
    }
    let d = data.d;
    let threads = threads.min(d);
    let k = centers_new.len() / d.max(1);
    let sum_features = |f0: usize, f1: usize, out: &mut [T]| {
        // out: k rows of the features f0..f1
        let width = f1 - f0;
        out.fill(T::ZERO);
        for (i, &label) in labels.iter().enumerate() {
            let w = data.w[i];
            let row = &data.x[i * d + f0..i * d + f1];
            for (c, v) in out[label * width..(label + 1) * width].iter_mut().zip(row) {
                *c += *v * w;
            }
        }
    };
    if threads <= 1 {
        sum_features(0, d, centers_new);
        return;
    }
    let step = d.div_ceil(threads);
    let ranges: Vec<(usize, usize)> = (0..d)
        .step_by(step)
        .map(|f0| (f0, (f0 + step).min(d)))
        .collect();
    let mut parts: Vec<Vec<T>> = ranges
        .iter()
        .map(|(f0, f1)| vec![T::ZERO; k * (f1 - f0)])
        .collect();
    std::thread::scope(|s| {
        for (&(f0, f1), part) in ranges.iter().zip(parts.iter_mut()) {
            s.spawn(move || sum_features(f0, f1, part));
        }
    });
    for (&(f0, f1), part) in ranges.iter().zip(&parts) {
        let width = f1 - f0;
        for j in 0..k {
            centers_new[j * d + f0..j * d + f1].copy_from_slice(&part[j * width..(j + 1) * width]);
        }
    }
}

/// `_relocate_empty_clusters_dense`: each cluster without weight takes over one of the
/// samples farthest from their centre, farthest first (ties: the lower index; NumPy's
/// `argpartition` leaves their order to its CPU-dependent selection), moving that
/// sample's weighted contribution out of its old cluster.
pub(super) fn relocate_empty_clusters<T: Real>(
    data: &Data<T>,
    centers_old: &[T],
    centers_new: &mut [T],
    weight_in_clusters: &mut [T],
    labels: &[usize],
) {
    let empty: Vec<usize> = (0..weight_in_clusters.len())
        .filter(|&j| weight_in_clusters[j] == T::ZERO)
        .collect();
    if empty.is_empty() {
        return;
    }
    let d = data.d;
    let mut row = vec![T::ZERO; d];
    let distances: Vec<T> = (0..data.n)
        .map(|i| {
            let c = &centers_old[labels[i] * d..(labels[i] + 1) * d];
            for ((r, &x), &c) in row.iter_mut().zip(data.row(i)).zip(c) {
                let t = x - c;
                *r = t * t;
            }
            T::np_sum(&row)
        })
        .collect();
    let farthest = distances
        .iter()
        .map(|v| v.to_f64())
        .fold(f64::NEG_INFINITY, f64::max);
    if farthest == 0.0 {
        return;
    }
    let mut order: Vec<usize> = (0..data.n).collect();
    // descending distance, then ascending index; a stable sort keeps the index order
    order.sort_by(|&a, &b| distances[b].total_cmp(&distances[a]));
    for (&new_cluster, &far) in empty.iter().zip(&order) {
        let weight = data.w[far];
        let old_cluster = labels[far];
        for (f, &v) in data.row(far).iter().enumerate() {
            centers_new[old_cluster * d + f] -= v * weight;
            centers_new[new_cluster * d + f] = v * weight;
        }
        weight_in_clusters[new_cluster] = weight;
        weight_in_clusters[old_cluster] -= weight;
    }
}

/// `_average_centers`: each sum times the reciprocal of its weight; a cluster without
/// positive weight is put where the heaviest cluster is at that point of the loop.
pub(super) fn average_centers<T: Real>(centers: &mut [T], weight_in_clusters: &[T], d: usize) {
    let mut heaviest = 0;
    for (j, &w) in weight_in_clusters.iter().enumerate() {
        if w > weight_in_clusters[heaviest] {
            heaviest = j;
        }
    }
    for (j, &w) in weight_in_clusters.iter().enumerate() {
        if w > T::ZERO {
            let alpha = T::ONE / w;
            for c in &mut centers[j * d..(j + 1) * d] {
                *c *= alpha;
            }
        } else {
            for f in 0..d {
                centers[j * d + f] = centers[heaviest * d + f];
            }
        }
    }
}

/// `_center_shift`: the distance each centre moved.
pub(super) fn center_shift<T: Real>(
    centers_old: &[T],
    centers_new: &[T],
    d: usize,
    shift: &mut [T],
) {
    for (j, s) in shift.iter_mut().enumerate() {
        *s = sq_distance(
            &centers_new[j * d..(j + 1) * d],
            &centers_old[j * d..(j + 1) * d],
        )
        .sqrt();
    }
}

/// The M-step after the labels: sums, empty-cluster relocation, averages, shifts.
pub(super) fn update_centers<T: Real>(
    data: &Data<T>,
    labels: &[usize],
    centers_old: &[T],
    centers_new: &mut [T],
    weight_in_clusters: &mut [T],
    shift: &mut [T],
) {
    accumulate(data, labels, centers_new, weight_in_clusters);
    relocate_empty_clusters(data, centers_old, centers_new, weight_in_clusters, labels);
    average_centers(centers_new, weight_in_clusters, data.d);
    center_shift(centers_old, centers_new, data.d, shift);
}

/// `_inertia_dense`: the weighted squared distances to the assigned centres, summed in
/// sample order.
pub(super) fn inertia<T: Real>(data: &Data<T>, centers: &[T], labels: &[usize]) -> T {
    let d = data.d;
    let mut total = T::ZERO;
    for (i, &l) in labels.iter().enumerate() {
        total += sq_distance(data.row(i), &centers[l * d..(l + 1) * d]) * data.w[i];
    }
    total
}

/// The outcome of one k-means run.
pub(super) struct Run<T = f64> {
    pub(super) labels: Vec<usize>,
    pub(super) inertia: T,
    pub(super) centers: Vec<T>,
    pub(super) n_iter: usize,
}

/// The index of the smallest `|c|² - 2 x·c` (the first on ties).
pub(super) fn nearest_score<T: Real>(dots: &[T], norms: &[T]) -> usize {
    let mut best = 0;
    let mut best_score = norms[0] - T::TWO * dots[0];
    for (t, (&p, &nrm)) in dots.iter().zip(norms).enumerate().skip(1) {
        let score = nrm - T::TWO * p;
        if score < best_score {
            best = t;
            best_score = score;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_cluster_takes_the_farthest_sample() {
        // two samples in cluster 0, cluster 1 empty: the farther sample (index 1) moves
        let x = [0.0, 0.0, 4.0, 0.0];
        let w = [1.0, 2.0];
        let data = Data {
            x: &x,
            w: &w,
            n: 2,
            d: 2,
        };
        let centers_old = [1.0, 0.0, 50.0, 50.0];
        let labels = [0, 0];
        let mut new = [0.0; 4];
        let mut weights = [0.0; 2];
        accumulate(&data, &labels, &mut new, &mut weights);
        relocate_empty_clusters(&data, &centers_old, &mut new, &mut weights, &labels);
        assert_eq!(weights, [1.0, 2.0]);
        assert_eq!(new, [0.0, 0.0, 8.0, 0.0]);
        average_centers(&mut new, &weights, 2);
        assert_eq!(new, [0.0, 0.0, 4.0, 0.0]);
    }

    #[test]
    fn weightless_cluster_copies_the_heaviest_as_it_stands() {
        // cluster 0 has no weight and is visited before the heaviest cluster 1 is
        // scaled, so it gets cluster 1's unscaled sum (scikit-learn's loop order)
        let mut centers = [9.0, 9.0, 6.0, 3.0];
        average_centers(&mut centers, &[0.0, 3.0], 2);
        assert_eq!(centers, [6.0, 3.0, 2.0, 1.0]);
    }
}
