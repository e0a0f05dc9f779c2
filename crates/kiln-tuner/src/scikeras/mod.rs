//! scikeras's `KerasClassifier` and `KerasRegressor`: a kiln model factory behind
//! kiln-learn's estimator traits, so a Keras model runs under `cross_val_score`,
//! `GridSearchCV`, `RandomizedSearchCV` and `BayesSearchCV`.
//!
//! # Why here
//!
//! The wrapper needs both `kiln` (to build, compile, fit and predict a
//! [`Model`]) and `kiln-learn` (the estimator traits). `kiln-learn` cannot depend on
//! `kiln`: `kiln` dev-depends on `kiln-plot`, which depends on `kiln-learn`, so the edge
//! would close a cycle. `kiln-tuner` already depends on `kiln` and is where kiln's other
//! hyper-parameter tooling lives, so the wrapper is a module of it rather than a crate
//! of its own.
//!
//! # Semantics (scikeras 0.13)
//!
//! - The factory receives [`BuildArgs`]: the parameters routed to the model
//!   (`model__units=64` arrives as `units`; user parameters without a prefix are passed
//!   too, `model__` ones win), the fit metadata ([`Meta`]: `n_features_in_`,
//!   `target_type_`, `n_classes_`, ...) and [`BuildArgs::compile_args`], the wrapper's
//!   `optimizer` / `loss` / `metrics` (scikeras's `compile_kwargs`). A factory may return
//!   a compiled model; an uncompiled one is compiled with `compile_args`.
//! - Defaults: `epochs=1`, `batch_size=None` (Keras's 32; `-1` means all samples),
//!   `verbose=1`, `shuffle=True`, `validation_split=0.0`, `optimizer="rmsprop"`,
//!   `loss=None`, `metrics=None`, `random_state=None`, `warm_start=False`,
//!   `class_weight=None` (or `"balanced"`, classifier only). `fit__<name>` and
//!   `predict__<name>` override `batch_size` / `epochs` / `verbose` / ... for one
//!   method; `optimizer__learning_rate` configures the optimizer the wrapper compiles.
//! - `get_params()` is scikeras's without its two callables (`model`, `build_fn`: the
//!   factory is given to `new`, not as a parameter value), and `set_params`' unknown-name
//!   and `predict`'s not-fitted messages are scikeras's (golden-checked against
//!   scikeras 0.13.0, `tools/golden/gen_scikeras.py`).
//! - `fit` rebuilds the model every time (unless `warm_start`), so a
//!   [`Clone`] — scikit-learn's `clone`: same parameters, not fitted — fits a fresh
//!   model, as `GridSearchCV` expects.
//! - `KerasClassifier`: `classes_` are the sorted labels of `fit`; the targets go to
//!   Keras as ordinal codes (one-hot when `loss="categorical_crossentropy"`);
//!   `predict_proba` has one column per class (a single sigmoid output `p` becomes
//!   `[1 - p, p]`); `predict` is the column argmax (so `p > 0.5` for a sigmoid, ties to
//!   the first class); `score` is accuracy.
//! - `KerasRegressor`: `predict` is the model's single output, `score` is R².
//! - `random_state`: the process-wide kiln generator is seeded before building and
//!   fitting. kiln's generator is global (as TF's seed is), so fits with a
//!   `random_state` hold a process-wide lock while they build and train: parallel
//!   searches stay reproducible, at the cost of running those fits one at a time.
//!
//! ```
//! use kiln::layers::Dense;
//! use kiln::models::{CompileArgs, Model};
//! use kiln_learn::estimator::{Classifier, Estimator, Param, Predictor};
//! use kiln_learn::Matrix;
//! use kiln_tuner::scikeras::{BuildArgs, KerasClassifier};
//!
//! let build = |args: &BuildArgs| -> kiln::Result<Model> {
//!     let units = args.int("units", 8)? as usize;
//!     let mut m = Model::sequential(vec![
//!         Dense::new(units).activation("relu").input_shape(&[args.meta().n_features_in]).into(),
//!         Dense::new(1).activation("sigmoid").into(),
//!     ])?;
//!     m.compile(CompileArgs::new().optimizer("adam").loss("binary_crossentropy").metrics(["accuracy"]))?;
//!     Ok(m)
//! };
//! let mut clf = KerasClassifier::<i64>::new(build)
//!     .param("model__units", 4)
//!     .param("epochs", 3)
//!     .param("verbose", 0)
//!     .param("random_state", 0);
//! assert_eq!(clf.get_params()["model__units"], Param::Int(4));
//! let x = Matrix::from_rows(&[[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.9, 0.1]])?;
//! let y = [0_i64, 1, 0, 1];
//! clf.fit(&x, &y)?;
//! assert_eq!(clf.classes()?, &[0, 1]);
//! assert_eq!(clf.predict_proba(&x)?.shape(), (4, 2));
//! assert_eq!(clf.predict(&x)?.len(), 4);
//! # Ok::<(), kiln_learn::LearnError>(())
//! ```

mod base;
mod classifier;
mod regressor;
mod settings;

use std::sync::{Arc, Mutex};

pub use classifier::KerasClassifier;
use kiln::models::{CompileArgs, Model};
use kiln_learn::estimator::{Param, Params};
use kiln_learn::LearnError;
pub use regressor::KerasRegressor;

