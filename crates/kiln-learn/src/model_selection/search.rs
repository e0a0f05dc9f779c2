//! Hyper-parameter searches (`sklearn/model_selection/_search.py`): [`ParameterGrid`],
//! [`ParameterSampler`], [`GridSearchCV`] and [`RandomizedSearchCV`].

use std::collections::BTreeMap;
use std::time::Instant;

use rayon::prelude::*;

use crate::error::{LearnError, Result, Warning};
use crate::estimator::{Param, Params, Scorable};
use crate::matrix::Matrix;
use crate::random::RandomState;

use super::scoring::Scorer;
use super::validation::{fit_and_score, Cv, FoldResult};

/// A grid: for each name, the values to try. A search takes a list of grids.
pub type Grid = BTreeMap<String, Vec<Param>>;

/// Builds a [`Grid`] from `(name, values)` pairs.
///
/// ```
/// use kiln_learn::estimator::Param;
/// use kiln_learn::model_selection::grid;
///
/// let g = grid([("max_depth", vec![Param::Int(1), Param::None])]);
/// assert_eq!(g["max_depth"].len(), 2);
/// ```
pub fn grid<const N: usize>(entries: [(&str, Vec<Param>); N]) -> Grid {
    entries
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// Every combination of a list of grids, in scikit-learn's order: grid by grid, names
/// sorted, the last name varying fastest (`sklearn.model_selection.ParameterGrid`).
///
/// ```
/// use kiln_learn::estimator::Param;
/// use kiln_learn::model_selection::{grid, ParameterGrid};
///
/// let g = ParameterGrid::new(vec![grid([
///     ("b", vec![Param::Int(1), Param::Int(2)]),
///     ("a", vec![Param::Str("x".into()), Param::Str("y".into())]),
/// ])]);
/// assert_eq!(g.len(), 4);
/// let all = g.iter().collect::<Vec<_>>();
/// assert_eq!(all[1]["a"], Param::Str("x".into()));
/// assert_eq!(all[1]["b"], Param::Int(2));
/// assert_eq!(g.get(1), Some(all[1].clone()));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterGrid {
    grids: Vec<Grid>,
}

impl ParameterGrid {
    /// The grid of a list of sub-grids.
    pub fn new(grids: Vec<Grid>) -> Self {
        ParameterGrid { grids }
    }

    fn grid_len(g: &Grid) -> usize {
        g.values().map(Vec::len).product()
    }

    /// The number of combinations.
    pub fn len(&self) -> usize {
        self.grids.iter().map(Self::grid_len).sum()
    }

    /// Whether there are no combinations.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Combination `index` in iteration order (`ParameterGrid.__getitem__`).
    pub fn get(&self, mut index: usize) -> Option<Params> {
        for g in &self.grids {
            let total = Self::grid_len(g);
            if index >= total {
                index -= total;
                continue;
            }
            let mut out = Params::new();
            for (k, values) in g.iter().rev() {
                let n = values.len();
                out.insert(k.clone(), values[index % n].clone());
                index /= n;
            }
            return Some(out);
        }
        None
    }

    /// All combinations in order.
    pub fn iter(&self) -> impl Iterator<Item = Params> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

/// A distribution to sample a parameter from, drawn as scipy.stats draws it from
/// NumPy's `RandomState`.
#[derive(Debug, Clone, PartialEq)]
pub enum Distribution {
    /// A list of values, one picked uniformly (`v[rng.randint(len(v))]`).
    List(Vec<Param>),
    /// `scipy.stats.randint(low, high)`: an `int` in `[low, high)`.
    RandInt {
        /// Lowest value.
        low: i64,
        /// One past the highest value.
        high: i64,
    },
    /// `scipy.stats.uniform(loc, scale)`: a `float` in `[loc, loc + scale)`.
    Uniform {
        /// Start.
        loc: f64,
        /// Width.
        scale: f64,
    },
    /// `scipy.stats.loguniform(a, b)`: `exp(ln a + u (ln b - ln a))`.
    LogUniform {
        /// Lower bound (> 0).
        a: f64,
        /// Upper bound (> a).
        b: f64,
    },
}

impl Distribution {
    fn is_list(&self) -> bool {
        matches!(self, Distribution::List(_))
    }

