//! Keras 3 model configs (`config.json` of a `.keras` file): kiln models to Keras's
//! serialization tree and back, for `Sequential` and `Functional` models and for
//! subclassed models registered with [`crate::saving::register_model`].

use std::collections::HashMap;

use kiln_tensor::{DType, Tensor};
use serde_json::{json, Map, Value};

use crate::layers::{deserialize, CallArgs, Input, KerasTensor, KeywordInput, LayerRef, Shape};
use crate::models::functional::Functional;
use crate::models::sequential::SequentialNet;
use crate::models::Model;
use crate::{Error, Result};

fn bad(msg: impl Into<String>) -> Error {
    Error::InvalidArgument {
        api: "saving.config",
        msg: msg.into(),
    }
}

fn shape_json(s: &[Option<usize>]) -> Value {
    Value::Array(
        s.iter()
            .map(|d| d.map(Value::from).unwrap_or(Value::Null))
            .collect(),
    )
}

fn dtype_policy(name: &str) -> Value {
    json!({"module": "keras", "class_name": "DTypePolicy", "config": {"name": name}, "registered_name": null})
}

/// The module Keras records for a class (`keras.layers` for layers).
fn module_of(class: &str) -> &'static str {
    match class {
        "Sequential" | "Functional" | "Model" => "keras",
        _ => "keras.layers",
    }
}

/// A layer's config with Keras 3's dtype policy object in place of a dtype name.
fn layer_config(layer: &LayerRef) -> Value {
    let mut c = layer.get_config();
    if let Some(obj) = c.as_object_mut() {
        if layer.class_name() != "InputLayer" {
            let name = obj
                .get("dtype")
                .and_then(Value::as_str)
                .unwrap_or("float32")
                .to_string();
            obj.insert("dtype".into(), dtype_policy(&name));
            obj.remove("batch_input_shape");
        } else {
            obj.entry("ragged").or_insert(json!(false));
            obj.entry("optional").or_insert(json!(false));
        }
    }
    c
}

/// `{"module", "class_name", "config", "registered_name", "build_config"}` for a layer.
pub fn serialize_layer(layer: &LayerRef) -> Value {
    let class = layer.class_name();
    let mut o = Map::new();
    o.insert("module".into(), json!(module_of(class)));
    o.insert("class_name".into(), json!(class));
    o.insert("config".into(), layer_config(layer));
    o.insert("registered_name".into(), Value::Null);
    if class != "InputLayer" {
        let g = layer.lock();
        if let Some(shapes) = &g.base().build_shapes {
            o.insert("build_config".into(), g.build_config(shapes));
        }
    }
    Value::Object(o)
}

fn keras_tensor_json(t: &KerasTensor) -> Value {
    let src = t.layer();
    let node_index = src
        .lock()
        .base()
        .inbound_nodes
        .iter()
        .position(|w| w.upgrade().is_some_and(|m| m.id == t.node().id))
        .unwrap_or(0);
    json!({
        "class_name": "__keras_tensor__",
        "config": {
            "shape": shape_json(t.shape()),
            "dtype": t.dtype().name(),
            "keras_history": [src.name(), node_index, t.index()],
        }
    })
}

fn history(t: &KerasTensor) -> Value {
    let h = &keras_tensor_json(t)["config"]["keras_history"];
    h.clone()
}

