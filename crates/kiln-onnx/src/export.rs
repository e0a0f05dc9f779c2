//! Sequential / Functional model -> ONNX graph.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use kiln::layers::{KerasTensor, LayerRef, Node};
use kiln::models::Model;
use kiln::DType;
use prost::Message;
use serde_json::Value;

use crate::proto::{
    attribute_proto::AttributeType, tensor_proto::DataType, tensor_shape_proto, type_proto,
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};
use crate::{OnnxError, Result};

/// The opset written when none is asked for (what tf2onnx and torch.onnx emit by default).
pub const DEFAULT_OPSET: i64 = 17;
/// The lowest opset [`export`] writes (LayerNormalization needs 17).
pub const MIN_OPSET: i64 = 17;
/// The highest opset [`export`] writes.
pub const MAX_OPSET: i64 = 21;

/// The IR version `onnx.helper` pairs with `opset` (its VERSION_TABLE): 8 for opsets 17
/// and 18, 9 for 19 and 20, 10 for 21.
///
/// ```
/// assert_eq!(kiln_onnx::ir_version_for_opset(17), Some(8));
/// assert_eq!(kiln_onnx::ir_version_for_opset(12), None);
/// ```
pub fn ir_version_for_opset(opset: i64) -> Option<i64> {
    match opset {
        17 | 18 => Some(8),
        19 | 20 => Some(9),
        21 => Some(10),
        _ => None,
    }
}

/// `model.export_onnx(path, opset)`: [`export`] as a method of [`Model`].
///
/// ```
/// use kiln_onnx::ExportOnnx;
/// let m = kiln::models::Model::sequential(vec![kiln::layers::Dense::new(2).input_shape(&[3]).into()])?;
/// let p = std::env::temp_dir().join(format!("kiln_onnx_ext_{}.onnx", std::process::id()));
/// m.export_onnx(&p, 17)?;
/// # std::fs::remove_file(&p).ok();
/// # Ok::<(), kiln_onnx::OnnxError>(())
/// ```
pub trait ExportOnnx {
    /// Writes the model as ONNX at `opset` to `path`.
    fn export_onnx(&self, path: impl AsRef<Path>, opset: i64) -> Result<()>;
}

impl ExportOnnx for Model {
    fn export_onnx(&self, path: impl AsRef<Path>, opset: i64) -> Result<()> {
        export(self, path, opset)
    }
}

/// Writes `model` (Sequential once built, or Functional) as an ONNX file at `opset`
/// (atomically: temp file, then rename).
///
/// ```
/// use kiln::layers::{Conv2D, Dense, Flatten, MaxPooling2D};
/// use kiln::models::Model;
/// let m = Model::sequential(vec![
///     Conv2D::new(4, (3, 3)).activation("relu").input_shape(&[8, 8, 1]).into(),
///     MaxPooling2D::new((2, 2)).into(),
///     Flatten::new().into(),
///     Dense::new(3).into(),
/// ])?;
/// let p = std::env::temp_dir().join(format!("kiln_onnx_cnn_{}.onnx", std::process::id()));
/// kiln_onnx::export(&m, &p, 17)?;
/// assert!(kiln_onnx::export(&m, &p, 9).is_err());
/// # std::fs::remove_file(&p).ok();
/// # Ok::<(), kiln_onnx::OnnxError>(())
/// ```
pub fn export(model: &Model, path: impl AsRef<Path>, opset: i64) -> Result<()> {
    let path = path.as_ref();
    let bytes = export_bytes(model, opset)?;
    let io = |e: std::io::Error| OnnxError::Io {
        path: path.display().to_string(),
        msg: e.to_string(),
    };
    let tmp = path.with_extension("onnx.tmp");
    std::fs::write(&tmp, &bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)?;
    Ok(())
}

/// The serialized ONNX ModelProto of `model` (see [`export`]).
pub fn export_bytes(model: &Model, opset: i64) -> Result<Vec<u8>> {
    let ir = ir_version_for_opset(opset).ok_or_else(|| OnnxError::Export {
        layer: model.name(),
        class: "Model".into(),
        msg: format!("opset {opset} is not supported; expected {MIN_OPSET}..={MAX_OPSET}"),
    })?;
    let graph = build_graph(model, opset)?;
    let proto = ModelProto {
        ir_version: Some(ir),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(opset),
        }],
        producer_name: Some("kiln".into()),
        producer_version: Some(env!("CARGO_PKG_VERSION").into()),
        graph: Some(graph),
        ..Default::default()
    };
    Ok(proto.encode_to_vec())
}

fn node_key(n: &Arc<Node>) -> usize {
    Arc::as_ptr(n) as *const () as usize
}

