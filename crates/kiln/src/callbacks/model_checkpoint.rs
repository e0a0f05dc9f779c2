//! `ModelCheckpoint`: saves the model (or its weights) during `fit`.

use std::path::PathBuf;

use crate::callbacks::{Callback, Logs, Mode};
use crate::models::Model;
use crate::{Error, Result};

/// When a checkpoint is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveFreq {
    /// At the end of every epoch (Keras's `save_freq="epoch"`).
    Epoch,
    /// Every `n` training batches.
    Batches(usize),
}

/// `keras.callbacks.ModelCheckpoint(filepath, monitor="val_loss", verbose=0,
/// save_best_only=False, save_weights_only=False, mode="auto", save_freq="epoch",
/// initial_value_threshold=None)`. `filepath` may hold Python-format fields filled from
/// the epoch (1-based) and the logs: `"ckpt-{epoch:02d}-{val_loss:.2f}.keras"`. A full
/// model must be saved to a `.keras` path and weights to a `.weights.h5` path, as in
/// Keras. Files are written atomically.
///
/// ```
/// use kiln::callbacks::ModelCheckpoint;
/// let cb = ModelCheckpoint::new("model-{epoch:02d}.keras")?.save_best_only(true);
/// // Epoch index 2 (0-based) is the third epoch, written 1-based as Keras does.
/// assert_eq!(cb.format_path(2, &kiln::callbacks::Logs::new())?, "model-03.keras");
/// assert!(ModelCheckpoint::new("model.h5").is_err());
/// assert!(ModelCheckpoint::new("w.weights.h5")?.save_weights_only(true).is_ok());
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct ModelCheckpoint {
    filepath: String,
    monitor: String,
    verbose: u8,
    save_best_only: bool,
    save_weights_only: bool,
    mode: Mode,
    save_freq: SaveFreq,
    best: Option<f64>,
    batches_seen: usize,
    epoch: usize,
}

impl ModelCheckpoint {
    /// A checkpoint to `filepath` (a `.keras` file; see [`ModelCheckpoint::save_weights_only`]).
    pub fn new(filepath: &str) -> Result<ModelCheckpoint> {
        let cb = ModelCheckpoint {
            filepath: filepath.to_string(),
            monitor: "val_loss".into(),
            verbose: 0,
            save_best_only: false,
            save_weights_only: false,
            mode: Mode::Auto,
            save_freq: SaveFreq::Epoch,
            best: None,
            batches_seen: 0,
            epoch: 0,
        };
        cb.check_extension()?;
        Ok(cb)
    }
    fn check_final(&self) -> Result<()> {
        if !self.save_weights_only && !self.filepath.ends_with(".keras") {
            return Err(Error::InvalidArgument {
                api: "ModelCheckpoint",
                msg: format!(
                    "filepath '{}' must end in .keras when saving the whole model (use save_weights_only for .weights.h5)",
                    self.filepath
                ),
            });
        }
        self.check_extension()
    }
    fn check_extension(&self) -> Result<()> {
        let ok = if self.save_weights_only {
            self.filepath.ends_with(".weights.h5")
        } else {
            // `save_weights_only` may still be set after `new`; `fit` re-checks.
            self.filepath.ends_with(".keras") || self.filepath.ends_with(".weights.h5")
        };
        if ok {
            Ok(())
        } else {
            Err(Error::InvalidArgument {
                api: "ModelCheckpoint",
                msg: format!(
                    "filepath '{}' must end in {} (save_weights_only={})",
                    self.filepath,
                    if self.save_weights_only {
                        ".weights.h5"
                    } else {
                        ".keras"
                    },
                    self.save_weights_only
                ),
            })
        }
    }
    /// The log value compared by `save_best_only` (default `val_loss`).
    pub fn monitor(mut self, m: &str) -> Self {
        self.monitor = m.to_string();
        self
    }
    /// 1 prints a line per save.
    pub fn verbose(mut self, v: u8) -> Self {
        self.verbose = v;
        self
    }
    /// Save only when the monitored value improves.
    pub fn save_best_only(mut self, b: bool) -> Self {
        self.save_best_only = b;
        self
    }
    /// Save weights (`.weights.h5`) instead of the whole model; re-checks the extension.
    pub fn save_weights_only(mut self, b: bool) -> Result<Self> {
        self.save_weights_only = b;
        self.check_extension()?;
        Ok(self)
    }
    /// Direction of improvement (default: inferred from the monitor's name).
    pub fn mode(mut self, m: Mode) -> Self {
        self.mode = m;
        self
    }
    /// When to save (default every epoch).
    pub fn save_freq(mut self, f: SaveFreq) -> Self {
        self.save_freq = f;
        self
    }
    /// Only a value better than this counts as the first best.
    pub fn initial_value_threshold(mut self, v: f64) -> Self {
        self.best = Some(v);
        self
    }

