//! `PCA` (`sklearn/decomposition/_pca.py` and `_base.py`, the `"full"` and
//! `"covariance_eigh"` solvers).

use crate::error::{LearnError, Result};
use crate::linalg::{svd, symmetric_eigen};
use crate::matrix::{check_x, check_x_fitted, Matrix};
use crate::numeric::{column_means, cumsum, dot, np_mean, np_sum};
use crate::pyfmt::py_float_repr;

const ESTIMATOR: &str = "PCA";

/// How many components `PCA` keeps (`n_components`; `None` in [`PCA`] keeps
/// `min(n_samples, n_features)`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NComponents {
    /// A fixed number, at most `min(n_samples, n_features)` (zero is allowed, as in
    /// scikit-learn).
    Count(usize),
    /// The fewest components whose explained variance ratios add up to more than this
    /// fraction, in `(0, 1)`.
    Fraction(f64),
    /// `"mle"`: Minka's maximum-likelihood choice of the dimension (needs
    /// `n_samples >= n_features`).
    Mle,
}

/// How `PCA` decomposes the data (`svd_solver`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SvdSolver {
    /// `"full"`: an exact thin SVD of the centred data (kiln: Householder QR, then
    /// one-sided Jacobi). kiln's default; scikit-learn's default is `"auto"`, which
    /// picks `"covariance_eigh"` for `n_samples >= 10 * n_features` (at most 1000
    /// features), `"full"` for small or `"mle"` problems, and a randomized SVD
    /// (not in kiln) for large ones.
    #[default]
    Full,
    /// `"covariance_eigh"`: the eigen-decomposition of the covariance matrix
    /// `(X^T X - n m m^T) / (n - 1)` (kiln: cyclic Jacobi); cheaper for many samples and
    /// few features, less accurate for small variances.
    CovarianceEigh,
}

impl SvdSolver {
    fn name(self) -> &'static str {
        match self {
            SvdSolver::Full => "full",
            SvdSolver::CovarianceEigh => "covariance_eigh",
        }
    }
}

/// Principal component analysis, as `sklearn.decomposition.PCA` with
/// `svd_solver="full"` or `"covariance_eigh"` (dense input).
///
/// [`PCA::fit`] returns a [`FittedPCA`] with scikit-learn's attributes; the components'
/// signs follow scikit-learn's `svd_flip(u_based_decision=False)`: the entry of largest
/// magnitude of each component is positive.
///
/// ```
/// use kiln_learn::decomposition::{NComponents, PCA};
/// use kiln_learn::Matrix;
///
/// let x = Matrix::from_rows(&[[-1.0, -1.0], [-2.0, -1.0], [-3.0, -2.0], [1.0, 1.0], [2.0, 1.0], [3.0, 2.0]])?;
/// let pca = PCA { n_components: Some(NComponents::Count(2)), ..PCA::default() }.fit(&x)?;
/// // scikit-learn's docstring example
/// let ratio = &pca.explained_variance_ratio_;
/// assert!((ratio[0] - 0.9924).abs() < 1e-4 && (ratio[1] - 0.0075).abs() < 1e-4);
/// let s = &pca.singular_values_;
/// assert!((s[0] - 6.30061).abs() < 1e-5 && (s[1] - 0.54980).abs() < 1e-5);
///
/// let z = pca.transform(&x)?;
/// let back = pca.inverse_transform(&z)?;
/// assert!(back.as_slice().iter().zip(x.as_slice()).all(|(a, b)| (a - b).abs() < 1e-12));
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PCA {
    /// The number of components (`None`: all, `min(n_samples, n_features)`).
    pub n_components: Option<NComponents>,
    /// Scale the projections to unit variance (`false`).
    pub whiten: bool,
    /// The decomposition (kiln's default: `"full"`).
    pub svd_solver: SvdSolver,
}

