//! NumPy's float reductions, reproduced operation for operation so that sums come out
//! bit-identical to scikit-learn's (NumPy sums contiguous float64 data pairwise).

use crate::error::LearnError;

/// An element type NumPy's `pairwise_sum` loop is instantiated for (`float64`,
/// `float32`: the accumulators have the element's type).
pub(crate) trait PairwiseSum:
    Copy + std::ops::Add<Output = Self> + std::ops::AddAssign
{
    /// `-0.0`, the empty sum's start.
    const NEG_ZERO: Self;
}

impl PairwiseSum for f64 {
    const NEG_ZERO: Self = -0.0;
}

impl PairwiseSum for f32 {
    const NEG_ZERO: Self = -0.0;
}

/// NumPy's `pairwise_sum` for contiguous `float64` (or `float32`) data (as `np.sum` and
/// `np.mean` use it): blocks of up to 128 values summed with eight accumulators, larger
/// inputs split in halves rounded to a multiple of eight.
pub(crate) fn pairwise_sum<T: PairwiseSum>(a: &[T]) -> T {
    let n = a.len();
    if n < 8 {
        let mut res = T::NEG_ZERO;
        for &v in a {
            res += v;
        }
        res
    } else if n <= 128 {
        let mut r = [T::NEG_ZERO; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - (n % 8) {
            for (j, acc) in r.iter_mut().enumerate() {
                *acc += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += a[i];
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}

/// `np.sum` of a contiguous 1-D `float64` array: one [`pairwise_sum`] over all of it
/// (`0.0` when empty).
pub(crate) fn np_sum(a: &[f64]) -> f64 {
    if a.is_empty() {
        0.0
    } else {
        pairwise_sum(a)
    }
}

/// `np.mean` of a 1-D `float64` array (NaN when empty, as NumPy).
pub(crate) fn np_mean(a: &[f64]) -> f64 {
    np_sum(a) / a.len() as f64
}

/// `np.average(a, weights=w)`: `sum(a * w) / sum(w)`, with NumPy's `ZeroDivisionError`
/// when the weights sum to zero.
pub(crate) fn np_average_weighted(a: &[f64], w: &[f64]) -> Result<f64, LearnError> {
    let scale = np_sum(w);
    if scale == 0.0 {
        return Err(LearnError::ZeroWeightSum);
    }
    let products: Vec<f64> = a.iter().zip(w).map(|(x, y)| x * y).collect();
    Ok(np_sum(&products) / scale)
}

/// `np.average(a, weights=w)` with optional weights.
pub(crate) fn np_average(a: &[f64], w: Option<&[f64]>) -> Result<f64, LearnError> {
    match w {
        Some(w) => np_average_weighted(a, w),
        None => Ok(np_mean(a)),
    }
}

/// `np.diff`.
pub(crate) fn diff(a: &[f64]) -> Vec<f64> {
    a.windows(2).map(|w| w[1] - w[0]).collect()
}

/// `np.cumsum` (sequential, as NumPy's accumulate).
pub(crate) fn cumsum(a: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut acc = 0.0;
    a.into_iter()
        .map(|v| {
            acc += v;
            acc
        })
        .collect()
}

/// scikit-learn's `_nanaverage`: the (weighted) mean that ignores NaN entries; all
/// weights zero falls back to the plain mean, nothing left gives NaN.
pub(crate) fn nanaverage(a: &[f64], weights: Option<&[f64]>) -> f64 {
    if a.is_empty() || a.iter().all(|v| v.is_nan()) {
        return f64::NAN;
    }
    match weights {
        None => {
            let masked: Vec<f64> = a
                .iter()
                .map(|&v| if v.is_nan() { 0.0 } else { v })
                .collect();
            let count = a.iter().filter(|v| !v.is_nan()).count();
            np_sum(&masked) / count as f64
        }
        Some(w) => {
            let (kept, kept_w): (Vec<f64>, Vec<f64>) = a
                .iter()
                .zip(w)
                .filter(|(v, _)| !v.is_nan())
                .map(|(v, w)| (*v, *w))
                .unzip();
            np_average_weighted(&kept, &kept_w).unwrap_or_else(|_| np_mean(&kept))
        }
    }
}

/// `X.sum(axis=0)` of a C-ordered `(n_rows, n_cols)` array as NumPy sums it: the rows
/// added one after the other, except for a single column, which is contiguous and so
/// summed pairwise.
pub(crate) fn column_sums(data: &[f64], n_cols: usize) -> Vec<f64> {
    if n_cols == 1 {
        return vec![np_sum(data)];
    }
    let mut sums = vec![-0.0; n_cols];
    for row in data.chunks_exact(n_cols.max(1)) {
        for (acc, v) in sums.iter_mut().zip(row) {
            *acc += v;
        }
    }
    sums
}

/// `X.mean(axis=0)`: [`column_sums`] divided by the number of rows.
pub(crate) fn column_means(data: &[f64], n_cols: usize) -> Vec<f64> {
    let n_rows = data.len() / n_cols.max(1);
    column_sums(data, n_cols)
        .into_iter()
        .map(|s| s / n_rows as f64)
        .collect()
}

/// `np.var(X, axis=0)` (`ddof=0`): the mean of the squared deviations from
/// [`column_means`], each step as NumPy orders it.
pub(crate) fn column_vars(data: &[f64], n_cols: usize) -> Vec<f64> {
    let n_rows = data.len() / n_cols.max(1);
    let means = column_means(data, n_cols);
    let sums = if n_cols == 1 {
        // one contiguous column: NumPy sums the squares pairwise
        let squares: Vec<f64> = data
            .iter()
            .map(|v| (v - means[0]) * (v - means[0]))
            .collect();
        vec![np_sum(&squares)]
    } else {
        // the squares added row after row, as `column_sums` would add them, without
        // materialising the (n_rows, n_cols) array of squares
        let mut sums = vec![-0.0; n_cols];
        for row in data.chunks_exact(n_cols.max(1)) {
            for ((acc, v), m) in sums.iter_mut().zip(row).zip(&means) {
                let x = v - m;
                *acc += x * x;
            }
        }
        sums
    };
    sums.into_iter().map(|s| s / n_rows as f64).collect()
}

/// A dot product with eight interleaved accumulators (the order is not NumPy's or a
/// BLAS's: used where scikit-learn calls BLAS, whose order is its own).
#[inline]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_sum_uses_eight_accumulators() {
        // Sequential summation of these gives 1.0 + 1e-16 * 7 → 1.0; NumPy's blocks
        // accumulate the small terms together first.
        let mut a = vec![1e-16; 16];
        a[0] = 1.0;
        let sequential = a.iter().fold(0.0, |acc, v| acc + v);
        assert_eq!(sequential, 1.0);
        assert!(pairwise_sum(&a) > 1.0);
        assert_eq!(np_sum(&[]), 0.0);
        let long: Vec<f64> = (0..1000).map(|i| f64::from(i) * 0.1).collect();
        assert!((np_sum(&long) - 49950.0).abs() < 1e-9);
    }

    #[test]
    fn column_reductions_follow_numpy_order() {
        // two columns: row by row; one column: pairwise (as `pairwise_sum`)
        let data = [1.0, 10.0, 2.0, 20.0, 4.0, 40.0];
        assert_eq!(column_sums(&data, 2), vec![7.0, 70.0]);
        assert_eq!(column_means(&data, 2), vec![7.0 / 3.0, 70.0 / 3.0]);
        let v = column_vars(&data, 2);
        assert!((v[0] - 14.0 / 9.0).abs() < 1e-15 && (v[1] - 1400.0 / 9.0).abs() < 1e-12);
        let mut one = vec![1e-16; 16];
        one[0] = 1.0;
        assert_eq!(column_sums(&one, 1), vec![pairwise_sum(&one)]);
        let seq = column_sums(&[1.0, 1e-16, 1e-16, 1e-16], 1);
        assert_eq!(seq, vec![1.0]);
        let a: Vec<f64> = (0..21).map(f64::from).collect();
        assert_eq!(dot(&a, &a), 2870.0);
    }

    #[test]
    fn nanaverage_skips_nan_and_zero_weights() {
        assert_eq!(nanaverage(&[1.0, f64::NAN, 3.0], None), 2.0);
        assert_eq!(nanaverage(&[1.0, 3.0], Some(&[0.0, 0.0])), 2.0);
        assert_eq!(nanaverage(&[1.0, 3.0], Some(&[1.0, 3.0])), 2.5);
        assert!(nanaverage(&[f64::NAN], None).is_nan());
        assert!(nanaverage(&[], None).is_nan());
    }
}
