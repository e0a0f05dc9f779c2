//! [`Matrix`]: the crate's 2-D `float64` data, row-major, as NumPy's C-ordered
//! `(n_samples, n_features)` arrays that scikit-learn's estimators take.

use crate::error::{LearnError, Result};

/// A dense row-major matrix of `f64`: row `i`, column `j` is `as_slice()[i * n_cols + j]`.
///
/// Estimators take their samples as a `Matrix` of shape `(n_samples, n_features)` and
/// return 2-D results (cluster centres, distances, projections) as one. Building one from
/// a `Vec` moves the data in without copying.
///
/// ```
/// use kiln_learn::Matrix;
///
/// let m = Matrix::new(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3)?;
/// assert_eq!(m.shape(), (2, 3));
/// assert_eq!(m.row(1), &[4.0, 5.0, 6.0]);
/// assert_eq!(m[(0, 2)], 3.0);
/// assert_eq!(Matrix::from_rows(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])?, m);
/// // NumPy's reshape message for a length that does not fit the shape
/// assert_eq!(
///     Matrix::new(vec![1.0; 5], 2, 3).unwrap_err().to_string(),
///     "cannot reshape array of size 5 into shape (2,3)"
/// );
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Matrix {
    data: Vec<f64>,
    n_rows: usize,
    n_cols: usize,
}

impl Matrix {
    /// A matrix of `n_rows` rows and `n_cols` columns holding `data` row by row;
    /// `data.len()` must be `n_rows * n_cols`.
    pub fn new(data: Vec<f64>, n_rows: usize, n_cols: usize) -> Result<Self> {
        if n_rows.checked_mul(n_cols) != Some(data.len()) {
            return Err(LearnError::ReshapeSize {
                size: data.len(),
                n_rows,
                n_cols,
            });
        }
        Ok(Matrix {
            data,
            n_rows,
            n_cols,
        })
    }

    /// A matrix from its rows, which must all have the same length (no rows gives a
    /// `(0, 0)` matrix).
    ///
    /// ```
    /// use kiln_learn::Matrix;
    ///
    /// let m = Matrix::from_rows(&[vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]])?;
    /// assert_eq!(m.shape(), (3, 2));
    /// assert!(Matrix::from_rows(&[vec![1.0, 2.0], vec![3.0]]).is_err());
    /// # Ok::<(), kiln_learn::LearnError>(())
    /// ```
    pub fn from_rows<R: AsRef<[f64]>>(rows: &[R]) -> Result<Self> {
        let n_cols = crate::validation::check_2d(rows)?;
        let mut data = Vec::with_capacity(rows.len() * n_cols);
        for r in rows {
            data.extend_from_slice(r.as_ref());
        }
        Ok(Matrix {
            data,
            n_rows: rows.len(),
            n_cols,
        })
    }

    /// A matrix of zeros.
    pub fn zeros(n_rows: usize, n_cols: usize) -> Self {
        Matrix {
            data: vec![0.0; n_rows * n_cols],
            n_rows,
            n_cols,
        }
    }

    /// Number of rows (samples).
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Number of columns (features).
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// `(n_rows, n_cols)`, NumPy's `shape`.
    pub fn shape(&self) -> (usize, usize) {
        (self.n_rows, self.n_cols)
    }

    /// All values, row by row.
    pub fn as_slice(&self) -> &[f64] {
        &self.data
    }

    /// All values, row by row, mutable.
    pub fn as_mut_slice(&mut self) -> &mut [f64] {
        &mut self.data
    }

    /// The values, row by row, without copying.
    pub fn into_vec(self) -> Vec<f64> {
        self.data
    }

