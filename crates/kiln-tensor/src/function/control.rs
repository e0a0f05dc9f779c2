//! Graph control flow: [`cond`] and [`while_loop`] (`tf.cond`, `tf.while_loop`).
//!
//! Rust has no AutoGraph, so a branch on a tensor inside a traced function is written with
//! these. Eagerly they run one branch / the loop directly. While tracing, both branches
//! (and the loop's condition and body) are traced into sub-graphs, and one graph node picks
//! or loops when the graph runs.

use std::collections::HashSet;
use std::sync::Arc;

use super::graph::{ControlOp, ControlRegistry, Graph, CONTROL_OP};
use super::value::Value;
use crate::autodiff::capture::{self, Capture, Event, Trace};
use crate::autodiff::Op;
use crate::{DType, Error, Result, Tensor};

/// A traced sub-graph and the outer tensors it reads (its trailing inputs).
struct SubGraph {
    graph: Graph,
    externals: Vec<Tensor>,
}

/// Outer tensors a sub-trace reads: referenced, but made neither inside it nor given as
/// its inputs.
fn externals(trace: &Trace, inputs: &[Tensor], output: &Value) -> Vec<Tensor> {
    let mut inside: HashSet<u64> = inputs.iter().map(|t| t.id()).collect();
    inside.extend(trace.constants.iter().copied());
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut take = |t: &Tensor, inside: &HashSet<u64>| {
        if !inside.contains(&t.id()) && seen.insert(t.id()) {
            out.push(t.clone());
        }
    };
    for ev in &trace.events {
        match ev {
            Event::Op {
                inputs: ins,
                output,
                ..
            } => {
                for t in ins {
                    take(t, &inside);
                }
                inside.insert(output.id());
            }
            Event::ReadVariable { output, .. } => {
                inside.insert(output.id());
            }
            Event::WriteVariable { value, .. } => take(value, &inside),
            Event::CreateVariable { .. } => {}
        }
    }
    for t in output.tensors() {
        take(t, &inside);
    }
    out
}

/// Traces `f(inputs)` into a sub-graph.
fn trace_sub<R>(
    what: &str,
    inputs: &[Tensor],
    f: impl FnOnce(&[Tensor]) -> Result<R>,
    to_value: impl Fn(&R) -> Value,
) -> Result<(SubGraph, R)> {
    let cap = Capture::start();
    for t in inputs {
        cap.mark_symbolic(t);
    }
    let out = f(inputs);
    let trace = cap.finish();
    let out = out?;
    if let Some(e) = trace.error {
        return Err(e);
    }
    if trace
        .events
        .iter()
        .any(|e| matches!(e, Event::CreateVariable { .. }))
    {
        return Err(Error::Trace(format!(
            "{what} created a variable; create variables outside cond/while_loop bodies"
        )));
    }
    let v = to_value(&out);
    let ext = externals(&trace, inputs, &v);
    let mut all: Vec<Tensor> = inputs.to_vec();
    all.extend(ext.iter().cloned());
    let graph = Graph::build(&trace, &all, &[], &v)?;
    Ok((
        SubGraph {
            graph,
            externals: ext,
        },
        out,
    ))
}

/// Emits a control op's outputs into the enclosing capture: one event per output, all
/// with the same inputs, so the outer graph gets one node group.
fn emit(ctl: Arc<dyn ControlOp>, inputs: &[Tensor], shapes_of: &[Tensor]) -> Vec<Tensor> {
    let outs: Vec<Tensor> = shapes_of.iter().map(|t| t.alias()).collect();
    ControlRegistry::register(ctl, &outs);
    let refs: Vec<&Tensor> = inputs.iter().collect();
    let op = Op::new(CONTROL_OP);
    for o in &outs {
        capture::on_op(&op, &refs, o);
    }
    outs
}

/// Reads a scalar predicate for control flow (bypasses the trace's read check: the
/// control op is what makes the read legal).
fn truth(pred: &Tensor, what: &str) -> Result<bool> {
    if pred.numel() != 1 {
        return Err(Error::Trace(format!(
            "{what}: the predicate must have one element, got shape {}",
            crate::shape::fmt_shape(pred.shape())
        )));
    }
    use crate::Element;
    crate::with_dtype!(pred.dtype(), T => Ok(Element::to_f64(pred.data::<T>()[0]) != 0.0),
        string => Err(Error::Trace(format!("{what}: the predicate must be bool or numeric, got a string tensor"))))
}

