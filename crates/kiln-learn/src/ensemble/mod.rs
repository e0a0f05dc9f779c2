//! Forests of randomised trees (`sklearn.ensemble`): [`RandomForestClassifier`] and
//! [`RandomForestRegressor`].
//!
//! The per-tree seeds are scikit-learn's (`randint(2**31 - 1)` drawn once per tree from
//! `RandomState(random_state)`), each tree's bootstrap sample is drawn from
//! `RandomState(seed)` as `randint(0, n_samples, n_samples_bootstrap)` and turned into
//! per-sample counts, and each tree is built by the same builder as
//! [`DecisionTreeClassifier`](crate::tree::DecisionTreeClassifier). Trees are fitted in
//! parallel with rayon; their order (and so every result) does not depend on the
//! number of threads.
//!
//! ```
//! use kiln_learn::ensemble::RandomForestClassifier;
//! use kiln_learn::estimator::{Classifier, Estimator, Predictor};
//! use kiln_learn::Matrix;
//!
//! let x = Matrix::from_rows(&[[0.0, 1.0], [0.2, 0.9], [1.0, 0.1], [0.9, 0.0], [0.1, 0.8], [1.1, 0.2]])?;
//! let y = [0, 0, 1, 1, 0, 1];
//! let mut forest = RandomForestClassifier { n_estimators: 10, random_state: Some(0), ..Default::default() };
//! forest.fit(&x, &y)?;
//! assert_eq!(forest.predict(&x)?, y.to_vec());
//! assert_eq!(forest.predict_proba(&x)?.shape(), (6, 2));
//! assert_eq!(forest.n_trees()?, 10);
//! # Ok::<(), kiln_learn::LearnError>(())
//! ```

use rayon::prelude::*;

use crate::error::{LearnError, Result, Warning};
use crate::estimator::{
    bad_value, estimator_repr, invalid_param, not_fitted, param_bool, param_int, param_seed,
    score_classifier, score_regressor, Classifier, Estimator, Param, Params, Predictor, Regressor,
    Scorable,
};
use crate::label::Label;
use crate::matrix::{check_x, check_x_fitted, Matrix};
use crate::model_selection::Scorer;
use crate::random::RandomState;
use crate::tree::core::{build_tree, Columns, Targets, Tree};
use crate::tree::{
    argmax, encode_labels, seeded, splitter_seed, Criterion, MaxFeatures, MinSamples, TreeConfig,
};

/// The bootstrap sample size (`max_samples`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaxSamples {
    /// An `int`: that many draws.
    Count(usize),
    /// A `float`: `max(round(fraction * n_samples), 1)` draws.
    Fraction(f64),
}

const MAX_SAMPLES_CONSTRAINT: &str =
    "None, a float in the range (0.0, inf) or an int in the range [1, inf)";

fn n_samples_bootstrap(
    n_samples: usize,
    max_samples: Option<MaxSamples>,
    caller: &'static str,
) -> Result<usize> {
    match max_samples {
        None => Ok(n_samples),
        Some(MaxSamples::Count(0)) => Err(bad_value(
            "max_samples",
            caller,
            MAX_SAMPLES_CONSTRAINT,
            &Param::Int(0),
        )),
        Some(MaxSamples::Count(c)) => {
            if c > n_samples {
                return Err(LearnError::Value(format!(
                    "`max_samples` must be <= n_samples={n_samples} but got value {c}"
                )));
            }
            Ok(c)
        }
        Some(MaxSamples::Fraction(f)) if f > 0.0 => {
            Ok(((n_samples as f64 * f).round_ties_even() as usize).max(1))
        }
        Some(MaxSamples::Fraction(f)) => Err(bad_value(
            "max_samples",
            caller,
            MAX_SAMPLES_CONSTRAINT,
            &Param::Float(f),
        )),
    }
}

/// `_generate_sample_indices` + `bincount`: how often each sample is drawn.
fn bootstrap_counts(seed: u32, n_samples: usize, n_draws: usize) -> Vec<f64> {
    let mut rng = RandomState::new(seed);
    let mut counts = vec![0.0; n_samples];
    for _ in 0..n_draws {
        counts[rng.random_interval(n_samples as u64 - 1) as usize] += 1.0;
    }
    counts
}

