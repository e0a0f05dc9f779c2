//! The graph a trace leaves: captured events turned into nodes over numbered values, and
//! its replay on new inputs.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use super::passes::fuse::FusedKernel;
use super::passes::reuse::RunPlan;
use super::value::{sorted, Value};
use crate::autodiff::capture::{Event, Trace, WriteKind};
use crate::autodiff::Op;
use crate::{DType, Error, Result, Tensor, Variable};

/// Where a node input comes from.
#[derive(Clone)]
pub(crate) enum Src {
    /// The k-th tensor leaf of the call's arguments.
    Input(usize),
    /// The output of node `i`.
    Node(usize),
    /// A tensor frozen into the graph (made by a constructor while tracing, or read from
    /// an enclosing scope: TF captures eager tensors by value).
    Const(Tensor),
}

/// The variable a read or write node touches.
#[derive(Clone)]
pub(crate) enum VarRef {
    /// The k-th variable leaf of the call's arguments.
    Arg(usize),
    /// A variable captured from the enclosing scope, by reference.
    Captured(Variable),
}

/// A graph-level control-flow op (`cond`, `while_loop`): runs sub-graphs.
pub(crate) trait ControlOp: Send + Sync {
    /// The op's name in listings.
    fn name(&self) -> &'static str;
    /// Runs the op on its inputs (explicit operands, then captured tensors); `host`
    /// answers host ops (see [`super::host_op`]).
    fn run(&self, inputs: &[Tensor], host: super::control::Host<'_, '_>) -> Result<Vec<Tensor>>;
}

#[derive(Clone)]
pub(crate) enum NodeKind {
    Op {
        op: Op,
        inputs: Vec<Src>,
    },
    Read {
        var: VarRef,
    },
    Write {
        var: VarRef,
        kind: WriteKind,
        value: Src,
    },
    /// Output `index` of a control-flow op whose outputs are shared by every node that
    /// names the same `group`.
    Control {
        ctl: Arc<dyn ControlOp>,
        inputs: Vec<Src>,
        group: usize,
        index: usize,
    },
    /// A group of elementwise ops computed in one loop (made by the fusion pass; see
    /// [`super::passes::fuse`]).
    Fused {
        kernel: Arc<FusedKernel>,
        inputs: Vec<Src>,
    },
}

#[derive(Clone)]
pub(crate) struct Node {
    pub(crate) kind: NodeKind,
    /// The output's shape and dtype when traced (none for writes).
    pub(crate) shape: Vec<usize>,
    pub(crate) dtype: Option<DType>,
}

/// Where each output leaf comes from.
#[derive(Clone)]
pub(crate) enum OutTemplate {
    Tensor(Src),
    Leaf(Value),
    List(Vec<OutTemplate>),
    Tuple(Vec<OutTemplate>),
    Dict(Vec<(String, OutTemplate)>),
}

/// A traced function's graph.
#[derive(Clone)]
pub(crate) struct Graph {
    pub(crate) nodes: Vec<Node>,
    pub(crate) n_inputs: usize,
    /// The input shapes the trace ran with (to check replays at other shapes).
    pub(crate) example_shapes: Vec<Vec<usize>>,
    /// The input dtypes (fixed by the trace type).
    pub(crate) example_dtypes: Vec<DType>,
    pub(crate) output: OutTemplate,
    /// When each value may be released, made by the optimizer (`None`: every value
    /// lives until the run ends, as an unoptimized graph runs).
    pub(crate) plan: Option<RunPlan>,
    /// The listing and node count before [`Graph::optimize`] ran (`None` if it did not).
    pub(crate) unoptimized: Option<(String, usize)>,
}

/// Control-flow events: captured through the same event stream as ops, under this op
/// name, with the control op itself kept aside (see [`ControlRegistry`]).
pub(crate) const CONTROL_OP: &str = "__control__";

/// A control op and the ids of its outputs.
type Registered = (Arc<dyn ControlOp>, Vec<u64>);

