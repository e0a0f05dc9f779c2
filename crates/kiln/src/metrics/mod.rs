//! Metrics, as `keras.metrics`: stateful objects with `update_state`, `result` and
//! `reset_state`. State is kept in f64 on the host; updates never record on a tape.

mod accuracy;
mod auc;
mod confusion;
mod f_score;
mod mean;

pub use accuracy::{
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy, top_k_categorical_accuracy, Accuracy, BinaryAccuracy,
    CategoricalAccuracy, SparseCategoricalAccuracy, SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
};
pub use auc::{Curve, AUC};
pub use confusion::{
    FalseNegatives, FalsePositives, Precision, Recall, TrueNegatives, TruePositives,
};
pub use f_score::{Average, F1Score, FBetaScore};
pub use mean::{Mean, MeanMetricWrapper, RootMeanSquaredError, Sum};

use kiln_tensor::Tensor;

use crate::{Error, Result};

/// A stateful metric (`keras.metrics.Metric`). Updates never record on a gradient tape.
pub trait Metric: Send {
    /// The name used in logs and `History` (`"accuracy"`, `"mae"`, ...).
    fn name(&self) -> &str;
    /// Accumulates a batch.
    fn update_state(
        &mut self,
        y_true: &Tensor,
        y_pred: &Tensor,
        sample_weight: Option<&Tensor>,
    ) -> Result<()>;
    /// The current value (0 before any update, as Keras).
    fn result(&self) -> f64;
    /// Clears the accumulated state.
    fn reset_state(&mut self);
    /// Keras-compatible config.
    fn get_config(&self) -> serde_json::Value;
    /// The Keras class name saved with the config (`"Precision"`, `"AUC"`). A custom
    /// metric registered with [`crate::saving::register_metric`] returns the class name
    /// it was registered under.
    fn class_name(&self) -> String {
        crate::utils::to_camel_case(self.name())
    }
}

const NAMES: &str = "accuracy, binary_accuracy, categorical_accuracy, \
sparse_categorical_accuracy, top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, \
mean_squared_error (mse), mean_absolute_error (mae), mean_absolute_percentage_error (mape), \
mean_squared_logarithmic_error (msle), root_mean_squared_error, log_cosh_error, \
binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy, \
kl_divergence, poisson, hinge, squared_hinge, categorical_hinge, cosine_similarity, \
precision, recall, auc, f1_score, true_positives, true_negatives, false_positives, \
false_negatives";

fn wrap(
    name: &str,
    f: impl Fn(&Tensor, &Tensor) -> Result<Tensor> + Send + Sync + 'static,
) -> Box<dyn Metric> {
    Box::new(MeanMetricWrapper::new(name, f))
}

/// Resolves a metric identifier as `keras.metrics.get` does (`"mae"`, `"auc"`, class
/// names). `"accuracy"` here is plain element-wise [`Accuracy`]; `compile` resolves it
/// from the loss and shapes instead, as Keras does.
///
/// ```
/// let m = kiln::metrics::get("mae").unwrap();
/// assert_eq!(m.name(), "mean_absolute_error");
/// assert!(kiln::metrics::get("maee").is_err());
/// ```
pub fn get(identifier: &str) -> Result<Box<dyn Metric>> {
    use crate::losses as l;
    let snake = crate::utils::to_snake_case(identifier);
    Ok(match snake.as_str() {
        "accuracy" | "acc" => Box::new(Accuracy::new()),
        "binary_accuracy" => Box::new(BinaryAccuracy::new()),
        "categorical_accuracy" => Box::new(CategoricalAccuracy::new()),
        "sparse_categorical_accuracy" => Box::new(SparseCategoricalAccuracy::new()),
        "top_k_categorical_accuracy" => Box::new(TopKCategoricalAccuracy::new()),
        "sparse_top_k_categorical_accuracy" => Box::new(SparseTopKCategoricalAccuracy::new()),
        "mse" | "mean_squared_error" => wrap("mean_squared_error", l::mean_squared_error),
        "mae" | "mean_absolute_error" => wrap("mean_absolute_error", l::mean_absolute_error),
        "mape" | "mean_absolute_percentage_error" => wrap(
            "mean_absolute_percentage_error",
            l::mean_absolute_percentage_error,
        ),
        "msle" | "mean_squared_logarithmic_error" => wrap(
            "mean_squared_logarithmic_error",
            l::mean_squared_logarithmic_error,
        ),
        "rmse" | "root_mean_squared_error" => Box::new(RootMeanSquaredError::new()),
        "log_cosh_error" | "logcosh" | "log_cosh" => wrap("logcosh", l::log_cosh),
        "binary_crossentropy" => wrap("binary_crossentropy", |t, p| {
            l::binary_crossentropy(t, p, false, 0.0, -1)
        }),
        "categorical_crossentropy" => wrap("categorical_crossentropy", |t, p| {
            l::categorical_crossentropy(t, p, false, 0.0, -1)
        }),
        "sparse_categorical_crossentropy" => wrap("sparse_categorical_crossentropy", |t, p| {
            l::sparse_categorical_crossentropy(t, p, false)
        }),
        "kld" | "kl_divergence" => wrap("kl_divergence", l::kl_divergence),
        "poisson" => wrap("poisson", l::poisson),
        "hinge" => wrap("hinge", l::hinge),
        "squared_hinge" => wrap("squared_hinge", l::squared_hinge),
        "categorical_hinge" => wrap("categorical_hinge", l::categorical_hinge),
        "cosine_similarity" => wrap("cosine_similarity", |t, p| {
            Ok(l::cosine_similarity(t, p, -1)?.neg()?)
        }),
        "precision" => Box::new(Precision::new()),
        "recall" => Box::new(Recall::new()),
        "auc" => Box::new(AUC::new()),
        "f1_score" => Box::new(F1Score::new()),
        "true_positives" => Box::new(TruePositives::new()),
        "true_negatives" => Box::new(TrueNegatives::new()),
        "false_positives" => Box::new(FalsePositives::new()),
        "false_negatives" => Box::new(FalseNegatives::new()),
        _ => {
            return crate::saving::registered_metric_fn(identifier).ok_or_else(|| {
                Error::InvalidArgument {
                    api: "metrics.get",
                    msg: format!(
                        "unknown metric '{identifier}'; expected one of: {NAMES}, or a metric \
                         function registered with kiln::saving::register_metric_fn"
                    ),
                }
            })
        }
    })
}
