//! The pruning callbacks: [`UpdatePruningStep`] (required while training a pruned model)
//! and [`PruningSummaries`] (sparsity and thresholds to TensorBoard).

use std::path::PathBuf;

use kiln::callbacks::{Callback, CallbackParams, Logs, SummaryWriter, TensorBoard, UpdateFreq};
use kiln::layers::LayerRef;
use kiln::models::Model;
use kiln::{Error, Result};

use super::wrapper::PruneLowMagnitude;

/// Every [`PruneLowMagnitude`] in `model`, nested models included, in layer order
/// (TFMOT's `collect_prunable_layers`).
///
/// ```
/// use kiln::layers::{Dense, Flatten};
/// use kiln::models::Model;
/// use kiln_lite::sparsity::{collect_prunable_layers, prune_low_magnitude, PruningParams};
/// let m = Model::sequential(vec![Flatten::new().input_shape(&[2, 2]).into(), Dense::new(1).into()])?;
/// let p = prune_low_magnitude(&m, PruningParams::default())?.into_model()?;
/// assert_eq!(collect_prunable_layers(&p).len(), 2); // Flatten is wrapped too, unpruned
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn collect_prunable_layers(model: &Model) -> Vec<LayerRef> {
    let mut out = Vec::new();
    for l in model.layers() {
        collect(&l, &mut out);
    }
    out
}

fn collect(l: &LayerRef, out: &mut Vec<LayerRef>) {
    if l.downcast(|_: &mut PruneLowMagnitude| ()).is_some() {
        out.push(l.clone());
        return;
    }
    if matches!(l.class_name(), "Sequential" | "Functional") {
        for s in Model::from_layer_ref(l.clone()).layers() {
            collect(&s, out);
        }
    }
}

/// Drives pruning during `fit` (`tfmot.sparsity.keras.UpdatePruningStep`): when training
/// begins it sets every wrapper's `pruning_step` to 0 if the first one is still -1 (a
/// resumed run keeps its step), and at the end of each epoch it multiplies the pruned
/// weights by their masks. The step itself advances in the wrappers' training calls,
/// before each batch's forward pass, as in TFMOT.
///
/// Why there: TFMOT's wrapper increments the step and updates the mask in its own
/// `call(training=True)`, ahead of the wrapped layer's forward pass in the same step,
/// so the batch's loss sees the freshly masked weight. kiln's `on_train_batch_begin`
/// would run at the same point, but a custom train step or `train_on_batch` would skip
/// it; the wrapper's call is on every path that trains.
#[derive(Debug, Default)]
pub struct UpdatePruningStep {
    layers: Vec<LayerRef>,
}

impl UpdatePruningStep {
    /// The callback.
    pub fn new() -> UpdatePruningStep {
        UpdatePruningStep::default()
    }
}

fn with_wrapper<R>(l: &LayerRef, f: impl FnOnce(&mut PruneLowMagnitude) -> Result<R>) -> Result<R> {
    l.downcast(f).unwrap_or_else(|| {
        Err(Error::InvalidArgument {
            api: "UpdatePruningStep",
            msg: format!("layer '{}' is not a PruneLowMagnitude wrapper", l.name()),
        })
    })
}

impl Callback for UpdatePruningStep {
    fn on_train_begin(&mut self, model: &mut Model, _logs: &Logs) -> Result<()> {
        self.layers = collect_prunable_layers(model);
        let Some(first) = self.layers.first() else {
            return Ok(());
        };
        let unset = with_wrapper(first, |w| Ok(w.pruning_step().is_none_or(|s| s == -1)))?;
        if unset {
            for l in &self.layers {
                with_wrapper(l, |w| w.set_pruning_step(0))?;
            }
        }
        Ok(())
    }

    fn on_epoch_end(&mut self, _model: &mut Model, _epoch: usize, _logs: &mut Logs) -> Result<()> {
        for l in &self.layers {
            with_wrapper(l, |w| w.apply_masks())?;
        }
        Ok(())
    }
}

/// A [`TensorBoard`] callback that also logs, at the start of every epoch, each mask's
/// sparsity (`<mask name>/sparsity`, 1 - mean of the mask) and each threshold
/// (`<threshold name>/threshold`) at the optimizer's iteration count, under
/// `log_dir/metrics` (`tfmot.sparsity.keras.PruningSummaries`, whose `update_freq`
/// default is `"epoch"`).
///
/// ```
/// let logs = std::env::temp_dir().join(format!("kiln_prune_doc_{}", std::process::id()));
/// let cb = kiln_lite::sparsity::PruningSummaries::new(&logs)?;
/// assert!(kiln_lite::sparsity::PruningSummaries::new("").is_err());
/// # std::fs::remove_dir_all(&logs).ok();
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct PruningSummaries {
    tensorboard: TensorBoard,
    log_dir: PathBuf,
    writer: Option<SummaryWriter>,
}

