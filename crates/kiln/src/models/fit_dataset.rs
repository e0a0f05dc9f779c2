//! `fit` / `evaluate` / `predict` over a [`Dataset`] (Keras's `model.fit(dataset)`):
//! each element is `(x, y)` or `(x, y, sample_weight)` (for `predict`, `x` or `(x,)`),
//! where `x` and `y` are a tensor or a tuple of tensors (several inputs or outputs).

use kiln_data::dataset::Dataset;
use kiln_tensor::Tensor;

use crate::callbacks::{CallbackParams, History, Logs, ProgbarLogger};
use crate::models::compile_args::FitArgs;
use crate::models::data_adapter::{DataAdapter, EpochIterator};
use crate::models::trainer::FitPlan;
use crate::models::Model;
use crate::{Error, Result};

fn bad(api: &'static str, msg: String) -> Error {
    Error::InvalidArgument { api, msg }
}

impl Model {
    /// Trains on a dataset of batches (`model.fit(dataset, epochs=...)`). Each epoch is
    /// one pass over the dataset, or `steps_per_epoch` batches drawn from a continuing
    /// iterator (which restarts when exhausted); an infinite dataset needs
    /// `steps_per_epoch`. As in Keras, `batch_size` and `shuffle` do not apply (the
    /// dataset decides), `validation_split` and `sample_weight` are errors (hold the
    /// validation data out of the dataset, and put sample weights in its elements), and
    /// `class_weight` weights each batch by its labels; `validation_data` works as in
    /// [`Model::fit`].
    ///
    /// ```
    /// use kiln::layers::Dense;
    /// use kiln::models::{CompileArgs, FitArgs, Model};
    /// use kiln_data::dataset::Dataset;
    /// use kiln_tensor::{DType, Tensor};
    /// let mut m = Model::sequential(vec![Dense::new(1).input_shape(&[2]).into()])?;
    /// m.compile(CompileArgs::new().optimizer("sgd").loss("mse"))?;
    /// let ds = Dataset::from_tensor_slices((Tensor::ones(&[8, 2], DType::F32), Tensor::ones(&[8, 1], DType::F32)))?
    ///     .batch(4)?;
    /// let h = m.fit_dataset(&ds, FitArgs::new().epochs(2).verbose(0))?;
    /// assert_eq!(h.history["loss"].len(), 2);
    /// assert!(m.fit_dataset(&ds.repeat(None), FitArgs::new().verbose(0)).is_err());
    /// let e = m.fit_dataset(&ds, FitArgs::new().validation_split(0.2)).unwrap_err();
    /// assert!(e.to_string().contains("validation_split"), "{e}");
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn fit_dataset(&mut self, ds: &Dataset, mut args: FitArgs) -> Result<History> {
        let api = "Model.fit";
        self.compiled_mut(api)?;
        if args.validation_split != 0.0 {
            return Err(bad(
                api,
                format!(
                    "validation_split={} is only supported for tensors, not a Dataset; hold the \
                     validation batches out of the dataset (take/skip) and pass them as \
                     validation_data",
                    args.validation_split
                ),
            ));
        }
        if args.sample_weight.is_some() {
            return Err(bad(
                api,
                "when x is a Dataset, sample_weight should not be passed; include the sample \
                 weights in the dataset's elements as (x, y, sample_weight)"
                    .into(),
            ));
        }
        let validation = match args.validation_data.take() {
            Some((vx, vy, vw)) => {
                let (vx, vy) = self.resolve_xy(api, vx, vy)?;
                let vb = args.validation_batch_size.unwrap_or(args.batch_size);
                Some(DataAdapter::tensors(api, vx, vy, vw, vb, false, 0)?)
            }
            None => None,
        };
        let adapter = DataAdapter::Dataset {
            ds: ds.clone(),
            targets: true,
        };
        let data = EpochIterator::new(api, adapter, args.steps_per_epoch)?;
        let class_weight = args.class_weight.take();
        self.run_fit(
            api,
            FitPlan {
                data,
                validation,
                class_weight,
            },
            args,
        )
    }

    /// Loss and metrics over one pass of a dataset of `(x, y[, sample_weight])` batches.
    ///
    /// ```
    /// use kiln::layers::Dense;
    /// use kiln::models::{CompileArgs, Model};
    /// use kiln_data::dataset::Dataset;
    /// use kiln_tensor::{DType, Tensor};
    /// let mut m = Model::sequential(vec![Dense::new(1).kernel_initializer("zeros").input_shape(&[2]).into()])?;
    /// m.compile(CompileArgs::new().loss("mse"))?;
    /// let ds = Dataset::from_tensor_slices((Tensor::ones(&[6, 2], DType::F32), Tensor::ones(&[6, 1], DType::F32)))?.batch(4)?;
    /// assert_eq!(m.evaluate_dataset(&ds, 0)?.get("loss"), Some(1.0));
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn evaluate_dataset(&mut self, ds: &Dataset, verbose: u8) -> Result<Logs> {
        let api = "Model.evaluate";
        self.compiled_mut(api)?;
        let data = DataAdapter::Dataset {
            ds: ds.clone(),
            targets: true,
        };
        if data.is_infinite() {
            return Err(bad(api, "cannot evaluate an infinite dataset".into()));
        }
        let params = CallbackParams {
            verbose,
            epochs: 0,
            steps: data.num_batches(),
        };
        let mut callbacks: Vec<Box<dyn crate::callbacks::Callback>> = Vec::new();
        if verbose > 0 {
            let mut p = ProgbarLogger::default();
            crate::callbacks::Callback::set_params(&mut p, &params);
            callbacks.push(Box::new(p));
        }
        self.run_evaluate(api, &data, None, &mut callbacks)
    }

    /// Predictions over one pass of a dataset whose elements are `x`, `(x,)` or `(x, y...)`
    /// (targets are ignored), concatenated along the batch axis (first output).
    pub fn predict_dataset(&mut self, ds: &Dataset) -> Result<Tensor> {
        let api = "Model.predict";
        let data = DataAdapter::Dataset {
            ds: ds.clone(),
            targets: false,
        };
        if data.is_infinite() {
            return Err(bad(api, "cannot predict over an infinite dataset".into()));
        }
        let mut outs = self.run_predict(api, &data, None, &mut [])?;
        Ok(outs.swap_remove(0))
    }
}
