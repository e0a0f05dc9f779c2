//! `KMeans` (`sklearn/cluster/_kmeans.py` with its Cython kernels
//! `_k_means_lloyd.pyx`, `_k_means_elkan.pyx` and `_k_means_common.pyx`).
//!
//! The arithmetic follows scikit-learn's step for step, so that a run from the same
//! initial centres gives the same labels, the same centres bit for bit and the same
//! inertia: the data are centred on their (NumPy-summed) column means first, new centres
//! are weighted sums accumulated in sample order and scaled by the reciprocal of the
//! cluster weight, the centre shift and the inertia use the four-way unrolled distance
//! of the Cython kernels. Where scikit-learn calls BLAS (the `-2 x·c + |c|²` scores that
//! pick a sample's nearest centre in Lloyd's E-step, k-means++'s distances, `transform`)
//! kiln sums the products in its own order (AVX2/FMA kernels chosen at run time, the
//! `gemm` crate's matrix product for k-means++), so those values may differ in the last
//! bits; labels only change if a sample is equally close to two centres up to rounding.
//!
//! The kernels are generic over the sample type ([`Real`]: `f64` or `f32`).
//! [`KMeans::fit`] takes `float64` samples; [`KMeans::fit_f32`] takes `float32` samples
//! and computes in `float32` throughout, as scikit-learn's fused-typed Cython does for
//! a `float32` array (`check_array` keeps that dtype): the column means, the tolerance
//! (`np.var` and `np.mean` in `float32`), the centre sums, cluster weights, shifts,
//! Elkan's bounds and the inertia are `float32` accumulations in the same order; the
//! k-means++ distances and Elkan's centre-to-centre distances are computed from
//! `float64` copies and rounded to `float32`, as `_euclidean_distances_upcast` does.

mod elkan;
mod kernels;
mod lloyd;
mod plusplus;

use std::str::FromStr;

use super::real::Real;
use crate::error::{LearnError, Result, Warning};
use crate::label::py_str_repr;
use crate::matrix::{check_x, check_x_fitted, Matrix};
use crate::numeric::dot;
use crate::pyfmt::py_float_repr;
use crate::random::RandomState;
use crate::validation::check_finite;
use elkan::elkan;
use kernels::{assign_labels, inertia, Data, Run};
use lloyd::lloyd;
use plusplus::kmeans_plusplus;

const ESTIMATOR: &str = "KMeans";

/// How `KMeans` picks its initial centres (`init`).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum KMeansInit {
    /// `"k-means++"`: greedy k-means++ (`2 + ln(k)` candidates per centre, the one
    /// that lowers the potential most is kept).
    #[default]
    KMeansPlusPlus,
    /// `"random"`: `n_clusters` distinct samples drawn with probabilities proportional
    /// to their weights.
    Random,
    /// Explicit initial centres, shape `(n_clusters, n_features)`; a single run.
    Array(Matrix),
}

impl FromStr for KMeansInit {
    type Err = LearnError;

    /// `"k-means++"` or `"random"`.
    ///
    /// ```
    /// use kiln_learn::cluster::KMeansInit;
    ///
    /// assert_eq!("random".parse::<KMeansInit>()?, KMeansInit::Random);
    /// assert!("kmeans".parse::<KMeansInit>().is_err());
    /// # Ok::<(), kiln_learn::LearnError>(())
    /// ```
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "k-means++" => Ok(KMeansInit::KMeansPlusPlus),
            "random" => Ok(KMeansInit::Random),
            _ => Err(LearnError::InvalidParameter {
                param: "init",
                caller: Some(ESTIMATOR),
                // scikit-learn prints this set in Python's (hash-seeded) set order
                constraint: "a str among {'k-means++', 'random'}, a callable or an array-like"
                    .to_string(),
                got: py_str_repr(s),
            }),
        }
    }
}

/// How many initialisations `KMeans` runs (`n_init`); the run with the lowest inertia
/// is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NInit {
    /// `"auto"` (scikit-learn 1.4's default): one run for k-means++ and explicit
    /// centres, ten for `"random"`.
    #[default]
    Auto,
    /// A fixed number of runs (at least one; explicit centres always run once).
    Count(usize),
}

/// The k-means algorithm (`algorithm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KMeansAlgorithm {
    /// `"lloyd"`: the classical EM-style iteration.
    #[default]
    Lloyd,
    /// `"elkan"`: Lloyd's iteration with Elkan's triangle-inequality bounds; the same
    /// result, fewer distance computations on well-separated clusters.
    Elkan,
}

