//! Fused recurrent sequences: a whole LSTM or GRU sequence as one op on the tape (what
//! cuDNN and PyTorch's `nn.LSTM` do), with Keras's gate layouts and mask semantics.
//!
//! Forward: one GEMM `x · kernel` for every step, then per step one GEMM
//! `h · recurrent_kernel` (two for GRU with `reset_after = false`) and the gate
//! arithmetic fused in place. Backward: through time with one recurrent GEMM per step,
//! then one GEMM each for the kernel, recurrent-kernel and input gradients. The kernels
//! live in `crate::cpu::rnn`.

use crate::autodiff::Op;
use std::rc::Rc;

use crate::cpu::gemm::{gemm_float, GemmFloat, MatRef, GEMM_PAR_MIN_FLOPS};
use crate::cpu::map::fill_new;
use crate::cpu::rnn::{self as kern, Geom, Kind, RnnFloat, Saved};
use crate::ops::{needs_grad, record, record_fused_grads};
use crate::shape::fmt_shape;
use crate::{DType, Element, Error, Result, Tensor};

/// The cell a fused [`Tensor::recurrent_sequence`] runs, with Keras's weight layouts.
///
/// - `Lstm`: `kernel (features, 4u)`, `recurrent_kernel (u, 4u)`, gates `i, f, c, o` in
///   that column order, `bias (4u)`; states `[h, c]`.
/// - `Gru { reset_after }`: gates `z, r, h`, `kernel (features, 3u)`,
///   `recurrent_kernel (u, 3u)`; bias `(2, 3u)` (input row, recurrent row) when
///   `reset_after`, else `(3u)`; state `[h]`; `h = z * h_prev + (1 - z) * candidate`.
///
/// Activations are Keras's defaults: `tanh` for the candidate and output, `sigmoid` for
/// the gates.
///
/// ```
/// use kiln_tensor::ops::rnn::RecurrentCell;
/// assert_eq!(RecurrentCell::Lstm.num_states(), 2);
/// assert_eq!(RecurrentCell::Gru { reset_after: true }.num_gates(), 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecurrentCell {
    /// Long short-term memory.
    Lstm,
    /// Gated recurrent unit.
    Gru {
        /// Apply the reset gate after the recurrent product (Keras's default, cuDNN's).
        reset_after: bool,
    },
}

impl RecurrentCell {
    fn kind(self) -> Kind {
        match self {
            RecurrentCell::Lstm => Kind::Lstm,
            RecurrentCell::Gru { reset_after: true } => Kind::GruAfter,
            RecurrentCell::Gru { reset_after: false } => Kind::GruBefore,
        }
    }
    /// Number of gate blocks in the kernels' columns (LSTM 4, GRU 3).
    ///
    /// ```
    /// assert_eq!(kiln_tensor::ops::rnn::RecurrentCell::Lstm.num_gates(), 4);
    /// ```
    pub fn num_gates(self) -> usize {
        self.kind().gates()
    }
    /// Number of states (LSTM 2: `h, c`; GRU 1: `h`).
    ///
    /// ```
    /// assert_eq!(kiln_tensor::ops::rnn::RecurrentCell::Gru { reset_after: false }.num_states(), 1);
    /// ```
    pub fn num_states(self) -> usize {
        self.kind().states()
    }
    fn bias_shape(self, u: usize) -> Vec<usize> {
        match self.kind() {
            Kind::Lstm => vec![4 * u],
            Kind::GruAfter => vec![2, 3 * u],
            Kind::GruBefore => vec![3 * u],
        }
    }
}

/// Flags of a fused recurrent sequence (Keras's `RNN` arguments of the same names).
///
/// ```
/// let o = kiln_tensor::ops::rnn::SequenceOptions::default();
/// assert!(!o.go_backwards && !o.zero_output_for_mask);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SequenceOptions {
    /// Process the sequence reversed; outputs are returned in processing order.
    pub go_backwards: bool,
    /// Masked steps output zeros instead of repeating the previous output.
    pub zero_output_for_mask: bool,
}

const OP: &str = "recurrent_sequence";
const GRAD_OP: &str = "recurrent_sequence_grad";

