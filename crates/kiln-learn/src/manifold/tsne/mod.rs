//! `TSNE` (`sklearn/manifold/_t_sne.py` with `_utils.pyx`, `_barnes_hut_tsne.pyx` and
//! `neighbors/_quad_tree.pyx`).
//!
//! The steps and their floating-point types are scikit-learn's: squared input distances
//! (float64) are rounded to float32 for the per-sample binary search of the Gaussian
//! precisions (float64, same tolerance and step count); the joint probabilities are
//! symmetrised and normalised in float64; the embedding, its gradient and the gains are
//! float32, the momentum update float64 (the automatic learning rate is a NumPy float64
//! scalar); Barnes-Hut builds scikit-learn's tree on the float32 embedding and sums the
//! repulsive forces in its traversal order. Threads split the neighbour search, the
//! binary search and the gradient over samples; their partial sums are combined in a
//! fixed order, so results do not depend on the number of threads.

mod affinities;
mod gradient;
mod pca_init;

use std::str::FromStr;

use super::pairwise::{kneighbors, pairwise, Metric, Rows};
use crate::error::{LearnError, Result};
use crate::label::py_str_repr;
use crate::matrix::{check_x, Matrix};
use crate::numeric::np_sum;
use crate::pyfmt::py_float_repr;
use crate::random::RandomState;
use affinities::{binary_search_perplexity, condensed, symmetrize};
use gradient::{bh_gradient, exact_gradient, Optimizer};
use pca_init::pca_init;

const ESTIMATOR: &str = "TSNE";
const MACHINE_EPSILON: f64 = f64::EPSILON;
/// Iterations with early exaggeration and momentum 0.5 (`_EXPLORATION_MAX_ITER`).
const EXPLORATION_MAX_ITER: usize = 250;
/// Iterations between progress checks (`_N_ITER_CHECK`).
const N_ITER_CHECK: usize = 50;
/// Samples per task of the parallel gradient; partial sums are combined per chunk in
/// order, so the chunking (not the thread count) fixes the summation order.
const CHUNK: usize = 256;
/// Below this many samples the gradient stays on the calling thread.
const PARALLEL_SAMPLES: usize = 2048;

/// The initial embedding (`init`).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum TsneInit {
    /// `"pca"`: the first principal components, scaled so that the first has standard
    /// deviation `1e-4`.
    #[default]
    Pca,
    /// `"random"`: `1e-4 * random_state.standard_normal((n_samples, n_components))`.
    Random,
    /// An explicit embedding of shape `(n_samples, n_components)`.
    Array(Matrix),
}

impl FromStr for TsneInit {
    type Err = LearnError;

    /// `"pca"` or `"random"`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "pca" => Ok(TsneInit::Pca),
            "random" => Ok(TsneInit::Random),
            _ => Err(LearnError::InvalidParameter {
                param: "init",
                caller: Some(ESTIMATOR),
                constraint: "a str among {'pca', 'random'} or an instance of 'numpy.ndarray'"
                    .to_string(),
                got: py_str_repr(s),
            }),
        }
    }
}

/// The gradient computation (`method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TsneMethod {
    /// `"barnes_hut"`: `O(N log N)`, sparse affinities over `3 * perplexity + 1`
    /// neighbours, repulsion summarised on a quadtree (octree in 3-D).
    #[default]
    BarnesHut,
    /// `"exact"`: `O(N²)`, all pairs.
    Exact,
}

impl FromStr for TsneMethod {
    type Err = LearnError;

    /// `"barnes_hut"` or `"exact"`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "barnes_hut" => Ok(TsneMethod::BarnesHut),
            "exact" => Ok(TsneMethod::Exact),
            _ => Err(LearnError::InvalidParameter {
                param: "method",
                caller: Some(ESTIMATOR),
                constraint: "a str among {'barnes_hut', 'exact'}".to_string(),
                got: py_str_repr(s),
            }),
        }
    }
}

/// The learning rate (`learning_rate`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum LearningRate {
    /// `"auto"`: `max(n_samples / early_exaggeration / 4, 50)`.
    #[default]
    Auto,
    /// A fixed positive rate.
    Value(f64),
}