/// The Keras 3 serialization tree of a model (`config.json` without `compile_config`).
/// Sequential and Functional models are supported; a subclassed model is an error (Keras
/// needs its Python class too).
pub fn model_to_config(model: &Model) -> Result<Value> {
    let net = model.as_layer();
    let seq = net.downcast(|s: &mut SequentialNet| {
        let layers = match &s.graph {
            Some(g) => g.layers().to_vec(),
            None => s.layers.clone(),
        };
        let input = s
            .graph
            .as_ref()
            .and_then(|g| g.inputs().first().map(|t| shape_json(t.shape())))
            .unwrap_or(Value::Null);
        (layers, input)
    });
    if let Some((layers, input)) = seq {
        let layers: Vec<Value> = layers.iter().map(serialize_layer).collect();
        let cfg = json!({
            "name": net.name(),
            "trainable": net.trainable(),
            "dtype": dtype_policy("float32"),
            "layers": layers,
            "build_input_shape": input,
        });
        let mut o = json!({
            "module": "keras", "class_name": "Sequential", "config": cfg, "registered_name": null,
        });
        if !input.is_null() {
            o["build_config"] = json!({ "input_shape": input });
        }
        return Ok(o);
    }
    let graph = net.downcast(|g: &mut Functional| {
        let ids = g.node_ids();
        let layers: Vec<Value> = g
            .layers()
            .iter()
            .map(|l| {
                let mut o = serialize_layer(l);
                let class = l.class_name();
                let nodes: Vec<Value> = if class == "InputLayer" {
                    Vec::new()
                } else {
                    // Collect first: serialising the inputs locks the source layers.
                    let (inbound, call_args): (Vec<_>, _) = {
                        let g = l.lock();
                        let nodes = (g.base().inbound_nodes.iter())
                            .filter_map(|w| w.upgrade())
                            .filter(|n| ids.contains(&n.id))
                            .collect();
                        (nodes, g.call_args())
                    };
                    inbound
                        .iter()
                        .map(|n| {
                            call_args.node_json(n.inputs().iter().map(keras_tensor_json).collect())
                        })
                        .collect()
                };
                if let Some(obj) = o.as_object_mut() {
                    obj.insert("name".into(), json!(l.name()));
                    obj.insert("inbound_nodes".into(), Value::Array(nodes));
                }
                o
            })
            .collect();
        let ends = |ts: &[KerasTensor]| -> Value {
            if ts.len() == 1 {
                history(&ts[0])
            } else {
                Value::Array(ts.iter().map(history).collect())
            }
        };
        (layers, ends(g.inputs()), ends(g.outputs()))
    });
    if let Some((layers, inputs, outputs)) = graph {
        let cfg = json!({
            "name": net.name(),
            "trainable": net.trainable(),
            "layers": layers,
            "input_layers": inputs,
            "output_layers": outputs,
        });
        return Ok(json!({
            "module": "keras.src.models.functional", "class_name": "Functional", "config": cfg,
            "registered_name": "Functional",
        }));
    }
    subclassed_to_config(&net)
}

/// A registered subclassed model: its `get_config`, its registered name and the input
/// shapes it was built on (Keras's `build_config`).
fn subclassed_to_config(net: &LayerRef) -> Result<Value> {
    let class = net.class_name();
    let Some(registered) = super::objects::registered_model_name(class) else {
        return Err(bad(format!(
            "model '{}' is a subclassed model of class '{class}', which is not registered: \
             call kiln::saving::register_model(package, \"{class}\", factory) first \
             (Keras's register_keras_serializable); registered model classes: {:?}",
            net.name(),
            super::objects::registered_models()
        )));
    };
    let mut out = json!({
        "module": null, "class_name": class, "config": net.get_config(),
        "registered_name": registered,
    });
    let shapes = net.lock().base().build_shapes.clone();
    if let Some(shapes) = shapes {
        let js: Vec<Value> = shapes.iter().map(|s| shape_json(s)).collect();
        let input_shape = if js.len() == 1 {
            js.into_iter().next().unwrap_or(Value::Null)
        } else {
            Value::Array(js)
        };
        out["build_config"] = json!({ "input_shape": input_shape });
    }
    Ok(out)
}

/// Rebuilds a registered subclassed model from its config and builds it on the saved
/// input shape (a `None` batch axis becomes 1), as Keras's `build_from_config`.
fn subclassed_from_config(v: &Value, class: &str) -> Result<Model> {
    let registered = v
        .get("registered_name")
        .and_then(Value::as_str)
        .unwrap_or(class);
    let factory = super::objects::registered_model(registered)
        .or_else(|| super::objects::registered_model(class))
        .ok_or_else(|| {
            bad(format!(
                "unknown model class '{class}' (registered name '{registered}'): kiln rebuilds \
                 Sequential and Functional models and subclassed models registered with \
                 kiln::saving::register_model (Keras's custom_objects); registered model \
                 classes: {:?}",
                super::objects::registered_models()
            ))
        })?;
    let cfg = v.get("config").cloned().unwrap_or(Value::Null);
    let model = factory(&cfg)?;
    if model.as_layer().class_name() != class {
        return Err(bad(format!(
            "the factory registered for '{registered}' built a model of class '{}', expected '{class}'",
            model.as_layer().class_name()
        )));
    }
    if let Some(name) = cfg.get("name").and_then(Value::as_str) {
        model.as_layer().lock().base_mut().set_name(name);
    }
    if let Some(shape) = v.get("build_config").and_then(|b| b.get("input_shape")) {
        let many = shape
            .as_array()
            .is_some_and(|a| a.first().is_some_and(Value::is_array));
        let shapes: Vec<Shape> = if many {
            shape
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| parse_shape(s, "build_config.input_shape"))
                .collect::<Result<_>>()?
        } else {
            vec![parse_shape(shape, "build_config.input_shape")?]
        };
        let zeros: Vec<Tensor> = shapes
            .iter()
            .map(|s| {
                let dims: Vec<usize> = s.iter().map(|d| d.unwrap_or(1)).collect();
                Tensor::zeros(&dims, DType::F32)
            })
            .collect();
        let _pause = kiln_tensor::autodiff::no_recording();
        model.call_multi(&zeros, false).map_err(|e| {
            bad(format!(
                "building subclassed model '{class}' on its saved input shape {shape}: {e}"
            ))
        })?;
    }
    Ok(model)
}