/// The hyper-parameters of a forest, shared by both kinds.
#[derive(Debug, Clone, PartialEq)]
struct ForestConfig {
    n_estimators: usize,
    tree: TreeConfig,
    bootstrap: bool,
    oob_score: bool,
    max_samples: Option<MaxSamples>,
    n_jobs: Option<i64>,
    random_state: Option<u32>,
}

impl ForestConfig {
    fn params(&self) -> Params {
        let mut p = Params::new();
        self.tree.put_params(&mut p);
        p.insert("n_estimators".into(), Param::Int(self.n_estimators as i64));
        p.insert("bootstrap".into(), Param::Bool(self.bootstrap));
        p.insert("oob_score".into(), Param::Bool(self.oob_score));
        p.insert(
            "max_samples".into(),
            match self.max_samples {
                None => Param::None,
                Some(MaxSamples::Count(c)) => Param::Int(c as i64),
                Some(MaxSamples::Fraction(f)) => Param::Float(f),
            },
        );
        p.insert("n_jobs".into(), self.n_jobs.map_or(Param::None, Param::Int));
        p.insert(
            "random_state".into(),
            self.random_state
                .map_or(Param::None, |s| Param::Int(i64::from(s))),
        );
        p
    }

    fn set(
        &mut self,
        params: &Params,
        classifier: bool,
        caller: &'static str,
        defaults: &Params,
    ) -> Result<()> {
        let mut next = self.clone();
        for (k, v) in params {
            if next.tree.set_param(k, v, classifier, caller)? {
                continue;
            }
            match k.as_str() {
                "n_estimators" => {
                    let n = param_int(v, "n_estimators", caller, "an int in the range [1, inf)")?;
                    if n < 0 {
                        return Err(bad_value(
                            "n_estimators",
                            caller,
                            "an int in the range [1, inf)",
                            v,
                        ));
                    }
                    next.n_estimators = n as usize;
                }
                "bootstrap" => next.bootstrap = param_bool(v, "bootstrap", caller)?,
                "oob_score" => next.oob_score = param_bool(v, "oob_score", caller)?,
                "max_samples" => {
                    next.max_samples = match v {
                        Param::None => None,
                        Param::Int(i) if *i >= 0 => Some(MaxSamples::Count(*i as usize)),
                        Param::Float(f) => Some(MaxSamples::Fraction(*f)),
                        _ => {
                            return Err(bad_value("max_samples", caller, MAX_SAMPLES_CONSTRAINT, v))
                        }
                    }
                }
                "n_jobs" => {
                    next.n_jobs = match v {
                        Param::None => None,
                        Param::Int(i) => Some(*i),
                        _ => return Err(bad_value("n_jobs", caller, "an int or None", v)),
                    }
                }
                "random_state" => next.random_state = param_seed(v, caller)?,
                _ => return Err(invalid_param(k, caller, &self.params(), defaults)),
            }
        }
        *self = next;
        Ok(())
    }

    /// Validates, then fits the trees; returns them with each tree's seed.
    fn fit_trees(
        &self,
        x: &Matrix,
        targets: Targets<'_>,
        n_targets: usize,
        caller: &'static str,
    ) -> Result<(Vec<Tree>, Vec<u32>, usize)> {
        if self.n_estimators == 0 {
            return Err(bad_value(
                "n_estimators",
                caller,
                "an int in the range [1, inf)",
                &Param::Int(0),
            ));
        }
        self.tree.validate(caller)?;
        check_x(x, Some(caller))?;
        if n_targets != x.n_rows() {
            return Err(LearnError::InconsistentLength {
                lengths: vec![x.n_rows(), n_targets],
            });
        }
        if !self.bootstrap && self.oob_score {
            return Err(LearnError::Value(
                "Out of bag estimation only available if bootstrap=True".to_string(),
            ));
        }
        let n = x.n_rows();
        let n_boot = if self.bootstrap {
            n_samples_bootstrap(n, self.max_samples, caller)?
        } else {
            if self.max_samples.is_some() {
                return Err(LearnError::Value(
                    "`max_sample` cannot be set if `bootstrap=False`. Either switch to `bootstrap=True` or set `max_sample=None`.".to_string(),
                ));
            }
            n
        };
        let mut rng = seeded(self.random_state);
        let seeds: Vec<u32> = (0..self.n_estimators)
            .map(|_| rng.random_interval(i32::MAX as u64 - 1) as u32)
            .collect();
        let columns = Columns::from_matrix(x);
        // resolve once to report parameter errors before spawning
        self.tree.resolve(n, x.n_cols(), n_boot as f64, caller)?;
        let build = |&seed: &u32| -> Result<Tree> {
            let weights = self.bootstrap.then(|| bootstrap_counts(seed, n, n_boot));
            let total = if self.bootstrap {
                n_boot as f64
            } else {
                n as f64
            };
            let params = self.tree.resolve(n, x.n_cols(), total, caller)?;
            let mut tree_rng = RandomState::new(seed);
            Ok(build_tree(
                &columns,
                targets,
                weights.as_deref(),
                &params,
                splitter_seed(&mut tree_rng),
            ))
        };
        let trees = seeds.par_iter().map(build).collect::<Result<Vec<_>>>()?;
        Ok((trees, seeds, n_boot))
    }
}

