//! Decision trees (`sklearn.tree`): [`DecisionTreeClassifier`] and
//! [`DecisionTreeRegressor`] with scikit-learn's best splitter.
//!
//! Fitting follows scikit-learn's builder operation for operation (see the notes on
//! `float32` data, the splitter's own random stream, the introsort and the criteria in
//! the source of `tree::core`), so that a tree fitted with the same parameters and
//! `random_state` has the same nodes, thresholds and predictions as scikit-learn's.
//! `splitter="random"`, `max_leaf_nodes`, `ccp_alpha`, `class_weight`, `monotonic_cst`,
//! missing values and sample weights in `fit` are not implemented.
//!
//! ```
//! use kiln_learn::estimator::{Classifier, Estimator, Predictor};
//! use kiln_learn::tree::DecisionTreeClassifier;
//! use kiln_learn::Matrix;
//!
//! let x = Matrix::from_rows(&[[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])?;
//! let y = ["no", "yes", "yes", "no"];
//! let mut tree = DecisionTreeClassifier { random_state: Some(0), ..Default::default() };
//! tree.fit(&x, &y)?;
//! assert_eq!(tree.predict(&x)?, y.to_vec());
//! assert_eq!(tree.classes()?, &["no", "yes"]);
//! assert_eq!(tree.feature_importances()?, vec![0.0, 1.0]);
//! assert_eq!(tree.get_depth()?, 1);
//! # Ok::<(), kiln_learn::LearnError>(())
//! ```

pub(crate) mod core;

use crate::error::{LearnError, Result};
use crate::estimator::{bad_value, Param, Params};
use crate::label::{unique_sorted, Label};
use crate::random::RandomState;

use self::core::{BuildParams, CriterionKind, Tree, RAND_R_MAX};
pub use classifier::DecisionTreeClassifier;
pub use regressor::DecisionTreeRegressor;

/// The impurity a tree minimises (`criterion`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Criterion {
    /// `"gini"`: the Gini impurity (classifiers' default).
    Gini,
    /// `"entropy"`: the Shannon entropy in bits.
    Entropy,
    /// `"log_loss"`: the same as `"entropy"`.
    LogLoss,
    /// `"squared_error"`: the variance (regressors' default).
    SquaredError,
}

impl Criterion {
    fn name(self) -> &'static str {
        match self {
            Criterion::Gini => "gini",
            Criterion::Entropy => "entropy",
            Criterion::LogLoss => "log_loss",
            Criterion::SquaredError => "squared_error",
        }
    }

    fn kind(self) -> CriterionKind {
        match self {
            Criterion::Gini => CriterionKind::Gini,
            Criterion::Entropy | Criterion::LogLoss => CriterionKind::Entropy,
            Criterion::SquaredError => CriterionKind::SquaredError,
        }
    }

    fn parse(v: &Param, classifier: bool, caller: &'static str) -> Result<Self> {
        let c = match v {
            Param::Str(s) => match s.as_str() {
                "gini" if classifier => Some(Criterion::Gini),
                "entropy" if classifier => Some(Criterion::Entropy),
                "log_loss" if classifier => Some(Criterion::LogLoss),
                "squared_error" if !classifier => Some(Criterion::SquaredError),
                _ => None,
            },
            _ => None,
        };
        c.ok_or_else(|| {
            let options = if classifier {
                "a str among {'entropy', 'gini', 'log_loss'}"
            } else {
                "a str among {'squared_error'}"
            };
            bad_value("criterion", caller, options, v)
        })
    }
}

/// The number of features searched at each split (`max_features`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaxFeatures {
    /// `None`: every feature.
    All,
    /// `"sqrt"`: `max(1, int(sqrt(n_features)))`.
    Sqrt,
    /// `"log2"`: `max(1, int(log2(n_features)))`.
    Log2,
    /// An `int`: that many (at least 1).
    Count(usize),
    /// A `float` in `(0, 1]`: `max(1, int(fraction * n_features))`.
    Fraction(f64),
}

impl MaxFeatures {
    const CONSTRAINT: &'static str =
        "an int in the range [1, inf), a float in the range (0.0, 1.0], a str among {'log2', 'sqrt'} or None";

    fn to_param(self) -> Param {
        match self {
            MaxFeatures::All => Param::None,
            MaxFeatures::Sqrt => Param::Str("sqrt".into()),
            MaxFeatures::Log2 => Param::Str("log2".into()),
            MaxFeatures::Count(c) => Param::Int(c as i64),
            MaxFeatures::Fraction(f) => Param::Float(f),
        }
    }

