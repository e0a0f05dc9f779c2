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

use std::sync::{Arc, Mutex};

use kiln::models::{CompileArgs, EvaluateArgs, FitArgs, Model, PredictArgs};
use kiln_learn::estimator::{
    score_classifier, score_regressor, Classifier, Estimator, Param, Params, Predictor, Regressor,
    Scorable,
};
use kiln_learn::model_selection::Scorer;
use kiln_learn::{Label, LearnError, Matrix, Result};
use kiln_tensor::Tensor;

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

/// The typed fit/predict settings read from the parameters.
#[derive(Debug, Clone)]
struct Settings {
    fit_batch_size: Option<i64>,
    predict_batch_size: Option<i64>,
    epochs: usize,
    fit_verbose: u8,
    predict_verbose: u8,
    shuffle: bool,
    validation_split: f64,
    validation_batch_size: Option<i64>,
    random_state: Option<u64>,
    warm_start: bool,
    balanced: bool,
}

fn bad(param: &str, constraint: &str, got: &Param) -> LearnError {
    value_err(format!(
        "The '{param}' parameter of the wrapper must be {constraint}. Got {} instead.",
        got.py_repr()
    ))
}

fn opt_int(p: Option<&Param>, name: &str) -> Result<Option<i64>> {
    match p {
        None | Some(Param::None) => Ok(None),
        Some(Param::Int(i)) if *i == -1 || *i >= 1 => Ok(Some(*i)),
        Some(p) => Err(bad(name, "a positive int, -1 or None", p)),
    }
}

fn get_int(p: Option<&Param>, name: &str, default: i64, min: i64) -> Result<i64> {
    match p {
        None => Ok(default),
        Some(Param::Int(i)) if *i >= min => Ok(*i),
        Some(p) => Err(bad(name, &format!("an int >= {min}"), p)),
    }
}

fn get_bool(p: Option<&Param>, name: &str, default: bool) -> Result<bool> {
    match p {
        None => Ok(default),
        Some(Param::Bool(b)) => Ok(*b),
        Some(p) => Err(bad(name, "a bool", p)),
    }
}

fn verbose(p: Option<&Param>, name: &str, default: u8) -> Result<u8> {
    Ok(get_int(p, name, i64::from(default), 0)?.min(2) as u8)
}

impl Settings {
    fn read(p: &Params, classifier: bool) -> Result<Settings> {
        let batch = opt_int(p.get("batch_size"), "batch_size")?;
        let fit_batch = match p.get("fit__batch_size") {
            Some(v) => opt_int(Some(v), "fit__batch_size")?,
            None => batch,
        };
        let predict_batch = match p.get("predict__batch_size") {
            Some(v) => opt_int(Some(v), "predict__batch_size")?,
            None => batch,
        };
        let epochs = get_int(p.get("epochs"), "epochs", 1, 0)?;
        let epochs = get_int(p.get("fit__epochs"), "fit__epochs", epochs, 0)? as usize;
        let v = verbose(p.get("verbose"), "verbose", 1)?;
        let fit_verbose = verbose(p.get("fit__verbose"), "fit__verbose", v)?;
        let predict_verbose = verbose(p.get("predict__verbose"), "predict__verbose", v)?;
        let shuffle = get_bool(p.get("shuffle"), "shuffle", true)?;
        let shuffle = get_bool(p.get("fit__shuffle"), "fit__shuffle", shuffle)?;
        let split = |key: &str, d: f64| -> Result<f64> {
            match p.get(key) {
                None => Ok(d),
                Some(v) => match v.as_f64() {
                    Some(f) if (0.0..1.0).contains(&f) => Ok(f),
                    _ => Err(bad(key, "a float in the range [0.0, 1.0)", v)),
                },
            }
        };
        let validation_split = split("validation_split", 0.0)?;
        let validation_split = split("fit__validation_split", validation_split)?;
        let validation_batch_size =
            opt_int(p.get("validation_batch_size"), "validation_batch_size")?;
        let random_state = match p.get("random_state") {
            None | Some(Param::None) => None,
            Some(Param::Int(i)) if *i >= 0 => Some(*i as u64),
            Some(v) => return Err(bad("random_state", "a non-negative int or None", v)),
        };
        let warm_start = get_bool(p.get("warm_start"), "warm_start", false)?;
        let balanced = match p.get("class_weight") {
            None | Some(Param::None) => false,
            Some(Param::Str(s)) if s == "balanced" && classifier => true,
            Some(v) => return Err(bad("class_weight", "'balanced' or None", v)),
        };
        for (key, what) in [("run_eagerly", "a bool")] {
            if let Some(v) = p.get(key)
                && !matches!(v, Param::Bool(_))
            {
                return Err(bad(key, what, v));
            }
        }
        for (k, v) in p {
            let bad_routed = if let Some(rest) = k.strip_prefix("fit__") {
                !matches!(
                    rest,
                    "batch_size" | "epochs" | "verbose" | "shuffle" | "validation_split"
                )
            } else if let Some(rest) = k.strip_prefix("predict__") {
                !matches!(rest, "batch_size" | "verbose")
            } else {
                k.starts_with("compile__") || k.starts_with("loss__") || k.starts_with("metrics__")
            };
            if bad_routed {
                return Err(value_err(format!(
                    "routed parameter {k}={} is not supported by kiln's wrapper (fit__ takes batch_size, epochs, verbose, shuffle, validation_split; predict__ takes batch_size, verbose)",
                    py_str(v)
                )));
            }
            if let Some(rest) = k.strip_prefix("optimizer__")
                && (rest != "learning_rate" || v.as_f64().is_none())
            {
                return Err(value_err(format!(
                    "routed parameter {k}={} is not supported by kiln's wrapper (optimizer__ takes learning_rate)",
                    py_str(v)
                )));
            }
        }
        Ok(Settings {
            fit_batch_size: fit_batch,
            predict_batch_size: predict_batch,
            epochs,
            fit_verbose,
            predict_verbose,
            shuffle,
            validation_split,
            validation_batch_size,
            random_state,
            warm_start,
            balanced,
        })
    }
}