    fn sample(&self, rng: &mut RandomState) -> Result<Param> {
        Ok(match self {
            Distribution::List(v) => {
                if v.is_empty() {
                    return Err(LearnError::Value(
                        "Parameter distribution lists must be non-empty".to_string(),
                    ));
                }
                v[rng.random_interval(v.len() as u64 - 1) as usize].clone()
            }
            Distribution::RandInt { low, high } => {
                if high <= low {
                    return Err(LearnError::Value(format!(
                        "randint: low >= high ({low} >= {high})"
                    )));
                }
                Param::Int(low + rng.random_interval((high - low - 1) as u64) as i64)
            }
            Distribution::Uniform { loc, scale } => {
                let u = rng.random_sample();
                Param::Float(u * scale + loc)
            }
            Distribution::LogUniform { a, b } => {
                let u = rng.random_sample();
                let (la, lb) = (a.ln(), b.ln());
                Param::Float((la + u * (lb - la)).exp() * 1.0 + 0.0)
            }
        })
    }
}

/// Distributions by parameter name.
pub type Distributions = BTreeMap<String, Distribution>;

/// `n_iter` random candidates (`sklearn.model_selection.ParameterSampler`).
///
/// When every distribution is a list, candidates are drawn from the
/// [`ParameterGrid`] without replacement (scikit-learn's `sample_without_replacement`,
/// at most the grid size, with a warning when fewer); otherwise each candidate picks a
/// grid uniformly and draws each name in sorted order. The draws are NumPy's and
/// scipy's for the same `random_state`.
///
/// ```
/// use kiln_learn::model_selection::{Distribution, Distributions, ParameterSampler};
///
/// let mut d = Distributions::new();
/// d.insert("max_depth".into(), Distribution::RandInt { low: 1, high: 10 });
/// let sampler = ParameterSampler { param_distributions: vec![d], n_iter: 3, random_state: Some(0) };
/// let (candidates, _) = sampler.sample()?;
/// assert_eq!(candidates.len(), 3);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterSampler {
    /// One or more dicts of distributions.
    pub param_distributions: Vec<Distributions>,
    /// Number of candidates.
    pub n_iter: usize,
    /// Seed (`None`: entropy).
    pub random_state: Option<u32>,
}

/// scikit-learn's `sample_without_replacement(n_population, n_samples)` with
/// `method="auto"`.
fn sample_without_replacement(
    n_population: usize,
    n_samples: usize,
    rng: &mut RandomState,
) -> Vec<usize> {
    let ratio = if n_population == 0 {
        1.0
    } else {
        n_samples as f64 / n_population as f64
    };
    if ratio > 0.01 && ratio < 0.99 {
        let mut p = rng.permutation(n_population);
        p.truncate(n_samples);
        return p;
    }
    if ratio < 0.2 {
        // tracking selection
        let mut selected = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(n_samples);
        for _ in 0..n_samples {
            let mut j = rng.random_interval(n_population as u64 - 1) as usize;
            while selected.contains(&j) {
                j = rng.random_interval(n_population as u64 - 1) as usize;
            }
            selected.insert(j);
            out.push(j);
        }
        return out;
    }
    // reservoir sampling
    let mut out: Vec<usize> = (0..n_samples).collect();
    for i in n_samples..n_population {
        let j = rng.random_interval(i as u64) as usize;
        if j < n_samples {
            out[j] = i;
        }
    }
    out
}

impl ParameterSampler {
    /// The candidates, and scikit-learn's warning when a list-only grid is smaller
    /// than `n_iter`.
    pub fn sample(&self) -> Result<(Vec<Params>, Vec<Warning>)> {
        let mut rng = self
            .random_state
            .map_or_else(RandomState::from_entropy, RandomState::new);
        let mut warnings = Vec::new();
        let all_lists = self
            .param_distributions
            .iter()
            .all(|d| d.values().all(Distribution::is_list));
        if all_lists {
            let grids = self
                .param_distributions
                .iter()
                .map(|d| {
                    d.iter()
                        .map(|(k, v)| match v {
                            Distribution::List(l) => (k.clone(), l.clone()),
                            _ => (k.clone(), Vec::new()),
                        })
                        .collect()
                })
                .collect();
            let pg = ParameterGrid::new(grids);
            let size = pg.len();
            let mut n_iter = self.n_iter;
            if size < n_iter {
                warnings.push(Warning::user(format!(
                    "The total space of parameters {size} is smaller than n_iter={n_iter}. Running {size} iterations. For exhaustive searches, use GridSearchCV."
                )));
                n_iter = size;
            }
            let picks = sample_without_replacement(size, n_iter, &mut rng);
            return Ok((
                picks.into_iter().filter_map(|i| pg.get(i)).collect(),
                warnings,
            ));
        }
        let n_dists = self.param_distributions.len();
        let mut out = Vec::with_capacity(self.n_iter);
        for _ in 0..self.n_iter {
            let pick = rng.random_interval(n_dists as u64 - 1) as usize;
            let dist = &self.param_distributions[pick];
            let mut params = Params::new();
            for (k, v) in dist {
                params.insert(k.clone(), v.sample(&mut rng)?);
            }
            out.push(params);
        }
        Ok((out, warnings))
    }
}

