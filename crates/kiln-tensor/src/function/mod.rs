//! Traced functions, as `tf.function`: a Rust closure over tensors and variables is
//! traced once per input signature into a graph of named ops, and later calls with a
//! matching signature run the graph without running the closure.
//!
//! What TF 2.21 does, and so what this does (the golden cases are in
//! `tools/golden/TF_FUNCTION_CASES.md`):
//!
//! - **Cache key.** Tensors key by shape and dtype (values are not in the key), variables
//!   by shape and dtype as another kind, plain values ([`Value::Int`], [`Value::Float`],
//!   [`Value::Bool`], [`Value::Str`], [`Value::None`]) by value with Python equality
//!   (`1 == 1.0 == true`), lists/tuples/dicts by structure, objects by identity.
//! - **Side effects run at trace time only.** A `println!` in the closure prints once per
//!   trace; values read from the enclosing scope (a Rust number, a tensor) are frozen into
//!   the trace; captured [`Variable`]s are read and written when the graph runs.
//! - **Tracing is concrete.** The closure runs on the call's real tensors, but a tensor
//!   that depends on the inputs cannot be read from Rust (`to_vec`, `item` fail), since a
//!   Rust `if` on it would be frozen: use [`cond`] and [`while_loop`]. Variable writes
//!   made while tracing are undone; the graph then runs once for the call.
//! - **Variables** may only be created on the first trace; that trace then runs twice
//!   (the count is 2), as TF lifts the variables out and traces again.
//! - **Relaxed signatures**: [`FunctionOptions::input_signature`] (with `None`
//!   dimensions) and [`FunctionOptions::reduce_retracing`] follow TF's subtype and
//!   relaxation rules ([`TraceType`]).
//! - [`run_functions_eagerly`] turns tracing off everywhere (TF's debugging switch);
//!   [`executing_eagerly`] is false inside a trace.
//!
//! ```
//! use kiln_tensor::function::{Function, Value};
//! use kiln_tensor::{Tensor, Variable};
//! let v = Variable::new(Tensor::scalar(1.0f32), "v", true);
//! let captured = v.clone();
//! let f = Function::new("f", move |args| {
//!     let x = args.tensor(0)?;
//!     captured.assign_add(&x.sum_all()?)?;
//!     Ok(Value::from(x.mul(&captured.value())?))
//! });
//! let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2])?;
//! let y = f.call(&[x.clone().into()])?;
//! assert_eq!(y.as_tensor().unwrap().to_vec::<f32>()?, vec![4.0, 8.0]);
//! assert_eq!(v.value().item::<f32>()?, 4.0); // assigned once, not at trace time too
//! f.call(&[x.into()])?;
//! assert_eq!(f.experimental_get_tracing_count(), 1);
//! assert_eq!(v.value().item::<f32>()?, 7.0);
//! # Ok::<(), kiln_tensor::Error>(())
//! ```

mod control;
mod graph;
mod passes;
mod trace_type;
mod value;

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub use control::{
    cond, format_tensor, host_op, print, print_to, while_loop, HostHandler, PrintArg,
};
pub use trace_type::{TensorSpec, TraceType};
pub use value::{ObjectId, Value};

use crate::autodiff::capture::{Capture, Event};
use crate::{DType, Error, Result, Tensor, Variable};
use graph::Graph;

static RUN_EAGERLY: AtomicBool = AtomicBool::new(false);

/// Runs every [`Function`] eagerly (no tracing; the closure runs on every call), as
/// `tf.config.run_functions_eagerly`. For debugging: prints run every time and tensors can
/// be read.
///
/// ```
/// use kiln_tensor::function::{functions_run_eagerly, run_functions_eagerly};
/// run_functions_eagerly(true);
/// assert!(functions_run_eagerly());
/// run_functions_eagerly(false);
/// ```
pub fn run_functions_eagerly(on: bool) {
    RUN_EAGERLY.store(on, Ordering::SeqCst);
}

/// Whether [`run_functions_eagerly`] is on.
pub fn functions_run_eagerly() -> bool {
    RUN_EAGERLY.load(Ordering::SeqCst)
}

