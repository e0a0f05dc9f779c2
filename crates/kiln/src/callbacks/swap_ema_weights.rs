//! `keras.callbacks.SwapEMAWeights`: evaluates (and predicts) with the optimizer's
//! moving averages of the weights instead of the weights.

use crate::callbacks::{Callback, CallbackParams, Logs};
use crate::models::Model;
use crate::{Error, Result};

/// Swaps the model's trainable weights with the optimizer's exponential moving averages
/// (the optimizer must have `use_ema`) around evaluation and prediction, and with
/// `swap_on_epoch` at the end of each epoch (back at the start of the next; after the
/// last epoch the averages stay in the model), as `keras.callbacks.SwapEMAWeights`.
///
/// ```
/// use kiln::callbacks::SwapEMAWeights;
/// let cb = SwapEMAWeights::new(true);
/// assert!(cb.swap_on_epoch());
/// ```
#[derive(Debug, Clone, Default)]
pub struct SwapEMAWeights {
    swap_on_epoch: bool,
    ema_in_model: bool,
    epochs: usize,
}

impl SwapEMAWeights {
    /// With `swap_on_epoch` (Keras's default is false).
    pub fn new(swap_on_epoch: bool) -> Self {
        SwapEMAWeights {
            swap_on_epoch,
            ..Default::default()
        }
    }
    /// Whether the averages are swapped in at the end of each epoch.
    pub fn swap_on_epoch(&self) -> bool {
        self.swap_on_epoch
    }

    fn swap(&mut self, model: &mut Model) -> Result<()> {
        let vars = model.trainable_weights();
        let opt = model
            .optimizer_mut()
            .ok_or_else(|| Error::InvalidArgument {
                api: "SwapEMAWeights",
                msg: "the model has no optimizer (compile it with one that has use_ema=True)"
                    .into(),
            })?;
        opt.swap_ema_weights(&vars)
    }
}

impl Callback for SwapEMAWeights {
    fn set_params(&mut self, params: &CallbackParams) {
        self.epochs = params.epochs;
    }
    fn on_epoch_begin(&mut self, model: &mut Model, _epoch: usize, _logs: &Logs) -> Result<()> {
        if self.swap_on_epoch && self.ema_in_model {
            self.swap(model)?;
            self.ema_in_model = false;
        }
        Ok(())
    }
    fn on_epoch_end(&mut self, model: &mut Model, epoch: usize, _logs: &mut Logs) -> Result<()> {
        if self.swap_on_epoch && !self.ema_in_model {
            self.swap(model)?;
            self.ema_in_model = true;
            if epoch + 1 == self.epochs {
                let vars = model.trainable_weights();
                if let Some(opt) = model.optimizer_mut() {
                    opt.set_ema_from_variables(&vars)?;
                }
            }
        }
        Ok(())
    }
    fn on_test_begin(&mut self, model: &mut Model, _logs: &Logs) -> Result<()> {
        if !self.ema_in_model {
            self.swap(model)?;
            self.ema_in_model = true;
        }
        Ok(())
    }
    fn on_test_end(&mut self, model: &mut Model, _logs: &Logs) -> Result<()> {
        if self.ema_in_model {
            self.swap(model)?;
            self.ema_in_model = false;
        }
        Ok(())
    }
    fn on_predict_begin(&mut self, model: &mut Model, _logs: &Logs) -> Result<()> {
        if !self.ema_in_model {
            self.swap(model)?;
            self.ema_in_model = true;
        }
        Ok(())
    }
    fn on_predict_end(&mut self, model: &mut Model, _logs: &Logs) -> Result<()> {
        // Keras's condition here is `not self._ema_weights_in_model`, so after a
        // prediction the averages stay swapped in; kiln does what Keras does.
        if !self.ema_in_model {
            self.swap(model)?;
            self.ema_in_model = false;
        }
        Ok(())
    }
}
