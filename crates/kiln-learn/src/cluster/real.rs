//! The sample element type of `KMeans`'s kernels: `f64` (NumPy's `float64`) or `f32`
//! (`float32`). scikit-learn's k-means Cython is fused-typed over `float` and `double`
//! and keeps `float32` input in `float32`, so every array of a run (samples, weights,
//! centres, their sums, bounds, shifts, the inertia) has the sample type; only the
//! k-means++ distances and Elkan's centre-to-centre distances are computed on `float64`
//! copies (`_euclidean_distances_upcast`) and stored back in the sample type.
//!
//! The `f64` methods call the crate's NumPy reductions and SIMD kernels, so the `f64`
//! path is the crate's `float64` path unchanged; the `f32` methods repeat the same
//! operations in single precision.

use std::cmp::Ordering;
use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

use super::simd;
use crate::numeric;

/// `f32` or `f64`, with the NumPy reductions and kernels `KMeans` uses.
pub(crate) trait Real:
    Copy
    + Send
    + Sync
    + PartialOrd
    + Debug
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + 'static
{
    const ZERO: Self;
    const ONE: Self;
    const TWO: Self;
    /// How far from one NumPy's `choice` lets probabilities of this type sum:
    /// `sqrt(eps)` of the type (and at least `float64`'s).
    const P_ATOL: f64;

    /// The nearest value of this type (`astype`).
    fn from_f64(v: f64) -> Self;
    /// The exact `f64` of this value.
    fn to_f64(self) -> f64;
    /// The correctly rounded square root.
    fn sqrt(self) -> Self;
    /// The larger value (`np.maximum` on finite data).
    fn max(self, other: Self) -> Self;
    /// IEEE total order.
    fn total_cmp(&self, other: &Self) -> Ordering;
    /// `np.sum` of a contiguous 1-D array (pairwise; `0` when empty).
    fn np_sum(a: &[Self]) -> Self;
    /// A BLAS-like dot product (eight accumulators).
    fn dot(a: &[Self], b: &[Self]) -> Self;
    /// `X.mean(axis=0)` of a C-ordered array with `n_cols` columns.
    fn column_means(data: &[Self], n_cols: usize) -> Vec<Self>;
    /// `np.var(X, axis=0)`.
    fn column_vars(data: &[Self], n_cols: usize) -> Vec<Self>;
    /// `np.cumsum` (sequential).
    fn cumsum(a: impl IntoIterator<Item = Self>) -> Vec<Self>;
    /// `out[j] = x · centers[j]`.
    fn dots(x: &[Self], centers: &[Self], out: &mut [Self]);
    /// [`Real::dots`] for four consecutive samples.
    fn dots4(xs: &[Self], centers: &[Self], k: usize, out: &mut [Self]);
    /// `acc[f] += x[f] * w` (a multiply, then an add).
    fn add_scaled(acc: &mut [Self], x: &[Self], w: Self);
    /// The values as `f64`: borrowed for `f64`, converted into `buf` for `f32`.
    fn widen<'a>(x: &'a [Self], buf: &'a mut Vec<f64>) -> &'a [f64];
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const TWO: Self = 2.0;
    const P_ATOL: f64 = 1.490_116_119_384_765_6e-8;

    #[inline]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline]
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    #[inline]
    fn max(self, other: Self) -> Self {
        f64::max(self, other)
    }
    #[inline]
    fn total_cmp(&self, other: &Self) -> Ordering {
        f64::total_cmp(self, other)
    }
    fn np_sum(a: &[Self]) -> Self {
        numeric::np_sum(a)
    }
    #[inline]
    fn dot(a: &[Self], b: &[Self]) -> Self {
        numeric::dot(a, b)
    }
    fn column_means(data: &[Self], n_cols: usize) -> Vec<Self> {
        numeric::column_means(data, n_cols)
    }
    fn column_vars(data: &[Self], n_cols: usize) -> Vec<Self> {
        numeric::column_vars(data, n_cols)
    }
    fn cumsum(a: impl IntoIterator<Item = Self>) -> Vec<Self> {
        numeric::cumsum(a)
    }
    #[inline]
    fn dots(x: &[Self], centers: &[Self], out: &mut [Self]) {
        simd::dots(x, centers, out);
    }
    #[inline]
    fn dots4(xs: &[Self], centers: &[Self], k: usize, out: &mut [Self]) {
        simd::dots4(xs, centers, k, out);
    }
    #[inline]
    fn add_scaled(acc: &mut [Self], x: &[Self], w: Self) {
        simd::add_scaled(acc, x, w);
    }
    fn widen<'a>(x: &'a [Self], _buf: &'a mut Vec<f64>) -> &'a [f64] {
        x
    }
}

