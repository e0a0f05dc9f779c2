//! `compile_config` of a `.keras` file: recompiling a loaded model as Keras does, and the
//! loss / loss-weight / metric structures shared with the legacy `training_config`.

use serde_json::Value;

use super::objects::{deserialize_loss, deserialize_metric};
use crate::losses::Loss;
use crate::models::{CompileArgs, LossArg, MetricArg, Model};

/// A reason a saved compile could not be honoured.
pub(crate) type Why = String;

/// Compiles `model` from a Keras 3 `compile_config`: the optimizer with its saved
/// hyperparameters, losses (names, built-in classes with their config, registered
/// custom functions and classes; one, a list or a map by output name), loss weights and
/// metrics (shared, per output, or a map by output name). `Err` names what could not be
/// restored; the model is then left uncompiled.
pub(crate) fn compile_from(model: &mut Model, cc: &Value) -> Result<(), Why> {
    let optimizer = match cc.get("optimizer") {
        None | Some(Value::Null) => crate::optimizers::get("rmsprop").map_err(|e| e.to_string())?,
        Some(Value::String(s)) => crate::optimizers::get(s).map_err(|e| e.to_string())?,
        Some(o @ Value::Object(_)) => super::legacy_training::optimizer_from(o)?,
        Some(other) => return Err(format!("optimizer {other} is not a name or an object")),
    };
    if let Some(w) = cc.get("weighted_metrics").filter(|w| !is_empty(w)) {
        return Err(format!(
            "weighted_metrics {w} are not supported by kiln's compile"
        ));
    }
    let args = compile_args(
        model,
        CompileArgs::new()
            .optimizer(optimizer)
            .jit_compile(jit_compile_of(cc)?)
            .steps_per_execution(steps_per_execution_of(cc)?),
        cc.get("loss"),
        cc.get("loss_weights"),
        cc.get("metrics"),
    )?;
    model.compile(args).map_err(|e| e.to_string())
}

/// `jit_compile`: a bool, or Keras's `"auto"` (false on a CPU, as Keras resolves it).
fn jit_compile_of(cc: &Value) -> Result<bool, Why> {
    match cc.get("jit_compile") {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s == "auto" => Ok(false),
        Some(other) => Err(format!("jit_compile {other} is not a bool or \"auto\"")),
    }
}

fn steps_per_execution_of(cc: &Value) -> Result<usize, Why> {
    match cc.get("steps_per_execution") {
        None | Some(Value::Null) => Ok(1),
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => Ok(n as usize),
            _ => Err(format!("steps_per_execution {v} is not a positive integer")),
        },
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// `value` per output, in the model's output order: one list entry per output, or a map
/// keyed by output name (every key must name an output).
fn per_output<'a>(
    model: &Model,
    what: &str,
    value: &'a Value,
) -> Result<Vec<Option<&'a Value>>, Why> {
    let names = model.output_names();
    match value {
        Value::Array(items) => {
            if items.len() != names.len() {
                return Err(format!(
                    "{what} has {} entries, but the model has {} outputs {names:?}",
                    items.len(),
                    names.len()
                ));
            }
            Ok(items.iter().map(Some).collect())
        }
        Value::Object(map) => {
            if let Some(bad) = map.keys().find(|k| !names.contains(k)) {
                return Err(format!(
                    "{what} names output '{bad}', but the model's outputs are {names:?}"
                ));
            }
            Ok(names.iter().map(|n| map.get(n)).collect())
        }
        other => Err(format!("{what} {other} is not a list or a map")),
    }
}

/// Metrics given per output: a list of lists, or a map keyed by output name.
fn is_per_output(v: &Value) -> bool {
    match v {
        Value::Array(items) => {
            !items.is_empty() && items.iter().all(|i| i.is_array() || i.is_null())
        }
        Value::Object(_) => !is_object(v),
        _ => false,
    }
}

fn is_object(v: &Value) -> bool {
    v.as_object().is_some_and(|o| o.contains_key("class_name"))
}

/// Adds the saved losses, loss weights and metrics to `args`.
pub(crate) fn compile_args(
    model: &Model,
    mut args: CompileArgs,
    loss: Option<&Value>,
    loss_weights: Option<&Value>,
    metrics: Option<&Value>,
) -> Result<CompileArgs, Why> {
    let one = |v: &Value| -> Result<LossArg, Why> { Ok(LossArg::Object(deserialize_loss(v)?)) };
    match loss {
        None | Some(Value::Null) => {}
        Some(v @ Value::String(_)) => args = args.loss(one(v)?),
        Some(v) if is_object(v) => args = args.loss(one(v)?),
        Some(v) => {
            let mut losses = Vec::new();
            for (i, l) in per_output(model, "loss", v)?.into_iter().enumerate() {
                match l {
                    Some(l) if !l.is_null() => losses.push(one(l)?),
                    _ => {
                        return Err(format!(
                            "output {} ('{}') has no loss; kiln trains every output",
                            i,
                            model.output_names()[i]
                        ))
                    }
                }
            }
            args = if v.is_object() {
                args.loss_map(model.output_names().into_iter().zip(losses))
            } else {
                args.losses(losses)
            };
        }
    }
    match loss_weights {
        None | Some(Value::Null) => {}
        Some(v) => {
            let mut weights = Vec::new();
            for w in per_output(model, "loss_weights", v)? {
                weights.push(match w {
                    None => 1.0,
                    Some(w) => w
                        .as_f64()
                        .ok_or_else(|| format!("loss weight {w} is not a number"))?,
                });
            }
            args = if v.is_object() {
                args.loss_weights_map(model.output_names().into_iter().zip(weights))
            } else {
                args.loss_weights(&weights)
            };
        }
    }
    let list = |v: &Value| -> Result<Vec<MetricArg>, Why> {
        match v {
            Value::Array(items) => items.iter().map(deserialize_metric).collect(),
            Value::Null => Ok(Vec::new()),
            single => Ok(vec![deserialize_metric(single)?]),
        }
    };
    match metrics {
        None | Some(Value::Null) => {}
        Some(v) if is_per_output(v) => {
            let lists = per_output(model, "metrics", v)?
                .into_iter()
                .map(|m| m.map_or(Ok(Vec::new()), list))
                .collect::<Result<Vec<_>, _>>()?;
            args = if v.is_object() {
                args.metrics_map(model.output_names().into_iter().zip(lists))
            } else {
                args.metrics_per_output(lists)
            };
        }
        Some(v) => args = args.metrics(list(v)?),
    }
    Ok(args)
}

/// The saved form of the compiled losses (Keras writes one loss as itself, several as a
/// list in output order).
pub(crate) fn losses_value(losses: &[Box<dyn Loss>]) -> Value {
    match losses {
        [] => Value::Null,
        [l] => super::serialize_loss(l.as_ref()),
        ls => Value::Array(
            ls.iter()
                .map(|l| super::serialize_loss(l.as_ref()))
                .collect(),
        ),
    }
}
