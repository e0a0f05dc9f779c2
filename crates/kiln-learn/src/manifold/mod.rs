//! scikit-learn's manifold learning (`sklearn.manifold`): [`TSNE`] (Barnes-Hut and
//! exact) and [`trustworthiness`], the neighbourhood-preservation score of an
//! embedding.

mod pairwise;
mod quad_tree;
mod tsne;

pub use pairwise::Metric;
pub use tsne::{Affinities, FittedTSNE, LearningRate, TsneInit, TsneMethod, TSNE};

use crate::error::{LearnError, Result};
use crate::matrix::Matrix;
use crate::pyfmt::py_float_repr;
use pairwise::{k_smallest, map_distance_rows, Rows};

/// How well an embedding keeps local structure, as `sklearn.manifold.trustworthiness`:
/// `1 - 2 / (n k (2n - 3k - 1)) Σᵢ Σ_{j ∈ Nᵢᵏ} max(0, r(i, j) - k)`, where `Nᵢᵏ` are
/// the `k` nearest neighbours of sample `i` in the embedding (Euclidean) and `r(i, j)`
/// is the rank of `j` among `i`'s neighbours in the input space under `metric`
/// (`Metric::Precomputed`: `x` holds the distances). Equal input distances rank by
/// sample index (NumPy's `argsort` leaves that order unspecified).
///
/// Errors with scikit-learn's messages when `n_neighbors` is zero or not below half the
/// number of samples; `x` and `x_embedded` with different numbers of samples give the
/// `check_consistent_length` message.
///
/// ```
/// use kiln_learn::manifold::{trustworthiness, Metric};
/// use kiln_learn::Matrix;
///
/// let x = Matrix::from_rows(&[[0.0, 0.0, 0.0], [1.0, 0.1, 0.0], [2.0, 0.0, 0.2], [3.0, 0.2, 0.1],
///     [4.0, 0.0, 0.0], [5.0, 0.1, 0.1], [6.0, 0.0, 0.0], [7.0, 0.2, 0.0]])?;
/// // the first coordinate keeps every neighbourhood
/// let line = Matrix::from_rows(&(0..8).map(|i| [i as f64]).collect::<Vec<_>>())?;
/// assert_eq!(trustworthiness(&x, &line, 2, Metric::Euclidean)?, 1.0);
/// assert_eq!(
///     trustworthiness(&x, &line, 4, Metric::Euclidean).unwrap_err().to_string(),
///     "n_neighbors (4) should be less than n_samples / 2 (4.0)"
/// );
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
pub fn trustworthiness(
    x: &Matrix,
    x_embedded: &Matrix,
    n_neighbors: usize,
    metric: Metric,
) -> Result<f64> {
    if n_neighbors == 0 {
        return Err(LearnError::InvalidParameter {
            param: "n_neighbors",
            caller: Some("trustworthiness"),
            constraint: "an int in the range [1, inf)".to_string(),
            got: "0".to_string(),
        });
    }
    let n = x.n_rows();
    if n_neighbors as f64 >= n as f64 / 2.0 {
        return Err(LearnError::TrustworthinessNeighbors {
            n_neighbors,
            half: py_float_repr(n as f64 / 2.0),
        });
    }
    if x_embedded.n_rows() != n {
        return Err(LearnError::InconsistentLength {
            lengths: vec![n, x_embedded.n_rows()],
        });
    }
    if metric == Metric::Precomputed && x.n_cols() != n {
        return Err(LearnError::NotSquareDistances);
    }
    let k = n_neighbors;
    let emb = Rows {
        x: x_embedded.as_slice(),
        n,
        d: x_embedded.n_cols(),
    };
    // the embedded neighbours: exact squared differences (only their order matters)
    let emb_nn: Vec<Vec<usize>> = (0..n)
        .map(|i| {
            let yi = &emb.x[i * emb.d..(i + 1) * emb.d];
            let row: Vec<f64> = emb
                .x
                .chunks_exact(emb.d.max(1))
                .map(|yj| yi.iter().zip(yj).map(|(a, b)| (a - b) * (a - b)).sum())
                .collect();
            k_smallest(i, &row, k).into_iter().map(|p| p.1).collect()
        })
        .collect();
    let input = Rows {
        x: x.as_slice(),
        n,
        d: x.n_cols(),
    };
    let penalty = |i: usize, row: &[f64]| -> i64 {
        let mut t = 0i64;
        for &j in &emb_nn[i] {
            let dj = row[j];
            // 1-based rank of j in row i's argsort (i itself last)
            let mut rank = 1i64;
            for (l, &dl) in row.iter().enumerate() {
                if l != i && l != j && (dl < dj || (dl == dj && l < j)) {
                    rank += 1;
                }
            }
            if rank - k as i64 > 0 {
                t += rank - k as i64;
            }
        }
        t
    };
    let t: i64 = map_distance_rows(input, metric, false, penalty)
        .into_iter()
        .sum();
    let denom = (n * k) as f64 * (2.0 * n as f64 - 3.0 * k as f64 - 1.0);
    Ok(1.0 - t as f64 * (2.0 / denom))
}