/// The prefixes `set_params` routes (scikeras's `_routing_prefixes`).
pub const ROUTING_PREFIXES: [&str; 7] = [
    "model",
    "fit",
    "compile",
    "predict",
    "optimizer",
    "loss",
    "metrics",
];

/// What `fit` learnt about the data, passed to the model factory (scikeras's `meta`).
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    /// `n_features_in_`: columns of `X`.
    pub n_features_in: usize,
    /// `target_type_`: `"binary"`, `"multiclass"` or `"continuous"`.
    pub target_type: &'static str,
    /// `n_classes_` (classifiers).
    pub n_classes: Option<usize>,
    /// `n_outputs_`: columns of `y` (1).
    pub n_outputs: usize,
    /// `n_outputs_expected_`: outputs the model should have (1).
    pub n_outputs_expected: usize,
}

/// The arguments of a model factory: routed parameters, metadata and compile arguments.
pub struct BuildArgs<'a> {
    routed: Params,
    all: &'a Params,
    meta: &'a Meta,
}

fn kiln_err(api: &'static str, msg: String) -> kiln::Error {
    kiln::Error::InvalidArgument { api, msg }
}

impl BuildArgs<'_> {
    /// The fit metadata.
    pub fn meta(&self) -> &Meta {
        self.meta
    }

    /// The parameters routed to the model (`model__` stripped).
    pub fn routed(&self) -> &Params {
        &self.routed
    }

    /// All of the wrapper's `get_params()` (scikeras's `params` argument).
    pub fn params(&self) -> &Params {
        self.all
    }

    /// A routed parameter, if given.
    pub fn get(&self, name: &str) -> Option<&Param> {
        self.routed.get(name)
    }

    /// A routed `int`, or `default` when not given.
    pub fn int(&self, name: &str, default: i64) -> kiln::Result<i64> {
        match self.routed.get(name) {
            None => Ok(default),
            Some(Param::Int(i)) => Ok(*i),
            Some(p) => Err(kiln_err(
                "KerasWrapper.build",
                format!("parameter '{name}' must be an int, got {}", p.py_repr()),
            )),
        }
    }

    /// A routed `float` (an `int` is widened), or `default`.
    pub fn float(&self, name: &str, default: f64) -> kiln::Result<f64> {
        match self.routed.get(name) {
            None => Ok(default),
            Some(p) => p.as_f64().ok_or_else(|| {
                kiln_err(
                    "KerasWrapper.build",
                    format!("parameter '{name}' must be a float, got {}", p.py_repr()),
                )
            }),
        }
    }

    /// A routed `str`, or `default`.
    pub fn str(&self, name: &str, default: &str) -> kiln::Result<String> {
        match self.routed.get(name) {
            None => Ok(default.to_string()),
            Some(Param::Str(s)) => Ok(s.clone()),
            Some(p) => Err(kiln_err(
                "KerasWrapper.build",
                format!("parameter '{name}' must be a str, got {}", p.py_repr()),
            )),
        }
    }

    /// scikeras's `compile_kwargs`: the wrapper's `optimizer` (with
    /// `optimizer__learning_rate`), `loss` and `metrics`.
    pub fn compile_args(&self) -> kiln::Result<CompileArgs> {
        compile_args(self.all)
    }
}

fn compile_args(all: &Params) -> kiln::Result<CompileArgs> {
    let api = "KerasWrapper.compile";
    let name = match all.get("optimizer") {
        Some(Param::Str(s)) => s.clone(),
        Some(p) => {
            return Err(kiln_err(
                api,
                format!("optimizer must be a str, got {}", p.py_repr()),
            ))
        }
        None => "rmsprop".to_string(),
    };
    let mut opt = kiln::optimizers::get(&name)?;
    for (k, v) in all {
        if let Some(rest) = k.strip_prefix("optimizer__") {
            match (rest, v.as_f64()) {
                ("learning_rate", Some(lr)) => opt.set_learning_rate(lr),
                _ => {
                    return Err(kiln_err(
                        api,
                        format!("unsupported optimizer parameter {k}={}", v.py_repr()),
                    ))
                }
            }
        }
    }
    let mut args = CompileArgs::new().optimizer(opt);
    match all.get("loss") {
        Some(Param::Str(s)) => args = args.loss(s.as_str()),
        Some(Param::None) | None => {}
        Some(p) => {
            return Err(kiln_err(
                api,
                format!("loss must be a str, got {}", p.py_repr()),
            ))
        }
    }
    match all.get("metrics") {
        Some(Param::Str(s)) => args = args.metrics([s.as_str()]),
        Some(Param::None) | None => {}
        Some(p) => {
            return Err(kiln_err(
                api,
                format!("metrics must be a str, got {}", p.py_repr()),
            ))
        }
    }
    Ok(args)
}

/// A model factory.
pub type ModelFn = Arc<dyn Fn(&BuildArgs<'_>) -> kiln::Result<Model> + Send + Sync>;

/// Python's `str()` of a value (unquoted strings), for messages.
fn py_str(p: &Param) -> String {
    match p {
        Param::Str(s) => s.clone(),
        other => other.py_repr(),
    }
}

fn value_err(msg: String) -> LearnError {
    LearnError::Value(msg)
}

fn from_kiln(e: kiln::Error) -> LearnError {
    LearnError::Value(e.to_string())
}

/// Serialises fits that seed kiln's process-wide generator.
static SEEDED_FIT: Mutex<()> = Mutex::new(());
