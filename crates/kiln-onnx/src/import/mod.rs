//! ONNX file -> a graph runner over kiln-tensor ops.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use kiln::{DType, Tensor};
use kiln_tensor::ops::conv::Padding;
use prost::Message;

use crate::proto::{
    attribute_proto::AttributeType, tensor_proto::DataLocation, tensor_proto::DataType,
    AttributeProto, ModelProto, NodeProto, TensorProto,
};
use crate::{OnnxError, Result};

mod recurrent;

/// The ops [`load`] accepts (default domain), with the opsets whose semantics are implemented.
pub const SUPPORTED_OPS: &[&str] = &[
    "Abs",
    "Add",
    "AveragePool",
    "BatchNormalization",
    "Cast",
    "Clip",
    "Concat",
    "Constant",
    "Conv",
    "Div",
    "Dropout",
    "Elu",
    "Erf",
    "Exp",
    "Expand",
    "Flatten",
    "Gather",
    "Gemm",
    "GRU",
    "GlobalAveragePool",
    "GlobalMaxPool",
    "HardSigmoid",
    "Identity",
    "LayerNormalization",
    "LSTM",
    "LeakyRelu",
    "Log",
    "LogSoftmax",
    "MatMul",
    "Max",
    "MaxPool",
    "Mean",
    "Min",
    "Mul",
    "Neg",
    "Pad",
    "Pow",
    "ReduceMax",
    "ReduceMean",
    "ReduceSum",
    "Relu",
    "Reshape",
    "RNN",
    "Selu",
    "Shape",
    "Sigmoid",
    "Slice",
    "Softmax",
    "Softplus",
    "Softsign",
    "Sqrt",
    "Squeeze",
    "Sub",
    "Sum",
    "Tanh",
    "Transpose",
    "Unsqueeze",
];

/// An imported ONNX graph, evaluated node by node with kiln-tensor ops.
pub struct OnnxGraph {
    opset: i64,
    inputs: Vec<String>,
    outputs: Vec<String>,
    consts: HashMap<String, Tensor>,
    nodes: Vec<NodeProto>,
}

/// Reads an `.onnx` file (external data files are looked up next to it).
///
/// ```
/// let p = std::env::temp_dir().join(format!("kiln_onnx_bad_{}.onnx", std::process::id()));
/// std::fs::write(&p, b"not a model").unwrap();
/// assert!(kiln_onnx::load(&p).is_err());
/// # std::fs::remove_file(&p).ok();
/// ```
pub fn load(path: impl AsRef<Path>) -> Result<OnnxGraph> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| OnnxError::Io {
        path: path.display().to_string(),
        msg: e.to_string(),
    })?;
    let dir = path.parent().map(|p| p.to_path_buf()).unwrap_or_default();
    parse(&bytes, &path.display().to_string(), Some(&dir))
}

/// Reads a serialized ONNX ModelProto (external data is an error: it needs a directory).
pub fn load_bytes(bytes: &[u8]) -> Result<OnnxGraph> {
    parse(bytes, "model bytes", None)
}

fn fmt_err(what: &str, msg: impl Into<String>) -> OnnxError {
    OnnxError::Format {
        what: what.into(),
        msg: msg.into(),
    }
}

fn node_name(n: &NodeProto) -> String {
    match n.name.as_deref() {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => n
            .output
            .first()
            .cloned()
            .unwrap_or_else(|| "<unnamed>".into()),
    }
}

fn node_err(n: &NodeProto, msg: impl Into<String>) -> OnnxError {
    OnnxError::Node {
        node: node_name(n),
        op: n.op_type.clone().unwrap_or_default(),
        msg: msg.into(),
    }
}