/// False while a [`Function`] is being traced on this thread, true otherwise (as
/// `tf.executing_eagerly()`).
///
/// ```
/// assert!(kiln_tensor::function::executing_eagerly());
/// ```
pub fn executing_eagerly() -> bool {
    !crate::autodiff::capture::capturing()
}

/// The parameters of a traced function, for binding keyword arguments (Python's
/// `def f(x, y, scale=1.0)`).
#[derive(Clone, Debug, Default)]
pub struct Params {
    names: Vec<String>,
    defaults: Vec<Option<Value>>,
}

impl Params {
    /// Required parameters, in order.
    pub fn new(names: &[&str]) -> Params {
        Params {
            names: names.iter().map(|s| s.to_string()).collect(),
            defaults: vec![None; names.len()],
        }
    }

    /// Adds an optional parameter with a default.
    pub fn default(mut self, name: &str, value: impl Into<Value>) -> Params {
        self.names.push(name.to_string());
        self.defaults.push(Some(value.into()));
        self
    }

    fn bind(&self, args: &[Value], kwargs: &[(&str, Value)]) -> Result<Vec<Value>> {
        if args.len() > self.names.len() {
            return Err(bind_error("too many positional arguments"));
        }
        let mut out: Vec<Option<Value>> = vec![None; self.names.len()];
        for (i, a) in args.iter().enumerate() {
            out[i] = Some(a.clone());
        }
        for (k, v) in kwargs {
            let i =
                self.names.iter().position(|n| n == k).ok_or_else(|| {
                    bind_error(&format!("got an unexpected keyword argument '{k}'"))
                })?;
            if out[i].is_some() {
                return Err(bind_error(&format!("multiple values for argument '{k}'")));
            }
            out[i] = Some(v.clone());
        }
        out.into_iter()
            .enumerate()
            .map(|(i, v)| {
                v.or_else(|| self.defaults[i].clone()).ok_or_else(|| {
                    bind_error(&format!("missing a required argument: '{}'", self.names[i]))
                })
            })
            .collect()
    }
}

fn bind_error(why: &str) -> Error {
    Error::Trace(format!("binding inputs to the function failed: {why}"))
}

/// How a [`Function`] traces.
#[derive(Clone, Debug)]
pub struct FunctionOptions {
    /// One spec per positional parameter: the function traces once, on its first call,
    /// for these (possibly relaxed) types, and rejects calls that do not fit.
    pub input_signature: Option<Vec<TensorSpec>>,
    /// On a cache miss, relax the new trace's type against earlier traces (differing
    /// dimensions become `None`, differing ranks an unknown rank).
    pub reduce_retracing: bool,
    /// Parameter names and defaults, for keyword arguments.
    pub params: Option<Params>,
    /// Optimize each traced graph (dead code, common subexpressions, constants,
    /// algebraic identities, elementwise fusion, buffer reuse; see
    /// [`ConcreteFunction::listing`]). On by default; results are bit-identical either way.
    pub optimize: bool,
}

impl Default for FunctionOptions {
    fn default() -> FunctionOptions {
        FunctionOptions {
            input_signature: None,
            reduce_retracing: false,
            params: None,
            optimize: true,
        }
    }
}

/// The arguments a traced closure receives (bound to its parameters).
pub struct Args {
    values: Vec<Value>,
    /// The types being traced (relaxed ones have `None` dimensions).
    types: Vec<TraceType>,
}

impl Args {
    fn new(values: Vec<Value>, traced: Option<&TraceType>) -> Args {
        let types = match traced {
            Some(TraceType::Tuple(t)) => t.clone(),
            _ => values.iter().map(TraceType::of).collect(),
        };
        Args { values, types }
    }

    /// The static shape argument `i` is traced for (TF's `x.shape` inside a
    /// `tf.function`): `None` dimensions are the ones a relaxed trace leaves open, and
    /// `None` as a whole is an unknown rank. Code that must work for every call a relaxed
    /// trace accepts reads shapes here, not from the example tensor.
    pub fn static_shape(&self, i: usize) -> Result<Option<Vec<Option<usize>>>> {
        match self.types.get(i) {
            Some(TraceType::Tensor(s)) | Some(TraceType::Variable(s)) => Ok(s.shape.clone()),
            Some(other) => Err(Error::Trace(format!(
                "argument {i} is traced as {other}, not a tensor"
            ))),
            None => Err(Error::Trace(format!(
                "argument {i} requested but the function got {}",
                self.values.len()
            ))),
        }
    }

