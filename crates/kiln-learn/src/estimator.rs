//! scikit-learn's estimator API: [`Estimator`] (`fit`, `get_params`, `set_params`),
//! [`Predictor`], [`Classifier`], [`Regressor`], and the [`Param`] values that
//! [`GridSearchCV`](crate::model_selection::GridSearchCV) sets on clones.
//!
//! # Design
//!
//! The traits are object-safe: `&dyn Classifier<Target = i64>` works, so code that only
//! predicts can take any classifier. The model-selection functions
//! ([`cross_validate`](crate::model_selection::cross_validate), the searches) are
//! generic over `E: Scorable + Clone`: they clone the (unfitted) estimator passed in,
//! `set_params` a candidate on the clone and `fit` it, as scikit-learn's `clone` does.
//! An estimator that cannot derive `Clone` (a wrapper owning a compiled Keras model, for
//! instance) keeps a factory (`Arc<dyn Fn() -> Model + Send + Sync>`) plus its
//! parameters and implements `Clone` by cloning those: the clone rebuilds its model on
//! `fit`, which is what scikit-learn's `clone` + `fit` does to a `KerasClassifier`.
//!
//! [`Scorable`] connects an estimator to the scorer names (`"accuracy"`,
//! `"neg_mean_squared_error"`, ...); classifiers implement it in one line with
//! [`score_classifier`], regressors with [`score_regressor`].
//!
//! ```
//! use kiln_learn::estimator::{Classifier, Estimator, Param, Params, Predictor};
//! use kiln_learn::tree::DecisionTreeClassifier;
//! use kiln_learn::Matrix;
//!
//! let x = Matrix::from_rows(&[[0.0], [1.0], [2.0], [3.0]])?;
//! let y = [0_i64, 0, 1, 1];
//! let mut tree = DecisionTreeClassifier::default();
//! tree.set_params(&Params::from([("max_depth".to_string(), Param::Int(1))]))?;
//! tree.fit(&x, &y)?;
//! assert_eq!(tree.predict(&x)?, y.to_vec());
//! assert_eq!(tree.score(&x, &y)?, 1.0);
//! let as_dyn: &dyn Classifier<Target = i64> = &tree;
//! assert_eq!(as_dyn.predict_proba(&x)?.row(0), &[1.0, 0.0]);
//! assert_eq!(tree.get_params()["max_depth"], Param::Int(1));
//! # Ok::<(), kiln_learn::LearnError>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;

use crate::error::{LearnError, Result};
use crate::label::{py_str_repr, Label};
use crate::matrix::Matrix;
use crate::model_selection::Scorer;
use crate::pyfmt::py_float_repr;

/// One hyper-parameter value, as Python would hold it.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// An `int`.
    Int(i64),
    /// A `float`.
    Float(f64),
    /// A `str` (`"gini"`, `"sqrt"`).
    Str(String),
    /// A `bool`.
    Bool(bool),
    /// `None`.
    None,
}

impl Param {
    /// Python's `repr()` of the value (`3`, `0.5`, `'sqrt'`, `True`, `None`).
    ///
    /// ```
    /// use kiln_learn::estimator::Param;
    ///
    /// assert_eq!(Param::Float(1.0).py_repr(), "1.0");
    /// assert_eq!(Param::Str("gini".into()).py_repr(), "'gini'");
    /// ```
    pub fn py_repr(&self) -> String {
        match self {
            Param::Int(i) => i.to_string(),
            Param::Float(f) => py_float_repr(*f),
            Param::Str(s) => py_str_repr(s),
            Param::Bool(b) => if *b { "True" } else { "False" }.to_string(),
            Param::None => "None".to_string(),
        }
    }

    /// The value as a float when it is a number (`int` or `float`).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Param::Int(i) => Some(*i as f64),
            Param::Float(f) => Some(*f),
            _ => None,
        }
    }
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.py_repr())
    }
}

impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}
impl From<i32> for Param {
    fn from(v: i32) -> Self {
        Param::Int(i64::from(v))
    }
}
impl From<f64> for Param {
    fn from(v: f64) -> Self {
        Param::Float(v)
    }
}
impl From<bool> for Param {
    fn from(v: bool) -> Self {
        Param::Bool(v)
    }
}
impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Param::Str(v.to_string())
    }
}
impl From<String> for Param {
    fn from(v: String) -> Self {
        Param::Str(v)
    }
}
impl<T: Into<Param>> From<Option<T>> for Param {
    fn from(v: Option<T>) -> Self {
        v.map_or(Param::None, Into::into)
    }
}

/// Parameter name → value, sorted by name (scikit-learn's `get_params()` dict).
pub type Params = BTreeMap<String, Param>;

/// Python's `repr()` of a params dict, keys in the map's order:
/// `{'max_depth': 2, 'min_samples_leaf': 1}`.
pub fn params_repr(params: &Params) -> String {
    let items: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{}: {}", py_str_repr(k), v.py_repr()))
        .collect();
    format!("{{{}}}", items.join(", "))
}

/// The type of a target value: class labels (any [`Label`]) or `f64` regression
/// targets. [`Target::class_codes`] tells `cv=int` whether to stratify.
pub trait Target: Clone + Send + Sync + 'static {
    /// The class index of each value when the targets are class labels
    /// (`type_of_target` binary or multiclass); `None` for continuous targets.
    fn class_codes(y: &[Self]) -> Option<Vec<usize>>;
}

impl<L: Label + Send + Sync + 'static> Target for L {
    fn class_codes(y: &[Self]) -> Option<Vec<usize>> {
        Some(crate::tree::encode_labels(y).1)
    }
}

impl Target for f64 {
    fn class_codes(_: &[Self]) -> Option<Vec<usize>> {
        None
    }
}

/// A scikit-learn estimator: hyper-parameters readable and settable by name, and `fit`.
///
/// `Target` is the type of `y`: a [`Label`] for classifiers, `f64` for regressors.
/// `set_params` with a name the estimator does not have fails with scikit-learn's
/// `Invalid parameter 'foo' for estimator ...` message (see [`invalid_param`]).
pub trait Estimator: Send + Sync {
    /// The type of one target value.
    type Target: Target;

    /// The class name (`"DecisionTreeClassifier"`), used in messages.
    fn estimator_name(&self) -> &'static str;

    /// All hyper-parameters by name.
    fn get_params(&self) -> Params;

    /// Sets the named hyper-parameters; unknown names and invalid values are errors and
    /// leave the estimator unchanged.
    fn set_params(&mut self, params: &Params) -> Result<()>;

    /// Fits on `x` (shape `(n_samples, n_features)`) and one target per sample,
    /// replacing any earlier fit.
    fn fit(&mut self, x: &Matrix, y: &[Self::Target]) -> Result<()>;

    /// Whether this is a classifier (`is_classifier`): an integer `cv` then means
    /// `StratifiedKFold`.
    fn is_classifier(&self) -> bool {
        false
    }
}

/// An estimator that predicts one target per sample and has a default score.
pub trait Predictor: Estimator {
    /// One prediction per row of `x`; an error before `fit`.
    fn predict(&self, x: &Matrix) -> Result<Vec<Self::Target>>;

    /// The default score: accuracy for a [`Classifier`], R² for a [`Regressor`].
    fn score(&self, x: &Matrix, y: &[Self::Target]) -> Result<f64>;
}

/// A classifier: class probabilities in the order of [`Classifier::classes`].
pub trait Classifier: Predictor
where
    Self::Target: Label,
{
    /// The sorted classes seen by `fit` (`classes_`).
    fn classes(&self) -> Result<&[Self::Target]>;

    /// Class probabilities, one row per sample, one column per class.
    fn predict_proba(&self, x: &Matrix) -> Result<Matrix>;
}

/// A regressor (its [`Predictor::score`] is R²).
pub trait Regressor: Predictor<Target = f64> {}

