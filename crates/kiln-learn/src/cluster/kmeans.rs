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

use std::str::FromStr;

use super::real::Real;
use crate::error::{LearnError, Result, Warning};
use crate::label::py_str_repr;
use crate::linalg::gemm_nt;
use crate::matrix::{check_x, check_x_fitted, Matrix};
use crate::numeric::dot;
use crate::pyfmt::py_float_repr;
use crate::random::RandomState;
use crate::validation::check_finite;

const ESTIMATOR: &str = "KMeans";

/// Samples per matrix product of the E-step (scikit-learn's chunk size).
const E_STEP_CHUNK: usize = 256;

/// Below this many multiply-adds an E-step runs on the calling thread.
const PARALLEL_WORK: usize = 1 << 21;

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

// ---------------------------------------------------------------------------------------
// kernels

/// Samples (centred for `fit`), their weights and the shape.
struct Data<'a, T = f64> {
    x: &'a [T],
    w: &'a [T],
    n: usize,
    d: usize,
}

impl<T> Data<'_, T> {
    fn row(&self, i: usize) -> &[T] {
        &self.x[i * self.d..(i + 1) * self.d]
    }
}

/// `_euclidean_dense_dense(squared=True)`: the squared distance summed four terms at a
/// time, then the remainder.
#[inline]
fn sq_distance<T: Real>(a: &[T], b: &[T]) -> T {
    let mut result = T::ZERO;
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        let t0 = (x[0] - y[0]) * (x[0] - y[0]);
        let t1 = (x[1] - y[1]) * (x[1] - y[1]);
        let t2 = (x[2] - y[2]) * (x[2] - y[2]);
        let t3 = (x[3] - y[3]) * (x[3] - y[3]);
        result += ((t0 + t1) + t2) + t3;
    }
    for (&x, &y) in ra.iter().zip(rb) {
        result += (x - y) * (x - y);
    }
    result
}

/// How many threads an E-step over `n` samples with `work` multiply-adds uses: one
/// below [`PARALLEL_WORK`], else up to the available parallelism, with at least 256
/// samples per thread.
fn threads_for(work: usize, n: usize) -> usize {
    if work < PARALLEL_WORK {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |t| t.get().min(n.div_ceil(256)))
    }
}

/// The nearest centre by `|c|² - 2 x·c` (scikit-learn's E-step scores, the products
/// from [`Real::dots`]), the first centre on ties; split over threads for large inputs (each sample's label depends
/// only on the centres, so the result does not depend on the split).
fn assign_labels<T: Real>(x: &[T], d: usize, centers: &[T], k: usize, labels: &mut [usize]) {
    let n = labels.len();
    let threads = threads_for(n.saturating_mul(k).saturating_mul(d), n);
    assign_labels_on(x, d, centers, k, labels, threads);
}

fn assign_labels_on<T: Real>(
    x: &[T],
    d: usize,
    centers: &[T],
    k: usize,
    labels: &mut [usize],
    threads: usize,
) {
    let norms: Vec<T> = centers.chunks_exact(d).map(|c| T::dot(c, c)).collect();
    let nearest = |xs: &[T], out: &mut [usize]| {
        let mut scores = vec![T::ZERO; k];
        for (xi, label) in xs.chunks_exact(d).zip(out.iter_mut()) {
            T::dots(xi, centers, &mut scores);
            *label = nearest_score(&scores, &norms);
        }
    };
    if threads <= 1 {
        nearest(x, labels);
        return;
    }
    let chunk = labels.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        for (xs, out) in x.chunks(chunk * d).zip(labels.chunks_mut(chunk)) {
            s.spawn(move || nearest(xs, out));
        }
    });
}

/// The M-step sums: the weight of each cluster and its weighted sum of samples, added
/// in sample order. Large inputs split the features over threads: each entry is still
/// summed over the samples in order, so the split does not change the result.
fn accumulate<T: Real>(
    data: &Data<T>,
    labels: &[usize],
    centers_new: &mut [T],
    weight_in_clusters: &mut [T],
) {
    let threads = threads_for(data.n.saturating_mul(data.d).saturating_mul(8), data.n);
    accumulate_on(data, labels, centers_new, weight_in_clusters, threads);
}