impl FromStr for KMeansAlgorithm {
    type Err = LearnError;

    /// `"lloyd"` or `"elkan"`.
    ///
    /// ```
    /// use kiln_learn::cluster::KMeansAlgorithm;
    ///
    /// assert_eq!("elkan".parse::<KMeansAlgorithm>()?, KMeansAlgorithm::Elkan);
    /// assert_eq!(
    ///     "full".parse::<KMeansAlgorithm>().unwrap_err().to_string(),
    ///     "The 'algorithm' parameter of KMeans must be a str among {'elkan', 'lloyd'}. Got 'full' instead."
    /// );
    /// # Ok::<(), kiln_learn::LearnError>(())
    /// ```
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "lloyd" => Ok(KMeansAlgorithm::Lloyd),
            "elkan" => Ok(KMeansAlgorithm::Elkan),
            _ => Err(LearnError::InvalidParameter {
                param: "algorithm",
                caller: Some(ESTIMATOR),
                // scikit-learn prints this set in Python's (hash-seeded) set order
                constraint: "a str among {'elkan', 'lloyd'}".to_string(),
                got: py_str_repr(s),
            }),
        }
    }
}

/// K-means clustering, as `sklearn.cluster.KMeans` (dense input).
///
/// The fields are scikit-learn's parameters with its defaults ([`KMeans::default`]);
/// [`KMeans::fit`] returns the fitted model, [`FittedKMeans`], with scikit-learn's
/// attributes.
///
/// ```
/// use kiln_learn::cluster::{KMeans, KMeansInit};
/// use kiln_learn::Matrix;
///
/// let x = Matrix::from_rows(&[[1.0, 2.0], [1.0, 4.0], [1.0, 0.0], [10.0, 2.0], [10.0, 4.0], [10.0, 0.0]])?;
/// let km = KMeans { n_clusters: 2, random_state: Some(0), ..KMeans::default() }.fit(&x, None)?;
/// // scikit-learn's docstring example gives the same
/// assert_eq!(km.cluster_centers_.to_rows(), vec![vec![10.0, 2.0], vec![1.0, 2.0]]);
/// assert_eq!(km.labels_, vec![1, 1, 1, 0, 0, 0]);
/// assert_eq!(km.inertia_, 16.0);
/// assert_eq!(km.predict(&Matrix::from_rows(&[[0.0, 0.0], [12.0, 3.0]])?)?, vec![1, 0]);
///
/// // from given centres, with Elkan's algorithm
/// let init = Matrix::from_rows(&[[0.0, 0.0], [9.0, 9.0]])?;
/// let km = KMeans {
///     n_clusters: 2,
///     init: KMeansInit::Array(init),
///     algorithm: "elkan".parse()?,
///     ..KMeans::default()
/// }
/// .fit(&x, None)?;
/// assert_eq!(km.labels_, vec![0, 0, 0, 1, 1, 1]);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct KMeans {
    /// The number of clusters (`8`).
    pub n_clusters: usize,
    /// The initialisation (`"k-means++"`).
    pub init: KMeansInit,
    /// The number of initialisations (`"auto"`).
    pub n_init: NInit,
    /// The most iterations of one run (`300`).
    pub max_iter: usize,
    /// Convergence tolerance on the squared centre shift, relative to the mean
    /// per-feature variance of `X` (`1e-4`).
    pub tol: f64,
    /// The seed of the initialisation's `RandomState` (`None`: from entropy).
    pub random_state: Option<u32>,
    /// Lloyd or Elkan (`"lloyd"`).
    pub algorithm: KMeansAlgorithm,
}

impl Default for KMeans {
    /// scikit-learn's defaults: `n_clusters=8, init="k-means++", n_init="auto",
    /// max_iter=300, tol=1e-4, random_state=None, algorithm="lloyd"`.
    fn default() -> Self {
        KMeans {
            n_clusters: 8,
            init: KMeansInit::KMeansPlusPlus,
            n_init: NInit::Auto,
            max_iter: 300,
            tol: 1e-4,
            random_state: None,
            algorithm: KMeansAlgorithm::Lloyd,
        }
    }
}