    /// Row `i`. Panics when `i >= n_rows`, as slice indexing does.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.n_cols..(i + 1) * self.n_cols]
    }

    /// Row `i`, mutable. Panics when `i >= n_rows`.
    pub fn row_mut(&mut self, i: usize) -> &mut [f64] {
        &mut self.data[i * self.n_cols..(i + 1) * self.n_cols]
    }

    /// The rows in order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = &[f64]> + '_ {
        let w = self.n_cols;
        (0..self.n_rows).map(move |i| &self.data[i * w..(i + 1) * w])
    }

    /// The rows as vectors.
    pub fn to_rows(&self) -> Vec<Vec<f64>> {
        self.rows().map(<[f64]>::to_vec).collect()
    }

    /// Element `(i, j)`, or `None` outside the matrix.
    pub fn get(&self, i: usize, j: usize) -> Option<f64> {
        (i < self.n_rows && j < self.n_cols).then(|| self.data[i * self.n_cols + j])
    }
}

impl std::ops::Index<(usize, usize)> for Matrix {
    type Output = f64;

    /// Element `(row, column)`; panics outside the matrix.
    fn index(&self, (i, j): (usize, usize)) -> &f64 {
        assert!(
            i < self.n_rows && j < self.n_cols,
            "index ({i}, {j}) is out of bounds for a matrix of shape ({}, {})",
            self.n_rows,
            self.n_cols
        );
        &self.data[i * self.n_cols + j]
    }
}

impl std::ops::IndexMut<(usize, usize)> for Matrix {
    /// Element `(row, column)`, mutable; panics outside the matrix.
    fn index_mut(&mut self, (i, j): (usize, usize)) -> &mut f64 {
        assert!(
            i < self.n_rows && j < self.n_cols,
            "index ({i}, {j}) is out of bounds for a matrix of shape ({}, {})",
            self.n_rows,
            self.n_cols
        );
        &mut self.data[i * self.n_cols + j]
    }
}

/// The checks `check_array` makes on an estimator's `X` (in its order): finite values,
/// at least one sample, at least one feature.
pub(crate) fn check_x(x: &Matrix, estimator: Option<&'static str>) -> Result<()> {
    let nan = x.data.iter().any(|v| v.is_nan());
    if nan || x.data.iter().any(|v| v.is_infinite()) {
        return Err(LearnError::NonFiniteX { estimator, nan });
    }
    if x.n_rows == 0 {
        return Err(LearnError::TooFewInArray {
            what: "sample",
            shape: x.shape(),
            estimator,
        });
    }
    if x.n_cols == 0 {
        return Err(LearnError::TooFewInArray {
            what: "feature",
            shape: x.shape(),
            estimator,
        });
    }
    Ok(())
}

/// `check_array` on a fitted estimator's input, then `n_features_in_`'s check.
pub(crate) fn check_x_fitted(
    x: &Matrix,
    n_features_in: usize,
    estimator: &'static str,
) -> Result<()> {
    check_x(x, Some(estimator))?;
    if x.n_cols != n_features_in {
        return Err(LearnError::FeatureCountMismatch {
            n_features: x.n_cols,
            expected: n_features_in,
            estimator,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_access() {
        let mut m = Matrix::zeros(2, 2);
        m[(1, 0)] = 3.0;
        m.row_mut(0)[1] = 2.0;
        assert_eq!(m.as_slice(), &[0.0, 2.0, 3.0, 0.0]);
        assert_eq!(m.get(1, 0), Some(3.0));
        assert_eq!(m.get(2, 0), None);
        assert_eq!(m.to_rows(), vec![vec![0.0, 2.0], vec![3.0, 0.0]]);
        let empty = Matrix::new(Vec::new(), 3, 0).unwrap();
        assert_eq!(empty.rows().count(), 3);
        assert!(empty.rows().all(<[f64]>::is_empty));
        assert_eq!(Matrix::from_rows::<Vec<f64>>(&[]).unwrap().shape(), (0, 0));
        assert_eq!(m.clone().into_vec().len(), 4);
        assert!(Matrix::new(vec![0.0; 6], 2, 3).is_ok());
    }

    #[test]
    #[should_panic(expected = "out of bounds")]
    fn index_outside_panics() {
        let m = Matrix::zeros(2, 2);
        let _ = m[(0, 2)];
    }
}
