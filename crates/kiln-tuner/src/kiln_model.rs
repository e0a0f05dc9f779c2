//! kiln models as hypermodels: a closure `|hp| -> kiln::Result<Model>` that builds and
//! compiles a model, fitted with `Model::fit` and checkpointed in Keras's
//! `.weights.h5` layout.

use std::path::Path;
use std::sync::{Arc, Mutex};

use kiln::callbacks::{Callback, Logs};
use kiln::models::{FitArgs, Model, Tensors};

use crate::error::Result;
use crate::hyperparameters::HyperParameters;
use crate::tuner::{save_if_best, FitContext, HyperModel, TrialHistory, Tuner};

/// `search(x, y, **fit_kwargs)`'s arguments for a kiln model: the data, and a function
/// giving each execution its own `FitArgs` (with fresh callbacks, as keras-tuner
/// deep-copies them per execution).
pub struct KilnData {
    x: Tensors,
    y: Tensors,
    fit_args: Box<dyn FnMut() -> FitArgs>,
}

impl KilnData {
    /// The training data and the fit arguments.
    pub fn new(
        x: impl Into<Tensors>,
        y: impl Into<Tensors>,
        fit_args: impl FnMut() -> FitArgs + 'static,
    ) -> KilnData {
        KilnData {
            x: x.into(),
            y: y.into(),
            fit_args: Box::new(fit_args),
        }
    }
}

/// keras-tuner's `SaveBestEpoch`, also recording each epoch's logs in logged order.
struct SaveBestEpoch {
    ctx: FitContext,
    history: Arc<Mutex<TrialHistory>>,
}

impl Callback for SaveBestEpoch {
    fn on_epoch_end(
        &mut self,
        model: &mut Model,
        _epoch: usize,
        logs: &mut Logs,
    ) -> kiln::Result<()> {
        let entries: Vec<(String, f64)> = logs.iter().map(|(k, v)| (k.to_string(), v)).collect();
        if save_if_best(&self.ctx, &entries) {
            model.save_weights(&self.ctx.checkpoint)?;
        }
        self.history
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(entries);
        Ok(())
    }
}

impl<F> HyperModel for F
where
    F: FnMut(&mut HyperParameters) -> kiln::Result<Model>,
{
    type Model = Model;
    type Data = KilnData;

    fn build(&mut self, hp: &mut HyperParameters) -> Result<Model> {
        Ok(self(hp)?)
    }

    fn fit(
        &mut self,
        _hp: &HyperParameters,
        model: &mut Model,
        data: &mut KilnData,
        ctx: &FitContext,
    ) -> Result<TrialHistory> {
        let mut args = (data.fit_args)();
        if let Some(e) = ctx.epochs {
            args = args.epochs(e);
        }
        if let Some(e) = ctx.initial_epoch {
            args = args.initial_epoch(e);
        }
        let history = Arc::new(Mutex::new(Vec::new()));
        args = args.callback(SaveBestEpoch {
            ctx: ctx.clone(),
            history: history.clone(),
        });
        model.fit(data.x.clone(), data.y.clone(), args)?;
        let h = history.lock().unwrap_or_else(|e| e.into_inner()).clone();
        Ok(h)
    }

    fn save_weights(&self, model: &Model, path: &Path) -> Result<()> {
        Ok(model.save_weights(path)?)
    }

    fn load_weights(&self, model: &mut Model, path: &Path) -> Result<()> {
        Ok(model.load_weights(path)?)
    }
}

impl<F> Tuner<F>
where
    F: FnMut(&mut HyperParameters) -> kiln::Result<Model>,
{
    /// `tuner.search(x, y, epochs=..., validation_data=..., callbacks=...)`: `fit_args`
    /// gives the arguments of each fit (called once per execution, so callbacks such as
    /// `EarlyStopping` start fresh).
    ///
    /// ```
    /// use kiln::layers::Dense;
    /// use kiln::models::{CompileArgs, FitArgs, Model};
    /// use kiln_tensor::Tensor;
    /// use kiln_tuner::{HyperParameters, Int, RandomSearch};
    /// let x = Tensor::from_vec((0..64).map(|i| i as f32 / 64.0).collect(), &[32, 2])?;
    /// let y = Tensor::from_vec((0..32).map(|i| (i % 2) as f32).collect(), &[32, 1])?;
    /// let build = |hp: &mut HyperParameters| -> kiln::Result<Model> {
    ///     let units = hp.int(Int::new("units", 2, 8).step(2))? as usize;
    ///     let mut m = Model::sequential(vec![
    ///         Dense::new(units).activation("relu").input_shape(&[2]).into(),
    ///         Dense::new(1).activation("sigmoid").into(),
    ///     ])?;
    ///     m.compile(CompileArgs::new().optimizer("adam").loss("binary_crossentropy").metrics(["accuracy"]))?;
    ///     Ok(m)
    /// };
    /// let dir = std::env::temp_dir().join(format!("kt_doc_search_{}", std::process::id()));
    /// let mut tuner = RandomSearch::new(build)
    ///     .objective("loss").max_trials(2).seed(1)
    ///     .directory(&dir).overwrite(true).verbose(0).build()?;
    /// let (xv, yv) = (x.clone(), y.clone());
    /// tuner.search(&x, &y, move || FitArgs::new().epochs(2).verbose(0))?;
    /// assert_eq!(tuner.oracle().trials().len(), 2);
    /// let best = tuner.get_best_models(1)?;
    /// assert_eq!(best.len(), 1);
    /// # let _ = (xv, yv);
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn search(
        &mut self,
        x: impl Into<Tensors>,
        y: impl Into<Tensors>,
        fit_args: impl FnMut() -> FitArgs + 'static,
    ) -> Result<()> {
        let mut data = KilnData::new(x, y, fit_args);
        self.search_with(&mut data)
    }
}
