//! Fused scaled dot-product attention (`keras.ops.dot_product_attention`'s layout and
//! masking) as one op with its own backward pass; kernels in `crate::cpu::attention`.

use crate::autodiff::Op;
use crate::cpu::attention::{self as kern, AttnFloat, Geom, MaskView};
use crate::ops::{needs_grad, record, record_fused_grads};
use crate::shape::fmt_shape;
use crate::{DType, Element, Error, Result, Tensor};

/// Which kernel [`Tensor::scaled_dot_product_attention`] uses.
///
/// ```
/// use kiln_tensor::ops::attention::AttentionPath;
/// assert_eq!(AttentionPath::default(), AttentionPath::Auto);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AttentionPath {
    /// Direct for short sequences, blocked once a head's score matrix has at least
    /// [`BLOCKED_MIN_SCORES`] entries.
    #[default]
    Auto,
    /// The whole score matrix per head, kept for the backward pass.
    Direct,
    /// Online softmax over blocks of `block_k` keys for blocks of `block_q` queries:
    /// memory O(block_q · block_k) per thread instead of O(tq · tk) per head.
    Blocked {
        /// Query rows per block.
        block_q: usize,
        /// Keys per block.
        block_k: usize,
    },
}

/// Score-matrix size (`tq · tk`) from which [`AttentionPath::Auto`] takes the blocked
/// path (a 512 x 512 head).
pub const BLOCKED_MIN_SCORES: usize = 512 * 512;

/// Options of [`Tensor::scaled_dot_product_attention`].
///
/// ```
/// let o = kiln_tensor::ops::attention::AttentionOptions::new(0.125);
/// assert!(!o.zero_masked_rows);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AttentionOptions {
    /// Factor applied to `q · kᵀ` (usually `1 / sqrt(head_dim)`).
    pub scale: f64,
    /// Masked weights are zero and a fully masked query row outputs zeros (Keras's
    /// softmax-layer path); otherwise masked scores become `-0.7 · f32::MAX` before
    /// the softmax, so a fully masked row averages every value (Keras's fused path).
    pub zero_masked_rows: bool,
    /// Kernel choice.
    pub path: AttentionPath,
}

impl AttentionOptions {
    /// `scale`, Keras's fused-path masking, automatic kernel choice.
    ///
    /// ```
    /// let o = kiln_tensor::ops::attention::AttentionOptions::new(0.5);
    /// assert_eq!(o.scale, 0.5);
    /// ```
    pub fn new(scale: f64) -> AttentionOptions {
        AttentionOptions {
            scale,
            zero_masked_rows: false,
            path: AttentionPath::Auto,
        }
    }
}

const OP: &str = "scaled_dot_product_attention";
const GRAD_OP: &str = "scaled_dot_product_attention_grad";

impl Tensor {
    /// `softmax(q · kᵀ · scale + mask) · v` with `q = self (batch, tq, heads, dim)`, `k
    /// (batch, tk, heads, dim)` and `v (batch, tk, heads, dim_v)`, giving `(batch, tq,
    /// heads, dim_v)`: the layout of `keras.ops.dot_product_attention`. `mask` is a bool
    /// tensor broadcastable to `(batch, heads, tq, tk)` (true = attend). One op on the
    /// tape with its own backward pass (gradients for `q`, `k` and `v`); a second
    /// derivative through it is an error. f32 and f64.
    ///
    /// ```
    /// use kiln_tensor::ops::attention::AttentionOptions;
    /// use kiln_tensor::{DType, Tensor};
    /// let q = Tensor::ones(&[2, 3, 4, 8], DType::F32);
    /// let kv = Tensor::ones(&[2, 5, 4, 8], DType::F32);
    /// let o = q.scaled_dot_product_attention(&kv, &kv, None, AttentionOptions::new(0.35))?;
    /// assert_eq!(o.shape(), &[2, 3, 4, 8]);
    /// let bad = Tensor::ones(&[2, 5, 4, 7], DType::F32);
    /// assert!(q.scaled_dot_product_attention(&bad, &kv, None, AttentionOptions::new(0.35)).is_err());
    /// # Ok::<(), kiln_tensor::Error>(())
    /// ```
    pub fn scaled_dot_product_attention(
        &self,
        key: &Tensor,
        value: &Tensor,
        mask: Option<&Tensor>,
        options: AttentionOptions,
    ) -> Result<Tensor> {
        let (g, mask, blocks) = prepare(self, key, value, mask, &options)?;
        match self.dtype() {
            DType::F32 => run::<f32>(self, key, value, mask, g, blocks, options),
            _ => run::<f64>(self, key, value, mask, g, blocks, options),
        }
    }
}

