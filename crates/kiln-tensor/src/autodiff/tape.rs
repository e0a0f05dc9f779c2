//! `GradientTape`: records ops on watched tensors and replays them backwards.
//!
//! Tapes live in a thread-local stack. An op asks [`is_recording`] (one thread-local read)
//! before doing any autodiff work, so with no tape active nothing is recorded and nothing
//! costs. Backward functions are written with ordinary ops, so while an outer tape is
//! active the backward pass of an inner tape is itself recorded: nested tapes give higher
//! derivatives.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::{Rc, Weak};

use crate::autodiff::{Op, Variable};
use crate::{Error, Result, Tensor};

/// Maps the gradient of an op's output to the gradients of its inputs (`None` where an
/// input gets no gradient).
pub(crate) type BackwardFn = Rc<dyn Fn(&Tensor) -> Result<Vec<Option<Tensor>>>>;

struct Node {
    /// What the node computed.
    op: Op,
    /// Ids of the op's inputs, in the order `backward` returns their gradients.
    inputs: Vec<u64>,
    output: u64,
    /// The output's shape and dtype (for the listing).
    shape: Vec<usize>,
    dtype: crate::DType,
    backward: BackwardFn,
    /// For `slice`: where the output sits in the input, so the gradient can be added in
    /// place instead of padded to the input's size (unstacking a sequence into T steps
    /// would otherwise cost T full-size gradients).
    slice: Option<SliceGrad>,
}

/// The region a slice took from its input.
#[derive(Clone, Debug)]
pub(crate) struct SliceGrad {
    pub(crate) in_shape: Vec<usize>,
    pub(crate) begin: Vec<usize>,
}

struct TapeState {
    persistent: bool,
    watch_accessed_variables: bool,
    recording: Cell<bool>,
    used: Cell<bool>,
    watched: RefCell<HashSet<u64>>,
    nodes: RefCell<Vec<Node>>,
}

thread_local! {
    static TAPES: RefCell<Vec<Weak<TapeState>>> = const { RefCell::new(Vec::new()) };
    static RECORDING: Cell<usize> = const { Cell::new(0) };
    static PAUSED: Cell<usize> = const { Cell::new(0) };
}

/// True when at least one tape on this thread is recording, or a trace is capturing
/// (backward passes then take their composed, recordable path).
#[inline]
pub(crate) fn is_recording() -> bool {
    tapes_recording() || crate::autodiff::capture::active()
}

/// True when at least one tape on this thread is recording (captures aside). The tape
/// running [`GradientTape::gradient`] pauses itself, so inside its backward pass this is
/// true only when *another* tape records.
#[inline]
pub(crate) fn tapes_recording() -> bool {
    RECORDING.with(|r| r.get() > 0) && PAUSED.with(|p| p.get() == 0)
}

/// True when more than one tape on this thread is recording, so that a backward pass
/// run by one of them may itself be recorded by another (nested tapes: second
/// derivatives). Fused ops whose backward is not differentiable use this to step aside
/// for their composed equivalent.
///
/// A capture (a `kiln::function` trace) does not count: the fused ops' backward passes
/// replay as fused gradient ops, so a traced training step (one tape, its `gradient`
/// traced) keeps the fused kernels and equals the eager step bit for bit.
///
/// ```
/// use kiln_tensor::autodiff::capture::Capture;
/// use kiln_tensor::{autodiff::nested_recording, GradientTape};
/// let outer = GradientTape::new();
/// assert!(!nested_recording());
/// let cap = Capture::start();
/// assert!(!nested_recording()); // a trace and one tape: still fused
/// let inner = GradientTape::new();
/// assert!(nested_recording());
/// # drop((inner, cap, outer));
/// ```
pub fn nested_recording() -> bool {
    RECORDING.with(|r| r.get() > 1) && PAUSED.with(|p| p.get() == 0)
}

