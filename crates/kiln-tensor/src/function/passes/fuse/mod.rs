//! Elementwise fusion: a connected group of f32 elementwise ops becomes one `Fused` node
//! that computes the whole expression in one pass over the output, without intermediate
//! tensors.
//!
//! **What fuses.** `add`, `sub`, `mul`, `div`, `maximum`, `minimum`, `neg`, `abs`,
//! `square`, `exp`, `log`, `sqrt`, `rsqrt`, `reciprocal`, `tanh`, `sigmoid`, `relu`, and
//! the gradient selects `select_by_sign` / `select_by_input` (the masks of relu-family
//! gradients), on f32 values whose operands have the result's shape or one element
//! (rank not above the result's). Other broadcasts stay unfused.
//!
//! **Groups.** Walking the graph from its end, each fusible node not yet grouped roots a
//! group; an operand joins when it is fusible, has the group's shape, and every use of it
//! is inside the group (a value something else also uses is not recomputed: it becomes an
//! input of the group, computed once). Groups of one op are left alone. The fused node
//! takes the root's place; the other members are computed there too, which is valid as
//! every value is an immutable snapshot (variable reads included).
//!
//! **Bit-exactness.** Each step is evaluated in f32 with the formulas of the op's own
//! kernel: the vectorised `exp`/`tanh`/`sigmoid` of `cpu::simd_math` (with the same
//! AVX2+FMA or portable build the op would pick on this CPU), `f32::ln`/`sqrt`, the
//! NaN-propagating `maximum`/`minimum` of `cpu::num`, the selects' predicates. The loop
//! runs in blocks of [`BLOCK`] elements: each step fills a block-sized scratch array (in
//! L1 cache) from its operands' blocks, so steps stay vectorised loops. Large outputs are
//! split across threads above `ELEMENTWISE_PAR_MIN`, as the elementwise kernels are.
//!
//! **When it does not run fused.** At run time the node falls back to evaluating its ops
//! one by one with [`crate::ops::eval::eval`] (exactly the unfused graph) when a tape
//! watches one of its inputs or a trace is capturing (so that gradients and enclosing
//! traces see every op), when an input is not f32 or its shape does not fit (a relaxed
//! replay), or when a strided input feeds `exp`/`tanh`/`sigmoid` directly (those ops'
//! kernels take a scalar path on strided inputs). Other strided inputs are read through a
//! contiguous copy, or as a scalar when every stride is 0 (a broadcast).
//!
//! **Buffer reuse.** An input that is the value of another node, has the output's shape
//! and is uniquely owned when the node runs (its last use: [`super::reuse`] releases
//! values after their last use) receives the output in place. Each block reads all its
//! operands before the output block is written, so reading and writing the same buffer is
//! safe. Graph inputs and constants are never written.

use std::mem::MaybeUninit;

use rayon::prelude::*;

use super::super::graph::{Graph, Node, NodeKind, Src};
use super::{compact, src_dtype, src_shape, use_counts};
use crate::autodiff::{AttrValue, Op};
use crate::cpu::map::fill_new;
use crate::cpu::num::Num;
use crate::cpu::parallel::{chunk_len, num_threads, ELEMENTWISE_PAR_MIN};
use crate::cpu::simd_math::{self as simd, MulAdd, Unfused};
use crate::{DType, Error, Result, Tensor};

/// Elements per block of the fused loop (a few steps of scratch stay in L1/L2).
pub(crate) const BLOCK: usize = 512;

/// One elementwise step.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Add,
    Sub,
    Mul,
    Div,
    Max,
    Min,
    Neg,
    Abs,
    Square,
    Exp,
    Log,
    Sqrt,
    Rsqrt,
    Recip,
    Tanh,
    Sigmoid,
    Relu,
    /// `g * (x > 0 ? on : off)`.
    SelectSign {
        on: f32,
        off: f32,
    },
    /// `g * (lo < x < hi ? on : off)`, each end `<=` when inclusive, compared in f64.
    SelectPred {
        lo: f64,
        hi: f64,
        lo_inclusive: bool,
        hi_inclusive: bool,
        on: f32,
        off: f32,
    },
}