fn onnx_dtype(d: DType) -> Option<DataType> {
    Some(match d {
        DType::F32 => DataType::Float,
        DType::F64 => DataType::Double,
        DType::F16 => DataType::Float16,
        DType::BF16 => DataType::Bfloat16,
        DType::I32 => DataType::Int32,
        DType::I64 => DataType::Int64,
        DType::U8 => DataType::Uint8,
        DType::Bool => DataType::Bool,
        #[allow(unreachable_patterns)]
        _ => return None,
    })
}

fn value_info(name: &str, dtype: DataType, shape: &[Option<usize>]) -> ValueInfoProto {
    let dims = shape
        .iter()
        .enumerate()
        .map(|(i, d)| tensor_shape_proto::Dimension {
            value: Some(match d {
                Some(n) => tensor_shape_proto::dimension::Value::DimValue(*n as i64),
                None if i == 0 => tensor_shape_proto::dimension::Value::DimParam("batch".into()),
                None => tensor_shape_proto::dimension::Value::DimParam(format!("{name}_d{i}")),
            }),
            ..Default::default()
        })
        .collect();
    ValueInfoProto {
        name: Some(name.into()),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: Some(dtype as i32),
                shape: Some(TensorShapeProto { dim: dims }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub(crate) fn attr_int(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Int as i32),
        i: Some(v),
        ..Default::default()
    }
}

pub(crate) fn attr_float(name: &str, v: f32) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Float as i32),
        f: Some(v),
        ..Default::default()
    }
}

pub(crate) fn attr_ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Ints as i32),
        ints: v.to_vec(),
        ..Default::default()
    }
}

pub(crate) fn attr_str(name: &str, v: &str) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::String as i32),
        s: Some(v.as_bytes().to_vec()),
        ..Default::default()
    }
}

/// The graph under construction, and the layer being lowered (for errors and names).
struct Builder {
    opset: i64,
    nodes: Vec<NodeProto>,
    inits: Vec<TensorProto>,
    used: HashSet<String>,
}

/// Lowers one layer call: `prefix` is the unique name of this call.
struct Ctx<'a> {
    layer: &'a LayerRef,
    prefix: String,
}

impl Ctx<'_> {
    fn err(&self, msg: impl Into<String>) -> OnnxError {
        OnnxError::Export {
            layer: self.layer.name(),
            class: self.layer.class_name().into(),
            msg: msg.into(),
        }
    }
}

impl Builder {
    fn unique(&mut self, base: &str) -> String {
        let mut name = base.to_string();
        let mut k = 1;
        while !self.used.insert(name.clone()) {
            name = format!("{base}_{k}");
            k += 1;
        }
        name
    }

