//! Op capture: while a capture is active on this thread, every op, variable read, variable
//! write and variable creation is appended to it, in execution order. This is what
//! [`crate::function`] traces with (TF's `FuncGraph` while a `tf.function` body runs).
//!
//! Capture runs the ops for real (the values exist while tracing), but it knows which
//! tensors depend on the traced inputs ("symbolic" tensors): reading such a value from Rust
//! (`to_vec`, `item`, `as_slice`) fails, as `bool(tensor)` fails inside a `tf.function`,
//! because a Rust `if` on it would be frozen into the trace. Variable writes made while
//! capturing are undone when the capture ends (see [`Capture::finish`]), so a trace has no
//! side effects on variables; running the traced graph applies them.
//!
//! Unlike tapes, a capture sees ops under [`crate::autodiff::no_recording`] too: a traced
//! function must replay everything its body computed.
//!
//! ```
//! use kiln_tensor::autodiff::capture::{Capture, Event};
//! use kiln_tensor::Tensor;
//! let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
//! let cap = Capture::start();
//! cap.mark_symbolic(&x);
//! let y = x.mul_scalar(3.0).unwrap();
//! assert!(y.to_vec::<f32>().is_err()); // y depends on the traced input
//! let trace = cap.finish();
//! assert!(matches!(&trace.events[0], Event::Op { op, .. } if op.name() == "mul")); // x * scalar
//! assert!(trace.error.is_some());
//! ```

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

use crate::autodiff::{Op, Variable};
/// Recomputes a captured [`Event::Op`] from its op value and inputs (see
/// [`crate::ops::eval`]).
pub use crate::ops::eval::eval;
use crate::{Error, Tensor};

/// How a captured variable write combined the value with the variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    /// `assign`: replace.
    Assign,
    /// `assign_add`.
    Add,
    /// `assign_sub`.
    Sub,
}

impl WriteKind {
    /// The op name a listing uses (`assign`, `assign_add`, `assign_sub`).
    pub fn name(self) -> &'static str {
        match self {
            WriteKind::Assign => "assign",
            WriteKind::Add => "assign_add",
            WriteKind::Sub => "assign_sub",
        }
    }
}

/// One thing a captured body did, in execution order.
#[derive(Clone)]
pub enum Event {
    /// `output = op(inputs)`.
    Op {
        /// The op and its attributes.
        op: Op,
        /// Its inputs, as they were when it ran.
        inputs: Vec<Tensor>,
        /// What it produced.
        output: Tensor,
    },
    /// `output = variable.value()`.
    ReadVariable {
        /// The variable read.
        variable: Variable,
        /// The tensor the read produced.
        output: Tensor,
    },
    /// `variable.assign*(value)`.
    WriteVariable {
        /// The variable written.
        variable: Variable,
        /// Assign, add or subtract.
        kind: WriteKind,
        /// The value written.
        value: Tensor,
    },
    /// `Variable::new` ran while capturing.
    CreateVariable {
        /// The new variable.
        variable: Variable,
    },
}

/// What a finished capture saw.
pub struct Trace {
    /// Every event, in order.
    pub events: Vec<Event>,
    /// The first reason the capture cannot be replayed faithfully (a symbolic value read
    /// from Rust, an in-place update a graph cannot express, a tensor made by an op that
    /// did not record), or `None`.
    pub error: Option<Error>,
    /// Tensors made by public constructors while capturing (`Tensor::from_vec`,
    /// `Tensor::scalar`, ...): constants of the trace.
    pub constants: HashSet<u64>,
    /// The first tensor id allocated after the capture started: tensors with a smaller
    /// id existed before and are captured by value.
    pub start_id: u64,
}

struct State {
    start_id: u64,
    events: Vec<Event>,
    /// Ids the capture knows how they were made (op outputs, reads, constants, marked
    /// inputs).
    known: HashSet<u64>,
    symbolic: HashSet<u64>,
    constants: HashSet<u64>,
    error: Option<Error>,
    /// First-write snapshots of variables, to undo the capture's writes.
    snapshots: Vec<(Variable, Tensor)>,
    snap_ids: HashSet<u64>,
    /// The global random generator when the outermost capture started: put back at the
    /// end, so the draws made while tracing do not shift the ones the graph makes.
    rng: Option<Option<crate::random::Generator>>,
}

thread_local! {
    static STACK: RefCell<Vec<Rc<RefCell<State>>>> = const { RefCell::new(Vec::new()) };
}

/// True while a capture is active on this thread.
#[inline]
pub(crate) fn active() -> bool {
    STACK.with(|s| !s.borrow().is_empty())
}