fn parse_shape(v: &Value, what: &str) -> Result<Shape> {
    v.as_array()
        .ok_or_else(|| bad(format!("{what} must be a list, got {v}")))?
        .iter()
        .map(|d| match d {
            Value::Null => Ok(None),
            Value::Number(n) => n
                .as_u64()
                .map(|n| Some(n as usize))
                .ok_or_else(|| bad(format!("{what}: bad dimension {n}"))),
            other => Err(bad(format!("{what}: bad dimension {other}"))),
        })
        .collect()
}

fn parse_dtype(v: Option<&Value>) -> Result<DType> {
    let name = match v {
        None | Some(Value::Null) => "float32",
        Some(Value::String(s)) => s.as_str(),
        Some(obj) => obj["config"]["name"].as_str().unwrap_or("float32"),
    };
    DType::parse(name).map_err(|_| bad(format!("unknown dtype '{name}'")))
}

fn input_from_config(c: &Value) -> Result<KerasTensor> {
    let shape = match (c.get("batch_shape"), c.get("batch_input_shape")) {
        (Some(s), _) | (None, Some(s)) => parse_shape(s, "InputLayer batch_shape")?,
        _ => return Err(bad(format!("InputLayer config without batch_shape: {c}"))),
    };
    let mut input = Input::new(shape.get(1..).unwrap_or(&[])).dtype(parse_dtype(c.get("dtype"))?);
    if let Some(b) = shape.first().copied().flatten() {
        input = input.batch_size(b);
    }
    if let Some(n) = c.get("name").and_then(Value::as_str) {
        input = input.name(n);
    }
    Ok(input.build())
}

/// A layer from a Keras object (`module`/`registered_name` are informational here).
fn layer_from_object(o: &Value) -> Result<LayerRef> {
    deserialize(o).map_err(|e| bad(format!("{e}")))
}

/// Rebuilds a model from Keras 3's serialization tree (the `config.json` of a `.keras`
/// file, by Keras or kiln). Unknown classes and malformed graphs are errors naming them.
pub fn model_from_config(v: &Value) -> Result<Model> {
    let class = v
        .get("class_name")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("the model config has no class_name"))?;
    let cfg = v
        .get("config")
        .ok_or_else(|| bad("the model config has no config"))?;
    let name = cfg
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("model")
        .to_string();
    if !matches!(class, "Sequential" | "Functional" | "Model") {
        return subclassed_from_config(v, class);
    }
    let layer_list = cfg
        .get("layers")
        .and_then(Value::as_array)
        .ok_or_else(|| bad(format!("{class} config has no layers list")))?;
    let model = match class {
        "Sequential" => {
            let mut layers: Vec<LayerRef> = Vec::new();
            let mut input: Option<KerasTensor> = None;
            for (i, l) in layer_list.iter().enumerate() {
                if l.get("class_name").and_then(Value::as_str) == Some("InputLayer") {
                    if i != 0 {
                        return Err(bad("an InputLayer must come first in a Sequential"));
                    }
                    input = Some(input_from_config(&l["config"])?);
                    continue;
                }
                layers.push(layer_from_object(l)?);
            }
            let mut all = Vec::new();
            if let Some(t) = &input {
                all.push(t.layer());
            } else if let Some(s) = cfg.get("build_input_shape").filter(|s| !s.is_null()) {
                let shape = parse_shape(s, "build_input_shape")?;
                all.push(Input::new(shape.get(1..).unwrap_or(&[])).build().layer());
            }
            all.extend(layers);
            let m = Model::sequential(all)?;
            m.as_layer().lock().base_mut().set_name(&name);
            m
        }
        // "Functional" or "Model": every other class returned above.
        _ => functional_from_config(cfg, &name)?,
    };
    if cfg.get("trainable").and_then(Value::as_bool) == Some(false) {
        model.as_layer().set_trainable(false);
    }
    Ok(model)
}