impl Tensor {
    /// Runs a whole LSTM or GRU over this `(batch, time, features)` sequence as one op:
    /// returns `[outputs (batch, time, units), final states...]` (LSTM `h, c`; GRU `h`),
    /// outputs in processing order.
    ///
    /// `initial_state` is empty (zeros) or one `(batch, units)` tensor per state. `mask`
    /// is an optional `(batch, time)` bool tensor: a masked step carries the states
    /// unchanged and outputs the previous output (zeros before the first kept step), or
    /// zeros with `zero_output_for_mask`, as Keras's `RNN`. f32 and f64; all operands
    /// share the dtype. The gradient flows to every float operand; it is computed by the
    /// fused kernels, so a tape that records this op's backward pass gets an error if it
    /// differentiates through it again (take second derivatives through the per-step
    /// ops instead).
    ///
    /// ```
    /// use kiln_tensor::ops::rnn::{RecurrentCell, SequenceOptions};
    /// use kiln_tensor::{DType, Tensor};
    /// let x = Tensor::ones(&[2, 5, 3], DType::F32);
    /// let k = Tensor::full(&[3, 8], 0.1, DType::F32);
    /// let rk = Tensor::full(&[2, 8], 0.1, DType::F32);
    /// let out = x.recurrent_sequence(RecurrentCell::Lstm, &k, &rk, None, &[], None,
    ///     SequenceOptions::default())?;
    /// assert_eq!(out[0].shape(), &[2, 5, 2]);
    /// assert_eq!(out[1].shape(), &[2, 2]); // h
    /// assert_eq!(out[2].shape(), &[2, 2]); // c
    /// assert!(x.recurrent_sequence(RecurrentCell::Lstm, &rk, &rk, None, &[], None,
    ///     SequenceOptions::default()).is_err()); // kernel has 2 rows, features are 3
    /// # Ok::<(), kiln_tensor::Error>(())
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn recurrent_sequence(
        &self,
        cell: RecurrentCell,
        kernel: &Tensor,
        recurrent_kernel: &Tensor,
        bias: Option<&Tensor>,
        initial_state: &[Tensor],
        mask: Option<&Tensor>,
        options: SequenceOptions,
    ) -> Result<Vec<Tensor>> {
        let packed = self.recurrent_packed(
            cell,
            kernel,
            recurrent_kernel,
            bias,
            initial_state,
            mask,
            options,
        )?;
        let (b, t, u) = (
            self.shape()[0],
            self.shape()[1],
            recurrent_kernel.shape()[0],
        );
        let (bi, ti, ui) = (b as isize, t as isize, u as isize);
        let mut out = vec![packed.slice(&[0, 0, 0], &[bi, ti, ui])?];
        for i in 0..cell.num_states() as isize {
            out.push(
                packed
                    .slice(&[0, ti + i, 0], &[bi, 1, ui])?
                    .reshape(&[bi, ui])?,
            );
        }
        Ok(out)
    }

    /// [`Tensor::recurrent_sequence`]'s one recorded op: outputs and final states packed
    /// along the time axis, `(batch, time + states, units)`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn recurrent_packed(
        &self,
        cell: RecurrentCell,
        kernel: &Tensor,
        recurrent_kernel: &Tensor,
        bias: Option<&Tensor>,
        initial_state: &[Tensor],
        mask: Option<&Tensor>,
        options: SequenceOptions,
    ) -> Result<Tensor> {
        let args = prepare(
            self,
            cell,
            kernel,
            recurrent_kernel,
            bias,
            initial_state,
            mask,
            options,
        )?;
        let packed = match self.dtype() {
            DType::F32 => run::<f32>(args, cell, options, mask)?,
            _ => run::<f64>(args, cell, options, mask)?,
        };
        Ok(packed)
    }
}