/// A fitted [`KMeans`]: scikit-learn's attributes, and the methods that use them.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedKMeans {
    /// The centres, shape `(n_clusters, n_features)`.
    pub cluster_centers_: Matrix,
    /// The cluster of each training sample.
    pub labels_: Vec<usize>,
    /// The sum of the (weighted) squared distances of the samples to their centre.
    pub inertia_: f64,
    /// Iterations of the kept run.
    pub n_iter_: usize,
    /// Number of features seen by `fit`.
    pub n_features_in_: usize,
    /// The `RuntimeWarning`s and `ConvergenceWarning`s scikit-learn would have issued.
    pub warnings: Vec<Warning>,
}

impl KMeans {
    /// `KMeans(n_clusters)` with the other parameters at their defaults.
    pub fn new(n_clusters: usize) -> Self {
        KMeans {
            n_clusters,
            ..KMeans::default()
        }
    }

    fn check_params(&self) -> Result<()> {
        let int_error = |param: &'static str, got: usize| LearnError::InvalidParameter {
            param,
            caller: Some(ESTIMATOR),
            constraint: "an int in the range [1, inf)".to_string(),
            got: got.to_string(),
        };
        if self.n_clusters == 0 {
            return Err(int_error("n_clusters", 0));
        }
        if self.n_init == NInit::Count(0) {
            return Err(LearnError::InvalidParameter {
                param: "n_init",
                caller: Some(ESTIMATOR),
                constraint: "a str among {'auto'} or an int in the range [1, inf)".to_string(),
                got: "0".to_string(),
            });
        }
        if self.max_iter == 0 {
            return Err(int_error("max_iter", 0));
        }
        if self.tol.is_nan() || self.tol < 0.0 {
            return Err(LearnError::InvalidParameter {
                param: "tol",
                caller: Some(ESTIMATOR),
                constraint: "a float in the range [0.0, inf)".to_string(),
                got: py_float_repr(self.tol),
            });
        }
        Ok(())
    }

    /// Computes the clustering of `x` (`n_samples × n_features`), with optional
    /// per-sample weights (`None`: all one), in `float64`.
    ///
    /// Errors with scikit-learn's messages: fewer samples than clusters, an empty or
    /// non-finite `x`, explicit centres of the wrong shape, bad weights, a parameter out
    /// of range, and NumPy's when k-means++ or `"random"` meet a negative weight.
    pub fn fit(&self, x: &Matrix, sample_weight: Option<&[f64]>) -> Result<FittedKMeans> {
        self.check_params()?;
        check_x(x, Some(ESTIMATOR))?;
        let (n, d) = x.shape();
        self.fit_typed(x.as_slice(), n, d, sample_weight)
    }

    /// [`KMeans::fit`] on `float32` samples (`n_samples × n_features`, row-major in
    /// `x`) and `float32` weights, computed in `float32` as scikit-learn computes a fit
    /// on a `float32` array: the centring, the k-means++ or `"random"` initialisation,
    /// Lloyd's or Elkan's iterations, the centre sums, the bounds, the shifts, the
    /// tolerance and the inertia all in single precision (the k-means++ distances and
    /// Elkan's centre-to-centre distances on `float64` copies, rounded to `float32`, as
    /// scikit-learn's `_euclidean_distances_upcast`). Explicit initial centres are
    /// rounded to `float32` first (`check_array(init, dtype=X.dtype)`).
    ///
    /// The fitted model holds the `float32` results widened exactly to `f64`
    /// (scikit-learn's `cluster_centers_` and `inertia_` are `float32` for this input):
    /// every value of `cluster_centers_` and `inertia_` is a `float32` value. Its
    /// methods take `float64` input.
    ///
    /// Errors as [`KMeans::fit`], and NumPy's reshape message when `x.len()` is not
    /// `n_samples * n_features`.
    ///
    /// ```
    /// use kiln_learn::cluster::KMeans;
    ///
    /// let x: Vec<f32> = vec![1.0, 2.0, 1.0, 4.0, 1.0, 0.0, 10.0, 2.0, 10.0, 4.0, 10.0, 0.0];
    /// let km = KMeans { n_clusters: 2, random_state: Some(0), ..KMeans::default() }
    ///     .fit_f32(&x, 6, 2, None)?;
    /// assert_eq!(km.cluster_centers_.to_rows(), vec![vec![10.0, 2.0], vec![1.0, 2.0]]);
    /// assert_eq!(km.labels_, vec![1, 1, 1, 0, 0, 0]);
    /// assert_eq!(km.inertia_, 16.0);
    /// // 0.1 is not a float32 value: the centre is the float32 mean
    /// let km = KMeans::new(1).fit_f32(&[0.1, 0.1], 2, 1, None)?;
    /// assert_eq!(km.cluster_centers_[(0, 0)], f64::from(0.1f32));
    /// assert!(KMeans::new(1).fit_f32(&[0.1; 3], 2, 1, None).is_err());
    /// # Ok::<(), kiln_learn::LearnError>(())
    /// ```
    pub fn fit_f32(
        &self,
        x: &[f32],
        n_samples: usize,
        n_features: usize,
        sample_weight: Option<&[f32]>,
    ) -> Result<FittedKMeans> {
        if n_samples.checked_mul(n_features) != Some(x.len()) {
            return Err(LearnError::ReshapeSize {
                size: x.len(),
                n_rows: n_samples,
                n_cols: n_features,
            });
        }
        self.check_params()?;
        check_samples(x, n_samples, n_features)?;
        self.fit_typed(x, n_samples, n_features, sample_weight)
    }

    /// The fit in the sample type `T` (checked samples and parameters).
    fn fit_typed<T: Real>(
        &self,
        x: &[T],
        n: usize,
        d: usize,
        sample_weight: Option<&[T]>,
    ) -> Result<FittedKMeans> {
        let k = self.n_clusters;
        if n < k {
            return Err(LearnError::TooFewSamplesForClusters {
                n_samples: n,
                n_clusters: k,
            });
        }
        let tol = tolerance(x, d, self.tol);
        let mut warnings = Vec::new();
        let mut n_init = match (self.n_init, &self.init) {
            (NInit::Count(c), _) => c,
            (NInit::Auto, KMeansInit::Random) => 10,
            (NInit::Auto, _) => 1,
        };
        if matches!(self.init, KMeansInit::Array(_)) && n_init != 1 {
            warnings.push(Warning::runtime(format!(
                "Explicit initial center position passed: performing only one init in KMeans instead of n_init={n_init}."
            )));
            n_init = 1;
        }
        let mut algorithm = self.algorithm;
        if algorithm == KMeansAlgorithm::Elkan && k == 1 {
            warnings.push(Warning::runtime(
                "algorithm='elkan' doesn't make sense for a single cluster. Using 'lloyd' instead.",
            ));
            algorithm = KMeansAlgorithm::Lloyd;
        }
        let mut rng = self
            .random_state
            .map_or_else(RandomState::from_entropy, RandomState::new);
        let weights = check_sample_weight(sample_weight, n)?;

        // centre the data (and explicit centres) on the column means
        let means = T::column_means(x, d);
        let xc: Vec<T> = x
            .iter()
            .enumerate()
            .map(|(i, &v)| v - means[i % d])
            .collect();
        let init_centred = match &self.init {
            KMeansInit::Array(init) => {
                check_finite(init.as_slice(), "")?;
                if init.n_rows() == 0 {
                    return Err(LearnError::TooFewInArray {
                        what: "sample",
                        shape: init.shape(),
                        estimator: None,
                    });
                }
                if init.n_rows() != k {
                    return Err(LearnError::InitCentersClusters {
                        shape: init.shape(),
                        n_clusters: k,
                    });
                }
                if init.n_cols() != d {
                    return Err(LearnError::InitCentersFeatures {
                        shape: init.shape(),
                        n_features: d,
                    });
                }
                Some(
                    init.as_slice()
                        .iter()
                        .enumerate()
                        .map(|(i, &v)| T::from_f64(v) - means[i % d])
                        .collect::<Vec<T>>(),
                )
            }
            _ => None,
        };
        let data = Data {
            x: &xc,
            w: &weights,
            n,
            d,
        };
        let x_sq_norms: Vec<f64> = if self.init == KMeansInit::KMeansPlusPlus {
            // on float64 copies for float32 data (`_euclidean_distances_upcast`)
            let mut buf = Vec::new();
            xc.chunks_exact(d)
                .map(|r| {
                    let r = T::widen(r, &mut buf);
                    dot(r, r)
                })
                .collect()
        } else {
            Vec::new()
        };

        let run_once = |rng: &mut RandomState| -> Result<Run<T>> {
            let centers_init = match &init_centred {
                Some(c) => c.clone(),
                None if self.init == KMeansInit::Random => {
                    let seeds = rng.choice_weighted_without_replacement_atol(
                        &probabilities(&weights),
                        k,
                        T::P_ATOL,
                    )?;
                    let mut c = Vec::with_capacity(k * d);
                    for s in seeds {
                        c.extend_from_slice(data.row(s));
                    }
                    c
                }
                None => kmeans_plusplus(&data, k, &x_sq_norms, rng)?,
            };
            Ok(match algorithm {
                KMeansAlgorithm::Lloyd => lloyd(&data, centers_init, k, self.max_iter, tol),
                KMeansAlgorithm::Elkan => elkan(&data, centers_init, k, self.max_iter, tol),
            })
        };
        let mut best = run_once(&mut rng)?;
        for _ in 1..n_init {
            let run = run_once(&mut rng)?;
            // a lower inertia that is not the same clustering relabelled
            if run.inertia < best.inertia && !same_clustering(&run.labels, &best.labels, k) {
                best = run;
            }
        }
        let mut centers = best.centers;
        for (i, c) in centers.iter_mut().enumerate() {
            *c += means[i % d];
        }
        let mut seen = vec![false; k];
        for &l in &best.labels {
            seen[l] = true;
        }
        let distinct = seen.iter().filter(|s| **s).count();
        if distinct < k {
            warnings.push(Warning::convergence(format!(
                "Number of distinct clusters ({distinct}) found smaller than n_clusters ({k}). Possibly due to duplicate points in X."
            )));
        }
        Ok(FittedKMeans {
            cluster_centers_: Matrix::new(centers.into_iter().map(T::to_f64).collect(), k, d)?,
            labels_: best.labels,
            inertia_: best.inertia.to_f64(),
            n_iter_: best.n_iter,
            n_features_in_: d,
            warnings,
        })
    }

    /// `fit(x).labels_`: the cluster of each sample.
    ///
    /// ```
    /// use kiln_learn::cluster::KMeans;
    /// use kiln_learn::Matrix;
    ///
    /// let x = Matrix::from_rows(&[[0.0], [0.5], [10.0], [10.5]])?;
    /// let labels = KMeans { n_clusters: 2, random_state: Some(1), ..KMeans::default() }.fit_predict(&x, None)?;
    /// assert_eq!(labels[0], labels[1]);
    /// assert_ne!(labels[0], labels[2]);
    /// # Ok::<(), kiln_learn::LearnError>(())
    /// ```
    pub fn fit_predict(&self, x: &Matrix, sample_weight: Option<&[f64]>) -> Result<Vec<usize>> {
        Ok(self.fit(x, sample_weight)?.labels_)
    }

    /// `fit(x)` and the distances of `x` to the centres (`fit_transform`), returned
    /// with the fitted model.
    pub fn fit_transform(
        &self,
        x: &Matrix,
        sample_weight: Option<&[f64]>,
    ) -> Result<(FittedKMeans, Matrix)> {
        let model = self.fit(x, sample_weight)?;
        let distances = euclidean_distances(x, &model.cluster_centers_)?;
        Ok((model, distances))
    }
}