impl PruningSummaries {
    /// Summaries under `log_dir` (an empty path is TFMOT's `ValueError`).
    pub fn new(log_dir: impl Into<PathBuf>) -> Result<PruningSummaries> {
        let log_dir: PathBuf = log_dir.into();
        if log_dir.as_os_str().is_empty() {
            return Err(Error::InvalidArgument {
                api: "PruningSummaries",
                msg: "`log_dir` must be a non-empty string. You passed `log_dir`=.".into(),
            });
        }
        Ok(PruningSummaries {
            tensorboard: TensorBoard::new(log_dir.clone()).update_freq(UpdateFreq::Epoch),
            log_dir,
            writer: None,
        })
    }

    /// The TensorBoard settings (`histogram_freq`, `update_freq`, ...) of the logs it
    /// also writes.
    pub fn tensorboard(mut self, f: impl FnOnce(TensorBoard) -> TensorBoard) -> Self {
        self.tensorboard = f(self.tensorboard);
        self
    }

    fn log_pruning(&mut self, model: &Model) -> Result<()> {
        let step = model.optimizer().map(|o| o.iterations()).unwrap_or(0) as i64;
        if self.writer.is_none() {
            self.writer = Some(SummaryWriter::new(self.log_dir.join("metrics"))?);
        }
        let mut scalars = Vec::new();
        for l in collect_prunable_layers(model) {
            let vars = l
                .downcast(|w: &mut PruneLowMagnitude| w.pruning_vars())
                .unwrap_or_default();
            for (_, mask, threshold) in vars {
                let m = mask.value().to_f64_vec();
                let mean = m.iter().sum::<f64>() / m.len().max(1) as f64;
                scalars.push((format!("{}/sparsity", mask.name()), 1.0 - mean));
                let t = threshold
                    .value()
                    .to_f64_vec()
                    .first()
                    .copied()
                    .unwrap_or(0.0);
                scalars.push((format!("{}/threshold", threshold.name()), t));
            }
        }
        if let Some(w) = self.writer.as_mut() {
            for (tag, v) in scalars {
                w.scalar(&tag, v, step)?;
            }
            w.flush()?;
        }
        Ok(())
    }
}

impl Callback for PruningSummaries {
    fn set_params(&mut self, params: &CallbackParams) {
        self.tensorboard.set_params(params);
    }
    fn on_train_begin(&mut self, model: &mut Model, logs: &Logs) -> Result<()> {
        self.tensorboard.on_train_begin(model, logs)
    }
    fn on_train_end(&mut self, model: &mut Model, logs: &Logs) -> Result<()> {
        self.tensorboard.on_train_end(model, logs)
    }
    fn on_epoch_begin(&mut self, model: &mut Model, epoch: usize, logs: &Logs) -> Result<()> {
        self.tensorboard.on_epoch_begin(model, epoch, logs)?;
        self.log_pruning(model)
    }
    fn on_epoch_end(&mut self, model: &mut Model, epoch: usize, logs: &mut Logs) -> Result<()> {
        self.tensorboard.on_epoch_end(model, epoch, logs)
    }
    fn on_train_batch_begin(&mut self, model: &mut Model, batch: usize, logs: &Logs) -> Result<()> {
        self.tensorboard.on_train_batch_begin(model, batch, logs)
    }
    fn on_train_batch_end(&mut self, model: &mut Model, batch: usize, logs: &Logs) -> Result<()> {
        self.tensorboard.on_train_batch_end(model, batch, logs)
    }
    fn on_test_begin(&mut self, model: &mut Model, logs: &Logs) -> Result<()> {
        self.tensorboard.on_test_begin(model, logs)
    }
    fn on_test_end(&mut self, model: &mut Model, logs: &Logs) -> Result<()> {
        self.tensorboard.on_test_end(model, logs)
    }
    fn on_test_batch_begin(&mut self, model: &mut Model, batch: usize, logs: &Logs) -> Result<()> {
        self.tensorboard.on_test_batch_begin(model, batch, logs)
    }
    fn on_test_batch_end(&mut self, model: &mut Model, batch: usize, logs: &Logs) -> Result<()> {
        self.tensorboard.on_test_batch_end(model, batch, logs)
    }
}