fn parse(bytes: &[u8], what: &str, dir: Option<&Path>) -> Result<OnnxGraph> {
    let model = ModelProto::decode(bytes)
        .map_err(|e| fmt_err(what, format!("not a valid ONNX ModelProto: {e}")))?;
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| fmt_err(what, "the model has no graph"))?;
    let mut opset = None;
    for o in &model.opset_import {
        match o.domain.as_deref() {
            None | Some("") | Some("ai.onnx") => opset = o.version,
            Some(d) => {
                // A custom domain is only a problem when a node uses it (checked below).
                let _ = d;
            }
        }
    }
    let opset =
        opset.ok_or_else(|| fmt_err(what, "no opset_import for the default ONNX domain"))?;
    if !(7..=23).contains(&opset) {
        return Err(fmt_err(
            what,
            format!("opset {opset} is not supported; expected 7..=23"),
        ));
    }
    let mut consts = HashMap::new();
    for t in &graph.initializer {
        let name = t.name.clone().unwrap_or_default();
        let v = tensor_from_proto(t, dir).map_err(|m| OnnxError::Node {
            node: name.clone(),
            op: "initializer".into(),
            msg: m,
        })?;
        consts.insert(name, v);
    }
    let inputs: Vec<String> = graph
        .input
        .iter()
        .filter_map(|v| v.name.clone())
        .filter(|n| !consts.contains_key(n))
        .collect();
    let outputs: Vec<String> = graph.output.iter().filter_map(|v| v.name.clone()).collect();
    if outputs.is_empty() {
        return Err(fmt_err(what, "the graph has no outputs"));
    }
    for n in &graph.node {
        let op = n.op_type.as_deref().unwrap_or("");
        match n.domain.as_deref() {
            None | Some("") | Some("ai.onnx") => {}
            Some(d) => {
                return Err(node_err(
                    n,
                    format!("domain '{d}' is not supported; only the default ONNX domain imports"),
                ))
            }
        }
        if !SUPPORTED_OPS.contains(&op) {
            return Err(node_err(
                n,
                format!(
                    "op '{op}' is not supported by kiln's ONNX import (supported: {})",
                    SUPPORTED_OPS.join(", ")
                ),
            ));
        }
    }
    // Topological order (Kahn); a node that never becomes ready is on a cycle or reads
    // a value nothing produces.
    let mut avail: HashSet<String> = consts.keys().cloned().collect();
    avail.extend(inputs.iter().cloned());
    avail.insert(String::new()); // optional inputs are ""
    let mut pending: Vec<&NodeProto> = graph.node.iter().collect();
    let mut order = Vec::new();
    while !pending.is_empty() {
        let before = pending.len();
        let mut rest = Vec::new();
        for n in pending {
            if n.input.iter().all(|i| avail.contains(i)) {
                for o in &n.output {
                    avail.insert(o.clone());
                }
                order.push(n.clone());
            } else {
                rest.push(n);
            }
        }
        if rest.len() == before {
            let n = rest[0];
            let missing: Vec<&String> = n.input.iter().filter(|i| !avail.contains(*i)).collect();
            let produced: HashSet<&String> = rest.iter().flat_map(|m| m.output.iter()).collect();
            let why = if missing.iter().any(|m| produced.contains(m)) {
                "the graph has a cycle through this node"
            } else {
                "it reads a value that no node, input or initializer produces"
            };
            return Err(node_err(n, format!("{why} (waiting for {missing:?})")));
        }
        pending = rest;
    }
    for o in &outputs {
        if !avail.contains(o) {
            return Err(fmt_err(
                what,
                format!("graph output '{o}' is not produced by any node"),
            ));
        }
    }
    Ok(OnnxGraph {
        opset,
        inputs,
        outputs,
        consts,
        nodes: order,
    })
}

fn elem_size(dt: i32) -> Option<(usize, DType)> {
    Some(match DataType::try_from(dt).ok()? {
        DataType::Float => (4, DType::F32),
        DataType::Double => (8, DType::F64),
        DataType::Int32 => (4, DType::I32),
        DataType::Int64 => (8, DType::I64),
        DataType::Uint8 => (1, DType::U8),
        DataType::Bool => (1, DType::Bool),
        _ => return None,
    })
}

/// Decodes a TensorProto; the error message says what was wrong.
fn tensor_from_proto(t: &TensorProto, dir: Option<&Path>) -> std::result::Result<Tensor, String> {
    let dt = t.data_type.unwrap_or(0);
    let (esize, dtype) = elem_size(dt).ok_or_else(|| {
        format!("data type {dt} is not supported (float, double, int32, int64, uint8, bool are)")
    })?;
    let mut dims = Vec::with_capacity(t.dims.len());
    for &d in &t.dims {
        if d < 0 {
            return Err(format!("negative dimension {d} in {:?}", t.dims));
        }
        dims.push(d as usize);
    }
    let n = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|n| *n <= (1usize << 34))
        .ok_or_else(|| format!("shape {:?} is too large", t.dims))?;
    let external = t.data_location == Some(DataLocation::External as i32);
    let raw: Option<Vec<u8>> = if external {
        let dir = dir.ok_or("external data needs the model's directory (use load(path))")?;
        Some(read_external(t, dir, n * esize)?)
    } else {
        t.raw_data.clone()
    };
    let mismatch =
        |got: usize| format!("holds {got} elements but its shape {:?} needs {n}", t.dims);
    if let Some(raw) = raw {
        if raw.len() != n * esize {
            return Err(format!(
                "raw data has {} bytes but shape {:?} of {esize}-byte elements needs {}",
                raw.len(),
                t.dims,
                n * esize
            ));
        }
        let r = match dtype {
            DType::F32 => Tensor::from_vec(
                raw.chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect::<Vec<_>>(),
                &dims,
            ),
            DType::F64 => Tensor::from_vec(
                raw.chunks_exact(8)
                    .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                    .collect::<Vec<_>>(),
                &dims,
            ),
            DType::I32 => Tensor::from_vec(
                raw.chunks_exact(4)
                    .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect::<Vec<_>>(),
                &dims,
            ),
            DType::I64 => Tensor::from_vec(
                raw.chunks_exact(8)
                    .map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                    .collect::<Vec<_>>(),
                &dims,
            ),
            DType::U8 => Tensor::from_vec(raw.clone(), &dims),
            _ => Tensor::from_vec(raw.iter().map(|&b| b != 0).collect::<Vec<_>>(), &dims),
        };
        return r.map_err(|e| e.to_string());
    }
    let r = match dtype {
        DType::F32 if t.float_data.len() == n => Tensor::from_vec(t.float_data.clone(), &dims),
        DType::F32 => return Err(mismatch(t.float_data.len())),
        DType::F64 if t.double_data.len() == n => Tensor::from_vec(t.double_data.clone(), &dims),
        DType::F64 => return Err(mismatch(t.double_data.len())),
        DType::I64 if t.int64_data.len() == n => Tensor::from_vec(t.int64_data.clone(), &dims),
        DType::I64 => return Err(mismatch(t.int64_data.len())),
        DType::I32 if t.int32_data.len() == n => Tensor::from_vec(t.int32_data.clone(), &dims),
        DType::U8 if t.int32_data.len() == n => Tensor::from_vec(
            t.int32_data.iter().map(|&v| v as u8).collect::<Vec<_>>(),
            &dims,
        ),
        DType::Bool if t.int32_data.len() == n => Tensor::from_vec(
            t.int32_data.iter().map(|&v| v != 0).collect::<Vec<_>>(),
            &dims,
        ),
        _ => return Err(mismatch(t.int32_data.len())),
    };
    r.map_err(|e| e.to_string())
}