impl FittedKMeans {
    /// The nearest centre of each sample (`predict`).
    pub fn predict(&self, x: &Matrix) -> Result<Vec<usize>> {
        check_x_fitted(x, self.n_features_in_, ESTIMATOR)?;
        let k = self.cluster_centers_.n_rows();
        let mut labels = vec![0; x.n_rows()];
        assign_labels(
            x.as_slice(),
            x.n_cols(),
            self.cluster_centers_.as_slice(),
            k,
            &mut labels,
        );
        Ok(labels)
    }

    /// The Euclidean distance of each sample to each centre, shape
    /// `(n_samples, n_clusters)` (`transform`).
    ///
    /// ```
    /// use kiln_learn::cluster::{KMeans, KMeansInit};
    /// use kiln_learn::Matrix;
    ///
    /// let x = Matrix::from_rows(&[[0.0, 0.0], [0.0, 2.0], [6.0, 0.0], [6.0, 2.0]])?;
    /// let init = KMeansInit::Array(Matrix::from_rows(&[[0.0, 0.0], [5.0, 0.0]])?);
    /// let km = KMeans { n_clusters: 2, init, ..KMeans::default() }.fit(&x, None)?;
    /// let d = km.transform(&Matrix::from_rows(&[[3.0, 5.0]])?)?;
    /// assert!((d[(0, 0)] - 5.0).abs() < 1e-12 && (d[(0, 1)] - 5.0).abs() < 1e-12);
    /// # Ok::<(), kiln_learn::LearnError>(())
    /// ```
    pub fn transform(&self, x: &Matrix) -> Result<Matrix> {
        check_x_fitted(x, self.n_features_in_, ESTIMATOR)?;
        euclidean_distances(x, &self.cluster_centers_)
    }