fn resolve_batch(b: Option<i64>, n: usize) -> usize {
    match b {
        None => 32,
        Some(-1) => n.max(1),
        Some(b) => b as usize,
    }
}

/// The parameter handling, build and fit shared by the two wrappers (scikeras's
/// `BaseWrapper`).
#[derive(Clone)]
struct Base {
    name: &'static str,
    model: ModelFn,
    classifier: bool,
    params: Params,
    /// names given by the user beyond the hard-coded ones (scikeras's `_user_params`)
    user: Vec<String>,
}

fn hardcoded(classifier: bool) -> Params {
    let mut p = Params::new();
    p.insert("batch_size".into(), Param::None);
    p.insert("callbacks".into(), Param::None);
    p.insert("epochs".into(), Param::Int(1));
    p.insert("loss".into(), Param::None);
    p.insert("metrics".into(), Param::None);
    p.insert("optimizer".into(), Param::Str("rmsprop".into()));
    p.insert("random_state".into(), Param::None);
    p.insert("run_eagerly".into(), Param::Bool(false));
    p.insert("shuffle".into(), Param::Bool(true));
    p.insert("validation_batch_size".into(), Param::None);
    p.insert("validation_split".into(), Param::Float(0.0));
    p.insert("verbose".into(), Param::Int(1));
    p.insert("warm_start".into(), Param::Bool(false));
    if classifier {
        p.insert("class_weight".into(), Param::None);
    }
    p
}

impl Base {
    fn new(name: &'static str, model: ModelFn, classifier: bool) -> Base {
        Base {
            name,
            model,
            classifier,
            params: hardcoded(classifier),
            user: Vec::new(),
        }
    }

    fn is_routed(key: &str) -> bool {
        ROUTING_PREFIXES
            .iter()
            .any(|p| key.strip_prefix(p).is_some_and(|r| r.starts_with("__")))
    }

    /// Constructor keyword (`KerasClassifier(model, units=8, model__units=8)`): any name.
    fn add(&mut self, key: &str, value: Param) {
        if !self.params.contains_key(key) && !self.user.iter().any(|u| u == key) {
            self.user.push(key.to_string());
        }
        self.params.insert(key.to_string(), value);
    }

    fn set_params(&mut self, params: &Params) -> Result<()> {
        let mut next = self.params.clone();
        let mut user = self.user.clone();
        for (k, v) in params {
            if Self::is_routed(k) || next.contains_key(k) {
                if !next.contains_key(k) {
                    user.push(k.clone());
                }
                next.insert(k.clone(), v.clone());
            } else {
                let n = self.name;
                return Err(value_err(format!(
                    "Invalid parameter {k} for estimator {n}.\nThis issue can likely be resolved by setting this parameter in the {n} constructor:\n`{n}({k}={})`\nCheck the list of available parameters with `estimator.get_params().keys()`",
                    py_str(v)
                )));
            }
        }
        Settings::read(&next, self.classifier)?;
        self.params = next;
        self.user = user;
        Ok(())
    }