/// `feature_importances_`: the mean of the trees' normalised importances, normalised.
fn forest_importances(trees: &[Tree], n_features: usize) -> Vec<f64> {
    let per_tree: Vec<Vec<f64>> = trees
        .iter()
        .filter(|t| t.nodes.len() > 1)
        .map(|t| t.feature_importances(n_features))
        .collect();
    if per_tree.is_empty() {
        return vec![0.0; n_features];
    }
    let mut mean = vec![0.0; n_features];
    for imp in &per_tree {
        for (m, v) in mean.iter_mut().zip(imp) {
            *m += v;
        }
    }
    for m in &mut mean {
        *m /= per_tree.len() as f64;
    }
    let total: f64 = mean.iter().sum();
    mean.iter().map(|m| m / total).collect()
}

/// Out-of-bag averaging: the mean of `predict(tree, row)` over the trees that did not
/// draw the row (rows no tree left out are averaged over one, as zeros).
fn oob_average(
    trees: &[Tree],
    seeds: &[u32],
    x: &Matrix,
    n_boot: usize,
    width: usize,
    leaf: impl Fn(&Tree, &[f64]) -> Vec<f64> + Sync,
) -> (Vec<f64>, Vec<Warning>) {
    let n = x.n_rows();
    let mut sum = vec![0.0; n * width];
    let mut count = vec![0usize; n];
    for (tree, &seed) in trees.iter().zip(seeds) {
        let drawn = bootstrap_counts(seed, n, n_boot);
        for i in (0..n).filter(|&i| drawn[i] == 0.0) {
            for (s, v) in sum[i * width..(i + 1) * width]
                .iter_mut()
                .zip(leaf(tree, x.row(i)))
            {
                *s += v;
            }
            count[i] += 1;
        }
    }
    let mut warnings = Vec::new();
    if count.contains(&0) {
        warnings.push(Warning::user(
            "Some inputs do not have OOB scores. This probably means too few trees were used to compute any reliable OOB estimates.",
        ));
    }
    for i in 0..n {
        let c = count[i].max(1) as f64;
        for s in &mut sum[i * width..(i + 1) * width] {
            *s /= c;
        }
    }
    (sum, warnings)
}

/// The fitted trees of a forest (`estimators_`), opaque: read them through the
/// estimator's methods.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedForest {
    trees: Vec<Tree>,
    n_features_in: usize,
    oob_score: Option<f64>,
    oob_decision: Option<Matrix>,
    warnings: Vec<Warning>,
}

/// Normalised class probabilities of one tree for one row (`predict_proba`).
fn tree_proba(tree: &Tree, row: &[f64]) -> Vec<f64> {
    let v = tree.value(row);
    let s: f64 = v.iter().sum();
    let norm = if s == 0.0 { 1.0 } else { s };
    v.iter().map(|p| p / norm).collect()
}

macro_rules! forest_struct {
    ($(#[$meta:meta])* $name:ident, [$($extra:tt)*], $($generic:tt)*) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name $($generic)* {
            /// `n_estimators`: the number of trees (100).
            pub n_estimators: usize,
            /// `criterion`.
            pub criterion: Criterion,
            /// `max_depth` (`None`).
            pub max_depth: Option<usize>,
            /// `min_samples_split` (2).
            pub min_samples_split: MinSamples,
            /// `min_samples_leaf` (1).
            pub min_samples_leaf: MinSamples,
            /// `min_weight_fraction_leaf` (0.0).
            pub min_weight_fraction_leaf: f64,
            /// `max_features`.
            pub max_features: MaxFeatures,
            /// `min_impurity_decrease` (0.0).
            pub min_impurity_decrease: f64,
            /// `bootstrap`: fit each tree on a bootstrap sample (true).
            pub bootstrap: bool,
            /// `oob_score`: compute the out-of-bag score (false).
            pub oob_score: bool,
            /// `max_samples`: the bootstrap size (`None`: `n_samples`).
            pub max_samples: Option<MaxSamples>,
            /// `n_jobs`: kept for `get_params`; the trees are built on rayon's pool.
            pub n_jobs: Option<i64>,
            /// `random_state` (`None`: entropy).
            pub random_state: Option<u32>,
            /// The fitted trees (`None` before `fit`).
            pub fitted: Option<FittedForest>,
            $($extra)*
        }
    };
}

