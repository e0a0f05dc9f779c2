//! `DecisionTreeClassifier`.

use crate::error::{LearnError, Result};
use crate::estimator::{
    bad_value, estimator_repr, invalid_param, not_fitted, param_seed, score_classifier, Classifier,
    Estimator, Param, Params, Predictor, Scorable,
};
use crate::label::Label;
use crate::matrix::{check_x, check_x_fitted, Matrix};
use crate::model_selection::Scorer;
// `tree_common_methods!` names `core::TREE_LEAF`: the tree builder, not the `core` crate.
use super::core;
use super::core::{build_tree, Columns, Targets};
use super::{
    argmax, encode_labels, seeded, splitter_seed, Criterion, FittedTree, MaxFeatures, MinSamples,
    TreeConfig,
};

/// A decision tree classifier (`sklearn.tree.DecisionTreeClassifier`).
///
/// The fields are the hyper-parameters, with scikit-learn's defaults. Labels are any
/// [`Label`]; `classes()` are their sorted unique values.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionTreeClassifier<L = i64> {
    /// `criterion` (`Gini` by default).
    pub criterion: Criterion,
    /// `max_depth` (`None`: grow until the leaves are pure or too small).
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
    /// `random_state`: the seed of the feature order (`None`: entropy).
    pub random_state: Option<u32>,
    /// The fitted tree (`None` before `fit`).
    pub fitted: Option<FittedTree>,
    /// `classes_`: the sorted classes seen by `fit`.
    pub classes: Vec<L>,
}

impl<L> Default for DecisionTreeClassifier<L> {
    fn default() -> Self {
        DecisionTreeClassifier {
            criterion: Criterion::Gini,
            max_depth: None,
            min_samples_split: MinSamples::Count(2),
            min_samples_leaf: MinSamples::Count(1),
            min_weight_fraction_leaf: 0.0,
            max_features: MaxFeatures::All,
            min_impurity_decrease: 0.0,
            random_state: None,
            fitted: None,
            classes: Vec::new(),
        }
    }
}

impl<L: Label + Send + Sync + 'static> DecisionTreeClassifier<L> {
    const NAME: &'static str = "DecisionTreeClassifier";

    pub(super) fn fitted(&self) -> Result<&FittedTree> {
        self.fitted.as_ref().ok_or_else(|| not_fitted(Self::NAME))
    }

    tree_common_methods!();

    /// The leaf values (un-normalised class fractions) for each sample.
    pub(super) fn leaf_values(&self, x: &Matrix) -> Result<Vec<&[f64]>> {
        let f = self.fitted()?;
        check_x_fitted(x, f.n_features_in, Self::NAME)?;
        Ok(x.rows().map(|r| f.tree.value(r)).collect())
    }
}

impl<L: Label + Send + Sync + 'static> Estimator for DecisionTreeClassifier<L> {
    type Target = L;

    fn estimator_name(&self) -> &'static str {
        Self::NAME
    }

    fn get_params(&self) -> Params {
        self.params_of()
    }

    fn set_params(&mut self, params: &Params) -> Result<()> {
        self.set_params_of(params, true)
    }

    fn fit(&mut self, x: &Matrix, y: &[L]) -> Result<()> {
        let config = self.config();
        config.validate(Self::NAME)?;
        check_x(x, Some(Self::NAME))?;
        if y.len() != x.n_rows() {
            return Err(LearnError::LabelCountMismatch {
                n_labels: y.len(),
                n_samples: x.n_rows(),
            });
        }
        let (classes, codes) = encode_labels(y);
        let params = config.resolve(x.n_rows(), x.n_cols(), x.n_rows() as f64, Self::NAME)?;
        let mut rng = seeded(self.random_state);
        let columns = Columns::from_matrix(x);
        let targets = Targets::Classes {
            y: &codes,
            n_classes: classes.len(),
        };
        let tree = build_tree(&columns, targets, None, &params, splitter_seed(&mut rng));
        self.fitted = Some(FittedTree {
            tree,
            n_features_in: x.n_cols(),
        });
        self.classes = classes;
        Ok(())
    }

    fn is_classifier(&self) -> bool {
        true
    }
}

impl<L: Label + Send + Sync + 'static> Predictor for DecisionTreeClassifier<L> {
    fn predict(&self, x: &Matrix) -> Result<Vec<L>> {
        Ok(self
            .leaf_values(x)?
            .into_iter()
            .map(|v| self.classes[argmax(v)].clone())
            .collect())
    }

    fn score(&self, x: &Matrix, y: &[L]) -> Result<f64> {
        crate::metrics::accuracy_score(y, &self.predict(x)?, true, None)
    }
}

impl<L: Label + Send + Sync + 'static> Classifier for DecisionTreeClassifier<L> {
    fn classes(&self) -> Result<&[L]> {
        self.fitted()?;
        Ok(&self.classes)
    }

    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        let values = self.leaf_values(x)?;
        let k = self.classes.len();
        let mut out = Vec::with_capacity(values.len() * k);
        for v in values {
            let s: f64 = v.iter().sum();
            let norm = if s == 0.0 { 1.0 } else { s };
            out.extend(v.iter().map(|p| p / norm));
        }
        Matrix::new(out, x.n_rows(), k)
    }
}

impl<L: Label + Send + Sync + 'static> Scorable for DecisionTreeClassifier<L> {
    fn score_with(&self, scorer: &Scorer, x: &Matrix, y: &[L]) -> Result<f64> {
        score_classifier(self, scorer, x, y)
    }
}

impl<L: Label + Send + Sync + 'static> std::fmt::Display for DecisionTreeClassifier<L> {
    /// scikit-learn's `repr()`: the parameters that differ from the defaults.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let defaults = Self::default().params_of();
        f.write_str(&estimator_repr(Self::NAME, &self.params_of(), &defaults))
    }
}