/// Pauses every tape on this thread until the guard is dropped (like `torch.no_grad()`):
/// metric updates, shape probes and inference run without recording or its cost.
///
/// ```
/// use kiln_tensor::{autodiff::no_recording, GradientTape, Tensor};
/// let x = Tensor::scalar(1.0f32);
/// let tape = GradientTape::new();
/// tape.watch(&x);
/// {
///     let _pause = no_recording();
///     let _ = x.exp().unwrap();
/// }
/// assert_eq!(tape.num_recorded(), 0);
/// let _ = x.exp().unwrap();
/// assert_eq!(tape.num_recorded(), 1);
/// ```
pub fn no_recording() -> NoRecording {
    PAUSED.with(|p| p.set(p.get() + 1));
    NoRecording {
        _not_send: std::marker::PhantomData,
    }
}

/// Guard returned by [`no_recording`].
pub struct NoRecording {
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for NoRecording {
    fn drop(&mut self) {
        PAUSED.with(|p| p.set(p.get().saturating_sub(1)));
    }
}

fn adjust_recording(delta: isize) {
    RECORDING.with(|r| r.set((r.get() as isize + delta) as usize));
}

fn for_each_recording_tape(mut f: impl FnMut(&TapeState)) {
    TAPES.with(|t| {
        for w in t.borrow().iter() {
            if let Some(s) = w.upgrade()
                && s.recording.get()
            {
                f(&s);
            }
        }
    });
}

/// True when some recording tape watches one of `inputs` (so the op must be recorded).
#[inline]
pub(crate) fn any_watched(inputs: &[&Tensor]) -> bool {
    if !tapes_recording() {
        return false;
    }
    let mut hit = false;
    for_each_recording_tape(|s| {
        let w = s.watched.borrow();
        if inputs
            .iter()
            .any(|t| t.dtype().is_float() && w.contains(&t.id()))
        {
            hit = true;
        }
    });
    hit
}

/// Records `output = op(inputs)` on every recording tape that watches one of the inputs.
/// `make_backward` is only called when something records.
pub(crate) fn record(
    op: impl FnOnce() -> Op,
    inputs: &[&Tensor],
    output: &Tensor,
    make_backward: impl FnOnce() -> BackwardFn,
) {
    record_node(op, inputs, output, None, make_backward)
}

/// Records `output = slice(input)` at `slice.begin`; see [`SliceGrad`].
pub(crate) fn record_slice(
    op: impl FnOnce() -> Op,
    input: &Tensor,
    output: &Tensor,
    slice: SliceGrad,
    make_backward: impl FnOnce() -> BackwardFn,
) {
    record_node(op, &[input], output, Some(slice), make_backward)
}

fn record_node(
    op: impl FnOnce() -> Op,
    inputs: &[&Tensor],
    output: &Tensor,
    slice: Option<SliceGrad>,
    make_backward: impl FnOnce() -> BackwardFn,
) {
    let mut op = Some(op);
    let mut named: Option<Op> = None;
    if crate::autodiff::capture::active() {
        let o = named.insert((op.take().expect("called once"))());
        crate::autodiff::capture::on_op(o, inputs, output);
    }
    if !tapes_recording() || !output.dtype().is_float() {
        return;
    }
    let mut backward: Option<BackwardFn> = None;
    let mut make = Some(make_backward);
    for_each_recording_tape(|s| {
        let hit = {
            let w = s.watched.borrow();
            inputs
                .iter()
                .any(|t| t.dtype().is_float() && w.contains(&t.id()))
        };
        if hit {
            let b = backward
                .get_or_insert_with(|| (make.take().expect("called once"))())
                .clone();
            let op = named
                .get_or_insert_with(|| (op.take().expect("called once"))())
                .clone();
            s.watched.borrow_mut().insert(output.id());
            s.nodes.borrow_mut().push(Node {
                op,
                inputs: inputs.iter().map(|t| t.id()).collect(),
                output: output.id(),
                shape: output.shape().to_vec(),
                dtype: output.dtype(),
                backward: b,
                slice: slice.clone(),
            });
        }
    });
}

/// Records a read of `var` producing `value`, on tapes that watch the variable (trainable
/// variables are watched on access unless the tape says otherwise).
pub(crate) fn record_variable_read(var: &Variable, value: &Tensor) {
    if crate::autodiff::capture::active() {
        crate::autodiff::capture::on_read(var, value);
    }
    if !tapes_recording() || !value.dtype().is_float() {
        return;
    }
    let var_id = var.id();
    let trainable = var.trainable();
    for_each_recording_tape(|s| {
        let watched = {
            let mut w = s.watched.borrow_mut();
            if trainable && s.watch_accessed_variables {
                w.insert(var_id);
            }
            w.contains(&var_id)
        };
        if watched {
            s.watched.borrow_mut().insert(value.id());
            s.nodes.borrow_mut().push(Node {
                op: Op::new("read_variable").attr("name", var.name()),
                inputs: vec![var_id],
                output: value.id(),
                shape: value.shape().to_vec(),
                dtype: value.dtype(),
                backward: Rc::new(|g: &Tensor| Ok(vec![Some(g.clone())])),
                slice: None,
            });
        }
    });
}

/// Something a gradient can be taken with respect to: a [`Tensor`] or a [`Variable`].
///
/// ```
/// use kiln_tensor::{GradientTape, Tensor, Variable};
/// let v = Variable::new(Tensor::scalar(3.0f32), "v", true);
/// let tape = GradientTape::new();
/// let y = v.value().square().unwrap();
/// let g = tape.gradient(&y, &[&v]).unwrap();
/// assert_eq!(g[0].as_ref().unwrap().item::<f32>().unwrap(), 6.0);
/// ```
pub trait GradSource {
    /// The id the tape records this source under.
    fn source_id(&self) -> u64;
}

impl GradSource for Tensor {
    fn source_id(&self) -> u64 {
        self.id()
    }
}
impl GradSource for Variable {
    fn source_id(&self) -> u64 {
        self.id()
    }
}
impl<S: GradSource + ?Sized> GradSource for &S {
    fn source_id(&self) -> u64 {
        (**self).source_id()
    }
}

/// Records operations for automatic differentiation, as `tf.GradientTape`.
///
/// The tape records from [`GradientTape::new`] until it is dropped (or paused with
/// [`GradientTape::stop_recording`]). Only ops whose inputs are watched are recorded:
/// tensors passed to [`GradientTape::watch`], and trainable [`Variable`]s read while the
/// tape is active. A non-persistent tape answers one [`GradientTape::gradient`] call.
///
/// ```
/// use kiln_tensor::{GradientTape, Tensor};
/// let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[3]).unwrap();
/// let tape = GradientTape::new();
/// tape.watch(&x);
/// let y = x.mul(&x).unwrap().sum_all().unwrap();
/// let g = tape.gradient(&y, &[&x]).unwrap();
/// assert_eq!(g[0].as_ref().unwrap().to_vec::<f64>().unwrap(), vec![2.0, 4.0, 6.0]);
/// ```
pub struct GradientTape {
    state: Rc<TapeState>,
}

impl Default for GradientTape {
    fn default() -> Self {
        GradientTape::new()
    }
}

impl GradientTape {
    /// A non-persistent tape that watches trainable variables it sees read.
    ///
    /// ```
    /// let tape = kiln_tensor::GradientTape::new();
    /// # drop(tape);
    /// ```
    pub fn new() -> GradientTape {
        GradientTape::with_options(false, true)
    }