fn read_external(t: &TensorProto, dir: &Path, want: usize) -> std::result::Result<Vec<u8>, String> {
    let mut location = None;
    let mut offset = 0u64;
    let mut length = None;
    for kv in &t.external_data {
        let v = kv.value.clone().unwrap_or_default();
        match kv.key.as_deref() {
            Some("location") => location = Some(v),
            Some("offset") => {
                offset = v
                    .parse()
                    .map_err(|_| format!("external data offset '{v}' is not a number"))?
            }
            Some("length") => {
                length = Some(
                    v.parse::<usize>()
                        .map_err(|_| format!("external data length '{v}' is not a number"))?,
                )
            }
            _ => {}
        }
    }
    let loc = location.ok_or("external data without a location")?;
    let rel = PathBuf::from(&loc);
    if rel.is_absolute()
        || rel
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(format!(
            "external data location '{loc}' must be a relative path inside the model's directory"
        ));
    }
    let file = dir.join(rel);
    let bytes =
        std::fs::read(&file).map_err(|e| format!("external data file {}: {e}", file.display()))?;
    let len = length.unwrap_or(want);
    let start = offset as usize;
    let end = start
        .checked_add(len)
        .filter(|e| *e <= bytes.len())
        .ok_or_else(|| {
            format!(
                "external data {}..{} is past the end of {} ({} bytes)",
                start,
                start + len,
                file.display(),
                bytes.len()
            )
        })?;
    Ok(bytes[start..end].to_vec())
}

fn attr<'a>(n: &'a NodeProto, name: &str) -> Option<&'a AttributeProto> {
    n.attribute.iter().find(|a| a.name.as_deref() == Some(name))
}

fn attr_i(n: &NodeProto, name: &str, default: i64) -> i64 {
    attr(n, name).and_then(|a| a.i).unwrap_or(default)
}

fn attr_f(n: &NodeProto, name: &str, default: f32) -> f32 {
    attr(n, name).and_then(|a| a.f).unwrap_or(default)
}

fn attr_ints(n: &NodeProto, name: &str) -> Option<Vec<i64>> {
    attr(n, name).map(|a| a.ints.clone())
}

fn attr_s(n: &NodeProto, name: &str) -> Option<String> {
    attr(n, name)
        .and_then(|a| a.s.as_ref())
        .map(|s| String::from_utf8_lossy(s).into_owned())
}

fn norm_axis(n: &NodeProto, axis: i64, rank: usize) -> Result<usize> {
    let a = if axis < 0 { axis + rank as i64 } else { axis };
    if a < 0 || a as usize >= rank.max(1) {
        return Err(node_err(
            n,
            format!("axis {axis} is out of range for rank {rank}"),
        ));
    }
    Ok(a as usize)
}

fn ints_of(n: &NodeProto, t: &Tensor) -> Result<Vec<i64>> {
    t.cast(DType::I64)
        .and_then(|c| c.to_vec::<i64>())
        .map_err(|e| node_err(n, format!("expected an integer tensor: {e}")))
}

fn dtype_from_onnx(n: &NodeProto, to: i64) -> Result<DType> {
    elem_size(to as i32)
        .map(|(_, d)| d)
        .ok_or_else(|| node_err(n, format!("cast to ONNX type {to} is not supported")))
}

impl OnnxGraph {
    /// The graph's input names (initializers excluded), in order.
    pub fn input_names(&self) -> &[String] {
        &self.inputs
    }

    /// The graph's output names, in order.
    pub fn output_names(&self) -> &[String] {
        &self.outputs
    }

    /// The default-domain opset the file declares.
    pub fn opset(&self) -> i64 {
        self.opset
    }