    /// The trace type of argument `i`.
    pub fn trace_type(&self, i: usize) -> Option<&TraceType> {
        self.types.get(i)
    }

    /// Every argument, in parameter order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// Argument `i`.
    pub fn get(&self, i: usize) -> Result<&Value> {
        self.values.get(i).ok_or_else(|| {
            Error::Trace(format!(
                "argument {i} requested but the function got {}",
                self.values.len()
            ))
        })
    }

    /// Argument `i` as a tensor (a variable argument is read).
    pub fn tensor(&self, i: usize) -> Result<Tensor> {
        match self.get(i)? {
            Value::Tensor(t) => Ok(t.clone()),
            Value::Variable(v) => Ok(v.value()),
            other => Err(Error::Trace(format!(
                "argument {i} is {}, not a tensor",
                other.describe()
            ))),
        }
    }

    /// Argument `i` as a plain number.
    pub fn f64(&self, i: usize) -> Result<f64> {
        let v = self.get(i)?;
        v.as_f64()
            .ok_or_else(|| Error::Trace(format!("argument {i} is {}, not a number", v.describe())))
    }

    /// Argument `i` as a plain integer.
    pub fn i64(&self, i: usize) -> Result<i64> {
        let v = self.get(i)?;
        v.as_i64().ok_or_else(|| {
            Error::Trace(format!("argument {i} is {}, not an integer", v.describe()))
        })
    }

    /// Argument `i` as a plain bool.
    pub fn bool(&self, i: usize) -> Result<bool> {
        let v = self.get(i)?;
        v.as_bool()
            .ok_or_else(|| Error::Trace(format!("argument {i} is {}, not a bool", v.describe())))
    }
}

/// One trace of a [`Function`]: a graph for one input type (TF's `ConcreteFunction`).
pub struct ConcreteFunction {
    ty: TraceType,
    graph: Graph,
}

impl ConcreteFunction {
    /// The input type this trace accepts.
    pub fn trace_type(&self) -> &TraceType {
        &self.ty
    }

    /// The traced graph, one node per line (after optimization, unless
    /// [`FunctionOptions::optimize`] is off).
    ///
    /// ```
    /// use kiln_tensor::function::{Function, Value};
    /// use kiln_tensor::Tensor;
    /// let f = Function::new("f", |a| Ok(Value::from(a.tensor(0)?.exp()?)));
    /// let cf = f.get_concrete_function(&[Tensor::scalar(1.0f32).into()])?;
    /// assert!(cf.listing().contains("exp"));
    /// # Ok::<(), kiln_tensor::Error>(())
    /// ```
    pub fn listing(&self) -> String {
        self.graph.listing()
    }

    /// Number of nodes in the graph.
    pub fn num_nodes(&self) -> usize {
        self.graph.nodes.len()
    }

    /// The graph as traced, before optimization (the same as [`Self::listing`] when
    /// [`FunctionOptions::optimize`] is off).
    ///
    /// ```
    /// use kiln_tensor::function::{Function, Value};
    /// use kiln_tensor::Tensor;
    /// let f = Function::new("f", |a| Ok(Value::from(a.tensor(0)?.exp()?.neg()?)));
    /// let cf = f.get_concrete_function(&[Tensor::zeros(&[4], kiln_tensor::DType::F32).into()])?;
    /// assert_eq!(cf.listing_unoptimized().lines().count(), 2); // exp, neg
    /// assert!(cf.listing().contains("fused")); // one loop computes both
    /// # Ok::<(), kiln_tensor::Error>(())
    /// ```
    pub fn listing_unoptimized(&self) -> String {
        match &self.graph.unoptimized {
            Some((listing, _)) => listing.clone(),
            None => self.graph.listing(),
        }
    }