/// A search's `cv_results_`: one entry per candidate, in candidate order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CvResults {
    /// The candidates (`params`).
    pub params: Vec<Params>,
    /// `param_<name>`: each candidate's value, `None` where a candidate lacks the name
    /// (a masked entry).
    pub param_columns: BTreeMap<String, Vec<Option<Param>>>,
    /// `split<k>_test_score`: `split_test_scores[k][candidate]`.
    pub split_test_scores: Vec<Vec<f64>>,
    /// `mean_test_score`.
    pub mean_test_score: Vec<f64>,
    /// `std_test_score` (population standard deviation over the folds).
    pub std_test_score: Vec<f64>,
    /// `rank_test_score`: 1 is best; ties share the smallest rank (`method="min"`).
    pub rank_test_score: Vec<u32>,
    /// `split<k>_train_score`, `mean_train_score`, `std_train_score` when
    /// `return_train_score`.
    pub split_train_scores: Option<Vec<Vec<f64>>>,
    /// `mean_train_score`.
    pub mean_train_score: Option<Vec<f64>>,
    /// `std_train_score`.
    pub std_train_score: Option<Vec<f64>>,
    /// `mean_fit_time`.
    pub mean_fit_time: Vec<f64>,
    /// `std_fit_time`.
    pub std_fit_time: Vec<f64>,
    /// `mean_score_time`.
    pub mean_score_time: Vec<f64>,
    /// `std_score_time`.
    pub std_score_time: Vec<f64>,
}

fn mean_std(rows: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
    rows.iter()
        .map(|r| {
            let n = r.len() as f64;
            let mean = r.iter().sum::<f64>() / n;
            let var = r.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
            (mean, var.sqrt())
        })
        .unzip()
}

/// `rankdata(-means, method="min")`, NaN means ranked last.
fn rank_min(means: &[f64]) -> Vec<u32> {
    let finite_min = means
        .iter()
        .filter(|m| !m.is_nan())
        .fold(f64::INFINITY, |a, &b| a.min(b));
    if finite_min.is_infinite() && means.iter().all(|m| m.is_nan()) {
        return vec![1; means.len()];
    }
    let filled: Vec<f64> = means
        .iter()
        .map(|&m| if m.is_nan() { finite_min - 1.0 } else { m })
        .collect();
    filled
        .iter()
        .map(|&m| 1 + filled.iter().filter(|&&o| o > m).count() as u32)
        .collect()
}

/// The outcome of a fitted search.
#[derive(Debug, Clone)]
pub struct SearchResult<E> {
    /// `cv_results_`.
    pub cv_results: CvResults,
    /// `best_index_`: the first candidate ranked 1.
    pub best_index: usize,
    /// `best_score_`: its mean test score.
    pub best_score: f64,
    /// `best_params_`.
    pub best_params: Params,
    /// `best_estimator_`: refitted on all the data (when `refit`).
    pub best_estimator: Option<E>,
    /// `refit_time_` in seconds (when `refit`).
    pub refit_time: Option<f64>,
    /// `n_splits_`.
    pub n_splits: usize,
    /// Warnings (for example from the sampler).
    pub warnings: Vec<Warning>,
}

/// Evaluates every candidate on every split (candidate-major, as scikit-learn's
/// `evaluate_candidates`) and builds the results.
#[allow(clippy::too_many_arguments)]
fn run_search<E: Scorable + Clone>(
    estimator: &E,
    candidates: Vec<Params>,
    x: &Matrix,
    y: &[E::Target],
    cv: &Cv,
    scoring: Option<&str>,
    refit: bool,
    return_train_score: bool,
    warnings: Vec<Warning>,
) -> Result<SearchResult<E>> {
    let mut ev = Evaluator::new(estimator, x, y, cv, scoring, return_train_score)?;
    ev.evaluate(&candidates)?;
    ev.finish(refit, warnings)
}

