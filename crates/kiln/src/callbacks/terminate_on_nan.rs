//! `TerminateOnNaN`.

use crate::callbacks::{Callback, Logs};
use crate::models::Model;
use crate::Result;

/// Stops training when a batch's loss is NaN or infinite (`keras.callbacks.TerminateOnNaN`).
///
/// ```
/// let t = kiln::callbacks::TerminateOnNaN;
/// # let _ = t;
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct TerminateOnNaN;

impl Callback for TerminateOnNaN {
    fn on_train_batch_end(&mut self, model: &mut Model, batch: usize, logs: &Logs) -> Result<()> {
        if let Some(loss) = logs.get("loss")
            && !loss.is_finite()
        {
            println!("Batch {batch}: Invalid loss, terminating training");
            model.stop_training = true;
        }
        Ok(())
    }
}
