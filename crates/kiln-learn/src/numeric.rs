//! NumPy's float reductions, reproduced operation for operation so that sums come out
//! bit-identical to scikit-learn's (NumPy sums contiguous float64 data pairwise).

use crate::error::LearnError;

/// NumPy's `pairwise_sum` for contiguous `float64` data (as `np.sum` and `np.mean`
/// use it): blocks of up to 128 values summed with eight accumulators, larger inputs
/// split in halves rounded to a multiple of eight.
pub(crate) fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut res = -0.0;
        for &v in a {
            res += v;
        }
        res
    } else if n <= 128 {
        let mut r = [0.0; 8];
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
    fn nanaverage_skips_nan_and_zero_weights() {
        assert_eq!(nanaverage(&[1.0, f64::NAN, 3.0], None), 2.0);
        assert_eq!(nanaverage(&[1.0, 3.0], Some(&[0.0, 0.0])), 2.0);
        assert_eq!(nanaverage(&[1.0, 3.0], Some(&[1.0, 3.0])), 2.5);
        assert!(nanaverage(&[f64::NAN], None).is_nan());
        assert!(nanaverage(&[], None).is_nan());
    }
}
