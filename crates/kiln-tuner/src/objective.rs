//! `Objective(name, direction)` and Keras Tuner's inference of a metric's direction from
//! its name.

use crate::error::{Result, TunerError};

/// Metric names (as Keras resolves them) that Keras Tuner maximises.
const MAX_NAMES: &[&str] = &[
    "AUC",
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "Precision",
    "Recall",
    "SparseCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "TrueNegatives",
    "TruePositives",
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
    "auc",
    "precision",
    "recall",
    "true_positives",
    "true_negatives",
];

/// Names that resolve to a Keras metric or loss Keras Tuner minimises (everything Keras
/// knows that is not in [`MAX_NAMES`]).
const MIN_NAMES: &[&str] = &[
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "BinaryIoU",
    "CTC",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "CategoricalHinge",
    "Circle",
    "ConcordanceCorrelation",
    "CosineSimilarity",
    "Dice",
    "F1Score",
    "FBetaScore",
    "FalseNegatives",
    "FalsePositives",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "LogCoshError",
    "Loss",
    "Mean",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Metric",
    "PearsonCorrelation",
    "Poisson",
    "R2Score",
    "RootMeanSquaredError",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "Sum",
    "Tversky",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "categorical_hinge",
    "circle",
    "concordance_correlation",
    "cosine_similarity",
    "ctc",
    "dice",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "pearson_correlation",
    "poisson",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "tversky",
    "false_positives",
    "false_negatives",
    "mse",
    "mae",
    "mape",
    "msle",
    "f1_score",
    "r2_score",
    "root_mean_squared_error",
    "log_cosh_error",
    "mean",
    "sum",
];

/// `infer_metric_direction(name)`: `"min"`, `"max"`, or `None` for a name Keras does not
/// know. A `val_` and then a `weighted_` prefix are ignored; `loss`, `crossentropy` and
/// `ce` are minimised, `acc` and the accuracies, AUC, precision, recall and true
/// positives/negatives maximised, every other Keras metric or loss minimised.
///
/// ```
/// use kiln_tuner::objective::infer_metric_direction;
/// assert_eq!(infer_metric_direction("val_loss"), Some("min"));
/// assert_eq!(infer_metric_direction("val_accuracy"), Some("max"));
/// assert_eq!(infer_metric_direction("val_weighted_acc"), Some("max"));
/// assert_eq!(infer_metric_direction("mae"), Some("min"));
/// assert_eq!(infer_metric_direction("my_score"), None);
/// ```
pub fn infer_metric_direction(metric: &str) -> Option<&'static str> {
    let name = metric.strip_prefix("val_").unwrap_or(metric);
    let name = name.strip_prefix("weighted_").unwrap_or(name);
    if matches!(name, "loss" | "crossentropy" | "ce") {
        return Some("min");
    }
    if name == "acc" {
        return Some("max");
    }
    if MAX_NAMES.contains(&name) {
        Some("max")
    } else if MIN_NAMES.contains(&name) {
        Some("min")
    } else {
        None
    }
}

/// What a search optimises: a logged metric and whether lower or higher is better.
///
/// ```
/// use kiln_tuner::Objective;
/// let o = Objective::from_name("val_accuracy")?;
/// assert_eq!(o.direction(), "max");
/// assert_eq!(o.to_string(), r#"Objective(name="val_accuracy", direction="max")"#);
/// assert!(Objective::from_name("my_score").is_err());
/// let o = Objective::new("my_score", "min")?;
/// assert!(o.better_than(1.0, 2.0));
/// # Ok::<(), kiln_tuner::TunerError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Objective {
    name: String,
    direction: String,
}

impl Objective {
    /// `Objective(name, direction)` with `direction` `"min"` or `"max"`.
    pub fn new(name: &str, direction: &str) -> Result<Objective> {
        if direction != "min" && direction != "max" {
            return Err(TunerError::Value(format!(
                "`direction` should be one of {{\"min\", \"max\"}}, but got: {direction}"
            )));
        }
        Ok(Objective {
            name: name.into(),
            direction: direction.into(),
        })
    }

    /// An objective given by name, its direction inferred (`create_objective`).
    pub fn from_name(name: &str) -> Result<Objective> {
        match infer_metric_direction(name) {
            Some(d) => Objective::new(name, d),
            None => Err(TunerError::Value(format!(
                "Could not infer optimization direction (\"min\" or \"max\") for unknown metric \"{name}\". Please specify the objective  asa `keras_tuner.Objective`, for example `keras_tuner.Objective(\"{name}\", direction=\"min\")`."
            ))),
        }
    }

    /// `DefaultObjective`: `default_objective`, minimised (used when a hypermodel's
    /// fit returns a bare number).
    pub fn default_objective() -> Objective {
        Objective {
            name: "default_objective".into(),
            direction: "min".into(),
        }
    }

    /// The metric name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `"min"` or `"max"`.
    pub fn direction(&self) -> &str {
        &self.direction
    }

    /// Whether `a` is strictly better than `b`.
    pub fn better_than(&self, a: f64, b: f64) -> bool {
        (a > b && self.direction == "max") || (a < b && self.direction == "min")
    }
}

impl std::fmt::Display for Objective {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Objective(name=\"{}\", direction=\"{}\")",
            self.name, self.direction
        )
    }
}

/// An objective given as a name or as an [`Objective`].
pub trait IntoObjective {
    /// The objective.
    fn into_objective(self) -> Result<Objective>;
}

impl IntoObjective for &str {
    fn into_objective(self) -> Result<Objective> {
        Objective::from_name(self)
    }
}

impl IntoObjective for String {
    fn into_objective(self) -> Result<Objective> {
        Objective::from_name(&self)
    }
}

impl IntoObjective for Objective {
    fn into_objective(self) -> Result<Objective> {
        Ok(self)
    }
}