    /// Runs the graph on `args` (positional, already bound). As in TF 2.21, a concrete
    /// function checks the structure, kinds and dtypes of its inputs but not their shapes;
    /// a graph that baked an input's size into an attribute fails at run time instead.
    pub fn call(&self, args: &[Value]) -> Result<Value> {
        let args = self.checked(args)?;
        self.run(&args)
    }

    /// The call's arguments as one tuple, after checking they fit the trace (structure,
    /// kinds and dtypes).
    fn checked(&self, args: &[Value]) -> Result<Value> {
        let args = arrays_to_tensors(&Value::Tuple(args.to_vec()));
        let ty = TraceType::of(&args);
        if !TraceType::accepts_ignoring_shapes(&self.ty, &ty) {
            return Err(Error::Trace(format!(
                "this concrete function was traced for {} and cannot run on {ty}",
                self.ty
            )));
        }
        Ok(args)
    }

    /// [`ConcreteFunction::call`] with `handler` doing the work of the graph's
    /// [`host_op`] nodes (called with each node's name, tag and inputs).
    pub fn call_with(&self, args: &[Value], handler: &mut HostHandler<'_>) -> Result<Value> {
        let args = self.checked(args)?;
        let (tensors, vars) = leaves(&args);
        self.graph.run_with(&tensors, &vars, &mut Some(handler))
    }

    fn run(&self, args: &Value) -> Result<Value> {
        let (tensors, vars) = leaves(args);
        self.graph.run(&tensors, &vars)
    }
}

/// The tensor and variable leaves of a value, depth first.
fn leaves(v: &Value) -> (Vec<Tensor>, Vec<Variable>) {
    let mut ts = Vec::new();
    let mut vs = Vec::new();
    v.visit(&mut |x| match x {
        Value::Tensor(t) => ts.push(t.clone()),
        Value::Variable(v) => vs.push(v.clone()),
        _ => {}
    });
    (ts, vs)
}

/// Rebuilds `v` with each leaf replaced by `f(leaf)` where it gives `Some`.
fn map_leaves(v: &Value, f: &impl Fn(&Value) -> Option<Value>) -> Value {
    match v {
        Value::List(x) => Value::List(x.iter().map(|e| map_leaves(e, f)).collect()),
        Value::Tuple(x) => Value::Tuple(x.iter().map(|e| map_leaves(e, f)).collect()),
        Value::Dict(d) => Value::Dict(
            d.iter()
                .map(|(k, x)| (k.clone(), map_leaves(x, f)))
                .collect(),
        ),
        leaf => f(leaf).unwrap_or_else(|| leaf.clone()),
    }
}

/// Host arrays become tensors once binding is done.
fn arrays_to_tensors(v: &Value) -> Value {
    map_leaves(v, &|x| match x {
        Value::Array(t) => Some(Value::Tensor(t.clone())),
        _ => None,
    })
}

/// Gives every tensor leaf a fresh identity, so that the same tensor passed twice is two
/// inputs of the graph.
fn fresh_leaves(v: &Value) -> Value {
    map_leaves(v, &|x| match x {
        Value::Tensor(t) => Some(Value::Tensor(t.alias())),
        _ => None,
    })
}

struct State {
    /// Whether each of the last calls traced (TF's frequent-tracing detector).
    recent: std::collections::VecDeque<bool>,
    warnings: Vec<String>,
    traces: Vec<Arc<ConcreteFunction>>,
    tracing_count: usize,
    /// A completed trace created variables (they may only be created once).
    created_variables: bool,
}

/// A traced function, as `tf.function` (see the [module docs](self)).
///
/// The closure gets the bound arguments and returns a [`Value`]; its error type only needs
/// `From<kiln_tensor::Error>`.
pub struct Function<F> {
    name: String,
    f: F,
    options: FunctionOptions,
    state: RefCell<State>,
}

