//! scikit-optimize's `BayesSearchCV` (skopt 0.10): search-space dimensions
//! ([`Dimension::integer`], [`Dimension::real`], [`Dimension::categorical`]) and their
//! normalising transforms, the acquisition functions (`EI`, `PI`, `LCB`, `gp_hedge`),
//! skopt's ask/tell [`Optimizer`] on its Gaussian process
//! ([`GaussianProcessRegressor`]), and the cross-validated search.
//!
//! What is skopt's, step by step: the space is normalised to `[0, 1]` per dimension
//! (log-uniform priors in `log_base` space, categoricals one-hot, or one column for two
//! categories); the first `n_initial_points` (10) points are drawn at random; after that
//! every `tell` fits the GP on the transformed points and the negated mean test scores,
//! samples `n_points` (10000) candidates, and for each acquisition function picks the
//! best candidate (`acq_optimizer="sampling"`) or refines the 5 best with a bounded
//! quasi-Newton run of 20 iterations on the acquisition's gradient (`"lbfgs"`, which
//! `"auto"` means for a GP); `gp_hedge` then draws one of the EI / LCB / PI proposals
//! with probabilities `softmax(eta * gains)`, the gains being minus the GP mean at each
//! proposal. A proposal already evaluated is replaced by another proposal or a random
//! point, with skopt's warning.
//!
//! The random streams are skopt's too: one NumPy `RandomState(random_state)` (kiln's
//! [`RandomState`]) shared by the optimisers, the GP's seed drawn as
//! `randint(0, 2**31 - 1)`, points drawn dimension by dimension as scipy's
//! `uniform(0, nextafter(1, 2))` and `rv_discrete` draw them, `gp_hedge`'s choice as
//! NumPy's legacy `multinomial`, and every `ask` made, as skopt's `ask(n_points)`, by a
//! copy of the optimiser reseeded from the stream. So the initial random candidates are
//! exactly skopt's, and later ones are as long as the GP-guided proposals round to the
//! same point: the fitted hyper-parameters and the acquisition's optimum come from
//! kiln's bounded quasi-Newton method rather than scipy's L-BFGS-B and agree only to
//! the optimisers' tolerance (in the golden integer search, the first 16 of 25
//! candidates are skopt's; with a continuous dimension, the 10 initial ones). Spaces
//! made only of categoricals use the Matern kernel on the one-hot encoding, where skopt
//! uses a Hamming kernel.

mod acquisition;
mod optimizer;
mod space;

use crate::error::{LearnError, Result};
use crate::estimator::{Params, Scorable};
use crate::matrix::Matrix;
use crate::random::RandomState;

use super::search::{Evaluator, SearchResult};
use super::validation::Cv;
pub use acquisition::{acquisition_value, Acquisition};
pub use optimizer::{OptimizeResult, Optimizer, OptimizerKwargs};
pub use space::{Dimension, Prior, SearchSpace, Space};

/// A fitted [`BayesSearchCV`]: the search's results and each space's optimiser record.
#[derive(Debug, Clone)]
pub struct BayesSearchResult<E> {
    /// `cv_results_`, `best_params_`, `best_score_`, `best_estimator_`, ... in
    /// GridSearchCV's format (all candidates, in evaluation order).
    pub search: SearchResult<E>,
    /// `optimizer_results_`: one per search space.
    pub optimizer_results: Vec<OptimizeResult>,
}

impl<E> std::ops::Deref for BayesSearchResult<E> {
    type Target = SearchResult<E>;
    fn deref(&self) -> &SearchResult<E> {
        &self.search
    }
}