fn accumulate_on<T: Real>(
    data: &Data<T>,
    labels: &[usize],
    centers_new: &mut [T],
    weight_in_clusters: &mut [T],
    threads: usize,
) {
    weight_in_clusters.fill(T::ZERO);
    for (&label, &w) in labels.iter().zip(data.w) {
        weight_in_clusters[label] += w;
    }
    let d = data.d;
    let threads = threads.min(d);
    let k = centers_new.len() / d.max(1);
    let sum_features = |f0: usize, f1: usize, out: &mut [T]| {
        // out: k rows of the features f0..f1
        let width = f1 - f0;
        out.fill(T::ZERO);
        for (i, &label) in labels.iter().enumerate() {
            let w = data.w[i];
            let row = &data.x[i * d + f0..i * d + f1];
            for (c, v) in out[label * width..(label + 1) * width].iter_mut().zip(row) {
                *c += *v * w;
            }
        }
    };
    if threads <= 1 {
        sum_features(0, d, centers_new);
        return;
    }
    let step = d.div_ceil(threads);
    let ranges: Vec<(usize, usize)> = (0..d)
        .step_by(step)
        .map(|f0| (f0, (f0 + step).min(d)))
        .collect();
    let mut parts: Vec<Vec<T>> = ranges
        .iter()
        .map(|(f0, f1)| vec![T::ZERO; k * (f1 - f0)])
        .collect();
    std::thread::scope(|s| {
        for (&(f0, f1), part) in ranges.iter().zip(parts.iter_mut()) {
            s.spawn(move || sum_features(f0, f1, part));
        }
    });
    for (&(f0, f1), part) in ranges.iter().zip(&parts) {
        let width = f1 - f0;
        for j in 0..k {
            centers_new[j * d + f0..j * d + f1].copy_from_slice(&part[j * width..(j + 1) * width]);
        }
    }
}

/// `_relocate_empty_clusters_dense`: each cluster without weight takes over one of the
/// samples farthest from their centre, farthest first (ties: the lower index; NumPy's
/// `argpartition` leaves their order to its CPU-dependent selection), moving that
/// sample's weighted contribution out of its old cluster.
fn relocate_empty_clusters<T: Real>(
    data: &Data<T>,
    centers_old: &[T],
    centers_new: &mut [T],
    weight_in_clusters: &mut [T],
    labels: &[usize],
) {
    let empty: Vec<usize> = (0..weight_in_clusters.len())
        .filter(|&j| weight_in_clusters[j] == T::ZERO)
        .collect();
    if empty.is_empty() {
        return;
    }
    let d = data.d;
    let mut row = vec![T::ZERO; d];
    let distances: Vec<T> = (0..data.n)
        .map(|i| {
            let c = &centers_old[labels[i] * d..(labels[i] + 1) * d];
            for ((r, &x), &c) in row.iter_mut().zip(data.row(i)).zip(c) {
                let t = x - c;
                *r = t * t;
            }
            T::np_sum(&row)
        })
        .collect();
    let farthest = distances
        .iter()
        .map(|v| v.to_f64())
        .fold(f64::NEG_INFINITY, f64::max);
    if farthest == 0.0 {
        return;
    }
    let mut order: Vec<usize> = (0..data.n).collect();
    // descending distance, then ascending index; a stable sort keeps the index order
    order.sort_by(|&a, &b| distances[b].total_cmp(&distances[a]));
    for (&new_cluster, &far) in empty.iter().zip(&order) {
        let weight = data.w[far];
        let old_cluster = labels[far];
        for (f, &v) in data.row(far).iter().enumerate() {
            centers_new[old_cluster * d + f] -= v * weight;
            centers_new[new_cluster * d + f] = v * weight;
        }
        weight_in_clusters[new_cluster] = weight;
        weight_in_clusters[old_cluster] -= weight;
    }
}

/// `_average_centers`: each sum times the reciprocal of its weight; a cluster without
/// positive weight is put where the heaviest cluster is at that point of the loop.
fn average_centers<T: Real>(centers: &mut [T], weight_in_clusters: &[T], d: usize) {
    let mut heaviest = 0;
    for (j, &w) in weight_in_clusters.iter().enumerate() {
        if w > weight_in_clusters[heaviest] {
            heaviest = j;
        }
    }
    for (j, &w) in weight_in_clusters.iter().enumerate() {
        if w > T::ZERO {
            let alpha = T::ONE / w;
            for c in &mut centers[j * d..(j + 1) * d] {
                *c *= alpha;
            }
        } else {
            for f in 0..d {
                centers[j * d + f] = centers[heaviest * d + f];
            }
        }
    }
}