impl Kind {
    fn arity(self) -> usize {
        match self {
            Kind::Add
            | Kind::Sub
            | Kind::Mul
            | Kind::Div
            | Kind::Max
            | Kind::Min
            | Kind::SelectSign { .. }
            | Kind::SelectPred { .. } => 2,
            _ => 1,
        }
    }

    /// Ops whose own kernel takes another code path on strided f32 inputs.
    fn layout_sensitive(self) -> bool {
        matches!(self, Kind::Exp | Kind::Tanh | Kind::Sigmoid)
    }
}

fn float_attr(op: &Op, key: &str) -> Option<f64> {
    match op.get(key)? {
        AttrValue::Float(v) => Some(*v),
        AttrValue::Int(v) => Some(*v as f64),
        _ => None,
    }
}

fn bool_attr(op: &Op, key: &str) -> Option<bool> {
    match op.get(key)? {
        AttrValue::Bool(v) => Some(*v),
        _ => None,
    }
}

/// The step an op computes, if it fuses.
fn kind_of(op: &Op) -> Option<Kind> {
    Some(match op.name() {
        "add" => Kind::Add,
        "sub" => Kind::Sub,
        "mul" => Kind::Mul,
        "div" => Kind::Div,
        "maximum" => Kind::Max,
        "minimum" => Kind::Min,
        "neg" => Kind::Neg,
        "abs" => Kind::Abs,
        "square" => Kind::Square,
        "exp" => Kind::Exp,
        "log" => Kind::Log,
        "sqrt" => Kind::Sqrt,
        "rsqrt" => Kind::Rsqrt,
        "reciprocal" => Kind::Recip,
        "tanh" => Kind::Tanh,
        "sigmoid" => Kind::Sigmoid,
        "relu" => Kind::Relu,
        // The kernels convert the f64 attributes to f32 the same way.
        "select_by_sign" => Kind::SelectSign {
            on: float_attr(op, "on")? as f32,
            off: float_attr(op, "off")? as f32,
        },
        "select_by_input" => Kind::SelectPred {
            lo: float_attr(op, "lo")?,
            hi: float_attr(op, "hi")?,
            lo_inclusive: bool_attr(op, "lo_inclusive")?,
            hi_inclusive: bool_attr(op, "hi_inclusive")?,
            on: float_attr(op, "on")? as f32,
            off: float_attr(op, "off")? as f32,
        },
        _ => return None,
    })
}

/// Where a step reads an operand.
#[derive(Clone, Copy, Debug)]
enum Arg {
    /// Input `k` of the fused node.
    Leaf(usize),
    /// The result of step `k`.
    Tmp(usize),
}

#[derive(Clone, Debug)]
struct Step {
    /// The original op (for listings and the unfused fallback).
    op: Op,
    kind: Kind,
    /// The operands (the second is unused by one-operand steps).
    args: [Arg; 2],
}

/// The program of a `Fused` node: steps in the original order, the last one the result.
#[derive(Debug)]
pub(crate) struct FusedKernel {
    steps: Vec<Step>,
    /// Per input: traced with the output's shape (else a one-element operand).
    full: Vec<bool>,
    /// Per input: read directly by an `exp`/`tanh`/`sigmoid` step.
    layout_sensitive: Vec<bool>,
    /// Per input: the value of another node (may receive the output in place).
    donor: Vec<bool>,
}

/// An operand of a step, for one block.
#[derive(Clone, Copy)]
enum Opnd<'a> {
    V(&'a [f32]),
    S(f32),
}

/// An input of the fused loop at run time.
enum LeafVal<'a> {
    /// The whole input, row-major.
    Slice(&'a [f32]),
    /// One value, broadcast.
    Scalar(f32),
    /// The input whose buffer receives the output (read from the output block).
    Dst,
}

#[inline(always)]
fn un(a: Opnd<'_>, out: &mut [f32], f: impl Fn(f32) -> f32) {
    match a {
        Opnd::V(x) => {
            for (o, &x) in out.iter_mut().zip(x) {
                *o = f(x);
            }
        }
        Opnd::S(x) => out.fill(f(x)),
    }
}