macro_rules! forest_common {
    ($classifier:expr) => {
        fn config(&self) -> ForestConfig {
            ForestConfig {
                n_estimators: self.n_estimators,
                tree: TreeConfig {
                    criterion: self.criterion,
                    max_depth: self.max_depth,
                    min_samples_split: self.min_samples_split,
                    min_samples_leaf: self.min_samples_leaf,
                    min_weight_fraction_leaf: self.min_weight_fraction_leaf,
                    max_features: self.max_features,
                    min_impurity_decrease: self.min_impurity_decrease,
                },
                bootstrap: self.bootstrap,
                oob_score: self.oob_score,
                max_samples: self.max_samples,
                n_jobs: self.n_jobs,
                random_state: self.random_state,
            }
        }

        fn apply_config(&mut self, c: ForestConfig) {
            self.n_estimators = c.n_estimators;
            self.criterion = c.tree.criterion;
            self.max_depth = c.tree.max_depth;
            self.min_samples_split = c.tree.min_samples_split;
            self.min_samples_leaf = c.tree.min_samples_leaf;
            self.min_weight_fraction_leaf = c.tree.min_weight_fraction_leaf;
            self.max_features = c.tree.max_features;
            self.min_impurity_decrease = c.tree.min_impurity_decrease;
            self.bootstrap = c.bootstrap;
            self.oob_score = c.oob_score;
            self.max_samples = c.max_samples;
            self.n_jobs = c.n_jobs;
            self.random_state = c.random_state;
        }

        fn fitted(&self) -> Result<&FittedForest> {
            self.fitted.as_ref().ok_or_else(|| not_fitted(Self::NAME))
        }

        /// The number of fitted trees (`len(estimators_)`).
        pub fn n_trees(&self) -> Result<usize> {
            Ok(self.fitted()?.trees.len())
        }

        /// The mean impurity-based feature importances, summing to one
        /// (`feature_importances_`).
        pub fn feature_importances(&self) -> Result<Vec<f64>> {
            let f = self.fitted()?;
            Ok(forest_importances(&f.trees, f.n_features_in))
        }

        /// The out-of-bag score (`oob_score_`: accuracy or R²), when fitted with
        /// `oob_score = true`.
        pub fn oob_score_(&self) -> Result<Option<f64>> {
            Ok(self.fitted()?.oob_score)
        }

        /// The out-of-bag class probabilities (classifier) or predictions (regressor,
        /// one column), when fitted with `oob_score = true`
        /// (`oob_decision_function_` / `oob_prediction_`).
        pub fn oob_decision(&self) -> Result<Option<&Matrix>> {
            Ok(self.fitted()?.oob_decision.as_ref())
        }

        /// Warnings scikit-learn would have issued during `fit`.
        pub fn fit_warnings(&self) -> Result<&[Warning]> {
            Ok(&self.fitted()?.warnings)
        }

        /// The depth of each tree.
        pub fn tree_depths(&self) -> Result<Vec<usize>> {
            Ok(self.fitted()?.trees.iter().map(|t| t.max_depth).collect())
        }

        fn params_of(&self) -> Params {
            self.config().params()
        }

        fn set_params_of(&mut self, params: &Params) -> Result<()> {
            let defaults = Self::default().params_of();
            let mut c = self.config();
            c.set(params, $classifier, Self::NAME, &defaults)?;
            self.apply_config(c);
            self.fitted = None;
            Ok(())
        }
    };
}

forest_struct!(
    /// A random forest classifier (`sklearn.ensemble.RandomForestClassifier`):
    /// `max_features = "sqrt"` by default; probabilities are the mean of the trees'.
    RandomForestClassifier, [
        /// `classes_`: the sorted classes seen by `fit`.
        pub classes: Vec<L>,
    ], <L = i64>
);