    /// A persistent tape: `gradient` may be called any number of times.
    ///
    /// ```
    /// use kiln_tensor::{GradientTape, Tensor};
    /// let x = Tensor::scalar(2.0f32);
    /// let tape = GradientTape::persistent();
    /// tape.watch(&x);
    /// let y = x.square().unwrap();
    /// let z = y.square().unwrap();
    /// assert_eq!(tape.gradient(&y, &[&x]).unwrap()[0].as_ref().unwrap().item::<f32>().unwrap(), 4.0);
    /// assert_eq!(tape.gradient(&z, &[&x]).unwrap()[0].as_ref().unwrap().item::<f32>().unwrap(), 32.0);
    /// ```
    pub fn persistent() -> GradientTape {
        GradientTape::with_options(true, true)
    }

    /// A tape with TF's two options spelled out.
    ///
    /// ```
    /// let tape = kiln_tensor::GradientTape::with_options(false, false);
    /// # drop(tape);
    /// ```
    pub fn with_options(persistent: bool, watch_accessed_variables: bool) -> GradientTape {
        let state = Rc::new(TapeState {
            persistent,
            watch_accessed_variables,
            recording: Cell::new(true),
            used: Cell::new(false),
            watched: RefCell::new(HashSet::new()),
            nodes: RefCell::new(Vec::new()),
        });
        TAPES.with(|t| t.borrow_mut().push(Rc::downgrade(&state)));
        adjust_recording(1);
        GradientTape { state }
    }