    fn parse(v: &Param, caller: &'static str) -> Result<Self> {
        match v {
            Param::None => Ok(MaxFeatures::All),
            Param::Str(s) if s == "sqrt" => Ok(MaxFeatures::Sqrt),
            Param::Str(s) if s == "log2" => Ok(MaxFeatures::Log2),
            Param::Int(i) if *i >= 0 => Ok(MaxFeatures::Count(*i as usize)),
            Param::Float(f) => Ok(MaxFeatures::Fraction(*f)),
            _ => Err(bad_value(
                "max_features",
                caller,
                Self::constraint(caller),
                v,
            )),
        }
    }

    /// scikit-learn prints the string options in Python's set order (which depends on
    /// the interpreter's hash seed); kiln sorts them.
    fn constraint(_caller: &str) -> &'static str {
        Self::CONSTRAINT
    }

    fn resolve(self, n_features: usize, caller: &'static str) -> Result<usize> {
        let bad = || {
            bad_value(
                "max_features",
                caller,
                Self::constraint(caller),
                &self.to_param(),
            )
        };
        Ok(match self {
            MaxFeatures::All => n_features,
            MaxFeatures::Sqrt => ((n_features as f64).sqrt() as usize).max(1),
            MaxFeatures::Log2 => ((n_features as f64).log2() as usize).max(1),
            MaxFeatures::Count(0) => return Err(bad()),
            MaxFeatures::Count(c) => {
                if c > n_features {
                    return Err(LearnError::Value(
                        "max_features must be in (0, n_features]".to_string(),
                    ));
                }
                c
            }
            MaxFeatures::Fraction(f) if f > 0.0 && f <= 1.0 => {
                ((f * n_features as f64) as usize).max(1)
            }
            MaxFeatures::Fraction(_) => return Err(bad()),
        })
    }
}

/// A sample count or a fraction of the samples (`min_samples_split`,
/// `min_samples_leaf`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MinSamples {
    /// An `int`.
    Count(usize),
    /// A `float`: `ceil(fraction * n_samples)`.
    Fraction(f64),
}

impl MinSamples {
    fn to_param(self) -> Param {
        match self {
            MinSamples::Count(c) => Param::Int(c as i64),
            MinSamples::Fraction(f) => Param::Float(f),
        }
    }

    fn parse(v: &Param, param: &'static str, caller: &'static str, c: &str) -> Result<Self> {
        match v {
            Param::Int(i) if *i >= 0 => Ok(MinSamples::Count(*i as usize)),
            Param::Float(f) => Ok(MinSamples::Fraction(*f)),
            _ => Err(bad_value(param, caller, c, v)),
        }
    }
}

const SPLIT_CONSTRAINT: &str = "an int in the range [2, inf) or a float in the range (0.0, 1.0]";
const LEAF_CONSTRAINT: &str = "an int in the range [1, inf) or a float in the range (0.0, 1.0)";

/// The hyper-parameters every tree-based estimator here shares.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TreeConfig {
    pub(crate) criterion: Criterion,
    pub(crate) max_depth: Option<usize>,
    pub(crate) min_samples_split: MinSamples,
    pub(crate) min_samples_leaf: MinSamples,
    pub(crate) min_weight_fraction_leaf: f64,
    pub(crate) max_features: MaxFeatures,
    pub(crate) min_impurity_decrease: f64,
}

impl TreeConfig {
    pub(crate) fn criterion_param(&self) -> Param {
        Param::Str(self.criterion.name().into())
    }

    pub(crate) fn put_params(&self, p: &mut Params) {
        p.insert("criterion".into(), Param::Str(self.criterion.name().into()));
        p.insert(
            "max_depth".into(),
            self.max_depth.map_or(Param::None, |d| Param::Int(d as i64)),
        );
        p.insert(
            "min_samples_split".into(),
            self.min_samples_split.to_param(),
        );
        p.insert("min_samples_leaf".into(), self.min_samples_leaf.to_param());
        p.insert(
            "min_weight_fraction_leaf".into(),
            Param::Float(self.min_weight_fraction_leaf),
        );
        p.insert("max_features".into(), self.max_features.to_param());
        p.insert(
            "min_impurity_decrease".into(),
            Param::Float(self.min_impurity_decrease),
        );
    }