thread_local! {
    /// Control ops recorded while capturing, by the id of their first output.
    static CONTROLS: std::cell::RefCell<HashMap<u64, Registered>> =
        std::cell::RefCell::new(HashMap::new());
}

/// Keeps control ops recorded during a capture until the graph is built.
pub(crate) struct ControlRegistry;

impl ControlRegistry {
    /// Registers `ctl` whose outputs are `outputs` (ids).
    pub(crate) fn register(ctl: Arc<dyn ControlOp>, outputs: &[Tensor]) {
        let ids: Vec<u64> = outputs.iter().map(|t| t.id()).collect();
        if let Some(first) = ids.first().copied() {
            CONTROLS.with(|c| c.borrow_mut().insert(first, (ctl, ids)));
        }
    }

    fn take(first_output: u64) -> Option<(Arc<dyn ControlOp>, Vec<u64>)> {
        CONTROLS.with(|c| c.borrow_mut().remove(&first_output))
    }
}

impl Graph {
    /// Builds the graph of `trace`, whose inputs were `inputs` (tensor leaves) and
    /// `vars` (variable leaves) and whose body returned `output`.
    pub(crate) fn build(
        trace: &Trace,
        inputs: &[Tensor],
        vars: &[Variable],
        output: &Value,
    ) -> Result<Graph> {
        let mut map: HashMap<u64, Src> = HashMap::new();
        for (k, t) in inputs.iter().enumerate() {
            map.entry(t.id()).or_insert(Src::Input(k));
        }
        let var_ref = |v: &Variable| match vars.iter().position(|a| a.id() == v.id()) {
            Some(k) => VarRef::Arg(k),
            None => VarRef::Captured(v.clone()),
        };
        let src = |map: &HashMap<u64, Src>, t: &Tensor| -> Src {
            map.get(&t.id())
                .cloned()
                .unwrap_or_else(|| Src::Const(t.clone()))
        };
        let mut nodes: Vec<Node> = Vec::new();
        let mut group = 0usize;
        // A control op's outputs come as consecutive events; remember which group
        // the current output belongs to.
        let mut pending: HashMap<u64, (usize, usize, Arc<dyn ControlOp>)> = HashMap::new();
        for ev in &trace.events {
            match ev {
                Event::Op { op, inputs, output } => {
                    let srcs: Vec<Src> = inputs.iter().map(|t| src(&map, t)).collect();
                    let kind = if op.name() == CONTROL_OP {
                        let (g, index, ctl) = match pending.remove(&output.id()) {
                            Some(p) => p,
                            None => {
                                let (ctl, ids) =
                                    ControlRegistry::take(output.id()).ok_or_else(|| {
                                        Error::Trace(
                                            "internal: a control-flow op lost its body".into(),
                                        )
                                    })?;
                                group += 1;
                                for (i, id) in ids.iter().enumerate().skip(1) {
                                    pending.insert(*id, (group, i, ctl.clone()));
                                }
                                (group, 0, ctl)
                            }
                        };
                        NodeKind::Control {
                            ctl,
                            inputs: srcs,
                            group: g,
                            index,
                        }
                    } else {
                        NodeKind::Op {
                            op: op.clone(),
                            inputs: srcs,
                        }
                    };
                    map.insert(output.id(), Src::Node(nodes.len()));
                    nodes.push(Node {
                        kind,
                        shape: output.shape().to_vec(),
                        dtype: Some(output.dtype()),
                    });
                }
                Event::ReadVariable { variable, output } => {
                    map.insert(output.id(), Src::Node(nodes.len()));
                    nodes.push(Node {
                        kind: NodeKind::Read {
                            var: var_ref(variable),
                        },
                        shape: output.shape().to_vec(),
                        dtype: Some(output.dtype()),
                    });
                }
                Event::WriteVariable {
                    variable,
                    kind,
                    value,
                } => nodes.push(Node {
                    kind: NodeKind::Write {
                        var: var_ref(variable),
                        kind: *kind,
                        value: src(&map, value),
                    },
                    shape: vec![],
                    dtype: None,
                }),
                Event::CreateVariable { .. } => {}
            }
        }
        let output = template(output, &map);
        Ok(Graph {
            nodes,
            n_inputs: inputs.len(),
            example_shapes: inputs.iter().map(|t| t.shape().to_vec()).collect(),
            example_dtypes: inputs.iter().map(|t| t.dtype()).collect(),
            output,
            plan: None,
            unoptimized: None,
        })
    }