    /// Starts tracing `tensor`: ops that use it are recorded from now on.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::scalar(1.0f32);
    /// let tape = kiln_tensor::GradientTape::new();
    /// tape.watch(&x);
    /// ```
    pub fn watch(&self, tensor: &Tensor) {
        self.state.watched.borrow_mut().insert(tensor.id());
    }

    /// Starts tracing reads of `var` (needed for non-trainable variables, or when the tape
    /// was built with `watch_accessed_variables = false`).
    ///
    /// ```
    /// use kiln_tensor::{GradientTape, Tensor, Variable};
    /// let v = Variable::new(Tensor::scalar(1.0f32), "frozen", false);
    /// let tape = GradientTape::new();
    /// tape.watch_variable(&v);
    /// let y = v.value().mul(&v.value()).unwrap();
    /// assert!(tape.gradient(&y, &[&v]).unwrap()[0].is_some());
    /// ```
    pub fn watch_variable(&self, var: &Variable) {
        self.state.watched.borrow_mut().insert(var.id());
    }

    /// Ids watched so far (the ones passed to `watch`, read variables, and recorded outputs).
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::scalar(1.0f32);
    /// let tape = kiln_tensor::GradientTape::new();
    /// tape.watch(&x);
    /// assert!(tape.is_watching(&x));
    /// ```
    pub fn is_watching(&self, tensor: &Tensor) -> bool {
        self.state.watched.borrow().contains(&tensor.id())
    }

    /// Number of ops recorded so far.
    ///
    /// ```
    /// use kiln_tensor::{GradientTape, Tensor};
    /// let x = Tensor::scalar(1.0f32);
    /// let tape = GradientTape::new();
    /// let _ = x.add(&x).unwrap(); // x not watched: nothing recorded
    /// assert_eq!(tape.num_recorded(), 0);
    /// ```
    pub fn num_recorded(&self) -> usize {
        self.state.nodes.borrow().len()
    }

    /// The recorded graph as a readable listing, one node per line in recording order:
    /// `%3 = matmul[transpose_a=false, transpose_b=false](%1, %2) : f32[4, 2]`. Values
    /// are numbered in order of first appearance; a value the tape did not compute (a
    /// watched tensor, a variable) is listed as an input (`%0 = input`).
    ///
    /// ```
    /// use kiln_tensor::{GradientTape, Tensor};
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[1, 2])?;
    /// let w = Tensor::from_vec(vec![3.0f32, 4.0], &[2, 1])?;
    /// let tape = GradientTape::new();
    /// tape.watch(&x);
    /// let y = x.matmul(&w)?.relu()?;
    /// let listing = tape.listing();
    /// assert_eq!(listing.lines().collect::<Vec<_>>(), [
    ///     "%0 = input",
    ///     "%1 = input",
    ///     "%2 = matmul[transpose_a=false, transpose_b=false](%0, %1) : float32[1, 1]",
    ///     "%3 = relu(%2) : float32[1, 1]",
    /// ]);
    /// # drop(y);
    /// # Ok::<(), kiln_tensor::Error>(())
    /// ```
    pub fn listing(&self) -> String {
        use std::fmt::Write;
        let nodes = self.state.nodes.borrow();
        let mut number: HashMap<u64, usize> = HashMap::new();
        let mut out = String::new();
        fn number_of(id: u64, number: &mut HashMap<u64, usize>, out: &mut String) -> usize {
            let next = number.len();
            *number.entry(id).or_insert_with(|| {
                let _ = writeln!(out, "%{next} = input");
                next
            })
        }
        for n in nodes.iter() {
            let args: Vec<String> = n
                .inputs
                .iter()
                .map(|&i| format!("%{}", number_of(i, &mut number, &mut out)))
                .collect();
            let me = number.len();
            number.insert(n.output, me);
            let shape: Vec<String> = n.shape.iter().map(usize::to_string).collect();
            let _ = writeln!(
                out,
                "%{me} = {}({}) : {}[{}]",
                n.op,
                args.join(", "),
                n.dtype.name(),
                shape.join(", ")
            );
        }
        out
    }