/// Validates the operands of a fused sequence.
#[allow(clippy::too_many_arguments)]
fn prepare<'a>(
    x: &'a Tensor,
    cell: RecurrentCell,
    kernel: &'a Tensor,
    recurrent_kernel: &'a Tensor,
    bias: Option<&'a Tensor>,
    initial_state: &'a [Tensor],
    mask: Option<&Tensor>,
    options: SequenceOptions,
) -> Result<Args<'a>> {
    let dt = x.dtype();
    if dt != DType::F32 && dt != DType::F64 {
        return Err(Error::dtype(
            OP,
            format!("expected an f32 or f64 sequence, got {}", dt.name()),
        ));
    }
    if x.rank() != 3 {
        return Err(Error::shape(
            OP,
            format!(
                "expected a (batch, time, features) sequence, got shape {}",
                fmt_shape(x.shape())
            ),
        ));
    }
    let (b, t, d) = (x.shape()[0], x.shape()[1], x.shape()[2]);
    if t == 0 {
        return Err(Error::shape(OP, "the sequence has no time steps"));
    }
    let gates = cell.num_gates();
    let rs = recurrent_kernel.shape();
    if rs.len() != 2 || rs[0] == 0 || rs[1] != gates * rs[0] {
        return Err(Error::shape(
            OP,
            format!(
                "recurrent_kernel must be (units, {gates} * units), got {}",
                fmt_shape(rs)
            ),
        ));
    }
    let u = rs[0];
    let mut operands: Vec<(&str, &Tensor, Vec<usize>)> = vec![
        ("kernel", kernel, vec![d, gates * u]),
        ("recurrent_kernel", recurrent_kernel, vec![u, gates * u]),
    ];
    if let Some(bt) = bias {
        operands.push(("bias", bt, cell.bias_shape(u)));
    }
    if !initial_state.is_empty() && initial_state.len() != cell.num_states() {
        return Err(Error::arg(
            OP,
            format!(
                "expected {} initial states, got {}",
                cell.num_states(),
                initial_state.len()
            ),
        ));
    }
    for s in initial_state {
        operands.push(("initial state", s, vec![b, u]));
    }
    for (name, tns, want) in &operands {
        if tns.shape() != want.as_slice() {
            return Err(Error::shape(
                OP,
                format!(
                    "{name} has shape {}, expected {} for a sequence of shape {}",
                    fmt_shape(tns.shape()),
                    fmt_shape(want),
                    fmt_shape(x.shape())
                ),
            ));
        }
        if tns.dtype() != dt {
            return Err(Error::dtype(
                OP,
                format!(
                    "{name} has dtype {}, but the sequence is {}",
                    tns.dtype().name(),
                    dt.name()
                ),
            ));
        }
    }
    let mask_v: Option<Vec<bool>> = match mask {
        None => None,
        Some(m) => {
            if m.shape() != [b, t] || m.dtype() != DType::Bool {
                return Err(Error::shape(
                    OP,
                    format!(
                        "the mask must be a bool tensor of shape ({b}, {t}), got {} {}",
                        m.dtype().name(),
                        fmt_shape(m.shape())
                    ),
                ));
            }
            Some(m.data::<bool>().into_owned())
        }
    };
    let geom = Geom {
        kind: cell.kind(),
        b,
        t,
        u,
        back: options.go_backwards,
        zero_out: options.zero_output_for_mask,
    };
    Ok(Args {
        geom,
        d,
        x,
        kernel,
        rk: recurrent_kernel,
        bias,
        states: initial_state,
        mask: mask_v,
    })
}

struct Args<'a> {
    geom: Geom,
    d: usize,
    x: &'a Tensor,
    kernel: &'a Tensor,
    rk: &'a Tensor,
    bias: Option<&'a Tensor>,
    states: &'a [Tensor],
    mask: Option<Vec<bool>>,
}

/// `a (m x k) · b (k x n)` of contiguous row-major slices into a new vector.
fn product<T: GemmFloat>(m: usize, n: usize, k: usize, a: &[T], b: &[T]) -> Vec<T> {
    let threads = 2 * m * n * k >= GEMM_PAR_MIN_FLOPS;
    let (a, b) = (
        MatRef {
            data: a,
            off: 0,
            rs: k as isize,
            cs: 1,
        },
        MatRef {
            data: b,
            off: 0,
            rs: n as isize,
            cs: 1,
        },
    );
    fill_new(m * n, |out| gemm_float(m, n, k, a, b, out, threads))
}

/// Column sums of a row-major `(rows, n)` tensor.
fn col_sums<T: RnnFloat + Element>(v: &Tensor, n: usize) -> Vec<T> {
    let d = v.data::<T>();
    let mut s = vec![T::zero(); n];
    for row in d.chunks_exact(n) {
        for (a, &x) in s.iter_mut().zip(row) {
            *a += x;
        }
    }
    s
}

/// The forward pass's saved buffers, `hprev` as a tensor for the weight-gradient GEMM.
struct SavedT<T> {
    gates: Vec<T>,
    hprev: Tensor,
    aux1: Vec<T>,
    aux2: Vec<T>,
}

