//! ONNX file -> a graph runner over kiln-tensor ops.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use kiln::Tensor;
use prost::Message;

use crate::proto::{ModelProto, NodeProto};
use crate::{OnnxError, Result};

mod attrs;
mod layout;
mod model;
mod ops;
mod plan;
mod recurrent;
mod spatial;
mod tensor;

use layout::Val;
pub use model::{load_model, Imported};

use tensor::tensor_from_proto;

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
    "ConstantOfShape",
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
    "Mod",
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

/// Seconds per op type, most expensive first ([`OnnxGraph::run_profiled`]).
pub type OpTimes = Vec<(String, f64)>;

/// An imported ONNX graph, evaluated node by node with kiln-tensor ops.
pub struct OnnxGraph {
    opset: i64,
    inputs: Vec<String>,
    outputs: Vec<String>,
    consts: HashMap<String, Tensor>,
    nodes: Vec<NodeProto>,
    /// Per node of `nodes`: the prepared convolution (weights repacked at load).
    convs: Vec<Option<spatial::ConvPlan>>,
    /// Per node of `nodes`: the values nothing reads after it (dropped from the run's
    /// environment then, so a large batch does not hold every activation at once).
    last_use: Vec<Vec<String>>,
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
    let plan = plan::prepare(order, &consts, &outputs)?;
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, n) in plan.nodes.iter().enumerate() {
        for v in n.input.iter().chain(&n.output) {
            last.insert(v.as_str(), i);
        }
    }
    let mut last_use = vec![Vec::new(); plan.nodes.len()];
    for (v, i) in last {
        if !v.is_empty() && !outputs.iter().any(|o| o == v) {
            last_use[i].push(v.to_string());
        }
    }
    Ok(OnnxGraph {
        opset,
        inputs,
        outputs,
        consts,
        last_use,
        nodes: plan.nodes,
        convs: plan.convs,
    })
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
        self.run_timed(inputs, None)
    }

    /// [`OnnxGraph::run`] that also returns the seconds spent per op type (after load-time
    /// fusion: a `Conv` includes a folded `BatchNormalization` and a fused `Relu`), most
    /// expensive first: a profile of where a prediction's time goes.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("kiln_onnx_prof_{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = dir.join("m.onnx");
    /// let model = kiln::models::Model::sequential(vec![
    ///     kiln::layers::Dense::new(3).activation("relu").input_shape(&[4]).into(),
    /// ])?;
    /// kiln_onnx::export(&model, &path, kiln_onnx::DEFAULT_OPSET)?;
    /// let graph = kiln_onnx::load(&path)?;
    /// let (y, times) = graph.run_profiled(&[kiln::Tensor::ones(&[2, 4], kiln::DType::F32)])?;
    /// assert_eq!(y[0].shape(), &[2, 3]);
    /// assert!(times.iter().any(|(op, _)| op == "Relu"));
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), kiln_onnx::OnnxError>(())
    /// ```
    pub fn run_profiled(&self, inputs: &[Tensor]) -> Result<(Vec<Tensor>, OpTimes)> {
        let mut times = HashMap::new();
        let y = self.run_timed(inputs, Some(&mut times))?;
        let mut t: Vec<(String, f64)> = times.into_iter().collect();
        t.sort_by(|a, b| b.1.total_cmp(&a.1));
        Ok((y, t))
    }

    /// [`OnnxGraph::run_profiled`] with one entry per node (`"name (op_type)"`) instead of
    /// per op type.
    pub fn run_profiled_by_node(&self, inputs: &[Tensor]) -> Result<(Vec<Tensor>, OpTimes)> {
        let mut times = HashMap::new();
        let y = self.run_timed_by(inputs, Some(&mut times), true)?;
        let mut t: Vec<(String, f64)> = times.into_iter().collect();
        t.sort_by(|a, b| b.1.total_cmp(&a.1));
        Ok((y, t))
    }

    fn run_timed(
        &self,
        inputs: &[Tensor],
        times: Option<&mut HashMap<String, f64>>,
    ) -> Result<Vec<Tensor>> {
        self.run_timed_by(inputs, times, false)
    }

    fn run_timed_by(
        &self,
        inputs: &[Tensor],
        mut times: Option<&mut HashMap<String, f64>>,
        by_node: bool,
    ) -> Result<Vec<Tensor>> {
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
        let mut env: HashMap<&str, Val> =
            HashMap::with_capacity(self.consts.len() + self.nodes.len());
        for (k, v) in &self.consts {
            env.insert(k.as_str(), Val::Plain(v.clone()));
        }
        for (name, t) in self.inputs.iter().zip(inputs) {
            env.insert(name.as_str(), Val::Plain(t.clone()));
        }
        for (i, n) in self.nodes.iter().enumerate() {
            let args: Vec<Option<Val>> = n
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
            let start = times.as_ref().map(|_| std::time::Instant::now());
            let outs = self.eval_val(i, n, &args)?;
            if let (Some(t), Some(s)) = (times.as_deref_mut(), start) {
                let op = n.op_type.clone().unwrap_or_default();
                let key = if by_node {
                    format!("{} ({op})", node_name(n))
                } else {
                    op
                };
                *t.entry(key).or_insert(0.0) += s.elapsed().as_secs_f64();
            }
            for (name, t) in n.output.iter().zip(outs) {
                if !name.is_empty() {
                    env.insert(name.as_str(), t);
                }
            }
            for v in &self.last_use[i] {
                env.remove(v.as_str());
            }
        }
        let dummy = NodeProto::default();
        self.outputs
            .iter()
            .map(|o| {
                env.get(o.as_str())
                    .ok_or_else(|| fmt_err("graph", format!("output '{o}' was not computed")))
                    .and_then(|v| v.plain(&dummy))
            })
            .collect()
    }
}