    /// The names of the ops recorded so far, in order.
    ///
    /// ```
    /// use kiln_tensor::{GradientTape, Tensor};
    /// let x = Tensor::scalar(2.0f32);
    /// let tape = GradientTape::new();
    /// tape.watch(&x);
    /// let _ = x.exp()?.log()?;
    /// assert_eq!(tape.recorded_ops(), ["exp", "log"]);
    /// # Ok::<(), kiln_tensor::Error>(())
    /// ```
    pub fn recorded_ops(&self) -> Vec<&'static str> {
        self.state
            .nodes
            .borrow()
            .iter()
            .map(|n| n.op.name())
            .collect()
    }

    /// Pauses recording on this tape until the returned guard is dropped
    /// (`with tape.stop_recording():`).
    ///
    /// ```
    /// use kiln_tensor::{GradientTape, Tensor};
    /// let x = Tensor::scalar(1.0f32);
    /// let tape = GradientTape::new();
    /// tape.watch(&x);
    /// {
    ///     let _pause = tape.stop_recording();
    ///     let _ = x.exp().unwrap();
    /// }
    /// assert_eq!(tape.num_recorded(), 0);
    /// ```
    pub fn stop_recording(&self) -> StopRecording<'_> {
        let was = self.state.recording.replace(false);
        if was {
            adjust_recording(-1);
        }
        StopRecording { tape: self, was }
    }

    /// Gradients of `target` with respect to each source: `None` for a source that
    /// `target` does not depend on (TF's `unconnected_gradients=NONE`).
    ///
    /// ```
    /// use kiln_tensor::{GradientTape, Tensor};
    /// let x = Tensor::scalar(3.0f32);
    /// let z = Tensor::scalar(1.0f32);
    /// let tape = GradientTape::new();
    /// tape.watch(&x);
    /// tape.watch(&z);
    /// let y = x.mul(&x).unwrap();
    /// let g = tape.gradient(&y, &[&x, &z]).unwrap();
    /// assert_eq!(g[0].as_ref().unwrap().item::<f32>().unwrap(), 6.0);
    /// assert!(g[1].is_none());
    /// ```
    pub fn gradient<S: GradSource>(
        &self,
        target: &Tensor,
        sources: &[S],
    ) -> Result<Vec<Option<Tensor>>> {
        self.gradient_with(&[target], sources, None)
    }

    /// Gradients of the sum of `targets`, each seeded by the matching `output_gradients`
    /// tensor (ones when `None`), as `tape.gradient(targets, sources, output_gradients)`.
    ///
    /// ```
    /// use kiln_tensor::{GradientTape, Tensor};
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
    /// let tape = GradientTape::new();
    /// tape.watch(&x);
    /// let y = x.mul(&x).unwrap();
    /// let dy = Tensor::from_vec(vec![10.0f32, 100.0], &[2]).unwrap();
    /// let g = tape.gradient_with(&[&y], &[&x], Some(&[dy])).unwrap();
    /// assert_eq!(g[0].as_ref().unwrap().to_vec::<f32>().unwrap(), vec![20.0, 400.0]);
    /// ```
    pub fn gradient_with<S: GradSource>(
        &self,
        targets: &[&Tensor],
        sources: &[S],
        output_gradients: Option<&[Tensor]>,
    ) -> Result<Vec<Option<Tensor>>> {
        self.gradient_walk(targets, sources, output_gradients, None)
    }

    /// [`GradientTape::gradient`] that also calls `on_ready(i, grad)` for each source `i`
    /// as soon as its gradient is complete (no op left to walk reads it), while the
    /// backward pass goes on: data-parallel training starts a source's all-reduce there
    /// (PyTorch DDP's gradient-ready hooks). Sources without a gradient get no call;
    /// an `Err` from `on_ready` ends the walk with it.
    ///
    /// ```
    /// use kiln_tensor::{GradientTape, Tensor};
    /// let a = Tensor::scalar(2.0f32);
    /// let b = Tensor::scalar(3.0f32);
    /// let tape = GradientTape::new();
    /// tape.watch(&a);
    /// tape.watch(&b);
    /// let h = a.mul(&a).unwrap(); // a is read first, so its gradient completes last
    /// let y = h.mul(&b).unwrap();
    /// let mut order = Vec::new();
    /// let g = tape
    ///     .gradient_with_ready(&y, &[&a, &b], &mut |i, _g: &Tensor| { order.push(i); Ok(()) })
    ///     .unwrap();
    /// assert_eq!(order, vec![1, 0]);
    /// assert_eq!(g[0].as_ref().unwrap().item::<f32>().unwrap(), 12.0);
    /// ```
    pub fn gradient_with_ready<S: GradSource>(
        &self,
        target: &Tensor,
        sources: &[S],
        on_ready: &mut dyn FnMut(usize, &Tensor) -> Result<()>,
    ) -> Result<Vec<Option<Tensor>>> {
        self.gradient_walk(&[target], sources, None, Some(on_ready))
    }

    fn gradient_walk<S: GradSource>(
        &self,
        targets: &[&Tensor],
        sources: &[S],
        output_gradients: Option<&[Tensor]>,
        mut on_ready: Option<&mut ReadyFn<'_>>,
    ) -> Result<Vec<Option<Tensor>>> {
        if !self.state.persistent && self.state.used.get() {
            return Err(Error::Tape(
                "gradient() was already called on this non-persistent tape; create it with GradientTape::persistent() to call it more than once".into(),
            ));
        }
        self.state.used.set(true);
        // The tape does not record its own backward pass; outer tapes still do.
        let _pause = self.stop_recording();

        let mut grads: HashMap<u64, Tensor> = HashMap::new();
        for (i, t) in targets.iter().enumerate() {
            let seed = match output_gradients {
                Some(gs) => {
                    let g = gs.get(i).ok_or_else(|| {
                        Error::Tape(format!(
                            "{} targets but {} output_gradients",
                            targets.len(),
                            gs.len()
                        ))
                    })?;
                    if g.shape() != t.shape() {
                        return Err(Error::Tape(format!(
                            "output_gradients[{i}] has shape {} but target {i} has shape {}",
                            crate::shape::fmt_shape(g.shape()),
                            crate::shape::fmt_shape(t.shape())
                        )));
                    }
                    g.clone()
                }
                None => t.ones_like(),
            };
            accumulate(&mut grads, t.id(), seed)?;
        }

        let nodes = self.state.nodes.borrow();
        // For gradient-ready calls: the sources by the index of the earliest node that
        // reads them; a source is complete once the walk has done that node.
        let mut ready_at: Vec<(usize, usize)> = Vec::new();
        if on_ready.is_some() {
            let mut first: HashMap<u64, usize> = HashMap::new();
            for (n, node) in nodes.iter().enumerate() {
                for id in &node.inputs {
                    first.entry(*id).or_insert(n);
                }
            }
            ready_at = sources
                .iter()
                .enumerate()
                .map(|(i, s)| (first.get(&s.source_id()).copied().unwrap_or(0), i))
                .collect();
            // Fired from the back of the list: highest node index first.
            ready_at.sort();
        }
        let fire = |upto: usize,
                    ready_at: &mut Vec<(usize, usize)>,
                    grads: &HashMap<u64, Tensor>,
                    on_ready: &mut Option<&mut ReadyFn<'_>>|
         -> Result<()> {
            let Some(f) = on_ready.as_mut() else {
                return Ok(());
            };
            while let Some(&(n, i)) = ready_at.last() {
                if n < upto {
                    break;
                }
                ready_at.pop();
                if let Some(g) = grads.get(&sources[i].source_id()) {
                    f(i, g)?;
                }
            }
            Ok(())
        };
        // Nodes were recorded in execution order, which is a topological order.
        for (n, node) in nodes.iter().enumerate().rev() {
            fire(n + 1, &mut ready_at, &grads, &mut on_ready)?;
            let Some(g) = grads.get(&node.output).cloned() else {
                continue;
            };
            // In place unless an outer tape must record this backward pass.
            if let Some(sg) = &node.slice
                && !is_recording()
                && add_slice_in_place(&mut grads, node.inputs[0], &g, sg)
            {
                continue;
            }
            let input_grads = (node.backward)(&g)?;
            let capturing = crate::autodiff::capture::active();
            for (id, ig) in node.inputs.iter().zip(input_grads) {
                if let Some(ig) = ig {
                    if capturing {
                        crate::autodiff::capture::on_gradient(&node.op, &ig);
                    }
                    accumulate(&mut grads, *id, ig)?;
                }
            }
        }
        fire(0, &mut ready_at, &grads, &mut on_ready)?;
        Ok(sources
            .iter()
            .map(|s| grads.get(&s.source_id()).cloned())
            .collect())
    }
}