impl<F, E> Function<F>
where
    F: Fn(&Args) -> std::result::Result<Value, E>,
    E: From<Error>,
{
    /// A traced function with default options.
    pub fn new(name: &str, f: F) -> Function<F> {
        Function::with_options(name, FunctionOptions::default(), f)
    }

    /// A traced function with `options`.
    pub fn with_options(name: &str, options: FunctionOptions, f: F) -> Function<F> {
        Function {
            name: name.to_string(),
            f,
            options,
            state: RefCell::new(State {
                recent: std::collections::VecDeque::new(),
                warnings: Vec::new(),
                traces: Vec::new(),
                tracing_count: 0,
                created_variables: false,
            }),
        }
    }

    /// The function's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many traces completed (`experimental_get_tracing_count()`).
    pub fn experimental_get_tracing_count(&self) -> usize {
        self.state.borrow().tracing_count
    }

    /// The retracing warnings logged so far (TF warns when 5 of the last calls (up to
    /// 10) traced, at most twice per function).
    pub fn retracing_warnings(&self) -> Vec<String> {
        self.state.borrow().warnings.clone()
    }

    fn note_call(&self, traced: bool) {
        let mut st = self.state.borrow_mut();
        st.recent.push_back(traced);
        if st.recent.len() > 10 {
            st.recent.pop_front();
        }
        let k = st.recent.iter().filter(|&&t| t).count();
        if traced && k >= 5 && st.warnings.len() < 2 {
            let w = format!(
                "{k} out of the last {} calls to {} triggered kiln::function retracing. Tracing is expensive; excessive retracing comes from creating the Function in a loop, passing different shapes (try reduce_retracing or an input_signature), or passing Rust numbers instead of tensors",
                st.recent.len(),
                self.name
            );
            eprintln!("WARNING: {w}");
            st.warnings.push(w);
        }
    }

    /// The traces so far, in trace order.
    pub fn concrete_functions(&self) -> Vec<Arc<ConcreteFunction>> {
        self.state.borrow().traces.clone()
    }

    /// Calls with positional arguments.
    pub fn call(&self, args: &[Value]) -> std::result::Result<Value, E> {
        self.call_kw(args, &[])
    }

    /// Calls with positional and keyword arguments (keywords need
    /// [`FunctionOptions::params`]).
    pub fn call_kw(
        &self,
        args: &[Value],
        kwargs: &[(&str, Value)],
    ) -> std::result::Result<Value, E> {
        let bound = self.bind(args, kwargs)?;
        if functions_run_eagerly() {
            let call = arrays_to_tensors(&Value::Tuple(bound));
            let values = call.items().map(<[Value]>::to_vec).unwrap_or_default();
            return (self.f)(&Args::new(values, None));
        }
        let bound = self.convert(bound)?;
        let call = arrays_to_tensors(&Value::Tuple(bound));
        let ty = TraceType::of(&call);
        if let Some(cf) = self.lookup(&ty) {
            self.note_call(false);
            return Ok(cf.run(&call)?);
        }
        let trace_ty = self.trace_type_for(ty);
        let cf = self.trace(trace_ty, &call)?;
        self.note_call(true);
        Ok(cf.run(&call)?)
    }

    /// Traces (and counts) for `args` without running, or returns the trace that
    /// already accepts them.
    pub fn get_concrete_function(
        &self,
        args: &[Value],
    ) -> std::result::Result<Arc<ConcreteFunction>, E> {
        let bound = self.bind(args, &[])?;
        let bound = self.convert(bound)?;
        let call = arrays_to_tensors(&Value::Tuple(bound));
        let ty = TraceType::of(&call);
        if let Some(cf) = self.lookup(&ty) {
            return Ok(cf);
        }
        let trace_ty = self.trace_type_for(ty);
        self.trace(trace_ty, &call)
    }

    /// Traces for a relaxed signature (TF's `get_concrete_function(TensorSpec(...))`),
    /// running the closure on `example` arguments that fit it.
    pub fn get_concrete_function_for(
        &self,
        signature: &[TensorSpec],
        example: &[Value],
    ) -> std::result::Result<Arc<ConcreteFunction>, E> {
        let ty = TraceType::Tuple(signature.iter().cloned().map(TraceType::Tensor).collect());
        let call = arrays_to_tensors(&Value::Tuple(self.bind(example, &[])?));
        if !ty.accepts(&TraceType::of(&call)) {
            return Err(Error::Trace(format!(
                "the example arguments {} do not fit the signature {ty}",
                TraceType::of(&call)
            ))
            .into());
        }
        if let Some(cf) = self.state.borrow().traces.iter().find(|c| c.ty == ty) {
            return Ok(cf.clone());
        }
        self.trace(ty, &call)
    }

    fn bind(&self, args: &[Value], kwargs: &[(&str, Value)]) -> Result<Vec<Value>> {
        match &self.options.params {
            Some(p) => p.bind(args, kwargs),
            None if kwargs.is_empty() => Ok(args.to_vec()),
            None => Err(bind_error(
                "keyword arguments need FunctionOptions::params (the parameter names)",
            )),
        }
    }

    /// With an input signature, converts each argument to its spec's dtype and checks
    /// that it fits (TF binds and casts before tracing).
    fn convert(&self, bound: Vec<Value>) -> Result<Vec<Value>> {
        let Some(sig) = &self.options.input_signature else {
            return Ok(bound);
        };
        let sig_str = sig
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        if bound.len() > sig.len() {
            return Err(bind_error(&format!(
                "too many positional arguments for signature ({sig_str})"
            )));
        }
        if bound.len() < sig.len() {
            return Err(bind_error(&format!(
                "missing a required argument {} for signature ({sig_str})",
                bound.len()
            )));
        }
        bound
            .into_iter()
            .zip(sig)
            .map(|(v, spec)| {
                let t = to_spec(&v, spec)
                    .map_err(|why| bind_error(&format!("{why}; for signature ({sig_str})")))?;
                Ok(Value::Tensor(t))
            })
            .collect()
    }

    fn lookup(&self, ty: &TraceType) -> Option<Arc<ConcreteFunction>> {
        let st = self.state.borrow();
        let cands: Vec<&Arc<ConcreteFunction>> =
            st.traces.iter().filter(|c| c.ty.accepts(ty)).collect();
        // The most specific: one that every other candidate accepts.
        cands
            .iter()
            .find(|c| cands.iter().all(|d| d.ty.accepts(&c.ty)))
            .or(cands.first())
            .map(|c| (*c).clone())
    }

    fn trace_type_for(&self, ty: TraceType) -> TraceType {
        if let Some(sig) = &self.options.input_signature {
            return TraceType::Tuple(sig.iter().cloned().map(TraceType::Tensor).collect());
        }
        if !self.options.reduce_retracing {
            return ty;
        }
        let st = self.state.borrow();
        st.traces
            .iter()
            .fold(ty, |acc, c| acc.join(&c.ty).unwrap_or(acc))
    }

    fn trace(&self, ty: TraceType, call: &Value) -> std::result::Result<Arc<ConcreteFunction>, E> {
        loop {
            let args = fresh_leaves(call);
            let (tensors, vars) = leaves(&args);
            let cap = Capture::start();
            for t in &tensors {
                cap.mark_symbolic(t);
            }
            let values = match &args {
                Value::Tuple(v) => v.clone(),
                other => vec![other.clone()],
            };
            let out = (self.f)(&Args::new(values, Some(&ty)));
            let trace = cap.finish();
            let out = out?;
            if let Some(e) = trace.error {
                return Err(e.into());
            }
            let created = trace
                .events
                .iter()
                .any(|e| matches!(e, Event::CreateVariable { .. }));
            let mut st = self.state.borrow_mut();
            if created && st.created_variables {
                return Err(Error::Trace(format!(
                    "'{}' created a variable on a later trace: a traced function may only create variables on its first call. Create the variable once (a guard such as `if v.is_none()`) or outside the function",
                    self.name
                ))
                .into());
            }
            st.tracing_count += 1;
            if created {
                // TF lifts variables created by the first trace out of the graph and
                // traces again.
                st.created_variables = true;
                continue;
            }
            let mut graph = Graph::build(&trace, &tensors, &vars, &out)?;
            if self.options.optimize {
                graph.optimize();
            }
            let cf = Arc::new(ConcreteFunction { ty, graph });
            st.traces.push(cf.clone());
            return Ok(cf);
        }
    }
}

