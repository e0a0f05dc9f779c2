//! Metrics, as `keras.metrics`: stateful objects with `update_state`, `result` and
//! `reset_state`. State is kept in f64 on the host; updates never record on a tape.

mod accuracy;
mod auc;
mod config;
mod confusion;
mod correlation;
mod f_score;
mod iou;
mod mean;
mod r2_score;
mod sensitivity_specificity;

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
pub use correlation::{
    concordance_correlation, pearson_correlation, ConcordanceCorrelation, PearsonCorrelation,
};
pub use f_score::{Average, F1Score, FBetaScore};
pub use iou::{BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU};
pub use mean::{Mean, MeanMetricWrapper, RootMeanSquaredError, Sum};
pub use r2_score::{ClassAggregation, R2Score};
pub use sensitivity_specificity::{
    PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity,
};

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
false_negatives, r2_score, pearson_correlation, concordance_correlation; with their \
arguments (metrics::from_config): IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU, \
PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity";

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
        "log_cosh_error" | "logcosh" | "log_cosh" => {
            Box::new(MeanMetricWrapper::new("logcosh", l::log_cosh).with_class_name("LogCoshError"))
        }
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
        "r2_score" => Box::new(R2Score::new()),
        "pearson_correlation" => Box::new(PearsonCorrelation::new()),
        "concordance_correlation" => Box::new(ConcordanceCorrelation::new()),
        "binary_io_u" => Box::new(BinaryIoU::new(&[0, 1], 0.5)?),
        "io_u"
        | "mean_io_u"
        | "one_hot_io_u"
        | "one_hot_mean_io_u"
        | "precision_at_recall"
        | "recall_at_precision"
        | "sensitivity_at_specificity"
        | "specificity_at_sensitivity" => {
            return Err(Error::InvalidArgument {
                api: "metrics.get",
                msg: format!(
                    "metric '{identifier}' needs its arguments (Keras's constructor has \
                     required ones); build it with its type's new(...) or \
                     metrics::from_config"
                ),
            })
        }
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

/// A metric class kiln rebuilds from its whole Keras config (`Metric.from_config`):
/// the classes with arguments beyond their name. `None` for other class names.
///
/// ```
/// use kiln::metrics::from_config;
/// let m = from_config("MeanIoU", &serde_json::json!({"num_classes": 3})).unwrap()?;
/// assert_eq!(m.get_config()["num_classes"], 3);
/// assert!(from_config("PrecisionAtRecall", &serde_json::json!({"recall": 2.0})).unwrap().is_err());
/// assert!(from_config("Accuracy", &serde_json::json!({})).is_none());
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn from_config(
    class_name: &str,
    config: &serde_json::Value,
) -> Option<Result<Box<dyn Metric>>> {
    fn boxed<M: Metric + 'static>(m: Result<M>) -> Result<Box<dyn Metric>> {
        m.map(|m| Box::new(m) as Box<dyn Metric>)
    }
    Some(match class_name {
        "R2Score" => boxed(R2Score::from_config(config)),
        "PearsonCorrelation" => boxed(PearsonCorrelation::from_config(config)),
        "ConcordanceCorrelation" => boxed(ConcordanceCorrelation::from_config(config)),
        "IoU" => boxed(IoU::from_config(config)),
        "BinaryIoU" => boxed(BinaryIoU::from_config(config)),
        "MeanIoU" => boxed(MeanIoU::from_config(config)),
        "OneHotIoU" => boxed(OneHotIoU::from_config(config)),
        "OneHotMeanIoU" => boxed(OneHotMeanIoU::from_config(config)),
        "PrecisionAtRecall" => boxed(PrecisionAtRecall::from_config(config)),
        "RecallAtPrecision" => boxed(RecallAtPrecision::from_config(config)),
        "SensitivityAtSpecificity" => boxed(SensitivityAtSpecificity::from_config(config)),
        "SpecificityAtSensitivity" => boxed(SpecificityAtSensitivity::from_config(config)),
        _ => return None,
    })
}