/// A fitted [`PCA`]: scikit-learn's attributes and the methods that use them.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedPCA {
    /// The principal axes, shape `(n_components_, n_features)`, by decreasing variance.
    pub components_: Matrix,
    /// The variance along each component (`ddof=1`).
    pub explained_variance_: Vec<f64>,
    /// Each component's share of the total variance.
    pub explained_variance_ratio_: Vec<f64>,
    /// The singular values of the centred data for the kept components.
    pub singular_values_: Vec<f64>,
    /// The per-feature mean of the training data.
    pub mean_: Vec<f64>,
    /// The mean variance of the dropped components (zero when none is dropped), the
    /// noise variance of the probabilistic PCA model.
    pub noise_variance_: f64,
    /// The number of components kept.
    pub n_components_: usize,
    /// Number of training samples.
    pub n_samples_: usize,
    /// Number of features seen by `fit`.
    pub n_features_in_: usize,
    /// Whether projections are whitened.
    pub whiten: bool,
}

/// The decomposition before the number of components is applied.
struct Decomposition {
    /// Left singular vectors (`n_samples × k`, row-major) for the `"full"` solver.
    u: Option<(Vec<f64>, usize)>,
    /// Singular values (all of them).
    s: Vec<f64>,
    /// Right singular vectors / eigenvectors as rows, `len(s) × n_features`.
    vt: Vec<f64>,
    /// Explained variance of every component.
    explained_variance: Vec<f64>,
}

impl PCA {
    /// `PCA(n_components)` with the other parameters at their defaults.
    pub fn new(n_components: Option<NComponents>) -> Self {
        PCA {
            n_components,
            ..PCA::default()
        }
    }

    fn check_params(&self) -> Result<()> {
        if let Some(NComponents::Fraction(f)) = self.n_components
            && !(f > 0.0 && f < 1.0)
        {
            return Err(LearnError::InvalidParameter {
                param: "n_components",
                caller: Some(ESTIMATOR),
                constraint: "an int in the range [0, inf), a float in the range (0.0, 1.0), a str among {'mle'} or None".to_string(),
                got: py_float_repr(f),
            });
        }
        Ok(())
    }

    /// Fits the model to `x` (`n_samples × n_features`).
    ///
    /// Errors with scikit-learn's messages: more components than
    /// `min(n_samples, n_features)`, `"mle"` with fewer samples than features, a
    /// fraction outside `(0, 1)`, an empty or non-finite `x`.
    pub fn fit(&self, x: &Matrix) -> Result<FittedPCA> {
        Ok(self.fit_full(x)?.0)
    }

    /// Fits the model and returns it with the projection of `x` (`fit_transform`; for
    /// the `"full"` solver `U * S`, or `U * sqrt(n_samples - 1)` when whitening).
    ///
    /// ```
    /// use kiln_learn::decomposition::{NComponents, PCA};
    /// use kiln_learn::Matrix;
    ///
    /// let x = Matrix::from_rows(&[[1.0, 2.0, 0.5], [3.0, 1.0, 0.0], [0.0, 0.0, 1.0], [2.0, 4.0, 2.0]])?;
    /// let (pca, z) = PCA { n_components: Some(NComponents::Fraction(0.9)), whiten: true, ..PCA::default() }
    ///     .fit_transform(&x)?;
    /// assert_eq!(z.shape(), (4, pca.n_components_));
    /// // whitened projections have unit variance
    /// let var: f64 = z.rows().map(|r| r[0] * r[0]).sum::<f64>() / 3.0;
    /// assert!((var - 1.0).abs() < 1e-12);
    /// # Ok::<(), kiln_learn::LearnError>(())
    /// ```
    pub fn fit_transform(&self, x: &Matrix) -> Result<(FittedPCA, Matrix)> {
        let (fitted, u) = self.fit_full(x)?;
        let n = x.n_rows();
        let k = fitted.n_components_;
        let out = match u {
            Some((u, width)) => {
                let kk = k.min(width);
                let mut out = Vec::with_capacity(n * kk);
                let root = ((n - 1) as f64).sqrt();
                for i in 0..n {
                    for j in 0..kk {
                        let scale = if self.whiten {
                            root
                        } else {
                            fitted.singular_values_[j]
                        };
                        out.push(u[i * width + j] * scale);
                    }
                }
                Matrix::new(out, n, kk)?
            }
            None => fitted.transform(x)?,
        };
        Ok((fitted, out))
    }