/// The callback of [`GradientTape::gradient_with_ready`].
type ReadyFn<'a> = dyn FnMut(usize, &Tensor) -> Result<()> + 'a;

/// Adds a slice's gradient `g` into its input's accumulated gradient at the slice's
/// region (starting from zeros), in place when that buffer is not shared. False (nothing
/// done) for dtypes other than f32/f64 or an accumulated gradient of another shape.
fn add_slice_in_place(
    grads: &mut HashMap<u64, Tensor>,
    id: u64,
    g: &Tensor,
    sg: &SliceGrad,
) -> bool {
    match g.dtype() {
        crate::DType::F32 => add_slice_typed::<f32>(grads, id, g, sg),
        crate::DType::F64 => add_slice_typed::<f64>(grads, id, g, sg),
        _ => false,
    }
}

fn add_slice_typed<T: crate::Element + std::ops::AddAssign>(
    grads: &mut HashMap<u64, Tensor>,
    id: u64,
    g: &Tensor,
    sg: &SliceGrad,
) -> bool {
    let r = g.rank();
    if sg.begin.len() != r || sg.in_shape.len() != r {
        return false;
    }
    let mut acc = match grads.remove(&id) {
        None => Tensor::zeros(&sg.in_shape, g.dtype()),
        Some(t) if t.shape() == sg.in_shape.as_slice() && t.dtype() == g.dtype() => t,
        Some(t) => {
            grads.insert(id, t);
            return false;
        }
    };
    if acc.unique_slice_mut::<T>().is_none() {
        acc = Tensor::from_vec_unchecked(acc.data::<T>().into_owned(), sg.in_shape.clone());
    }
    let src = g.data::<T>();
    let Some(dst) = acc.unique_slice_mut::<T>() else {
        grads.insert(id, acc);
        return false;
    };
    if r == 0 {
        dst[0] += src[0];
    } else {
        let s = g.shape();
        let mut strides = vec![1usize; r];
        for d in (0..r - 1).rev() {
            strides[d] = strides[d + 1] * sg.in_shape[d + 1];
        }
        let inner = s[r - 1];
        let outer: usize = s[..r - 1].iter().product();
        let mut idx = vec![0usize; r - 1];
        for o in 0..outer {
            let mut off = sg.begin[r - 1];
            for d in 0..r - 1 {
                off += (sg.begin[d] + idx[d]) * strides[d];
            }
            for (a, &b) in dst[off..off + inner]
                .iter_mut()
                .zip(&src[o * inner..(o + 1) * inner])
            {
                *a += b;
            }
            for d in (0..r - 1).rev() {
                idx[d] += 1;
                if idx[d] < s[d] {
                    break;
                }
                idx[d] = 0;
            }
        }
    }
    drop(src);
    grads.insert(id, acc);
    true
}

fn accumulate(grads: &mut HashMap<u64, Tensor>, id: u64, g: Tensor) -> Result<()> {
    // The first gradient is stored as is; only later ones pay for an add.
    match grads.remove(&id) {
        None => {
            grads.insert(id, g);
        }
        Some(prev) => {
            grads.insert(id, prev.add(&g)?);
        }
    }
    Ok(())
}

impl Drop for GradientTape {
    fn drop(&mut self) {
        if self.state.recording.get() {
            adjust_recording(-1);
        }
        let me = Rc::as_ptr(&self.state);
        TAPES.with(|t| {
            t.borrow_mut().retain(|w| {
                w.upgrade()
                    .is_some_and(|s| !std::ptr::eq(Rc::as_ptr(&s), me))
            })
        });
    }
}

/// Guard returned by [`GradientTape::stop_recording`]; recording resumes when dropped.
pub struct StopRecording<'a> {
    tape: &'a GradientTape,
    was: bool,
}

impl Drop for StopRecording<'_> {
    fn drop(&mut self) {
        if self.was {
            self.tape.state.recording.set(true);
            adjust_recording(1);
        }
    }
}