/// An estimator that [`Scorer`]s can evaluate: what `cross_validate` and the searches
/// need. Implement it with [`score_classifier`] or [`score_regressor`].
pub trait Scorable: Predictor {
    /// `scorer(estimator, x, y)`; `Scorer::Default` is [`Predictor::score`].
    fn score_with(&self, scorer: &Scorer, x: &Matrix, y: &[Self::Target]) -> Result<f64>;
}

/// [`Scorable::score_with`] for a classifier: classification scorers on `predict`
/// (`roc_auc` on the positive column of `predict_proba`); regression scorers are
/// rejected.
pub fn score_classifier<C>(est: &C, scorer: &Scorer, x: &Matrix, y: &[C::Target]) -> Result<f64>
where
    C: Classifier + ?Sized,
    C::Target: Label,
{
    crate::model_selection::scoring::classifier_score(est, scorer, x, y)
}

/// [`Scorable::score_with`] for a regressor: regression scorers on `predict`;
/// classification scorers are rejected.
pub fn score_regressor<R>(est: &R, scorer: &Scorer, x: &Matrix, y: &[f64]) -> Result<f64>
where
    R: Regressor + ?Sized,
{
    crate::model_selection::scoring::regressor_score(est, scorer, x, y)
}

/// scikit-learn's `repr()` of an estimator: its name and the parameters that differ
/// from `defaults`, `DecisionTreeClassifier(max_depth=3)`.
pub fn estimator_repr(name: &str, params: &Params, defaults: &Params) -> String {
    let changed: Vec<String> = params
        .iter()
        .filter(|(k, v)| defaults.get(*k) != Some(*v))
        .map(|(k, v)| format!("{k}={}", v.py_repr()))
        .collect();
    format!("{name}({})", changed.join(", "))
}

/// The error `set_params` gives for an unknown name: `Invalid parameter 'foo' for
/// estimator DecisionTreeClassifier(). Valid parameters are: [...].`
pub fn invalid_param(key: &str, name: &str, params: &Params, defaults: &Params) -> LearnError {
    let valid: Vec<String> = params.keys().map(|k| py_str_repr(k)).collect();
    LearnError::InvalidParameterName {
        key: py_str_repr(key),
        estimator: estimator_repr(name, params, defaults),
        valid: format!("[{}]", valid.join(", ")),
    }
}

/// The `NotFittedError` message of a method called before `fit`.
pub fn not_fitted(name: &'static str) -> LearnError {
    LearnError::NotFitted { estimator: name }
}

/// A parameter-value error with scikit-learn's `InvalidParameterError` wording.
pub(crate) fn bad_value(
    param: &'static str,
    caller: &'static str,
    constraint: &str,
    got: &Param,
) -> LearnError {
    LearnError::InvalidParameter {
        param,
        caller: Some(caller),
        constraint: constraint.to_string(),
        got: got.py_repr(),
    }
}

/// Reads an `int` parameter.
pub(crate) fn param_int(
    v: &Param,
    param: &'static str,
    caller: &'static str,
    constraint: &str,
) -> Result<i64> {
    match v {
        Param::Int(i) => Ok(*i),
        _ => Err(bad_value(param, caller, constraint, v)),
    }
}

/// Reads a `bool` parameter.
pub(crate) fn param_bool(v: &Param, param: &'static str, caller: &'static str) -> Result<bool> {
    match v {
        Param::Bool(b) => Ok(*b),
        _ => Err(bad_value(
            param,
            caller,
            "an instance of 'bool' or an instance of 'numpy.bool'",
            v,
        )),
    }
}

/// Reads a `random_state` (`None` or a non-negative 32-bit int).
pub(crate) fn param_seed(v: &Param, caller: &'static str) -> Result<Option<u32>> {
    match v {
        Param::None => Ok(None),
        Param::Int(i) if (0..=i64::from(u32::MAX)).contains(i) => Ok(Some(*i as u32)),
        _ => Err(bad_value(
            "random_state",
            caller,
            "an int in the range [0, 4294967295], an instance of 'numpy.random.mtrand.RandomState' or None",
            v,
        )),
    }
}