    /// Number of nodes.
    pub fn num_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// Evaluates the graph on `inputs` (one tensor per [`OnnxGraph::input_names`]).
    pub fn run(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
        if inputs.len() != self.inputs.len() {
            return Err(fmt_err(
                "graph",
                format!(
                    "expected {} inputs ({:?}), got {}",
                    self.inputs.len(),
                    self.inputs,
                    inputs.len()
                ),
            ));
        }
        let mut env: HashMap<&str, Tensor> = HashMap::new();
        for (k, v) in &self.consts {
            env.insert(k.as_str(), v.clone());
        }
        for (name, t) in self.inputs.iter().zip(inputs) {
            env.insert(name.as_str(), t.clone());
        }
        for n in &self.nodes {
            let args: Vec<Option<Tensor>> = n
                .input
                .iter()
                .map(|i| {
                    if i.is_empty() {
                        None
                    } else {
                        env.get(i.as_str()).cloned()
                    }
                })
                .collect();
            let outs = self.eval(n, &args)?;
            for (name, t) in n.output.iter().zip(outs) {
                if !name.is_empty() {
                    env.insert(name.as_str(), t);
                }
            }
        }
        self.outputs
            .iter()
            .map(|o| {
                env.get(o.as_str())
                    .cloned()
                    .ok_or_else(|| fmt_err("graph", format!("output '{o}' was not computed")))
            })
            .collect()
    }