    /// scikeras's `route_params(params, "model", pass_filter=_user_params)`.
    fn routed(&self) -> Params {
        let mut out = Params::new();
        for k in &self.user {
            if !k.contains("__")
                && let Some(v) = self.params.get(k)
            {
                out.insert(k.clone(), v.clone());
            }
        }
        for (k, v) in &self.params {
            if let Some(rest) = k.strip_prefix("model__") {
                out.insert(rest.to_string(), v.clone());
            }
        }
        out
    }

    fn build(&self, meta: &Meta) -> Result<Model> {
        let args = BuildArgs {
            routed: self.routed(),
            all: &self.params,
            meta,
        };
        let mut model = (self.model)(&args).map_err(from_kiln)?;
        if !model.is_compiled() {
            if matches!(self.params.get("loss"), None | Some(Param::None)) {
                return Err(value_err(
                    "You must provide a loss or a compiled model".to_string(),
                ));
            }
            model
                .compile(compile_args(&self.params).map_err(from_kiln)?)
                .map_err(from_kiln)?;
        }
        Ok(model)
    }

    /// Builds (unless warm-starting `previous`) and fits.
    fn fit(
        &self,
        previous: Option<Model>,
        meta: &Meta,
        x: Tensor,
        y: Tensor,
        sample_weight: Option<Tensor>,
    ) -> Result<Model> {
        let s = Settings::read(&self.params, self.classifier)?;
        let n = x.shape()[0];
        let _guard = s
            .random_state
            .map(|_| SEEDED_FIT.lock().unwrap_or_else(|e| e.into_inner()));
        if let Some(seed) = s.random_state {
            kiln::utils::set_random_seed(seed);
        }
        let mut model = match previous {
            Some(m) if s.warm_start => m,
            _ => self.build(meta)?,
        };
        let mut args = FitArgs::new()
            .batch_size(resolve_batch(s.fit_batch_size, n))
            .epochs(s.epochs)
            .verbose(s.fit_verbose)
            .shuffle(s.shuffle)
            .validation_split(s.validation_split);
        if let Some(vb) = s.validation_batch_size {
            args = args.validation_batch_size(resolve_batch(Some(vb), n));
        }
        if let Some(w) = sample_weight {
            args = args.sample_weight(w);
        }
        if s.epochs > 0 {
            model.fit(x, y, args).map_err(from_kiln)?;
        }
        Ok(model)
    }

    fn predict_raw(&self, model: &Mutex<Model>, x: &Matrix) -> Result<(Vec<f32>, usize)> {
        let s = Settings::read(&self.params, self.classifier)?;
        let n = x.n_rows();
        let xt = to_tensor(x)?;
        let mut m = model.lock().unwrap_or_else(|e| e.into_inner());
        let out = m
            .predict(
                xt,
                PredictArgs::new()
                    .batch_size(resolve_batch(s.predict_batch_size, n))
                    .verbose(s.predict_verbose),
            )
            .map_err(from_kiln)?;
        let width = if out.shape().len() <= 1 {
            1
        } else {
            out.shape()[1..].iter().product()
        };
        let values = out
            .cast(kiln_tensor::DType::F32)
            .and_then(|t| t.to_vec::<f32>())
            .map_err(|e| value_err(e.to_string()))?;
        Ok((values, width))
    }
}

fn to_tensor(x: &Matrix) -> Result<Tensor> {
    let data: Vec<f32> = x.as_slice().iter().map(|&v| v as f32).collect();
    Tensor::from_vec(data, &[x.n_rows(), x.n_cols()]).map_err(|e| value_err(e.to_string()))
}

fn check_fit_input(x: &Matrix, n_y: usize) -> Result<()> {
    if x.n_rows() != n_y {
        return Err(LearnError::InconsistentLength {
            lengths: vec![x.n_rows(), n_y],
        });
    }
    if x.n_rows() == 0 {
        return Err(LearnError::NoSamples);
    }
    Ok(())
}

fn check_features(name: &str, fitted: usize, x: &Matrix) -> Result<()> {
    if x.n_cols() != fitted {
        return Err(value_err(format!(
            "X has shape ({},), but this {name} is expecting X of shape ({fitted},)",
            x.n_cols()
        )));
    }
    Ok(())
}

fn not_fitted() -> LearnError {
    LearnError::Value("Estimator needs to be fit before `predict` can be called".to_string())
}