/// `_center_shift`: the distance each centre moved.
fn center_shift<T: Real>(centers_old: &[T], centers_new: &[T], d: usize, shift: &mut [T]) {
    for (j, s) in shift.iter_mut().enumerate() {
        *s = sq_distance(
            &centers_new[j * d..(j + 1) * d],
            &centers_old[j * d..(j + 1) * d],
        )
        .sqrt();
    }
}

/// The M-step after the labels: sums, empty-cluster relocation, averages, shifts.
fn update_centers<T: Real>(
    data: &Data<T>,
    labels: &[usize],
    centers_old: &[T],
    centers_new: &mut [T],
    weight_in_clusters: &mut [T],
    shift: &mut [T],
) {
    accumulate(data, labels, centers_new, weight_in_clusters);
    relocate_empty_clusters(data, centers_old, centers_new, weight_in_clusters, labels);
    average_centers(centers_new, weight_in_clusters, data.d);
    center_shift(centers_old, centers_new, data.d, shift);
}

/// `_inertia_dense`: the weighted squared distances to the assigned centres, summed in
/// sample order.
fn inertia<T: Real>(data: &Data<T>, centers: &[T], labels: &[usize]) -> T {
    let d = data.d;
    let mut total = T::ZERO;
    for (i, &l) in labels.iter().enumerate() {
        total += sq_distance(data.row(i), &centers[l * d..(l + 1) * d]) * data.w[i];
    }
    total
}

/// The outcome of one k-means run.
struct Run<T = f64> {
    labels: Vec<usize>,
    inertia: T,
    centers: Vec<T>,
    n_iter: usize,
}

/// `_kmeans_single_lloyd`.
fn lloyd<T: Real>(
    data: &Data<T>,
    centers_init: Vec<T>,
    k: usize,
    max_iter: usize,
    tol: T,
) -> Run<T> {
    let threads = threads_for(data.n.saturating_mul(k).saturating_mul(data.d), data.n);
    lloyd_on(data, centers_init, k, max_iter, tol, threads)
}

/// The index of the smallest `|c|² - 2 x·c` (the first on ties).
fn nearest_score<T: Real>(dots: &[T], norms: &[T]) -> usize {
    let mut best = 0;
    let mut best_score = norms[0] - T::TWO * dots[0];
    for (t, (&p, &nrm)) in dots.iter().zip(norms).enumerate().skip(1) {
        let score = nrm - T::TWO * p;
        if score < best_score {
            best = t;
            best_score = score;
        }
    }
    best
}