    fn eval(&self, n: &NodeProto, args: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let op = n.op_type.as_deref().unwrap_or("");
        let arg = |i: usize| -> Result<&Tensor> {
            args.get(i)
                .and_then(|a| a.as_ref())
                .ok_or_else(|| node_err(n, format!("input {i} is missing")))
        };
        let k = |e: kiln_tensor::Error| node_err(n, e.to_string());
        let one = |t: std::result::Result<Tensor, kiln_tensor::Error>| -> Result<Vec<Tensor>> {
            Ok(vec![t.map_err(k)?])
        };
        match op {
            "Identity" => Ok(vec![arg(0)?.clone()]),
            "Dropout" => {
                if n.output.len() > 1 && !n.output[1].is_empty() {
                    return Err(node_err(n, "the mask output of Dropout is not supported"));
                }
                Ok(vec![arg(0)?.clone()])
            }
            "Relu" => one(arg(0)?.relu()),
            "Sigmoid" => one(arg(0)?.sigmoid()),
            "Tanh" => one(arg(0)?.tanh()),
            "Exp" => one(arg(0)?.exp()),
            "Log" => one(arg(0)?.log()),
            "Abs" => one(arg(0)?.abs()),
            "Neg" => one(arg(0)?.neg()),
            "Sqrt" => one(arg(0)?.sqrt()),
            "Erf" => one(arg(0)?.erf()),
            "Softplus" => one(arg(0)?.softplus()),
            "Softsign" => one(arg(0)?.softsign()),
            "Elu" => one(arg(0)?.elu(attr_f(n, "alpha", 1.0) as f64)),
            "LeakyRelu" => one(arg(0)?.leaky_relu(attr_f(n, "alpha", 0.01) as f64)),
            "Selu" => {
                let a = attr_f(n, "alpha", 1.673_263_2) as f64;
                let g = attr_f(n, "gamma", 1.050_701) as f64;
                let x = arg(0)?;
                // gamma * (x > 0 ? x : alpha * (exp(x) - 1)) = gamma * (relu(x) + alpha * elu1(min(x,0)))
                let neg = x
                    .minimum(&x.zeros_like())
                    .map_err(k)?
                    .elu(1.0)
                    .map_err(k)?
                    .mul_scalar(a)
                    .map_err(k)?;
                one(x.relu().map_err(k)?.add(&neg).map_err(k)?.mul_scalar(g))
            }
            "HardSigmoid" => {
                let a = attr_f(n, "alpha", 0.2) as f64;
                let b = attr_f(n, "beta", 0.5) as f64;
                one(arg(0)?
                    .mul_scalar(a)
                    .map_err(k)?
                    .add_scalar(b)
                    .map_err(k)?
                    .clip(0.0, 1.0))
            }
            "Clip" => {
                let x = arg(0)?;
                let lo = match args.get(1).and_then(|a| a.as_ref()) {
                    Some(t) => Some(
                        t.cast(DType::F64)
                            .map_err(k)?
                            .to_vec::<f64>()
                            .map_err(k)?
                            .first()
                            .copied()
                            .unwrap_or(f64::NEG_INFINITY),
                    ),
                    None => attr(n, "min").and_then(|a| a.f).map(|v| v as f64),
                };
                let hi = match args.get(2).and_then(|a| a.as_ref()) {
                    Some(t) => Some(
                        t.cast(DType::F64)
                            .map_err(k)?
                            .to_vec::<f64>()
                            .map_err(k)?
                            .first()
                            .copied()
                            .unwrap_or(f64::INFINITY),
                    ),
                    None => attr(n, "max").and_then(|a| a.f).map(|v| v as f64),
                };
                one(x.clip(lo.unwrap_or(f64::NEG_INFINITY), hi.unwrap_or(f64::INFINITY)))
            }
            "Add" => one(arg(0)?.add(arg(1)?)),
            "Sub" => one(arg(0)?.sub(arg(1)?)),
            "Mul" => one(arg(0)?.mul(arg(1)?)),
            "Div" => one(arg(0)?.div(arg(1)?)),
            "Pow" => one(arg(0)?.pow(&arg(1)?.cast(arg(0)?.dtype()).map_err(k)?)),
            "Sum" | "Max" | "Min" | "Mean" => {
                let mut acc = arg(0)?.clone();
                for i in 1..args.len() {
                    let b = arg(i)?;
                    acc = match op {
                        "Max" => acc.maximum(b),
                        "Min" => acc.minimum(b),
                        _ => acc.add(b),
                    }
                    .map_err(k)?;
                }
                if op == "Mean" {
                    acc = acc.div_scalar(args.len() as f64).map_err(k)?;
                }
                Ok(vec![acc])
            }
            "MatMul" => one(arg(0)?.matmul(arg(1)?)),
            "Gemm" => {
                let ta = attr_i(n, "transA", 0) != 0;
                let tb = attr_i(n, "transB", 0) != 0;
                let alpha = attr_f(n, "alpha", 1.0) as f64;
                let beta = attr_f(n, "beta", 1.0) as f64;
                let mut y = arg(0)?.matmul_t(arg(1)?, ta, tb).map_err(k)?;
                if alpha != 1.0 {
                    y = y.mul_scalar(alpha).map_err(k)?;
                }
                if let Some(Some(c)) = args.get(2) {
                    let c = if beta != 1.0 {
                        c.mul_scalar(beta).map_err(k)?
                    } else {
                        c.clone()
                    };
                    y = y.add(&c).map_err(k)?;
                }
                Ok(vec![y])
            }
            "Softmax" | "LogSoftmax" => {
                let x = arg(0)?;
                let rank = x.shape().len();
                let default = if self.opset >= 13 { -1 } else { 1 };
                let axis = norm_axis(n, attr_i(n, "axis", default), rank)?;
                if self.opset < 13 && axis != rank - 1 {
                    return Err(node_err(n, "before opset 13 Softmax flattens from its axis; only the last axis is supported there"));
                }
                if op == "Softmax" {
                    one(x.softmax(axis as isize))
                } else {
                    one(x.log_softmax(axis as isize))
                }
            }
            "Transpose" => {
                let x = arg(0)?;
                let rank = x.shape().len();
                let perm: Vec<usize> = match attr_ints(n, "perm") {
                    Some(p) => p
                        .iter()
                        .map(|&a| norm_axis(n, a, rank))
                        .collect::<Result<_>>()?,
                    None => (0..rank).rev().collect(),
                };
                one(x.transpose(Some(&perm)).map(|t| t.contiguous()))
            }
            "Reshape" => {
                let x = arg(0)?;
                let shape = ints_of(n, arg(1)?)?;
                let allowzero = attr_i(n, "allowzero", 0) != 0;
                let target: Vec<isize> = shape
                    .iter()
                    .enumerate()
                    .map(|(i, &d)| {
                        if d == 0 && !allowzero {
                            x.shape().get(i).map(|&s| s as isize).ok_or_else(|| {
                                node_err(
                                    n,
                                    format!(
                                        "shape entry {i} is 0 (copy) but the input has rank {}",
                                        x.shape().len()
                                    ),
                                )
                            })
                        } else {
                            Ok(d as isize)
                        }
                    })
                    .collect::<Result<_>>()?;
                one(x.reshape(&target))
            }
            "Flatten" => {
                let x = arg(0)?;
                let rank = x.shape().len();
                let a = attr_i(n, "axis", 1);
                let a = if a < 0 { a + rank as i64 } else { a };
                if a < 0 || a as usize > rank {
                    return Err(node_err(
                        n,
                        format!("axis {a} is out of range for rank {rank}"),
                    ));
                }
                let outer: usize = x.shape()[..a as usize].iter().product();
                let inner: usize = x.shape()[a as usize..].iter().product();
                one(x.reshape(&[outer as isize, inner as isize]))
            }
            "Squeeze" | "Unsqueeze" => {
                let x = arg(0)?;
                let axes = match args.get(1).and_then(|a| a.as_ref()) {
                    Some(t) => ints_of(n, t)?,
                    None => attr_ints(n, "axes").unwrap_or_default(),
                };
                if op == "Squeeze" {
                    let axes: Vec<isize> = if axes.is_empty() {
                        x.shape()
                            .iter()
                            .enumerate()
                            .filter(|(_, d)| **d == 1)
                            .map(|(i, _)| i as isize)
                            .collect()
                    } else {
                        axes.iter().map(|&a| a as isize).collect()
                    };
                    one(x.squeeze(&axes))
                } else {
                    let out_rank = x.shape().len() + axes.len();
                    let mut ax: Vec<usize> = axes
                        .iter()
                        .map(|&a| norm_axis(n, a, out_rank))
                        .collect::<Result<_>>()?;
                    ax.sort_unstable();
                    let mut y = x.clone();
                    for a in ax {
                        y = y.expand_dims(a as isize).map_err(k)?;
                    }
                    Ok(vec![y])
                }
            }
            "Concat" => {
                let ts: Vec<&Tensor> = (0..args.len()).map(arg).collect::<Result<_>>()?;
                let rank = ts.first().map(|t| t.shape().len()).unwrap_or(0);
                let axis = norm_axis(n, attr_i(n, "axis", 0), rank)?;
                one(Tensor::concat(&ts, axis as isize))
            }
            "Gather" => {
                let x = arg(0)?;
                let rank = x.shape().len();
                let axis = norm_axis(n, attr_i(n, "axis", 0), rank)?;
                let idx = arg(1)?;
                let dim = x.shape()[axis] as i64;
                let iv: Vec<i64> = ints_of(n, idx)?
                    .into_iter()
                    .map(|v| if v < 0 { v + dim } else { v })
                    .collect();
                let it = Tensor::from_vec(iv, idx.shape()).map_err(k)?;
                one(x.gather(&it, axis as isize))
            }
            "Cast" => {
                let to = dtype_from_onnx(n, attr_i(n, "to", 1))?;
                one(arg(0)?.cast(to))
            }
            "Shape" => {
                let x = arg(0)?;
                let r = x.shape().len() as i64;
                let clampi = |v: i64| (if v < 0 { v + r } else { v }).clamp(0, r) as usize;
                let s = clampi(attr_i(n, "start", 0));
                let e = clampi(attr_i(n, "end", r));
                let dims: Vec<i64> = x.shape()[s..e.max(s)].iter().map(|&d| d as i64).collect();
                let len = dims.len();
                one(Tensor::from_vec(dims, &[len]))
            }
            "Constant" => {
                let a = n
                    .attribute
                    .first()
                    .ok_or_else(|| node_err(n, "Constant without a value"))?;
                let t = match a.name.as_deref() {
                    Some("value") => tensor_from_proto(
                        a.t.as_ref()
                            .ok_or_else(|| node_err(n, "value attribute holds no tensor"))?,
                        None,
                    )
                    .map_err(|m| node_err(n, m))?,
                    Some("value_float") => Tensor::scalar(a.f.unwrap_or(0.0)),
                    Some("value_int") => Tensor::scalar(a.i.unwrap_or(0)),
                    Some("value_floats") => {
                        Tensor::from_vec(a.floats.clone(), &[a.floats.len()]).map_err(k)?
                    }
                    Some("value_ints") => {
                        Tensor::from_vec(a.ints.clone(), &[a.ints.len()]).map_err(k)?
                    }
                    other => {
                        return Err(node_err(
                            n,
                            format!("Constant attribute {other:?} is not supported"),
                        ))
                    }
                };
                let _ = AttributeType::Tensor;
                Ok(vec![t])
            }
            "ReduceMean" | "ReduceMax" | "ReduceSum" => {
                let x = arg(0)?;
                let rank = x.shape().len();
                let keep = attr_i(n, "keepdims", 1) != 0;
                let axes = match args.get(1).and_then(|a| a.as_ref()) {
                    Some(t) => ints_of(n, t)?,
                    None => attr_ints(n, "axes").unwrap_or_default(),
                };
                let axes: Vec<isize> = if axes.is_empty() {
                    if attr_i(n, "noop_with_empty_axes", 0) != 0 {
                        return Ok(vec![x.clone()]);
                    }
                    (0..rank as isize).collect()
                } else {
                    axes.iter()
                        .map(|&a| norm_axis(n, a, rank).map(|v| v as isize))
                        .collect::<Result<_>>()?
                };
                one(match op {
                    "ReduceMean" => x.mean(&axes, keep),
                    "ReduceMax" => x.max(&axes, keep),
                    _ => x.sum(&axes, keep),
                })
            }
            "GlobalAveragePool" | "GlobalMaxPool" => {
                let x = arg(0)?;
                let axes: Vec<isize> = (2..x.shape().len() as isize).collect();
                one(if op == "GlobalMaxPool" {
                    x.max(&axes, true)
                } else {
                    x.mean(&axes, true)
                })
            }
            "BatchNormalization" => {
                if attr_i(n, "training_mode", 0) != 0 {
                    return Err(node_err(
                        n,
                        "training_mode=1 is not supported (inference form only)",
                    ));
                }
                let x = arg(0)?;
                let eps = attr_f(n, "epsilon", 1e-5) as f64;
                let rank = x.shape().len();
                let c = *x
                    .shape()
                    .get(1)
                    .ok_or_else(|| node_err(n, "input rank below 2"))?;
                let mut bshape = vec![c as isize];
                bshape.extend(std::iter::repeat_n(1, rank.saturating_sub(2)));
                let r = |t: &Tensor| t.reshape(&bshape);
                let inv = arg(4)?
                    .add_scalar(eps)
                    .map_err(k)?
                    .rsqrt()
                    .map_err(k)?
                    .mul(arg(1)?)
                    .map_err(k)?;
                let shift = arg(2)?.sub(&arg(3)?.mul(&inv).map_err(k)?).map_err(k)?;
                one(x
                    .mul(&r(&inv).map_err(k)?)
                    .map_err(k)?
                    .add(&r(&shift).map_err(k)?))
            }
            "LayerNormalization" => {
                let x = arg(0)?;
                let rank = x.shape().len();
                let axis = norm_axis(n, attr_i(n, "axis", -1), rank)?;
                let eps = attr_f(n, "epsilon", 1e-5) as f64;
                if n.output.iter().skip(1).any(|o| !o.is_empty()) {
                    return Err(node_err(
                        n,
                        "the Mean and InvStdDev outputs are not supported",
                    ));
                }
                let inner: usize = x.shape()[axis..].iter().product();
                let outer: usize = x.shape()[..axis].iter().product();
                let x2 = x.reshape(&[outer as isize, inner as isize]).map_err(k)?;
                let scale = arg(1)?
                    .broadcast_to(&x.shape()[axis..])
                    .map_err(k)?
                    .reshape(&[inner as isize])
                    .map_err(k)?;
                let bias = match args.get(2).and_then(|a| a.as_ref()) {
                    Some(b) => Some(
                        b.broadcast_to(&x.shape()[axis..])
                            .map_err(k)?
                            .reshape(&[inner as isize])
                            .map_err(k)?,
                    ),
                    None => None,
                };
                let y = x2
                    .layer_normalization(Some(&scale), bias.as_ref(), eps)
                    .map_err(k)?;
                let shape: Vec<isize> = x.shape().iter().map(|&d| d as isize).collect();
                one(y.reshape(&shape))
            }
            "Expand" => {
                let x = arg(0)?;
                let shape = ints_of(n, arg(1)?)?;
                // Numpy broadcasting of the input shape with `shape` (either may be shorter).
                let r = shape.len().max(x.shape().len());
                let pad = |s: Vec<i64>| -> Vec<i64> {
                    let mut v = vec![1; r - s.len()];
                    v.extend(s);
                    v
                };
                let a = pad(x.shape().iter().map(|&d| d as i64).collect());
                let b = pad(shape.clone());
                let mut target = Vec::with_capacity(r);
                for (da, db) in a.iter().zip(&b) {
                    if *da != *db && *da != 1 && *db != 1 {
                        return Err(node_err(
                            n,
                            format!(
                                "shape {shape:?} does not broadcast with input {:?}",
                                x.shape()
                            ),
                        ));
                    }
                    target.push(if *da == 1 { *db } else { *da }.max(0) as usize);
                }
                one(x.broadcast_to(&target).map(|t| t.contiguous()))
            }
            "Conv" => self.conv(n, args),
            "LSTM" | "GRU" | "RNN" => recurrent::recurrent(n, args),
            "Pad" => recurrent::pad(n, args, self.opset),
            "Slice" => recurrent::slice(n, args),
            "MaxPool" | "AveragePool" => self.pool(n, args),
            other => Err(node_err(n, format!("op '{other}' is not supported"))),
        }
    }

