//! The public op surface: methods on [`crate::Tensor`], grouped by family.
//!
//! Each op validates its arguments (returning an [`crate::Error`] naming the op, shapes and
//! dtypes), runs a CPU kernel from `crate::cpu`, and, only when a tape is recording and
//! watches an input, records a backward function built from other ops.

pub mod activation;
pub mod attention;
pub mod binary;
pub mod compare;
pub mod conv;
pub mod conv3d;
pub mod dropout;
pub mod eval;
pub(crate) mod gather_map;
pub mod index;
pub mod layer_norm;
pub mod linalg;
pub mod loss;
pub mod manip;
pub mod math;
pub mod pool;
pub mod pool3d;
pub mod reduce;
pub mod resize;
pub mod rnn;
pub mod shape;
pub mod softmax;
pub mod unary;

use std::rc::Rc;

use crate::autodiff::tape::{self, BackwardFn};
pub(crate) use crate::autodiff::Op;
use crate::shape::fmt_shape;
use crate::{Error, Result, Tensor};
pub use eval::eval;

/// Records `out = op(inputs)` when a tape watches an input. `op` names the op and its
/// attributes; `backward` maps the output gradient to one optional gradient per input.
/// Both are only built when something records.
#[inline]
pub(crate) fn record<F>(
    op: impl FnOnce() -> Op,
    inputs: &[&Tensor],
    out: Tensor,
    backward: F,
) -> Tensor
where
    F: Fn(&Tensor) -> Result<Vec<Option<Tensor>>> + 'static,
{
    if tape::is_recording() {
        tape::record(op, inputs, &out, || Rc::new(backward) as BackwardFn);
    }
    out
}

/// Records the gradients a fused op's backward kernel computed (`grads[i]` for input `i`)
/// when something records its backward pass: each as the op `op(i)`, a gradient op whose
/// inputs are the forward's inputs and the output gradient (`inputs`), which
/// [`eval`] recomputes with the same kernels. A capture (a traced `tape.gradient`) can
/// then replay the fused backward bit for bit. An outer tape records the same ops, with a
/// backward that fails with `why`: the fused kernels have no second derivative.
pub(crate) fn record_fused_grads(
    grads: Vec<Option<Tensor>>,
    op: impl Fn(usize) -> Op,
    inputs: &[&Tensor],
    of: &'static str,
    why: &'static str,
) -> Vec<Option<Tensor>> {
    if !tape::is_recording() {
        return grads;
    }
    grads
        .into_iter()
        .enumerate()
        .map(|(i, g)| g.map(|t| record(|| op(i), inputs, t, move |_| Err(Error::arg(of, why)))))
        .collect()
}

/// The `output` attribute of a fused gradient op as an index below `n` (the forward's
/// number of inputs).
pub(crate) fn grad_output(op: &Op, n: usize) -> Result<usize> {
    match op.get("output") {
        Some(crate::autodiff::AttrValue::Int(i)) if (0..n as i64).contains(i) => Ok(*i as usize),
        other => Err(Error::Trace(format!(
            "eval of op '{}': attribute 'output' must be an input index below {n}, got {other:?} (op is {op})",
            op.name()
        ))),
    }
}

/// [`record`] for an op without a gradient (comparisons, integer results, index
/// computations): recorded so that a capture sees it, with `None` for every input.
#[inline]
pub(crate) fn record_nograd(op: impl FnOnce() -> Op, inputs: &[&Tensor], out: Tensor) -> Tensor {
    let n = inputs.len();
    record(op, inputs, out, move |_| Ok(vec![None; n]))
}

/// [`record`] for a slice of `input` starting at `begin` (its gradient is then added in
/// place into the input's gradient). `size` is the size argument as given (`-1` = to the
/// end), so a replay at another shape slices as the original call did.
pub(crate) fn record_slice<F>(
    input: &Tensor,
    out: Tensor,
    begin: Vec<usize>,
    size: Vec<isize>,
    backward: F,
) -> Tensor
where
    F: Fn(&Tensor) -> Result<Vec<Option<Tensor>>> + 'static,
{
    if tape::is_recording() {
        let op = || {
            Op::new("slice")
                .attr("begin", begin.clone())
                .attr("size", size)
        };
        let sg = tape::SliceGrad {
            in_shape: input.shape().to_vec(),
            begin: begin.clone(),
        };
        tape::record_slice(op, input, &out, sg, || Rc::new(backward) as BackwardFn);
    }
    out
}

/// True when some tape would record an op on these inputs (to skip saving state).
#[inline]
pub(crate) fn needs_grad(inputs: &[&Tensor]) -> bool {
    // A capture must see every op, so ops that skip recording when no tape needs them
    // take their recording path while tracing.
    crate::autodiff::capture::active() || tape::any_watched(inputs)
}

/// Sums `grad` (shaped like a broadcast result) back down to `shape`: the gradient of a
/// broadcast operand.
pub(crate) fn unbroadcast(grad: &Tensor, shape: &[usize]) -> Result<Tensor> {
    if grad.shape() == shape {
        return Ok(grad.clone());
    }
    let extra = grad.rank() - shape.len();
    let mut axes: Vec<isize> = (0..extra as isize).collect();
    for (i, &d) in shape.iter().enumerate() {
        if d == 1 && grad.shape()[extra + i] != 1 {
            axes.push((extra + i) as isize);
        }
    }
    let summed = if axes.is_empty() {
        grad.clone()
    } else {
        grad.sum(&axes, true)?
    };
    summed.reshape(&shape.iter().map(|&d| d as isize).collect::<Vec<_>>())
}

pub(crate) fn same_dtype(op: &'static str, a: &Tensor, b: &Tensor) -> Result<()> {
    if a.dtype() != b.dtype() {
        return Err(Error::dtype(
            op,
            format!(
                "operands have dtypes {} (shape {}) and {} (shape {}); cast one of them first",
                a.dtype().name(),
                fmt_shape(a.shape()),
                b.dtype().name(),
                fmt_shape(b.shape())
            ),
        ));
    }
    Ok(())
}

/// `Err` naming `op` unless `dtype` is numeric: bool tensors need a cast, string tensors
/// have no numeric meaning at all.
pub(crate) fn require_numeric(op: &'static str, dtype: crate::DType) -> Result<()> {
    match dtype {
        crate::DType::Bool => Err(Error::dtype(
            op,
            "bool tensors are not supported; cast to a numeric dtype first",
        )),
        crate::DType::String => Err(Error::dtype(
            op,
            "expected a numeric tensor, got a string tensor (dtype string); string tensors only support shape, data-movement and equality ops",
        )),
        _ => Ok(()),
    }
}
