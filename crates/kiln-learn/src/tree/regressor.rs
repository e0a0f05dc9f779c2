//! `DecisionTreeRegressor`.

use crate::error::{LearnError, Result};
use crate::estimator::{
    bad_value, estimator_repr, invalid_param, not_fitted, param_seed, score_regressor, Estimator,
    Param, Params, Predictor, Regressor, Scorable,
};
use crate::matrix::{check_x, check_x_fitted, Matrix};
use crate::model_selection::Scorer;
// `tree_common_methods!` names `core::TREE_LEAF`: the tree builder, not the `core` crate.
use super::core;
use super::core::{build_tree, Columns, Targets};
use super::{seeded, splitter_seed, Criterion, FittedTree, MaxFeatures, MinSamples, TreeConfig};

/// A decision tree regressor (`sklearn.tree.DecisionTreeRegressor`,
/// `criterion="squared_error"`).
///
/// ```
/// use kiln_learn::estimator::{Estimator, Predictor};
/// use kiln_learn::tree::DecisionTreeRegressor;
/// use kiln_learn::Matrix;
///
/// let x = Matrix::from_rows(&[[1.0], [2.0], [3.0], [4.0]])?;
/// let y = [1.0, 1.5, 3.0, 3.5];
/// let mut tree = DecisionTreeRegressor { max_depth: Some(1), ..Default::default() };
/// tree.fit(&x, &y)?;
/// assert_eq!(tree.predict(&x)?, vec![1.25, 1.25, 3.25, 3.25]);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionTreeRegressor {
    /// `criterion` (`SquaredError`, the only one implemented for regression).
    pub criterion: Criterion,
    /// `max_depth` (`None`).
    pub max_depth: Option<usize>,
    /// `min_samples_split` (2).
    pub min_samples_split: MinSamples,
    /// `min_samples_leaf` (1).
    pub min_samples_leaf: MinSamples,
    /// `min_weight_fraction_leaf` (0.0).
    pub min_weight_fraction_leaf: f64,
    /// `max_features` (`None` = all).
    pub max_features: MaxFeatures,
    /// `min_impurity_decrease` (0.0).
    pub min_impurity_decrease: f64,
    /// `random_state` (`None`: entropy).
    pub random_state: Option<u32>,
    /// The fitted tree (`None` before `fit`).
    pub fitted: Option<FittedTree>,
}

impl Default for DecisionTreeRegressor {
    fn default() -> Self {
        DecisionTreeRegressor {
            criterion: Criterion::SquaredError,
            max_depth: None,
            min_samples_split: MinSamples::Count(2),
            min_samples_leaf: MinSamples::Count(1),
            min_weight_fraction_leaf: 0.0,
            max_features: MaxFeatures::All,
            min_impurity_decrease: 0.0,
            random_state: None,
            fitted: None,
        }
    }
}

impl DecisionTreeRegressor {
    const NAME: &'static str = "DecisionTreeRegressor";

    pub(super) fn fitted(&self) -> Result<&FittedTree> {
        self.fitted.as_ref().ok_or_else(|| not_fitted(Self::NAME))
    }

    tree_common_methods!();
}

impl Estimator for DecisionTreeRegressor {
    type Target = f64;

    fn estimator_name(&self) -> &'static str {
        Self::NAME
    }

    fn get_params(&self) -> Params {
        self.params_of()
    }

    fn set_params(&mut self, params: &Params) -> Result<()> {
        self.set_params_of(params, false)
    }

    fn fit(&mut self, x: &Matrix, y: &[f64]) -> Result<()> {
        let config = self.config();
        if config.criterion != Criterion::SquaredError {
            return Err(bad_value(
                "criterion",
                Self::NAME,
                "a str among {'squared_error'}",
                &Param::Str(config.criterion.name().into()),
            ));
        }
        config.validate(Self::NAME)?;
        check_x(x, Some(Self::NAME))?;
        if y.len() != x.n_rows() {
            return Err(LearnError::LabelCountMismatch {
                n_labels: y.len(),
                n_samples: x.n_rows(),
            });
        }
        crate::validation::check_finite(y, "y")?;
        let params = config.resolve(x.n_rows(), x.n_cols(), x.n_rows() as f64, Self::NAME)?;
        let mut rng = seeded(self.random_state);
        let columns = Columns::from_matrix(x);
        let tree = build_tree(
            &columns,
            Targets::Values(y),
            None,
            &params,
            splitter_seed(&mut rng),
        );
        self.fitted = Some(FittedTree {
            tree,
            n_features_in: x.n_cols(),
        });
        Ok(())
    }
}

impl Predictor for DecisionTreeRegressor {
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>> {
        let f = self.fitted()?;
        check_x_fitted(x, f.n_features_in, Self::NAME)?;
        Ok(x.rows().map(|r| f.tree.value(r)[0]).collect())
    }

    fn score(&self, x: &Matrix, y: &[f64]) -> Result<f64> {
        crate::metrics::r2_score(y, &self.predict(x)?, None, true)
    }
}

impl Regressor for DecisionTreeRegressor {}

impl Scorable for DecisionTreeRegressor {
    fn score_with(&self, scorer: &Scorer, x: &Matrix, y: &[f64]) -> Result<f64> {
        score_regressor(self, scorer, x, y)
    }
}

impl std::fmt::Display for DecisionTreeRegressor {
    /// scikit-learn's `repr()`: the parameters that differ from the defaults.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let defaults = Self::default().params_of();
        f.write_str(&estimator_repr(Self::NAME, &self.params_of(), &defaults))
    }
}
