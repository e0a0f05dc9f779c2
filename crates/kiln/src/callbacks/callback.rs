//! The `Callback` trait.

use crate::callbacks::Logs;
use crate::models::Model;
use crate::Result;

/// What the trainer tells callbacks before training (`callback.params` in Keras).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallbackParams {
    /// Verbosity of the run.
    pub verbose: u8,
    /// Number of epochs (0 outside `fit`).
    pub epochs: usize,
    /// Steps per epoch (or per evaluation/prediction run).
    pub steps: Option<usize>,
}

/// A training hook (`keras.callbacks.Callback`). Every method has an empty default;
/// implement the ones you need. Methods receive the model (to read or set weights, the
/// optimizer's learning rate, or `stop_training`) and the logs of the moment. Returning
/// an `Err` stops the run with that error.
///
/// ```
/// use kiln::callbacks::{Callback, Logs};
/// use kiln::models::Model;
/// struct CountEpochs(usize);
/// impl Callback for CountEpochs {
///     fn on_epoch_end(&mut self, _m: &mut Model, _epoch: usize, _logs: &mut Logs) -> kiln::Result<()> {
///         self.0 += 1;
///         Ok(())
///     }
/// }
/// ```
#[allow(unused_variables)]
pub trait Callback: Send {
    /// Receives the run's parameters before it starts.
    fn set_params(&mut self, params: &CallbackParams) {}
    /// Start of `fit`.
    fn on_train_begin(&mut self, model: &mut Model, logs: &Logs) -> Result<()> {
        Ok(())
    }
    /// End of `fit`.
    fn on_train_end(&mut self, model: &mut Model, logs: &Logs) -> Result<()> {
        Ok(())
    }
    /// Start of an epoch.
    fn on_epoch_begin(&mut self, model: &mut Model, epoch: usize, logs: &Logs) -> Result<()> {
        Ok(())
    }
    /// End of an epoch; `logs` has the epoch's training and validation results, and a
    /// callback may add to them (what later callbacks and `History` then see, as in
    /// Keras, where `ReduceLROnPlateau` writes `learning_rate`).
    fn on_epoch_end(&mut self, model: &mut Model, epoch: usize, logs: &mut Logs) -> Result<()> {
        Ok(())
    }
    /// Start of a training batch.
    fn on_train_batch_begin(&mut self, model: &mut Model, batch: usize, logs: &Logs) -> Result<()> {
        Ok(())
    }
    /// End of a training batch; `logs` has the running results of the epoch.
    fn on_train_batch_end(&mut self, model: &mut Model, batch: usize, logs: &Logs) -> Result<()> {
        Ok(())
    }
    /// Start of `evaluate` (also validation inside `fit`).
    fn on_test_begin(&mut self, model: &mut Model, logs: &Logs) -> Result<()> {
        Ok(())
    }
    /// End of `evaluate`.
    fn on_test_end(&mut self, model: &mut Model, logs: &Logs) -> Result<()> {
        Ok(())
    }
    /// Start of an evaluation batch.
    fn on_test_batch_begin(&mut self, model: &mut Model, batch: usize, logs: &Logs) -> Result<()> {
        Ok(())
    }
    /// End of an evaluation batch.
    fn on_test_batch_end(&mut self, model: &mut Model, batch: usize, logs: &Logs) -> Result<()> {
        Ok(())
    }
    /// Start of `predict`.
    fn on_predict_begin(&mut self, model: &mut Model, logs: &Logs) -> Result<()> {
        Ok(())
    }
    /// End of `predict`.
    fn on_predict_end(&mut self, model: &mut Model, logs: &Logs) -> Result<()> {
        Ok(())
    }
    /// Start of a prediction batch.
    fn on_predict_batch_begin(
        &mut self,
        model: &mut Model,
        batch: usize,
        logs: &Logs,
    ) -> Result<()> {
        Ok(())
    }
    /// End of a prediction batch.
    fn on_predict_batch_end(&mut self, model: &mut Model, batch: usize, logs: &Logs) -> Result<()> {
        Ok(())
    }
}