/// `lloyd_iter_chunked_dense`: one pass over the samples, each sample's label from its
/// dot products with the centres (SIMD, dispatched at run time), then the sample added
/// (weighted, in order) to its cluster's sum while it is in cache. With several threads, thread `t`
/// takes the `t`-th contiguous block of chunks (OpenMP's static schedule), sums into
/// its own buffers, and the per-thread sums are added in thread order, as scikit-learn
/// does with that many OpenMP threads; one thread sums in sample order.
fn lloyd_iter<T: Real>(
    data: &Data<T>,
    centers: &[T],
    k: usize,
    labels: &mut [usize],
    centers_new: &mut [T],
    weight_in_clusters: &mut [T],
    threads: usize,
) {
    let (n, d) = (data.n, data.d);
    let norms: Vec<T> = centers.chunks_exact(d).map(|c| T::dot(c, c)).collect();
    let run = |first: usize, labels: &mut [usize], sums: &mut [T], weights: &mut [T]| {
        sums.fill(T::ZERO);
        weights.fill(T::ZERO);
        let mut scores = vec![T::ZERO; 4 * k];
        let mut r = 0;
        while r < labels.len() {
            // four samples' products at once (each centre read once per four), then
            // the four samples in order
            let group = (labels.len() - r).min(4);
            let i0 = first + r;
            if group == 4 {
                T::dots4(&data.x[i0 * d..(i0 + 4) * d], centers, k, &mut scores);
            } else {
                for g in 0..group {
                    T::dots(data.row(i0 + g), centers, &mut scores[g * k..(g + 1) * k]);
                }
            }
            for g in 0..group {
                let i = i0 + g;
                let best = nearest_score(&scores[g * k..(g + 1) * k], &norms);
                labels[r + g] = best;
                let w = data.w[i];
                weights[best] += w;
                T::add_scaled(&mut sums[best * d..(best + 1) * d], data.row(i), w);
            }
            r += group;
        }
    };
    let n_chunks = n.div_ceil(E_STEP_CHUNK);
    let threads = threads.clamp(1, n_chunks.max(1));
    if threads == 1 {
        run(0, labels, centers_new, weight_in_clusters);
        return;
    }
    // OpenMP's static schedule: the first n_chunks % threads threads take one more
    let (q, r) = (n_chunks / threads, n_chunks % threads);
    let mut parts: Vec<(usize, &mut [usize])> = Vec::with_capacity(threads);
    let mut rest = labels;
    let mut first = 0;
    for t in 0..threads {
        let chunks = q + usize::from(t < r);
        let len = (chunks * E_STEP_CHUNK).min(rest.len());
        let (head, tail) = rest.split_at_mut(len);
        parts.push((first, head));
        first += len;
        rest = tail;
    }
    let mut buffers: Vec<(Vec<T>, Vec<T>)> = (0..threads)
        .map(|_| (vec![T::ZERO; k * d], vec![T::ZERO; k]))
        .collect();
    std::thread::scope(|s| {
        for ((first, part), (sums, weights)) in parts.into_iter().zip(buffers.iter_mut()) {
            let run = &run;
            s.spawn(move || run(first, part, sums, weights));
        }
    });
    centers_new.fill(T::ZERO);
    weight_in_clusters.fill(T::ZERO);
    for (sums, weights) in &buffers {
        for (a, &b) in centers_new.iter_mut().zip(sums) {
            *a += b;
        }
        for (a, &b) in weight_in_clusters.iter_mut().zip(weights) {
            *a += b;
        }
    }
}

fn lloyd_on<T: Real>(
    data: &Data<T>,
    centers_init: Vec<T>,
    k: usize,
    max_iter: usize,
    tol: T,
    threads: usize,
) -> Run<T> {
    let d = data.d;
    let mut centers = centers_init;
    let mut centers_new = vec![T::ZERO; k * d];
    let mut weight_in_clusters = vec![T::ZERO; k];
    let mut shift = vec![T::ZERO; k];
    let mut labels = vec![usize::MAX; data.n];
    let mut labels_old = labels.clone();
    let mut strict = false;
    let mut iterations = 0;
    for i in 0..max_iter {
        iterations = i + 1;
        lloyd_iter(
            data,
            &centers,
            k,
            &mut labels,
            &mut centers_new,
            &mut weight_in_clusters,
            threads,
        );
        relocate_empty_clusters(
            data,
            &centers,
            &mut centers_new,
            &mut weight_in_clusters,
            &labels,
        );
        average_centers(&mut centers_new, &weight_in_clusters, d);
        center_shift(&centers, &centers_new, d, &mut shift);
        std::mem::swap(&mut centers, &mut centers_new);
        if labels == labels_old {
            strict = true;
            break;
        }
        let squares: Vec<T> = shift.iter().map(|&s| s * s).collect();
        if T::np_sum(&squares) <= tol {
            break;
        }
        labels_old.copy_from_slice(&labels);
    }
    if !strict {
        // a last E-step, so that the labels go with the final centres
        assign_labels(data.x, d, &centers, k, &mut labels);
    }
    Run {
        inertia: inertia(data, &centers, &labels),
        labels,
        centers,
        n_iter: iterations,
    }
}

/// Half the pairwise distances between centres, by scikit-learn's
/// `euclidean_distances(centers) / 2` (`((-2 a·b + |a|²) + |b|²)`, clipped at zero, zero
/// diagonal), and each centre's distance to its nearest other centre (the second
/// smallest entry of its column).
fn center_half_distances<T: Real>(centers: &[T], k: usize, d: usize) -> (Vec<T>, Vec<T>) {
    // float32 centres: the distances on float64 copies, rounded to float32 before the
    // square root (`_euclidean_distances_upcast`)
    let mut buf = Vec::new();
    let centers64 = T::widen(centers, &mut buf);
    let norms: Vec<f64> = centers64.chunks_exact(d).map(|c| dot(c, c)).collect();
    let mut half = vec![T::ZERO; k * k];
    for i in 0..k {
        for j in 0..k {
            if i != j {
                let ci = &centers64[i * d..(i + 1) * d];
                let cj = &centers64[j * d..(j + 1) * d];
                let sq = (-2.0 * dot(ci, cj) + norms[i]) + norms[j];
                half[i * k + j] = T::from_f64(sq).max(T::ZERO).sqrt() / T::TWO;
            }
        }
    }
    let next = (0..k)
        .map(|j| {
            let mut column: Vec<T> = (0..k).map(|i| half[i * k + j]).collect();
            column.sort_by(T::total_cmp);
            column.get(1).copied().unwrap_or(T::ZERO)
        })
        .collect();
    (half, next)
}

