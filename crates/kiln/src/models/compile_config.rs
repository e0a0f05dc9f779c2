//! The compile config (Keras's `get_compile_config` / `compile_from_config`): what
//! `compile` was given, in the form a `.keras` file saves, and back.

use kiln_tensor::Tensor;

use crate::models::compile_args::MetricArg;
use crate::models::Model;
use crate::{Error, Result};

impl Model {
    /// Keras's `model.compile_from_config(config)`: compiles from a saved
    /// `compile_config` (see [`Model::get_compile_config`]); an `Err` names what could
    /// not be restored (an unregistered custom loss, an unknown output name, ...).
    ///
    /// ```
    /// use kiln::layers::Dense;
    /// use kiln::models::{CompileArgs, Model};
    /// let mut m = Model::sequential(vec![Dense::new(1).input_shape(&[3]).into()])?;
    /// m.compile(CompileArgs::new().optimizer("sgd").loss("mse"))?;
    /// let cc = m.get_compile_config().unwrap();
    /// let mut again = Model::sequential(vec![Dense::new(1).input_shape(&[3]).into()])?;
    /// again.compile_from_config(&cc)?;
    /// assert_eq!(again.get_compile_config(), Some(cc));
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn compile_from_config(&mut self, config: &serde_json::Value) -> Result<()> {
        crate::saving::compile_from(self, config).map_err(|why| Error::InvalidArgument {
            api: "Model.compile_from_config",
            msg: why,
        })
    }
}

/// `items` in output order: as given, or looked up by output name when `keys` are given
/// (`missing` supplies an output left out, or `None` when that is an error).
pub(crate) fn by_output<T>(
    what: &str,
    keys: Option<Vec<String>>,
    items: Vec<T>,
    outputs: &[String],
    missing: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>> {
    let Some(keys) = keys else {
        return Ok(items);
    };
    let bad = |msg: String| Error::InvalidArgument {
        api: "Model.compile",
        msg,
    };
    if let Some(k) = keys.iter().find(|k| !outputs.contains(k)) {
        return Err(bad(format!(
            "the {what} map names '{k}', which is not an output; the model's outputs are {outputs:?} (received {keys:?})"
        )));
    }
    let mut by_name: std::collections::HashMap<String, T> = keys.into_iter().zip(items).collect();
    outputs
        .iter()
        .map(|o| {
            by_name.remove(o).or_else(|| missing(o)).ok_or_else(|| {
                bad(format!(
                    "the {what} map has no entry for output '{o}'; the model's outputs are {outputs:?}"
                ))
            })
        })
        .collect()
}

/// The metrics given to `compile` as Keras saves them: names as given, objects in their
/// object form; one list for every output, or one list per output.
pub(crate) fn saved_metrics(metrics: &[Vec<MetricArg>], shared: bool) -> serde_json::Value {
    use serde_json::Value;
    let list = |ms: &[MetricArg]| -> Value {
        Value::Array(
            ms.iter()
                .map(|m| match m {
                    MetricArg::Name(n) => Value::String(n.clone()),
                    MetricArg::Object(o) => crate::saving::serialize_metric(o.as_ref()),
                })
                .collect(),
        )
    };
    match (metrics, shared) {
        ([], _) => Value::Null,
        ([ms], true) => list(ms),
        (per, _) => Value::Array(per.iter().map(|ms| list(ms)).collect()),
    }
}

/// Keras's class name for an optimizer's `name`.
fn optimizer_class(name: &str) -> String {
    match name {
        "sgd" => "SGD".into(),
        "rmsprop" => "RMSprop".into(),
        "adamw" => "AdamW".into(),
        other => {
            let mut c = other.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        }
    }
}

impl Model {
    /// Keras's `model.get_compile_config()` (`None` when not compiled), as saved in a
    /// `.keras` file: the optimizer as a Keras object, the losses (a built-in loss with
    /// its default options by name, else in Keras's object form; custom ones by their
    /// registered name, see [`crate::saving::register_loss_fn`]), the loss weights and
    /// the metrics as given to `compile`.
    ///
    /// ```
    /// use kiln::layers::Dense;
    /// use kiln::models::{CompileArgs, Model};
    /// let mut m = Model::sequential(vec![Dense::new(1).input_shape(&[3]).into()])?;
    /// m.compile(CompileArgs::new().optimizer("sgd").loss("mse").metrics(["mae"]))?;
    /// let cc = m.get_compile_config().unwrap();
    /// assert_eq!(cc["loss"], "mean_squared_error");
    /// assert_eq!(cc["metrics"], serde_json::json!(["mae"]));
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn get_compile_config(&self) -> Option<serde_json::Value> {
        use serde_json::json;
        let c = self.compiled.as_ref()?;
        let oc = c.optimizer.get_config();
        // `get_config` is already a Keras object for kiln's optimizers; wrap a bare config.
        let optimizer = if oc.get("class_name").is_some() {
            oc
        } else {
            json!({
                "module": "keras.optimizers",
                "class_name": optimizer_class(c.optimizer.name()),
                "config": oc,
                "registered_name": null,
            })
        };
        let keyed = |v: serde_json::Value, by_name: bool| -> serde_json::Value {
            match v {
                serde_json::Value::Array(items)
                    if by_name && items.len() == c.output_names.len() =>
                {
                    serde_json::Value::Object(c.output_names.iter().cloned().zip(items).collect())
                }
                other => other,
            }
        };
        let mut loss = crate::saving::losses_value(&c.losses);
        if c.keyed.0 && c.losses.len() == 1 {
            loss = json!([loss]);
        }
        Some(json!({
            "optimizer": optimizer,
            "loss": keyed(loss, c.keyed.0),
            "loss_weights": keyed(json!(c.given_loss_weights), c.keyed.1),
            "metrics": keyed(c.saved_metrics.clone(), c.keyed.2),
            "weighted_metrics": null,
            "run_eagerly": false,
            "steps_per_execution": c.steps_per_execution,
            "jit_compile": c.jit_compile,
        }))
    }
}

impl Model {
    /// The optimizer's state for saving (`None` when not compiled or not exportable).
    pub(crate) fn optimizer_state(&self) -> Option<(String, Vec<Tensor>)> {
        let c = self.compiled.as_ref()?;
        let vars = self.trainable_weights();
        Some((
            c.optimizer.name().to_string(),
            c.optimizer.export_state(&vars)?,
        ))
    }

    /// Restores a saved optimizer state into the compiled model's optimizer.
    pub(crate) fn set_optimizer_state(&mut self, values: &[Tensor]) -> Result<()> {
        let vars = self.trainable_weights();
        let c = self.compiled_mut("load_model")?;
        c.optimizer.import_state(&vars, values)
    }
}
