//! `History`: what `fit` returns.

use std::collections::BTreeMap;

use crate::callbacks::{Callback, Logs};
use crate::models::Model;
use crate::Result;

/// The per-epoch logs of a `fit` run (`history.history` in Keras: `loss`, `accuracy`,
/// `val_loss`, ...), and the epochs they belong to.
///
/// ```
/// use kiln::callbacks::{Callback, History, Logs};
/// let mut h = History::default();
/// let mut logs = Logs::new();
/// logs.insert("loss", 0.5);
/// h.record(0, &logs);
/// assert_eq!(h.history["loss"], vec![0.5]);
/// assert_eq!(h.epoch, vec![0]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct History {
    /// Values per log name, one per epoch.
    pub history: BTreeMap<String, Vec<f64>>,
    /// The epoch indices recorded.
    pub epoch: Vec<usize>,
}

impl History {
    /// Appends one epoch's logs.
    pub fn record(&mut self, epoch: usize, logs: &Logs) {
        self.epoch.push(epoch);
        for (k, v) in logs.iter() {
            self.history.entry(k.to_string()).or_default().push(v);
        }
    }

    /// The values of one log name (empty when absent).
    pub fn get(&self, name: &str) -> &[f64] {
        self.history.get(name).map(|v| v.as_slice()).unwrap_or(&[])
    }
}

impl Callback for History {
    fn on_epoch_end(&mut self, _model: &mut Model, epoch: usize, logs: &mut Logs) -> Result<()> {
        self.record(epoch, logs);
        Ok(())
    }
}
