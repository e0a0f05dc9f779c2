//! Losses, as `keras.losses`: functions that give one loss per sample, and [`Loss`] objects
//! that add `reduction` and `sample_weight` on top.

use kiln_tensor::Tensor;

use crate::Result;

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
    /// `loss(y_true, y_pred, sample_weight)`: per-sample losses, weighted, then reduced.
    fn compute(
        &self,
        y_true: &Tensor,
        y_pred: &Tensor,
        sample_weight: Option<&Tensor>,
    ) -> Result<Tensor>;
}

/// Resolves a loss identifier as `keras.losses.get` does (`"mse"`,
/// `"sparse_categorical_crossentropy"`, ...), with Keras's default arguments.
pub fn get(identifier: &str) -> Result<Box<dyn Loss>> {
    Err(crate::Error::InvalidArgument {
        api: "losses.get",
        msg: format!("unknown loss '{identifier}'"),
    })
}
