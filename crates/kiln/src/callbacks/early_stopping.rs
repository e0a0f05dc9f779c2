//! `EarlyStopping`.

use kiln_tensor::Tensor;

use crate::callbacks::{Callback, Logs, Mode};
use crate::models::Model;
use crate::Result;

/// Stops training when `monitor` stops improving (`keras.callbacks.EarlyStopping`), with
/// Keras's defaults: `monitor="val_loss"`, `min_delta=0`, `patience=0`, `mode="auto"`,
/// no baseline, `restore_best_weights=false`, `start_from_epoch=0`.
///
/// ```
/// use kiln::callbacks::EarlyStopping;
/// let es = EarlyStopping::new().monitor("val_accuracy").patience(3).restore_best_weights(true);
/// assert_eq!(es.stopped_epoch(), 0);
/// ```
pub struct EarlyStopping {
    monitor: String,
    min_delta: f64,
    patience: usize,
    verbose: u8,
    mode: Mode,
    baseline: Option<f64>,
    restore_best_weights: bool,
    start_from_epoch: usize,
    wait: usize,
    stopped_epoch: usize,
    best: f64,
    best_epoch: usize,
    best_weights: Option<Vec<Tensor>>,
}

impl Default for EarlyStopping {
    fn default() -> Self {
        EarlyStopping::new()
    }
}

impl EarlyStopping {
    /// Keras's defaults.
    pub fn new() -> EarlyStopping {
        EarlyStopping {
            monitor: "val_loss".into(),
            min_delta: 0.0,
            patience: 0,
            verbose: 0,
            mode: Mode::Auto,
            baseline: None,
            restore_best_weights: false,
            start_from_epoch: 0,
            wait: 0,
            stopped_epoch: 0,
            best: f64::INFINITY,
            best_epoch: 0,
            best_weights: None,
        }
    }
    /// The log value to watch.
    pub fn monitor(mut self, m: &str) -> Self {
        self.monitor = m.into();
        self
    }
    /// Smallest change that counts as an improvement.
    pub fn min_delta(mut self, d: f64) -> Self {
        self.min_delta = d.abs();
        self
    }
    /// Epochs without improvement before stopping.
    pub fn patience(mut self, p: usize) -> Self {
        self.patience = p;
        self
    }
    /// 1 prints when it stops.
    pub fn verbose(mut self, v: u8) -> Self {
        self.verbose = v;
        self
    }
    /// Direction of improvement.
    pub fn mode(mut self, m: Mode) -> Self {
        self.mode = m;
        self
    }
    /// A value the monitored quantity must beat.
    pub fn baseline(mut self, b: f64) -> Self {
        self.baseline = Some(b);
        self
    }
    /// Restore the weights of the best epoch when stopping.
    pub fn restore_best_weights(mut self, r: bool) -> Self {
        self.restore_best_weights = r;
        self
    }
    /// Epochs to wait before monitoring starts.
    pub fn start_from_epoch(mut self, e: usize) -> Self {
        self.start_from_epoch = e;
        self
    }
    /// The epoch training stopped at (0 when it ran to the end).
    pub fn stopped_epoch(&self) -> usize {
        self.stopped_epoch
    }
    /// The best epoch seen.
    pub fn best_epoch(&self) -> usize {
        self.best_epoch
    }

    fn is_improvement(&self, value: f64, reference: f64) -> bool {
        if self.mode.higher_is_better(&self.monitor) {
            value - self.min_delta > reference
        } else {
            value + self.min_delta < reference
        }
    }
}

impl Callback for EarlyStopping {
    fn on_train_begin(&mut self, _m: &mut Model, _logs: &Logs) -> Result<()> {
        self.wait = 0;
        self.stopped_epoch = 0;
        self.best = if self.mode.higher_is_better(&self.monitor) {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
        self.best_weights = None;
        self.best_epoch = 0;
        Ok(())
    }

    fn on_epoch_end(&mut self, model: &mut Model, epoch: usize, logs: &mut Logs) -> Result<()> {
        let Some(current) = logs.get(&self.monitor) else {
            eprintln!(
                "Early stopping conditioned on metric `{}` which is not available. Available metrics are: {}",
                self.monitor,
                logs.iter().map(|(k, _)| k).collect::<Vec<_>>().join(",")
            );
            return Ok(());
        };
        if epoch < self.start_from_epoch {
            return Ok(());
        }
        if self.restore_best_weights && self.best_weights.is_none() {
            self.best_weights = Some(model.get_weights());
        }
        self.wait += 1;
        if self.is_improvement(current, self.best) {
            self.best = current;
            self.best_epoch = epoch;
            if self.restore_best_weights {
                self.best_weights = Some(model.get_weights());
            }
            if self
                .baseline
                .is_none_or(|b| self.is_improvement(current, b))
            {
                self.wait = 0;
                return Ok(());
            }
        }
        if self.wait >= self.patience && epoch > 0 {
            self.stopped_epoch = epoch;
            model.stop_training = true;
            if self.restore_best_weights
                && let Some(w) = &self.best_weights
            {
                if self.verbose > 0 {
                    println!(
                        "Restoring model weights from the end of the best epoch: {}.",
                        self.best_epoch + 1
                    );
                }
                model.set_weights(w)?;
            }
        }
        Ok(())
    }

    fn on_train_end(&mut self, _m: &mut Model, _logs: &Logs) -> Result<()> {
        if self.stopped_epoch > 0 && self.verbose > 0 {
            println!("Epoch {}: early stopping", self.stopped_epoch + 1);
        }
        Ok(())
    }
}