/// Validates the operands: the geometry, the mask broadcast to the scores' shape, and the
/// blocks of the blocked kernel (`None`: the direct one).
#[allow(clippy::type_complexity)]
fn prepare(
    q: &Tensor,
    key: &Tensor,
    value: &Tensor,
    mask: Option<&Tensor>,
    options: &AttentionOptions,
) -> Result<(Geom, Option<Tensor>, Option<(usize, usize)>)> {
    let dt = q.dtype();
    if dt != DType::F32 && dt != DType::F64 {
        return Err(Error::dtype(
            OP,
            format!("expected f32 or f64 operands, got {}", dt.name()),
        ));
    }
    for (name, t) in [("query", q), ("key", key), ("value", value)] {
        if t.rank() != 4 {
            return Err(Error::shape(
                OP,
                format!(
                    "{name} must be (batch, time, heads, dim), got shape {}",
                    fmt_shape(t.shape())
                ),
            ));
        }
        if t.dtype() != dt {
            return Err(Error::dtype(
                OP,
                format!(
                    "{name} has dtype {}, the query {}",
                    t.dtype().name(),
                    dt.name()
                ),
            ));
        }
    }
    let (qs, ks, vs) = (q.shape(), key.shape(), value.shape());
    if ks[0] != qs[0] || ks[2] != qs[2] || ks[3] != qs[3] || vs[..3] != ks[..3] {
        return Err(Error::shape(
            OP,
            format!(
                "query {}, key {} and value {} must agree: key (batch, tk, heads, dim) with \
                 the query's batch, heads and dim, value (batch, tk, heads, dim_v)",
                fmt_shape(qs),
                fmt_shape(ks),
                fmt_shape(vs)
            ),
        ));
    }
    let g = Geom {
        b: qs[0],
        n: qs[2],
        tq: qs[1],
        tk: ks[1],
        h: qs[3],
        hv: vs[3],
        scale: options.scale,
        zero_rows: options.zero_masked_rows,
    };
    let full = [g.b, g.n, g.tq, g.tk];
    let mask = match mask {
        None => None,
        Some(m) => {
            if m.dtype() != DType::Bool {
                return Err(Error::dtype(
                    OP,
                    format!("the mask must be bool, got {}", m.dtype().name()),
                ));
            }
            Some(m.broadcast_to(&full).map_err(|_| {
                Error::shape(
                    OP,
                    format!(
                        "the mask of shape {} does not broadcast to the scores' shape {}",
                        fmt_shape(m.shape()),
                        fmt_shape(&full)
                    ),
                )
            })?)
        }
    };
    let blocks = match options.path {
        AttentionPath::Direct => None,
        AttentionPath::Blocked { block_q, block_k } => Some((block_q.max(1), block_k.max(1))),
        AttentionPath::Auto => (g.tq * g.tk >= BLOCKED_MIN_SCORES).then_some((64, 256)),
    };
    Ok((g, mask, blocks))
}

fn mask_view(m: &Tensor) -> MaskView<'_> {
    let s = m.strides();
    MaskView {
        data: <bool as Element>::slice(m.buffer()).expect("kiln internal: bool mask"),
        off: m.offset() as isize,
        strides: [s[0], s[1], s[2], s[3]],
    }
}