#[inline(always)]
fn bin(a: Opnd<'_>, b: Opnd<'_>, out: &mut [f32], f: impl Fn(f32, f32) -> f32) {
    match (a, b) {
        (Opnd::V(x), Opnd::V(y)) => {
            for ((o, &x), &y) in out.iter_mut().zip(x).zip(y) {
                *o = f(x, y);
            }
        }
        (Opnd::V(x), Opnd::S(y)) => {
            for (o, &x) in out.iter_mut().zip(x) {
                *o = f(x, y);
            }
        }
        (Opnd::S(x), Opnd::V(y)) => {
            for (o, &y) in out.iter_mut().zip(y) {
                *o = f(x, y);
            }
        }
        (Opnd::S(x), Opnd::S(y)) => out.fill(f(x, y)),
    }
}

/// One step over one block, with the formulas of the ops' own kernels.
#[inline(always)]
fn apply<M: MulAdd>(kind: Kind, a: Opnd<'_>, b: Opnd<'_>, out: &mut [f32]) {
    match kind {
        Kind::Add => bin(a, b, out, |x, y| x + y),
        Kind::Sub => bin(a, b, out, |x, y| x - y),
        Kind::Mul => bin(a, b, out, |x, y| x * y),
        Kind::Div => bin(a, b, out, |x, y| x / y),
        Kind::Max => bin(a, b, out, <f32 as Num>::max),
        Kind::Min => bin(a, b, out, <f32 as Num>::min),
        Kind::Neg => un(a, out, |x| -x),
        Kind::Abs => un(a, out, f32::abs),
        Kind::Square => un(a, out, |x| x * x),
        Kind::Exp => un(a, out, simd::exp_f32::<M>),
        Kind::Log => un(a, out, f32::ln),
        Kind::Sqrt => un(a, out, f32::sqrt),
        Kind::Rsqrt => un(a, out, |x| 1.0 / x.sqrt()),
        Kind::Recip => un(a, out, |x| 1.0 / x),
        Kind::Tanh => un(a, out, simd::tanh_f32::<M>),
        Kind::Sigmoid => un(a, out, simd::sigmoid_f32::<M>),
        Kind::Relu => un(a, out, |x| if x < 0.0 { 0.0 } else { x }),
        Kind::SelectSign { on, off } => bin(a, b, out, |g, x| g * if x > 0.0 { on } else { off }),
        Kind::SelectPred {
            lo,
            hi,
            lo_inclusive,
            hi_inclusive,
            on,
            off,
        } => bin(a, b, out, |g, x| {
            let x = x as f64;
            let inside = (if lo_inclusive { x >= lo } else { x > lo })
                && (if hi_inclusive { x <= hi } else { x < hi });
            g * if inside { on } else { off }
        }),
    }
}

/// Where the fused loop writes: a fresh buffer or an input's buffer.
trait Dst {
    /// The output block `[off, off + len)` as it is now (the donor input's values).
    fn read(&self, off: usize, len: usize) -> &[f32];
    fn write(&mut self, off: usize, v: &[f32]);
}

impl Dst for &mut [MaybeUninit<f32>] {
    fn read(&self, _off: usize, _len: usize) -> &[f32] {
        &[]
    }
    fn write(&mut self, off: usize, v: &[f32]) {
        for (o, &x) in self[off..off + v.len()].iter_mut().zip(v) {
            o.write(x);
        }
    }
}

impl Dst for &mut [f32] {
    fn read(&self, off: usize, len: usize) -> &[f32] {
        &self[off..off + len]
    }
    fn write(&mut self, off: usize, v: &[f32]) {
        self[off..off + v.len()].copy_from_slice(v);
    }
}

