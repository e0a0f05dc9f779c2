//! `LambdaCallback`.

use crate::callbacks::{Callback, Logs};
use crate::models::Model;
use crate::Result;

type EpochFn = Box<dyn FnMut(usize, &Logs) + Send>;
type TrainFn = Box<dyn FnMut(&Logs) + Send>;

/// A callback from closures (`keras.callbacks.LambdaCallback`).
///
/// ```
/// use kiln::callbacks::LambdaCallback;
/// let cb = LambdaCallback::new().on_epoch_end(|epoch, logs| {
///     println!("End of epoch {epoch}, loss: {:?}", logs.get("loss"));
/// });
/// # drop(cb);
/// ```
#[derive(Default)]
pub struct LambdaCallback {
    epoch_begin: Option<EpochFn>,
    epoch_end: Option<EpochFn>,
    batch_begin: Option<EpochFn>,
    batch_end: Option<EpochFn>,
    train_begin: Option<TrainFn>,
    train_end: Option<TrainFn>,
}

impl LambdaCallback {
    /// No hooks.
    pub fn new() -> Self {
        LambdaCallback::default()
    }
    /// Runs at the start of each epoch.
    pub fn on_epoch_begin(mut self, f: impl FnMut(usize, &Logs) + Send + 'static) -> Self {
        self.epoch_begin = Some(Box::new(f));
        self
    }
    /// Runs at the end of each epoch.
    pub fn on_epoch_end(mut self, f: impl FnMut(usize, &Logs) + Send + 'static) -> Self {
        self.epoch_end = Some(Box::new(f));
        self
    }
    /// Runs before each training batch.
    pub fn on_batch_begin(mut self, f: impl FnMut(usize, &Logs) + Send + 'static) -> Self {
        self.batch_begin = Some(Box::new(f));
        self
    }
    /// Runs after each training batch.
    pub fn on_batch_end(mut self, f: impl FnMut(usize, &Logs) + Send + 'static) -> Self {
        self.batch_end = Some(Box::new(f));
        self
    }
    /// Runs when training starts.
    pub fn on_train_begin(mut self, f: impl FnMut(&Logs) + Send + 'static) -> Self {
        self.train_begin = Some(Box::new(f));
        self
    }
    /// Runs when training ends.
    pub fn on_train_end(mut self, f: impl FnMut(&Logs) + Send + 'static) -> Self {
        self.train_end = Some(Box::new(f));
        self
    }
}

impl Callback for LambdaCallback {
    fn on_epoch_begin(&mut self, _m: &mut Model, epoch: usize, logs: &Logs) -> Result<()> {
        if let Some(f) = &mut self.epoch_begin {
            f(epoch, logs);
        }
        Ok(())
    }
    fn on_epoch_end(&mut self, _m: &mut Model, epoch: usize, logs: &mut Logs) -> Result<()> {
        if let Some(f) = &mut self.epoch_end {
            f(epoch, logs);
        }
        Ok(())
    }
    fn on_train_batch_begin(&mut self, _m: &mut Model, batch: usize, logs: &Logs) -> Result<()> {
        if let Some(f) = &mut self.batch_begin {
            f(batch, logs);
        }
        Ok(())
    }
    fn on_train_batch_end(&mut self, _m: &mut Model, batch: usize, logs: &Logs) -> Result<()> {
        if let Some(f) = &mut self.batch_end {
            f(batch, logs);
        }
        Ok(())
    }
    fn on_train_begin(&mut self, _m: &mut Model, logs: &Logs) -> Result<()> {
        if let Some(f) = &mut self.train_begin {
            f(logs);
        }
        Ok(())
    }
    fn on_train_end(&mut self, _m: &mut Model, logs: &Logs) -> Result<()> {
        if let Some(f) = &mut self.train_end {
            f(logs);
        }
        Ok(())
    }
}
