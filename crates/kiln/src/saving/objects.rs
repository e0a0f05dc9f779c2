//! Custom objects in saving, as Keras 3's `register_keras_serializable`: losses and
//! metrics registered under `"package>name"` are written to a `.keras` file's
//! `compile_config` in Keras's object form and rebuilt from it on load. Built-in losses
//! and metrics need no registration.
//!
//! The object forms are Keras's own (`serialization_lib.serialize_keras_object`):
//! a function is `{"module": "builtins", "class_name": "function", "config":
//! "<package>><name>", "registered_name": "function"}`, a class is `{"module": ...,
//! "class_name": "<Class>", "config": {...}, "registered_name": "<package>><Class>"}`
//! (`null` for a built-in class, whose module is `keras.losses` / `keras.metrics`).
//!
//! ```
//! use kiln::losses::Loss;
//! kiln::saving::register_loss_fn("demo", "abs_sum", |y, p| Ok(p.sub(y)?.abs()?.sum(&[-1], false)?));
//! let loss = kiln::losses::get("demo>abs_sum")?;
//! assert_eq!(loss.class_name(), "function");
//! assert_eq!(kiln::saving::serialize_loss(loss.as_ref())["config"], "demo>abs_sum");
//! # Ok::<(), kiln::Error>(())
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::losses::{Loss, LossFn};
use crate::metrics::{MeanMetricWrapper, Metric};
use crate::{Error, Result};

type LossFactory = Arc<dyn Fn(&Value) -> Result<Box<dyn Loss>> + Send + Sync>;
type MetricFactory = Arc<dyn Fn(&Value) -> Result<Box<dyn Metric>> + Send + Sync>;
type TensorFn = Arc<dyn Fn(&Tensor, &Tensor) -> Result<Tensor> + Send + Sync>;
type ModelFactory = Arc<dyn Fn(&Value) -> Result<crate::models::Model> + Send + Sync>;

#[derive(Clone)]
enum Entry {
    LossClass(LossFactory),
    LossFn(TensorFn),
    MetricClass(MetricFactory),
    MetricFn(TensorFn),
    ModelClass(ModelFactory),
}

static REGISTRY: Mutex<Option<HashMap<String, Entry>>> = Mutex::new(None);

fn key(package: &str, name: &str) -> String {
    format!("{package}>{name}")
}

fn insert(k: String, e: Entry) {
    let mut g = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    g.get_or_insert_with(HashMap::new).insert(k, e);
}

/// The short name of a registered name (`"demo>my_loss"` -> `"my_loss"`).
fn short(name: &str) -> &str {
    name.rsplit('>').next().unwrap_or(name)
}

/// Finds a registration by its full name, or by its short name when exactly one
/// registration has it (Keras's `custom_objects={"my_loss": ...}` matches plain names).
fn lookup(name: &str, accept: fn(&Entry) -> bool) -> Option<(String, Entry)> {
    let g = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    let map = g.as_ref()?;
    if let Some(e) = map.get(name).filter(|e| accept(e)) {
        return Some((name.to_string(), e.clone()));
    }
    let want = short(name);
    let mut hits = map.iter().filter(|(k, e)| short(k) == want && accept(e));
    match (hits.next(), hits.next()) {
        (Some((k, e)), None) => Some((k.clone(), e.clone())),
        _ => None,
    }
}

/// Registers a loss function under `"package>name"` (`@register_keras_serializable(
/// package)` on a Python function): `losses::get("package>name")` (or `"name"`) returns it
/// and `load_model` restores a `compile_config` naming it.
pub fn register_loss_fn(
    package: &str,
    name: &str,
    f: impl Fn(&Tensor, &Tensor) -> Result<Tensor> + Send + Sync + 'static,
) {
    insert(key(package, name), Entry::LossFn(Arc::new(f)));
}

/// Registers a loss class under `"package>class_name"`; `factory` rebuilds it from the
/// config its `get_config` wrote. The loss's [`Loss::class_name`] must return
/// `class_name`.
pub fn register_loss(
    package: &str,
    class_name: &str,
    factory: impl Fn(&Value) -> Result<Box<dyn Loss>> + Send + Sync + 'static,
) {
    insert(
        key(package, class_name),
        Entry::LossClass(Arc::new(factory)),
    );
}

