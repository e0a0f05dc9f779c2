//! Losses, as `keras.losses`: functions that give one loss per sample, and [`Loss`] objects
//! that add `reduction` and `sample_weight` on top.
//!
//! Crossentropies on the output of a `softmax`/`sigmoid` activation use the logits that
//! activation saw, as Keras with the TensorFlow backend does (stable, no clipping);
//! otherwise probabilities are clipped to `[1e-7, 1 - 1e-7]`.

mod binary_focal;
mod categorical_focal;
mod circle;
mod config;
mod ctc;
mod dice;
mod functions;
mod generalized_cross_entropy;
mod objects;
pub(crate) use objects::fn_name;
mod reduction;
mod tversky;

pub use binary_focal::{binary_focal_crossentropy, BinaryFocalCrossentropy};
pub use categorical_focal::{categorical_focal_crossentropy, CategoricalFocalCrossentropy};
pub use circle::{circle, Circle};
pub(crate) use config::parse_reduction;
pub use config::LossAxis;
pub use ctc::{ctc, CTC};
pub use dice::{dice, Dice};
pub use generalized_cross_entropy::{
    categorical_generalized_cross_entropy, CategoricalGeneralizedCrossEntropy,
};
pub use tversky::{tversky, Tversky};

pub use functions::{
    binary_crossentropy, categorical_crossentropy, categorical_hinge, cosine_similarity, hinge,
    huber, kl_divergence, log_cosh, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_error, mean_squared_logarithmic_error, poisson, sparse_categorical_crossentropy,
    squared_hinge,
};
pub use objects::{
    BinaryCrossentropy, CategoricalCrossentropy, CategoricalHinge, CosineSimilarity, Hinge, Huber,
    KLDivergence, LogCosh, LossFn, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredError, MeanSquaredLogarithmicError, Poisson, SparseCategoricalCrossentropy,
    SquaredHinge,
};
pub use reduction::{reduce_weighted, squeeze_or_expand_to_same_rank};

use kiln_tensor::Tensor;

use crate::{Error, Result};

/// How a [`Loss`] object reduces per-sample losses (Keras 3's `reduction` argument).
///
/// ```
/// assert_eq!(kiln::losses::Reduction::default(), kiln::losses::Reduction::SumOverBatchSize);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reduction {
    /// `"sum_over_batch_size"` (Keras's default): weighted sum divided by the number of
    /// elements of the per-sample loss.
    #[default]
    SumOverBatchSize,
    /// `"sum"`: weighted sum.
    Sum,
    /// `None`: the weighted per-sample losses, unreduced.
    None,
    /// `"mean"`: like `SumOverBatchSize`.
    Mean,
    /// `"mean_with_sample_weight"`: weighted sum divided by the sum of the weights.
    MeanWithSampleWeight,
}

impl Reduction {
    /// Keras's string for the reduction.
    ///
    /// ```
    /// assert_eq!(kiln::losses::Reduction::Sum.as_str(), "sum");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Reduction::SumOverBatchSize => "sum_over_batch_size",
            Reduction::Sum => "sum",
            Reduction::None => "none",
            Reduction::Mean => "mean",
            Reduction::MeanWithSampleWeight => "mean_with_sample_weight",
        }
    }
}

/// A loss object (`keras.losses.Loss`).
///
/// `call` gives the unreduced loss (one value per sample, usually the last axis reduced);
/// `compute` is Keras's `__call__`: casts, applies `sample_weight` and the reduction.
/// Everything is built from differentiable tensor ops, so it can be used under a
/// `GradientTape`.
pub trait Loss: Send + Sync {
    /// The Keras name (`"mean_squared_error"`, ...).
    fn name(&self) -> &str;
    /// Per-sample losses for `y_true` and `y_pred`.
    fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor>;
    /// The reduction `compute` applies.
    fn reduction(&self) -> Reduction;
    /// Keras-compatible config (`{"name": ..., "reduction": ..., ...}`).
    fn get_config(&self) -> serde_json::Value;
    /// The Keras class name saved with the config (`"BinaryCrossentropy"`; `"function"`
    /// for a plain loss function). A custom loss registered with
    /// [`crate::saving::register_loss`] returns the class name it was registered under.
    fn class_name(&self) -> String {
        crate::utils::to_camel_case(self.name())
    }
    /// `loss(y_true, y_pred, sample_weight)`: per-sample losses, weighted, then reduced.
    fn compute(
        &self,
        y_true: &Tensor,
        y_pred: &Tensor,
        sample_weight: Option<&Tensor>,
    ) -> Result<Tensor> {
        // Losses run in float32, as Keras's do: half-precision predictions and targets
        // of mixed-precision models are cast first.
        let (y_true, y_pred) = (half_to_f32(y_true)?, half_to_f32(y_pred)?);
        let losses = self.call(&y_true, &y_pred)?;
        reduce_weighted(&losses, sample_weight, self.reduction())
    }
}