    fn node(
        &mut self,
        op: &str,
        name: &str,
        inputs: &[&str],
        attrs: Vec<AttributeProto>,
    ) -> String {
        let node_name = self.unique(name);
        let out = node_name.clone();
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![out.clone()],
            name: Some(node_name),
            op_type: Some(op.into()),
            domain: Some(String::new()),
            attribute: attrs,
            ..Default::default()
        });
        out
    }

    fn init_f32(&mut self, name: &str, dims: &[usize], data: Vec<f32>) -> String {
        let name = self.unique(name);
        self.inits.push(TensorProto {
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: Some(DataType::Float as i32),
            name: Some(name.clone()),
            raw_data: Some(data.iter().flat_map(|v| v.to_le_bytes()).collect()),
            ..Default::default()
        });
        name
    }

    fn init_i64(&mut self, name: &str, data: &[i64]) -> String {
        let name = self.unique(name);
        self.inits.push(TensorProto {
            dims: vec![data.len() as i64],
            data_type: Some(DataType::Int64 as i32),
            name: Some(name.clone()),
            raw_data: Some(data.iter().flat_map(|v| v.to_le_bytes()).collect()),
            ..Default::default()
        });
        name
    }

    /// A weight of the layer as an f32 initializer named `{prefix}/{weight}`.
    fn weight(&mut self, cx: &Ctx, wname: &str) -> Result<(String, Vec<usize>, Vec<f32>)> {
        let (dims, data) = weight_data(cx, wname)?;
        let n = self.init_f32(&format!("{}/{wname}", cx.layer.name()), &dims, data.clone());
        Ok((n, dims, data))
    }

    /// Reduce over `axes` (attribute before opset 18, input from 18 on).
    fn reduce(&mut self, op: &str, name: &str, x: &str, axes: &[i64], keepdims: bool) -> String {
        let kd = attr_int("keepdims", keepdims as i64);
        if self.opset >= 18 {
            let a = self.init_i64(&format!("{name}/axes"), axes);
            self.node(op, name, &[x, &a], vec![kd])
        } else {
            self.node(op, name, &[x], vec![attr_ints("axes", axes), kd])
        }
    }

    /// Applies a Keras activation by name.
    fn activation(&mut self, cx: &Ctx, x: String, act: &Value) -> Result<String> {
        let name = activation_name(act)
            .ok_or_else(|| cx.err(format!("activation {act} is not a named activation")))?;
        let p = format!("{}/{}", cx.prefix, name);
        Ok(match name.as_str() {
            "linear" | "None" => x,
            "relu" => self.node("Relu", &p, &[&x], vec![]),
            "sigmoid" => self.node("Sigmoid", &p, &[&x], vec![]),
            "tanh" => self.node("Tanh", &p, &[&x], vec![]),
            "softmax" => self.node("Softmax", &p, &[&x], vec![attr_int("axis", -1)]),
            "log_softmax" => self.node("LogSoftmax", &p, &[&x], vec![attr_int("axis", -1)]),
            "elu" => self.node("Elu", &p, &[&x], vec![attr_float("alpha", 1.0)]),
            "selu" => self.node(
                "Selu",
                &p,
                &[&x],
                vec![
                    attr_float("alpha", 1.673_263_2),
                    attr_float("gamma", 1.050_701),
                ],
            ),
            "softplus" => self.node("Softplus", &p, &[&x], vec![]),
            "softsign" => self.node("Softsign", &p, &[&x], vec![]),
            "exponential" => self.node("Exp", &p, &[&x], vec![]),
            "relu6" => {
                let lo = self.init_f32(&format!("{p}/min"), &[], vec![0.0]);
                let hi = self.init_f32(&format!("{p}/max"), &[], vec![6.0]);
                self.node("Clip", &p, &[&x, &lo, &hi], vec![])
            }
            "hard_sigmoid" => self.node(
                "HardSigmoid",
                &p,
                &[&x],
                vec![attr_float("alpha", 1.0 / 6.0), attr_float("beta", 0.5)],
            ),
            "leaky_relu" => self.node("LeakyRelu", &p, &[&x], vec![attr_float("alpha", 0.2)]),
            "silu" | "swish" => {
                let s = self.node("Sigmoid", &format!("{p}/Sigmoid"), &[&x], vec![]);
                self.node("Mul", &p, &[&x, &s], vec![])
            }
            "gelu" => {
                // Keras's default gelu is the exact one: x * 0.5 * (1 + erf(x / sqrt(2))).
                let r2 = self.init_f32(&format!("{p}/sqrt2"), &[], vec![std::f32::consts::SQRT_2]);
                let one = self.init_f32(&format!("{p}/one"), &[], vec![1.0]);
                let half = self.init_f32(&format!("{p}/half"), &[], vec![0.5]);
                let d = self.node("Div", &format!("{p}/Div"), &[&x, &r2], vec![]);
                let e = self.node("Erf", &format!("{p}/Erf"), &[&d], vec![]);
                let a = self.node("Add", &format!("{p}/Add"), &[&e, &one], vec![]);
                let m = self.node("Mul", &format!("{p}/Mul"), &[&x, &a], vec![]);
                self.node("Mul", &p, &[&m, &half], vec![])
            }
            other => return Err(cx.err(format!("activation '{other}' has no ONNX form here"))),
        })
    }
}

fn activation_name(v: &Value) -> Option<String> {
    match v {
        Value::Null => Some("linear".into()),
        Value::String(s) => Some(s.clone()),
        Value::Object(m) => m
            .get("config")
            .and_then(|c| c.get("name"))
            .or_else(|| m.get("class_name"))
            .and_then(|s| s.as_str())
            .map(|s| s.to_string()),
        _ => None,
    }
}

fn weight_data(cx: &Ctx, wname: &str) -> Result<(Vec<usize>, Vec<f32>)> {
    let var = cx
        .layer
        .lock()
        .base()
        .variable(wname)
        .map_err(|e| cx.err(format!("weight '{wname}': {e}")))?;
    let t = var.value();
    let t = if t.dtype() == DType::F32 {
        t
    } else {
        t.cast(DType::F32)?
    };
    Ok((t.shape().to_vec(), t.to_vec::<f32>()?))
}

fn cfg_usizes(cx: &Ctx, cfg: &Value, key: &str) -> Result<Vec<usize>> {
    match cfg.get(key) {
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_u64().map(|u| u as usize))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| cx.err(format!("config '{key}' = {a:?} is not a list of sizes"))),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(|u| vec![u as usize])
            .ok_or_else(|| cx.err(format!("config '{key}' = {n} is not a size"))),
        other => Err(cx.err(format!("config '{key}' missing or not a list: {other:?}"))),
    }
}