    /// The file path for `epoch` (0-based; written 1-based as Keras) and `logs`.
    pub fn format_path(&self, epoch: usize, logs: &Logs) -> Result<String> {
        let bad = |msg: String| Error::InvalidArgument {
            api: "ModelCheckpoint",
            msg: format!("filepath '{}': {msg}", self.filepath),
        };
        let mut out = String::new();
        let mut rest = self.filepath.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| bad("unclosed '{'".into()))?
                + open;
            let field = &rest[open + 1..close];
            let (name, spec) = field.split_once(':').unwrap_or((field, ""));
            let value = if name == "epoch" {
                (epoch + 1) as f64
            } else {
                logs.get(name)
                    .ok_or_else(|| bad(format!("no '{name}' in the logs")))?
            };
            out.push_str(&format_number(value, spec, name == "epoch").map_err(bad)?);
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn save(&mut self, model: &mut Model, epoch: usize, logs: &Logs) -> Result<()> {
        if self.save_best_only {
            let Some(current) = logs.get(&self.monitor) else {
                eprintln!(
                    "ModelCheckpoint: can save best model only with {} available, skipping.",
                    self.monitor
                );
                return Ok(());
            };
            let higher = self.mode.higher_is_better(&self.monitor);
            let better = match self.best {
                None => true,
                Some(b) => (higher && current > b) || (!higher && current < b),
            };
            if !better {
                if self.verbose > 0 {
                    println!(
                        "\nEpoch {}: {} did not improve from {:.5}",
                        epoch + 1,
                        self.monitor,
                        self.best.unwrap_or(f64::NAN)
                    );
                }
                return Ok(());
            }
            if self.verbose > 0 {
                println!(
                    "\nEpoch {}: {} improved from {:.5} to {current:.5}, saving model",
                    epoch + 1,
                    self.monitor,
                    self.best.unwrap_or(if higher {
                        f64::NEG_INFINITY
                    } else {
                        f64::INFINITY
                    })
                );
            }
            self.best = Some(current);
        }
        let path = self.format_path(epoch, logs)?;
        if let Some(dir) = PathBuf::from(&path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|e| Error::InvalidArgument {
                api: "ModelCheckpoint",
                msg: format!("{}: {e}", dir.display()),
            })?;
        }
        if self.verbose > 0 && !self.save_best_only {
            println!("\nEpoch {}: saving model to {path}", epoch + 1);
        }
        if self.save_weights_only {
            crate::saving::save_weights(model, &path)
        } else {
            crate::saving::save_model(model, &path)
        }
    }
}

/// Python's `format(value, spec)` for the specs checkpoint paths use (`02d`, `.2f`,
/// `.4e`, empty).
fn format_number(v: f64, spec: &str, integer: bool) -> std::result::Result<String, String> {
    if spec.is_empty() {
        return Ok(if integer {
            format!("{}", v as i64)
        } else {
            crate::callbacks::python_float(v)
        });
    }
    let kind = spec.chars().last().unwrap_or('f');
    let body = &spec[..spec.len() - kind.len_utf8()];
    let (width_part, prec) = match body.split_once('.') {
        Some((w, p)) => (
            w,
            Some(
                p.parse::<usize>()
                    .map_err(|_| format!("bad format spec '{spec}'"))?,
            ),
        ),
        None => (body, None),
    };
    let zero = width_part.starts_with('0');
    let width: usize = if width_part.is_empty() {
        0
    } else {
        width_part
            .parse()
            .map_err(|_| format!("bad format spec '{spec}'"))?
    };
    let s = match kind {
        'd' => format!("{}", v as i64),
        'f' => format!("{:.*}", prec.unwrap_or(6), v),
        'e' => {
            let s = format!("{:.*e}", prec.unwrap_or(6), v);
            // Rust writes 1.5e-3; Python writes 1.5e-03.
            match s.split_once('e') {
                Some((m, e)) => {
                    let (sign, digits) = e.strip_prefix('-').map(|d| ('-', d)).unwrap_or(('+', e));
                    format!("{m}e{sign}{digits:0>2}")
                }
                None => s,
            }
        }
        other => return Err(format!("unsupported format type '{other}' in '{spec}'")),
    };
    Ok(if zero {
        format!("{s:0>width$}")
    } else {
        format!("{s:>width$}")
    })
}

impl Callback for ModelCheckpoint {
    fn on_train_begin(&mut self, _model: &mut Model, _logs: &Logs) -> Result<()> {
        self.check_final()
    }
    fn on_epoch_begin(&mut self, _model: &mut Model, epoch: usize, _logs: &Logs) -> Result<()> {
        self.epoch = epoch;
        Ok(())
    }
    fn on_train_batch_end(&mut self, model: &mut Model, _batch: usize, logs: &Logs) -> Result<()> {
        if let SaveFreq::Batches(n) = self.save_freq {
            self.batches_seen += 1;
            if n > 0 && self.batches_seen.is_multiple_of(n) {
                let epoch = self.epoch;
                self.save(model, epoch, logs)?;
            }
        }
        Ok(())
    }
    fn on_epoch_end(&mut self, model: &mut Model, epoch: usize, logs: &mut Logs) -> Result<()> {
        if self.save_freq == SaveFreq::Epoch {
            self.save(model, epoch, logs)?;
        }
        Ok(())
    }
}