struct ClassifierFit<L> {
    model: Mutex<Model>,
    classes: Vec<L>,
    meta: Meta,
}

/// scikeras's `KerasClassifier` (see the [module docs](self)).
pub struct KerasClassifier<L: Label = i64> {
    base: Base,
    fitted: Option<ClassifierFit<L>>,
}

impl<L: Label> Clone for KerasClassifier<L> {
    /// scikit-learn's `clone`: the same parameters and factory, not fitted.
    fn clone(&self) -> Self {
        KerasClassifier {
            base: self.base.clone(),
            fitted: None,
        }
    }
}

impl<L: Label> std::fmt::Debug for KerasClassifier<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KerasClassifier")
            .field("params", &self.base.params)
            .field("fitted", &self.fitted.is_some())
            .finish()
    }
}

impl<L: Label + Send + Sync + 'static> KerasClassifier<L> {
    /// A classifier around a model factory, with scikeras's defaults.
    pub fn new(
        model: impl Fn(&BuildArgs<'_>) -> kiln::Result<Model> + Send + Sync + 'static,
    ) -> Self {
        KerasClassifier {
            base: Base::new("KerasClassifier", Arc::new(model), true),
            fitted: None,
        }
    }

    /// A constructor keyword argument: a hard-coded parameter (`epochs`, `batch_size`,
    /// ...), a routed one (`model__units`, `fit__batch_size`) or a user parameter passed
    /// to the factory. Invalid values are reported by `fit`.
    pub fn param(mut self, key: &str, value: impl Into<Param>) -> Self {
        self.base.add(key, value.into());
        self
    }

    /// The fitted Keras model (`model_`), locked for use.
    pub fn model(&self) -> Result<std::sync::MutexGuard<'_, Model>> {
        let f = self.fitted.as_ref().ok_or_else(not_fitted)?;
        Ok(f.model.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The fit metadata (`n_features_in_`, `target_type_`, `n_classes_`, ...).
    pub fn meta(&self) -> Result<&Meta> {
        Ok(&self.fitted.as_ref().ok_or_else(not_fitted)?.meta)
    }

    /// Keras's own `evaluate` of the fitted model on `x` and `y` (targets encoded as
    /// `fit` encodes them): the logs by name (`loss`, `accuracy`, ...).
    pub fn evaluate(&self, x: &Matrix, y: &[L]) -> Result<Vec<(String, f64)>> {
        let f = self.fitted.as_ref().ok_or_else(not_fitted)?;
        check_fit_input(x, y.len())?;
        let yt = self.encode(&f.classes, y)?;
        let mut m = f.model.lock().unwrap_or_else(|e| e.into_inner());
        let logs = m
            .evaluate(to_tensor(x)?, yt, EvaluateArgs::new().verbose(0))
            .map_err(from_kiln)?;
        Ok(logs.iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    fn one_hot(&self) -> bool {
        matches!(self.base.params.get("loss"), Some(Param::Str(s)) if s == "categorical_crossentropy")
    }

    fn encode(&self, classes: &[L], y: &[L]) -> Result<Tensor> {
        let codes: Vec<usize> = y
            .iter()
            .map(|l| {
                classes.binary_search(l).map_err(|_| {
                    value_err(format!(
                        "Found unknown categories [{}] in column 0 during transform",
                        l.py_str()
                    ))
                })
            })
            .collect::<Result<_>>()?;
        let k = classes.len();
        let t = if self.one_hot() && k > 2 {
            let mut data = vec![0f32; y.len() * k];
            for (i, &c) in codes.iter().enumerate() {
                data[i * k + c] = 1.0;
            }
            Tensor::from_vec(data, &[y.len(), k])
        } else {
            Tensor::from_vec(codes.iter().map(|&c| c as f32).collect(), &[y.len(), 1])
        };
        t.map_err(|e| value_err(e.to_string()))
    }

    /// `partial_fit`: one epoch continuing from the current model (building it on the
    /// first call).
    pub fn partial_fit(&mut self, x: &Matrix, y: &[L]) -> Result<()> {
        let saved = self.base.params.clone();
        self.base
            .params
            .insert("warm_start".into(), Param::Bool(true));
        self.base.params.insert("epochs".into(), Param::Int(1));
        self.base.params.remove("fit__epochs");
        let r = self.fit(x, y);
        self.base.params = saved;
        r
    }
}

impl<L: Label + Send + Sync + 'static> Estimator for KerasClassifier<L> {
    type Target = L;

    fn estimator_name(&self) -> &'static str {
        "KerasClassifier"
    }

    fn get_params(&self) -> Params {
        self.base.params.clone()
    }

    fn set_params(&mut self, params: &Params) -> Result<()> {
        self.base.set_params(params)
    }

    fn fit(&mut self, x: &Matrix, y: &[L]) -> Result<()> {
        check_fit_input(x, y.len())?;
        let s = Settings::read(&self.base.params, true)?;
        let (classes, codes) = {
            let mut c: Vec<L> = y.to_vec();
            c.sort();
            c.dedup();
            let codes: Vec<usize> = y.iter().map(|l| c.binary_search(l).unwrap_or(0)).collect();
            (c, codes)
        };
        let k = classes.len();
        let meta = Meta {
            n_features_in: x.n_cols(),
            target_type: if k <= 2 { "binary" } else { "multiclass" },
            n_classes: Some(k),
            n_outputs: 1,
            n_outputs_expected: 1,
        };
        let sample_weight = if s.balanced {
            let mut counts = vec![0usize; k];
            for &c in &codes {
                counts[c] += 1;
            }
            let n = y.len() as f64;
            let w: Vec<f32> = codes
                .iter()
                .map(|&c| (n / (k as f64 * counts[c] as f64)) as f32)
                .collect();
            Some(Tensor::from_vec(w, &[y.len()]).map_err(|e| value_err(e.to_string()))?)
        } else {
            None
        };
        let yt = self.encode(&classes, y)?;
        let previous = self
            .fitted
            .take()
            .map(|f| f.model.into_inner().unwrap_or_else(|e| e.into_inner()));
        let model = self
            .base
            .fit(previous, &meta, to_tensor(x)?, yt, sample_weight)?;
        self.fitted = Some(ClassifierFit {
            model: Mutex::new(model),
            classes,
            meta,
        });
        Ok(())
    }

    fn is_classifier(&self) -> bool {
        true
    }
}

impl<L: Label + Send + Sync + 'static> Predictor for KerasClassifier<L> {
    fn predict(&self, x: &Matrix) -> Result<Vec<L>> {
        let f = self.fitted.as_ref().ok_or_else(not_fitted)?;
        let proba = self.predict_proba(x)?;
        Ok(proba
            .rows()
            .map(|row| {
                let mut best = 0;
                for (i, &v) in row.iter().enumerate() {
                    if v > row[best] {
                        best = i;
                    }
                }
                f.classes[best.min(f.classes.len() - 1)].clone()
            })
            .collect())
    }

    fn score(&self, x: &Matrix, y: &[L]) -> Result<f64> {
        let pred = self.predict(x)?;
        kiln_learn::metrics::accuracy_score(y, &pred, true, None)
    }
}

