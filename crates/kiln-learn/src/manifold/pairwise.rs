//! Pairwise distances and brute-force nearest neighbours for t-SNE and
//! `trustworthiness` (scikit-learn's `pairwise_distances` and `NearestNeighbors` with
//! the brute-force algorithm).

use std::str::FromStr;

use rayon::prelude::*;

use crate::error::{LearnError, Result};
use crate::label::py_str_repr;
use crate::linalg::gemm_nt;

/// Rows of a distance matrix computed per block: large enough for the matrix product,
/// small enough to keep a block of distances in cache.
const BLOCK: usize = 256;
/// Below this many multiply-adds a pairwise computation stays on the calling thread.
const PARALLEL_WORK: usize = 1 << 22;

/// The distance between samples (`metric`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Metric {
    /// `"euclidean"` (also `"l2"`): `sqrt(Σ (a - b)²)`. t-SNE uses its square.
    #[default]
    Euclidean,
    /// `"sqeuclidean"`: `Σ (a - b)²`.
    SqEuclidean,
    /// `"manhattan"` (also `"cityblock"`, `"l1"`): `Σ |a - b|`.
    Manhattan,
    /// `"chebyshev"`: `max |a - b|`.
    Chebyshev,
    /// `"cosine"`: `1 - a·b / (|a| |b|)`.
    Cosine,
    /// `"precomputed"`: `X` is the square matrix of distances.
    Precomputed,
}

impl FromStr for Metric {
    type Err = LearnError;

    /// The metric's scikit-learn name.
    ///
    /// ```
    /// use kiln_learn::manifold::Metric;
    ///
    /// assert_eq!("cityblock".parse::<Metric>()?, Metric::Manhattan);
    /// assert!("minkowski".parse::<Metric>().is_err());
    /// # Ok::<(), kiln_learn::LearnError>(())
    /// ```
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "euclidean" | "l2" => Metric::Euclidean,
            "sqeuclidean" => Metric::SqEuclidean,
            "manhattan" | "cityblock" | "l1" => Metric::Manhattan,
            "chebyshev" => Metric::Chebyshev,
            "cosine" => Metric::Cosine,
            "precomputed" => Metric::Precomputed,
            _ => {
                return Err(LearnError::InvalidParameter {
                    param: "metric",
                    caller: None,
                    // kiln's subset of scikit-learn's metrics
                    constraint: "a str among {'chebyshev', 'cityblock', 'cosine', 'euclidean', 'l1', 'l2', 'manhattan', 'precomputed', 'sqeuclidean'}".to_string(),
                    got: py_str_repr(s),
                });
            }
        })
    }
}

/// Row-major samples.
#[derive(Clone, Copy)]
pub(crate) struct Rows<'a> {
    pub x: &'a [f64],
    pub n: usize,
    pub d: usize,
}

impl Rows<'_> {
    fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.d..(i + 1) * self.d]
    }
}

/// Squared norms of the rows.
fn sq_norms(x: Rows) -> Vec<f64> {
    x.x.chunks_exact(x.d.max(1))
        .take(x.n)
        .map(|r| r.iter().map(|v| v * v).sum())
        .collect()
}

/// Fills `out` (`rows.len() × n`) with the distances of rows `rows` of `x` to all rows,
/// as `pairwise_distances(X, metric)` computes them: Euclidean by
/// `sqrt(max((-2 a·b + |a|²) + |b|², 0))` on a matrix product (zero on the diagonal),
/// cosine on the normalised rows, the others directly. `squared` asks for the
/// Euclidean distances without the square root.
fn distance_block(
    x: Rows,
    norms: &[f64],
    metric: Metric,
    squared: bool,
    start: usize,
    out: &mut [f64],
) {
    let n = x.n;
    let m = out.len() / n.max(1);
    match metric {
        Metric::Euclidean | Metric::SqEuclidean => {
            gemm_nt(&x.x[start * x.d..], x.x, m, n, x.d, out, false);
            for (r, row) in out.chunks_exact_mut(n).enumerate() {
                let i = start + r;
                for (j, v) in row.iter_mut().enumerate() {
                    let sq = ((-2.0 * *v + norms[i]) + norms[j]).max(0.0);
                    *v = if metric == Metric::Euclidean && !squared {
                        sq.sqrt()
                    } else {
                        sq
                    };
                }
                row[i] = 0.0;
            }
        }
        Metric::Cosine => {
            // norms hold the row norms (not squared) here; zero rows stay zero
            for (r, row) in out.chunks_exact_mut(n).enumerate() {
                let i = start + r;
                let a = x.row(i);
                for (j, v) in row.iter_mut().enumerate() {
                    let b = x.row(j);
                    let mut s = 0.0;
                    for (p, q) in a.iter().zip(b) {
                        s += (p / nz(norms[i])) * (q / nz(norms[j]));
                    }
                    *v = (1.0 - s).clamp(0.0, 2.0);
                }
                row[i] = 0.0;
            }
        }
        Metric::Manhattan | Metric::Chebyshev => {
            for (r, row) in out.chunks_exact_mut(n).enumerate() {
                let a = x.row(start + r);
                for (j, v) in row.iter_mut().enumerate() {
                    let b = x.row(j);
                    *v = if metric == Metric::Manhattan {
                        a.iter().zip(b).map(|(p, q)| (p - q).abs()).sum()
                    } else {
                        a.iter()
                            .zip(b)
                            .map(|(p, q)| (p - q).abs())
                            .fold(0.0, f64::max)
                    };
                }
            }
        }
        Metric::Precomputed => {
            out.copy_from_slice(&x.x[start * n..(start + m) * n]);
        }
    }
}