/// `x` cast to float32 when it is float16 or bfloat16.
pub(crate) fn half_to_f32(x: &Tensor) -> Result<Tensor> {
    Ok(match x.dtype() {
        kiln_tensor::DType::F16 | kiln_tensor::DType::BF16 => x.cast(kiln_tensor::DType::F32)?,
        _ => x.clone(),
    })
}

const NAMES: &str = "mean_squared_error (mse), mean_absolute_error (mae), \
mean_absolute_percentage_error (mape), mean_squared_logarithmic_error (msle), huber, \
log_cosh (logcosh), binary_crossentropy, categorical_crossentropy, \
sparse_categorical_crossentropy, kl_divergence (kld), poisson, hinge, squared_hinge, \
categorical_hinge, cosine_similarity, binary_focal_crossentropy, \
categorical_focal_crossentropy, categorical_generalized_cross_entropy, dice, tversky, circle, ctc";

/// Resolves a loss identifier as `keras.losses.get` does (`"mse"`,
/// `"sparse_categorical_crossentropy"`, class names such as `"MeanSquaredError"`), with
/// Keras's default arguments.
///
/// ```
/// let l = kiln::losses::get("mse").unwrap();
/// assert_eq!(l.name(), "mean_squared_error");
/// assert_eq!(kiln::losses::get("BinaryFocalCrossentropy").unwrap().name(), "binary_focal_crossentropy");
/// assert_eq!(kiln::losses::get("CTC").unwrap().class_name(), "CTC");
/// assert!(kiln::losses::get("msee").is_err());
/// ```
pub fn get(identifier: &str) -> Result<Box<dyn Loss>> {
    let snake = crate::utils::to_snake_case(identifier);
    Ok(match snake.as_str() {
        "mse" | "mean_squared_error" => Box::new(MeanSquaredError::new()),
        "mae" | "mean_absolute_error" => Box::new(MeanAbsoluteError::new()),
        "mape" | "mean_absolute_percentage_error" => Box::new(MeanAbsolutePercentageError::new()),
        "msle" | "mean_squared_logarithmic_error" => Box::new(MeanSquaredLogarithmicError::new()),
        "huber" | "huber_loss" => Box::new(Huber::new()),
        "log_cosh" | "logcosh" => Box::new(LogCosh::new()),
        "binary_crossentropy" => Box::new(BinaryCrossentropy::new()),
        "categorical_crossentropy" => Box::new(CategoricalCrossentropy::new()),
        "sparse_categorical_crossentropy" => Box::new(SparseCategoricalCrossentropy::new()),
        "kld" | "kl_divergence" | "kullback_leibler_divergence" => Box::new(KLDivergence::new()),
        "poisson" => Box::new(Poisson::new()),
        "hinge" => Box::new(Hinge::new()),
        "squared_hinge" => Box::new(SquaredHinge::new()),
        "categorical_hinge" => Box::new(CategoricalHinge::new()),
        "cosine_similarity" => Box::new(CosineSimilarity::new()),
        "binary_focal_crossentropy" => Box::new(BinaryFocalCrossentropy::new()),
        "categorical_focal_crossentropy" => Box::new(CategoricalFocalCrossentropy::new()),
        "categorical_generalized_cross_entropy" => {
            Box::new(CategoricalGeneralizedCrossEntropy::default())
        }
        "dice" => Box::new(Dice::new()),
        "tversky" => Box::new(Tversky::new()),
        "circle" => Box::new(Circle::new()),
        "ctc" | "c_t_c" => Box::new(CTC::new()),
        _ => {
            return crate::saving::registered_loss_fn(identifier).ok_or_else(|| {
                Error::InvalidArgument {
                    api: "losses.get",
                    msg: format!(
                        "unknown loss '{identifier}'; expected one of: {NAMES}, or a loss \
                         function registered with kiln::saving::register_loss_fn"
                    ),
                }
            })
        }
    })
}

/// `keras.losses.deserialize`: a loss from the form Keras writes (`"mse"`, or
/// `{"class_name": "Dice", "config": {...}}`, built-in or registered); a config kiln
/// cannot rebuild exactly is an `Err` saying what differs.
///
/// ```
/// use kiln::losses::{deserialize, Loss};
/// let l = deserialize(&serde_json::json!({"class_name": "Tversky", "config": {"alpha": 0.3}}))?;
/// assert_eq!(l.get_config()["alpha"], 0.3);
/// assert!(deserialize(&serde_json::json!({"class_name": "Nope", "config": {}})).is_err());
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn deserialize(v: &serde_json::Value) -> Result<Box<dyn Loss>> {
    crate::saving::deserialize_loss(v).map_err(|msg| Error::InvalidArgument {
        api: "losses.deserialize",
        msg,
    })
}