    /// Runs the graph on new inputs.
    pub(crate) fn run(&self, inputs: &[Tensor], vars: &[Variable]) -> Result<Value> {
        self.run_with(inputs, vars, &mut None)
    }

    /// [`Graph::run`] with a handler for host ops.
    pub(crate) fn run_with(
        &self,
        inputs: &[Tensor],
        vars: &[Variable],
        host: super::control::Host<'_, '_>,
    ) -> Result<Value> {
        if inputs.len() != self.n_inputs {
            return Err(Error::Trace(format!(
                "internal: the graph takes {} tensors, got {}",
                self.n_inputs,
                inputs.len()
            )));
        }
        let dims = self.dim_map(inputs);
        let mut vals: Vec<Option<Tensor>> = vec![None; self.nodes.len()];
        let mut groups: HashMap<usize, Vec<Tensor>> = HashMap::new();
        let get = |vals: &[Option<Tensor>], s: &Src| -> Result<Tensor> {
            match s {
                Src::Input(k) => Ok(inputs[*k].clone()),
                Src::Node(i) => vals[*i]
                    .clone()
                    .ok_or_else(|| Error::Trace(format!("internal: node {i} used before it ran"))),
                Src::Const(t) => Ok(t.clone()),
            }
        };
        let var = |r: &VarRef| -> Result<Variable> {
            match r {
                VarRef::Arg(k) => vars.get(*k).cloned().ok_or_else(|| {
                    Error::Trace(format!("internal: variable argument {k} missing"))
                }),
                VarRef::Captured(v) => Ok(v.clone()),
            }
        };
        let release = |vals: &mut [Option<Tensor>], i: usize| {
            if let Some(plan) = &self.plan {
                for &j in plan.dies_at(i) {
                    vals[j] = None;
                }
            }
        };
        for (i, node) in self.nodes.iter().enumerate() {
            let out = match &node.kind {
                NodeKind::Op { op, inputs: srcs } => {
                    let ins = srcs
                        .iter()
                        .map(|s| get(&vals, s))
                        .collect::<Result<Vec<_>>>()?;
                    release(&mut vals, i);
                    let refs: Vec<&Tensor> = ins.iter().collect();
                    Some(crate::ops::eval::eval(op, &refs)?)
                }
                NodeKind::Fused {
                    kernel,
                    inputs: srcs,
                } => {
                    let ins = srcs
                        .iter()
                        .map(|s| get(&vals, s))
                        .collect::<Result<Vec<_>>>()?;
                    // Values whose last use is here are dropped first, so that an input
                    // nothing else holds is uniquely owned and may take the output.
                    release(&mut vals, i);
                    Some(kernel.run(ins)?)
                }
                NodeKind::Read { var: r } => Some(var(r)?.value()),
                NodeKind::Write {
                    var: r,
                    kind,
                    value,
                } => {
                    let v = var(r)?;
                    let x = get(&vals, value)?;
                    release(&mut vals, i);
                    match kind {
                        WriteKind::Assign => v.assign(&x)?,
                        WriteKind::Add => v.assign_add(&x)?,
                        WriteKind::Sub => v.assign_sub(&x)?,
                    }
                    None
                }
                NodeKind::Control {
                    ctl,
                    inputs: srcs,
                    group,
                    index,
                } => {
                    if !groups.contains_key(group) {
                        let ins = srcs
                            .iter()
                            .map(|s| get(&vals, s))
                            .collect::<Result<Vec<_>>>()?;
                        let outs = ctl.run(&ins, host)?;
                        groups.insert(*group, outs);
                    }
                    release(&mut vals, i);
                    let outs = &groups[group];
                    Some(outs.get(*index).cloned().ok_or_else(|| {
                        Error::Trace(format!("{} returned too few outputs", ctl.name()))
                    })?)
                }
            };
            if let Some(t) = &out {
                self.check_shape(i, node, t, &dims)?;
            }
            vals[i] = out;
        }
        fill(&self.output, &vals, inputs)
    }