/// The contiguous operands and saved state of one fused sequence's forward pass: what
/// its backward pass reads.
struct Ctx<T> {
    geom: Geom,
    d: usize,
    x: Tensor,
    kernel: Tensor,
    rk: Tensor,
    mask: Option<Vec<bool>>,
    saved: SavedT<T>,
}

/// Runs the forward kernel: the packed outputs and the context for the backward pass.
fn forward_typed<T: RnnFloat + Element>(a: Args) -> (Vec<T>, Ctx<T>) {
    let g = a.geom;
    let (b, t, u, d) = (g.b, g.t, g.u, a.d);
    let gu = g.kind.gates() * u;
    let x = a.x.contiguous_unrecorded();
    let kernel = a.kernel.contiguous_unrecorded();
    let rk = a.rk.contiguous_unrecorded();
    let mut xp = product::<T>(b * t, gu, d, &x.data::<T>(), &kernel.data::<T>());
    let bias = a.bias.map(|t| t.contiguous_unrecorded());
    let bias_d: Option<Vec<T>> = bias.as_ref().map(|t| t.data::<T>().into_owned());
    if let Some(bd) = &bias_d {
        // The input row of the bias joins the projection; GRU-after's recurrent row is
        // added to the recurrent product inside the kernel.
        for row in xp.chunks_exact_mut(gu) {
            for (v, &bv) in row.iter_mut().zip(&bd[..gu]) {
                *v += bv;
            }
        }
    }
    let rbias = match (g.kind, &bias_d) {
        (Kind::GruAfter, Some(bd)) => Some(&bd[gu..2 * gu]),
        _ => None,
    };
    let zeros = vec![T::zero(); b * u];
    let h0 = a.states.first().map(|s| s.contiguous_unrecorded());
    let c0 = a.states.get(1).map(|s| s.contiguous_unrecorded());
    let h0d = h0.as_ref().map(|s| s.data::<T>());
    let c0d = c0.as_ref().map(|s| s.data::<T>());
    let c0s: &[T] = match (g.kind, &c0d) {
        (Kind::Lstm, Some(c)) => c,
        (Kind::Lstm, None) => &zeros,
        _ => &[],
    };
    let (packed, saved) = kern::forward::<T>(
        &g,
        xp,
        &rk.data::<T>(),
        rbias,
        h0d.as_deref().unwrap_or(&zeros),
        c0s,
        a.mask.as_deref(),
    );
    let saved = SavedT {
        gates: saved.gates,
        hprev: Tensor::from_vec_unchecked(saved.hprev, vec![b * t, u]),
        aux1: saved.aux1,
        aux2: saved.aux2,
    };
    drop((h0d, c0d));
    let ctx = Ctx {
        geom: g,
        d,
        x,
        kernel,
        rk,
        mask: a.mask,
        saved,
    };
    (packed, ctx)
}

/// Which gradients to compute, in the forward's input order: `x`, `kernel`,
/// `recurrent_kernel`, then `bias` and the initial states when present.
struct Need {
    x: bool,
    kernel: bool,
    rk: bool,
    bias: Option<bool>,
    states: Vec<bool>,
}

