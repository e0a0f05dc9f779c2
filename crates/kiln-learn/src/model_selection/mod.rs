//! scikit-learn's data splitters (`sklearn.model_selection`), returning sample indices.
//! Seeded splits reproduce scikit-learn's exactly, through NumPy's legacy
//! [`RandomState`](crate::RandomState); `cross_validate`, `cross_val_score`,
//! `GridSearchCV`, `RandomizedSearchCV` and scikit-optimize's `BayesSearchCV` evaluate any [`Scorable`](crate::estimator::Scorable)
//! estimator.

mod bayes;
pub(crate) mod scoring;
mod search;
mod split;
mod validation;

pub use bayes::{
    acquisition_value, Acquisition, BayesSearchCV, BayesSearchResult, Dimension, OptimizeResult,
    Optimizer, OptimizerKwargs, Prior, SearchSpace, Space,
};
pub use scoring::Scorer;
pub use search::{
    grid, CvResults, Distribution, Distributions, Grid, GridSearchCV, ParameterGrid,
    ParameterSampler, RandomizedSearchCV, SearchResult,
};
pub use validation::{cross_val_score, cross_validate, CrossValidateResult, Cv};

pub use split::{
    take, train_test_split, KFold, ShuffleSplit, Split, SplitSize, StratifiedKFold,
    StratifiedShuffleSplit, TrainTestSplit,
};
