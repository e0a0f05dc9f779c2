//! The `training_config` and `optimizer_weights` of a legacy `.h5` model file (tf.keras 2
//! and Keras 3's `model.save("m.h5")`): recompiling the loaded model and restoring its
//! optimizer state.
//!
//! What is honoured faithfully: the optimizer class and every hyperparameter kiln has
//! (the result's `get_config` must agree with the file's, else the model is left
//! uncompiled), losses and metrics by name (Keras 2's `MeanMetricWrapper` objects and
//! per-output lists included), and the Adam/AdamW state (step count, first and second
//! moments) in both files' naming schemes, matched to the model's variables by name. A
//! state kiln cannot map exactly (another optimizer's slots, AMSGrad, tf.keras's legacy
//! `OptimizerV2` names) is not guessed: the model gets a freshly initialised optimizer
//! and a warning says so, as Keras does when a saved state does not fit.

use std::collections::HashMap;

use kiln_hdf5::Group;
use kiln_tensor::Tensor;
use serde_json::Value;

use super::legacy_h5::strings_attr;
use crate::models::{CompileArgs, Model};
use crate::optimizers::{self, Optimizer};

/// A reason the config could not be honoured (it becomes the warning's text).
type Why = String;

fn num(c: &Value, k: &str, default: f64) -> std::result::Result<f64, Why> {
    match c.get(k) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_f64()
            .ok_or_else(|| format!("optimizer '{k}' is {v}, not a number")),
    }
}

fn flag(c: &Value, k: &str) -> bool {
    c.get(k).and_then(Value::as_bool).unwrap_or(false)
}

/// The optimizer of `optimizer_config`, with the file's hyperparameters.
pub(crate) fn optimizer_from(oc: &Value) -> std::result::Result<Box<dyn Optimizer>, Why> {
    let class = oc
        .get("class_name")
        .and_then(Value::as_str)
        .ok_or("optimizer_config has no class_name")?;
    // tf.keras 2.11+ registers its optimizers as `Custom>Adam`.
    let class = class.strip_prefix("Custom>").unwrap_or(class);
    let c = oc.get("config").cloned().unwrap_or(Value::Null);
    if flag(&c, "use_ema") {
        return Err("the optimizer uses EMA (use_ema=True), which kiln does not implement".into());
    }
    for k in ["gradient_accumulation_steps", "loss_scale_factor"] {
        if c.get(k).is_some_and(|v| !v.is_null()) {
            return Err(format!("optimizer '{k}' = {} is not implemented", c[k]));
        }
    }
    if num(&c, "decay", 0.0)? != 0.0 {
        return Err("the legacy optimizer's learning-rate 'decay' is not implemented".into());
    }
    let lr = match c.get("learning_rate").or_else(|| c.get("lr")) {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(other) => {
            return Err(format!(
                "learning_rate {other} (a schedule) is not restored from a legacy file"
            ))
        }
    };
    let mut opt = optimizers::get(class).map_err(|e| e.to_string())?;
    let default_lr = opt.learning_rate();
    let lr = lr.unwrap_or(default_lr);
    let b1 = num(&c, "beta_1", 0.9)?;
    let b2 = num(&c, "beta_2", 0.999)?;
    let eps = num(&c, "epsilon", 1e-7)?;
    let amsgrad = flag(&c, "amsgrad");
    opt = match class.to_ascii_lowercase().as_str() {
        "adam" => Box::new(
            optimizers::Adam::new(lr)
                .beta_1(b1)
                .beta_2(b2)
                .epsilon(eps)
                .amsgrad(amsgrad),
        ),
        "adamw" => Box::new(
            optimizers::AdamW::new(lr)
                .beta_1(b1)
                .beta_2(b2)
                .epsilon(eps)
                .amsgrad(amsgrad)
                .weight_decay(num(&c, "weight_decay", 0.004)?),
        ),
        "sgd" => Box::new(
            optimizers::SGD::new(lr)
                .momentum(num(&c, "momentum", 0.0)?)
                .nesterov(flag(&c, "nesterov")),
        ),
        "rmsprop" => Box::new(
            optimizers::RMSprop::new(lr)
                .rho(num(&c, "rho", 0.9)?)
                .momentum(num(&c, "momentum", 0.0)?)
                .epsilon(eps)
                .centered(flag(&c, "centered")),
        ),
        // The others read their hyperparameters from the config by name.
        _ => {
            let mut o = optimizers::from_config(class, &c).map_err(|e| e.to_string())?;
            o.set_learning_rate(lr);
            o
        }
    };
    check_config(&*opt, &c)?;
    Ok(opt)
}

/// Every hyperparameter kiln's optimizer reports must equal the file's (f32 round-off
/// allowed): an optimizer that would train differently is refused, not approximated.
fn check_config(opt: &dyn Optimizer, file: &Value) -> std::result::Result<(), Why> {
    let ours = opt.get_config();
    let Some(ours) = ours.get("config").and_then(Value::as_object) else {
        return Ok(());
    };
    for (k, v) in ours {
        if k == "name" {
            continue;
        }
        let theirs = match file.get(k) {
            Some(t) => t,
            None if k == "learning_rate" => match file.get("lr") {
                Some(t) => t,
                None => continue,
            },
            None => continue,
        };
        let same = match (v.as_f64(), theirs.as_f64()) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-7 * b.abs().max(1e-30),
            _ => v == theirs,
        };
        if !same {
            return Err(format!(
                "optimizer '{k}' is {theirs} in the file, but kiln's {} has {v}",
                opt.name()
            ));
        }
    }
    Ok(())
}