    /// For a replay at shapes other than the trace's: which traced sizes became which.
    fn dim_map(&self, inputs: &[Tensor]) -> Option<HashMap<usize, usize>> {
        let mut map = HashMap::new();
        let mut differs = false;
        for (t, ex) in inputs.iter().zip(&self.example_shapes) {
            if t.shape() != ex.as_slice() {
                differs = true;
                if t.rank() == ex.len() {
                    for (a, b) in ex.iter().zip(t.shape()) {
                        if a != b {
                            map.insert(*a, *b);
                        }
                    }
                }
            }
        }
        differs.then_some(map)
    }

    /// A node's output at a relaxed shape must follow from the inputs' new sizes; a size
    /// that changed otherwise means the trace baked an input's shape into an attribute.
    fn check_shape(
        &self,
        i: usize,
        node: &Node,
        t: &Tensor,
        dims: &Option<HashMap<usize, usize>>,
    ) -> Result<()> {
        let Some(map) = dims else {
            if t.shape() != node.shape.as_slice() {
                return Err(Error::Trace(format!(
                    "internal: node {i} produced shape {} where the trace had {}",
                    crate::shape::fmt_shape(t.shape()),
                    crate::shape::fmt_shape(&node.shape)
                )));
            }
            return Ok(());
        };
        let explained = |e: usize, d: usize| {
            map.get(&e) == Some(&d)
                || map
                    .iter()
                    .any(|(&k, &n)| k > 0 && e.is_multiple_of(k) && e / k * n == d)
        };
        let what = match &node.kind {
            NodeKind::Op { op, .. } => op.to_string(),
            NodeKind::Read { .. } => "read_variable".into(),
            NodeKind::Control { ctl, .. } => ctl.name().into(),
            NodeKind::Write { .. } => "write".into(),
            NodeKind::Fused { .. } => "fused".into(),
        };
        let baked = || {
            Error::Trace(format!(
                "replaying at new input shapes, node %{i} ({what}) gave shape {} where the trace (at {}) gave {}: the trace baked an input's size into an attribute (a shape read with .shape() in Rust code). Trace with exact shapes (no input_signature with None / reduce_retracing), or use shape-independent ops (reshape with -1)",
                crate::shape::fmt_shape(t.shape()),
                self.example_shapes
                    .iter()
                    .map(|s| crate::shape::fmt_shape(s))
                    .collect::<Vec<_>>()
                    .join(", "),
                crate::shape::fmt_shape(&node.shape)
            ))
        };
        if t.rank() == node.shape.len() {
            for (&d, &e) in t.shape().iter().zip(&node.shape) {
                if d != e && !explained(e, d) {
                    return Err(baked());
                }
            }
        }
        // A size attribute holding a size that changed, on an output that kept it.
        if let NodeKind::Op { op, .. } = &node.kind {
            for key in ["shape", "size", "target_shape"] {
                if let Some(crate::autodiff::AttrValue::Ints(v)) = op.get(key)
                    && v.iter().any(|&x| x >= 0 && map.contains_key(&(x as usize)))
                    && t.shape().iter().any(|d| map.contains_key(d))
                {
                    return Err(baked());
                }
            }
        }
        Ok(())
    }