/// The fused backward kernel (through time) and the weight and input GEMMs: one
/// gradient per forward input (`None` where `need` does not ask).
fn grads_typed<T: RnnFloat + Element>(
    c: &Ctx<T>,
    gp: &Tensor,
    need: &Need,
) -> Result<Vec<Option<Tensor>>> {
    let g = c.geom;
    let (b, t, u, d) = (g.b, g.t, g.u, c.d);
    let gu = g.kind.gates() * u;
    let as_t = move |v: Vec<T>, cols: usize| Tensor::from_vec_unchecked(v, vec![b * t, cols]);
    // The GEMMs below are ordinary ops on internal buffers: neither a tape nor a trace
    // may see them (the gradients are recorded as gradient ops by the caller).
    let _pause = crate::autodiff::no_recording();
    let _hidden = crate::autodiff::capture::suspend();
    let saved = &c.saved;
    let gpc = gp.contiguous_unrecorded();
    let gd = gpc.data::<T>();
    let hprev = saved.hprev.data::<T>();
    let view = Saved {
        gates: &saved.gates[..],
        hprev: &hprev[..],
        aux1: &saved.aux1[..],
        aux2: &saved.aux2[..],
    };
    let rkd = c.rk.data::<T>();
    let gr = kern::backward::<T>(&g, &view, &rkd, &gd, c.mask.as_deref());
    let dgates = as_t(gr.dgates, gu);
    let drec = match g.kind {
        Kind::GruAfter => Some(as_t(gr.drec, gu)),
        _ => None,
    };
    let mut out: Vec<Option<Tensor>> = Vec::new();
    out.push(if need.x {
        Some(
            dgates
                .matmul_t(&c.kernel, false, true)?
                .reshape(&[b as isize, t as isize, d as isize])?,
        )
    } else {
        None
    });
    out.push(if need.kernel {
        let x2 = c.x.reshape(&[(b * t) as isize, d as isize])?;
        Some(x2.matmul_t(&dgates, true, false)?)
    } else {
        None
    });
    out.push(if need.rk {
        Some(match g.kind {
            Kind::Lstm => saved.hprev.matmul_t(&dgates, true, false)?,
            Kind::GruAfter => {
                saved
                    .hprev
                    .matmul_t(drec.as_ref().unwrap_or(&dgates), true, false)?
            }
            Kind::GruBefore => {
                let rows = (b * t) as isize;
                let ui = u as isize;
                let zr = dgates.slice(&[0, 0], &[rows, 2 * ui])?;
                let hh = dgates.slice(&[0, 2 * ui], &[rows, ui])?;
                let rh = Tensor::from_vec_unchecked(saved.aux1.clone(), vec![b * t, u]);
                let p1 = saved.hprev.matmul_t(&zr, true, false)?;
                let p2 = rh.matmul_t(&hh, true, false)?;
                Tensor::concat(&[&p1, &p2], 1)?
            }
        })
    } else {
        None
    });
    if let Some(need_b) = need.bias {
        out.push(if need_b {
            let sg: Vec<T> = col_sums::<T>(&dgates, gu);
            Some(match &drec {
                Some(dr) => {
                    let mut v = sg;
                    v.extend(col_sums::<T>(dr, gu));
                    Tensor::from_vec_unchecked(v, vec![2, gu])
                }
                None => Tensor::from_vec_unchecked(sg, vec![gu]),
            })
        } else {
            None
        });
    }
    let mut dstates = [Some(gr.dh0), Some(gr.dc0)];
    for (i, &n) in need.states.iter().enumerate() {
        let d = dstates.get_mut(i).and_then(Option::take);
        out.push(match (n, d) {
            (true, Some(d)) => Some(Tensor::from_vec_unchecked(d, vec![b, u])),
            _ => None,
        });
    }
    Ok(out)
}

fn run<T: RnnFloat + Element>(
    a: Args,
    cell: RecurrentCell,
    options: SequenceOptions,
    mask_t: Option<&Tensor>,
) -> Result<Tensor> {
    let g = a.geom;
    let mut inputs: Vec<&Tensor> = vec![a.x, a.kernel, a.rk];
    if let Some(bt) = a.bias {
        inputs.push(bt);
    }
    inputs.extend(a.states.iter());
    let need = Need {
        x: needs_grad(&[a.x]),
        kernel: needs_grad(&[a.kernel]),
        rk: needs_grad(&[a.rk]),
        bias: a.bias.map(|bt| needs_grad(&[bt])),
        states: a.states.iter().map(|s| needs_grad(&[s])).collect(),
    };
    let any = needs_grad(&inputs);
    // Meta operands: the packed output's shape, nothing computed or recorded.
    let packed_shape = [g.b, g.packed_rows(), g.u];
    if let Some(m) = crate::meta::rule(&inputs, &packed_shape, a.x.dtype()) {
        return Ok(m);
    }
    let (packed, ctx) = forward_typed::<T>(a);
    let packed = Tensor::from_vec_unchecked(packed, vec![g.b, g.packed_rows(), g.u]);
    if !any {
        return Ok(packed);
    }
    let has_bias = need.bias.is_some();
    let n_states = need.states.len();
    let n_in = inputs.len();
    // The mask is an input of the op too, without a gradient.
    inputs.extend(mask_t);
    let has_mask = mask_t.is_some();
    let originals: Vec<Tensor> = inputs.iter().map(|t| (*t).clone()).collect();
    let ctx = Rc::new(ctx);
    let backward = move |gp: &Tensor| -> Result<Vec<Option<Tensor>>> {
        let grads = grads_typed::<T>(&ctx, gp, &need)?;
        let mut deps: Vec<&Tensor> = originals.iter().collect();
        deps.push(gp);
        Ok(record_fused_grads(
            grads,
            |i| grad_op(cell, options, has_bias, n_states, has_mask, i),
            &deps,
            OP,
            "the fused recurrent kernel has no second derivative; run the layer with \
             more than one tape recording (its per-step path) to differentiate twice",
        ))
    };
    let n = inputs.len();
    debug_assert_eq!(n, n_in + has_mask as usize);
    Ok(record(
        move || forward_op(cell, options, has_bias, n_states, has_mask),
        &inputs,
        packed,
        move |g| {
            let mut v = backward(g)?;
            v.resize(n, None);
            Ok(v)
        },
    ))
}