/// Elkan's per-sample state: the upper bound on the distance to the own centre and the
/// lower bounds on the distances to every centre.
struct Bounds<T> {
    upper: Vec<T>,
    lower: Vec<T>,
}

/// `init_bounds_dense`: labels and bounds from the initial centres, skipping the
/// centres the triangle inequality rules out.
fn init_bounds<T: Real>(
    data: &Data<T>,
    centers: &[T],
    half: &[T],
    k: usize,
    labels: &mut [usize],
) -> Bounds<T> {
    let d = data.d;
    let mut upper = vec![T::ZERO; data.n];
    let mut lower = vec![T::ZERO; data.n * k];
    for i in 0..data.n {
        let x = data.row(i);
        let mut best = 0;
        let mut min = sq_distance(x, &centers[..d]).sqrt();
        lower[i * k] = min;
        for j in 1..k {
            if min > half[best * k + j] {
                let dist = sq_distance(x, &centers[j * d..(j + 1) * d]).sqrt();
                lower[i * k + j] = dist;
                if dist < min {
                    min = dist;
                    best = j;
                }
            }
        }
        labels[i] = best;
        upper[i] = min;
    }
    Bounds { upper, lower }
}

/// The label pass of `elkan_iter_chunked_dense` for a run of samples starting at
/// `start`: bounds are tightened and distances computed only where they can change
/// the label.
#[allow(clippy::too_many_arguments)]
fn elkan_labels<T: Real>(
    data: &Data<T>,
    start: usize,
    centers: &[T],
    half: &[T],
    next: &[T],
    k: usize,
    labels: &mut [usize],
    upper: &mut [T],
    lower: &mut [T],
) {
    let d = data.d;
    for (o, label_out) in labels.iter_mut().enumerate() {
        let x = data.row(start + o);
        let lower = &mut lower[o * k..(o + 1) * k];
        let mut ub = upper[o];
        let mut label = *label_out;
        // (finite data: no NaN bounds)
        if next[label] < ub {
            let mut tight = false;
            for j in 0..k {
                if j != label && ub > lower[j] && ub > half[label * k + j] {
                    if !tight {
                        ub = sq_distance(x, &centers[label * d..(label + 1) * d]).sqrt();
                        lower[label] = ub;
                        tight = true;
                    }
                    if ub > lower[j] || ub > half[label * k + j] {
                        let dist = sq_distance(x, &centers[j * d..(j + 1) * d]).sqrt();
                        lower[j] = dist;
                        if dist < ub {
                            label = j;
                            ub = dist;
                        }
                    }
                }
            }
            *label_out = label;
            upper[o] = ub;
        }
    }
}

/// Elkan's label pass over all samples, split over threads for large inputs (each
/// sample's update touches only its own bounds).
#[allow(clippy::too_many_arguments)]
fn elkan_assign<T: Real>(
    data: &Data<T>,
    centers: &[T],
    half: &[T],
    next: &[T],
    k: usize,
    labels: &mut [usize],
    bounds: &mut Bounds<T>,
    threads: usize,
) {
    if threads <= 1 {
        elkan_labels(
            data,
            0,
            centers,
            half,
            next,
            k,
            labels,
            &mut bounds.upper,
            &mut bounds.lower,
        );
        return;
    }
    let chunk = data.n.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let parts = labels
            .chunks_mut(chunk)
            .zip(bounds.upper.chunks_mut(chunk))
            .zip(bounds.lower.chunks_mut(chunk * k));
        for (t, ((l, u), lo)) in parts.enumerate() {
            s.spawn(move || elkan_labels(data, t * chunk, centers, half, next, k, l, u, lo));
        }
    });
}