fn run<T: AttnFloat>(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    mask: Option<Tensor>,
    g: Geom,
    blocks: Option<(usize, usize)>,
    options: AttentionOptions,
) -> Result<Tensor> {
    // Meta operands: the output's shape, nothing computed or recorded (no gradient).
    if let Some(m) = crate::meta::rule(&[q, k, v], &[g.b, g.tq, g.n, g.hv], q.dtype()) {
        return Ok(m);
    }
    let (qc, kc, vc) = (
        q.contiguous_unrecorded(),
        k.contiguous_unrecorded(),
        v.contiguous_unrecorded(),
    );
    let shape = vec![g.b, g.tq, g.n, g.hv];
    let (out, saved) = {
        let (qd, kd, vd) = (qc.data::<T>(), kc.data::<T>(), vc.data::<T>());
        let mv = mask.as_ref().map(mask_view);
        match blocks {
            None => kern::direct_forward::<T>(&g, &qd, &kd, &vd, mv),
            Some(bl) => kern::blocked_forward::<T>(&g, &qd, &kd, &vd, mv, bl),
        }
    };
    let out = Tensor::from_vec_unchecked(out, shape);
    let inputs = [q, k, v];
    if !needs_grad(&inputs) {
        return Ok(out);
    }
    let has_mask_b = mask.is_some();
    let need = [needs_grad(&[q]), needs_grad(&[k]), needs_grad(&[v])];
    let out_saved = out.clone();
    let mask_c = mask.clone();
    let mut originals: Vec<Tensor> = inputs.iter().map(|t| (*t).clone()).collect();
    originals.extend(mask.clone());
    let backward = move |gout: &Tensor| -> Result<Vec<Option<Tensor>>> {
        let grads = {
            let _pause = crate::autodiff::no_recording();
            let ops = Operands {
                g,
                blocks,
                q: &qc,
                k: &kc,
                v: &vc,
                mask: mask.as_ref(),
            };
            grads_typed::<T>(&ops, &out_saved, &saved, gout, need)
        };
        let mut deps: Vec<&Tensor> = originals.iter().collect();
        deps.push(gout);
        Ok(record_fused_grads(
            grads,
            |i| grad_op(&options, has_mask_b, i),
            &deps,
            OP,
            "the fused attention kernel has no second derivative; compute \
             the attention from matmul and softmax to differentiate twice",
        ))
    };
    // The (broadcast) mask is an input of the op too, without a gradient.
    let mask_in = mask_c;
    let mut rec: Vec<&Tensor> = inputs.to_vec();
    rec.extend(mask_in.as_ref());
    let n = rec.len();
    let has_mask = mask_in.is_some();
    let op = move || forward_op(&options, has_mask);
    Ok(record(op, &rec, out, move |g| {
        let mut v = backward(g)?;
        v.resize(n, None);
        Ok(v)
    }))
}

/// The recorded forward op.
fn forward_op(options: &AttentionOptions, has_mask: bool) -> Op {
    let (path, blocks) = match options.path {
        AttentionPath::Auto => ("auto", vec![0usize, 0]),
        AttentionPath::Direct => ("direct", vec![0, 0]),
        AttentionPath::Blocked { block_q, block_k } => ("blocked", vec![block_q, block_k]),
    };
    Op::new(OP)
        .attr("scale", options.scale)
        .attr("zero_masked_rows", options.zero_masked_rows)
        .attr("path", path)
        .attr("blocks", blocks)
        .attr("has_mask", has_mask)
}

/// The gradient op for input `output` (0 query, 1 key, 2 value): the forward's
/// attributes plus `output`. Inputs: the forward's (the mask broadcast), then the output
/// gradient.
fn grad_op(options: &AttentionOptions, has_mask: bool, output: usize) -> Op {
    let f = forward_op(options, has_mask);
    let mut op = Op::new(GRAD_OP);
    for (k, v) in f.attrs() {
        op = op.attr(k, v.clone());
    }
    op.attr("output", output)
}

/// Contiguous operands of one attention call with its geometry.
struct Operands<'a> {
    g: Geom,
    blocks: Option<(usize, usize)>,
    q: &'a Tensor,
    k: &'a Tensor,
    v: &'a Tensor,
    mask: Option<&'a Tensor>,
}