    /// The opposite of the inertia of `x` on the fitted centres (`score`), with
    /// optional sample weights.
    pub fn score(&self, x: &Matrix, sample_weight: Option<&[f64]>) -> Result<f64> {
        check_x_fitted(x, self.n_features_in_, ESTIMATOR)?;
        let weights = check_sample_weight(sample_weight, x.n_rows())?;
        let k = self.cluster_centers_.n_rows();
        let centers = self.cluster_centers_.as_slice();
        let mut labels = vec![0; x.n_rows()];
        assign_labels(x.as_slice(), x.n_cols(), centers, k, &mut labels);
        let data = Data {
            x: x.as_slice(),
            w: &weights,
            n: x.n_rows(),
            d: x.n_cols(),
        };
        Ok(-inertia(&data, centers, &labels))
    }
}

// ---------------------------------------------------------------------------------------
// input checks

/// `_check_sample_weight`: ones when not given, else the right length, finite and not
/// all zero.
fn check_sample_weight<T: Real>(sample_weight: Option<&[T]>, n: usize) -> Result<Vec<T>> {
    match sample_weight {
        None => Ok(vec![T::ONE; n]),
        Some(w) => {
            if w.len() != n {
                return Err(LearnError::SampleWeightShape {
                    got: w.len(),
                    expected: n,
                });
            }
            let mut buf = Vec::new();
            crate::validation::check_sample_weight(T::widen(w, &mut buf))?;
            Ok(w.to_vec())
        }
    }
}