/// t-distributed Stochastic Neighbor Embedding, as `sklearn.manifold.TSNE` (dense
/// input).
///
/// The fields are scikit-learn's parameters with its defaults ([`TSNE::default`]);
/// [`TSNE::fit_transform`] returns the embedding with the fitted attributes
/// ([`FittedTSNE`]).
///
/// ```
/// use kiln_learn::manifold::{trustworthiness, Metric, TSNE};
/// use kiln_learn::Matrix;
///
/// // two well separated groups of 15 points in 4-D
/// let rows: Vec<Vec<f64>> = (0..30)
///     .map(|i| {
///         let c = if i < 15 { 0.0 } else { 20.0 };
///         (0..4).map(|f| c + ((i * 7 + f * 3) % 11) as f64 / 5.0).collect()
///     })
///     .collect();
/// let x = Matrix::from_rows(&rows)?;
/// let tsne = TSNE { perplexity: 5.0, random_state: Some(0), ..TSNE::default() };
/// let fitted = tsne.fit_transform(&x)?;
/// assert_eq!(fitted.embedding_.shape(), (30, 2));
/// assert_eq!(fitted.learning_rate_, 50.0);
/// assert!(fitted.kl_divergence_.is_finite());
/// assert!(trustworthiness(&x, &fitted.embedding_, 5, Metric::Euclidean)? > 0.8);
///
/// assert_eq!(
///     TSNE { perplexity: 30.0, ..TSNE::default() }.fit_transform(&x).unwrap_err().to_string(),
///     "perplexity (30.0) must be less than n_samples (30)"
/// );
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TSNE {
    /// Dimension of the embedding (`2`).
    pub n_components: usize,
    /// The perplexity, a smooth number of nearest neighbours (`30.0`).
    pub perplexity: f64,
    /// How much the affinities are exaggerated during the first 250 iterations (`12.0`).
    pub early_exaggeration: f64,
    /// The learning rate (`"auto"`).
    pub learning_rate: LearningRate,
    /// The most iterations, at least 250 (`1000`).
    pub max_iter: usize,
    /// Iterations without a lower error before stopping, checked every 50 (`300`; `-1`
    /// allowed, as scikit-learn).
    pub n_iter_without_progress: i64,
    /// Stop when the gradient norm is at most this (`1e-7`).
    pub min_grad_norm: f64,
    /// The input distance (`"euclidean"`, used squared; other metrics are squared
    /// too).
    pub metric: Metric,
    /// The initial embedding (`"pca"`).
    pub init: TsneInit,
    /// Seed of the `RandomState` for `init="random"` (`None`: from entropy).
    pub random_state: Option<u32>,
    /// Barnes-Hut or exact (`"barnes_hut"`).
    pub method: TsneMethod,
    /// Barnes-Hut's opening angle theta (`0.5`).
    pub angle: f64,
}

impl Default for TSNE {
    /// scikit-learn's defaults: `n_components=2, perplexity=30.0,
    /// early_exaggeration=12.0, learning_rate="auto", max_iter=1000,
    /// n_iter_without_progress=300, min_grad_norm=1e-7, metric="euclidean", init="pca",
    /// random_state=None, method="barnes_hut", angle=0.5`.
    fn default() -> Self {
        TSNE {
            n_components: 2,
            perplexity: 30.0,
            early_exaggeration: 12.0,
            learning_rate: LearningRate::Auto,
            max_iter: 1000,
            n_iter_without_progress: 300,
            min_grad_norm: 1e-7,
            metric: Metric::Euclidean,
            init: TsneInit::Pca,
            random_state: None,
            method: TsneMethod::BarnesHut,
            angle: 0.5,
        }
    }
}

/// The result of [`TSNE::fit_transform`]: the embedding and scikit-learn's fitted
/// attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedTSNE {
    /// The embedding, shape `(n_samples, n_components)` (float32 values, as
    /// scikit-learn's).
    pub embedding_: Matrix,
    /// The Kullback-Leibler divergence after the last iteration (at the last error
    /// computation; `f64::MAX` when `max_iter == 250`, as scikit-learn).
    pub kl_divergence_: f64,
    /// The index of the last iteration run (scikit-learn's `n_iter_`: `999` for a full
    /// run of 1000 iterations).
    pub n_iter_: usize,
    /// The learning rate used.
    pub learning_rate_: f64,
    /// Number of features seen by `fit`.
    pub n_features_in_: usize,
}

