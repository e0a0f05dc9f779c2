//! SciKeras's `KerasRegressor`.

use std::sync::{Arc, Mutex};

use kiln::models::Model;
use kiln_learn::estimator::{
    score_regressor, Estimator, Param, Params, Predictor, Regressor, Scorable,
};
use kiln_learn::model_selection::Scorer;
use kiln_learn::{Matrix, Result};
use kiln_tensor::Tensor;

use super::base::{check_features, check_fit_input, not_fitted, to_tensor, Base};
use super::{value_err, BuildArgs, Meta};

pub(super) struct RegressorFit {
    pub(super) model: Mutex<Model>,
    pub(super) meta: Meta,
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
    pub(super) base: Base,
    pub(super) fitted: Option<RegressorFit>,
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
