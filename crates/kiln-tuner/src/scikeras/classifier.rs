//! SciKeras's `KerasClassifier`.

use std::sync::{Arc, Mutex};

use kiln::models::{EvaluateArgs, Model};
use kiln_learn::estimator::{
    score_classifier, Classifier, Estimator, Param, Params, Predictor, Scorable,
};
use kiln_learn::model_selection::Scorer;
use kiln_learn::{Label, Matrix, Result};
use kiln_tensor::Tensor;

use super::base::{check_features, check_fit_input, not_fitted, to_tensor, Base};
use super::settings::Settings;
use super::{from_kiln, value_err, BuildArgs, Meta};

pub(super) struct ClassifierFit<L> {
    pub(super) model: Mutex<Model>,
    pub(super) classes: Vec<L>,
    pub(super) meta: Meta,
}

/// scikeras's `KerasClassifier` (see the [module docs](self)).
pub struct KerasClassifier<L: Label = i64> {
    pub(super) base: Base,
    pub(super) fitted: Option<ClassifierFit<L>>,
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

    pub(super) fn one_hot(&self) -> bool {
        matches!(self.base.params.get("loss"), Some(Param::Str(s)) if s == "categorical_crossentropy")
    }

    pub(super) fn encode(&self, classes: &[L], y: &[L]) -> Result<Tensor> {
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