fn cfg_str<'a>(cfg: &'a Value, key: &str) -> Option<&'a str> {
    cfg.get(key).and_then(|v| v.as_str())
}

fn cfg_bool(cfg: &Value, key: &str, default: bool) -> bool {
    cfg.get(key).and_then(|v| v.as_bool()).unwrap_or(default)
}

fn cfg_f32(cfg: &Value, key: &str, default: f32) -> f32 {
    cfg.get(key)
        .and_then(|v| v.as_f64())
        .map(|v| v as f32)
        .unwrap_or(default)
}

/// Permutes a row-major tensor of shape `dims` by `perm`.
fn permute(data: &[f32], dims: &[usize], perm: &[usize]) -> (Vec<usize>, Vec<f32>) {
    let nd = dims.len();
    let out_dims: Vec<usize> = perm.iter().map(|&p| dims[p]).collect();
    let mut in_strides = vec![1usize; nd];
    for i in (0..nd.saturating_sub(1)).rev() {
        in_strides[i] = in_strides[i + 1] * dims[i + 1];
    }
    let total: usize = dims.iter().product();
    let mut out = Vec::with_capacity(total);
    let mut idx = vec![0usize; nd];
    for _ in 0..total {
        let off: usize = (0..nd).map(|k| idx[k] * in_strides[perm[k]]).sum();
        out.push(data[off]);
        for k in (0..nd).rev() {
            idx[k] += 1;
            if idx[k] < out_dims[k] {
                break;
            }
            idx[k] = 0;
        }
    }
    (out_dims, out)
}

fn build_graph(model: &Model, opset: i64) -> Result<GraphProto> {
    let inputs = model.inputs();
    let outputs = model.outputs();
    if inputs.is_empty() || outputs.is_empty() {
        return Err(OnnxError::Export {
            layer: model.name(),
            class: "Model".into(),
            msg: "only Sequential models that are built (an input shape is known) and Functional models export; subclassed models need the traced graph".into(),
        });
    }
    let mut b = Builder {
        opset,
        nodes: Vec::new(),
        inits: Vec::new(),
        used: HashSet::new(),
    };
    // Topological order of the nodes reachable from the outputs.
    let mut order: Vec<Arc<Node>> = Vec::new();
    let mut seen: HashSet<usize> = HashSet::new();
    fn visit(t: &KerasTensor, seen: &mut HashSet<usize>, order: &mut Vec<Arc<Node>>) {
        let n = t.node();
        if !seen.insert(node_key(n)) {
            return;
        }
        for i in n.inputs() {
            visit(i, seen, order);
        }
        order.push(n.clone());
    }
    for o in &outputs {
        visit(o, &mut seen, &mut order);
    }
    // ONNX name of each symbolic tensor (node key, output index).
    let mut names: HashMap<(usize, usize), String> = HashMap::new();
    let mut graph_inputs = Vec::new();
    for t in &inputs {
        let n = t.node();
        let name = b.unique(&t.layer().name());
        let dt = onnx_dtype(t.dtype()).ok_or_else(|| OnnxError::Export {
            layer: t.layer().name(),
            class: "InputLayer".into(),
            msg: format!("dtype {:?} has no ONNX type", t.dtype()),
        })?;
        graph_inputs.push(value_info(&name, dt, t.shape()));
        names.insert((node_key(n), t.index()), name);
    }
    let mut calls: HashMap<usize, usize> = HashMap::new();
    for n in &order {
        let key = node_key(n);
        if names.contains_key(&(key, 0)) && n.inputs().is_empty() {
            continue;
        }
        let layer = n.layer();
        if layer.class_name() == "InputLayer" {
            return Err(OnnxError::Export {
                layer: layer.name(),
                class: "InputLayer".into(),
                msg: "an input layer that is not one of the model's inputs".into(),
            });
        }
        let k = calls.entry(layer.key_for_export()).or_insert(0);
        let prefix = if *k == 0 {
            layer.name()
        } else {
            format!("{}_{}", layer.name(), k)
        };
        *k += 1;
        let ins: Vec<String> = n
            .inputs()
            .iter()
            .map(|t| {
                names
                    .get(&(node_key(t.node()), t.index()))
                    .cloned()
                    .ok_or_else(|| OnnxError::Export {
                        layer: layer.name(),
                        class: layer.class_name().into(),
                        msg: "an input of this layer call was not produced earlier".into(),
                    })
            })
            .collect::<Result<_>>()?;
        let in_shapes: Vec<Vec<Option<usize>>> =
            n.inputs().iter().map(|t| t.shape().to_vec()).collect();
        let cx = Ctx { layer, prefix };
        let out = lower_layer(&mut b, &cx, &ins, &in_shapes)?;
        names.insert((key, 0), out);
    }
    let mut graph_outputs = Vec::new();
    for (i, t) in outputs.iter().enumerate() {
        let src = names
            .get(&(node_key(t.node()), t.index()))
            .cloned()
            .ok_or_else(|| OnnxError::Export {
                layer: t.layer().name(),
                class: t.layer().class_name().into(),
                msg: "a model output was not produced".into(),
            })?;
        // Outputs get their own Identity so an output never doubles as an input name.
        let oname = if outputs.len() == 1 {
            "output".to_string()
        } else {
            format!("output_{i}")
        };
        let oname = b.unique(&oname);
        b.nodes.push(NodeProto {
            input: vec![src],
            output: vec![oname.clone()],
            name: Some(format!("{oname}/Identity")),
            op_type: Some("Identity".into()),
            domain: Some(String::new()),
            ..Default::default()
        });
        let dt = onnx_dtype(t.dtype()).unwrap_or(DataType::Float);
        graph_outputs.push(value_info(&oname, dt, t.shape()));
    }
    Ok(GraphProto {
        node: b.nodes,
        name: Some(model.name()),
        initializer: b.inits,
        input: graph_inputs,
        output: graph_outputs,
        ..Default::default()
    })
}