/// The tensor leaves of a branch result, checking the other branch has the same
/// structure.
fn same_structure(a: &Value, b: &Value, path: &str) -> Result<()> {
    let mismatch = |why: String| {
        Err(Error::Trace(format!(
            "cond: true_fn and false_fn must return the same structure; {why} at {path}"
        )))
    };
    match (a, b) {
        (Value::Tensor(x), Value::Tensor(y)) => {
            if x.dtype() != y.dtype() {
                return mismatch(format!(
                    "dtype {} vs {}",
                    x.dtype().name(),
                    y.dtype().name()
                ));
            }
            if x.shape() != y.shape() {
                return mismatch(format!(
                    "shape {} vs {}",
                    crate::shape::fmt_shape(x.shape()),
                    crate::shape::fmt_shape(y.shape())
                ));
            }
            Ok(())
        }
        (Value::List(x), Value::List(y)) | (Value::Tuple(x), Value::Tuple(y)) => {
            if x.len() != y.len() {
                return mismatch(format!("{} items vs {}", x.len(), y.len()));
            }
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                same_structure(p, q, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Value::Dict(x), Value::Dict(y)) => {
            let kx: Vec<&String> = super::value::sorted(x).into_iter().map(|e| &e.0).collect();
            let ky: Vec<&String> = super::value::sorted(y).into_iter().map(|e| &e.0).collect();
            if kx != ky {
                return mismatch(format!("keys {kx:?} vs {ky:?}"));
            }
            for k in kx {
                same_structure(
                    a.get(k).unwrap_or(&Value::None),
                    b.get(k).unwrap_or(&Value::None),
                    &format!("{path}[{k:?}]"),
                )?;
            }
            Ok(())
        }
        (x, y) if super::TraceType::of(x) == super::TraceType::of(y) => Ok(()),
        (x, y) => mismatch(format!("{} vs {}", x.describe(), y.describe())),
    }
}

/// Rebuilds `template`'s structure with its tensor leaves taken from `tensors` in order.
fn rebuild(template: &Value, tensors: &mut std::vec::IntoIter<Tensor>) -> Value {
    match template {
        Value::Tensor(_) => Value::Tensor(tensors.next().unwrap_or_else(|| Tensor::scalar(0.0f32))),
        Value::List(x) => Value::List(x.iter().map(|v| rebuild(v, tensors)).collect()),
        Value::Tuple(x) => Value::Tuple(x.iter().map(|v| rebuild(v, tensors)).collect()),
        Value::Dict(d) => Value::Dict(
            super::value::sorted(d)
                .into_iter()
                .map(|(k, v)| (k.clone(), rebuild(v, tensors)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn tensor_leaves(v: &Value) -> Vec<Tensor> {
    v.tensors().into_iter().cloned().collect()
}

struct CondOp {
    then_g: SubGraph,
    else_g: SubGraph,
}

impl ControlOp for CondOp {
    fn name(&self) -> &'static str {
        "cond"
    }

    fn run(&self, inputs: &[Tensor], host: Host<'_, '_>) -> Result<Vec<Tensor>> {
        let nt = self.then_g.externals.len();
        let pred = inputs
            .first()
            .ok_or_else(|| Error::Trace("cond lost its predicate".into()))?;
        let (g, ins) = if truth(pred, "cond")? {
            (&self.then_g, &inputs[1..1 + nt])
        } else {
            (&self.else_g, &inputs[1 + nt..])
        };
        Ok(tensor_leaves(&g.graph.run_with(ins, &[], host)?))
    }
}

/// `tf.cond`: `true_fn()` if `pred` (a one-element tensor) is true, else `false_fn()`.
///
/// Eagerly it runs one branch. Inside a traced function both branches are traced and must
/// return the same structure (same dtypes and shapes); the graph runs the one `pred`
/// selects each time it runs.
///
/// ```
/// use kiln_tensor::function::{cond, Function, Value};
/// use kiln_tensor::Tensor;
/// let f = Function::new("f", |a| {
///     let x = a.tensor(0)?;
///     let pred = x.sum_all()?.greater(&Tensor::scalar(0.0f32))?;
///     cond(&pred, || Ok(Value::from(x.mul_scalar(2.0)?)), || Ok(Value::from(x.neg()?)))
/// });
/// let pos = Tensor::from_vec(vec![1.0f32, 2.0], &[2])?;
/// let neg = Tensor::from_vec(vec![-1.0f32, -2.0], &[2])?;
/// assert_eq!(f.call(&[pos.into()])?.as_tensor().unwrap().to_vec::<f32>()?, vec![2.0, 4.0]);
/// assert_eq!(f.call(&[neg.into()])?.as_tensor().unwrap().to_vec::<f32>()?, vec![1.0, 2.0]);
/// assert_eq!(f.experimental_get_tracing_count(), 1);
/// # Ok::<(), kiln_tensor::Error>(())
/// ```
pub fn cond<T, F>(pred: &Tensor, true_fn: T, false_fn: F) -> Result<Value>
where
    T: FnOnce() -> Result<Value>,
    F: FnOnce() -> Result<Value>,
{
    if !capture::active() {
        return if truth(pred, "cond")? {
            true_fn()
        } else {
            false_fn()
        };
    }
    if pred.dtype() != DType::Bool && pred.numel() != 1 {
        return Err(Error::Trace("cond: the predicate must be a scalar".into()));
    }
    let (then_g, a) = trace_sub("cond's true_fn", &[], |_| true_fn(), Value::clone)?;
    let (else_g, b) = trace_sub("cond's false_fn", &[], |_| false_fn(), Value::clone)?;
    same_structure(&a, &b, "the result")?;
    let mut inputs = vec![pred.clone()];
    inputs.extend(then_g.externals.iter().cloned());
    inputs.extend(else_g.externals.iter().cloned());
    let chosen = if truth(pred, "cond")? { &a } else { &b };
    let leaves = tensor_leaves(chosen);
    let ctl: Arc<dyn ControlOp> = Arc::new(CondOp { then_g, else_g });
    let outs = emit(ctl, &inputs, &leaves);
    Ok(rebuild(chosen, &mut outs.into_iter()))
}

struct WhileOp {
    n: usize,
    cond_g: SubGraph,
    body_g: SubGraph,
    maximum_iterations: Option<usize>,
}

impl ControlOp for WhileOp {
    fn name(&self) -> &'static str {
        "while_loop"
    }

    fn run(&self, inputs: &[Tensor], host: Host<'_, '_>) -> Result<Vec<Tensor>> {
        let nc = self.cond_g.externals.len();
        let mut vars: Vec<Tensor> = inputs[..self.n].to_vec();
        let cext = &inputs[self.n..self.n + nc];
        let bext = &inputs[self.n + nc..];
        let mut i = 0usize;
        loop {
            if self.maximum_iterations.is_some_and(|m| i >= m) {
                break;
            }
            let mut cin = vars.clone();
            cin.extend(cext.iter().cloned());
            let c = self.cond_g.graph.run_with(&cin, &[], host)?;
            let c = c
                .as_tensor()
                .ok_or_else(|| Error::Trace("while_loop: cond must return a tensor".into()))?
                .clone();
            if !truth(&c, "while_loop")? {
                break;
            }
            let mut bin = vars.clone();
            bin.extend(bext.iter().cloned());
            vars = tensor_leaves(&self.body_g.graph.run_with(&bin, &[], host)?);
            i += 1;
        }
        Ok(vars)
    }
}

/// `tf.while_loop`: `while cond(vars) { vars = body(vars) }`, at most
/// `maximum_iterations` times when given. The body must return as many tensors as it gets,
/// with the same dtypes and shapes.
///
/// ```
/// use kiln_tensor::function::{while_loop, Function, Value};
/// use kiln_tensor::Tensor;
/// // Doubles x n times.
/// let f = Function::new("f", |a| {
///     let (x, n) = (a.tensor(0)?, a.tensor(1)?);
///     let out = while_loop(
///         |v| v[1].greater(&Tensor::scalar(0i32)),
///         |v| Ok(vec![v[0].mul_scalar(2.0)?, v[1].sub(&Tensor::scalar(1i32))?]),
///         &[x, n],
///         None,
///     )?;
///     Ok(Value::from(out[0].clone()))
/// });
/// let x = Tensor::from_vec(vec![1.0f32, 3.0], &[2])?;
/// let y = f.call(&[x.clone().into(), Tensor::scalar(3i32).into()])?;
/// assert_eq!(y.as_tensor().unwrap().to_vec::<f32>()?, vec![8.0, 24.0]);
/// let y = f.call(&[x.into(), Tensor::scalar(1i32).into()])?;
/// assert_eq!(y.as_tensor().unwrap().to_vec::<f32>()?, vec![2.0, 6.0]);
/// assert_eq!(f.experimental_get_tracing_count(), 1);
/// # Ok::<(), kiln_tensor::Error>(())
/// ```
pub fn while_loop<C, B>(
    cond: C,
    body: B,
    loop_vars: &[Tensor],
    maximum_iterations: Option<usize>,
) -> Result<Vec<Tensor>>
where
    C: Fn(&[Tensor]) -> Result<Tensor>,
    B: Fn(&[Tensor]) -> Result<Vec<Tensor>>,
{
    let check = |out: &[Tensor]| -> Result<()> {
        if out.len() != loop_vars.len() {
            return Err(Error::Trace(format!(
                "while_loop: body returned {} tensors for {} loop variables",
                out.len(),
                loop_vars.len()
            )));
        }
        for (i, (o, v)) in out.iter().zip(loop_vars).enumerate() {
            if o.dtype() != v.dtype() || o.shape() != v.shape() {
                return Err(Error::Trace(format!(
                    "while_loop: loop variable {i} enters as {}{} but the body returns {}{}; a loop variable keeps its dtype and shape",
                    v.dtype().name(),
                    crate::shape::fmt_shape(v.shape()),
                    o.dtype().name(),
                    crate::shape::fmt_shape(o.shape())
                )));
            }
        }
        Ok(())
    };
    if !capture::active() {
        let mut vars = loop_vars.to_vec();
        let mut i = 0usize;
        while maximum_iterations.is_none_or(|m| i < m) && truth(&cond(&vars)?, "while_loop")? {
            let next = body(&vars)?;
            check(&next)?;
            vars = next;
            i += 1;
        }
        return Ok(vars);
    }
    let placeholders: Vec<Tensor> = loop_vars.iter().map(|t| t.alias()).collect();
    let (cond_g, c) = trace_sub(
        "while_loop's cond",
        &placeholders,
        |v| cond(v),
        |t| Value::Tensor(t.clone()),
    )?;
    if c.numel() != 1 {
        return Err(Error::Trace(format!(
            "while_loop: cond must return a one-element tensor, got shape {}",
            crate::shape::fmt_shape(c.shape())
        )));
    }
    let placeholders: Vec<Tensor> = loop_vars.iter().map(|t| t.alias()).collect();
    let (body_g, b) = trace_sub(
        "while_loop's body",
        &placeholders,
        |v| body(v),
        |v| Value::List(v.iter().cloned().map(Value::Tensor).collect()),
    )?;
    check(&b)?;
    let mut inputs = loop_vars.to_vec();
    inputs.extend(cond_g.externals.iter().cloned());
    inputs.extend(body_g.externals.iter().cloned());
    let ctl: Arc<dyn ControlOp> = Arc::new(WhileOp {
        n: loop_vars.len(),
        cond_g,
        body_g,
        maximum_iterations,
    });
    Ok(emit(ctl, &inputs, loop_vars))
}

/// One part of a [`print`] line: literal text or a tensor.
#[derive(Clone, Debug)]
pub enum PrintArg {
    /// Text printed as is.
    Str(String),
    /// A tensor, printed as `tf.print` does (`[1 2]`, nested brackets by rank).
    Tensor(Tensor),
}

impl From<&str> for PrintArg {
    fn from(s: &str) -> Self {
        PrintArg::Str(s.into())
    }
}
impl From<&Tensor> for PrintArg {
    fn from(t: &Tensor) -> Self {
        PrintArg::Tensor(t.clone())
    }
}

/// Formats a tensor as `tf.print` does: elements separated by spaces, one bracket level
/// per dimension, rows of a matrix on their own lines.
pub fn format_tensor(t: &Tensor) -> String {
    let elems: Vec<String> = match t.dtype() {
        DType::F32 | DType::F16 | DType::BF16 => t
            .to_f64_vec_unchecked()
            .iter()
            .map(|&x| format!("{}", x as f32))
            .collect(),
        DType::Bool => t
            .to_f64_vec_unchecked()
            .iter()
            .map(|&x| if x != 0.0 { "1".into() } else { "0".into() })
            .collect(),
        // tf.print shows string elements bare.
        DType::String => t
            .stored::<std::sync::Arc<str>>()
            .iter()
            .map(|s| s.to_string())
            .collect(),
        _ => t
            .to_f64_vec_unchecked()
            .iter()
            .map(|&x| format!("{x}"))
            .collect(),
    };
    fn rec(shape: &[usize], elems: &[String], depth: usize) -> String {
        match shape.split_first() {
            None => elems.first().cloned().unwrap_or_default(),
            Some((&n, rest)) => {
                let step = rest.iter().product::<usize>();
                let parts: Vec<String> = (0..n)
                    .map(|i| rec(rest, &elems[i * step..(i + 1) * step], depth + 1))
                    .collect();
                let sep = if rest.is_empty() {
                    " ".to_string()
                } else {
                    format!("{}{}", "\n".repeat(rest.len()), " ".repeat(depth + 1))
                };
                format!("[{}]", parts.join(&sep))
            }
        }
    }
    rec(t.shape(), &elems, 0)
}

fn line(parts: &[PrintArg], tensors: &[Tensor]) -> String {
    let mut it = tensors.iter();
    parts
        .iter()
        .map(|p| match p {
            PrintArg::Str(s) => s.clone(),
            PrintArg::Tensor(_) => it.next().map(format_tensor).unwrap_or_default(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

type Sink = Arc<dyn Fn(&str) + Send + Sync>;

struct PrintOp {
    parts: Vec<PrintArg>,
    sink: Sink,
}

impl ControlOp for PrintOp {
    fn name(&self) -> &'static str {
        "print"
    }

    fn run(&self, inputs: &[Tensor], _host: Host<'_, '_>) -> Result<Vec<Tensor>> {
        (self.sink)(&line(&self.parts, inputs));
        Ok(vec![Tensor::scalar(true)])
    }
}

/// `tf.print`: writes the parts, space separated, to standard error when it runs. Inside a
/// traced function it is a graph op, so it prints on every call (a `println!` prints only
/// while tracing).
///
/// ```
/// use kiln_tensor::function::{print, PrintArg};
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2])?;
/// print(&["x =".into(), PrintArg::from(&x)])?; // x = [1 2]
/// # Ok::<(), kiln_tensor::Error>(())
/// ```
pub fn print(parts: &[PrintArg]) -> Result<()> {
    print_to(Arc::new(|s: &str| eprintln!("{s}")), parts)
}

/// [`print`] to a sink of your own (a log, a test's buffer).
pub fn print_to(sink: Arc<dyn Fn(&str) + Send + Sync>, parts: &[PrintArg]) -> Result<()> {
    let tensors: Vec<Tensor> = parts
        .iter()
        .filter_map(|p| match p {
            PrintArg::Tensor(t) => Some(t.clone()),
            PrintArg::Str(_) => None,
        })
        .collect();
    if !capture::active() {
        sink(&line(parts, &tensors));
        return Ok(());
    }
    let ctl: Arc<dyn ControlOp> = Arc::new(PrintOp {
        parts: parts.to_vec(),
        sink,
    });
    emit(ctl, &tensors, &[Tensor::scalar(true)]);
    Ok(())
}

/// Handles a [`host_op`] node when a graph runs: gets the op's name, its tag and its
/// input tensors, returns its outputs.
pub type HostHandler<'a> = dyn FnMut(&str, &[usize], &[Tensor]) -> Result<Vec<Tensor>> + 'a;

/// The optional host handler threaded through a graph run.
pub(crate) type Host<'a, 'b> = &'a mut Option<&'b mut HostHandler<'b>>;

struct HostOp {
    name: &'static str,
    tag: Vec<usize>,
    n_out: usize,
}

impl ControlOp for HostOp {
    fn name(&self) -> &'static str {
        self.name
    }

    fn run(&self, inputs: &[Tensor], host: Host<'_, '_>) -> Result<Vec<Tensor>> {
        let handler = host.as_mut().ok_or_else(|| {
            Error::Trace(format!(
                "the graph has a host op '{}', which only runs through ConcreteFunction::call_with",
                self.name
            ))
        })?;
        let mut outs = handler(self.name, &self.tag, inputs)?;
        outs.push(Tensor::scalar(true));
        if outs.len() != self.n_out + 1 {
            return Err(Error::Trace(format!(
                "host op '{}' returned {} outputs, expected {}",
                self.name,
                outs.len() - 1,
                self.n_out
            )));
        }
        Ok(outs)
    }
}

/// A graph node whose work the caller does when the graph runs (TF's resource-apply
/// kernels play this part for optimizers): inside a trace it records `name` with `tag`
/// and `inputs`, and returns tensors shaped like `outputs_like` that stand for its
/// results; [`crate::function::ConcreteFunction::call_with`] runs the graph with a
/// handler that does the work. Outside a trace it is an error: do the work directly.
pub fn host_op(
    name: &'static str,
    tag: &[usize],
    inputs: &[Tensor],
    outputs_like: &[Tensor],
) -> Result<Vec<Tensor>> {
    if !capture::active() {
        return Err(Error::Trace(format!(
            "host op '{name}' called outside a trace"
        )));
    }
    let ctl: Arc<dyn ControlOp> = Arc::new(HostOp {
        name,
        tag: tag.to_vec(),
        n_out: outputs_like.len(),
    });
    let mut like = outputs_like.to_vec();
    like.push(Tensor::scalar(true));
    let mut outs = emit(ctl, inputs, &like);
    outs.pop();
    Ok(outs)
}
