//! Scorers by scikit-learn's names (`sklearn.metrics.get_scorer`): what
//! `scoring="..."` means in [`cross_validate`](super::cross_validate) and the searches.

use crate::error::{LearnError, Result};
use crate::estimator::{Classifier, Regressor};
use crate::label::{py_str_repr, Label};
use crate::matrix::Matrix;
use crate::metrics::{
    self, Average, MultiClass, PrfOptions, RocAucMulticlassOptions, ZeroDivision,
};

/// A scorer: `scorer(estimator, X, y)`, greater is better (errors are negated, as in
/// scikit-learn's `neg_*` scorers).
///
/// ```
/// use kiln_learn::model_selection::Scorer;
///
/// assert_eq!("f1_macro".parse::<Scorer>()?, Scorer::F1(Some("macro")));
/// assert_eq!(Scorer::parse(None)?, Scorer::Default);
/// assert_eq!(
///     "foo".parse::<Scorer>().unwrap_err().to_string(),
///     "'foo' is not a valid scoring value. Use sklearn.metrics.get_scorer_names() to get valid options."
/// );
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scorer {
    /// `scoring=None`: the estimator's own `score` (accuracy or R²).
    Default,
    /// `"accuracy"`.
    Accuracy,
    /// `"balanced_accuracy"`: the mean recall over the classes of `y_true`.
    BalancedAccuracy,
    /// `"f1"` (binary, `None`) or `"f1_macro"` / `"f1_micro"` / `"f1_weighted"`.
    F1(Option<&'static str>),
    /// `"precision"` and its averaged forms.
    Precision(Option<&'static str>),
    /// `"recall"` and its averaged forms.
    Recall(Option<&'static str>),
    /// `"roc_auc"`: binary ROC AUC of the positive class's probability.
    RocAuc,
    /// `"roc_auc_ovr"`, `"roc_auc_ovo"` and their `_weighted` forms.
    RocAucMulti(MultiClass, bool),
    /// `"neg_mean_squared_error"`.
    NegMeanSquaredError,
    /// `"neg_root_mean_squared_error"`.
    NegRootMeanSquaredError,
    /// `"neg_mean_absolute_error"`.
    NegMeanAbsoluteError,
    /// `"r2"`.
    R2,
}

impl Scorer {
    /// The scorer for `scoring` (`None` is the estimator's `score`).
    pub fn parse(scoring: Option<&str>) -> Result<Self> {
        scoring.map_or(Ok(Scorer::Default), str::parse)
    }

    /// The scorer's name (`"default"` for [`Scorer::Default`]).
    pub fn name(&self) -> String {
        match self {
            Scorer::Default => "default".into(),
            Scorer::Accuracy => "accuracy".into(),
            Scorer::BalancedAccuracy => "balanced_accuracy".into(),
            Scorer::F1(a) => avg_name("f1", *a),
            Scorer::Precision(a) => avg_name("precision", *a),
            Scorer::Recall(a) => avg_name("recall", *a),
            Scorer::RocAuc => "roc_auc".into(),
            Scorer::RocAucMulti(m, w) => format!(
                "roc_auc_{}{}",
                if *m == MultiClass::Ovr { "ovr" } else { "ovo" },
                if *w { "_weighted" } else { "" }
            ),
            Scorer::NegMeanSquaredError => "neg_mean_squared_error".into(),
            Scorer::NegRootMeanSquaredError => "neg_root_mean_squared_error".into(),
            Scorer::NegMeanAbsoluteError => "neg_mean_absolute_error".into(),
            Scorer::R2 => "r2".into(),
        }
    }

    fn is_regression(&self) -> bool {
        matches!(
            self,
            Scorer::NegMeanSquaredError
                | Scorer::NegRootMeanSquaredError
                | Scorer::NegMeanAbsoluteError
                | Scorer::R2
        )
    }
}

fn avg_name(base: &str, a: Option<&str>) -> String {
    a.map_or_else(|| base.to_string(), |a| format!("{base}_{a}"))
}

impl std::str::FromStr for Scorer {
    type Err = LearnError;

    fn from_str(s: &str) -> Result<Self> {
        let averaged = |base: &str| -> Option<Option<&'static str>> {
            let rest = s.strip_prefix(base)?;
            match rest {
                "" => Some(None),
                "_macro" => Some(Some("macro")),
                "_micro" => Some(Some("micro")),
                "_weighted" => Some(Some("weighted")),
                _ => None,
            }
        };
        Ok(match s {
            "accuracy" => Scorer::Accuracy,
            "balanced_accuracy" => Scorer::BalancedAccuracy,
            "roc_auc" => Scorer::RocAuc,
            "roc_auc_ovr" => Scorer::RocAucMulti(MultiClass::Ovr, false),
            "roc_auc_ovo" => Scorer::RocAucMulti(MultiClass::Ovo, false),
            "roc_auc_ovr_weighted" => Scorer::RocAucMulti(MultiClass::Ovr, true),
            "roc_auc_ovo_weighted" => Scorer::RocAucMulti(MultiClass::Ovo, true),
            "neg_mean_squared_error" => Scorer::NegMeanSquaredError,
            "neg_root_mean_squared_error" => Scorer::NegRootMeanSquaredError,
            "neg_mean_absolute_error" => Scorer::NegMeanAbsoluteError,
            "r2" => Scorer::R2,
            _ => {
                if let Some(a) = averaged("f1") {
                    Scorer::F1(a)
                } else if let Some(a) = averaged("precision") {
                    Scorer::Precision(a)
                } else if let Some(a) = averaged("recall") {
                    Scorer::Recall(a)
                } else {
                    return Err(LearnError::InvalidScoring {
                        name: py_str_repr(s),
                    });
                }
            }
        })
    }
}

fn average_of(a: Option<&str>) -> Average {
    match a {
        Some("macro") => Average::Macro,
        Some("micro") => Average::Micro,
        Some("weighted") => Average::Weighted,
        _ => Average::Binary,
    }
}

fn prf_value(score: metrics::Score) -> f64 {
    match score {
        metrics::Score::Average(v) => v,
        metrics::Score::PerClass(v) => v.first().copied().unwrap_or(f64::NAN),
    }
}

/// Evaluates a classification scorer on a fitted classifier.
pub(crate) fn classifier_score<C>(
    est: &C,
    scorer: &Scorer,
    x: &Matrix,
    y: &[C::Target],
) -> Result<f64>
where
    C: Classifier + ?Sized,
    C::Target: Label,
{
    if scorer.is_regression() {
        return Err(LearnError::ScorerMismatch {
            message: format!(
                "scoring '{}' needs a regressor, but {} is a classifier",
                scorer.name(),
                est.estimator_name()
            ),
        });
    }
    let prf = |a: Option<&str>| PrfOptions {
        average: Some(average_of(a)),
        zero_division: ZeroDivision::Warn,
        ..PrfOptions::default()
    };
    match scorer {
        Scorer::Default => est.score(x, y),
        Scorer::Accuracy => metrics::accuracy_score(y, &est.predict(x)?, true, None),
        Scorer::BalancedAccuracy => {
            let pred = est.predict(x)?;
            let cm = metrics::confusion_matrix(y, &pred, None, None, None)?;
            let per_class: Vec<f64> = cm
                .matrix
                .iter()
                .enumerate()
                .map(|(i, row)| row[i] / row.iter().sum::<f64>())
                .filter(|v| !v.is_nan())
                .collect();
            Ok(per_class.iter().sum::<f64>() / per_class.len() as f64)
        }
        Scorer::F1(a) => Ok(prf_value(metrics::f1_score(y, &est.predict(x)?, &prf(*a))?)),
        Scorer::Precision(a) => Ok(prf_value(metrics::precision_score(
            y,
            &est.predict(x)?,
            &prf(*a),
        )?)),
        Scorer::Recall(a) => Ok(prf_value(metrics::recall_score(
            y,
            &est.predict(x)?,
            &prf(*a),
        )?)),
        Scorer::RocAuc => {
            let proba = est.predict_proba(x)?;
            if proba.n_cols() != 2 {
                return Err(LearnError::MultiClassRaise);
            }
            let pos: Vec<f64> = proba.rows().map(|r| r[1]).collect();
            metrics::roc_auc_score(y, &pos, None, None)
        }
        Scorer::RocAucMulti(m, weighted) => {
            let proba = est.predict_proba(x)?;
            if proba.n_cols() == 2 {
                let pos: Vec<f64> = proba.rows().map(|r| r[1]).collect();
                return metrics::roc_auc_score(y, &pos, None, None);
            }
            let options = RocAucMulticlassOptions {
                multi_class: Some(*m),
                average: Some(if *weighted {
                    Average::Weighted
                } else {
                    Average::Macro
                }),
                ..Default::default()
            };
            let rows = proba.to_rows();
            Ok(prf_value(metrics::roc_auc_score_multiclass(
                y, &rows, &options,
            )?))
        }
        other => Err(LearnError::ScorerMismatch {
            message: format!(
                "scoring '{}' needs a regressor, but {} is a classifier",
                other.name(),
                est.estimator_name()
            ),
        }),
    }
}

/// Evaluates a regression scorer on a fitted regressor.
pub(crate) fn regressor_score<R>(est: &R, scorer: &Scorer, x: &Matrix, y: &[f64]) -> Result<f64>
where
    R: Regressor + ?Sized,
{
    let pred = || est.predict(x);
    match scorer {
        Scorer::Default => est.score(x, y),
        Scorer::R2 => metrics::r2_score(y, &pred()?, None, true),
        Scorer::NegMeanSquaredError => Ok(-metrics::mean_squared_error(y, &pred()?, None)?),
        Scorer::NegRootMeanSquaredError => {
            Ok(-metrics::root_mean_squared_error(y, &pred()?, None)?)
        }
        Scorer::NegMeanAbsoluteError => Ok(-metrics::mean_absolute_error(y, &pred()?, None)?),
        other => Err(LearnError::ScorerMismatch {
            message: format!(
                "scoring '{}' needs a classifier, but {} is a regressor",
                other.name(),
                est.estimator_name()
            ),
        }),
    }
}
