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

use std::str::FromStr;

use rayon::prelude::*;

use super::pairwise::{kneighbors, pairwise, Metric, Rows};
use super::quad_tree::QuadTree;
use crate::error::{LearnError, Result};
use crate::label::py_str_repr;
use crate::linalg::{gemm_nt, symmetric_eigen};
use crate::matrix::{check_x, Matrix};
use crate::numeric::{column_means, np_sum};
use crate::pyfmt::py_float_repr;
use crate::random::RandomState;

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

/// Index of pair `(i, j)`, `i < j`, in a condensed distance vector of `n` samples.
fn condensed(n: usize, i: usize, j: usize) -> usize {
    i * n - i * (i + 1) / 2 + (j - i - 1)
}

/// `_binary_search_perplexity`: for each row of float32 squared distances (`n × k`;
/// `k == n` means all samples, the diagonal left out), the Gaussian precision whose
/// conditional distribution has the desired perplexity, and that distribution.
fn binary_search_perplexity(sq: &[f32], n: usize, k: usize, perplexity: f64) -> Vec<f64> {
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
fn symmetrize(nn: &[Vec<(f64, usize)>], cond: &[f64], n: usize, k: usize) -> Affinities {
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

/// `init="pca"`: the projections on the first `c` principal components (signs as
/// `svd_flip(u_based_decision=False)`), cast to float32 and divided by the standard
/// deviation of the first, times `1e-4`.
///
/// scikit-learn's PCA picks its solver by shape (randomised SVD for MNIST-sized
/// inputs); the leading components are the same up to its approximation error. kiln
/// takes them from the covariance matrix (a matrix product), by Jacobi rotations for
/// up to 128 features, else by subspace iteration with a Rayleigh-Ritz step.
fn pca_init(x: &Matrix, c: usize) -> Vec<f32> {
    let (n, d) = x.shape();
    let mean = column_means(x.as_slice(), d);
    let mut xt = vec![0.0; d * n];
    for (i, row) in x.rows().enumerate() {
        for (f, v) in row.iter().enumerate() {
            xt[f * n + i] = v - mean[f];
        }
    }
    let mut cov = vec![0.0; d * d];
    gemm_nt(&xt, &xt, d, d, n, &mut cov, d * d * n >= 1 << 22);
    let comps = top_eigenvectors(&cov, d, c);
    let mut z = vec![0.0f32; n * c];
    for (i, row) in x.rows().enumerate() {
        for (t, comp) in comps.chunks_exact(d).enumerate() {
            let mut s = 0.0;
            for f in 0..d {
                s += (row[f] - mean[f]) * comp[f];
            }
            z[i * c + t] = s as f32;
        }
    }
    // np.std of the first column (float32 data; computed here in float64)
    let col: Vec<f64> = (0..n).map(|i| f64::from(z[i * c])).collect();
    let m = np_sum(&col) / n as f64;
    let var: Vec<f64> = col.iter().map(|v| (v - m) * (v - m)).collect();
    let std = (np_sum(&var) / n as f64).sqrt() as f32;
    for v in &mut z {
        *v = *v / std * 1e-4f32;
    }
    z
}

/// The `c` leading eigenvectors (rows, largest eigenvalue first) of the symmetric
/// `d × d` matrix `a`, each with the sign that makes its largest-magnitude entry
/// positive.
fn top_eigenvectors(a: &[f64], d: usize, c: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(c * d);
    if d <= 128 {
        let (_, vectors) = symmetric_eigen(a, d);
        for j in (0..d).rev().take(c) {
            out.extend_from_slice(&vectors[j * d..(j + 1) * d]);
        }
    } else {
        let b = (c + 10).min(d);
        // deterministic start: a fixed RandomState stream
        let mut rng = RandomState::new(0);
        let mut v: Vec<f64> = (0..b * d).map(|_| rng.standard_normal()).collect();
        orthonormalize(&mut v, b, d);
        let mut w = vec![0.0; b * d];
        let mut previous = vec![f64::NAN; c];
        for _ in 0..500 {
            // W = V A (A symmetric), rows are vectors
            gemm_nt(&v, a, b, d, d, &mut w, false);
            let ritz: Vec<f64> = (0..c)
                .map(|t| crate::numeric::dot(&v[t * d..(t + 1) * d], &w[t * d..(t + 1) * d]))
                .collect();
            std::mem::swap(&mut v, &mut w);
            orthonormalize(&mut v, b, d);
            let converged = ritz
                .iter()
                .zip(&previous)
                .all(|(r, p)| (r - p).abs() <= 1e-15 * r.abs().max(1e-300));
            previous = ritz;
            if converged {
                break;
            }
        }
        // Rayleigh-Ritz: T = V A Vᵀ, its eigenvectors rotate V
        gemm_nt(&v, a, b, d, d, &mut w, false);
        let mut t = vec![0.0; b * b];
        gemm_nt(&w, &v, b, b, d, &mut t, false);
        for i in 0..b {
            for j in 0..i {
                let s = 0.5 * (t[i * b + j] + t[j * b + i]);
                t[i * b + j] = s;
                t[j * b + i] = s;
            }
        }
        let (_, y) = symmetric_eigen(&t, b);
        for r in (0..b).rev().take(c) {
            let coef = &y[r * b..(r + 1) * b];
            let mut comp = vec![0.0; d];
            for (q, &cq) in coef.iter().enumerate() {
                for (o, vi) in comp.iter_mut().zip(&v[q * d..(q + 1) * d]) {
                    *o += cq * vi;
                }
            }
            out.extend_from_slice(&comp);
        }
    }
    for row in out.chunks_exact_mut(d) {
        let mut arg = 0;
        for (j, v) in row.iter().enumerate() {
            if v.abs() > row[arg].abs() {
                arg = j;
            }
        }
        if row[arg] < 0.0 {
            row.iter_mut().for_each(|v| *v = -*v);
        }
    }
    out
}

/// Modified Gram-Schmidt on the `b` rows (length `d`) of `v`.
fn orthonormalize(v: &mut [f64], b: usize, d: usize) {
    for i in 0..b {
        for j in 0..i {
            let (head, tail) = v.split_at_mut(i * d);
            let vj = &head[j * d..(j + 1) * d];
            let vi = &mut tail[..d];
            let proj = crate::numeric::dot(vi, vj);
            for (a, bj) in vi.iter_mut().zip(vj) {
                *a -= proj * bj;
            }
        }
        let vi = &mut v[i * d..(i + 1) * d];
        let norm = crate::numeric::dot(vi, vi).sqrt();
        if norm > 0.0 {
            vi.iter_mut().for_each(|a| *a /= norm);
        }
    }
}

/// `_gradient_descent`'s fixed arguments.
struct Optimizer {
    learning_rate: f64,
    min_grad_norm: f64,
}

impl Optimizer {
    /// `_gradient_descent` from iteration `it` to `max_iter` (exclusive): momentum and
    /// per-parameter gains (`+0.2` where the update and the gradient disagree in sign,
    /// `×0.8` elsewhere, at least `0.01`), the error computed every 50 iterations and
    /// at the last; stops when the error has not improved for
    /// `n_iter_without_progress` iterations or the gradient norm is at most
    /// `min_grad_norm`. Returns the parameters, the last error and the last iteration.
    fn descend(
        &self,
        mut p: Vec<f32>,
        it: usize,
        max_iter: usize,
        momentum: f64,
        n_iter_without_progress: i64,
        mut objective: impl FnMut(&[f32], bool) -> (f64, Vec<f32>),
    ) -> (Vec<f32>, f64, usize) {
        let mut update = vec![0.0f64; p.len()];
        let mut gains = vec![1.0f32; p.len()];
        let mut error = f64::MAX;
        let mut best_error = f64::MAX;
        let mut best_iter = it;
        let mut i = it;
        for iter in it..max_iter {
            i = iter;
            let check = (iter + 1) % N_ITER_CHECK == 0;
            let (err, mut grad) = objective(&p, check || iter == max_iter - 1);
            error = err;
            for t in 0..p.len() {
                let inc = update[t] * f64::from(grad[t]) < 0.0;
                if inc {
                    gains[t] += 0.2f32;
                } else {
                    gains[t] *= 0.8f32;
                }
                if gains[t] < 0.01f32 {
                    gains[t] = 0.01f32;
                }
                grad[t] *= gains[t];
                update[t] = momentum * update[t] - self.learning_rate * f64::from(grad[t]);
                p[t] = (f64::from(p[t]) + update[t]) as f32;
            }
            if check {
                let grad_norm = grad
                    .iter()
                    .map(|&g| f64::from(g) * f64::from(g))
                    .sum::<f64>()
                    .sqrt();
                if error < best_error {
                    best_error = error;
                    best_iter = iter;
                } else if iter as i64 - best_iter as i64 > n_iter_without_progress {
                    break;
                }
                if grad_norm <= self.min_grad_norm {
                    break;
                }
            }
        }
        (p, error, i)
    }
}

/// `_kl_divergence`: the exact error and gradient over all pairs, from the condensed
/// `P`.
fn exact_gradient(
    p: &[f64],
    y: &[f32],
    n: usize,
    c: usize,
    dof: f64,
    compute_error: bool,
) -> (f64, Vec<f32>) {
    let mut dist = Vec::with_capacity(p.len());
    for i in 0..n {
        for j in i + 1..n {
            let mut s = 0.0;
            for a in 0..c {
                let t = f64::from(y[i * c + a]) - f64::from(y[j * c + a]);
                s += t * t;
            }
            let mut v = s / dof + 1.0;
            let e = (dof + 1.0) / -2.0;
            v = if e == -1.0 { 1.0 / v } else { v.powf(e) };
            dist.push(v);
        }
    }
    let total = 2.0 * np_sum(&dist);
    let q: Vec<f64> = dist
        .iter()
        .map(|d| (d / total).max(MACHINE_EPSILON))
        .collect();
    let kl = if compute_error {
        2.0 * p
            .iter()
            .zip(&q)
            .map(|(pv, qv)| pv * (pv.max(MACHINE_EPSILON) / qv).ln())
            .sum::<f64>()
    } else {
        f64::NAN
    };
    let pqd: Vec<f64> = p
        .iter()
        .zip(&q)
        .zip(&dist)
        .map(|((pv, qv), d)| (pv - qv) * d)
        .collect();
    let coef = (2.0 * (dof + 1.0) / dof) as f32;
    let mut grad = vec![0.0f32; n * c];
    for i in 0..n {
        for a in 0..c {
            let yi = y[i * c + a];
            let mut s = 0.0f64;
            for j in 0..n {
                if j != i {
                    let (lo, hi) = if i < j { (i, j) } else { (j, i) };
                    s += pqd[condensed(n, lo, hi)] * f64::from(yi - y[j * c + a]);
                }
            }
            grad[i * c + a] = (s as f32) * coef;
        }
    }
    (kl, grad)
}

/// `_kl_divergence_bh`: the Barnes-Hut gradient (attraction over the sparse `P`,
/// repulsion summarised on the tree) and, when asked, the error.
#[allow(clippy::too_many_arguments)]
fn bh_gradient(
    val_p: &[f32],
    p: &Affinities,
    y: &[f32],
    n: usize,
    c: usize,
    dof: f64,
    angle: f32,
    compute_error: bool,
) -> (f64, Vec<f32>) {
    let tree = QuadTree::build(y, c);
    debug_assert_eq!(tree.n_points(), n);
    let dof_f = dof as f32;
    let exponent = ((dof + 1.0) / 2.0) as f32;
    let squared_theta = angle * angle;
    // negative forces and sum_Q, per chunk
    let negative = |start: usize, neg: &mut [f32]| -> f64 {
        let mut s = 0.0;
        for (o, f) in neg.chunks_exact_mut(c).enumerate() {
            let i = start + o;
            s += tree.negative_force(&y[i * c..(i + 1) * c], squared_theta, dof_f, exponent, f);
        }
        s
    };
    let mut neg = vec![0.0f32; n * c];
    let parallel = n >= PARALLEL_SAMPLES;
    let partial: Vec<f64> = if parallel {
        neg.par_chunks_mut(CHUNK * c)
            .enumerate()
            .map(|(t, chunk)| negative(t * CHUNK, chunk))
            .collect()
    } else {
        neg.chunks_mut(CHUNK * c)
            .enumerate()
            .map(|(t, chunk)| negative(t * CHUNK, chunk))
            .collect()
    };
    let sum_q = partial.iter().sum::<f64>().max(f64::EPSILON);
    // positive forces and the error, per chunk
    let positive = |start: usize, pos: &mut [f32]| -> f32 {
        let mut err = 0.0f32;
        let mut buff = [0.0f32; 3];
        for (o, f) in pos.chunks_exact_mut(c).enumerate() {
            let i = start + o;
            let entries = p.indptr[i]..p.indptr[i + 1];
            for (&j, &pij) in p.indices[entries.clone()].iter().zip(&val_p[entries]) {
                let mut dij = 0.0f32;
                for a in 0..c {
                    buff[a] = y[i * c + a] - y[j * c + a];
                    dij += buff[a] * buff[a];
                }
                let mut qij = dof_f / (dof_f + dij);
                if dof_f != 1.0 {
                    qij = qij.powf(exponent);
                }
                let w = pij * qij;
                if compute_error {
                    let q = (f64::from(qij) / sum_q) as f32;
                    let ratio = pij.max(f32::MIN_POSITIVE) / q.max(f32::MIN_POSITIVE);
                    err = (f64::from(err) + f64::from(pij) * f64::from(ratio).ln()) as f32;
                }
                for a in 0..c {
                    f[a] += w * buff[a];
                }
            }
        }
        err
    };
    let mut pos = vec![0.0f32; n * c];
    let errors: Vec<f32> = if parallel {
        pos.par_chunks_mut(CHUNK * c)
            .enumerate()
            .map(|(t, chunk)| positive(t * CHUNK, chunk))
            .collect()
    } else {
        pos.chunks_mut(CHUNK * c)
            .enumerate()
            .map(|(t, chunk)| positive(t * CHUNK, chunk))
            .collect()
    };
    let coef = (2.0 * (dof + 1.0) / dof) as f32;
    let grad: Vec<f32> = pos
        .iter()
        .zip(&neg)
        .map(|(&pf, &nf)| ((f64::from(pf) - f64::from(nf) / sum_q) as f32) * coef)
        .collect();
    let error = if compute_error {
        f64::from(errors.iter().fold(0.0f32, |a, &b| a + b))
    } else {
        f64::NAN
    };
    (error, grad)
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

    #[test]
    fn top_eigenvectors_by_subspace_iteration_match_jacobi() {
        let d = 140;
        let mut a = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..d {
                a[i * d + j] =
                    ((i * j) % 7) as f64 * 0.01 + if i == j { 1.0 / (1.0 + i as f64) } else { 0.0 };
            }
        }
        for i in 0..d {
            for j in 0..i {
                let s = 0.5 * (a[i * d + j] + a[j * d + i]);
                a[i * d + j] = s;
                a[j * d + i] = s;
            }
        }
        let it = top_eigenvectors(&a, d, 2);
        let (_, v) = symmetric_eigen(&a, d);
        for (t, r) in [(0, d - 1), (1, d - 2)] {
            let mut e = v[r * d..(r + 1) * d].to_vec();
            let arg = (0..d).fold(0, |m, j| if e[j].abs() > e[m].abs() { j } else { m });
            if e[arg] < 0.0 {
                e.iter_mut().for_each(|x| *x = -*x);
            }
            let diff = (0..d)
                .map(|j| (e[j] - it[t * d + j]).abs())
                .fold(0.0, f64::max);
            assert!(diff < 1e-9, "{diff}");
        }
    }
}