    #[allow(clippy::type_complexity)]
    fn fit_full(&self, x: &Matrix) -> Result<(FittedPCA, Option<(Vec<f64>, usize)>)> {
        self.check_params()?;
        check_x(x, Some(ESTIMATOR))?;
        let (n, d) = x.shape();
        let max = n.min(d);
        match self.n_components {
            Some(NComponents::Mle) if n < d => return Err(LearnError::MleNeedsMoreSamples),
            Some(NComponents::Count(c)) if c > max => {
                return Err(LearnError::NComponentsRange {
                    n_components: c,
                    max,
                    solver: self.svd_solver.name(),
                });
            }
            _ => {}
        }
        let mean = column_means(x.as_slice(), d);
        let mut dec = match self.svd_solver {
            SvdSolver::Full => {
                let centred: Vec<f64> = x
                    .as_slice()
                    .iter()
                    .enumerate()
                    .map(|(i, v)| v - mean[i % d])
                    .collect();
                let f = svd(&centred, n, d);
                let explained_variance = f.s.iter().map(|s| (s * s) / (n - 1) as f64).collect();
                Decomposition {
                    u: Some((f.u, f.k)),
                    s: f.s,
                    vt: f.vt,
                    explained_variance,
                }
            }
            SvdSolver::CovarianceEigh => covariance_eigh(x, &mean),
        };
        svd_flip(&mut dec, d);
        let total_var = np_sum(&dec.explained_variance);
        let ratio: Vec<f64> = dec
            .explained_variance
            .iter()
            .map(|v| v / total_var)
            .collect();
        let k = match self.n_components {
            None => max,
            Some(NComponents::Count(c)) => c,
            Some(NComponents::Mle) => infer_dimension(&dec.explained_variance, n)?,
            Some(NComponents::Fraction(f)) => {
                let cum = cumsum(ratio.iter().copied());
                cum.partition_point(|c| *c <= f) + 1
            }
        };
        let noise_variance = if k < max {
            np_mean(&dec.explained_variance[k..])
        } else {
            0.0
        };
        let kept = k.min(dec.s.len());
        let fitted = FittedPCA {
            components_: Matrix::new(dec.vt[..kept * d].to_vec(), kept, d)?,
            explained_variance_: dec.explained_variance[..kept].to_vec(),
            explained_variance_ratio_: ratio[..kept].to_vec(),
            singular_values_: dec.s[..kept].to_vec(),
            mean_: mean,
            noise_variance_: noise_variance,
            n_components_: k,
            n_samples_: n,
            n_features_in_: d,
            whiten: self.whiten,
        };
        Ok((fitted, dec.u))
    }
}

/// The `"covariance_eigh"` solver: `C = (X^T X - n m m^T) / (n - 1)`, its eigenvalues by
/// decreasing size (negative ones set to zero) as the explained variances.
fn covariance_eigh(x: &Matrix, mean: &[f64]) -> Decomposition {
    let (n, d) = x.shape();
    let mut columns = vec![0.0; n * d];
    for (i, row) in x.rows().enumerate() {
        for (j, v) in row.iter().enumerate() {
            columns[j * n + i] = *v;
        }
    }
    let mut c = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..d {
            let xtx = dot(&columns[i * n..(i + 1) * n], &columns[j * n..(j + 1) * n]);
            c[i * d + j] = (xtx - (n as f64 * mean[i]) * mean[j]) / (n - 1) as f64;
        }
    }
    let (values, vectors) = symmetric_eigen(&c, d);
    let mut explained_variance = Vec::with_capacity(d);
    let mut vt = Vec::with_capacity(d * d);
    for j in (0..d).rev() {
        explained_variance.push(values[j].max(0.0));
        vt.extend_from_slice(&vectors[j * d..(j + 1) * d]);
    }
    let s = explained_variance
        .iter()
        .map(|v| (v * (n - 1) as f64).sqrt())
        .collect();
    Decomposition {
        u: None,
        s,
        vt,
        explained_variance,
    }
}