/// A metric entry: a name, or Keras 2's `{"class_name": "MeanMetricWrapper", "config":
/// {"name": "accuracy", "fn": "sparse_categorical_accuracy"}}` (the name a user gave
/// when it is `accuracy`/`acc`, which kiln resolves from the loss as Keras did), or a
/// metric class's object (its configured name).
fn metric_name(m: &Value) -> std::result::Result<String, Why> {
    match m {
        Value::String(s) => Ok(s.clone()),
        Value::Object(o) => {
            let c = o.get("config").cloned().unwrap_or(Value::Null);
            let name = c.get("name").and_then(Value::as_str);
            let class = o.get("class_name").and_then(Value::as_str).unwrap_or("");
            match (class, name, c.get("fn").and_then(Value::as_str)) {
                ("MeanMetricWrapper", Some(n @ ("accuracy" | "acc")), _) => Ok(n.to_string()),
                ("MeanMetricWrapper", _, Some(f)) => Ok(f.to_string()),
                (_, Some(n), _) => Ok(n.to_string()),
                _ => Err(format!("metric {m} has no name")),
            }
        }
        other => Err(format!("metric {other} is not a name or a metric object")),
    }
}

/// Keras 2's saved metrics with each metric object replaced by its name (Keras 2 wrote
/// `MeanMetricWrapper` objects for names given to `compile`); the list structure (one list,
/// or one per output) is kept.
fn legacy_metrics(v: &Value) -> std::result::Result<Value, Why> {
    match v {
        Value::Array(items) => Ok(Value::Array(
            items
                .iter()
                .map(legacy_metrics)
                .collect::<std::result::Result<_, _>>()?,
        )),
        Value::Object(o) if !o.contains_key("class_name") => Ok(Value::Object(
            o.iter()
                .map(|(k, m)| Ok((k.clone(), legacy_metrics(m)?)))
                .collect::<std::result::Result<_, Why>>()?,
        )),
        m => Ok(Value::String(metric_name(m)?)),
    }
}

/// `model.compile(**compile_args_from_training_config(tc))`.
fn compile(model: &mut Model, tc: &Value) -> std::result::Result<(), Why> {
    let oc = tc
        .get("optimizer_config")
        .ok_or("training_config has no optimizer_config")?;
    // Keras 2 writes metrics per output as lists; names inside are resolved as Keras 2's
    // `compile` would (object forms by their name).
    let metrics = match tc.get("metrics") {
        Some(m) if !m.is_null() => Some(legacy_metrics(m)?),
        _ => None,
    };
    let args = super::compile_config::compile_args(
        model,
        CompileArgs::new().optimizer(optimizer_from(oc)?),
        tc.get("loss"),
        tc.get("loss_weights"),
        metrics.as_ref(),
    )?;
    if let Some(w) = tc.get("weighted_metrics").filter(|w| !w.is_null())
        && w.as_array().is_some_and(|a| !a.is_empty())
    {
        eprintln!("warning: weighted_metrics {w} are not restored (kiln has none)");
    }
    model.compile(args).map_err(|e| e.to_string())
}

/// The saved name of every variable, from `model_weights/<layer>/weight_names` (without
/// `:0`), keyed by variable id. An unreadable attribute is a corrupt file (the error).
fn saved_names(
    model: &Model,
    weights: &Group,
) -> std::result::Result<HashMap<u64, String>, String> {
    let mut out = HashMap::new();
    for layer in model.layers() {
        let mut vars = layer.trainable_weights();
        vars.extend(layer.non_trainable_weights());
        if vars.is_empty() {
            continue;
        }
        let g = weights.group(&layer.name()).map_err(|e| e.to_string())?;
        let names = strings_attr(&g, "weight_names")
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        for (v, n) in vars.iter().zip(names) {
            let n = n.strip_suffix(":0").unwrap_or(&n).to_string();
            out.entry(v.id()).or_insert(n);
        }
    }
    Ok(out)
}

/// Every dataset `optimizer_weights` lists, by name, in the file's order. Any read
/// failure is a corrupt file (the error), whatever kiln then makes of the values.
type Saved = Vec<(String, Tensor)>;

fn read_optimizer_weights(root: &Group) -> std::result::Result<Saved, String> {
    let og = root.group("optimizer_weights").map_err(|e| e.to_string())?;
    let names = strings_attr(&og, "weight_names")
        .map_err(|e| e.to_string())?
        .unwrap_or_default();
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let ds = og
            .dataset(&name)
            .map_err(|e| format!("optimizer weight '{name}': {e}"))?;
        let data = ds
            .read_f32()
            .map_err(|e| format!("optimizer weight '{name}': {e}"))?;
        let t = Tensor::from_vec(data, ds.shape()).map_err(|e| e.to_string())?;
        out.push((name, t));
    }
    Ok(out)
}

