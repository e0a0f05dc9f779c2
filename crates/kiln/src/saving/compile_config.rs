//! `compile_config` of a `.keras` file: recompiling a loaded model as Keras does.

use serde_json::Value;

use crate::models::{CompileArgs, Model};

/// Compiles `model` from a Keras `compile_config` when kiln understands it: an optimizer
/// given by class name (with its `learning_rate`), losses and metrics given by name. As in
/// Keras, a config that cannot be honoured leaves the model uncompiled (then `fit` reports
/// that the model is not compiled) instead of failing the load.
pub(crate) fn compile_from(model: &mut Model, cc: &Value) -> bool {
    let Some(opt) = cc.get("optimizer") else {
        return false;
    };
    let class = match opt {
        Value::String(s) => s.clone(),
        Value::Object(o) => match o.get("class_name").and_then(Value::as_str) {
            Some(c) => c.to_string(),
            None => return false,
        },
        _ => return false,
    };
    let Ok(mut optimizer) = crate::optimizers::get(&class) else {
        return false;
    };
    if let Some(lr) = opt
        .get("config")
        .and_then(|c| c.get("learning_rate"))
        .and_then(Value::as_f64)
    {
        optimizer.set_learning_rate(lr);
    }
    let mut args = CompileArgs::new().optimizer(optimizer);
    match cc.get("loss") {
        Some(Value::String(l)) => args = args.loss(l.as_str()),
        Some(Value::Array(ls)) if ls.iter().all(Value::is_string) => {
            for l in ls {
                args = args.loss(l.as_str().unwrap_or_default());
            }
        }
        Some(Value::Null) | None => {}
        _ => return false,
    }
    if let Some(Value::Array(ms)) = cc.get("metrics") {
        let names: Vec<&str> = ms.iter().filter_map(Value::as_str).collect();
        if names.len() != ms.len() {
            return false;
        }
        args = args.metrics(names);
    }
    model.compile(args).is_ok()
}