/// Registers a metric function under `"package>name"`: compiled as a
/// [`MeanMetricWrapper`] named `name`, as Keras wraps a function metric.
pub fn register_metric_fn(
    package: &str,
    name: &str,
    f: impl Fn(&Tensor, &Tensor) -> Result<Tensor> + Send + Sync + 'static,
) {
    insert(key(package, name), Entry::MetricFn(Arc::new(f)));
}

/// Registers a metric class under `"package>class_name"`; `factory` rebuilds it from the
/// config its `get_config` wrote. The metric's [`Metric::class_name`] must return
/// `class_name`.
pub fn register_metric(
    package: &str,
    class_name: &str,
    factory: impl Fn(&Value) -> Result<Box<dyn Metric>> + Send + Sync + 'static,
) {
    insert(
        key(package, class_name),
        Entry::MetricClass(Arc::new(factory)),
    );
}

/// Registers a subclassed model class under `"package>class_name"` (Keras's
/// `@register_keras_serializable(package)` on a `keras.Model` subclass): `save` writes
/// the model's [`crate::layers::Layer::get_config`] with this registered name, and
/// `load_model` calls `factory` with that config, builds the model on the saved input
/// shape and loads its weights. `class_name` must be the layer's class name (the struct
/// name under `#[derive(Layer)]`).
///
/// ```
/// use kiln::layers::{CallContext, Dense, Layer, LayerBase, LayerRef};
/// use kiln::models::Model;
/// use kiln_tensor::{DType, Tensor};
///
/// #[derive(Layer)]
/// struct Tiny { base: LayerBase, units: usize, out: LayerRef }
/// impl Layer for Tiny {
///     fn call(&mut self, x: &[Tensor], _c: &CallContext) -> kiln::Result<Vec<Tensor>> {
///         Ok(vec![self.out.call(&x[0])?])
///     }
///     fn get_config(&self) -> serde_json::Value {
///         let mut c = self.base.base_config();
///         c.insert("units".into(), self.units.into());
///         c.into()
///     }
/// }
/// fn tiny(units: usize) -> Model {
///     Model::from_layer(Tiny { base: LayerBase::new("tiny"), units, out: Dense::new(units).into() })
/// }
/// kiln::saving::register_model("demo", "Tiny", |cfg| Ok(tiny(cfg["units"].as_u64().unwrap_or(1) as usize)));
/// let m = tiny(2);
/// m.call(&Tensor::ones(&[1, 3], DType::F32))?;
/// let path = std::env::temp_dir().join(format!("tiny-{}.keras", std::process::id()));
/// m.save(&path)?;
/// let again = kiln::saving::load_model(&path)?;
/// assert_eq!(again.get_weights()[0].to_vec::<f32>()?, m.get_weights()[0].to_vec::<f32>()?);
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn register_model(
    package: &str,
    class_name: &str,
    factory: impl Fn(&Value) -> Result<crate::models::Model> + Send + Sync + 'static,
) {
    insert(
        key(package, class_name),
        Entry::ModelClass(Arc::new(factory)),
    );
}

/// [`register_model`] for a `#[derive(Layer)] #[layer(config)]` type: registers
/// `"package>T::CLASS_NAME"` rebuilding a `Model::from_layer(T::from_config(config)?)`.
pub fn register_model_class<T>(package: &str)
where
    T: crate::layers::Layer + crate::layers::FromConfig + 'static,
{
    register_model(package, T::CLASS_NAME, |c| {
        Ok(crate::models::Model::from_layer(T::from_config(c)?))
    });
}

/// The registered name (`"package>Class"`) of a model class, by class name.
pub(crate) fn registered_model_name(class_name: &str) -> Option<String> {
    lookup(class_name, |e| matches!(e, Entry::ModelClass(_))).map(|(k, _)| k)
}

