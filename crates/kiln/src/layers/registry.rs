//! Rebuilding layers from configs (`keras.layers.deserialize`): built-in layers by class
//! name, plus user layers registered with [`register_layer`] (Keras's
//! `register_keras_serializable`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::activations::Activation as Act;
use crate::constraints::Constraint;
use crate::initializers::Initializer;
use crate::layers::*;
use crate::regularizers::Regularizer;
use crate::{Error, Result};

type Factory = Arc<dyn Fn(&Value) -> Result<LayerRef> + Send + Sync>;

static REGISTRY: Mutex<Option<HashMap<String, Factory>>> = Mutex::new(None);

/// Registers a layer class so configs naming it can be rebuilt; replaces an earlier
/// registration of the same name.
///
/// ```
/// use kiln::layers::{register_layer, from_config, Dense, LayerRef};
/// register_layer("MyDense", |cfg| {
///     let units = cfg["units"].as_u64().unwrap_or(1) as usize;
///     Ok(LayerRef::new(Dense::new(units)))
/// });
/// let l = from_config("MyDense", &serde_json::json!({"units": 3}))?;
/// assert_eq!(l.class_name(), "Dense");
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn register_layer(
    class_name: &str,
    factory: impl Fn(&Value) -> Result<LayerRef> + Send + Sync + 'static,
) {
    let mut g = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    g.get_or_insert_with(HashMap::new)
        .insert(class_name.to_string(), Arc::new(factory));
}

/// Registers a layer type whose config its fields declare (`#[derive(Layer)]` with
/// `#[layer(config)]` or `#[layer(builders)]`) under its class name, so files naming the
/// class load (Keras's `@register_keras_serializable`).
///
/// ```
/// use kiln::layers::{register, from_config, LayerBase};
/// #[derive(kiln::layers::Layer)]
/// #[layer(builders)]
/// struct Scale { base: LayerBase, #[layer(default = 2.0)] factor: f64 }
/// impl kiln::layers::Layer for Scale {
///     fn call(&mut self, x: &[kiln::Tensor], _: &kiln::layers::CallContext) -> kiln::Result<Vec<kiln::Tensor>> {
///         Ok(vec![x[0].mul_scalar(self.factor)?])
///     }
/// }
/// register::<Scale>();
/// let l = from_config("Scale", &serde_json::json!({"factor": 3.0}))?;
/// assert_eq!(l.get_config()["factor"], 3.0);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn register<L: FromConfig + Layer>() {
    register_layer(L::CLASS_NAME, |c| L::from_config(c).map(LayerRef::new));
}

fn bad(class: &str, msg: String) -> Error {
    Error::InvalidArgument {
        api: "layers.from_config",
        msg: format!("{class}: {msg}"),
    }
}

pub(crate) fn get_f64(class: &str, c: &Value, key: &str, default: f64) -> Result<f64> {
    match c.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_f64()
            .ok_or_else(|| bad(class, format!("'{key}' must be a number, got {v}"))),
    }
}

pub(crate) fn get_usize(class: &str, c: &Value, key: &str) -> Result<usize> {
    c.get(key)
        .and_then(Value::as_u64)
        .map(|v| v as usize)
        .ok_or_else(|| bad(class, format!("'{key}' must be a non-negative integer")))
}

pub(crate) fn get_bool(class: &str, c: &Value, key: &str, default: bool) -> Result<bool> {
    match c.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_bool()
            .ok_or_else(|| bad(class, format!("'{key}' must be a boolean, got {v}"))),
    }
}

pub(crate) fn get_ints(class: &str, c: &Value, key: &str) -> Result<Vec<i64>> {
    c.get(key)
        .and_then(Value::as_array)
        .and_then(|a| a.iter().map(Value::as_i64).collect::<Option<Vec<_>>>())
        .ok_or_else(|| bad(class, format!("'{key}' must be a list of integers")))
}

fn activation(class: &str, c: &Value) -> Result<Act> {
    match c.get("activation") {
        None | Some(Value::Null) => Ok(Act::Linear),
        Some(Value::String(s)) => Act::get(s),
        Some(v) => Err(bad(class, format!("'activation' must be a name, got {v}"))),
    }
}

/// `{"class_name": ..., "config": {...}}` (or a plain name) to an initializer.
pub(crate) fn initializer(
    class: &str,
    c: &Value,
    key: &str,
    default: Initializer,
) -> Result<Initializer> {
    match c.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => Initializer::from_config(v).map_err(|e| bad(class, format!("'{key}': {e}"))),
    }
}

pub(crate) fn regularizer(class: &str, c: &Value, key: &str) -> Result<Option<Regularizer>> {
    match c.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => Regularizer::from_config(v)
            .map(Some)
            .map_err(|e| bad(class, format!("'{key}': {e}"))),
    }
}

pub(crate) fn constraint(class: &str, c: &Value, key: &str) -> Result<Option<Constraint>> {
    match c.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => Constraint::from_config(v)
            .map(Some)
            .map_err(|e| bad(class, format!("'{key}': {e}"))),
    }
}