    /// Spatial padding of a Conv / pool node for kiln's NHWC kernels.
    fn padding(&self, n: &NodeProto, spatial: usize) -> Result<Padding> {
        match attr_s(n, "auto_pad").as_deref() {
            None | Some("NOTSET") | Some("") => {
                let pads = attr_ints(n, "pads").unwrap_or_else(|| vec![0; 2 * spatial]);
                if pads.len() != 2 * spatial || pads.iter().any(|&p| p < 0) {
                    return Err(node_err(
                        n,
                        format!("pads {pads:?} must be {} non-negative values", 2 * spatial),
                    ));
                }
                if pads.iter().all(|&p| p == 0) {
                    return Ok(Padding::Valid);
                }
                Ok(Padding::Explicit(
                    (0..spatial)
                        .map(|i| (pads[i] as usize, pads[i + spatial] as usize))
                        .collect(),
                ))
            }
            Some("VALID") => Ok(Padding::Valid),
            Some("SAME_UPPER") => Ok(Padding::Same),
            Some(p) => Err(node_err(
                n,
                format!("auto_pad {p} is not supported; expected NOTSET, VALID or SAME_UPPER"),
            )),
        }
    }

    fn conv(&self, n: &NodeProto, args: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let k = |e: kiln_tensor::Error| node_err(n, e.to_string());
        let x = args
            .first()
            .and_then(|a| a.as_ref())
            .ok_or_else(|| node_err(n, "input X is missing"))?;
        let w = args
            .get(1)
            .and_then(|a| a.as_ref())
            .ok_or_else(|| node_err(n, "input W is missing"))?;
        let rank = x.shape().len();
        if !(rank == 3 || rank == 4) || w.shape().len() != rank {
            return Err(node_err(
                n,
                format!(
                    "only 1-D and 2-D convolutions import; X {:?}, W {:?}",
                    x.shape(),
                    w.shape()
                ),
            ));
        }
        // 1-D -> 2-D with a unit height.
        let (x4, w4) = if rank == 3 {
            (x.expand_dims(2).map_err(k)?, w.expand_dims(2).map_err(k)?)
        } else {
            (x.clone(), w.clone())
        };
        let one_d = rank == 3;
        let lift = |v: Vec<i64>, fill: i64| {
            if one_d {
                let mut o = vec![fill];
                o.extend(v);
                o
            } else {
                v
            }
        };
        let strides = lift(
            attr_ints(n, "strides").unwrap_or_else(|| vec![1; rank - 2]),
            1,
        );
        let dil = lift(
            attr_ints(n, "dilations").unwrap_or_else(|| vec![1; rank - 2]),
            1,
        );
        let group = attr_i(n, "group", 1).max(1) as usize;
        let mut pad = self.padding(n, rank - 2)?;
        if let (true, Padding::Explicit(p)) = (one_d, &pad) {
            pad = Padding::Explicit(vec![(0, 0), p[0]]);
        }
        let xh = x4.transpose(Some(&[0, 2, 3, 1])).map_err(k)?;
        let kh = w4.transpose(Some(&[2, 3, 1, 0])).map_err(k)?.contiguous();
        let y = xh
            .conv2d(
                &kh,
                [strides[0] as usize, strides[1] as usize],
                &pad,
                [dil[0] as usize, dil[1] as usize],
                group,
            )
            .map_err(k)?;
        let y = match args.get(2).and_then(|a| a.as_ref()) {
            Some(b) => y.add(b).map_err(k)?,
            None => y,
        };
        let mut y = y.transpose(Some(&[0, 3, 1, 2])).map_err(k)?.contiguous();
        if one_d {
            y = y.squeeze(&[2]).map_err(k)?;
        }
        Ok(vec![y])
    }