impl<L: Label + Send + Sync + 'static> Classifier for KerasClassifier<L> {
    fn classes(&self) -> Result<&[L]> {
        Ok(&self.fitted.as_ref().ok_or_else(not_fitted)?.classes)
    }

    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        let f = self.fitted.as_ref().ok_or_else(not_fitted)?;
        check_features("KerasClassifier", f.meta.n_features_in, x)?;
        let (values, width) = self.base.predict_raw(&f.model, x)?;
        let n = x.n_rows();
        let k = f.classes.len();
        if width == 1 && k <= 2 {
            // a single sigmoid output: [1 - p, p] (in float32, as NumPy on the model's output)
            let mut data = Vec::with_capacity(n * 2);
            for &p in &values {
                data.push(f64::from(1.0f32 - p));
                data.push(f64::from(p));
            }
            return Matrix::new(data, n, 2);
        }
        if width != k {
            return Err(value_err(format!(
                "the model has {width} outputs per sample but the target has {k} classes; a classifier needs one sigmoid output (binary) or one output per class"
            )));
        }
        Matrix::new(values.iter().map(|&v| f64::from(v)).collect(), n, width)
    }
}

impl<L: Label + Send + Sync + 'static> Scorable for KerasClassifier<L> {
    fn score_with(&self, scorer: &Scorer, x: &Matrix, y: &[L]) -> Result<f64> {
        score_classifier(self, scorer, x, y)
    }
}

struct RegressorFit {
    model: Mutex<Model>,
    meta: Meta,
}