/// scikit-learn's `BaseSearchCV.fit` machinery: the splits fixed once, candidates
/// evaluated batch by batch (`evaluate_candidates`), and the results of all batches
/// assembled at the end. [`BayesSearchCV`](super::BayesSearchCV) asks its optimiser for
/// each batch after scoring the previous one.
pub(crate) struct Evaluator<'a, E: Scorable + Clone> {
    estimator: &'a E,
    x: &'a Matrix,
    y: &'a [E::Target],
    cv: Cv,
    /// computed on the first batch, after its names are checked (scikit-learn checks
    /// the parameters before it splits)
    splits: Vec<super::split::Split>,
    scorers: [Scorer; 1],
    return_train_score: bool,
    candidates: Vec<Params>,
    out: Vec<FoldResult>,
}

impl<'a, E: Scorable + Clone> Evaluator<'a, E> {
    pub(crate) fn new(
        estimator: &'a E,
        x: &'a Matrix,
        y: &'a [E::Target],
        cv: &Cv,
        scoring: Option<&str>,
        return_train_score: bool,
    ) -> Result<Self> {
        crate::validation::check_consistent_length(&[Some(x.n_rows()), Some(y.len())])?;
        let scorer = Scorer::parse(scoring)?;
        Ok(Evaluator {
            estimator,
            x,
            y,
            cv: cv.clone(),
            splits: Vec::new(),
            scorers: [scorer],
            return_train_score,
            candidates: Vec::new(),
            out: Vec::new(),
        })
    }

    /// Fits and scores `candidates` on every split; returns their mean test scores.
    pub(crate) fn evaluate(&mut self, candidates: &[Params]) -> Result<Vec<f64>> {
        // unknown names fail before any fit, with set_params' message
        for c in candidates {
            self.estimator.clone().set_params(c)?;
        }
        if self.candidates.is_empty() && !candidates.is_empty() {
            self.splits = self.cv.splits(self.y, self.estimator.is_classifier())?;
        }
        let n_splits = self.splits.len();
        let tasks: Vec<(usize, usize)> = (0..candidates.len())
            .flat_map(|c| (0..n_splits).map(move |s| (c, s)))
            .collect();
        let out: Vec<FoldResult> = tasks
            .par_iter()
            .map(|&(c, s)| {
                fit_and_score(
                    self.estimator,
                    Some(&candidates[c]),
                    self.x,
                    self.y,
                    &self.splits[s],
                    &self.scorers,
                    self.return_train_score,
                )
            })
            .collect::<Result<Vec<_>>>()?;
        let means = (0..candidates.len())
            .map(|c| {
                let r: Vec<Vec<f64>> = vec![(0..n_splits)
                    .map(|s| out[c * n_splits + s].test_scores[0])
                    .collect()];
                mean_std(&r).0[0]
            })
            .collect();
        self.candidates.extend(candidates.iter().cloned());
        self.out.extend(out);
        Ok(means)
    }