/// Applies the config entries every layer has: name, trainable, input shape.
fn with_base(layer: LayerRef, c: &Value) -> Result<LayerRef> {
    {
        let mut g = layer.lock();
        let b = g.base_mut();
        if let Some(n) = c.get("name").and_then(Value::as_str) {
            b.set_name(n);
        }
        if let Some(s) = c.get("batch_input_shape").and_then(Value::as_array) {
            let dims: Option<Vec<usize>> = s[1.min(s.len())..]
                .iter()
                .map(|d| d.as_u64().map(|d| d as usize))
                .collect();
            if let Some(d) = dims {
                b.set_input_shape(&d);
            }
        }
    }
    if c.get("trainable").and_then(Value::as_bool) == Some(false) {
        layer.set_trainable(false);
    }
    // The dtype policy of float layers (preprocessing layers whose `dtype` names their
    // output dtype read it themselves).
    let name = c
        .get("dtype")
        .and_then(|v| v.as_str().or_else(|| v["config"]["name"].as_str()));
    if let Some(v) = c.get("dtype").filter(|_| name != Some("string")) {
        let policy = crate::dtype_policies::DTypePolicy::from_json(Some(v))?;
        if policy.variable_dtype().is_float() {
            layer.lock().base_mut().set_dtype_policy(policy);
        }
    }
    Ok(layer)
}

/// A layer whose config is declared by its fields (`#[derive(Layer)]`).
pub(crate) fn of<L: FromConfig + Layer>(c: &Value) -> Result<LayerRef> {
    L::from_config(c).map(LayerRef::new)
}

fn builtin(class: &str, c: &Value) -> Result<Option<LayerRef>> {
    let l: LayerRef = match class {
        "Dense" => of::<Dense>(c)?,
        "Activation" => Activation::new(activation(class, c)?.name()).into(),
        "Dropout" => {
            let d = Dropout::from_config(c)?;
            d.validate()?;
            d.into()
        }
        "Flatten" => of::<Flatten>(c)?,
        "Identity" => of::<Identity>(c)?,
        "Reshape" => {
            let t: Vec<isize> = get_ints(class, c, "target_shape")?
                .into_iter()
                .map(|v| v as isize)
                .collect();
            Reshape::new(&t).into()
        }
        "Permute" => {
            let d: Vec<usize> = get_ints(class, c, "dims")?
                .into_iter()
                .map(|v| v.max(0) as usize)
                .collect();
            Permute::new(&d).into()
        }
        "RepeatVector" => of::<RepeatVector>(c)?,
        "Add" => Add::new().into(),
        "Subtract" => Subtract::new().into(),
        "Multiply" => Multiply::new().into(),
        "Average" => Average::new().into(),
        "Maximum" => Maximum::new().into(),
        "Minimum" => Minimum::new().into(),
        "Concatenate" => Concatenate::new()
            .axis(c.get("axis").and_then(Value::as_i64).unwrap_or(-1) as isize)
            .into(),
        "ReLU" => of::<ReLU>(c)?,
        "LeakyReLU" => of::<LeakyReLU>(c)?,
        "ELU" => of::<ELU>(c)?,
        "Softmax" => of::<Softmax>(c)?,
        "PReLU" => {
            let mut p = PReLU::new().alpha_initializer(initializer(
                class,
                c,
                "alpha_initializer",
                Initializer::Zeros,
            )?);
            if let Ok(axes) = get_ints(class, c, "shared_axes") {
                let a: Vec<usize> = axes.into_iter().map(|v| v.max(0) as usize).collect();
                p = p.shared_axes(&a);
            }
            p.into()
        }
        _ => {
            if let Some(l) = convolutional::from_config(class, c)? {
                l
            } else if let Some(l) = reshaping::from_config(class, c)? {
                l
            } else if let Some(l) = pooling::from_config(class, c)? {
                l
            } else if let Some(l) = preprocessing::from_config(class, c)? {
                l
            } else if let Some(l) = normalization::from_config(class, c)? {
                l
            } else if let Some(l) = regularization::from_config(class, c)? {
                l
            } else if let Some(l) = super::sequence::from_config(class, c)? {
                l
            } else if let Some(l) = super::attention::from_config(class, c)? {
                l
            } else if let Some(l) = super::rnn::from_config(class, c)? {
                l
            } else {
                return Ok(None);
            }
        }
    };
    Ok(Some(l))
}

/// Rebuilds a layer of `class_name` from its config (`Layer.from_config`): user-registered
/// classes first, then the built-in ones. Unknown classes are an error naming them.
///
/// ```
/// use kiln::layers::{from_config, Dense, LayerRef};
/// let d = LayerRef::new(Dense::new(4).activation("relu").name("hidden"));
/// let copy = from_config("Dense", &d.get_config())?;
/// assert_eq!(copy.name(), "hidden");
/// assert_eq!(copy.get_config()["units"], 4);
/// assert!(from_config("NoSuchLayer", &serde_json::json!({})).is_err());
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn from_config(class_name: &str, config: &Value) -> Result<LayerRef> {
    let user = {
        let g = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
        g.as_ref().and_then(|m| m.get(class_name).cloned())
    };
    let layer = match user {
        Some(f) => f(config)?,
        None => builtin(class_name, config)?.ok_or_else(|| Error::InvalidArgument {
            api: "layers.from_config",
            msg: format!(
                "unknown layer class '{class_name}'; register custom layers with register_layer"
            ),
        })?,
    };
    with_base(layer, config)
}

/// `keras.layers.deserialize`: `{"class_name": ..., "config": {...}}` to a layer.
///
/// ```
/// use kiln::layers::deserialize;
/// let l = deserialize(&serde_json::json!({"class_name": "Dropout", "config": {"rate": 0.5}}))?;
/// assert_eq!(l.class_name(), "Dropout");
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn deserialize(v: &Value) -> Result<LayerRef> {
    let class =
        v.get("class_name")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::InvalidArgument {
                api: "layers.deserialize",
                msg: format!("expected {{\"class_name\": ..., \"config\": ...}}, got {v}"),
            })?;
    from_config(class, v.get("config").unwrap_or(&Value::Null))
}