/// scikeras's `KerasRegressor` (see the [module docs](self)).
///
/// ```
/// use kiln::layers::Dense;
/// use kiln::models::{CompileArgs, Model};
/// use kiln_learn::estimator::{Estimator, Predictor};
/// use kiln_learn::Matrix;
/// use kiln_tuner::scikeras::{BuildArgs, KerasRegressor};
///
/// // an uncompiled model: the wrapper compiles it with its optimizer and loss
/// let build = |a: &BuildArgs| Model::sequential(vec![Dense::new(1).input_shape(&[a.meta().n_features_in]).into()]);
/// let mut reg = KerasRegressor::new(build)
///     .param("loss", "mse").param("optimizer", "sgd").param("optimizer__learning_rate", 0.1)
///     .param("epochs", 40).param("batch_size", -1).param("verbose", 0).param("random_state", 1);
/// let x = Matrix::from_rows(&[[0.0], [1.0], [2.0], [3.0]])?;
/// let y = [1.0, 3.0, 5.0, 7.0];
/// reg.fit(&x, &y)?;
/// assert!(reg.score(&x, &y)? > 0.9);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
pub struct KerasRegressor {
    base: Base,
    fitted: Option<RegressorFit>,
}

impl Clone for KerasRegressor {
    /// scikit-learn's `clone`: the same parameters and factory, not fitted.
    fn clone(&self) -> Self {
        KerasRegressor {
            base: self.base.clone(),
            fitted: None,
        }
    }
}

impl std::fmt::Debug for KerasRegressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KerasRegressor")
            .field("params", &self.base.params)
            .field("fitted", &self.fitted.is_some())
            .finish()
    }
}

impl KerasRegressor {
    /// A regressor around a model factory, with scikeras's defaults.
    pub fn new(
        model: impl Fn(&BuildArgs<'_>) -> kiln::Result<Model> + Send + Sync + 'static,
    ) -> Self {
        KerasRegressor {
            base: Base::new("KerasRegressor", Arc::new(model), false),
            fitted: None,
        }
    }

    /// A constructor keyword argument (see [`KerasClassifier::param`]).
    pub fn param(mut self, key: &str, value: impl Into<Param>) -> Self {
        self.base.add(key, value.into());
        self
    }

    /// The fitted Keras model (`model_`), locked for use.
    pub fn model(&self) -> Result<std::sync::MutexGuard<'_, Model>> {
        let f = self.fitted.as_ref().ok_or_else(not_fitted)?;
        Ok(f.model.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The fit metadata.
    pub fn meta(&self) -> Result<&Meta> {
        Ok(&self.fitted.as_ref().ok_or_else(not_fitted)?.meta)
    }
}

impl Estimator for KerasRegressor {
    type Target = f64;

    fn estimator_name(&self) -> &'static str {
        "KerasRegressor"
    }

    fn get_params(&self) -> Params {
        self.base.params.clone()
    }

    fn set_params(&mut self, params: &Params) -> Result<()> {
        self.base.set_params(params)
    }

    fn fit(&mut self, x: &Matrix, y: &[f64]) -> Result<()> {
        check_fit_input(x, y.len())?;
        let meta = Meta {
            n_features_in: x.n_cols(),
            target_type: "continuous",
            n_classes: None,
            n_outputs: 1,
            n_outputs_expected: 1,
        };
        let yt = Tensor::from_vec(y.iter().map(|&v| v as f32).collect(), &[y.len(), 1])
            .map_err(|e| value_err(e.to_string()))?;
        let previous = self
            .fitted
            .take()
            .map(|f| f.model.into_inner().unwrap_or_else(|e| e.into_inner()));
        let model = self.base.fit(previous, &meta, to_tensor(x)?, yt, None)?;
        self.fitted = Some(RegressorFit {
            model: Mutex::new(model),
            meta,
        });
        Ok(())
    }
}

impl Predictor for KerasRegressor {
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>> {
        let f = self.fitted.as_ref().ok_or_else(not_fitted)?;
        check_features("KerasRegressor", f.meta.n_features_in, x)?;
        let (values, width) = self.base.predict_raw(&f.model, x)?;
        if width != 1 {
            return Err(value_err(format!(
                "the model has {width} outputs per sample; KerasRegressor supports a single output"
            )));
        }
        Ok(values.iter().map(|&v| f64::from(v)).collect())
    }

    fn score(&self, x: &Matrix, y: &[f64]) -> Result<f64> {
        let pred = self.predict(x)?;
        kiln_learn::metrics::r2_score(y, &pred, None, true)
    }
}

impl Regressor for KerasRegressor {}

impl Scorable for KerasRegressor {
    fn score_with(&self, scorer: &Scorer, x: &Matrix, y: &[f64]) -> Result<f64> {
        score_regressor(self, scorer, x, y)
    }
}