/// `[name, node_index, tensor_index]` of a Keras tensor reference.
fn tensor_ref(v: &Value) -> Result<(String, usize, usize)> {
    let h = if v.get("class_name").and_then(Value::as_str) == Some("__keras_tensor__") {
        &v["config"]["keras_history"]
    } else {
        v
    };
    let a = h
        .as_array()
        .filter(|a| a.len() == 3)
        .ok_or_else(|| bad(format!("bad tensor reference {v}")))?;
    let name = a[0]
        .as_str()
        .ok_or_else(|| bad(format!("bad tensor reference {v}")))?;
    let n = a[1]
        .as_u64()
        .ok_or_else(|| bad(format!("bad node index in {v}")))? as usize;
    let t = a[2]
        .as_u64()
        .ok_or_else(|| bad(format!("bad tensor index in {v}")))? as usize;
    Ok((name.to_string(), n, t))
}

/// Flattens a node's args and kwargs into kiln's positional inputs for its class.
fn node_input_refs(call_args: CallArgs, node: &Value) -> Result<Vec<(String, usize, usize)>> {
    let mut out = Vec::new();
    let push = |v: &Value, out: &mut Vec<_>| -> Result<()> {
        match v {
            Value::Array(items) if !items.is_empty() && items[0].is_object() => {
                for it in items {
                    out.push(tensor_ref(it)?);
                }
                Ok(())
            }
            Value::Object(_) => {
                out.push(tensor_ref(v)?);
                Ok(())
            }
            Value::Null => Ok(()),
            other => Err(bad(format!("unsupported node argument {other}"))),
        }
    };
    // Keras 2 style: a list of [name, node, tensor, kwargs] entries.
    if let Some(items) = node.as_array() {
        for it in items {
            let a = it
                .as_array()
                .ok_or_else(|| bad(format!("bad inbound node {node}")))?;
            out.push(tensor_ref(&Value::Array(a[..3.min(a.len())].to_vec()))?);
        }
        return Ok(out);
    }
    if let Some(args) = node.get("args").and_then(Value::as_array) {
        for a in args {
            push(a, &mut out)?;
        }
    }
    let kwargs = node.get("kwargs").cloned().unwrap_or(Value::Null);
    for k in call_args.keyword_inputs(&kwargs, out.len()) {
        match k {
            KeywordInput::Value(v) => push(v, &mut out)?,
            KeywordInput::RepeatLast => {
                if let Some(last) = out.last().cloned() {
                    out.push(last);
                }
            }
        }
    }
    Ok(out)
}

fn functional_from_config(cfg: &Value, name: &str) -> Result<Model> {
    let layer_list = cfg["layers"].as_array().ok_or_else(|| bad("no layers"))?;
    let mut layers: Vec<(String, LayerRef, Vec<Value>)> = Vec::new();
    let mut outputs: HashMap<String, Vec<Vec<KerasTensor>>> = HashMap::new();
    for l in layer_list {
        let class = l.get("class_name").and_then(Value::as_str).unwrap_or("");
        let lname = l
            .get("name")
            .or_else(|| l["config"].get("name"))
            .and_then(Value::as_str)
            .ok_or_else(|| bad(format!("a {class} layer entry has no name")))?
            .to_string();
        if class == "InputLayer" {
            let t = input_from_config(&l["config"])?;
            outputs.insert(lname, vec![vec![t]]);
            continue;
        }
        let layer = layer_from_object(l)?;
        let nodes = l
            .get("inbound_nodes")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        layers.push((lname.clone(), layer, nodes));
        outputs.entry(lname).or_default();
    }
    // Process nodes in passes until every node's inputs exist (Keras's deferred nodes).
    let mut done: Vec<usize> = vec![0; layers.len()];
    loop {
        let mut progress = false;
        for (i, (lname, layer, nodes)) in layers.iter().enumerate() {
            while done[i] < nodes.len() {
                let call_args = layer.lock().call_args();
                let refs = node_input_refs(call_args, &nodes[done[i]])?;
                let mut ins = Vec::with_capacity(refs.len());
                for (src, n, t) in &refs {
                    let produced = outputs.get(src).ok_or_else(|| {
                        bad(format!(
                            "layer '{lname}' takes an input from unknown layer '{src}'"
                        ))
                    })?;
                    match produced.get(*n).and_then(|o| o.get(*t)) {
                        Some(kt) => ins.push(kt.clone()),
                        None => break,
                    }
                }
                if ins.len() != refs.len() {
                    break;
                }
                let outs = layer
                    .call_symbolic(&ins)
                    .map_err(|e| bad(format!("rebuilding layer '{lname}': {e}")))?;
                if let Some(o) = outputs.get_mut(lname) {
                    o.push(outs);
                }
                done[i] += 1;
                progress = true;
            }
        }
        if done.iter().zip(&layers).all(|(d, (_, _, n))| *d == n.len()) {
            break;
        }
        if !progress {
            let stuck: Vec<&str> = layers
                .iter()
                .zip(&done)
                .filter(|((_, _, n), d)| **d < n.len())
                .map(|((name, _, _), _)| name.as_str())
                .collect();
            return Err(bad(format!(
                "the graph cannot be rebuilt: layers {stuck:?} wait on inputs that never appear"
            )));
        }
    }
    let ends = |v: &Value, what: &str| -> Result<Vec<KerasTensor>> {
        let refs: Vec<(String, usize, usize)> = match v.as_array() {
            Some(a) if a.len() == 3 && a[0].is_string() => vec![tensor_ref(v)?],
            Some(a) => a.iter().map(tensor_ref).collect::<Result<_>>()?,
            None => return Err(bad(format!("{what} must be a list"))),
        };
        refs.iter()
            .map(|(l, n, t)| {
                outputs
                    .get(l)
                    .and_then(|o| o.get(*n))
                    .and_then(|o| o.get(*t))
                    .cloned()
                    .ok_or_else(|| bad(format!("{what} names {l}[{n}][{t}], which was not built")))
            })
            .collect()
    };
    let ins = ends(&cfg["input_layers"], "input_layers")?;
    let outs = ends(&cfg["output_layers"], "output_layers")?;
    Model::new_named(&ins, &outs, name)
}