/// Joint probabilities `P` of the input samples, as t-SNE computes them
/// ([`TSNE::affinities`]): a symmetric sparse matrix in CSR form (column indices
/// increasing within each row).
#[derive(Debug, Clone, PartialEq)]
pub struct Affinities {
    /// Number of samples.
    pub n_samples: usize,
    /// Row `i`'s entries are `indptr[i]..indptr[i + 1]`.
    pub indptr: Vec<usize>,
    /// Column of each entry.
    pub indices: Vec<usize>,
    /// Value of each entry.
    pub data: Vec<f64>,
}

/// The input-space affinities in the method's form.
enum Joint {
    /// Condensed upper triangle (`i < j`, row by row).
    Dense(Vec<f64>),
    /// Sparse symmetric.
    Sparse(Affinities),
}

impl TSNE {
    /// `TSNE(n_components)` with the other parameters at their defaults.
    pub fn new(n_components: usize) -> Self {
        TSNE {
            n_components,
            ..TSNE::default()
        }
    }

    fn check_params(&self) -> Result<()> {
        let bad = |param: &'static str, constraint: &str, got: String| {
            Err(LearnError::InvalidParameter {
                param,
                caller: Some(ESTIMATOR),
                constraint: constraint.to_string(),
                got,
            })
        };
        if self.n_components == 0 {
            return bad("n_components", "an int in the range [1, inf)", "0".into());
        }
        if self.perplexity.is_nan() || self.perplexity <= 0.0 {
            return bad(
                "perplexity",
                "a float in the range (0.0, inf)",
                py_float_repr(self.perplexity),
            );
        }
        if self.early_exaggeration.is_nan() || self.early_exaggeration < 1.0 {
            return bad(
                "early_exaggeration",
                "a float in the range [1.0, inf)",
                py_float_repr(self.early_exaggeration),
            );
        }
        if let LearningRate::Value(v) = self.learning_rate
            && (v.is_nan() || v <= 0.0)
        {
            return bad(
                "learning_rate",
                "a str among {'auto'} or a float in the range (0.0, inf)",
                py_float_repr(v),
            );
        }
        if self.max_iter < EXPLORATION_MAX_ITER {
            return bad(
                "max_iter",
                "an int in the range [250, inf)",
                self.max_iter.to_string(),
            );
        }
        if self.n_iter_without_progress < -1 {
            return bad(
                "n_iter_without_progress",
                "an int in the range [-1, inf)",
                self.n_iter_without_progress.to_string(),
            );
        }
        if self.min_grad_norm.is_nan() || self.min_grad_norm < 0.0 {
            return bad(
                "min_grad_norm",
                "a float in the range [0.0, inf)",
                py_float_repr(self.min_grad_norm),
            );
        }
        if !(0.0..=1.0).contains(&self.angle) {
            return bad(
                "angle",
                "a float in the range [0.0, 1.0]",
                py_float_repr(self.angle),
            );
        }
        Ok(())
    }

    /// The checks of `fit_transform` and `_fit` before any work, in scikit-learn's
    /// order.
    fn check_input(&self, x: &Matrix) -> Result<()> {
        self.check_params()?;
        let n = x.n_rows();
        if self.perplexity >= n as f64 {
            return Err(LearnError::PerplexityTooLarge {
                perplexity: py_float_repr(self.perplexity),
                n_samples: n,
            });
        }
        check_x(x, Some(ESTIMATOR))?;
        if self.method == TsneMethod::BarnesHut && n < 2 {
            return Err(LearnError::TooFewSamplesFor {
                shape: x.shape(),
                minimum: 2,
                estimator: ESTIMATOR,
            });
        }
        if self.metric == Metric::Precomputed {
            if self.init == TsneInit::Pca {
                return Err(LearnError::PcaInitPrecomputed);
            }
            if x.n_rows() != x.n_cols() {
                return Err(LearnError::NotSquareDistances);
            }
            if x.as_slice().iter().any(|v| *v < 0.0) {
                return Err(LearnError::NegativeValues {
                    whom: "TSNE.fit(). With metric='precomputed', X should contain positive distances.",
                });
            }
        }
        if self.method == TsneMethod::BarnesHut && self.n_components > 3 {
            return Err(LearnError::BarnesHutComponents);
        }
        let (n_rows, d) = x.shape();
        if self.init == TsneInit::Pca && self.n_components > n_rows.min(d) {
            // PCA(n_components).fit_transform(X) refuses it; "auto" picks this solver
            let solver = if d <= 1000 && n_rows >= 10 * d {
                "covariance_eigh"
            } else {
                "full"
            };
            return Err(LearnError::NComponentsRange {
                n_components: self.n_components,
                max: n_rows.min(d),
                solver,
            });
        }
        if let TsneInit::Array(init) = &self.init
            && init.shape() != (n, self.n_components)
        {
            return Err(LearnError::TsneInitShape {
                shape: init.shape(),
                expected: (n, self.n_components),
            });
        }
        Ok(())
    }

    /// The joint probabilities of `x` that t-SNE fits (`_joint_probabilities` for
    /// `"exact"`, all pairs, with `P` at least machine epsilon off the diagonal;
    /// `_joint_probabilities_nn` for `"barnes_hut"`, over each sample's
    /// `min(n - 1, int(3 * perplexity + 1))` nearest neighbours), without the early
    /// exaggeration.
    ///
    /// ```
    /// use kiln_learn::manifold::{TsneMethod, TSNE};
    /// use kiln_learn::Matrix;
    ///
    /// let x = Matrix::from_rows(&[[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [3.0, 3.0], [4.0, 1.0]])?;
    /// let p = TSNE { perplexity: 2.0, method: TsneMethod::Exact, ..TSNE::default() }.affinities(&x)?;
    /// assert_eq!(p.indptr, vec![0, 4, 8, 12, 16, 20]);
    /// assert!((p.data.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    /// # Ok::<(), kiln_learn::LearnError>(())
    /// ```
    pub fn affinities(&self, x: &Matrix) -> Result<Affinities> {
        self.check_input(x)?;
        Ok(match self.joint_probabilities(x) {
            Joint::Sparse(p) => p,
            Joint::Dense(c) => {
                let n = x.n_rows();
                let mut a = Affinities {
                    n_samples: n,
                    indptr: vec![0],
                    indices: Vec::new(),
                    data: Vec::new(),
                };
                for i in 0..n {
                    for j in (0..n).filter(|&j| j != i) {
                        let (lo, hi) = if i < j { (i, j) } else { (j, i) };
                        a.indices.push(j);
                        a.data.push(c[condensed(n, lo, hi)]);
                    }
                    a.indptr.push(a.indices.len());
                }
                a
            }
        })
    }

    fn joint_probabilities(&self, x: &Matrix) -> Joint {
        let (n, d) = x.shape();
        let rows = Rows {
            x: x.as_slice(),
            n,
            d,
        };
        match self.method {
            TsneMethod::Exact => {
                let mut dist = if self.metric == Metric::Precomputed {
                    x.as_slice().to_vec()
                } else {
                    pairwise(rows, self.metric, true)
                };
                if self.metric != Metric::Euclidean {
                    for v in &mut dist {
                        *v *= *v;
                    }
                }
                let sq: Vec<f32> = dist.iter().map(|&v| v as f32).collect();
                let cond = binary_search_perplexity(&sq, n, n, self.perplexity);
                let mut full = vec![0.0; n * n];
                for i in 0..n {
                    for j in 0..n {
                        full[i * n + j] = cond[i * n + j] + cond[j * n + i];
                    }
                }
                let sum = np_sum(&full).max(MACHINE_EPSILON);
                let mut p = Vec::with_capacity(n * n.saturating_sub(1) / 2);
                for i in 0..n {
                    for j in i + 1..n {
                        p.push((full[i * n + j] / sum).max(MACHINE_EPSILON));
                    }
                }
                Joint::Dense(p)
            }
            TsneMethod::BarnesHut => {
                let k = (n - 1).min((3.0 * self.perplexity + 1.0) as usize);
                let mut nn: Vec<Vec<(f64, usize)>> = if self.metric == Metric::Precomputed {
                    (0..n)
                        .map(|i| super::pairwise::k_smallest(i, x.row(i), k))
                        .collect()
                } else {
                    kneighbors(rows, self.metric, k)
                };
                // kneighbors_graph(mode="distance").sort_indices(), distances squared
                let mut sq = Vec::with_capacity(n * k);
                for row in &mut nn {
                    row.sort_unstable_by_key(|p| p.1);
                    sq.extend(row.iter().map(|&(dist, _)| (dist * dist) as f32));
                }
                let cond = binary_search_perplexity(&sq, n, k, self.perplexity);
                Joint::Sparse(symmetrize(&nn, &cond, n, k))
            }
        }
    }

    /// Fits the embedding of `x` (`n_samples × n_features`, or the square distances
    /// for `metric="precomputed"`) and returns it with the fitted attributes
    /// (`fit_transform`).
    ///
    /// Errors with scikit-learn's messages: a parameter out of range, `perplexity >=
    /// n_samples`, a non-finite or empty `x`, Barnes-Hut with more than 3 components or
    /// fewer than 2 samples, `init="pca"` with precomputed distances, a non-square or
    /// negative precomputed matrix; and an explicit `init` of the wrong shape.
    pub fn fit_transform(&self, x: &Matrix) -> Result<FittedTSNE> {
        self.check_input(x)?;
        let (n, c) = (x.n_rows(), self.n_components);
        let learning_rate = match self.learning_rate {
            LearningRate::Auto => (n as f64 / self.early_exaggeration / 4.0).max(50.0),
            LearningRate::Value(v) => v,
        };
        let joint = self.joint_probabilities(x);
        let mut rng = self
            .random_state
            .map_or_else(RandomState::from_entropy, RandomState::new);
        let init: Vec<f32> = match &self.init {
            TsneInit::Array(m) => m.as_slice().iter().map(|&v| v as f32).collect(),
            TsneInit::Random => (0..n * c)
                .map(|_| 1e-4f32 * rng.standard_normal() as f32)
                .collect(),
            TsneInit::Pca => pca_init(x, c),
        };
        let dof = (c.max(2) - 1) as f64;
        let opt = Optimizer {
            learning_rate,
            min_grad_norm: self.min_grad_norm,
        };
        let exaggeration = self.early_exaggeration;
        let angle = self.angle as f32;
        let run = |p: Vec<f32>,
                   joint: &Joint,
                   it: usize,
                   max_iter: usize,
                   momentum: f64,
                   without_progress: i64| {
            match joint {
                Joint::Dense(pd) => {
                    opt.descend(p, it, max_iter, momentum, without_progress, |y, err| {
                        exact_gradient(pd, y, n, c, dof, err)
                    })
                }
                Joint::Sparse(ps) => {
                    let val: Vec<f32> = ps.data.iter().map(|&v| v as f32).collect();
                    opt.descend(p, it, max_iter, momentum, without_progress, |y, err| {
                        bh_gradient(&val, ps, y, n, c, dof, angle, err)
                    })
                }
            }
        };
        let scale = |joint: &mut Joint, f: &dyn Fn(f64) -> f64| match joint {
            Joint::Dense(p) => p.iter_mut().for_each(|v| *v = f(*v)),
            Joint::Sparse(p) => p.data.iter_mut().for_each(|v| *v = f(*v)),
        };
        let mut joint = joint;
        scale(&mut joint, &|v| v * exaggeration);
        let (params, _, it) = run(
            init,
            &joint,
            0,
            EXPLORATION_MAX_ITER,
            0.5,
            EXPLORATION_MAX_ITER as i64,
        );
        scale(&mut joint, &|v| v / exaggeration);
        // scikit-learn's condition: the first stage always ends with it < 250
        let (params, kl, it) = run(
            params,
            &joint,
            it + 1,
            self.max_iter,
            0.8,
            self.n_iter_without_progress,
        );
        Ok(FittedTSNE {
            embedding_: Matrix::new(params.iter().map(|&v| f64::from(v)).collect(), n, c)?,
            kl_divergence_: kl,
            n_iter_: it,
            learning_rate_: learning_rate,
            n_features_in_: x.n_cols(),
        })
    }
}