    /// Sets one shared parameter; `Ok(false)` when `key` is not one of them.
    pub(crate) fn set_param(
        &mut self,
        key: &str,
        v: &Param,
        classifier: bool,
        caller: &'static str,
    ) -> Result<bool> {
        match key {
            "criterion" => self.criterion = Criterion::parse(v, classifier, caller)?,
            "max_depth" => {
                self.max_depth = match v {
                    Param::None => None,
                    Param::Int(i) if *i >= 0 => Some(*i as usize),
                    _ => {
                        return Err(bad_value(
                            "max_depth",
                            caller,
                            "an int in the range [1, inf) or None",
                            v,
                        ))
                    }
                }
            }
            "min_samples_split" => {
                self.min_samples_split =
                    MinSamples::parse(v, "min_samples_split", caller, SPLIT_CONSTRAINT)?
            }
            "min_samples_leaf" => {
                self.min_samples_leaf =
                    MinSamples::parse(v, "min_samples_leaf", caller, LEAF_CONSTRAINT)?
            }
            "min_weight_fraction_leaf" => {
                self.min_weight_fraction_leaf = v.as_f64().ok_or_else(|| {
                    bad_value(
                        "min_weight_fraction_leaf",
                        caller,
                        "a float in the range [0.0, 0.5]",
                        v,
                    )
                })?
            }
            "max_features" => self.max_features = MaxFeatures::parse(v, caller)?,
            "min_impurity_decrease" => {
                self.min_impurity_decrease = v.as_f64().ok_or_else(|| {
                    bad_value(
                        "min_impurity_decrease",
                        caller,
                        "a float in the range [0.0, inf)",
                        v,
                    )
                })?
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Validates the parameters (scikit-learn's `_validate_params`, at `fit`).
    pub(crate) fn validate(&self, caller: &'static str) -> Result<()> {
        if self.max_depth == Some(0) {
            return Err(bad_value(
                "max_depth",
                caller,
                "an int in the range [1, inf) or None",
                &Param::Int(0),
            ));
        }
        let split_ok = match self.min_samples_split {
            MinSamples::Count(c) => c >= 2,
            MinSamples::Fraction(f) => f > 0.0 && f <= 1.0,
        };
        if !split_ok {
            return Err(bad_value(
                "min_samples_split",
                caller,
                SPLIT_CONSTRAINT,
                &self.min_samples_split.to_param(),
            ));
        }
        let leaf_ok = match self.min_samples_leaf {
            MinSamples::Count(c) => c >= 1,
            MinSamples::Fraction(f) => f > 0.0 && f < 1.0,
        };
        if !leaf_ok {
            return Err(bad_value(
                "min_samples_leaf",
                caller,
                LEAF_CONSTRAINT,
                &self.min_samples_leaf.to_param(),
            ));
        }
        let w = self.min_weight_fraction_leaf;
        if !(0.0..=0.5).contains(&w) {
            return Err(bad_value(
                "min_weight_fraction_leaf",
                caller,
                "a float in the range [0.0, 0.5]",
                &Param::Float(w),
            ));
        }
        if self.min_impurity_decrease.is_nan() || self.min_impurity_decrease < 0.0 {
            return Err(bad_value(
                "min_impurity_decrease",
                caller,
                "a float in the range [0.0, inf)",
                &Param::Float(self.min_impurity_decrease),
            ));
        }
        match self.max_features {
            MaxFeatures::Count(0) => Err(bad_value(
                "max_features",
                caller,
                MaxFeatures::constraint(caller),
                &Param::Int(0),
            )),
            MaxFeatures::Fraction(f) if !(f > 0.0 && f <= 1.0) => Err(bad_value(
                "max_features",
                caller,
                MaxFeatures::constraint(caller),
                &Param::Float(f),
            )),
            _ => Ok(()),
        }
    }

    /// The builder's settings for `n_samples` samples (all weights one when
    /// `total_weight` is `n_samples`).
    pub(crate) fn resolve(
        &self,
        n_samples: usize,
        n_features: usize,
        total_weight: f64,
        caller: &'static str,
    ) -> Result<BuildParams> {
        let min_samples_leaf = match self.min_samples_leaf {
            MinSamples::Count(c) => c,
            MinSamples::Fraction(f) => (f * n_samples as f64).ceil() as usize,
        };
        let min_samples_split = match self.min_samples_split {
            MinSamples::Count(c) => c,
            MinSamples::Fraction(f) => ((f * n_samples as f64).ceil() as usize).max(2),
        }
        .max(2 * min_samples_leaf);
        Ok(BuildParams {
            criterion: self.criterion.kind(),
            max_depth: self.max_depth.unwrap_or(i32::MAX as usize),
            min_samples_split,
            min_samples_leaf,
            min_weight_leaf: self.min_weight_fraction_leaf * total_weight,
            max_features: self.max_features.resolve(n_features, caller)?,
            min_impurity_decrease: self.min_impurity_decrease,
        })
    }
}

/// `check_random_state(seed)` then the splitter's `randint(0, RAND_R_MAX)` draw.
pub(crate) fn splitter_seed(rng: &mut RandomState) -> u32 {
    rng.random_interval(u64::from(RAND_R_MAX - 1)) as u32
}

pub(crate) fn seeded(seed: Option<u32>) -> RandomState {
    seed.map_or_else(RandomState::from_entropy, RandomState::new)
}

/// Encodes labels as indices into their sorted unique values.
pub(crate) fn encode_labels<L: Label>(y: &[L]) -> (Vec<L>, Vec<usize>) {
    let classes = unique_sorted(y);
    let codes = y
        .iter()
        .map(|l| classes.binary_search(l).unwrap_or(0))
        .collect();
    (classes, codes)
}

/// Index of the first maximum (`np.argmax`).
pub(crate) fn argmax(row: &[f64]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = i;
        }
    }
    best
}

/// A fitted tree (`tree_`), opaque: read it through the estimator's methods.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedTree {
    tree: Tree,
    n_features_in: usize,
}

impl FittedTree {
    fn get_depth(&self) -> usize {
        self.tree.max_depth
    }
}

macro_rules! tree_common_methods {
    () => {
        /// The fitted tree's depth (`get_depth()`).
        pub fn get_depth(&self) -> Result<usize> {
            Ok(self.fitted()?.get_depth())
        }

        /// The number of leaves (`get_n_leaves()`).
        pub fn get_n_leaves(&self) -> Result<usize> {
            Ok(self
                .fitted()?
                .tree
                .nodes
                .iter()
                .filter(|n| n.left == core::TREE_LEAF)
                .count())
        }

        /// The number of nodes (`tree_.node_count`).
        pub fn node_count(&self) -> Result<usize> {
            Ok(self.fitted()?.tree.nodes.len())
        }

        /// The impurity-based feature importances, summing to one
        /// (`feature_importances_`).
        pub fn feature_importances(&self) -> Result<Vec<f64>> {
            let f = self.fitted()?;
            Ok(f.tree.feature_importances(f.n_features_in))
        }

        /// The number of features seen by `fit` (`n_features_in_`).
        pub fn n_features_in(&self) -> Result<usize> {
            Ok(self.fitted()?.n_features_in)
        }

        /// The index of the leaf each sample ends in (`apply`).
        pub fn apply(&self, x: &Matrix) -> Result<Vec<usize>> {
            let f = self.fitted()?;
            check_x_fitted(x, f.n_features_in, Self::NAME)?;
            Ok(x.rows().map(|r| f.tree.leaf(r)).collect())
        }

        fn config(&self) -> TreeConfig {
            TreeConfig {
                criterion: self.criterion,
                max_depth: self.max_depth,
                min_samples_split: self.min_samples_split,
                min_samples_leaf: self.min_samples_leaf,
                min_weight_fraction_leaf: self.min_weight_fraction_leaf,
                max_features: self.max_features,
                min_impurity_decrease: self.min_impurity_decrease,
            }
        }

        fn apply_config(&mut self, c: TreeConfig) {
            self.criterion = c.criterion;
            self.max_depth = c.max_depth;
            self.min_samples_split = c.min_samples_split;
            self.min_samples_leaf = c.min_samples_leaf;
            self.min_weight_fraction_leaf = c.min_weight_fraction_leaf;
            self.max_features = c.max_features;
            self.min_impurity_decrease = c.min_impurity_decrease;
        }

        fn params_of(&self) -> Params {
            let mut p = Params::new();
            self.config().put_params(&mut p);
            p.insert(
                "random_state".into(),
                self.random_state
                    .map_or(Param::None, |s| Param::Int(i64::from(s))),
            );
            p.insert("splitter".into(), Param::Str("best".into()));
            p
        }

        fn set_params_of(&mut self, params: &Params, classifier: bool) -> Result<()> {
            let defaults = Self::default().params_of();
            let mut next = self.clone();
            let mut config = next.config();
            for (k, v) in params {
                if config.set_param(k, v, classifier, Self::NAME)? {
                    continue;
                }
                match k.as_str() {
                    "random_state" => next.random_state = param_seed(v, Self::NAME)?,
                    "splitter" => {
                        if *v != Param::Str("best".into()) {
                            return Err(bad_value(
                                "splitter",
                                Self::NAME,
                                "a str among {'best'}",
                                v,
                            ));
                        }
                    }
                    _ => return Err(invalid_param(k, Self::NAME, &self.params_of(), &defaults)),
                }
            }
            next.apply_config(config);
            next.fitted = None;
            *self = next;
            Ok(())
        }
    };
}

// Declared after `tree_common_methods!`, which both use.
mod classifier;
mod regressor;