/// Traces `body` once for `args` into a concrete function, without a cache (for callers
/// that keep their own, such as a compiled `Model` step, and whose body borrows state a
/// [`Function`]'s closure could not). A body that creates variables is traced a second
/// time, as [`Function`] does; creating variables again then is an error.
pub fn trace_concrete<E: From<Error>>(
    name: &str,
    args: &[Value],
    mut body: impl FnMut(&Args) -> std::result::Result<Value, E>,
) -> std::result::Result<ConcreteFunction, E> {
    let call = arrays_to_tensors(&Value::Tuple(args.to_vec()));
    let ty = TraceType::of(&call);
    let mut created_before = false;
    loop {
        let args = fresh_leaves(&call);
        let (tensors, vars) = leaves(&args);
        let cap = Capture::start();
        for t in &tensors {
            cap.mark_symbolic(t);
        }
        let values = args.items().map(<[Value]>::to_vec).unwrap_or_default();
        let out = body(&Args::new(values, Some(&ty)));
        let trace = cap.finish();
        let out = out?;
        if let Some(e) = trace.error {
            return Err(e.into());
        }
        let created = trace
            .events
            .iter()
            .any(|e| matches!(e, Event::CreateVariable { .. }));
        if created {
            if created_before {
                return Err(Error::Trace(format!(
                    "'{name}' created variables on its second trace too; create them once"
                ))
                .into());
            }
            created_before = true;
            continue;
        }
        let mut graph = Graph::build(&trace, &tensors, &vars, &out)?;
        graph.optimize();
        return Ok(ConcreteFunction { ty, graph });
    }
}

