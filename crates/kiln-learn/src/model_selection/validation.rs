//! `cross_validate` and `cross_val_score` (`sklearn/model_selection/_validation.py`).

use std::collections::BTreeMap;
use std::time::Instant;

use rayon::prelude::*;

use crate::error::Result;
use crate::estimator::{Scorable, Target};
use crate::matrix::Matrix;

use super::scoring::Scorer;
use super::split::{KFold, Split, StratifiedKFold};

/// The cross-validation strategy (`cv`).
#[derive(Debug, Clone, PartialEq)]
pub enum Cv {
    /// An `int`: that many folds, `StratifiedKFold` for a classifier (whose targets
    /// are class labels) and `KFold` otherwise, unshuffled (`check_cv`).
    Folds(usize),
    /// An explicit `KFold`.
    KFold(KFold),
    /// An explicit `StratifiedKFold`.
    StratifiedKFold(StratifiedKFold),
    /// Explicit train/test index splits.
    Splits(Vec<Split>),
}

impl Default for Cv {
    /// scikit-learn's default, 5 folds.
    fn default() -> Self {
        Cv::Folds(5)
    }
}

impl Cv {
    /// The splits of `y` (`check_cv(cv, y, classifier).split(X, y)`).
    ///
    /// ```
    /// use kiln_learn::model_selection::Cv;
    ///
    /// let y = [0_i64, 0, 0, 1, 1, 1];
    /// let folds = Cv::Folds(3).splits(&y, true)?;
    /// assert_eq!(folds[0].test, vec![0, 3]);
    /// let folds = Cv::Folds(3).splits(&y, false)?;
    /// assert_eq!(folds[0].test, vec![0, 1]);
    /// # Ok::<(), kiln_learn::LearnError>(())
    /// ```
    pub fn splits<T: Target>(&self, y: &[T], classifier: bool) -> Result<Vec<Split>> {
        match self {
            Cv::Folds(k) => {
                let codes = if classifier { T::class_codes(y) } else { None };
                match codes {
                    Some(codes) => StratifiedKFold::new(*k, false, None)?.split(&codes),
                    None => KFold::new(*k, false, None)?.split(y.len()),
                }
            }
            Cv::KFold(k) => k.split(y.len()),
            Cv::StratifiedKFold(s) => match T::class_codes(y) {
                Some(codes) => s.split(&codes),
                None => Err(crate::error::LearnError::Value(
                    "Supported target types are: ('binary', 'multiclass'). Got 'continuous' instead."
                        .to_string(),
                )),
            },
            Cv::Splits(s) => Ok(s.clone()),
        }
    }
}

/// The rows of `x` at `indices`, in order.
pub(crate) fn take_rows(x: &Matrix, indices: &[usize]) -> Matrix {
    let w = x.n_cols();
    let mut data = Vec::with_capacity(indices.len() * w);
    for &i in indices {
        data.extend_from_slice(x.row(i));
    }
    Matrix::new(data, indices.len(), w).unwrap_or_default()
}

/// One fit-and-score of `_fit_and_score`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FoldResult {
    pub(crate) test_scores: Vec<f64>,
    pub(crate) train_scores: Option<Vec<f64>>,
    pub(crate) fit_time: f64,
    pub(crate) score_time: f64,
}

/// Clones `estimator`, sets `params`, fits on the split's training rows and scores.
pub(crate) fn fit_and_score<E: Scorable + Clone>(
    estimator: &E,
    params: Option<&crate::estimator::Params>,
    x: &Matrix,
    y: &[E::Target],
    split: &Split,
    scorers: &[Scorer],
    return_train_score: bool,
) -> Result<FoldResult> {
    let mut est = estimator.clone();
    if let Some(p) = params {
        est.set_params(p)?;
    }
    let x_train = take_rows(x, &split.train);
    let y_train = super::take(y, &split.train);
    let x_test = take_rows(x, &split.test);
    let y_test = super::take(y, &split.test);
    let start = Instant::now();
    est.fit(&x_train, &y_train)?;
    let fit_time = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let test_scores = scorers
        .iter()
        .map(|s| est.score_with(s, &x_test, &y_test))
        .collect::<Result<Vec<_>>>()?;
    let score_time = start.elapsed().as_secs_f64();
    let train_scores = if return_train_score {
        Some(
            scorers
                .iter()
                .map(|s| est.score_with(s, &x_train, &y_train))
                .collect::<Result<Vec<_>>>()?,
        )
    } else {
        None
    };
    Ok(FoldResult {
        test_scores,
        train_scores,
        fit_time,
        score_time,
    })
}