fn nz(v: f64) -> f64 {
    if v == 0.0 {
        1.0
    } else {
        v
    }
}

fn norms_for(x: Rows, metric: Metric) -> Vec<f64> {
    match metric {
        Metric::Euclidean | Metric::SqEuclidean => sq_norms(x),
        Metric::Cosine => sq_norms(x).into_iter().map(f64::sqrt).collect(),
        _ => Vec::new(),
    }
}

/// Calls `f(i, distances of row i to every row)` for every row, in blocks, over rayon's
/// threads for large inputs; the results come back in row order.
pub(crate) fn map_distance_rows<T: Send>(
    x: Rows,
    metric: Metric,
    squared: bool,
    f: impl Fn(usize, &[f64]) -> T + Sync,
) -> Vec<T> {
    let n = x.n;
    let norms = norms_for(x, metric);
    let blocks: Vec<usize> = (0..n).step_by(BLOCK).collect();
    let work = |&start: &usize| {
        let m = BLOCK.min(n - start);
        let mut out = vec![0.0; m * n];
        distance_block(x, &norms, metric, squared, start, &mut out);
        out.chunks_exact(n.max(1))
            .enumerate()
            .map(|(r, row)| f(start + r, row))
            .collect::<Vec<T>>()
    };
    let parts: Vec<Vec<T>> = if n.saturating_mul(n).saturating_mul(x.d.max(1)) < PARALLEL_WORK {
        blocks.iter().map(work).collect()
    } else {
        blocks.par_iter().map(work).collect()
    };
    parts.into_iter().flatten().collect()
}

/// The full `n × n` distance matrix (`pairwise_distances`).
pub(crate) fn pairwise(x: Rows, metric: Metric, squared: bool) -> Vec<f64> {
    map_distance_rows(x, metric, squared, |_, row| row.to_vec())
        .into_iter()
        .flatten()
        .collect()
}

/// The `k` nearest other samples of row `i` given its distances: by increasing
/// distance, ties by index.
pub(crate) fn k_smallest(i: usize, row: &[f64], k: usize) -> Vec<(f64, usize)> {
    let mut cand: Vec<(f64, usize)> = row
        .iter()
        .enumerate()
        .filter(|&(j, _)| j != i)
        .map(|(j, &d)| (d, j))
        .collect();
    let by = |a: &(f64, usize), b: &(f64, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
    if k < cand.len() {
        cand.select_nth_unstable_by(k, by);
        cand.truncate(k);
    }
    cand.sort_unstable_by(by);
    cand
}

/// `NearestNeighbors(n_neighbors=k, metric).fit(X).kneighbors()`: each sample's `k`
/// nearest other samples with their distances (Euclidean ones with the square root
/// taken, as scikit-learn returns them).
pub(crate) fn kneighbors(x: Rows, metric: Metric, k: usize) -> Vec<Vec<(f64, usize)>> {
    map_distance_rows(x, metric, false, |i, row| k_smallest(i, row, k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euclidean_blocks_match_direct_distances() {
        let (n, d) = (300, 5);
        let x: Vec<f64> = (0..n * d)
            .map(|i| ((i * 7919) % 101) as f64 / 10.0)
            .collect();
        let rows = Rows { x: &x, n, d };
        let full = pairwise(rows, Metric::Euclidean, false);
        for (i, j) in [(0, 1), (17, 299), (256, 3), (299, 298)] {
            let direct: f64 = (0..d)
                .map(|f| (x[i * d + f] - x[j * d + f]).powi(2))
                .sum::<f64>()
                .sqrt();
            assert!((full[i * n + j] - direct).abs() < 1e-9);
        }
        assert_eq!(full[5 * n + 5], 0.0);
        let nn = kneighbors(rows, Metric::Manhattan, 3);
        assert_eq!(nn.len(), n);
        assert!(nn
            .iter()
            .enumerate()
            .all(|(i, r)| r.len() == 3 && r.iter().all(|p| p.1 != i)));
    }
}
