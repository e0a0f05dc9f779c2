//! A hypermodel without a network: a function of the hyperparameters and the epoch,
//! so oracles and tuners can be exercised (and golden-tested) in microseconds.

use std::path::Path;

use crate::error::{Result, TunerError};
use crate::hyperparameters::HyperParameters;
use crate::tuner::{save_if_best, EpochLogs, FitContext, HyperModel, TrialHistory};

/// The per-epoch metrics of one built "model".
pub type EpochFn = Box<dyn FnMut(usize) -> Result<EpochLogs> + Send>;

/// A hypermodel whose `build` declares hyperparameters and returns a function from the
/// epoch to that epoch's logs. "Training" calls it for each epoch from `initial_epoch`;
/// the "weights" it checkpoints are the number of epochs trained so far, so a promoted
/// Hyperband trial can be checked to resume from its parent.
pub struct ScoreModel<F> {
    build: F,
}

impl<F> ScoreModel<F>
where
    F: FnMut(&mut HyperParameters) -> Result<EpochFn>,
{
    /// Wraps a build function.
    pub fn new(build: F) -> ScoreModel<F> {
        ScoreModel { build }
    }
}

/// A built [`ScoreModel`].
pub struct ScoreRun {
    f: EpochFn,
    /// Epochs trained (including those restored from a checkpoint).
    pub trained_epochs: usize,
    /// The checkpoint this run started from, if any.
    pub restored_from: Option<std::path::PathBuf>,
}

/// One `fit` of a [`ScoreModel`].
#[derive(Debug, Clone, PartialEq)]
pub struct FitRecord {
    /// The trial.
    pub trial_id: String,
    /// The execution.
    pub execution: usize,
    /// `initial_epoch`.
    pub initial_epoch: usize,
    /// `epochs`.
    pub epochs: usize,
    /// The epochs the model had trained when fit began (from a restored checkpoint).
    pub restored_epochs: Option<usize>,
}

/// `search`'s arguments for a [`ScoreModel`]: the `epochs` fit would get.
#[derive(Debug, Clone)]
pub struct ScoreData {
    /// `epochs=`.
    pub epochs: usize,
    /// Every fit, in order.
    pub fits: Vec<FitRecord>,
}

impl ScoreData {
    /// `search(epochs=epochs)`.
    pub fn new(epochs: usize) -> ScoreData {
        ScoreData {
            epochs,
            fits: Vec::new(),
        }
    }
}

impl<F> HyperModel for ScoreModel<F>
where
    F: FnMut(&mut HyperParameters) -> Result<EpochFn>,
{
    type Model = ScoreRun;
    type Data = ScoreData;

    fn build(&mut self, hp: &mut HyperParameters) -> Result<ScoreRun> {
        Ok(ScoreRun {
            f: (self.build)(hp)?,
            trained_epochs: 0,
            restored_from: None,
        })
    }

    fn fit(
        &mut self,
        _hp: &HyperParameters,
        model: &mut ScoreRun,
        data: &mut ScoreData,
        ctx: &FitContext,
    ) -> Result<TrialHistory> {
        let epochs = ctx.epochs.unwrap_or(data.epochs);
        let initial = ctx.initial_epoch.unwrap_or(0);
        data.fits.push(FitRecord {
            trial_id: ctx.trial_id.clone(),
            execution: ctx.execution,
            initial_epoch: initial,
            epochs,
            restored_epochs: model.restored_from.as_ref().map(|_| model.trained_epochs),
        });
        let mut history = Vec::new();
        for epoch in initial..epochs {
            let logs = (model.f)(epoch)?;
            model.trained_epochs = epoch + 1;
            if save_if_best(ctx, &logs) {
                self.save_weights(model, &ctx.checkpoint)?;
            }
            history.push(logs);
        }
        Ok(history)
    }

    fn save_weights(&self, model: &ScoreRun, path: &Path) -> Result<()> {
        crate::io::write_atomic(path, model.trained_epochs.to_string().as_bytes())
    }

    fn load_weights(&self, model: &mut ScoreRun, path: &Path) -> Result<()> {
        let text = std::fs::read_to_string(path).map_err(|e| TunerError::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        model.trained_epochs = text.trim().parse().map_err(|_| TunerError::State {
            path: path.display().to_string(),
            msg: "not a ScoreModel checkpoint".into(),
        })?;
        model.restored_from = Some(path.to_path_buf());
        Ok(())
    }
}