/// The recorded forward op.
fn forward_op(
    cell: RecurrentCell,
    options: SequenceOptions,
    has_bias: bool,
    n_states: usize,
    has_mask: bool,
) -> Op {
    let name = match cell {
        RecurrentCell::Lstm => "lstm",
        RecurrentCell::Gru { reset_after: false } => "gru",
        RecurrentCell::Gru { reset_after: true } => "gru_reset_after",
    };
    Op::new(OP)
        .attr("cell", name)
        .attr("go_backwards", options.go_backwards)
        .attr("zero_output_for_mask", options.zero_output_for_mask)
        .attr("has_bias", has_bias)
        .attr("num_states", n_states)
        .attr("has_mask", has_mask)
}

/// The gradient op for forward input `output` (`x`, `kernel`, `recurrent_kernel`, then
/// `bias` and the initial states when present): the forward's attributes plus
/// `output`. Inputs: the forward's (the mask included), then the packed output's
/// gradient.
fn grad_op(
    cell: RecurrentCell,
    options: SequenceOptions,
    has_bias: bool,
    n_states: usize,
    has_mask: bool,
    output: usize,
) -> Op {
    let f = forward_op(cell, options, has_bias, n_states, has_mask);
    let mut op = Op::new(GRAD_OP);
    for (k, v) in f.attrs() {
        op = op.attr(k, v.clone());
    }
    op.attr("output", output)
}

impl Tensor {
    /// Evaluates a `recurrent_sequence_grad` op: reruns the forward kernel for its saved
    /// gate activations, then the backward kernel and the gradient GEMMs, bit-identical
    /// to the eager backward pass. `self` and the operands are the forward's, `gp` the
    /// packed output's gradient; `output` picks the gradient (an index into the forward's
    /// float inputs).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn recurrent_packed_grad(
        &self,
        cell: RecurrentCell,
        kernel: &Tensor,
        recurrent_kernel: &Tensor,
        bias: Option<&Tensor>,
        initial_state: &[Tensor],
        mask: Option<&Tensor>,
        options: SequenceOptions,
        gp: &Tensor,
        output: usize,
    ) -> Result<Tensor> {
        let a = prepare(
            self,
            cell,
            kernel,
            recurrent_kernel,
            bias,
            initial_state,
            mask,
            options,
        )?;
        let want = [a.geom.b, a.geom.packed_rows(), a.geom.u];
        if gp.shape() != want || gp.dtype() != self.dtype() {
            return Err(Error::shape(
                GRAD_OP,
                format!(
                    "the packed output's gradient is {} {}, expected {} {}",
                    gp.dtype().name(),
                    fmt_shape(gp.shape()),
                    self.dtype().name(),
                    fmt_shape(&want)
                ),
            ));
        }
        let mut flags = vec![false; 3 + bias.is_some() as usize + initial_state.len()];
        if let Some(f) = flags.get_mut(output) {
            *f = true;
        }
        let need = Need {
            x: flags[0],
            kernel: flags[1],
            rk: flags[2],
            bias: bias.map(|_| flags[3]),
            states: flags[3 + bias.is_some() as usize..].to_vec(),
        };
        let grads = match self.dtype() {
            DType::F32 => grads_typed::<f32>(&forward_typed::<f32>(a).1, gp, &need)?,
            _ => grads_typed::<f64>(&forward_typed::<f64>(a).1, gp, &need)?,
        };
        grads
            .into_iter()
            .nth(output)
            .flatten()
            .ok_or_else(|| Error::arg(GRAD_OP, format!("no gradient for input {output}")))
    }
}