/// `svd_flip(u, vt, u_based_decision=False)`: each row of `vt` (and the matching column
/// of `u`) times the sign of its entry of largest magnitude (the first such entry).
fn svd_flip(dec: &mut Decomposition, d: usize) {
    let rows = dec.s.len();
    for r in 0..rows {
        let row = &mut dec.vt[r * d..(r + 1) * d];
        let mut arg = 0;
        for (j, v) in row.iter().enumerate() {
            if v.abs() > row[arg].abs() {
                arg = j;
            }
        }
        let sign = if row[arg] > 0.0 {
            1.0
        } else if row[arg] < 0.0 {
            -1.0
        } else {
            0.0
        };
        for v in row.iter_mut() {
            *v *= sign;
        }
        if let Some((u, width)) = &mut dec.u
            && r < *width
        {
            for i in 0..u.len() / *width {
                u[i * *width + r] *= sign;
            }
        }
    }
}

impl FittedPCA {
    /// Projects `x` on the components: `x Cᵀ - mean Cᵀ`, divided by the components'
    /// standard deviations when whitening (`transform`).
    pub fn transform(&self, x: &Matrix) -> Result<Matrix> {
        check_x_fitted(x, self.n_features_in_, ESTIMATOR)?;
        let k = self.components_.n_rows();
        let offsets: Vec<f64> = self
            .components_
            .rows()
            .map(|c| dot(&self.mean_, c))
            .collect();
        let scales: Vec<f64> = self
            .explained_variance_
            .iter()
            .map(|v| v.sqrt().max(f64::EPSILON))
            .collect();
        let mut out = Vec::with_capacity(x.n_rows() * k);
        for row in x.rows() {
            for (j, c) in self.components_.rows().enumerate() {
                let mut v = dot(row, c) - offsets[j];
                if self.whiten {
                    v /= scales[j];
                }
                out.push(v);
            }
        }
        Matrix::new(out, x.n_rows(), k)
    }

    /// Maps projections back to the feature space: `z C + mean`, the components scaled
    /// by their standard deviations when whitening (`inverse_transform`).
    pub fn inverse_transform(&self, z: &Matrix) -> Result<Matrix> {
        check_x(z, None)?;
        let (k, d) = self.components_.shape();
        if z.n_cols() != k {
            return Err(LearnError::MatmulMismatch {
                expected: k,
                got: z.n_cols(),
            });
        }
        let components: Vec<f64> = if self.whiten {
            self.components_
                .rows()
                .zip(&self.explained_variance_)
                .flat_map(|(c, v)| {
                    let s = v.sqrt();
                    c.iter().map(move |x| s * x)
                })
                .collect()
        } else {
            self.components_.as_slice().to_vec()
        };
        let mut out = Vec::with_capacity(z.n_rows() * d);
        for row in z.rows() {
            for f in 0..d {
                let mut v = 0.0;
                for (j, zj) in row.iter().enumerate() {
                    v += zj * components[j * d + f];
                }
                out.push(v + self.mean_[f]);
            }
        }
        Matrix::new(out, z.n_rows(), d)
    }
}

/// `ln Γ(m / 2)` for a positive integer `m` (the only arguments Minka's formula needs),
/// from the recurrences `Γ(x + 1) = x Γ(x)`, `Γ(1) = 1`, `Γ(1/2) = √π`.
fn ln_gamma_half(m: usize) -> f64 {
    if m.is_multiple_of(2) {
        (1..m / 2).map(|j| (j as f64).ln()).sum()
    } else {
        let base = 0.5 * std::f64::consts::PI.ln();
        base + (0..m / 2).map(|j| (j as f64 + 0.5).ln()).sum::<f64>()
    }
}