impl<L> Default for RandomForestClassifier<L> {
    fn default() -> Self {
        RandomForestClassifier {
            n_estimators: 100,
            criterion: Criterion::Gini,
            max_depth: None,
            min_samples_split: MinSamples::Count(2),
            min_samples_leaf: MinSamples::Count(1),
            min_weight_fraction_leaf: 0.0,
            max_features: MaxFeatures::Sqrt,
            min_impurity_decrease: 0.0,
            bootstrap: true,
            oob_score: false,
            max_samples: None,
            n_jobs: None,
            random_state: None,
            fitted: None,
            classes: Vec::new(),
        }
    }
}

impl<L: Label + Send + Sync + 'static> RandomForestClassifier<L> {
    const NAME: &'static str = "RandomForestClassifier";

    forest_common!(true);
}

impl<L: Label + Send + Sync + 'static> Estimator for RandomForestClassifier<L> {
    type Target = L;

    fn estimator_name(&self) -> &'static str {
        Self::NAME
    }

    fn get_params(&self) -> Params {
        self.params_of()
    }

    fn set_params(&mut self, params: &Params) -> Result<()> {
        self.set_params_of(params)
    }

    fn fit(&mut self, x: &Matrix, y: &[L]) -> Result<()> {
        let config = self.config();
        let (classes, codes) = encode_labels(y);
        let targets = Targets::Classes {
            y: &codes,
            n_classes: classes.len(),
        };
        let (trees, seeds, n_boot) = config.fit_trees(x, targets, y.len(), Self::NAME)?;
        let k = classes.len();
        let (mut oob_score, mut oob_decision, mut warnings) = (None, None, Vec::new());
        if config.oob_score {
            let (avg, w) = oob_average(&trees, &seeds, x, n_boot, k, tree_proba);
            let hits = (0..x.n_rows())
                .filter(|&i| argmax(&avg[i * k..(i + 1) * k]) == codes[i])
                .count();
            oob_score = Some(hits as f64 / x.n_rows() as f64);
            oob_decision = Some(Matrix::new(avg, x.n_rows(), k)?);
            warnings = w;
        }
        self.fitted = Some(FittedForest {
            trees,
            n_features_in: x.n_cols(),
            oob_score,
            oob_decision,
            warnings,
        });
        self.classes = classes;
        Ok(())
    }

    fn is_classifier(&self) -> bool {
        true
    }
}

impl<L: Label + Send + Sync + 'static> Predictor for RandomForestClassifier<L> {
    fn predict(&self, x: &Matrix) -> Result<Vec<L>> {
        let proba = self.predict_proba(x)?;
        Ok(proba
            .rows()
            .map(|r| self.classes[argmax(r)].clone())
            .collect())
    }

    fn score(&self, x: &Matrix, y: &[L]) -> Result<f64> {
        crate::metrics::accuracy_score(y, &self.predict(x)?, true, None)
    }
}

impl<L: Label + Send + Sync + 'static> Classifier for RandomForestClassifier<L> {
    fn classes(&self) -> Result<&[L]> {
        self.fitted()?;
        Ok(&self.classes)
    }

    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        let f = self.fitted()?;
        check_x_fitted(x, f.n_features_in, Self::NAME)?;
        let k = self.classes.len();
        let n_trees = f.trees.len() as f64;
        let mut out = vec![0.0; x.n_rows() * k];
        out.par_chunks_mut(k.max(1))
            .zip(x.as_slice().par_chunks(x.n_cols().max(1)))
            .for_each(|(acc, row)| {
                for t in &f.trees {
                    let v = t.value(row);
                    let s: f64 = v.iter().sum();
                    let norm = if s == 0.0 { 1.0 } else { s };
                    for (a, p) in acc.iter_mut().zip(v) {
                        *a += p / norm;
                    }
                }
                for a in acc.iter_mut() {
                    *a /= n_trees;
                }
            });
        Matrix::new(out, x.n_rows(), k)
    }
}

impl<L: Label + Send + Sync + 'static> Scorable for RandomForestClassifier<L> {
    fn score_with(&self, scorer: &Scorer, x: &Matrix, y: &[L]) -> Result<f64> {
        score_classifier(self, scorer, x, y)
    }
}