/// The fused backward kernel from the forward's output and saved state (probabilities,
/// or row statistics for the blocked kernel): `dq, dk, dv` where `need` asks.
fn grads_typed<T: AttnFloat>(
    o: &Operands,
    out: &Tensor,
    saved: &[T],
    gout: &Tensor,
    need: [bool; 3],
) -> Vec<Option<Tensor>> {
    let gc = gout.contiguous_unrecorded();
    let (qd, kd, vd, gd) = (
        o.q.data::<T>(),
        o.k.data::<T>(),
        o.v.data::<T>(),
        gc.data::<T>(),
    );
    let mv = o.mask.map(mask_view);
    let (dq, dk, dv) = match o.blocks {
        None => kern::direct_backward::<T>(&o.g, &qd, &kd, &vd, mv, saved, &gd),
        Some(bl) => {
            let od = out.data::<T>();
            kern::blocked_backward::<T>(&o.g, &qd, &kd, &vd, mv, &od, saved, &gd, bl)
        }
    };
    let shapes = [
        o.q.shape().to_vec(),
        o.k.shape().to_vec(),
        o.v.shape().to_vec(),
    ];
    [dq, dk, dv]
        .into_iter()
        .zip(shapes)
        .zip(need)
        .map(|((d, s), n)| n.then(|| Tensor::from_vec_unchecked(d, s)))
        .collect()
}

/// Evaluates a `scaled_dot_product_attention_grad` op: reruns the forward kernel for
/// its output and saved state (probabilities or row statistics), then the backward
/// kernel, bit-identical to the eager backward pass. `inputs` are the query, key, value,
/// the mask when present, then the output gradient; `output` picks `dq`, `dk` or `dv`.
pub(crate) fn eval_grad(
    inputs: &[&Tensor],
    options: AttentionOptions,
    has_mask: bool,
    output: usize,
) -> Result<Tensor> {
    let want = 4 + has_mask as usize;
    if inputs.len() != want {
        return Err(Error::arg(
            GRAD_OP,
            format!("expected {want} inputs, got {}", inputs.len()),
        ));
    }
    let (q, k, v, gout) = (inputs[0], inputs[1], inputs[2], inputs[want - 1]);
    let mask = has_mask.then(|| inputs[3]);
    let (g, mask, blocks) = prepare(q, k, v, mask, &options)?;
    let out_shape = [g.b, g.tq, g.n, g.hv];
    if gout.shape() != out_shape || gout.dtype() != q.dtype() {
        return Err(Error::shape(
            GRAD_OP,
            format!(
                "the output gradient is {} {}, expected {} {}",
                gout.dtype().name(),
                fmt_shape(gout.shape()),
                q.dtype().name(),
                fmt_shape(&out_shape)
            ),
        ));
    }
    let _pause = crate::autodiff::no_recording();
    let (qc, kc, vc) = (
        q.contiguous_unrecorded(),
        k.contiguous_unrecorded(),
        v.contiguous_unrecorded(),
    );
    let ops = Operands {
        g,
        blocks,
        q: &qc,
        k: &kc,
        v: &vc,
        mask: mask.as_ref(),
    };
    let mut need = [false; 3];
    need[output] = true;
    let grads = match q.dtype() {
        DType::F32 => eval_grad_typed::<f32>(&ops, gout, need),
        _ => eval_grad_typed::<f64>(&ops, gout, need),
    };
    grads
        .into_iter()
        .nth(output)
        .flatten()
        .ok_or_else(|| Error::arg(GRAD_OP, format!("no gradient for input {output}")))
}

fn eval_grad_typed<T: AttnFloat>(
    o: &Operands,
    gout: &Tensor,
    need: [bool; 3],
) -> Vec<Option<Tensor>> {
    let (out, saved) = forward_typed::<T>(o);
    let out = Tensor::from_vec_unchecked(out, vec![o.g.b, o.g.tq, o.g.n, o.g.hv]);
    grads_typed::<T>(o, &out, &saved, gout, need)
}

/// The forward kernel on contiguous operands: the output and the saved state.
fn forward_typed<T: AttnFloat>(o: &Operands) -> (Vec<T>, Vec<T>) {
    let (qd, kd, vd) = (o.q.data::<T>(), o.k.data::<T>(), o.v.data::<T>());
    let mv = o.mask.map(mask_view);
    match o.blocks {
        None => kern::direct_forward::<T>(&o.g, &qd, &kd, &vd, mv),
        Some(bl) => kern::blocked_forward::<T>(&o.g, &qd, &kd, &vd, mv, bl),
    }
}