/// What [`cross_validate`] returns: one entry per fold.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossValidateResult {
    /// Seconds spent in `fit` (`fit_time`).
    pub fit_time: Vec<f64>,
    /// Seconds spent scoring the test fold (`score_time`).
    pub score_time: Vec<f64>,
    /// Test scores by scorer name (`test_score` for one scorer is `test_scores["score"]`
    /// here; with several, `test_<name>` is `test_scores[name]`).
    pub test_scores: BTreeMap<String, Vec<f64>>,
    /// Training scores, when asked for (`return_train_score`).
    pub train_scores: Option<BTreeMap<String, Vec<f64>>>,
}

impl CrossValidateResult {
    /// The test scores of a single-scorer run (`test_score`).
    pub fn test_score(&self) -> &[f64] {
        self.test_scores
            .get("score")
            .or_else(|| self.test_scores.values().next())
            .map_or(&[], Vec::as_slice)
    }
}

/// Evaluates `estimator` by cross-validation (`sklearn.model_selection.cross_validate`).
///
/// `scoring` holds scorer names; empty means the estimator's `score`. With one scorer
/// the scores are under `"score"`, with several under their names. Folds run in
/// parallel; a failing fit is an error (scikit-learn's `error_score="raise"`).
///
/// ```
/// use kiln_learn::model_selection::{cross_validate, Cv};
/// use kiln_learn::tree::DecisionTreeClassifier;
/// use kiln_learn::Matrix;
///
/// let x = Matrix::from_rows(&[[0.0], [1.0], [2.0], [3.0], [10.0], [11.0], [12.0], [13.0]])?;
/// let y = [0_i64, 0, 0, 0, 1, 1, 1, 1];
/// let tree = DecisionTreeClassifier::default();
/// let res = cross_validate(&tree, &x, &y, &Cv::Folds(2), &["accuracy", "f1_macro"], true)?;
/// assert_eq!(res.test_scores["accuracy"], vec![1.0, 1.0]);
/// assert_eq!(res.train_scores.unwrap()["f1_macro"], vec![1.0, 1.0]);
/// assert_eq!(res.fit_time.len(), 2);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
pub fn cross_validate<E: Scorable + Clone>(
    estimator: &E,
    x: &Matrix,
    y: &[E::Target],
    cv: &Cv,
    scoring: &[&str],
    return_train_score: bool,
) -> Result<CrossValidateResult> {
    crate::validation::check_consistent_length(&[Some(x.n_rows()), Some(y.len())])?;
    let scorers: Vec<Scorer> = if scoring.is_empty() {
        vec![Scorer::Default]
    } else {
        scoring
            .iter()
            .map(|s| s.parse())
            .collect::<Result<Vec<_>>>()?
    };
    let names: Vec<String> = if scoring.len() <= 1 {
        vec!["score".to_string()]
    } else {
        scoring.iter().map(|s| s.to_string()).collect()
    };
    let splits = cv.splits(y, estimator.is_classifier())?;
    let folds = splits
        .par_iter()
        .map(|s| fit_and_score(estimator, None, x, y, s, &scorers, return_train_score))
        .collect::<Result<Vec<_>>>()?;
    let collect =
        |get: &dyn Fn(&FoldResult) -> Option<&Vec<f64>>| -> Option<BTreeMap<String, Vec<f64>>> {
            let mut out = BTreeMap::new();
            for (k, name) in names.iter().enumerate() {
                let v: Option<Vec<f64>> = folds.iter().map(|f| get(f).map(|s| s[k])).collect();
                out.insert(name.clone(), v?);
            }
            Some(out)
        };
    Ok(CrossValidateResult {
        fit_time: folds.iter().map(|f| f.fit_time).collect(),
        score_time: folds.iter().map(|f| f.score_time).collect(),
        test_scores: collect(&|f| Some(&f.test_scores)).unwrap_or_default(),
        train_scores: if return_train_score {
            collect(&|f| f.train_scores.as_ref())
        } else {
            None
        },
    })
}

/// The test score of each fold (`sklearn.model_selection.cross_val_score`); `scoring`
/// `None` is the estimator's `score`.
///
/// ```
/// use kiln_learn::model_selection::{cross_val_score, Cv};
/// use kiln_learn::tree::DecisionTreeRegressor;
/// use kiln_learn::Matrix;
///
/// let x = Matrix::from_rows(&[[0.0], [1.0], [2.0], [3.0]])?;
/// let y = [0.0, 1.0, 2.0, 3.0];
/// let scores = cross_val_score(&DecisionTreeRegressor::default(), &x, &y, &Cv::Folds(2), Some("neg_mean_squared_error"))?;
/// assert_eq!(scores, vec![-2.5, -2.5]);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
pub fn cross_val_score<E: Scorable + Clone>(
    estimator: &E,
    x: &Matrix,
    y: &[E::Target],
    cv: &Cv,
    scoring: Option<&str>,
) -> Result<Vec<f64>> {
    let scoring: Vec<&str> = scoring.into_iter().collect();
    let res = cross_validate(estimator, x, y, cv, &scoring, false)?;
    Ok(res.test_score().to_vec())
}