/// Hides every active capture on this thread until the guard drops: for kernels that
/// compute a fused op's gradients with ordinary ops on raw buffers, which the trace must
/// not see (the gradients are then recorded as one replayable op each).
pub(crate) fn suspend() -> Suspended {
    Suspended {
        stack: STACK.with(|s| std::mem::take(&mut *s.borrow_mut())),
    }
}

/// Guard returned by [`suspend`]: puts the hidden captures back when dropped.
pub(crate) struct Suspended {
    stack: Vec<Rc<RefCell<State>>>,
}

impl Drop for Suspended {
    fn drop(&mut self) {
        let hidden = std::mem::take(&mut self.stack);
        STACK.with(|s| {
            let mut s = s.borrow_mut();
            // Captures started while suspended (none are expected) stay innermost.
            let inner = std::mem::replace(&mut *s, hidden);
            s.extend(inner);
        });
    }
}

/// True while a capture is active on this thread (public for
/// [`crate::function::executing_eagerly`]).
pub fn capturing() -> bool {
    active()
}

fn with_top<R>(f: impl FnOnce(&mut State) -> R) -> Option<R> {
    let top = STACK.with(|s| s.borrow().last().cloned())?;
    let mut st = top.borrow_mut();
    Some(f(&mut st))
}

fn poison(st: &mut State, e: Error) {
    if st.error.is_none() {
        st.error = Some(e);
    }
}

/// An active capture; [`Capture::finish`] ends it. Dropping it unfinished also ends it
/// (and undoes its variable writes).
pub struct Capture {
    state: Option<Rc<RefCell<State>>>,
}

impl Capture {
    /// Starts capturing on this thread (nested captures stack: events go to the innermost).
    pub fn start() -> Capture {
        let rng = (!active()).then(crate::random::global_snapshot);
        let st = Rc::new(RefCell::new(State {
            rng,
            start_id: crate::tensor::next_id(),
            events: Vec::new(),
            known: HashSet::new(),
            symbolic: HashSet::new(),
            constants: HashSet::new(),
            error: None,
            snapshots: Vec::new(),
            snap_ids: HashSet::new(),
        }));
        STACK.with(|s| s.borrow_mut().push(st.clone()));
        Capture { state: Some(st) }
    }

    /// Declares `t` an input of the traced function: known, and symbolic (its value may
    /// differ on the next call, so Rust code must not read it).
    pub fn mark_symbolic(&self, t: &Tensor) {
        if let Some(st) = &self.state {
            let mut st = st.borrow_mut();
            st.known.insert(t.id());
            st.symbolic.insert(t.id());
        }
    }

    /// Marks the capture failed with `e` (the first error is kept).
    pub fn fail(&self, e: Error) {
        if let Some(st) = &self.state {
            poison(&mut st.borrow_mut(), e);
        }
    }

    /// Ends the capture: undoes the variable writes it made and returns what it saw.
    pub fn finish(mut self) -> Trace {
        self.end().expect("capture finishes once")
    }

    fn end(&mut self) -> Option<Trace> {
        let st = self.state.take()?;
        STACK.with(|s| {
            let mut s = s.borrow_mut();
            if let Some(pos) = s.iter().rposition(|x| Rc::ptr_eq(x, &st)) {
                s.remove(pos);
            }
        });
        let st = match Rc::try_unwrap(st) {
            Ok(cell) => cell.into_inner(),
            Err(rc) => {
                let mut b = rc.borrow_mut();
                State {
                    start_id: b.start_id,
                    events: std::mem::take(&mut b.events),
                    known: std::mem::take(&mut b.known),
                    symbolic: std::mem::take(&mut b.symbolic),
                    constants: std::mem::take(&mut b.constants),
                    error: b.error.take(),
                    snapshots: std::mem::take(&mut b.snapshots),
                    snap_ids: std::mem::take(&mut b.snap_ids),
                    rng: b.rng.take(),
                }
            }
        };
        // Undo in reverse so the oldest snapshot of each variable wins.
        for (v, old) in st.snapshots.iter().rev() {
            v.restore_unrecorded(old);
        }
        if let Some(rng) = st.rng {
            crate::random::restore_global(rng);
        }
        Some(Trace {
            events: st.events,
            error: st.error,
            constants: st.constants,
            start_id: st.start_id,
        })
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.end();
    }
}

// ----- hooks called by ops, variables and tensors ------------------------------------