impl<L: Label + Send + Sync + 'static> std::fmt::Display for RandomForestClassifier<L> {
    /// scikit-learn's `repr()`: the parameters that differ from the defaults.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let defaults = Self::default().params_of();
        f.write_str(&estimator_repr(Self::NAME, &self.params_of(), &defaults))
    }
}

forest_struct!(
    /// A random forest regressor (`sklearn.ensemble.RandomForestRegressor`):
    /// `max_features = 1.0` (all features) by default; predictions are the mean of the
    /// trees'.
    ///
    /// ```
    /// use kiln_learn::ensemble::RandomForestRegressor;
    /// use kiln_learn::estimator::{Estimator, Predictor};
    /// use kiln_learn::Matrix;
    ///
    /// let x = Matrix::from_rows(&[[1.0], [2.0], [3.0], [4.0], [5.0], [6.0]])?;
    /// let y = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    /// let mut forest = RandomForestRegressor { n_estimators: 20, random_state: Some(1), ..Default::default() };
    /// forest.fit(&x, &y)?;
    /// assert!(forest.score(&x, &y)? > 0.8);
    /// # Ok::<(), kiln_learn::LearnError>(())
    /// ```
    RandomForestRegressor, [],
);

impl Default for RandomForestRegressor {
    fn default() -> Self {
        RandomForestRegressor {
            n_estimators: 100,
            criterion: Criterion::SquaredError,
            max_depth: None,
            min_samples_split: MinSamples::Count(2),
            min_samples_leaf: MinSamples::Count(1),
            min_weight_fraction_leaf: 0.0,
            max_features: MaxFeatures::Fraction(1.0),
            min_impurity_decrease: 0.0,
            bootstrap: true,
            oob_score: false,
            max_samples: None,
            n_jobs: None,
            random_state: None,
            fitted: None,
        }
    }
}

impl RandomForestRegressor {
    const NAME: &'static str = "RandomForestRegressor";

    forest_common!(false);
}

impl Estimator for RandomForestRegressor {
    type Target = f64;

    fn estimator_name(&self) -> &'static str {
        Self::NAME
    }

    fn get_params(&self) -> Params {
        self.params_of()
    }

    fn set_params(&mut self, params: &Params) -> Result<()> {
        self.set_params_of(params)
    }

    fn fit(&mut self, x: &Matrix, y: &[f64]) -> Result<()> {
        let config = self.config();
        if config.tree.criterion != Criterion::SquaredError {
            return Err(bad_value(
                "criterion",
                Self::NAME,
                "a str among {'squared_error'}",
                &config.tree.criterion_param(),
            ));
        }
        crate::validation::check_finite(y, "y")?;
        let (trees, seeds, n_boot) =
            config.fit_trees(x, Targets::Values(y), y.len(), Self::NAME)?;
        let (mut oob_score, mut oob_decision, mut warnings) = (None, None, Vec::new());
        if config.oob_score {
            let (avg, w) = oob_average(&trees, &seeds, x, n_boot, 1, |t, r| t.value(r).to_vec());
            oob_score = Some(crate::metrics::r2_score(y, &avg, None, true)?);
            oob_decision = Some(Matrix::new(avg, x.n_rows(), 1)?);
            warnings = w;
        }
        self.fitted = Some(FittedForest {
            trees,
            n_features_in: x.n_cols(),
            oob_score,
            oob_decision,
            warnings,
        });
        Ok(())
    }
}

impl Predictor for RandomForestRegressor {
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>> {
        let f = self.fitted()?;
        check_x_fitted(x, f.n_features_in, Self::NAME)?;
        let n_trees = f.trees.len() as f64;
        Ok(x.to_rows()
            .par_iter()
            .map(|row| f.trees.iter().map(|t| t.value(row)[0]).sum::<f64>() / n_trees)
            .collect())
    }

    fn score(&self, x: &Matrix, y: &[f64]) -> Result<f64> {
        crate::metrics::r2_score(y, &self.predict(x)?, None, true)
    }
}

impl Regressor for RandomForestRegressor {}

impl Scorable for RandomForestRegressor {
    fn score_with(&self, scorer: &Scorer, x: &Matrix, y: &[f64]) -> Result<f64> {
        score_regressor(self, scorer, x, y)
    }
}

impl std::fmt::Display for RandomForestRegressor {
    /// scikit-learn's `repr()`: the parameters that differ from the defaults.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let defaults = Self::default().params_of();
        f.write_str(&estimator_repr(Self::NAME, &self.params_of(), &defaults))
    }
}