/// Converts an argument to a tensor of `spec` (as TF converts inputs before binding to an
/// input signature), or says why it cannot.
fn to_spec(v: &Value, spec: &TensorSpec) -> std::result::Result<Tensor, String> {
    let t = match v {
        Value::Array(t) => t.cast(spec.dtype).map_err(|e| e.to_string())?,
        Value::Tensor(t) => {
            if t.dtype() != spec.dtype {
                return Err(format!(
                    "cannot cast a {} tensor of shape {} to {spec}",
                    t.dtype().name(),
                    crate::shape::fmt_shape(t.shape())
                ));
            }
            t.clone()
        }
        Value::Variable(x) => {
            if x.dtype() != spec.dtype {
                return Err(format!(
                    "cannot cast a {} variable to {spec}",
                    x.dtype().name()
                ));
            }
            x.value()
        }
        Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::List(_) | Value::Tuple(_) => {
            literal_tensor(v, spec.dtype)?
        }
        other => return Err(format!("cannot convert {} to {spec}", other.describe())),
    };
    if !spec.accepts_shape(t.shape()) {
        return Err(format!(
            "cannot cast a tensor of shape {} to {spec}",
            crate::shape::fmt_shape(t.shape())
        ));
    }
    Ok(t)
}

/// A nested list of plain numbers as a tensor of `dtype` (`tf.constant([1.0, 2.0])`).
fn literal_tensor(v: &Value, dtype: DType) -> std::result::Result<Tensor, String> {
    fn walk(
        v: &Value,
        depth: usize,
        shape: &mut Vec<usize>,
        out: &mut Vec<f64>,
        dtype: DType,
    ) -> std::result::Result<(), String> {
        match v {
            Value::List(items) | Value::Tuple(items) => {
                if shape.len() == depth {
                    shape.push(items.len());
                } else if shape[depth] != items.len() {
                    return Err("a ragged nested list cannot become a tensor".into());
                }
                for x in items {
                    walk(x, depth + 1, shape, out, dtype)?;
                }
                Ok(())
            }
            Value::Float(x) if !dtype.is_float() => Err(format!(
                "cannot convert {x:?} to a tensor of dtype {}",
                dtype.name()
            )),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                if shape.len() != depth {
                    return Err("a ragged nested list cannot become a tensor".into());
                }
                out.push(v.as_f64().unwrap_or(f64::NAN));
                Ok(())
            }
            other => Err(format!("cannot convert {} to a tensor", other.describe())),
        }
    }
    let mut shape = Vec::new();
    let mut out = Vec::new();
    walk(v, 0, &mut shape, &mut out, dtype)?;
    let t = Tensor::from_vec(out, &shape).map_err(|e| e.to_string())?;
    t.cast(dtype).map_err(|e| e.to_string())
}