/// `_assess_dimension`: Minka's log-likelihood of the data having rank `rank` given
/// the spectrum (the explained variances).
fn assess_dimension(spectrum: &[f64], rank: usize, n_samples: usize) -> Result<f64> {
    let nf = spectrum.len();
    let eps = 1e-15;
    if spectrum[rank - 1] < eps {
        return Ok(f64::NEG_INFINITY);
    }
    let n = n_samples as f64;
    let ln_pi = std::f64::consts::PI.ln();
    let mut pu = -(rank as f64) * 2f64.ln();
    for i in 1..=rank {
        let m = nf - i + 1;
        pu += ln_gamma_half(m) - ln_pi * m as f64 / 2.0;
    }
    let logs: Vec<f64> = spectrum[..rank].iter().map(|v| v.ln()).collect();
    let pl = -np_sum(&logs) * n / 2.0;
    let v = (np_sum(&spectrum[rank..]) / (nf - rank) as f64).max(eps);
    let pv = -v.ln() * n * (nf - rank) as f64 / 2.0;
    let r = rank as f64;
    let m = nf as f64 * r - r * (r + 1.0) / 2.0;
    let pp = (2.0 * std::f64::consts::PI).ln() * (m + r) / 2.0;
    let mut pa = 0.0;
    let capped = |j: usize| if j >= rank { v } else { spectrum[j] };
    for i in 0..rank {
        for j in i + 1..nf {
            let term = (spectrum[i] - spectrum[j]) * (1.0 / capped(j) - 1.0 / capped(i));
            // Python's math.log refuses zero (two equal variances)
            if term.is_nan() || term <= 0.0 {
                return Err(LearnError::MathDomain);
            }
            pa += term.ln() + n.ln();
        }
    }
    Ok(pu + pl + pv + pp - pa / 2.0 - r * n.ln() / 2.0)
}

/// `_infer_dimension`: the rank in `1..n_features` of the highest likelihood.
fn infer_dimension(spectrum: &[f64], n_samples: usize) -> Result<usize> {
    let mut best = 0;
    let mut best_ll = f64::NEG_INFINITY;
    for rank in 1..spectrum.len() {
        let ll = assess_dimension(spectrum, rank, n_samples)?;
        // np.argmax: the first maximum; ll[0] = -inf
        if ll > best_ll {
            best_ll = ll;
            best = rank;
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_gamma_at_halves() {
        // Γ(1/2) = √π, Γ(1) = 1, Γ(3/2) = √π / 2, Γ(5) = 24
        assert!((ln_gamma_half(1) - 0.5 * std::f64::consts::PI.ln()).abs() < 1e-15);
        assert_eq!(ln_gamma_half(2), 0.0);
        assert!((ln_gamma_half(3) - (std::f64::consts::PI.sqrt() / 2.0).ln()).abs() < 1e-15);
        assert!((ln_gamma_half(10) - 24f64.ln()).abs() < 1e-14);
    }

    #[test]
    fn mle_matches_sklearn_on_small_spectra() {
        // scikit-learn 1.9.1's _infer_dimension on the same spectra
        let spectrum = [9.0, 4.0, 2.0, 0.0101, 0.01, 0.0099, 0.0098];
        assert_eq!(infer_dimension(&spectrum, 500), Ok(4));
        assert_eq!(infer_dimension(&spectrum, 5), Ok(6));
        assert_eq!(infer_dimension(&[9.0, 4.0, 2.0, 0.01, 0.0101], 500), Ok(3));
        // two equal variances: Python's math.log(0) raises
        assert_eq!(
            infer_dimension(&[2.0, 1.0, 1.0], 50),
            Err(LearnError::MathDomain)
        );
    }
}
