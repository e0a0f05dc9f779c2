//! The fused kernel: a chain of elementwise steps over its leaves, evaluated block by
//! block (AVX2/AVX-512 variants chosen at run time), in place into a donated buffer
//! where it can.

use std::mem::MaybeUninit;

use rayon::prelude::*;

use crate::autodiff::Op;
use crate::cpu::map::fill_new;
use crate::cpu::num::Num;
use crate::cpu::parallel::{chunk_len, num_threads, ELEMENTWISE_PAR_MIN};
use crate::cpu::simd_math::{self as simd, MulAdd, Unfused};
use crate::{DType, Error, Result, Tensor};

use super::kind::Kind;
use super::BLOCK;

/// Where a step reads an operand.
#[derive(Clone, Copy, Debug)]
pub(super) enum Arg {
    /// Input `k` of the fused node.
    Leaf(usize),
    /// The result of step `k`.
    Tmp(usize),
}

#[derive(Clone, Debug)]
pub(super) struct Step {
    /// The original op (for listings and the unfused fallback).
    pub(super) op: Op,
    pub(super) kind: Kind,
    /// The operands (the second is unused by one-operand steps).
    pub(super) args: [Arg; 2],
}

/// The program of a `Fused` node: steps in the original order, the last one the result.
#[derive(Debug)]
pub(crate) struct FusedKernel {
    pub(super) steps: Vec<Step>,
    /// Per input: traced with the output's shape (else a one-element operand).
    pub(super) full: Vec<bool>,
    /// Per input: read directly by an `exp`/`tanh`/`sigmoid` step.
    pub(super) layout_sensitive: Vec<bool>,
    /// Per input: the value of another node (may receive the output in place).
    pub(super) donor: Vec<bool>,
}

/// An operand of a step, for one block.
#[derive(Clone, Copy)]
pub(super) enum Opnd<'a> {
    V(&'a [f32]),
    S(f32),
}

/// An input of the fused loop at run time.
pub(super) enum LeafVal<'a> {
    /// The whole input, row-major.
    Slice(&'a [f32]),
    /// One value, broadcast.
    Scalar(f32),
    /// The input whose buffer receives the output (read from the output block).
    Dst,
}

#[inline(always)]
pub(super) fn un(a: Opnd<'_>, out: &mut [f32], f: impl Fn(f32) -> f32) {
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
pub(super) fn bin(a: Opnd<'_>, b: Opnd<'_>, out: &mut [f32], f: impl Fn(f32, f32) -> f32) {
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
pub(super) fn apply<M: MulAdd>(kind: Kind, a: Opnd<'_>, b: Opnd<'_>, out: &mut [f32]) {
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
pub(super) trait Dst {
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
pub(super) fn run_chunk<M: MulAdd, D: Dst>(
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
pub(super) fn run_chunk_avx2<D: Dst>(
    steps: &[Step],
    leaves: &[LeafVal<'_>],
    base: usize,
    len: usize,
    dst: D,
) {
    run_chunk::<simd::Fused, D>(steps, leaves, base, len, dst)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")]
pub(super) fn run_chunk_avx512<D: Dst>(
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
pub(super) fn run_chunk_dispatch<D: Dst>(
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
    pub(super) fn run_unfused(&self, ins: &[Tensor]) -> Result<Tensor> {
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
    pub(super) fn runtime_shape(&self, ins: &[Tensor]) -> Option<Vec<usize>> {
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
pub(super) fn restore(
    mut slots: Vec<Option<Tensor>>,
    donor: Option<(usize, Tensor)>,
) -> Vec<Tensor> {
    if let Some((k, t)) = donor {
        slots[k] = Some(t);
    }
    slots.into_iter().flatten().collect()
}
