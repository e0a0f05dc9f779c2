//! `ReduceLROnPlateau`.

use crate::callbacks::{Callback, Logs, Mode};
use crate::models::Model;
use crate::{Error, Result};

/// Multiplies the learning rate by `factor` when `monitor` has not improved for
/// `patience` epochs (`keras.callbacks.ReduceLROnPlateau`; defaults `monitor="val_loss"`,
/// `factor=0.1`, `patience=10`, `min_delta=1e-4`, `cooldown=0`, `min_lr=0`).
///
/// ```
/// use kiln::callbacks::ReduceLROnPlateau;
/// assert!(ReduceLROnPlateau::new().factor(0.5).validate().is_ok());
/// assert!(ReduceLROnPlateau::new().factor(1.5).validate().is_err());
/// ```
pub struct ReduceLROnPlateau {
    monitor: String,
    factor: f64,
    patience: usize,
    verbose: u8,
    mode: Mode,
    min_delta: f64,
    cooldown: usize,
    min_lr: f64,
    wait: usize,
    cooldown_counter: usize,
    best: f64,
}

impl Default for ReduceLROnPlateau {
    fn default() -> Self {
        ReduceLROnPlateau::new()
    }
}

impl ReduceLROnPlateau {
    /// Keras's defaults.
    pub fn new() -> ReduceLROnPlateau {
        ReduceLROnPlateau {
            monitor: "val_loss".into(),
            factor: 0.1,
            patience: 10,
            verbose: 0,
            mode: Mode::Auto,
            min_delta: 1e-4,
            cooldown: 0,
            min_lr: 0.0,
            wait: 0,
            cooldown_counter: 0,
            best: f64::INFINITY,
        }
    }
    /// The log value to watch.
    pub fn monitor(mut self, m: &str) -> Self {
        self.monitor = m.into();
        self
    }
    /// Multiplier applied to the learning rate (< 1).
    pub fn factor(mut self, f: f64) -> Self {
        self.factor = f;
        self
    }
    /// Epochs without improvement before reducing.
    pub fn patience(mut self, p: usize) -> Self {
        self.patience = p;
        self
    }
    /// 1 prints each reduction.
    pub fn verbose(mut self, v: u8) -> Self {
        self.verbose = v;
        self
    }
    /// Direction of improvement (`Auto`: higher is better only for names containing "acc").
    pub fn mode(mut self, m: Mode) -> Self {
        self.mode = m;
        self
    }
    /// Smallest change that counts as an improvement.
    pub fn min_delta(mut self, d: f64) -> Self {
        self.min_delta = d;
        self
    }
    /// Epochs to wait after a reduction before counting again.
    pub fn cooldown(mut self, c: usize) -> Self {
        self.cooldown = c;
        self
    }
    /// Lower bound on the learning rate.
    pub fn min_lr(mut self, lr: f64) -> Self {
        self.min_lr = lr;
        self
    }
    /// Keras rejects `factor >= 1`.
    pub fn validate(&self) -> Result<()> {
        if self.factor >= 1.0 {
            return Err(Error::InvalidArgument {
                api: "ReduceLROnPlateau",
                msg: format!("does not support a factor >= 1.0, got {}", self.factor),
            });
        }
        Ok(())
    }

    fn maximize(&self) -> bool {
        // Keras's own rule for this callback: "auto" maximises only names with "acc".
        match self.mode {
            Mode::Max => true,
            Mode::Min => false,
            Mode::Auto => self.monitor.contains("acc"),
        }
    }

    fn improved(&self, current: f64) -> bool {
        if self.maximize() {
            current > self.best + self.min_delta
        } else {
            current < self.best - self.min_delta
        }
    }
}

impl Callback for ReduceLROnPlateau {
    fn on_train_begin(&mut self, _m: &mut Model, _logs: &Logs) -> Result<()> {
        self.validate()?;
        self.best = if self.maximize() {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
        self.wait = 0;
        self.cooldown_counter = 0;
        Ok(())
    }

    fn on_epoch_end(&mut self, model: &mut Model, epoch: usize, logs: &mut Logs) -> Result<()> {
        // As Keras 3: the rate this epoch used goes into the logs before any reduction.
        if let Some(opt) = model.optimizer_mut() {
            logs.insert("learning_rate", opt.learning_rate() as f32 as f64);
        }
        let Some(current) = logs.get(&self.monitor) else {
            eprintln!(
                "Learning rate reduction is conditioned on metric `{}` which is not available. \
                 Available metrics are: {}",
                self.monitor,
                logs.iter().map(|(k, _)| k).collect::<Vec<_>>().join(",")
            );
            return Ok(());
        };
        let in_cooldown = self.cooldown_counter > 0;
        if in_cooldown {
            self.cooldown_counter -= 1;
            self.wait = 0;
        }
        if self.improved(current) {
            self.best = current;
            self.wait = 0;
        } else if self.cooldown_counter == 0 {
            self.wait += 1;
            if self.wait >= self.patience
                && let Some(opt) = model.optimizer_mut()
            {
                let old = opt.learning_rate();
                if old > self.min_lr {
                    let new = (old * self.factor).max(self.min_lr);
                    opt.set_learning_rate(new);
                    if self.verbose > 0 {
                        println!(
                            "\nEpoch {}: ReduceLROnPlateau reducing learning rate to {}.",
                            epoch + 1,
                            new
                        );
                    }
                    self.cooldown_counter = self.cooldown;
                    self.wait = 0;
                }
            }
        }
        Ok(())
    }
}