    /// A readable listing (`%3 = matmul[...](%1, %2) : float32[2, 3]`).
    pub(crate) fn listing(&self) -> String {
        let mut s = String::new();
        for (i, n) in self.nodes.iter().enumerate() {
            let args = |srcs: &[Src]| {
                srcs.iter()
                    .map(|x| match x {
                        Src::Input(k) => format!("%in{k}"),
                        Src::Node(j) => format!("%{j}"),
                        Src::Const(t) => {
                            format!("const{}", crate::shape::fmt_shape(t.shape()))
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let vname = |r: &VarRef| match r {
                VarRef::Arg(k) => format!("var_arg{k}"),
                VarRef::Captured(v) => format!("'{}'", v.name()),
            };
            let line = match &n.kind {
                NodeKind::Op { op, inputs } => format!("{op}({})", args(inputs)),
                NodeKind::Read { var } => format!("read_variable({})", vname(var)),
                NodeKind::Write { var, kind, value } => {
                    format!(
                        "{}({}, {})",
                        kind.name(),
                        vname(var),
                        args(std::slice::from_ref(value))
                    )
                }
                NodeKind::Control {
                    ctl, inputs, index, ..
                } => format!("{}.{index}({})", ctl.name(), args(inputs)),
                NodeKind::Fused { kernel, inputs } => {
                    format!("fused{{{}}}({})", kernel.describe(), args(inputs))
                }
            };
            match n.dtype {
                Some(d) => s.push_str(&format!(
                    "%{i} = {line} : {}{}\n",
                    d.name(),
                    crate::shape::fmt_shape(&n.shape)
                )),
                None => s.push_str(&format!("{line}\n")),
            }
        }
        s
    }
}

impl fmt::Debug for Graph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.listing())
    }
}

fn template(v: &Value, map: &HashMap<u64, Src>) -> OutTemplate {
    match v {
        Value::Tensor(t) => OutTemplate::Tensor(
            map.get(&t.id())
                .cloned()
                .unwrap_or_else(|| Src::Const(t.clone())),
        ),
        Value::List(items) => OutTemplate::List(items.iter().map(|x| template(x, map)).collect()),
        Value::Tuple(items) => OutTemplate::Tuple(items.iter().map(|x| template(x, map)).collect()),
        Value::Dict(d) => OutTemplate::Dict(
            sorted(d)
                .into_iter()
                .map(|(k, x)| (k.clone(), template(x, map)))
                .collect(),
        ),
        // TF returns Python numbers as tensors (int32, float32, bool).
        Value::Int(i) => OutTemplate::Tensor(Src::Const(Tensor::scalar(*i as i32))),
        Value::Float(x) => OutTemplate::Tensor(Src::Const(Tensor::scalar(*x as f32))),
        Value::Bool(b) => OutTemplate::Tensor(Src::Const(Tensor::scalar(*b))),
        Value::Array(t) => OutTemplate::Tensor(
            map.get(&t.id())
                .cloned()
                .unwrap_or_else(|| Src::Const(t.clone())),
        ),
        other => OutTemplate::Leaf(other.clone()),
    }
}

fn fill(t: &OutTemplate, vals: &[Option<Tensor>], inputs: &[Tensor]) -> Result<Value> {
    Ok(match t {
        OutTemplate::Tensor(s) => Value::Tensor(match s {
            Src::Input(k) => inputs[*k].clone(),
            Src::Node(i) => vals[*i]
                .clone()
                .ok_or_else(|| Error::Trace(format!("internal: output node {i} did not run")))?,
            Src::Const(c) => c.clone(),
        }),
        OutTemplate::Leaf(v) => v.clone(),
        OutTemplate::List(items) => Value::List(
            items
                .iter()
                .map(|x| fill(x, vals, inputs))
                .collect::<Result<_>>()?,
        ),
        OutTemplate::Tuple(items) => Value::Tuple(
            items
                .iter()
                .map(|x| fill(x, vals, inputs))
                .collect::<Result<_>>()?,
        ),
        OutTemplate::Dict(d) => Value::Dict(
            d.iter()
                .map(|(k, x)| Ok((k.clone(), fill(x, vals, inputs)?)))
                .collect::<Result<_>>()?,
        ),
    })
}