/// An op ran: `output = op(inputs)`.
pub(crate) fn on_op(op: &Op, inputs: &[&Tensor], output: &Tensor) {
    with_top(|st| {
        for t in inputs {
            let id = t.id();
            if id >= st.start_id && !st.known.contains(&id) {
                poison(
                    st,
                    Error::Trace(format!(
                        "op '{}' read a tensor that was made while tracing by an op kiln cannot trace yet (only recorded ops, variable reads and Tensor constructors can be traced)",
                        op.name()
                    )),
                );
            }
        }
        let sym = inputs.iter().any(|t| st.symbolic.contains(&t.id()));
        st.known.insert(output.id());
        if sym {
            st.symbolic.insert(output.id());
        }
        st.events.push(Event::Op {
            op: op.clone(),
            inputs: inputs.iter().map(|t| (*t).clone()).collect(),
            output: output.clone(),
        });
    });
}

/// A variable was read.
pub(crate) fn on_read(variable: &Variable, output: &Tensor) {
    with_top(|st| {
        st.known.insert(output.id());
        st.symbolic.insert(output.id());
        st.events.push(Event::ReadVariable {
            variable: variable.clone(),
            output: output.clone(),
        });
    });
}

/// A variable is about to be written; `current` is its value before the write.
pub(crate) fn on_write(variable: &Variable, kind: WriteKind, value: &Tensor, current: &Tensor) {
    with_top(|st| {
        if st.snap_ids.insert(variable.id()) {
            st.snapshots.push((variable.clone(), current.clone()));
        }
        let id = value.id();
        if id >= st.start_id && !st.known.contains(&id) {
            poison(
                st,
                Error::Trace(format!(
                    "{} on variable '{}' wrote a tensor made by an op kiln cannot trace yet",
                    kind.name(),
                    variable.name()
                )),
            );
        }
        st.events.push(Event::WriteVariable {
            variable: variable.clone(),
            kind,
            value: value.clone(),
        });
    });
}

/// A variable was created.
pub(crate) fn on_create(variable: &Variable) {
    with_top(|st| {
        st.events.push(Event::CreateVariable {
            variable: variable.clone(),
        })
    });
}

/// A write the graph cannot express (`update_in_place`). Returns the error to raise.
pub(crate) fn on_opaque_write(variable: &Variable) -> Option<Error> {
    with_top(|st| {
        let e = Error::Trace(format!(
            "update_in_place on variable '{}' cannot be traced: a closure over raw elements is not a graph op; use assign, assign_add or assign_sub with tensor ops",
            variable.name()
        ));
        poison(st, e.clone());
        e
    })
}

/// A public constructor made `t` (a constant of the trace).
#[inline]
pub(crate) fn on_constant(t: &Tensor) {
    if !active() {
        return;
    }
    // A constant of a nested trace is a constant of every enclosing one too (a nested
    // function's graph replays it into the outer trace).
    STACK.with(|s| {
        for st in s.borrow().iter() {
            let mut st = st.borrow_mut();
            st.known.insert(t.id());
            st.constants.insert(t.id());
        }
    });
}

/// Rust code reads `t`'s elements. Fails when `t` depends on a traced input.
#[inline]
pub(crate) fn on_value_read(t: &Tensor, what: &'static str) -> crate::Result<()> {
    if t.is_meta() {
        return Err(Error::Meta(format!(
            "{what}() read the values of a meta tensor of shape {} ({}), which carries only its shape and dtype; code that branches on values cannot run on the meta device (give the layer a compute_output_shape, or run it on real data)",
            crate::shape::fmt_shape(t.shape()),
            t.dtype().name()
        )));
    }
    if !active() {
        return Ok(());
    }
    // Any enclosing capture counts: a cond branch is traced inside its function's trace.
    let stack = STACK.with(|s| s.borrow().clone());
    if stack
        .iter()
        .any(|st| st.borrow().symbolic.contains(&t.id()))
    {
        let e = Error::Trace(format!(
            "{what}() read the value of a tensor that depends on the traced function's inputs; inside kiln::function a Rust `if`/`while` on a tensor would be frozen into the trace: use kiln::function::cond / while_loop, or run_functions_eagerly(true) to debug"
        ));
        for st in &stack {
            poison(&mut st.borrow_mut(), e.clone());
        }
        return Err(e);
    }
    Ok(())
}

/// A gradient computed by a tape's backward walk while capturing: it must be a tensor the
/// capture knows (made by recorded ops), or the graph would replay a stale value.
pub(crate) fn on_gradient(op: &Op, g: &Tensor) {
    with_top(|st| {
        let id = g.id();
        if id >= st.start_id && !st.known.contains(&id) {
            poison(
                st,
                Error::Trace(format!(
                    "the gradient of op '{}' is computed by a kernel kiln cannot trace yet",
                    op.name()
                )),
            );
        }
    });
}

/// Ids the innermost capture treats as symbolic (for tests and listings).
pub fn symbolic_count() -> usize {
    with_top(|st| st.symbolic.len()).unwrap_or(0)
}
