//! t-SNE's `init="pca"`: the top principal components by subspace iteration.

use crate::linalg::{gemm_nt, symmetric_eigen};
use crate::matrix::Matrix;
use crate::numeric::{column_means, np_sum};
use crate::random::RandomState;

/// `init="pca"`: the projections on the first `c` principal components (signs as
/// `svd_flip(u_based_decision=False)`), cast to float32 and divided by the standard
/// deviation of the first, times `1e-4`.
///
/// scikit-learn's PCA picks its solver by shape (randomised SVD for MNIST-sized
/// inputs); the leading components are the same up to its approximation error. kiln
/// takes them from the covariance matrix (a matrix product), by Jacobi rotations for
/// up to 128 features, else by subspace iteration with a Rayleigh-Ritz step.
pub(super) fn pca_init(x: &Matrix, c: usize) -> Vec<f32> {
    let (n, d) = x.shape();
    let mean = column_means(x.as_slice(), d);
    let mut xt = vec![0.0; d * n];
    for (i, row) in x.rows().enumerate() {
        for (f, v) in row.iter().enumerate() {
            xt[f * n + i] = v - mean[f];
        }
    }
    let mut cov = vec![0.0; d * d];
    gemm_nt(&xt, &xt, d, d, n, &mut cov, d * d * n >= 1 << 22);
    let comps = top_eigenvectors(&cov, d, c);
    let mut z = vec![0.0f32; n * c];
    for (i, row) in x.rows().enumerate() {
        for (t, comp) in comps.chunks_exact(d).enumerate() {
            let mut s = 0.0;
            for f in 0..d {
                s += (row[f] - mean[f]) * comp[f];
            }
            z[i * c + t] = s as f32;
        }
    }
    // np.std of the first column (float32 data; computed here in float64)
    let col: Vec<f64> = (0..n).map(|i| f64::from(z[i * c])).collect();
    let m = np_sum(&col) / n as f64;
    let var: Vec<f64> = col.iter().map(|v| (v - m) * (v - m)).collect();
    let std = (np_sum(&var) / n as f64).sqrt() as f32;
    for v in &mut z {
        *v = *v / std * 1e-4f32;
    }
    z
}

/// The `c` leading eigenvectors (rows, largest eigenvalue first) of the symmetric
/// `d × d` matrix `a`, each with the sign that makes its largest-magnitude entry
/// positive.
pub(super) fn top_eigenvectors(a: &[f64], d: usize, c: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(c * d);
    if d <= 128 {
        let (_, vectors) = symmetric_eigen(a, d);
        for j in (0..d).rev().take(c) {
            out.extend_from_slice(&vectors[j * d..(j + 1) * d]);
        }
    } else {
        let b = (c + 10).min(d);
        // deterministic start: a fixed RandomState stream
        let mut rng = RandomState::new(0);
        let mut v: Vec<f64> = (0..b * d).map(|_| rng.standard_normal()).collect();
        orthonormalize(&mut v, b, d);
        let mut w = vec![0.0; b * d];
        let mut previous = vec![f64::NAN; c];
        for _ in 0..500 {
            // W = V A (A symmetric), rows are vectors
            gemm_nt(&v, a, b, d, d, &mut w, false);
            let ritz: Vec<f64> = (0..c)
                .map(|t| crate::numeric::dot(&v[t * d..(t + 1) * d], &w[t * d..(t + 1) * d]))
                .collect();
            std::mem::swap(&mut v, &mut w);
            orthonormalize(&mut v, b, d);
            let converged = ritz
                .iter()
                .zip(&previous)
                .all(|(r, p)| (r - p).abs() <= 1e-15 * r.abs().max(1e-300));
            previous = ritz;
            if converged {
                break;
            }
        }
        // Rayleigh-Ritz: T = V A Vᵀ, its eigenvectors rotate V
        gemm_nt(&v, a, b, d, d, &mut w, false);
        let mut t = vec![0.0; b * b];
        gemm_nt(&w, &v, b, b, d, &mut t, false);
        for i in 0..b {
            for j in 0..i {
                let s = 0.5 * (t[i * b + j] + t[j * b + i]);
                t[i * b + j] = s;
                t[j * b + i] = s;
            }
        }
        let (_, y) = symmetric_eigen(&t, b);
        for r in (0..b).rev().take(c) {
            let coef = &y[r * b..(r + 1) * b];
            let mut comp = vec![0.0; d];
            for (q, &cq) in coef.iter().enumerate() {
                for (o, vi) in comp.iter_mut().zip(&v[q * d..(q + 1) * d]) {
                    *o += cq * vi;
                }
            }
            out.extend_from_slice(&comp);
        }
    }
    for row in out.chunks_exact_mut(d) {
        let mut arg = 0;
        for (j, v) in row.iter().enumerate() {
            if v.abs() > row[arg].abs() {
                arg = j;
            }
        }
        if row[arg] < 0.0 {
            row.iter_mut().for_each(|v| *v = -*v);
        }
    }
    out
}

/// Modified Gram-Schmidt on the `b` rows (length `d`) of `v`.
pub(super) fn orthonormalize(v: &mut [f64], b: usize, d: usize) {
    for i in 0..b {
        for j in 0..i {
            let (head, tail) = v.split_at_mut(i * d);
            let vj = &head[j * d..(j + 1) * d];
            let vi = &mut tail[..d];
            let proj = crate::numeric::dot(vi, vj);
            for (a, bj) in vi.iter_mut().zip(vj) {
                *a -= proj * bj;
            }
        }
        let vi = &mut v[i * d..(i + 1) * d];
        let norm = crate::numeric::dot(vi, vi).sqrt();
        if norm > 0.0 {
            vi.iter_mut().for_each(|a| *a /= norm);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_eigenvectors_by_subspace_iteration_match_jacobi() {
        let d = 140;
        let mut a = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..d {
                a[i * d + j] =
                    ((i * j) % 7) as f64 * 0.01 + if i == j { 1.0 / (1.0 + i as f64) } else { 0.0 };
            }
        }
        for i in 0..d {
            for j in 0..i {
                let s = 0.5 * (a[i * d + j] + a[j * d + i]);
                a[i * d + j] = s;
                a[j * d + i] = s;
            }
        }
        let it = top_eigenvectors(&a, d, 2);
        let (_, v) = symmetric_eigen(&a, d);
        for (t, r) in [(0, d - 1), (1, d - 2)] {
            let mut e = v[r * d..(r + 1) * d].to_vec();
            let arg = (0..d).fold(0, |m, j| if e[j].abs() > e[m].abs() { j } else { m });
            if e[arg] < 0.0 {
                e.iter_mut().for_each(|x| *x = -*x);
            }
            let diff = (0..d)
                .map(|j| (e[j] - it[t * d + j]).abs())
                .fold(0.0, f64::max);
            assert!(diff < 1e-9, "{diff}");
        }
    }
}