/// A registered model factory by registered name or class name.
pub(crate) fn registered_model(name: &str) -> Option<ModelFactory> {
    match lookup(name, |e| matches!(e, Entry::ModelClass(_)))? {
        (_, Entry::ModelClass(f)) => Some(f),
        _ => None,
    }
}

/// Every registered model class (for errors naming what is known).
pub(crate) fn registered_models() -> Vec<String> {
    let g = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    let mut v: Vec<String> = g
        .as_ref()
        .map(|m| {
            m.iter()
                .filter(|(_, e)| matches!(e, Entry::ModelClass(_)))
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn is_loss(e: &Entry) -> bool {
    matches!(e, Entry::LossClass(_) | Entry::LossFn(_))
}

fn is_metric(e: &Entry) -> bool {
    matches!(e, Entry::MetricClass(_) | Entry::MetricFn(_))
}

/// A registered loss function by name (what `losses::get` falls back to).
pub(crate) fn registered_loss_fn(name: &str) -> Option<Box<dyn Loss>> {
    match lookup(name, |e| matches!(e, Entry::LossFn(_)))? {
        (k, Entry::LossFn(f)) => {
            let f = f.clone();
            Some(Box::new(LossFn::new(short(&k), move |t, p| f(t, p))))
        }
        _ => None,
    }
}

/// A registered metric function by name (what `metrics::get` falls back to).
pub(crate) fn registered_metric_fn(name: &str) -> Option<Box<dyn Metric>> {
    match lookup(name, |e| matches!(e, Entry::MetricFn(_)))? {
        (k, Entry::MetricFn(f)) => {
            Some(Box::new(MeanMetricWrapper::new(short(&k), move |t, p| {
                f(t, p)
            })))
        }
        _ => None,
    }
}

fn function_form(name: &str) -> Value {
    json!({"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"})
}

fn class_form(module: Option<&str>, class: &str, config: Value, registered: Option<&str>) -> Value {
    json!({"module": module, "class_name": class, "config": config, "registered_name": registered})
}

/// A loss as Keras writes it in `compile_config`: the name of a built-in loss with its
/// default arguments, a built-in class with its config, or a custom function or class
/// by its registered name.
pub fn serialize_loss(loss: &dyn Loss) -> Value {
    let class = loss.class_name();
    if class == "function" {
        let name = lookup(loss.name(), |e| matches!(e, Entry::LossFn(_)))
            .map(|(k, _)| k)
            .unwrap_or_else(|| loss.name().to_string());
        return function_form(&name);
    }
    if let Ok(builtin) = crate::losses::get(&class)
        && builtin.class_name() == class
    {
        if builtin.get_config() == loss.get_config() {
            return json!(loss.name());
        }
        return class_form(Some("keras.losses"), &class, loss.get_config(), None);
    }
    let registered = lookup(&class, |e| matches!(e, Entry::LossClass(_)))
        .map(|(k, _)| k)
        .unwrap_or_else(|| key("Custom", &class));
    class_form(None, &class, loss.get_config(), Some(&registered))
}

/// A metric object as Keras writes it in `compile_config` (names given to `compile`
/// are written as they were given).
pub fn serialize_metric(metric: &dyn Metric) -> Value {
    let class = metric.class_name();
    if let Some((k, Entry::MetricFn(_))) = lookup(metric.name(), is_metric) {
        return function_form(&k);
    }
    if let Some((k, Entry::MetricClass(_))) = lookup(&class, is_metric) {
        return class_form(None, &class, metric.get_config(), Some(&k));
    }
    // The classes with arguments are written whole, as Keras writes them.
    if crate::metrics::from_config(&class, &metric.get_config()).is_some_and(|m| m.is_ok()) {
        return class_form(Some("keras.metrics"), &class, metric.get_config(), None);
    }
    if let Ok(builtin) = crate::metrics::get(&class)
        && builtin.class_name() == class
    {
        if builtin.get_config() == metric.get_config() {
            return json!(metric.name());
        }
        return class_form(Some("keras.metrics"), &class, metric.get_config(), None);
    }
    class_form(
        None,
        &class,
        metric.get_config(),
        Some(&key("Custom", &class)),
    )
}

fn not_registered(kind: &str, name: &str, v: &Value) -> String {
    let how = if kind == "function" {
        "kiln::saving::register_loss_fn / register_metric_fn"
    } else {
        "kiln::saving::register_loss / register_metric"
    };
    format!(
        "could not locate {kind} '{name}': register it with {how} before loading \
         (Keras: @keras.saving.register_keras_serializable). Full object config: {v}"
    )
}

/// The fields of a Keras object form, or the reason it is not one.
fn object_parts(v: &Value) -> std::result::Result<(String, Value, Option<String>), String> {
    let class = v
        .get("class_name")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{v} is neither a name nor a Keras object (no class_name)"))?;
    let config = v.get("config").cloned().unwrap_or(Value::Null);
    let registered = v
        .get("registered_name")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok((class.to_string(), config, registered))
}

/// Rebuilds a loss from its `compile_config` form; `Err` says what could not be found.
pub(crate) fn deserialize_loss(v: &Value) -> std::result::Result<Box<dyn Loss>, String> {
    if let Some(name) = v.as_str() {
        return crate::losses::get(name).map_err(|e| e.to_string());
    }
    let (class, config, registered) = object_parts(v)?;
    if class == "function" {
        let name = config.as_str().unwrap_or_default();
        return registered_loss_fn(name).ok_or_else(|| not_registered("function", name, v));
    }
    let wanted = registered.unwrap_or_else(|| class.clone());
    if let Some((_, Entry::LossClass(f))) = lookup(&wanted, is_loss) {
        return f(&config).map_err(|e| format!("loss '{wanted}': {e}"));
    }
    let builtin = crate::losses::get(&class)
        .ok()
        .filter(|b| b.class_name() == class)
        .ok_or_else(|| not_registered("class", &wanted, v))?;
    builtin_loss_from_config(&class, &config, builtin)
}

/// Applies a built-in loss class's config to its default instance.
fn builtin_loss_from_config(
    class: &str,
    c: &Value,
    default: Box<dyn Loss>,
) -> std::result::Result<Box<dyn Loss>, String> {
    use crate::losses::*;
    let reduction = parse_reduction(c.get("reduction")).map_err(|e| format!("{class}: {e}"))?;
    // The classes that read their whole config: every key must be one they know.
    let own = |r: Result<Box<dyn Loss>>| -> std::result::Result<Box<dyn Loss>, String> {
        let loss = r.map_err(|e| format!("{class}: {e}"))?;
        let known = loss.get_config();
        if let Some(k) = c.as_object().and_then(|o| {
            o.keys()
                .find(|k| k.as_str() != "dtype" && known.get(k).is_none())
        }) {
            return Err(format!(
                "{class}: unknown argument '{k}' in config {c}; kiln's {class} takes {known}"
            ));
        }
        Ok(loss)
    };
    let flag = |k: &str| c.get(k).and_then(Value::as_bool).unwrap_or(false);
    let num = |k: &str, d: f64| c.get(k).and_then(Value::as_f64).unwrap_or(d);
    let axis = c.get("axis").and_then(Value::as_i64).unwrap_or(-1) as isize;
    let loss: Box<dyn Loss> = match class {
        "BinaryCrossentropy" => Box::new(
            BinaryCrossentropy::new()
                .from_logits(flag("from_logits"))
                .label_smoothing(num("label_smoothing", 0.0))
                .axis(axis)
                .reduction(reduction),
        ),
        "CategoricalCrossentropy" => Box::new(
            CategoricalCrossentropy::new()
                .from_logits(flag("from_logits"))
                .label_smoothing(num("label_smoothing", 0.0))
                .axis(axis)
                .reduction(reduction),
        ),
        "SparseCategoricalCrossentropy" => {
            let mut l = SparseCategoricalCrossentropy::new()
                .from_logits(flag("from_logits"))
                .reduction(reduction);
            if let Some(ic) = c.get("ignore_class").and_then(Value::as_i64) {
                l = l.ignore_class(ic);
            }
            Box::new(l)
        }
        "Huber" => Box::new(Huber::new().delta(num("delta", 1.0)).reduction(reduction)),
        "CosineSimilarity" => Box::new(CosineSimilarity::new().axis(axis).reduction(reduction)),
        "BinaryFocalCrossentropy" => {
            return own(BinaryFocalCrossentropy::from_config(c).map(|l| Box::new(l) as _))
        }
        "CategoricalFocalCrossentropy" => {
            return own(CategoricalFocalCrossentropy::from_config(c).map(|l| Box::new(l) as _))
        }
        "CategoricalGeneralizedCrossEntropy" => {
            return own(CategoricalGeneralizedCrossEntropy::from_config(c).map(|l| Box::new(l) as _))
        }
        "Dice" => return own(Dice::from_config(c).map(|l| Box::new(l) as _)),
        "Tversky" => return own(Tversky::from_config(c).map(|l| Box::new(l) as _)),
        "Circle" => return own(Circle::from_config(c).map(|l| Box::new(l) as _)),
        "CTC" => return own(CTC::from_config(c).map(|l| Box::new(l) as _)),
        _ => default,
    };
    // What kiln could not carry over (a renamed loss, an option it lacks) is an error,
    // never a silently different loss.
    if comparable(c, false) != comparable(&loss.get_config(), false) {
        return Err(format!(
            "{class} with config {c} cannot be rebuilt exactly (kiln's {class} gives {})",
            loss.get_config()
        ));
    }
    Ok(loss)
}

/// A config without what does not change the computation kiln does (`dtype`, unset
/// options, and for losses the `name`, which only labels them).
fn comparable(c: &Value, keep_name: bool) -> Value {
    let mut c = c.clone();
    if let Some(o) = c.as_object_mut() {
        o.retain(|k, v| !v.is_null() && k != "dtype" && (keep_name || k != "name"));
    }
    c
}

/// Rebuilds a metric from its `compile_config` form (a name is returned as a name, to be
/// resolved against the loss and shapes as `compile` does).
pub(crate) fn deserialize_metric(
    v: &Value,
) -> std::result::Result<crate::models::MetricArg, String> {
    use crate::models::MetricArg;
    if let Some(name) = v.as_str() {
        if let Some(m) = registered_metric_fn(name) {
            return Ok(MetricArg::Object(m));
        }
        return Ok(MetricArg::Name(name.to_string()));
    }
    let (class, config, registered) = object_parts(v)?;
    if class == "function" {
        let name = config.as_str().unwrap_or_default();
        return registered_metric_fn(name)
            .map(MetricArg::Object)
            .ok_or_else(|| not_registered("function", name, v));
    }
    let wanted = registered.unwrap_or_else(|| class.clone());
    if let Some((_, Entry::MetricClass(f))) = lookup(&wanted, is_metric) {
        return f(&config)
            .map(MetricArg::Object)
            .map_err(|e| format!("metric '{wanted}': {e}"));
    }
    if let Some(m) = crate::metrics::from_config(&class, &config) {
        return m
            .map(MetricArg::Object)
            .map_err(|e| format!("metric {class}: {e}"));
    }
    let builtin = crate::metrics::get(&class)
        .ok()
        .filter(|b| b.class_name() == class)
        .ok_or_else(|| not_registered("class", &wanted, v))?;
    if comparable(&builtin.get_config(), true) != comparable(&config, true) {
        return Err(format!(
            "metric {class} with config {config} cannot be rebuilt exactly (kiln rebuilds \
             built-in metric objects with their default arguments: {})",
            builtin.get_config()
        ));
    }
    Ok(MetricArg::Object(builtin))
}

/// An `Err` for the load APIs: what the `compile_config` asked for that kiln could not
/// restore.
pub(crate) fn compile_error(source: &str, why: &str) -> Error {
    Error::InvalidArgument {
        api: "load_model",
        msg: format!(
            "{source}: the saved compile_config could not be restored: {why} (load with \
             LoadOptions::new().on_compile_error(CompileRestore::Warn) to get the model \
             uncompiled with a warning, or .compile(false) to skip it)"
        ),
    }
}