/// `model.to_json()`: the model's serialization tree, with its `compile_config` once
/// compiled, as the JSON text Python's `json.dumps` writes (`", "` and `": "` separators,
/// non-ASCII escaped, floats as Python's `repr`). This is what Keras's `TensorBoard`
/// callback stores for the graph dashboard. Subclassed models are an error, as in
/// [`model_to_config`].
///
/// ```
/// use kiln::layers::Dense;
/// use kiln::models::Model;
/// let m = Model::sequential(vec![Dense::new(2).input_shape(&[3]).into()])?;
/// let text = kiln::saving::model_to_json(&m)?;
/// assert!(text.starts_with("{\"build_config\": {\"input_shape\": [null, 3]}, \"class_name\": \"Sequential\""));
/// let back: serde_json::Value = serde_json::from_str(&text).unwrap();
/// assert_eq!(back["config"]["layers"][1]["config"]["units"], 2);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn model_to_json(model: &Model) -> Result<String> {
    let mut config = model_to_config(model)?;
    if let Some(c) = model.get_compile_config() {
        config["compile_config"] = c;
    }
    python_json(&config)
}

/// Python's `json.dumps(value)` text for a JSON value.
pub(crate) fn python_json(value: &Value) -> Result<String> {
    use serde::Serialize;
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PyFormatter);
    value
        .serialize(&mut ser)
        .map_err(|e| bad(format!("cannot serialize the config: {e}")))?;
    String::from_utf8(out).map_err(|e| bad(format!("cannot serialize the config: {e}")))
}

/// `json.dumps`'s layout: `", "` between items, `": "` after keys, `\uXXXX` for non-ASCII,
/// floats as `repr`.
struct PyFormatter;

impl serde_json::ser::Formatter for PyFormatter {
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn write_f64<W: ?Sized + std::io::Write>(&mut self, w: &mut W, v: f64) -> std::io::Result<()> {
        let s = crate::callbacks::python_float(v);
        // json.dumps writes non-finite floats as JavaScript's names
        let s = match s.as_str() {
            "nan" => "NaN".to_string(),
            "inf" => "Infinity".to_string(),
            "-inf" => "-Infinity".to_string(),
            _ => s,
        };
        w.write_all(s.as_bytes())
    }
    fn write_f32<W: ?Sized + std::io::Write>(&mut self, w: &mut W, v: f32) -> std::io::Result<()> {
        self.write_f64(w, f64::from(v))
    }
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        for ch in fragment.chars() {
            if ch.is_ascii() {
                w.write_all(&[ch as u8])?;
            } else {
                let mut units = [0u16; 2];
                for u in ch.encode_utf16(&mut units) {
                    write!(w, "\\u{u:04x}")?;
                }
            }
        }
        Ok(())
    }
}