/// A stable identity for a layer (to number repeated calls of a shared layer).
trait LayerKey {
    fn key_for_export(&self) -> usize;
}

impl LayerKey for LayerRef {
    fn key_for_export(&self) -> usize {
        // The mutex guard's data pointer identifies the shared layer.
        let g = self.lock();
        &*g as *const dyn kiln::layers::Layer as *const () as usize
    }
}

/// NHWC (channels-last, rank r) -> NCHW and back.
fn to_channels_first(rank: usize) -> Vec<i64> {
    let mut p = vec![0i64, rank as i64 - 1];
    p.extend(1..rank as i64 - 1);
    p
}

fn to_channels_last(rank: usize) -> Vec<i64> {
    let mut p = vec![0i64];
    p.extend(2..rank as i64);
    p.push(1);
    p
}

fn check_channels_last(cx: &Ctx, cfg: &Value) -> Result<()> {
    match cfg_str(cfg, "data_format") {
        None | Some("channels_last") => Ok(()),
        Some(f) => Err(cx.err(format!(
            "data_format '{f}' does not export; expected channels_last"
        ))),
    }
}

fn pads_attr(cx: &Ctx, cfg: &Value) -> Result<AttributeProto> {
    match cfg_str(cfg, "padding").unwrap_or("valid") {
        "valid" => Ok(attr_str("auto_pad", "VALID")),
        // TensorFlow's SAME puts the odd pixel at the end: ONNX SAME_UPPER.
        "same" => Ok(attr_str("auto_pad", "SAME_UPPER")),
        p => Err(cx.err(format!(
            "padding '{p}' does not export; expected valid or same"
        ))),
    }
}

