//! `ProgbarLogger`: prints Keras's progress bar during `fit`/`evaluate`/`predict`.

use crate::callbacks::{Callback, CallbackParams, Logs};
use crate::models::Model;
use crate::utils::Progbar;
use crate::Result;

/// Prints `Epoch i/N` and a progress bar per epoch (verbose 1), or one line per epoch
/// (verbose 2). `fit`, `evaluate` and `predict` add one when `verbose > 0`.
///
/// ```
/// let logger = kiln::callbacks::ProgbarLogger::default();
/// # drop(logger);
/// ```
#[derive(Default)]
pub struct ProgbarLogger {
    params: CallbackParams,
    bar: Option<Progbar>,
    seen: usize,
}

impl ProgbarLogger {
    fn start(&mut self) {
        self.seen = 0;
        self.bar = Some(Progbar::new(self.params.steps, self.params.verbose));
    }

    fn batch_update(&mut self, batch: usize, logs: &Logs) {
        self.seen = batch + 1;
        if let Some(bar) = &mut self.bar {
            let vals: Vec<(&str, f64)> = logs.sorted();
            bar.update_finalize(batch + 1, &vals, false);
        }
    }

    fn finalize(&mut self, logs: &Logs) {
        if let Some(bar) = &mut self.bar {
            let vals: Vec<(&str, f64)> = logs.sorted();
            let target = self.params.steps.unwrap_or(self.seen);
            bar.update_finalize(target, &vals, true);
        }
        self.bar = None;
    }
}

impl Callback for ProgbarLogger {
    fn set_params(&mut self, params: &CallbackParams) {
        self.params = *params;
    }
    fn on_epoch_begin(&mut self, _m: &mut Model, epoch: usize, _logs: &Logs) -> Result<()> {
        if self.params.verbose > 0 && self.params.epochs > 1 {
            println!("Epoch {}/{}", epoch + 1, self.params.epochs);
        }
        self.start();
        Ok(())
    }
    fn on_train_batch_end(&mut self, _m: &mut Model, batch: usize, logs: &Logs) -> Result<()> {
        self.batch_update(batch, logs);
        Ok(())
    }
    fn on_epoch_end(&mut self, _m: &mut Model, _epoch: usize, logs: &mut Logs) -> Result<()> {
        self.finalize(logs);
        Ok(())
    }
    fn on_test_begin(&mut self, _m: &mut Model, _logs: &Logs) -> Result<()> {
        // Validation inside fit is silent; a standalone evaluate gets its own bar.
        if self.bar.is_none() {
            self.start();
        }
        Ok(())
    }
    fn on_test_batch_end(&mut self, _m: &mut Model, batch: usize, logs: &Logs) -> Result<()> {
        if self.params.epochs == 0 {
            self.batch_update(batch, logs);
        }
        Ok(())
    }
    fn on_test_end(&mut self, _m: &mut Model, logs: &Logs) -> Result<()> {
        if self.params.epochs == 0 {
            self.finalize(logs);
        }
        Ok(())
    }
    fn on_predict_begin(&mut self, _m: &mut Model, _logs: &Logs) -> Result<()> {
        self.start();
        Ok(())
    }
    fn on_predict_batch_end(&mut self, _m: &mut Model, batch: usize, logs: &Logs) -> Result<()> {
        self.batch_update(batch, logs);
        Ok(())
    }
    fn on_predict_end(&mut self, _m: &mut Model, logs: &Logs) -> Result<()> {
        self.finalize(logs);
        Ok(())
    }
}