/// The optimizer's saved variables in kiln's order (iterations, learning rate, each
/// trainable variable's slots), looked up by name: tf.keras 2 writes `iteration:0` and
/// `<opt>/m/<variable>:0`, Keras 3 writes `<opt>/iteration`, `<opt>/learning_rate` and
/// `<opt>/<variable path with '_'>_momentum`. Anything that does not map exactly is a
/// reason to start fresh (the error).
fn state(
    model: &Model,
    saved: &Saved,
    var_names: &HashMap<u64, String>,
    opt: &dyn Optimizer,
    amsgrad: bool,
) -> std::result::Result<Vec<Tensor>, Why> {
    if !matches!(opt.name(), "adam" | "adamw") || amsgrad {
        return Err(format!(
            "restoring a saved {} state{} is not implemented",
            opt.name(),
            if amsgrad { " with AMSGrad" } else { "" }
        ));
    }
    let names: Vec<&str> = saved.iter().map(|(n, _)| n.as_str()).collect();
    let find = |pred: &dyn Fn(&str) -> bool, what: &str| -> std::result::Result<Tensor, Why> {
        let hits: Vec<&(String, Tensor)> = saved.iter().filter(|(n, _)| pred(n)).collect();
        match hits.as_slice() {
            [one] => Ok(one.1.clone()),
            [] => Err(format!(
                "no optimizer weight for {what} (the file has {names:?})"
            )),
            _ => Err(format!("several optimizer weights for {what}")),
        }
    };
    let keras2 = names.contains(&"iteration:0");
    let iterations = if keras2 {
        find(&|n: &str| n == "iteration:0", "iteration")?
    } else {
        find(&|n: &str| n.ends_with("/iteration"), "iteration")?
    };
    let mut out = vec![iterations, Tensor::scalar(opt.learning_rate() as f32)];
    for v in &model.trainable_weights() {
        let path = var_names
            .get(&v.id())
            .ok_or_else(|| format!("variable '{}' has no saved name", v.name()))?;
        for (k2, k3) in [("m", "momentum"), ("v", "velocity")] {
            let want = if keras2 {
                format!("/{k2}/{path}:0")
            } else {
                format!("/{}_{k3}", path.replace('/', "_"))
            };
            let t = find(&|n: &str| n.ends_with(&want), &want)?;
            if t.shape() != v.shape().as_slice() {
                return Err(format!(
                    "optimizer weight '*{want}' has shape {:?}, its variable {:?}",
                    t.shape(),
                    v.shape()
                ));
            }
            out.push(t);
        }
    }
    // tf.keras 2 saves no learning rate variable; Keras 3 does.
    let mapped = out.len() - usize::from(keras2);
    if names.len() != mapped {
        return Err(format!(
            "the file has {} optimizer weights, kiln maps {mapped} of them",
            names.len()
        ));
    }
    Ok(out)
}

/// Compiles `model` from the file's `training_config` and restores the optimizer state
/// from its `optimizer_weights` group (see the module doc). Returns the warnings (also
/// printed to stderr): a config that cannot be honoured leaves the model uncompiled, a
/// state that cannot be mapped leaves a fresh optimizer. An unreadable part of the file
/// (truncated, corrupt, invalid JSON) is the error.
pub(crate) fn restore(
    model: &mut Model,
    root: &Group,
    source: &str,
) -> std::result::Result<Vec<String>, String> {
    let mut warnings = Vec::new();
    let tc =
        match strings_attr(root, "training_config").map_err(|e| format!("training_config: {e}"))? {
            Some(v) => v.into_iter().next().unwrap_or_default(),
            None => return Ok(warnings),
        };
    let tc: Value =
        serde_json::from_str(&tc).map_err(|e| format!("training_config is not valid JSON: {e}"))?;
    let has_state = root
        .is_group("optimizer_weights")
        .map_err(|e| e.to_string())?;
    let saved = if has_state {
        Some(read_optimizer_weights(root)?)
    } else {
        None
    };
    let weights = root.group("model_weights").map_err(|e| e.to_string())?;
    let var_names = saved_names(model, &weights)?;
    if let Err(why) = compile(model, &tc) {
        warnings.push(format!("{source}: not compiled: {why}"));
    } else if let Some(saved) = &saved {
        let amsgrad = flag(&tc["optimizer_config"]["config"], "amsgrad");
        let values = match model.optimizer() {
            Some(opt) => state(model, saved, &var_names, opt, amsgrad),
            None => Err("no optimizer".into()),
        };
        let restored =
            values.and_then(|v| model.set_optimizer_state(&v).map_err(|e| e.to_string()));
        if let Err(why) = restored {
            // The compiled optimizer has not stepped yet: it is freshly initialised.
            warnings.push(format!(
                "{source}: the saved optimizer state was not restored ({why}); training starts with a freshly initialized optimizer"
            ));
        }
    }
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    Ok(warnings)
}