    /// `cv_results_`, the best candidate and the refit.
    pub(crate) fn finish(self, refit: bool, warnings: Vec<Warning>) -> Result<SearchResult<E>> {
        let Evaluator {
            estimator,
            x,
            y,
            splits,
            return_train_score,
            candidates,
            out,
            ..
        } = self;
        if candidates.is_empty() {
            return Err(LearnError::Value(
                "No fits were performed. Was the CV iterator empty? Were there no candidates?"
                    .to_string(),
            ));
        }
        let n_splits = splits.len();
        let per_candidate = |get: &dyn Fn(&FoldResult) -> f64| -> Vec<Vec<f64>> {
            (0..candidates.len())
                .map(|c| (0..n_splits).map(|s| get(&out[c * n_splits + s])).collect())
                .collect()
        };
        let test = per_candidate(&|f| f.test_scores[0]);
        let (mean_test, std_test) = mean_std(&test);
        let rank = rank_min(&mean_test);
        let (mean_fit, std_fit) = mean_std(&per_candidate(&|f| f.fit_time));
        let (mean_score, std_score) = mean_std(&per_candidate(&|f| f.score_time));
        let transpose = |m: &[Vec<f64>]| -> Vec<Vec<f64>> {
            (0..n_splits)
                .map(|s| m.iter().map(|r| r[s]).collect())
                .collect()
        };
        let (split_train, mean_train, std_train) = if return_train_score {
            let train = per_candidate(&|f| f.train_scores.as_ref().map_or(f64::NAN, |t| t[0]));
            let (m, s) = mean_std(&train);
            (Some(transpose(&train)), Some(m), Some(s))
        } else {
            (None, None, None)
        };
        let mut param_columns: BTreeMap<String, Vec<Option<Param>>> = BTreeMap::new();
        for key in candidates.iter().flat_map(|c| c.keys()) {
            param_columns.entry(key.clone()).or_default();
        }
        for (key, col) in param_columns.iter_mut() {
            *col = candidates.iter().map(|c| c.get(key).cloned()).collect();
        }
        let best_index = rank.iter().position(|&r| r == 1).unwrap_or(0);
        let best_params = candidates[best_index].clone();
        let best_score = mean_test[best_index];
        let (best_estimator, refit_time) = if refit {
            let mut best = estimator.clone();
            best.set_params(&best_params)?;
            let start = Instant::now();
            best.fit(x, y)?;
            (Some(best), Some(start.elapsed().as_secs_f64()))
        } else {
            (None, None)
        };
        Ok(SearchResult {
            cv_results: CvResults {
                params: candidates,
                param_columns,
                split_test_scores: transpose(&test),
                mean_test_score: mean_test,
                std_test_score: std_test,
                rank_test_score: rank,
                split_train_scores: split_train,
                mean_train_score: mean_train,
                std_train_score: std_train,
                mean_fit_time: mean_fit,
                std_fit_time: std_fit,
                mean_score_time: mean_score,
                std_score_time: std_score,
            },
            best_index,
            best_score,
            best_params,
            best_estimator,
            refit_time,
            n_splits,
            warnings,
        })
    }
}

/// Exhaustive search over a [`ParameterGrid`] with cross-validation
/// (`sklearn.model_selection.GridSearchCV`; single-metric `scoring`,
/// `error_score="raise"`).
///
/// ```
/// use kiln_learn::estimator::{Param, Predictor};
/// use kiln_learn::model_selection::{grid, Cv, GridSearchCV};
/// use kiln_learn::tree::DecisionTreeClassifier;
/// use kiln_learn::Matrix;
///
/// let x = Matrix::from_rows(&[[0.0, 5.0], [1.0, 3.0], [2.0, 4.0], [3.0, 1.0], [4.0, 0.0], [5.0, 2.0]])?;
/// let y = [0_i64, 0, 0, 1, 1, 1];
/// // A fixed `random_state`: with `None` every fit draws a new feature order, and here
/// // both features separate the classes, so the fold scores would change run to run.
/// let tree = DecisionTreeClassifier { random_state: Some(0), ..Default::default() };
/// let search = GridSearchCV {
///     param_grid: vec![grid([("max_depth", vec![Param::Int(1), Param::Int(2)])])],
///     cv: Cv::Folds(3),
///     ..GridSearchCV::new(tree)
/// };
/// let result = search.fit(&x, &y)?;
/// // scikit-learn 1.9.1 gives the same: split scores [1, 0.5, 1] for both depths, a tie
/// // (both ranked 1), and the first of the tied candidates is the best.
/// assert_eq!(result.cv_results.split_test_scores, vec![vec![1.0, 1.0], vec![0.5, 0.5], vec![1.0, 1.0]]);
/// assert_eq!(result.cv_results.rank_test_score, vec![1, 1]);
/// assert_eq!(result.best_index, 0);
/// assert_eq!(result.best_params["max_depth"], Param::Int(1));
/// let best = result.best_estimator.unwrap();
/// assert_eq!(best.predict(&x)?, y.to_vec());
///
/// let bad = GridSearchCV {
///     param_grid: vec![grid([("foo", vec![Param::Int(1)])])],
///     ..GridSearchCV::new(DecisionTreeClassifier::<i64>::default())
/// };
/// assert!(bad.fit(&x, &y).unwrap_err().to_string().starts_with("Invalid parameter 'foo' for estimator DecisionTreeClassifier()."));
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
#[derive(Debug, Clone)]
pub struct GridSearchCV<E> {
    /// The estimator cloned for each candidate.
    pub estimator: E,
    /// The grids (`param_grid`; one dict or a list of dicts).
    pub param_grid: Vec<Grid>,
    /// The scorer name (`None`: the estimator's `score`).
    pub scoring: Option<String>,
    /// The splitter (5 folds by default).
    pub cv: Cv,
    /// Refit the best candidate on all the data (true).
    pub refit: bool,
    /// Also score the training folds (false).
    pub return_train_score: bool,
}