/// `check_array` on `float32` samples: finite, at least one sample and one feature.
fn check_samples(x: &[f32], n: usize, d: usize) -> Result<()> {
    let nan = x.iter().any(|v| v.is_nan());
    if nan || x.iter().any(|v| v.is_infinite()) {
        return Err(LearnError::NonFiniteX {
            estimator: Some(ESTIMATOR),
            nan,
        });
    }
    let what = if n == 0 {
        "sample"
    } else if d == 0 {
        "feature"
    } else {
        return Ok(());
    };
    Err(LearnError::TooFewInArray {
        what,
        shape: (n, d),
        estimator: Some(ESTIMATOR),
    })
}

/// `_tolerance`: `tol` times the mean of the per-feature variances (zero stays zero),
/// in the sample type (NumPy multiplies a `float32` mean by the Python float `tol` in
/// `float32`).
fn tolerance<T: Real>(x: &[T], d: usize, tol: f64) -> T {
    if tol == 0.0 {
        return T::ZERO;
    }
    let vars = T::column_vars(x, d);
    T::np_sum(&vars) / T::from_f64(vars.len() as f64) * T::from_f64(tol)
}

/// `sample_weight / sample_weight.sum()`, in the sample type, as the `float64`
/// probabilities `RandomState.choice` converts them to.
fn probabilities<T: Real>(w: &[T]) -> Vec<f64> {
    let total = T::np_sum(w);
    w.iter().map(|&v| (v / total).to_f64()).collect()
}

/// `_is_same_clustering`: the two labellings are equal up to a renaming of the labels.
fn same_clustering(labels1: &[usize], labels2: &[usize], k: usize) -> bool {
    let mut mapping = vec![usize::MAX; k];
    for (&a, &b) in labels1.iter().zip(labels2) {
        if mapping[a] == usize::MAX {
            mapping[a] = b;
        } else if mapping[a] != b {
            return false;
        }
    }
    true
}

/// `euclidean_distances(X, centers)`: `sqrt(max((-2 x·c + |x|²) + |c|², 0))`.
fn euclidean_distances(x: &Matrix, centers: &Matrix) -> Result<Matrix> {
    let (n, k) = (x.n_rows(), centers.n_rows());
    let c_norms: Vec<f64> = centers.rows().map(|c| dot(c, c)).collect();
    let mut out = Vec::with_capacity(n * k);
    for xi in x.rows() {
        let x_norm = dot(xi, xi);
        for (c, cn) in centers.rows().zip(&c_norms) {
            out.push(((-2.0 * dot(xi, c) + x_norm) + cn).max(0.0).sqrt());
        }
    }
    Matrix::new(out, n, k)
}

