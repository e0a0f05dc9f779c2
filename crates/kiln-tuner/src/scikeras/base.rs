//! `BaseWrapper`: what `KerasClassifier` and `KerasRegressor` share (params, the model
//! build, fit and predict on tensors, input checks).

use std::sync::Mutex;

use kiln::models::{FitArgs, Model, PredictArgs};
use kiln_learn::estimator::{Param, Params};
use kiln_learn::{LearnError, Matrix, Result};
use kiln_tensor::Tensor;

use super::settings::{resolve_batch, Settings};
use super::{
    compile_args, from_kiln, py_str, value_err, BuildArgs, Meta, ModelFn, ROUTING_PREFIXES,
    SEEDED_FIT,
};

/// The parameter handling, build and fit shared by the two wrappers (scikeras's
/// `BaseWrapper`).
#[derive(Clone)]
pub(super) struct Base {
    pub(super) name: &'static str,
    pub(super) model: ModelFn,
    pub(super) classifier: bool,
    pub(super) params: Params,
    /// names given by the user beyond the hard-coded ones (scikeras's `_user_params`)
    pub(super) user: Vec<String>,
}

pub(super) fn hardcoded(classifier: bool) -> Params {
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
    pub(super) fn new(name: &'static str, model: ModelFn, classifier: bool) -> Base {
        Base {
            name,
            model,
            classifier,
            params: hardcoded(classifier),
            user: Vec::new(),
        }
    }

    pub(super) fn is_routed(key: &str) -> bool {
        ROUTING_PREFIXES
            .iter()
            .any(|p| key.strip_prefix(p).is_some_and(|r| r.starts_with("__")))
    }

    /// Constructor keyword (`KerasClassifier(model, units=8, model__units=8)`): any name.
    pub(super) fn add(&mut self, key: &str, value: Param) {
        if !self.params.contains_key(key) && !self.user.iter().any(|u| u == key) {
            self.user.push(key.to_string());
        }
        self.params.insert(key.to_string(), value);
    }

    pub(super) fn set_params(&mut self, params: &Params) -> Result<()> {
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
    pub(super) fn routed(&self) -> Params {
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

    pub(super) fn build(&self, meta: &Meta) -> Result<Model> {
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
    pub(super) fn fit(
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

    pub(super) fn predict_raw(
        &self,
        model: &Mutex<Model>,
        x: &Matrix,
    ) -> Result<(Vec<f32>, usize)> {
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

pub(super) fn to_tensor(x: &Matrix) -> Result<Tensor> {
    let data: Vec<f32> = x.as_slice().iter().map(|&v| v as f32).collect();
    Tensor::from_vec(data, &[x.n_rows(), x.n_cols()]).map_err(|e| value_err(e.to_string()))
}

pub(super) fn check_fit_input(x: &Matrix, n_y: usize) -> Result<()> {
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

pub(super) fn check_features(name: &str, fitted: usize, x: &Matrix) -> Result<()> {
    if x.n_cols() != fitted {
        return Err(value_err(format!(
            "X has shape ({},), but this {name} is expecting X of shape ({fitted},)",
            x.n_cols()
        )));
    }
    Ok(())
}

pub(super) fn not_fitted() -> LearnError {
    LearnError::Value("Estimator needs to be fit before `predict` can be called".to_string())
}
