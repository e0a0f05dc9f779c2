//! Metrics, as `keras.metrics`: stateful objects with `update_state`, `result` and
//! `reset_state`.

use kiln_tensor::Tensor;

use crate::Result;

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
}

/// Resolves a metric identifier as `keras.metrics.get` does (`"mae"`, `"auc"`, ...).
/// `"accuracy"`/`"acc"` need the loss and shapes to resolve; see the trainer.
pub fn get(identifier: &str) -> Result<Box<dyn Metric>> {
    Err(crate::Error::InvalidArgument {
        api: "metrics.get",
        msg: format!("unknown metric '{identifier}'"),
    })
}