#[cfg(test)]
mod tests {
    use super::elkan::elkan_on;
    use super::kernels::{accumulate_on, assign_labels_on, sq_distance};
    use super::lloyd::{lloyd_iter, lloyd_on};
    use super::*;

    #[test]
    fn unrolled_distance_and_clustering_identity() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = [0.0; 5];
        assert_eq!(sq_distance(&a, &b), 55.0);
        assert!(same_clustering(&[0, 0, 1, 2], &[2, 2, 0, 1], 3));
        assert!(!same_clustering(&[0, 0, 1], &[1, 0, 1], 2));
    }

    /// A deterministic data set: `k` blobs in `d` dimensions (splitmix64 draws).
    fn synthetic(n: usize, d: usize, k: usize) -> (Vec<f64>, Vec<f64>) {
        let mut state = 42u64;
        let mut next = || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        };
        let centres: Vec<f64> = (0..k * d).map(|_| next() * 20.0 - 10.0).collect();
        let mut x = Vec::with_capacity(n * d);
        for _ in 0..n {
            let c = ((next() * k as f64) as usize).min(k - 1);
            for f in 0..d {
                x.push(centres[c * d + f] + (next() + next() + next() - 1.5) * 3.0);
            }
        }
        let init = x[..k * d].to_vec();
        (x, init)
    }

    #[test]
    fn threads_do_not_change_the_result() {
        let (n, d, k) = (3000, 7, 9);
        let (x, init) = synthetic(n, d, k);
        let w: Vec<f64> = (0..n).map(|i| 0.5 + (i % 7) as f64 * 0.25).collect();
        let data = Data { x: &x, w: &w, n, d };
        let mut one = vec![0; n];
        let mut four = vec![0; n];
        assign_labels_on(&x, d, &init, k, &mut one, 1);
        assign_labels_on(&x, d, &init, k, &mut four, 4);
        assert_eq!(one, four);
        let (mut c1, mut w1) = (vec![0.0; k * d], vec![0.0; k]);
        let (mut c3, mut w3) = (vec![1.0; k * d], vec![1.0; k]);
        accumulate_on(&data, &one, &mut c1, &mut w1, 1);
        accumulate_on(&data, &one, &mut c3, &mut w3, 3);
        assert_eq!((&c1, &w1), (&c3, &w3));
        assert!(w1.iter().all(|w| *w > 0.0));
        let a = elkan_on(&data, init.clone(), k, 300, 1e-9, 1);
        let b = elkan_on(&data, init.clone(), k, 300, 1e-9, 3);
        let init_copy = init.clone();
        let c = lloyd(&data, init, k, 300, 1e-9);
        assert_eq!(
            (&a.labels, &a.centers, a.inertia, a.n_iter),
            (&b.labels, &b.centers, b.inertia, b.n_iter)
        );
        assert_eq!(
            (&a.labels, &a.centers, a.inertia, a.n_iter),
            (&c.labels, &c.centers, c.inertia, c.n_iter)
        );
        assert!(a.n_iter > 2);
        // Lloyd's fused pass on several threads: the same labels, per-thread sums
        // (scikit-learn's multi-threaded order) within rounding of the sample order
        let (mut l1, mut l2) = (vec![0; n], vec![0; n]);
        let (mut s1, mut w1) = (vec![0.0; k * d], vec![0.0; k]);
        let (mut s2, mut w2) = (vec![0.0; k * d], vec![0.0; k]);
        lloyd_iter(&data, &a.centers, k, &mut l1, &mut s1, &mut w1, 1);
        lloyd_iter(&data, &a.centers, k, &mut l2, &mut s2, &mut w2, 2);
        assert_eq!(l1, l2);
        assert_eq!(w1, w2);
        let worst = s1
            .iter()
            .zip(&s2)
            .map(|(x, y)| (x - y).abs() / x.abs().max(1.0))
            .fold(0.0, f64::max);
        assert!(worst < 1e-13, "{worst:e}");
        let (mut c1, mut cw1) = (vec![0.0; k * d], vec![0.0; k]);
        accumulate_on(&data, &l1, &mut c1, &mut cw1, 1);
        assert_eq!((&c1, &cw1), (&s1, &w1));
        let b2 = lloyd_on(&data, init_copy.clone(), k, 300, 1e-9, 2);
        assert_eq!(b2.labels, a.labels);
    }
}