/// `X.sum(axis=0)` in `float32`: rows added one after the other (one column: pairwise).
fn column_sums_f32(data: &[f32], n_cols: usize) -> Vec<f32> {
    if n_cols == 1 {
        return vec![f32::np_sum(data)];
    }
    let mut sums = vec![-0.0f32; n_cols];
    for row in data.chunks_exact(n_cols.max(1)) {
        for (acc, v) in sums.iter_mut().zip(row) {
            *acc += v;
        }
    }
    sums
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const TWO: Self = 2.0;
    const P_ATOL: f64 = 3.452_669_770_922_512e-4;

    #[inline]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline]
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    #[inline]
    fn max(self, other: Self) -> Self {
        f32::max(self, other)
    }
    #[inline]
    fn total_cmp(&self, other: &Self) -> Ordering {
        f32::total_cmp(self, other)
    }
    fn np_sum(a: &[Self]) -> Self {
        if a.is_empty() {
            0.0
        } else {
            numeric::pairwise_sum(a)
        }
    }
    #[inline]
    fn dot(a: &[Self], b: &[Self]) -> Self {
        let mut acc = [0.0f32; 8];
        let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
        let (ra, rb) = (ca.remainder(), cb.remainder());
        for (x, y) in ca.zip(cb) {
            for l in 0..8 {
                acc[l] += x[l] * y[l];
            }
        }
        let mut s =
            ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        for (x, y) in ra.iter().zip(rb) {
            s += x * y;
        }
        s
    }
    fn column_means(data: &[Self], n_cols: usize) -> Vec<Self> {
        // NumPy divides the float32 sums by the count as a float32
        let n_rows = (data.len() / n_cols.max(1)) as f32;
        column_sums_f32(data, n_cols)
            .into_iter()
            .map(|s| s / n_rows)
            .collect()
    }
    fn column_vars(data: &[Self], n_cols: usize) -> Vec<Self> {
        let n_rows = (data.len() / n_cols.max(1)) as f32;
        let means = Self::column_means(data, n_cols);
        let sums = if n_cols == 1 {
            let squares: Vec<f32> = data
                .iter()
                .map(|v| (v - means[0]) * (v - means[0]))
                .collect();
            vec![Self::np_sum(&squares)]
        } else {
            let mut sums = vec![-0.0f32; n_cols];
            for row in data.chunks_exact(n_cols.max(1)) {
                for ((acc, v), m) in sums.iter_mut().zip(row).zip(&means) {
                    let x = v - m;
                    *acc += x * x;
                }
            }
            sums
        };
        sums.into_iter().map(|s| s / n_rows).collect()
    }
    fn cumsum(a: impl IntoIterator<Item = Self>) -> Vec<Self> {
        let mut acc = 0.0f32;
        a.into_iter()
            .map(|v| {
                acc += v;
                acc
            })
            .collect()
    }
    #[inline]
    fn dots(x: &[Self], centers: &[Self], out: &mut [Self]) {
        simd::dots_f32(x, centers, out);
    }
    #[inline]
    fn dots4(xs: &[Self], centers: &[Self], k: usize, out: &mut [Self]) {
        simd::dots4_f32(xs, centers, k, out);
    }
    #[inline]
    fn add_scaled(acc: &mut [Self], x: &[Self], w: Self) {
        simd::add_scaled_f32(acc, x, w);
    }
    fn widen<'a>(x: &'a [Self], buf: &'a mut Vec<f64>) -> &'a [f64] {
        buf.clear();
        buf.extend(x.iter().map(|&v| f64::from(v)));
        buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_reductions_follow_numpy_order() {
        // 1 + 1e-8 * 300 in float32: pairwise blocks lose the small terms the same way
        let a: Vec<f32> = (0..300).map(|i| if i == 0 { 1.0 } else { 1e-8 }).collect();
        let want = numeric::pairwise_sum(&a[..144]) + numeric::pairwise_sum(&a[144..]);
        assert_eq!(f32::np_sum(&a), want);
        assert_eq!(f32::np_sum(&[]), 0.0);
        let m = [1.0f32, 2.0, 3.0, 5.0];
        assert_eq!(f32::column_means(&m, 2), vec![2.0, 3.5]);
        assert_eq!(f32::column_vars(&m, 2), vec![1.0, 2.25]);
        assert_eq!(f32::cumsum([1.0f32, 2.0, 3.0]), vec![1.0, 3.0, 6.0]);
    }
}
