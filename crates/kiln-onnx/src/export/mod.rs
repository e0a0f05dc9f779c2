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

mod attention;
mod layers;
mod rnn;

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
pub(super) struct Builder {
    opset: i64,
    nodes: Vec<NodeProto>,
    inits: Vec<TensorProto>,
    used: HashSet<String>,
}

/// Lowers one layer call: `prefix` is the unique name of this call.
pub(super) struct Ctx<'a> {
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

    /// A node with `n_out` outputs named `{node}/{out_names[i]}`.
    fn node_multi(
        &mut self,
        op: &str,
        name: &str,
        inputs: &[&str],
        out_names: &[&str],
        attrs: Vec<AttributeProto>,
    ) -> Vec<String> {
        let node_name = self.unique(name);
        let outs: Vec<String> = out_names
            .iter()
            .map(|o| self.unique(&format!("{node_name}/{o}")))
            .collect();
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: outs.clone(),
            name: Some(node_name),
            op_type: Some(op.into()),
            domain: Some(String::new()),
            attribute: attrs,
            ..Default::default()
        });
        outs
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

pub(super) fn activation_name(v: &Value) -> Option<String> {
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

pub(super) fn weight_data(cx: &Ctx, wname: &str) -> Result<(Vec<usize>, Vec<f32>)> {
    let var = cx
        .layer
        .lock()
        .base()
        .variable(wname)
        .map_err(|e| cx.err(format!("weight '{wname}': {e}")))?;
    var_data(var.value())
}

/// Weight `wname` of the sublayer named `sub` (a direct child, or a child's child) of the
/// layer being lowered: an RNN's cell, a MultiHeadAttention's projections.
pub(super) fn sub_weight_data(cx: &Ctx, sub: &str, wname: &str) -> Result<(Vec<usize>, Vec<f32>)> {
    fn find(l: &LayerRef, sub: &str, depth: usize) -> Option<LayerRef> {
        let kids = l.lock().sublayers();
        for k in &kids {
            if k.name() == sub {
                return Some(k.clone());
            }
        }
        if depth == 0 {
            return None;
        }
        kids.iter().find_map(|k| find(k, sub, depth - 1))
    }
    let l = find(cx.layer, sub, 1)
        .ok_or_else(|| cx.err(format!("has no sublayer '{sub}' (is it built?)")))?;
    let var = l
        .lock()
        .base()
        .variable(wname)
        .map_err(|e| cx.err(format!("weight '{sub}/{wname}': {e}")))?;
    var_data(var.value())
}

fn var_data(t: kiln::Tensor) -> Result<(Vec<usize>, Vec<f32>)> {
    let t = if t.dtype() == DType::F32 {
        t
    } else {
        t.cast(DType::F32)?
    };
    Ok((t.shape().to_vec(), t.to_vec::<f32>()?))
}

pub(super) fn cfg_usizes(cx: &Ctx, cfg: &Value, key: &str) -> Result<Vec<usize>> {
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

pub(super) fn cfg_str<'a>(cfg: &'a Value, key: &str) -> Option<&'a str> {
    cfg.get(key).and_then(|v| v.as_str())
}

pub(super) fn cfg_bool(cfg: &Value, key: &str, default: bool) -> bool {
    cfg.get(key).and_then(|v| v.as_bool()).unwrap_or(default)
}

pub(super) fn cfg_f32(cfg: &Value, key: &str, default: f32) -> f32 {
    cfg.get(key)
        .and_then(|v| v.as_f64())
        .map(|v| v as f32)
        .unwrap_or(default)
}

/// Permutes a row-major tensor of shape `dims` by `perm`.
pub(super) fn permute(data: &[f32], dims: &[usize], perm: &[usize]) -> (Vec<usize>, Vec<f32>) {
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
        let outs = lower_call(&mut b, &cx, &ins, &in_shapes)?;
        for (i, out) in outs.into_iter().enumerate() {
            names.insert((key, i), out);
        }
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

/// Lowers one layer call to ONNX nodes; returns the ONNX name of each of its outputs.
fn lower_call(
    b: &mut Builder,
    cx: &Ctx,
    ins: &[String],
    in_shapes: &[Vec<Option<usize>>],
) -> Result<Vec<String>> {
    match cx.layer.class_name() {
        "LSTM" | "GRU" | "SimpleRNN" => rnn::lower_rnn(b, cx, ins, in_shapes),
        "MultiHeadAttention" => attention::lower_mha(b, cx, ins, in_shapes),
        _ => Ok(vec![layers::lower_layer(b, cx, ins, in_shapes)?]),
    }
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