impl<E: Scorable + Clone> GridSearchCV<E> {
    /// A search with scikit-learn's defaults and an empty grid.
    pub fn new(estimator: E) -> Self {
        GridSearchCV {
            estimator,
            param_grid: vec![Grid::new()],
            scoring: None,
            cv: Cv::default(),
            refit: true,
            return_train_score: false,
        }
    }

    /// Runs the search.
    pub fn fit(&self, x: &Matrix, y: &[E::Target]) -> Result<SearchResult<E>> {
        let candidates: Vec<Params> = ParameterGrid::new(self.param_grid.clone()).iter().collect();
        run_search(
            &self.estimator,
            candidates,
            x,
            y,
            &self.cv,
            self.scoring.as_deref(),
            self.refit,
            self.return_train_score,
            Vec::new(),
        )
    }
}

/// Search over `n_iter` candidates drawn by a [`ParameterSampler`]
/// (`sklearn.model_selection.RandomizedSearchCV`).
///
/// ```
/// use kiln_learn::model_selection::{Cv, Distribution, Distributions, RandomizedSearchCV};
/// use kiln_learn::tree::DecisionTreeRegressor;
/// use kiln_learn::Matrix;
///
/// let x = Matrix::from_rows(&[[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])?;
/// let y = [0.0, 0.1, 0.9, 1.1, 2.0, 2.1];
/// let mut d = Distributions::new();
/// d.insert("max_depth".into(), Distribution::RandInt { low: 1, high: 4 });
/// let search = RandomizedSearchCV {
///     param_distributions: vec![d],
///     n_iter: 4,
///     random_state: Some(0),
///     cv: Cv::Folds(3),
///     scoring: Some("neg_mean_squared_error".into()),
///     ..RandomizedSearchCV::new(DecisionTreeRegressor::default())
/// };
/// let result = search.fit(&x, &y)?;
/// assert_eq!(result.cv_results.params.len(), 4);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
#[derive(Debug, Clone)]
pub struct RandomizedSearchCV<E> {
    /// The estimator cloned for each candidate.
    pub estimator: E,
    /// The distributions (one dict or a list of dicts).
    pub param_distributions: Vec<Distributions>,
    /// Number of candidates (10).
    pub n_iter: usize,
    /// The scorer name (`None`: the estimator's `score`).
    pub scoring: Option<String>,
    /// The splitter (5 folds by default).
    pub cv: Cv,
    /// Refit the best candidate on all the data (true).
    pub refit: bool,
    /// Also score the training folds (false).
    pub return_train_score: bool,
    /// Seed of the sampler (`None`: entropy).
    pub random_state: Option<u32>,
}

impl<E: Scorable + Clone> RandomizedSearchCV<E> {
    /// A search with scikit-learn's defaults and no distributions.
    pub fn new(estimator: E) -> Self {
        RandomizedSearchCV {
            estimator,
            param_distributions: vec![Distributions::new()],
            n_iter: 10,
            scoring: None,
            cv: Cv::default(),
            refit: true,
            return_train_score: false,
            random_state: None,
        }
    }

    /// Runs the search.
    pub fn fit(&self, x: &Matrix, y: &[E::Target]) -> Result<SearchResult<E>> {
        let sampler = ParameterSampler {
            param_distributions: self.param_distributions.clone(),
            n_iter: self.n_iter,
            random_state: self.random_state,
        };
        let (candidates, warnings) = sampler.sample()?;
        run_search(
            &self.estimator,
            candidates,
            x,
            y,
            &self.cv,
            self.scoring.as_deref(),
            self.refit,
            self.return_train_score,
            warnings,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_ranks_share_ties() {
        assert_eq!(rank_min(&[0.5, 0.9, 0.9, 0.1]), vec![3, 1, 1, 4]);
        assert_eq!(rank_min(&[f64::NAN, 0.2]), vec![2, 1]);
        assert_eq!(rank_min(&[f64::NAN, f64::NAN]), vec![1, 1]);
    }

    #[test]
    fn sample_without_replacement_methods() {
        let mut rng = RandomState::new(0);
        let s = sample_without_replacement(10, 10, &mut rng);
        let mut sorted = s.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..10).collect::<Vec<_>>());
        let s = sample_without_replacement(1000, 3, &mut rng);
        assert_eq!(s.len(), 3);
    }
}
