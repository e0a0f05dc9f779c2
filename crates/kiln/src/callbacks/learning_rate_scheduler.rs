//! `LearningRateScheduler`.

use crate::callbacks::{Callback, Logs};
use crate::models::Model;
use crate::{Error, Result};

type ScheduleFn = Box<dyn FnMut(usize, f64) -> f64 + Send>;

/// Sets the learning rate at the start of every epoch from `schedule(epoch, lr)`
/// (`keras.callbacks.LearningRateScheduler`).
///
/// ```
/// use kiln::callbacks::LearningRateScheduler;
/// // S003-43: constant for 10 epochs, then decay by e^-0.1 per epoch.
/// let s = LearningRateScheduler::new(|epoch, lr| if epoch < 10 { lr } else { lr * (-0.1f64).exp() });
/// # drop(s);
/// ```
pub struct LearningRateScheduler {
    schedule: ScheduleFn,
    verbose: u8,
}

impl LearningRateScheduler {
    /// A scheduler from `schedule(epoch, current_lr) -> new_lr`.
    pub fn new(schedule: impl FnMut(usize, f64) -> f64 + Send + 'static) -> Self {
        LearningRateScheduler {
            schedule: Box::new(schedule),
            verbose: 0,
        }
    }
    /// 1 prints each change.
    pub fn verbose(mut self, v: u8) -> Self {
        self.verbose = v;
        self
    }
}

impl Callback for LearningRateScheduler {
    fn on_epoch_begin(&mut self, model: &mut Model, epoch: usize, _logs: &Logs) -> Result<()> {
        let opt = model
            .optimizer_mut()
            .ok_or_else(|| Error::InvalidArgument {
                api: "LearningRateScheduler",
                msg: "the model has no optimizer (compile it first)".into(),
            })?;
        let lr = (self.schedule)(epoch, opt.learning_rate());
        if !lr.is_finite() {
            return Err(Error::InvalidArgument {
                api: "LearningRateScheduler",
                msg: format!(
                    "the schedule returned {lr} for epoch {epoch}; expected a finite float"
                ),
            });
        }
        opt.set_learning_rate(lr);
        if self.verbose > 0 {
            println!(
                "\nEpoch {}: LearningRateScheduler setting learning rate to {}.",
                epoch + 1,
                lr
            );
        }
        Ok(())
    }

    /// As Keras 3: the epoch's rate goes into the logs (`History`, `CSVLogger`), as the
    /// float32 value of the optimizer's variable.
    fn on_epoch_end(&mut self, model: &mut Model, _epoch: usize, logs: &mut Logs) -> Result<()> {
        if let Some(opt) = model.optimizer_mut() {
            logs.insert("learning_rate", opt.learning_rate() as f32 as f64);
        }
        Ok(())
    }
}