    fn pool(&self, n: &NodeProto, args: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let k = |e: kiln_tensor::Error| node_err(n, e.to_string());
        let op = n.op_type.as_deref().unwrap_or("");
        let x = args
            .first()
            .and_then(|a| a.as_ref())
            .ok_or_else(|| node_err(n, "input X is missing"))?;
        if n.output.len() > 1 && !n.output[1].is_empty() {
            return Err(node_err(
                n,
                "the Indices output of MaxPool is not supported",
            ));
        }
        let rank = x.shape().len();
        if !(rank == 3 || rank == 4) {
            return Err(node_err(
                n,
                format!("only 1-D and 2-D pooling imports; X {:?}", x.shape()),
            ));
        }
        if attr_i(n, "ceil_mode", 0) != 0 {
            return Err(node_err(n, "ceil_mode=1 is not supported"));
        }
        if attr_ints(n, "dilations").is_some_and(|d| d.iter().any(|&v| v != 1)) {
            return Err(node_err(n, "dilated pooling is not supported"));
        }
        let one_d = rank == 3;
        let lift = |v: Vec<i64>| {
            if one_d {
                let mut o = vec![1];
                o.extend(v);
                o
            } else {
                v
            }
        };
        let ks = lift(
            attr_ints(n, "kernel_shape").ok_or_else(|| node_err(n, "kernel_shape is required"))?,
        );
        let st = lift(attr_ints(n, "strides").unwrap_or_else(|| vec![1; rank - 2]));
        let mut pad = self.padding(n, rank - 2)?;
        if let (true, Padding::Explicit(p)) = (one_d, &pad) {
            pad = Padding::Explicit(vec![(0, 0), p[0]]);
        }
        let x4 = if one_d {
            x.expand_dims(2).map_err(k)?
        } else {
            x.clone()
        };
        let mut xh = x4.transpose(Some(&[0, 2, 3, 1])).map_err(k)?.contiguous();
        let ksize = [ks[0] as usize, ks[1] as usize];
        let strides = [st[0] as usize, st[1] as usize];
        let y = if op == "MaxPool" {
            xh.max_pool2d(ksize, strides, &pad).map_err(k)?
        } else {
            let include = attr_i(n, "count_include_pad", 0) != 0;
            if let (true, Padding::Explicit(p)) = (include, &pad) {
                // Zero padding counted in the average: pad, then average the valid windows.
                xh = xh
                    .pad(
                        &[(0, 0), p[0], p[1], (0, 0)],
                        kiln_tensor::ops::manip::PadMode::Constant(0.0),
                    )
                    .map_err(k)?;
                pad = Padding::Valid;
            } else if include && pad == Padding::Same {
                return Err(node_err(
                    n,
                    "count_include_pad=1 with auto_pad SAME is not supported",
                ));
            }
            xh.avg_pool2d(ksize, strides, &pad).map_err(k)?
        };
        let mut y = y.transpose(Some(&[0, 3, 1, 2])).map_err(k)?.contiguous();
        if one_d {
            y = y.squeeze(&[2]).map_err(k)?;
        }
        Ok(vec![y])
    }
}