/// Runs the steps over output elements `[base, base + dst.len)` (a chunk), block by
/// block. `regs` holds one block of scratch per step.
#[inline(always)]
fn run_chunk<M: MulAdd, D: Dst>(
    steps: &[Step],
    leaves: &[LeafVal<'_>],
    base: usize,
    len: usize,
    mut dst: D,
) {
    let mut regs: Vec<Vec<f32>> = steps.iter().map(|_| vec![0.0f32; BLOCK]).collect();
    let mut off = 0;
    while off < len {
        let n = BLOCK.min(len - off);
        {
            let dst_block = dst.read(off, n);
            for (r, st) in steps.iter().enumerate() {
                let (done, rest) = regs.split_at_mut(r);
                let out = &mut rest[0][..n];
                let opnd = |a: Arg| match a {
                    Arg::Tmp(t) => Opnd::V(&done[t][..n]),
                    Arg::Leaf(k) => match &leaves[k] {
                        LeafVal::Slice(s) => Opnd::V(&s[base + off..base + off + n]),
                        LeafVal::Scalar(v) => Opnd::S(*v),
                        LeafVal::Dst => Opnd::V(dst_block),
                    },
                };
                apply::<M>(st.kind, opnd(st.args[0]), opnd(st.args[1]), out);
            }
        }
        if let Some(last) = regs.last() {
            dst.write(off, &last[..n]);
        }
        off += n;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn run_chunk_avx2<D: Dst>(steps: &[Step], leaves: &[LeafVal<'_>], base: usize, len: usize, dst: D) {
    run_chunk::<simd::Fused, D>(steps, leaves, base, len, dst)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")]
fn run_chunk_avx512<D: Dst>(
    steps: &[Step],
    leaves: &[LeafVal<'_>],
    base: usize,
    len: usize,
    dst: D,
) {
    run_chunk::<simd::Fused, D>(steps, leaves, base, len, dst)
}

/// [`run_chunk`] with the build of the kernel path in use (`cpu::dispatch`); the
/// functions only do safe slice arithmetic compiled for their features.
fn run_chunk_dispatch<D: Dst>(
    steps: &[Step],
    leaves: &[LeafVal<'_>],
    base: usize,
    len: usize,
    dst: D,
) {
    crate::cpu::dispatch::dispatch!(
        avx512 => run_chunk_avx512(steps, leaves, base, len, dst),
        avx2 => run_chunk_avx2(steps, leaves, base, len, dst),
        portable => run_chunk::<Unfused, D>(steps, leaves, base, len, dst),
    )
}

impl FusedKernel {
    /// The program as `t0 = op(a0, a1); t1 = ...` (`a` inputs, `t` steps).
    pub(crate) fn describe(&self) -> String {
        let arg = |a: &Arg| match a {
            Arg::Leaf(k) => format!("a{k}"),
            Arg::Tmp(k) => format!("t{k}"),
        };
        self.steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let args: Vec<String> = s.args[..s.kind.arity()].iter().map(arg).collect();
                format!("t{i} = {}({})", s.op, args.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Number of ops the node computes.
    #[cfg(test)]
    pub(crate) fn num_steps(&self) -> usize {
        self.steps.len()
    }

    /// The ops one by one, as the unfused graph computes them.
    fn run_unfused(&self, ins: &[Tensor]) -> Result<Tensor> {
        let mut vals: Vec<Tensor> = Vec::with_capacity(self.steps.len());
        for s in &self.steps {
            let get = |a: &Arg| match a {
                Arg::Leaf(k) => &ins[*k],
                Arg::Tmp(k) => &vals[*k],
            };
            let args: Vec<&Tensor> = s.args[..s.kind.arity()].iter().map(get).collect();
            let t = crate::ops::eval::eval(&s.op, &args)?;
            vals.push(t);
        }
        vals.pop()
            .ok_or_else(|| Error::Trace("internal: an empty fused node".into()))
    }

    /// Computes the node on its inputs (see the [module docs](self)).
    pub(crate) fn run(&self, ins: Vec<Tensor>) -> Result<Tensor> {
        if ins.len() != self.full.len() {
            return Err(Error::Trace(format!(
                "internal: a fused node takes {} inputs, got {}",
                self.full.len(),
                ins.len()
            )));
        }
        let refs: Vec<&Tensor> = ins.iter().collect();
        if crate::ops::needs_grad(&refs) {
            return self.run_unfused(&ins);
        }
        let Some(shape) = self.runtime_shape(&ins) else {
            return self.run_unfused(&ins);
        };
        let n = crate::shape::numel(&shape);
        // A donor: a node value of the output's shape that nothing else holds.
        let mut slots: Vec<Option<Tensor>> = ins.into_iter().map(Some).collect();
        let mut donor: Option<(usize, Tensor)> = None;
        for (k, slot) in slots.iter_mut().enumerate() {
            if !(self.donor[k] && self.full[k]) {
                continue;
            }
            let unique = slot.as_mut().is_some_and(|t| {
                t.shape() == shape.as_slice() && t.unique_slice_mut::<f32>().is_some()
            });
            if unique && let Some(t) = slot.take() {
                donor = Some((k, t));
                break;
            }
        }
        // Strided inputs: read through a contiguous copy, or as one value when every
        // stride is 0 (a broadcast). One that feeds a layout-sensitive step directly
        // would take the op's scalar path in the unfused graph: run unfused then.
        let mut copies: Vec<Option<Vec<f32>>> = vec![None; slots.len()];
        let mut unfused = false;
        for (k, t) in slots.iter().enumerate() {
            let Some(t) = t else { continue };
            if !self.full[k] || t.is_contiguous() {
                continue;
            }
            if self.layout_sensitive[k] {
                unfused = true;
                break;
            }
            if !t.strides().iter().all(|&s| s == 0) {
                copies[k] = Some(t.data::<f32>().into_owned());
            }
        }
        if unfused {
            return self.run_unfused(&restore(slots, donor));
        }
        let leaves: Vec<LeafVal<'_>> = slots
            .iter()
            .zip(&copies)
            .enumerate()
            .map(|(k, (t, copy))| match (t, copy) {
                (None, _) => LeafVal::Dst,
                (Some(_), Some(c)) => LeafVal::Slice(c),
                (Some(t), None) => match t.contiguous_slice::<f32>() {
                    Some(s) if self.full[k] && s.len() == n => LeafVal::Slice(s),
                    // One element (or a broadcast of one): the element at the offset.
                    _ => LeafVal::Scalar(
                        <f32 as crate::Element>::slice(t.buffer())
                            .and_then(|b| b.get(t.offset()).copied())
                            .unwrap_or(0.0),
                    ),
                },
            })
            .collect();
        let par = n >= ELEMENTWISE_PAR_MIN && num_threads() > 1;
        let c = chunk_len(n, 1 << 14);
        let out = match donor {
            Some((_, mut t)) => {
                let dst = t.unique_slice_mut::<f32>().ok_or_else(|| {
                    Error::Trace("internal: a fused donor lost its buffer".into())
                })?;
                if par {
                    dst.par_chunks_mut(c).enumerate().for_each(|(i, o)| {
                        let len = o.len();
                        run_chunk_dispatch(&self.steps, &leaves, i * c, len, o)
                    });
                } else {
                    run_chunk_dispatch(&self.steps, &leaves, 0, n, dst);
                }
                // A new identity for the result; the donor's handle is dropped.
                t.alias()
            }
            None => {
                let v = fill_new::<f32>(n, |out| {
                    if par {
                        out.par_chunks_mut(c).enumerate().for_each(|(i, o)| {
                            let len = o.len();
                            run_chunk_dispatch(&self.steps, &leaves, i * c, len, o)
                        });
                    } else {
                        run_chunk_dispatch(&self.steps, &leaves, 0, n, out);
                    }
                });
                Tensor::from_vec_unchecked(v, shape)
            }
        };
        Ok(out)
    }

    /// The output shape at run time, or `None` when an input does not fit the program
    /// (not f32, full inputs of different shapes, a one-element input of higher rank).
    fn runtime_shape(&self, ins: &[Tensor]) -> Option<Vec<usize>> {
        let first = self.full.iter().position(|&f| f)?;
        let shape = ins[first].shape().to_vec();
        for (k, t) in ins.iter().enumerate() {
            if t.dtype() != DType::F32 {
                return None;
            }
            let fits = if self.full[k] {
                t.shape() == shape.as_slice()
            } else {
                t.numel() == 1 && t.rank() <= shape.len()
            };
            if !fits {
                return None;
            }
        }
        Some(shape)
    }
}

/// The inputs in order again, after a donor was taken out.
fn restore(mut slots: Vec<Option<Tensor>>, donor: Option<(usize, Tensor)>) -> Vec<Tensor> {
    if let Some((k, t)) = donor {
        slots[k] = Some(t);
    }
    slots.into_iter().flatten().collect()
}

/// The step a node computes, when it may join a fused group of shape `node.shape`.
fn fusible(g: &Graph, node: &Node) -> Option<Kind> {
    let NodeKind::Op { op, inputs } = &node.kind else {
        return None;
    };
    let kind = kind_of(op)?;
    if node.dtype != Some(DType::F32) || inputs.len() != kind.arity() {
        return None;
    }
    for s in inputs {
        let shape = src_shape(g, s)?;
        let fits = shape == node.shape.as_slice()
            || (crate::shape::numel(shape) == 1 && shape.len() <= node.shape.len());
        if !fits || src_dtype(g, s) != Some(DType::F32) {
            return None;
        }
    }
    Some(kind)
}

fn same_src(a: &Src, b: &Src) -> bool {
    match (a, b) {
        (Src::Input(x), Src::Input(y)) | (Src::Node(x), Src::Node(y)) => x == y,
        (Src::Const(x), Src::Const(y)) => x.id() == y.id(),
        _ => false,
    }
}

/// Fuses elementwise groups; returns how many fused nodes it made.
pub(crate) fn run(g: &mut Graph) -> usize {
    let n = g.nodes.len();
    let uses = use_counts(g);
    let kinds: Vec<Option<Kind>> = g.nodes.iter().map(|nd| fusible(g, nd)).collect();
    let mut grouped = vec![false; n];
    let mut keep = vec![true; n];
    let mut made = 0;
    for root in (0..n).rev() {
        if grouped[root] || kinds[root].is_none() {
            continue;
        }
        let shape = g.nodes[root].shape.clone();
        let mut members = vec![root];
        let mut in_group = vec![false; n];
        in_group[root] = true;
        // Grow until no operand has all its uses inside the group.
        loop {
            let mut uses_inside = std::collections::HashMap::<usize, usize>::new();
            for &m in &members {
                if let NodeKind::Op { inputs, .. } = &g.nodes[m].kind {
                    for s in inputs {
                        if let Src::Node(j) = s {
                            *uses_inside.entry(*j).or_default() += 1;
                        }
                    }
                }
            }
            let mut added = false;
            let mut cands: Vec<usize> = uses_inside.keys().copied().collect();
            cands.sort_unstable();
            for j in cands {
                if !in_group[j]
                    && !grouped[j]
                    && kinds[j].is_some()
                    && g.nodes[j].shape == shape
                    && uses_inside[&j] == uses[j]
                {
                    in_group[j] = true;
                    members.push(j);
                    added = true;
                }
            }
            if !added {
                break;
            }
        }
        if members.len() < 2 {
            continue;
        }
        members.sort_unstable();
        let mut leaves: Vec<Src> = Vec::new();
        let mut steps: Vec<Step> = Vec::new();
        let mut step_of = std::collections::HashMap::<usize, usize>::new();
        for &m in &members {
            let (NodeKind::Op { op, inputs }, Some(kind)) = (&g.nodes[m].kind, kinds[m]) else {
                continue;
            };
            let mut args = [Arg::Leaf(0); 2];
            for (a, s) in inputs.iter().enumerate() {
                args[a] = match s {
                    Src::Node(j) if in_group[*j] => Arg::Tmp(step_of[j]),
                    _ => match leaves.iter().position(|l| same_src(l, s)) {
                        Some(k) => Arg::Leaf(k),
                        None => {
                            leaves.push(s.clone());
                            Arg::Leaf(leaves.len() - 1)
                        }
                    },
                };
            }
            step_of.insert(m, steps.len());
            steps.push(Step {
                op: op.clone(),
                kind,
                args,
            });
        }
        let full: Vec<bool> = leaves
            .iter()
            .map(|s| src_shape(g, s) == Some(shape.as_slice()))
            .collect();
        let mut layout_sensitive = vec![false; leaves.len()];
        for s in &steps {
            if s.kind.layout_sensitive()
                && let Arg::Leaf(k) = s.args[0]
            {
                layout_sensitive[k] = true;
            }
        }
        let donor = leaves.iter().map(|s| matches!(s, Src::Node(_))).collect();
        let kernel = FusedKernel {
            steps,
            full,
            layout_sensitive,
            donor,
        };
        for &m in &members {
            grouped[m] = true;
            keep[m] = m == root;
        }
        g.nodes[root].kind = NodeKind::Fused {
            kernel: std::sync::Arc::new(kernel),
            inputs: leaves,
        };
        made += 1;
    }
    if made > 0 {
        compact(g, &keep);
    }
    made
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_same, data, trace, train_step, train_vars};
    use super::super::{cse, dce, fold, simplify};
    use super::*;
    use crate::function::{Args, Value};
    use crate::{GradientTape, Result};

    fn optimize_but_fusion(g: &mut Graph) {
        simplify::run(g);
        fold::run(g);
        simplify::run(g);
        cse::run(g);
        dce::run(g);
    }

    /// Every fusible op with special values (NaN, infinities, signed zeros, huge and
    /// tiny magnitudes) in one expression, at a size that uses threads.
    #[test]
    fn every_kind_is_bit_exact_including_special_values() {
        let f = |a: &Args| -> Result<Value> {
            let x = a.tensor(0)?;
            let y = a.tensor(1)?;
            let s = Tensor::scalar(0.75f32);
            let t = x
                .mul(&y)?
                .add(&s)?
                .sub(&y.neg()?)?
                .div(&x.abs()?.add(&s)?)?;
            let u = t
                .exp()?
                .log()?
                .maximum(&x.tanh()?)?
                .minimum(&y.sigmoid()?.square()?)?;
            let v = u.relu()?.add(&x.abs()?.sqrt()?)?.mul(&y.abs()?.rsqrt()?)?;
            let w = v.reciprocal()?.add(&x.exp()?)?;
            Ok(Value::from(w))
        };
        let n = ELEMENTWISE_PAR_MIN + 1000;
        let special = |mut t: Vec<f32>| {
            let sp = [
                f32::NAN,
                f32::INFINITY,
                f32::NEG_INFINITY,
                0.0,
                -0.0,
                1e-40,
                1e30,
                -88.5,
                89.0,
            ];
            for (i, v) in sp.iter().enumerate() {
                t[i * 7] = *v;
                t[n - 1 - i] = *v;
            }
            Tensor::from_vec(t, &[n]).unwrap()
        };
        let args = [Value::from(data(n, 1)), Value::from(data(n, 2))];
        let before = trace(f, &args);
        let mut after = before.clone();
        optimize_but_fusion(&mut after);
        let nodes = after.nodes.len();
        assert_eq!(run(&mut after), 1, "{}", after.listing());
        assert_eq!(after.nodes.len(), 1, "{}", after.listing());
        let NodeKind::Fused { kernel, .. } = &after.nodes[0].kind else {
            panic!("not fused")
        };
        assert_eq!(kernel.num_steps(), nodes);
        let x = special(data(n, 3).to_vec().unwrap());
        let y = special(data(n, 4).to_vec().unwrap());
        assert_same(&before, &after, &[Value::from(x), Value::from(y)], &[]);
        // Small (single-threaded, partial block) too.
        let small = [Value::from(data(37, 5)), Value::from(data(37, 6))];
        let before = trace(f, &small);
        let mut after = before.clone();
        optimize_but_fusion(&mut after);
        run(&mut after);
        assert_same(
            &before,
            &after,
            &[Value::from(data(37, 7)), Value::from(data(37, 8))],
            &[],
        );
    }

    #[test]
    fn shared_values_are_computed_once_and_other_broadcasts_stay() {
        let f = |a: &Args| -> Result<Value> {
            let x = a.tensor(0)?;
            let b = a.tensor(1)?; // [3]: broadcast against [2, 3], not fused
            let e = x.exp()?; // used by two groups
            let p = e.mul_scalar(2.0)?.neg()?;
            let q = e.add_scalar(1.0)?.sqrt()?.add(&b)?;
            Ok(Value::Tuple(vec![Value::from(p), Value::from(q)]))
        };
        let x = Tensor::from_vec((0..6).map(|i| i as f32 * 0.3 - 1.0).collect(), &[2, 3]).unwrap();
        let b = Tensor::from_vec(vec![0.5f32, -1.0, 2.0], &[3]).unwrap();
        let before = trace(f, &[Value::from(x.clone()), Value::from(b.clone())]);
        let mut after = before.clone();
        assert_eq!(run(&mut after), 2, "{}", after.listing());
        let l = after.listing();
        assert_eq!(l.matches("fused").count(), 2, "{l}");
        assert!(l.contains("%0 = exp(%in0)"), "{l}");
        assert!(l.contains("add(%"), "the broadcast add stays: {l}");
        assert_same(
            &before,
            &after,
            &[Value::from(x.mul_scalar(0.5).unwrap()), Value::from(b)],
            &[],
        );
    }

    #[test]
    fn falls_back_under_a_tape_and_on_strided_inputs() {
        let f = |a: &Args| -> Result<Value> {
            let x = a.tensor(0)?;
            Ok(Value::from(x.exp()?.mul_scalar(3.0)?.tanh()?))
        };
        let x = Tensor::from_vec((0..6).map(|i| i as f32 * 0.7 - 2.0).collect(), &[2, 3]).unwrap();
        let before = trace(f, &[Value::from(x.clone())]);
        let mut after = before.clone();
        run(&mut after);
        assert_eq!(after.nodes.len(), 1);
        // A strided input feeding exp: the unfused kernels take their scalar path.
        let xt = x.transpose(None).unwrap().transpose(None).unwrap();
        let strided = Tensor::from_vec((0..6).map(|i| i as f32 * 0.7 - 2.0).collect(), &[3, 2])
            .unwrap()
            .transpose(None)
            .unwrap();
        assert!(!strided.is_contiguous());
        assert_same(&before, &after, &[Value::from(strided)], &[]);
        assert_same(&before, &after, &[Value::from(xt)], &[]);
        // Under a tape watching the input, gradients flow through the replay.
        let tape = GradientTape::new();
        let xw = x.clone();
        tape.watch(&xw);
        let (tensors, vars) = crate::function::leaves(&Value::Tuple(vec![Value::from(xw.clone())]));
        let y = after.run(&tensors, &vars).unwrap();
        let yt = y.as_tensor().unwrap().sum_all().unwrap();
        let g = tape.gradient(&yt, &[&xw]).unwrap().remove(0).unwrap();
        let tape2 = GradientTape::new();
        tape2.watch(&xw);
        let y2 = before.run(&tensors, &vars).unwrap();
        let g2 = tape2
            .gradient(&y2.as_tensor().unwrap().sum_all().unwrap(), &[&xw])
            .unwrap()
            .remove(0)
            .unwrap();
        assert_eq!(g.to_vec::<f32>().unwrap(), g2.to_vec::<f32>().unwrap());
    }

    #[test]
    fn gradient_and_update_step_replays_bit_identically() {
        for n in [64, ELEMENTWISE_PAR_MIN + 3] {
            let (w, m, v, vars) = train_vars(n);
            let args = [Value::from(data(n, 11)), Value::from(data(n, 12))];
            let before = trace(train_step(w, m, v), &args);
            let mut after = before.clone();
            optimize_but_fusion(&mut after);
            let nodes = after.nodes.len();
            let made = run(&mut after);
            assert!(
                made >= 3,
                "forward/backward and the update:\n{}",
                after.listing()
            );
            assert!(after.nodes.len() < nodes, "{}", after.listing());
            super::super::reuse::run(&mut after);
            assert_same(
                &before,
                &after,
                &[Value::from(data(n, 13)), Value::from(data(n, 14))],
                &vars,
            );
        }
    }
}
