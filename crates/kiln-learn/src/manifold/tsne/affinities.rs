//! t-SNE's input affinities (`_utils.pyx`'s `_binary_search_perplexity` and the
//! symmetrisation of the nearest-neighbour probabilities).

use rayon::prelude::*;

use super::{Affinities, MACHINE_EPSILON};
use crate::numeric::np_sum;

/// Index of pair `(i, j)`, `i < j`, in a condensed distance vector of `n` samples.
pub(super) fn condensed(n: usize, i: usize, j: usize) -> usize {
    i * n - i * (i + 1) / 2 + (j - i - 1)
}

/// `_binary_search_perplexity`: for each row of float32 squared distances (`n × k`;
/// `k == n` means all samples, the diagonal left out), the Gaussian precision whose
/// conditional distribution has the desired perplexity, and that distribution.
pub(super) fn binary_search_perplexity(
    sq: &[f32],
    n: usize,
    k: usize,
    perplexity: f64,
) -> Vec<f64> {
    const N_STEPS: usize = 100;
    let using_neighbors = k < n;
    // scikit-learn's `float` (float32) constants and argument
    let desired_entropy = f64::from(perplexity as f32).ln();
    let tolerance = f64::from(1e-5f32);
    let epsilon_dbl = f64::from(1e-8f32);
    let mut p = vec![0.0f64; n * k];
    let search = |i: usize, (pi, di): (&mut [f64], &[f32])| {
        let (mut beta_min, mut beta_max, mut beta) = (f64::NEG_INFINITY, f64::INFINITY, 1.0f64);
        for _ in 0..N_STEPS {
            let mut sum_pi = 0.0;
            for j in 0..k {
                if j != i || using_neighbors {
                    pi[j] = (f64::from(-di[j]) * beta).exp();
                    sum_pi += pi[j];
                }
            }
            if sum_pi == 0.0 {
                sum_pi = epsilon_dbl;
            }
            let mut sum_disti_pi = 0.0;
            for j in 0..k {
                pi[j] /= sum_pi;
                sum_disti_pi += f64::from(di[j]) * pi[j];
            }
            let entropy = sum_pi.ln() + beta * sum_disti_pi;
            let diff = entropy - desired_entropy;
            if diff.abs() <= tolerance {
                break;
            }
            if diff > 0.0 {
                beta_min = beta;
                beta = if beta_max == f64::INFINITY {
                    beta * 2.0
                } else {
                    (beta + beta_max) / 2.0
                };
            } else {
                beta_max = beta;
                beta = if beta_min == f64::NEG_INFINITY {
                    beta / 2.0
                } else {
                    (beta + beta_min) / 2.0
                };
            }
        }
    };
    if k == 0 {
        return p;
    }
    if n * k >= 1 << 16 {
        p.par_chunks_mut(k)
            .zip(sq.par_chunks(k))
            .enumerate()
            .for_each(|(i, pair)| search(i, pair));
    } else {
        p.chunks_mut(k)
            .zip(sq.chunks(k))
            .enumerate()
            .for_each(|(i, pair)| search(i, pair));
    }
    p
}

/// `P = C + Cᵀ` over the neighbour graph (sparse; sorted columns), divided by its sum.
pub(super) fn symmetrize(nn: &[Vec<(f64, usize)>], cond: &[f64], n: usize, k: usize) -> Affinities {
    let mut rows: Vec<Vec<(usize, f64)>> = vec![Vec::with_capacity(2 * k); n];
    for (i, row) in nn.iter().enumerate() {
        for (t, &(_, j)) in row.iter().enumerate() {
            let v = cond[i * k + t];
            rows[i].push((j, v));
            rows[j].push((i, v));
        }
    }
    let mut a = Affinities {
        n_samples: n,
        indptr: Vec::with_capacity(n + 1),
        indices: Vec::new(),
        data: Vec::new(),
    };
    a.indptr.push(0);
    for mut row in rows {
        // a pair in both directions is c_ij + c_ji (addition commutes: one value)
        row.sort_by_key(|e| e.0);
        let mut t = 0;
        while t < row.len() {
            let (j, mut v) = row[t];
            if t + 1 < row.len() && row[t + 1].0 == j {
                v += row[t + 1].1;
                t += 1;
            }
            a.indices.push(j);
            a.data.push(v);
            t += 1;
        }
        a.indptr.push(a.indices.len());
    }
    let sum = np_sum(&a.data).max(MACHINE_EPSILON);
    for v in &mut a.data {
        *v /= sum;
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condensed_indexing() {
        let n = 5;
        let mut k = 0;
        for i in 0..n {
            for j in i + 1..n {
                assert_eq!(condensed(n, i, j), k);
                k += 1;
            }
        }
    }

    #[test]
    fn binary_search_reaches_the_perplexity() {
        let sq: Vec<f32> = (0..20).map(|j| (j * j) as f32 / 10.0).collect();
        let p = binary_search_perplexity(&sq, 100, 20, 5.0);
        let h: f64 = -p
            .iter()
            .filter(|v| **v > 0.0)
            .map(|v| v * v.ln())
            .sum::<f64>();
        assert!((h.exp() - 5.0).abs() < 1e-3, "{}", h.exp());
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
}