/// `_kmeans_single_elkan`.
fn elkan<T: Real>(
    data: &Data<T>,
    centers_init: Vec<T>,
    k: usize,
    max_iter: usize,
    tol: T,
) -> Run<T> {
    let threads = threads_for(data.n.saturating_mul(k).saturating_mul(data.d), data.n);
    elkan_on(data, centers_init, k, max_iter, tol, threads)
}

fn elkan_on<T: Real>(
    data: &Data<T>,
    centers_init: Vec<T>,
    k: usize,
    max_iter: usize,
    tol: T,
    threads: usize,
) -> Run<T> {
    let d = data.d;
    let mut centers = centers_init;
    let mut centers_new = vec![T::ZERO; k * d];
    let mut weight_in_clusters = vec![T::ZERO; k];
    let mut shift = vec![T::ZERO; k];
    let mut labels = vec![usize::MAX; data.n];
    let mut labels_old = labels.clone();
    let (mut half, mut next) = center_half_distances(&centers, k, d);
    let mut bounds = init_bounds(data, &centers, &half, k, &mut labels);
    let mut strict = false;
    let mut iterations = 0;
    for i in 0..max_iter {
        iterations = i + 1;
        elkan_assign(
            data,
            &centers,
            &half,
            &next,
            k,
            &mut labels,
            &mut bounds,
            threads,
        );
        update_centers(
            data,
            &labels,
            &centers,
            &mut centers_new,
            &mut weight_in_clusters,
            &mut shift,
        );
        for (s, &label) in labels.iter().enumerate() {
            bounds.upper[s] += shift[label];
            for (lb, &sh) in bounds.lower[s * k..(s + 1) * k].iter_mut().zip(&shift) {
                *lb -= sh;
                if *lb < T::ZERO {
                    *lb = T::ZERO;
                }
            }
        }
        (half, next) = center_half_distances(&centers_new, k, d);
        std::mem::swap(&mut centers, &mut centers_new);
        if labels == labels_old {
            strict = true;
            break;
        }
        let squares: Vec<T> = shift.iter().map(|&s| s * s).collect();
        if T::np_sum(&squares) <= tol {
            break;
        }
        labels_old.copy_from_slice(&labels);
    }
    if !strict {
        elkan_assign(
            data,
            &centers,
            &half,
            &next,
            k,
            &mut labels,
            &mut bounds,
            threads,
        );
    }
    Run {
        inertia: inertia(data, &centers, &labels),
        labels,
        centers,
        n_iter: iterations,
    }
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

/// The squared distances from each of the rows `cands` of the samples to every
/// sample, as scikit-learn's `_euclidean_distances(X[cands], X,
/// Y_norm_squared=..., squared=True)`: `(-2 c·x + |c|²) + |x|²`, clipped at zero, the
/// products `c·x` from one matrix product per block of samples. Returns one vector per
/// candidate.
fn sq_distances_to<T: Real>(cands: &[usize], data: &Data<T>, x_sq_norms: &[f64]) -> Vec<Vec<T>> {
    let (n, d, t) = (data.n, data.d, cands.len());
    let mut c = Vec::with_capacity(t * d);
    let mut buf = Vec::new();
    for &i in cands {
        c.extend_from_slice(T::widen(data.row(i), &mut buf));
    }
    let c_norms: Vec<f64> = c.chunks_exact(d).map(|r| dot(r, r)).collect();
    // samples × candidates
    let mut prod = vec![0.0; n * t];
    let fill = |start: usize, out: &mut [f64]| {
        let mut buf = Vec::new();
        for (b, block) in out.chunks_mut(E_STEP_CHUNK * t).enumerate() {
            let m = block.len() / t;
            let s0 = start + b * E_STEP_CHUNK;
            let rows = T::widen(&data.x[s0 * d..(s0 + m) * d], &mut buf);
            gemm_nt(rows, &c, m, t, d, block, false);
        }
    };
    let threads = threads_for(n.saturating_mul(d).saturating_mul(t), n);
    if threads <= 1 {
        fill(0, &mut prod);
    } else {
        let chunk = n.div_ceil(threads);
        std::thread::scope(|s| {
            for (p, part) in prod.chunks_mut(chunk * t).enumerate() {
                s.spawn(move || fill(p * chunk, part));
            }
        });
    }
    (0..t)
        .map(|j| {
            (0..n)
                .map(|i| {
                    T::from_f64((-2.0 * prod[i * t + j] + c_norms[j]) + x_sq_norms[i]).max(T::ZERO)
                })
                .collect()
        })
        .collect()
}

/// `_kmeans_plusplus`: the first centre drawn with probabilities proportional to the
/// weights, each next one the best of `2 + ln(k)` candidates drawn with probabilities
/// proportional to weight times squared distance to the nearest centre so far.
fn kmeans_plusplus<T: Real>(
    data: &Data<T>,
    k: usize,
    x_sq_norms: &[f64],
    rng: &mut RandomState,
) -> Result<Vec<T>> {
    let (n, d) = (data.n, data.d);
    let n_local_trials = 2 + (k as f64).ln() as usize;
    let first = rng.choice_weighted_atol(&probabilities(data.w), T::P_ATOL)?;
    let mut centers = Vec::with_capacity(k * d);
    centers.extend_from_slice(data.row(first));
    let mut closest = sq_distances_to(&[first], data, x_sq_norms).swap_remove(0);
    let mut current_pot = T::dot(&closest, data.w);
    for _ in 1..k {
        let cumulative = T::cumsum(data.w.iter().zip(&closest).map(|(&w, &c)| w * c));
        let candidates: Vec<usize> = rng
            .random_samples(n_local_trials)
            .into_iter()
            .map(|u| {
                let v = u * current_pot.to_f64();
                cumulative.partition_point(|c| c.to_f64() < v).min(n - 1)
            })
            .collect();
        // np.minimum with the current distances, the potential, the first lowest kept
        let all = sq_distances_to(&candidates, data, x_sq_norms);
        let trial = |mut dist: Vec<T>, cand: usize| {
            for (a, b) in dist.iter_mut().zip(&closest) {
                if *b < *a {
                    *a = *b;
                }
            }
            (T::dot(&dist, data.w), dist, cand)
        };
        let mut trials = all.into_iter().zip(candidates.iter().copied());
        let (first_dist, first_cand) = trials.next().expect("at least two candidates");
        let (mut pot, mut dist, mut cand) = trial(first_dist, first_cand);
        for (dc, c) in trials {
            let t = trial(dc, c);
            if t.0 < pot {
                (pot, dist, cand) = t;
            }
        }
        current_pot = pot;
        closest = dist;
        centers.extend_from_slice(data.row(cand));
    }
    Ok(centers)
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
    use super::*;

    #[test]
    fn unrolled_distance_and_clustering_identity() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = [0.0; 5];
        assert_eq!(sq_distance(&a, &b), 55.0);
        assert!(same_clustering(&[0, 0, 1, 2], &[2, 2, 0, 1], 3));
        assert!(!same_clustering(&[0, 0, 1], &[1, 0, 1], 2));
    }

    #[test]
    fn empty_cluster_takes_the_farthest_sample() {
        // two samples in cluster 0, cluster 1 empty: the farther sample (index 1) moves
        let x = [0.0, 0.0, 4.0, 0.0];
        let w = [1.0, 2.0];
        let data = Data {
            x: &x,
            w: &w,
            n: 2,
            d: 2,
        };
        let centers_old = [1.0, 0.0, 50.0, 50.0];
        let labels = [0, 0];
        let mut new = [0.0; 4];
        let mut weights = [0.0; 2];
        accumulate(&data, &labels, &mut new, &mut weights);
        relocate_empty_clusters(&data, &centers_old, &mut new, &mut weights, &labels);
        assert_eq!(weights, [1.0, 2.0]);
        assert_eq!(new, [0.0, 0.0, 8.0, 0.0]);
        average_centers(&mut new, &weights, 2);
        assert_eq!(new, [0.0, 0.0, 4.0, 0.0]);
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

    #[test]
    fn weightless_cluster_copies_the_heaviest_as_it_stands() {
        // cluster 0 has no weight and is visited before the heaviest cluster 1 is
        // scaled, so it gets cluster 1's unscaled sum (scikit-learn's loop order)
        let mut centers = [9.0, 9.0, 6.0, 3.0];
        average_centers(&mut centers, &[0.0, 3.0], 2);
        assert_eq!(centers, [6.0, 3.0, 2.0, 1.0]);
    }
}