fn lower_layer(
    b: &mut Builder,
    cx: &Ctx,
    ins: &[String],
    in_shapes: &[Vec<Option<usize>>],
) -> Result<String> {
    let cfg = cx.layer.lock().get_config();
    let class = cx.layer.class_name();
    let p = cx.prefix.clone();
    let x = ins
        .first()
        .cloned()
        .ok_or_else(|| cx.err("layer call has no inputs"))?;
    let rank = in_shapes.first().map(|s| s.len()).unwrap_or(0);
    let one_input = |cx: &Ctx| -> Result<()> {
        if ins.len() == 1 {
            Ok(())
        } else {
            Err(cx.err(format!("expected one input, got {}", ins.len())))
        }
    };
    match class {
        "Dense" => {
            one_input(cx)?;
            let (w, _, _) = b.weight(cx, "kernel")?;
            let mut y = b.node("MatMul", &format!("{p}/MatMul"), &[&x, &w], vec![]);
            if cfg_bool(&cfg, "use_bias", true) {
                let (bias, _, _) = b.weight(cx, "bias")?;
                y = b.node("Add", &format!("{p}/BiasAdd"), &[&y, &bias], vec![]);
            }
            b.activation(cx, y, cfg.get("activation").unwrap_or(&Value::Null))
        }
        "Activation" => b.activation(cx, x, cfg.get("activation").unwrap_or(&Value::Null)),
        "ReLU" => {
            let max = cfg.get("max_value").and_then(|v| v.as_f64());
            let slope = cfg_f32(&cfg, "negative_slope", 0.0);
            let thr = cfg_f32(&cfg, "threshold", 0.0);
            if slope != 0.0 || thr != 0.0 {
                return Err(
                    cx.err("ReLU with negative_slope or threshold does not export; expected 0")
                );
            }
            match max {
                None => Ok(b.node("Relu", &p, &[&x], vec![])),
                Some(m) => {
                    let lo = b.init_f32(&format!("{p}/min"), &[], vec![0.0]);
                    let hi = b.init_f32(&format!("{p}/max"), &[], vec![m as f32]);
                    Ok(b.node("Clip", &p, &[&x, &lo, &hi], vec![]))
                }
            }
        }
        "LeakyReLU" => {
            let a = cfg
                .get("negative_slope")
                .or_else(|| cfg.get("alpha"))
                .and_then(|v| v.as_f64())
                .unwrap_or(0.3) as f32;
            Ok(b.node("LeakyRelu", &p, &[&x], vec![attr_float("alpha", a)]))
        }
        "ELU" => {
            let a = cfg_f32(&cfg, "alpha", 1.0);
            Ok(b.node("Elu", &p, &[&x], vec![attr_float("alpha", a)]))
        }
        "Softmax" => {
            let axis = cfg.get("axis").and_then(|v| v.as_i64()).unwrap_or(-1);
            Ok(b.node("Softmax", &p, &[&x], vec![attr_int("axis", axis)]))
        }
        "Dropout"
        | "SpatialDropout1D"
        | "SpatialDropout2D"
        | "SpatialDropout3D"
        | "GaussianNoise"
        | "GaussianDropout"
        | "AlphaDropout"
        | "ActivityRegularization"
        | "Identity" => Ok(b.node("Identity", &p, &[&x], vec![])),
        "Flatten" => {
            check_channels_last(cx, &cfg)?;
            Ok(b.node("Flatten", &p, &[&x], vec![attr_int("axis", 1)]))
        }
        "Reshape" => {
            let target = cfg
                .get("target_shape")
                .and_then(|v| v.as_array())
                .ok_or_else(|| cx.err("config 'target_shape' missing"))?;
            let mut shape = vec![0i64];
            for v in target {
                shape.push(
                    v.as_i64().ok_or_else(|| {
                        cx.err(format!("target_shape entry {v} is not an integer"))
                    })?,
                );
            }
            if shape[1..].contains(&0) {
                return Err(cx.err("a zero in target_shape does not export"));
            }
            let s = b.init_i64(&format!("{p}/shape"), &shape);
            Ok(b.node("Reshape", &p, &[&x, &s], vec![]))
        }
        "Conv1D" | "Conv2D" | "Conv3D" | "DepthwiseConv2D" | "DepthwiseConv1D" => {
            one_input(cx)?;
            check_channels_last(cx, &cfg)?;
            let spatial = rank
                .checked_sub(2)
                .filter(|s| *s >= 1)
                .ok_or_else(|| cx.err("input rank below 3"))?;
            let strides = cfg_usizes(cx, &cfg, "strides")?;
            let dil = cfg_usizes(cx, &cfg, "dilation_rate")?;
            let pad = pads_attr(cx, &cfg)?;
            let (kdims, kdata) = weight_data(cx, "kernel")?;
            let depthwise = class.starts_with("Depthwise");
            let (wdims, wdata, group) = if depthwise {
                // (k..., in, mult) -> (in*mult, 1, k...): output channel c*mult + m.
                let cin = kdims[spatial];
                let mult = kdims[spatial + 1];
                let mut perm: Vec<usize> = vec![spatial, spatial + 1];
                perm.extend(0..spatial);
                let (_, d) = permute(&kdata, &kdims, &perm);
                let mut dims = vec![cin * mult, 1];
                dims.extend_from_slice(&kdims[..spatial]);
                (dims, d, cin)
            } else {
                let groups = cfg.get("groups").and_then(|v| v.as_u64()).unwrap_or(1) as usize;
                // (k..., in/groups, out) -> (out, in/groups, k...).
                let mut perm: Vec<usize> = vec![spatial + 1, spatial];
                perm.extend(0..spatial);
                let (dims, d) = permute(&kdata, &kdims, &perm);
                (dims, d, groups)
            };
            let w = b.init_f32(&format!("{}/kernel", cx.layer.name()), &wdims, wdata);
            let kshape: Vec<i64> = kdims[..spatial].iter().map(|&d| d as i64).collect();
            let cf = b.node(
                "Transpose",
                &format!("{p}/to_nchw"),
                &[&x],
                vec![attr_ints("perm", &to_channels_first(rank))],
            );
            let mut cins: Vec<String> = vec![cf, w];
            if cfg_bool(&cfg, "use_bias", true) {
                let (bias, _, _) = b.weight(cx, "bias")?;
                cins.push(bias);
            }
            let cin_refs: Vec<&str> = cins.iter().map(|s| s.as_str()).collect();
            let conv = b.node(
                "Conv",
                &format!("{p}/Conv"),
                &cin_refs,
                vec![
                    pad,
                    attr_ints("kernel_shape", &kshape),
                    attr_ints(
                        "strides",
                        &strides.iter().map(|&s| s as i64).collect::<Vec<_>>(),
                    ),
                    attr_ints(
                        "dilations",
                        &dil.iter().map(|&s| s as i64).collect::<Vec<_>>(),
                    ),
                    attr_int("group", group as i64),
                ],
            );
            let y = b.node(
                "Transpose",
                &format!("{p}/to_nhwc"),
                &[&conv],
                vec![attr_ints("perm", &to_channels_last(rank))],
            );
            b.activation(cx, y, cfg.get("activation").unwrap_or(&Value::Null))
        }
        "MaxPooling1D" | "MaxPooling2D" | "MaxPooling3D" | "AveragePooling1D"
        | "AveragePooling2D" | "AveragePooling3D" => {
            check_channels_last(cx, &cfg)?;
            let pool = cfg_usizes(cx, &cfg, "pool_size")?;
            let strides = match cfg.get("strides") {
                None | Some(Value::Null) => pool.clone(),
                _ => cfg_usizes(cx, &cfg, "strides")?,
            };
            let pad = pads_attr(cx, &cfg)?;
            let op = if class.starts_with("Max") {
                "MaxPool"
            } else {
                "AveragePool"
            };
            let cf = b.node(
                "Transpose",
                &format!("{p}/to_nchw"),
                &[&x],
                vec![attr_ints("perm", &to_channels_first(rank))],
            );
            let mut attrs = vec![
                pad,
                attr_ints(
                    "kernel_shape",
                    &pool.iter().map(|&s| s as i64).collect::<Vec<_>>(),
                ),
                attr_ints(
                    "strides",
                    &strides.iter().map(|&s| s as i64).collect::<Vec<_>>(),
                ),
            ];
            if op == "AveragePool" {
                // Keras averages over the valid pixels only.
                attrs.push(attr_int("count_include_pad", 0));
            }
            let y = b.node(op, &format!("{p}/{op}"), &[&cf], attrs);
            Ok(b.node(
                "Transpose",
                &format!("{p}/to_nhwc"),
                &[&y],
                vec![attr_ints("perm", &to_channels_last(rank))],
            ))
        }
        "GlobalAveragePooling1D"
        | "GlobalAveragePooling2D"
        | "GlobalAveragePooling3D"
        | "GlobalMaxPooling1D"
        | "GlobalMaxPooling2D"
        | "GlobalMaxPooling3D" => {
            check_channels_last(cx, &cfg)?;
            let axes: Vec<i64> = (1..rank as i64 - 1).collect();
            let op = if class.starts_with("GlobalMax") {
                "ReduceMax"
            } else {
                "ReduceMean"
            };
            Ok(b.reduce(op, &p, &x, &axes, cfg_bool(&cfg, "keepdims", false)))
        }
        "BatchNormalization" => {
            // Inference form folded to y = x * s + t, s = gamma / sqrt(var + eps),
            // t = beta - mean * s, broadcast along `axis`.
            let eps = cfg_f32(&cfg, "epsilon", 1e-3);
            let axis = match cfg.get("axis") {
                Some(Value::Array(a)) if a.len() == 1 => a[0].as_i64(),
                Some(Value::Number(n)) => n.as_i64(),
                _ => None,
            }
            .ok_or_else(|| cx.err("only a single BatchNormalization axis exports"))?;
            let axis = if axis < 0 { axis + rank as i64 } else { axis } as usize;
            let (_, mean) = weight_data(cx, "moving_mean")?;
            let (_, var) = weight_data(cx, "moving_variance")?;
            let dim = mean.len();
            let gamma = if cfg_bool(&cfg, "scale", true) {
                weight_data(cx, "gamma")?.1
            } else {
                vec![1.0; dim]
            };
            let beta = if cfg_bool(&cfg, "center", true) {
                weight_data(cx, "beta")?.1
            } else {
                vec![0.0; dim]
            };
            let s: Vec<f32> = (0..dim).map(|i| gamma[i] / (var[i] + eps).sqrt()).collect();
            let t: Vec<f32> = (0..dim).map(|i| beta[i] - mean[i] * s[i]).collect();
            let mut bdims = vec![dim];
            bdims.extend(std::iter::repeat_n(1, rank.saturating_sub(axis + 1)));
            let sn = b.init_f32(&format!("{}/scale", cx.layer.name()), &bdims, s);
            let tn = b.init_f32(&format!("{}/shift", cx.layer.name()), &bdims, t);
            let m = b.node("Mul", &format!("{p}/Mul"), &[&x, &sn], vec![]);
            Ok(b.node("Add", &p, &[&m, &tn], vec![]))
        }
        "LayerNormalization" => {
            if cfg_bool(&cfg, "rms_scaling", false) {
                return Err(cx.err("rms_scaling=true does not export"));
            }
            let axes: Vec<i64> = match cfg.get("axis") {
                Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_i64()).collect(),
                Some(Value::Number(n)) => n.as_i64().into_iter().collect(),
                _ => vec![-1],
            };
            let mut norm: Vec<i64> = axes
                .iter()
                .map(|&a| if a < 0 { a + rank as i64 } else { a })
                .collect();
            norm.sort_unstable();
            let first = *norm.first().ok_or_else(|| cx.err("no axis"))?;
            if norm.iter().enumerate().any(|(i, &a)| a != first + i as i64)
                || *norm.last().unwrap_or(&0) != rank as i64 - 1
            {
                return Err(cx.err(format!("axis {axes:?} does not export; ONNX LayerNormalization normalizes trailing axes")));
            }
            let eps = cfg_f32(&cfg, "epsilon", 1e-3);
            let nshape: Vec<usize> = in_shapes[0][first as usize..]
                .iter()
                .map(|d| d.ok_or_else(|| cx.err("normalized axes must have known sizes")))
                .collect::<Result<_>>()?;
            let n: usize = nshape.iter().product();
            let scale = if cfg_bool(&cfg, "scale", true) {
                b.weight(cx, "gamma")?.0
            } else {
                b.init_f32(&format!("{p}/gamma"), &nshape, vec![1.0; n])
            };
            let bias = if cfg_bool(&cfg, "center", true) {
                b.weight(cx, "beta")?.0
            } else {
                b.init_f32(&format!("{p}/beta"), &nshape, vec![0.0; n])
            };
            Ok(b.node(
                "LayerNormalization",
                &p,
                &[&x, &scale, &bias],
                vec![attr_int("axis", first), attr_float("epsilon", eps)],
            ))
        }
        "Add" | "Subtract" | "Multiply" | "Maximum" | "Minimum" | "Average" => {
            if ins.len() < 2 {
                return Err(cx.err("a merge layer needs two or more inputs"));
            }
            let refs: Vec<&str> = ins.iter().map(|s| s.as_str()).collect();
            Ok(match class {
                "Add" => b.node("Sum", &p, &refs, vec![]),
                "Subtract" if ins.len() == 2 => b.node("Sub", &p, &refs, vec![]),
                "Subtract" => return Err(cx.err("Subtract takes exactly two inputs")),
                "Multiply" => {
                    let mut y = ins[0].clone();
                    for (i, z) in ins[1..].iter().enumerate() {
                        let name = if i + 2 == ins.len() {
                            p.clone()
                        } else {
                            format!("{p}/Mul_{i}")
                        };
                        y = b.node("Mul", &name, &[&y, z], vec![]);
                    }
                    y
                }
                "Maximum" => b.node("Max", &p, &refs, vec![]),
                "Minimum" => b.node("Min", &p, &refs, vec![]),
                _ => b.node("Mean", &p, &refs, vec![]),
            })
        }
        "Concatenate" => {
            let axis = cfg.get("axis").and_then(|v| v.as_i64()).unwrap_or(-1);
            let refs: Vec<&str> = ins.iter().map(|s| s.as_str()).collect();
            Ok(b.node("Concat", &p, &refs, vec![attr_int("axis", axis)]))
        }
        "Embedding" => {
            if cfg_bool(&cfg, "mask_zero", false) {
                return Err(cx.err("mask_zero=true does not export (ONNX has no masks)"));
            }
            let (w, _, _) = b.weight(cx, "embeddings")?;
            let idx = b.node(
                "Cast",
                &format!("{p}/Cast"),
                &[&x],
                vec![attr_int("to", DataType::Int64 as i64)],
            );
            Ok(b.node("Gather", &p, &[&w, &idx], vec![attr_int("axis", 0)]))
        }
        other => Err(cx.err(format!("{other} has no ONNX export yet"))),
    }
}

#[cfg(test)]
mod tests {
    use super::permute;

    #[test]
    fn permute_matches_index_arithmetic() {
        let data: Vec<f32> = (0..24).map(|v| v as f32).collect();
        let (d, out) = permute(&data, &[2, 3, 4], &[2, 0, 1]);
        assert_eq!(d, vec![4, 2, 3]);
        // out[k][i][j] = data[i][j][k]
        assert_eq!(out[6 + 3 + 2], data[12 + 2 * 4 + 1]);
    }
}