/// Bayesian optimisation of hyper-parameters with cross-validation
/// (`skopt.BayesSearchCV`): `n_iter` candidates per space, asked `n_points` at a time
/// from an [`Optimizer`] told minus each candidate's mean test score.
///
/// ```
/// use kiln_learn::estimator::Param;
/// use kiln_learn::model_selection::{BayesSearchCV, Cv, Dimension, OptimizerKwargs, SearchSpace};
/// use kiln_learn::tree::DecisionTreeRegressor;
/// use kiln_learn::Matrix;
///
/// let x = Matrix::from_rows(&(0..30).map(|i| [i as f64]).collect::<Vec<_>>())?;
/// let y: Vec<f64> = (0..30).map(|i| ((i as f64) / 5.0).sin()).collect();
/// let mut space = SearchSpace::new();
/// space.insert("max_depth".into(), Dimension::integer(1, 6)?);
/// let search = BayesSearchCV {
///     search_spaces: vec![(space, None)],
///     n_iter: 8,
///     cv: Cv::Folds(3),
///     random_state: Some(0),
///     optimizer_kwargs: OptimizerKwargs { n_initial_points: 4, n_points: 200, ..Default::default() },
///     ..BayesSearchCV::new(DecisionTreeRegressor { random_state: Some(0), ..Default::default() })
/// };
/// let result = search.fit(&x, &y)?;
/// assert_eq!(result.cv_results.params.len(), 8);
/// assert!(matches!(result.best_params["max_depth"], Param::Int(1..=6)));
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
#[derive(Debug, Clone)]
pub struct BayesSearchCV<E> {
    /// The estimator cloned for each candidate.
    pub estimator: E,
    /// The spaces, each with its own `n_iter` (`None`: [`BayesSearchCV::n_iter`]);
    /// skopt's dict, list of dicts, or list of `(dict, n_iter)`.
    pub search_spaces: Vec<(SearchSpace, Option<usize>)>,
    /// Candidates per space (50).
    pub n_iter: usize,
    /// Candidates asked (and evaluated in parallel) per step (1).
    pub n_points: usize,
    /// The scorer name (`None`: the estimator's `score`).
    pub scoring: Option<String>,
    /// The splitter (5 folds by default).
    pub cv: Cv,
    /// Refit the best candidate on all the data (true).
    pub refit: bool,
    /// Also score the training folds (false).
    pub return_train_score: bool,
    /// Seed of the optimisers (`None`: entropy).
    pub random_state: Option<u32>,
    /// The optimisers' arguments.
    pub optimizer_kwargs: OptimizerKwargs,
}

impl<E: Scorable + Clone> BayesSearchCV<E> {
    /// A search with skopt's defaults and no spaces.
    pub fn new(estimator: E) -> Self {
        BayesSearchCV {
            estimator,
            search_spaces: Vec::new(),
            n_iter: 50,
            n_points: 1,
            scoring: None,
            cv: Cv::default(),
            refit: true,
            return_train_score: false,
            random_state: None,
            optimizer_kwargs: OptimizerKwargs::default(),
        }
    }

    /// Runs the search.
    pub fn fit(&self, x: &Matrix, y: &[E::Target]) -> Result<BayesSearchResult<E>> {
        if self.search_spaces.is_empty() {
            return Err(LearnError::Value(
                "The search_spaces parameter should contain at least onenon-empty search space, got []"
                    .to_string(),
            ));
        }
        if self.n_points == 0 {
            return Err(LearnError::Value(
                "n_points should be int > 0, got 0".to_string(),
            ));
        }
        let mut rng = self
            .random_state
            .map_or_else(RandomState::from_entropy, RandomState::new);
        // skopt hands the one RandomState to every optimiser: each draws its GP's seed
        // when created, then asks from the shared stream in turn
        let mut optimizers = Vec::with_capacity(self.search_spaces.len());
        for (space, _) in &self.search_spaces {
            let mut opt = Optimizer::with_rng(space, &self.optimizer_kwargs, rng)?;
            rng = opt.take_rng();
            optimizers.push(opt);
        }
        let mut ev = Evaluator::new(
            &self.estimator,
            x,
            y,
            &self.cv,
            self.scoring.as_deref(),
            self.return_train_score,
        )?;
        for ((_, n_iter), opt) in self.search_spaces.iter().zip(optimizers.iter_mut()) {
            opt.rng = rng;
            let mut left = n_iter.unwrap_or(self.n_iter);
            while left > 0 {
                let n = left.min(self.n_points);
                let points = opt.ask_many(n)?;
                let params: Vec<Params> = points.iter().map(|p| opt.space().as_params(p)).collect();
                let means = ev.evaluate(&params)?;
                for (p, m) in points.into_iter().zip(means) {
                    opt.tell(p, -m)?;
                }
                left -= n;
            }
            rng = opt.take_rng();
        }
        let warnings = optimizers
            .iter()
            .flat_map(|o| o.warnings().iter().cloned())
            .collect();
        let search = ev.finish(self.refit, warnings)?;
        Ok(BayesSearchResult {
            search,
            optimizer_results: optimizers.iter().map(Optimizer::result).collect(),
        })
    }
}
