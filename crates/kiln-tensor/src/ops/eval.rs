//! Recomputing an op from its [`Op`] value: the CPU backend's dispatch.
//!
//! Every op in [`crate::ops`] names itself with an [`Op`] (a name plus attributes) when it
//! records. In a captured graph ([`crate::autodiff::capture`]) that op value is the node:
//! together with the node's input tensors it says everything needed to compute the node
//! again. [`eval`] is the CPU backend's dispatch from it: it reads the name and the
//! attributes and calls the same public tensor method (or, for the internal gradient ops,
//! the same crate function) that recorded the op, so for deterministic ops the result is
//! bit-identical to what the original call produced. A traced function
//! (`kiln::function`) replays its graph by calling `eval` node by node on new inputs, which
//! may have other shapes where the trace relaxed a dimension: ops whose attributes are
//! shape-free (elementwise ops, `matmul`, reductions, `reshape` with `-1`, `softmax`,
//! `conv2d` over another batch...) replay at the new shape.
//!
//! Random ops (`random_uniform`, `random_normal`, `random_bernoulli` for dropout masks,
//! `random_shuffle`...) draw fresh values from the global generator on each evaluation,
//! as the random ops of a TF graph do on each run: they are not replayed from the trace.
//!
//! Some gradient ops carry state derived from the input *shapes* of the trace (the flat
//! index maps of `take` / `scatter_add`, the window geometry of pooling and convolution
//! gradients): they replay at the traced shapes and fail with a clear error at others.
//! The fused kernels' gradients (`layer_normalization_grad`,
//! `scaled_dot_product_attention_grad`, `recurrent_sequence_grad`) carry the forward's
//! inputs and attributes plus the output gradient: `eval` reruns the forward kernel for
//! the state the forward saved (statistics, probabilities, gate activations), then the
//! backward kernel, so a traced `tape.gradient` replays bit for bit as the eager one. The
//! pooling second-order helpers (`pool_scatter`, `pool_gather`) route through state the
//! op does not carry: `eval` returns [`Error::Unsupported`] for them.
//!
//! An unknown op name, a missing or mistyped attribute and the wrong number of inputs are
//! errors naming the op, never panics.
//!
//! ```
//! use kiln_tensor::autodiff::Op;
//! use kiln_tensor::ops::eval;
//! use kiln_tensor::Tensor;
//! let x = Tensor::from_vec(vec![1.0f32, -2.0, 3.0], &[3])?;
//! let y = eval(&Op::new("leaky_relu").attr("alpha", 0.5), &[&x])?;
//! assert_eq!(y.to_vec::<f32>()?, vec![1.0, -1.0, 3.0]);
//! assert!(eval(&Op::new("no_such_op"), &[&x]).is_err());
//! assert!(eval(&Op::new("leaky_relu"), &[&x]).is_err()); // alpha is missing
//! # Ok::<(), kiln_tensor::Error>(())
//! ```

use crate::autodiff::{AttrValue, Op};
use crate::cpu::conv::Geom;
use crate::ops::manip::PadMode;
use crate::ops::math::Pred;
use crate::ops::rnn::{RecurrentCell, SequenceOptions};
use crate::{DType, Error, Result, Tensor};

fn err(op: &Op, msg: impl std::fmt::Display) -> Error {
    Error::Trace(format!("eval of op '{}': {msg}", op.name()))
}

fn attr<'a>(op: &'a Op, key: &str) -> Result<&'a AttrValue> {
    op.get(key)
        .ok_or_else(|| err(op, format!("missing attribute '{key}' (op is {op})")))
}

fn mistyped(op: &Op, key: &str, want: &str, got: &AttrValue) -> Error {
    err(
        op,
        format!("attribute '{key}' must be {want}, got {got:?} (op is {op})"),
    )
}

fn b(op: &Op, key: &str) -> Result<bool> {
    match attr(op, key)? {
        AttrValue::Bool(v) => Ok(*v),
        other => Err(mistyped(op, key, "a bool", other)),
    }
}

fn i(op: &Op, key: &str) -> Result<i64> {
    match attr(op, key)? {
        AttrValue::Int(v) => Ok(*v),
        other => Err(mistyped(op, key, "an integer", other)),
    }
}

fn u(op: &Op, key: &str) -> Result<usize> {
    let v = i(op, key)?;
    usize::try_from(v).map_err(|_| err(op, format!("attribute '{key}' = {v} must be >= 0")))
}

fn f(op: &Op, key: &str) -> Result<f64> {
    match attr(op, key)? {
        AttrValue::Float(v) => Ok(*v),
        AttrValue::Int(v) => Ok(*v as f64),
        other => Err(mistyped(op, key, "a float", other)),
    }
}

fn ints(op: &Op, key: &str) -> Result<Vec<i64>> {
    match attr(op, key)? {
        AttrValue::Ints(v) => Ok(v.clone()),
        other => Err(mistyped(op, key, "a list of integers", other)),
    }
}

fn isizes(op: &Op, key: &str) -> Result<Vec<isize>> {
    Ok(ints(op, key)?.into_iter().map(|v| v as isize).collect())
}

fn usizes(op: &Op, key: &str) -> Result<Vec<usize>> {
    ints(op, key)?
        .into_iter()
        .map(|v| {
            usize::try_from(v)
                .map_err(|_| err(op, format!("attribute '{key}' has a negative entry {v}")))
        })
        .collect()
}

fn pair(op: &Op, key: &str) -> Result<[usize; 2]> {
    let v = usizes(op, key)?;
    match v.as_slice() {
        [a, b] => Ok([*a, *b]),
        _ => Err(err(
            op,
            format!("attribute '{key}' must have 2 entries, got {v:?}"),
        )),
    }
}

fn dtype(op: &Op, key: &str) -> Result<DType> {
    match attr(op, key)? {
        AttrValue::DType(d) => Ok(*d),
        other => Err(mistyped(op, key, "a dtype", other)),
    }
}

fn s<'a>(op: &'a Op, key: &str) -> Result<&'a str> {
    match attr(op, key)? {
        AttrValue::Str(v) => Ok(v),
        other => Err(mistyped(op, key, "a string", other)),
    }
}

fn arity<'a, const N: usize>(op: &Op, inputs: &[&'a Tensor]) -> Result<[&'a Tensor; N]> {
    <[&Tensor; N]>::try_from(inputs).map_err(|_| {
        err(
            op,
            format!(
                "expected {N} input{}, got {}",
                if N == 1 { "" } else { "s" },
                inputs.len()
            ),
        )
    })
}

fn at_least(op: &Op, inputs: &[&Tensor], n: usize) -> Result<()> {
    if inputs.len() < n {
        return Err(err(
            op,
            format!("expected at least {n} inputs, got {}", inputs.len()),
        ));
    }
    Ok(())
}

fn unsupported(op: &Op, why: &str) -> Error {
    Error::Unsupported {
        op: op.name(),
        msg: format!("{why} (op is {op})"),
    }
}

/// The window geometry of a conv/pool op from its attributes and the shape its input
/// images have (`x_shape`, NHWC) and its output channels.
fn geom(op: &Op, x_shape: &[usize], cout: usize) -> Result<Geom> {
    if x_shape.len() != 4 {
        return Err(err(
            op,
            format!("expected a 4-D NHWC image input, got shape {x_shape:?}"),
        ));
    }
    let [kh, kw] = pair(op, "kernel")?;
    let [sh, sw] = pair(op, "strides")?;
    let [dh, dw] = pair(op, "dilations")?;
    let [pt, pl] = pair(op, "padding")?;
    let [h, w] = pair(op, "input_size")?;
    let [oh, ow] = pair(op, "output_size")?;
    let groups = u(op, "groups")?;
    if x_shape[1] != h || x_shape[2] != w {
        return Err(err(
            op,
            format!(
                "the traced window geometry is for {h}x{w} images, got input shape {x_shape:?} (replay at another spatial size is not supported for this op)"
            ),
        ));
    }
    if groups == 0 || !x_shape[3].is_multiple_of(groups) || !cout.is_multiple_of(groups) {
        return Err(err(
            op,
            format!("groups={groups} does not divide the channels of shape {x_shape:?}"),
        ));
    }
    Ok(Geom {
        n: x_shape[0],
        h,
        w,
        c: x_shape[3],
        kh,
        kw,
        cout,
        groups,
        sh,
        sw,
        dh,
        dw,
        pt,
        pl,
        oh,
        ow,
    })
}

fn check_shape(op: &Op, what: &str, got: &[usize], want: &[usize]) -> Result<()> {
    if got != want {
        return Err(err(
            op,
            format!("{what} has shape {got:?}, the op's geometry needs {want:?}"),
        ));
    }
    Ok(())
}

/// The options of an attention op (forward or gradient) from its attributes.
fn attention_options(op: &Op) -> Result<crate::ops::attention::AttentionOptions> {
    use crate::ops::attention::AttentionPath;
    let path = match s(op, "path")? {
        "auto" => AttentionPath::Auto,
        "direct" => AttentionPath::Direct,
        "blocked" => {
            let [block_q, block_k] = pair(op, "blocks")?;
            AttentionPath::Blocked { block_q, block_k }
        }
        other => return Err(err(op, format!("unknown attention path '{other}'"))),
    };
    let mut o = crate::ops::attention::AttentionOptions::new(f(op, "scale")?);
    o.zero_masked_rows = b(op, "zero_masked_rows")?;
    o.path = path;
    Ok(o)
}

/// Records a recomputed fused gradient like its original (for a replay that is itself
/// captured or taped); differentiating it again is an error, as for the original.
fn record_grad(op: &Op, inputs: &[&Tensor], g: Tensor) -> Tensor {
    let of = op.name();
    crate::ops::record(
        || op.clone(),
        inputs,
        g,
        move |_| {
            Err(Error::arg(
                of,
                "the fused kernels' gradients have no second derivative",
            ))
        },
    )
}

/// Evaluates `op` on `inputs`: the output the op's original call produced (bit-identical
/// for deterministic ops; random ops draw fresh values). See the [module docs](self).
///
/// ```
/// use kiln_tensor::autodiff::Op;
/// use kiln_tensor::Tensor;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2])?;
/// let op = Op::new("matmul").attr("transpose_a", false).attr("transpose_b", true);
/// let y = kiln_tensor::ops::eval(&op, &[&a, &a])?;
/// assert_eq!(y.to_vec::<f32>()?, a.matmul_t(&a, false, true)?.to_vec::<f32>()?);
/// # Ok::<(), kiln_tensor::Error>(())
/// ```
pub fn eval(op: &Op, inputs: &[&Tensor]) -> Result<Tensor> {
    macro_rules! unary {
        ($m:ident) => {{
            let [x] = arity::<1>(op, inputs)?;
            x.$m()
        }};
        (@strings $m:ident) => {{
            let [x] = arity::<1>(op, inputs)?;
            crate::strings::$m(x)
        }};
    }
    macro_rules! binary {
        ($m:ident) => {{
            let [a, b2] = arity::<2>(op, inputs)?;
            a.$m(b2)
        }};
    }
    match op.name() {
        // ----- elementwise, one input -----
        "neg" => unary!(neg),
        "exp" => unary!(exp),
        "square" => unary!(square),
        "abs" => unary!(abs),
        "sign" => unary!(sign),
        "log" => unary!(log),
        "log1p" => unary!(log1p),
        "expm1" => unary!(expm1),
        "sqrt" => unary!(sqrt),
        "rsqrt" => unary!(rsqrt),
        "reciprocal" => unary!(reciprocal),
        "sin" => unary!(sin),
        "cos" => unary!(cos),
        "tanh" => unary!(tanh),
        "erf" => unary!(erf),
        "round" => unary!(round),
        "floor" => unary!(floor),
        "ceil" => unary!(ceil),
        "sigmoid" => unary!(sigmoid),
        "relu" => unary!(relu),
        "relu6" => unary!(relu6),
        "softplus" => unary!(softplus),
        "softsign" => unary!(softsign),
        "silu" => unary!(silu),
        "hard_sigmoid" => unary!(hard_sigmoid),
        "logical_not" => unary!(logical_not),
        "isnan" => unary!(isnan),
        "isfinite" => unary!(isfinite),
        "isinf" => unary!(isinf),
        "identity" => {
            let [x] = arity::<1>(op, inputs)?;
            Ok(x.identity())
        }
        "contiguous" => {
            let [x] = arity::<1>(op, inputs)?;
            Ok(x.contiguous())
        }
        "stop_gradient" => {
            let [x] = arity::<1>(op, inputs)?;
            Ok(x.stop_gradient())
        }
        "cast" => {
            let [x] = arity::<1>(op, inputs)?;
            x.cast(dtype(op, "dtype")?)
        }
        "clip" => {
            let [x] = arity::<1>(op, inputs)?;
            x.clip(f(op, "min")?, f(op, "max")?)
        }
        "leaky_relu" => {
            let [x] = arity::<1>(op, inputs)?;
            x.leaky_relu(f(op, "alpha")?)
        }
        "elu" => {
            let [x] = arity::<1>(op, inputs)?;
            x.elu(f(op, "alpha")?)
        }
        "gelu" => {
            let [x] = arity::<1>(op, inputs)?;
            x.gelu(b(op, "approximate")?)
        }
        "string_lower" => unary!(@strings lower),
        "string_upper" => unary!(@strings upper),
        "string_strip" => unary!(@strings strip),
        "string_length" => unary!(@strings length),
        "string_split_whitespace" => unary!(@strings split_whitespace),
        "string_as_string" => unary!(@strings as_string),
        "string_to_number" => {
            let [x] = arity::<1>(op, inputs)?;
            crate::strings::to_number(x, dtype(op, "dtype")?)
        }
        "string_reduce_join" => {
            let [x] = arity::<1>(op, inputs)?;
            crate::strings::reduce_join(x, i(op, "axis")? as isize, s(op, "separator")?)
        }
        "string_join" => crate::strings::join(inputs, s(op, "separator")?),
        "full_like" => {
            let [x] = arity::<1>(op, inputs)?;
            Ok(x.full_like(f(op, "value")?))
        }
        "softmax" => {
            let [x] = arity::<1>(op, inputs)?;
            x.softmax(i(op, "axis")? as isize)
        }
        "log_softmax" => {
            let [x] = arity::<1>(op, inputs)?;
            x.log_softmax(i(op, "axis")? as isize)
        }
        // ----- elementwise, two inputs -----
        "add" => binary!(add),
        "sub" => binary!(sub),
        "mul" => binary!(mul),
        "div" => binary!(div),
        "rem" => binary!(rem),
        "pow" => binary!(pow),
        "maximum" => binary!(maximum),
        "minimum" => binary!(minimum),
        "floor_div" => binary!(floor_div),
        "equal" => binary!(equal),
        "not_equal" => binary!(not_equal),
        "less" => binary!(less),
        "less_equal" => binary!(less_equal),
        "greater" => binary!(greater),
        "greater_equal" => binary!(greater_equal),
        "logical_and" => binary!(logical_and),
        "logical_or" => binary!(logical_or),
        "logical_xor" => binary!(logical_xor),
        "bias_add_relu" => binary!(bias_add_relu),
        "sparse_softmax_cross_entropy_with_logits_grad" => {
            let [labels, logits, g] = arity(op, inputs)?;
            Tensor::sparse_softmax_cross_entropy_grad(labels, logits, g)
        }
        "sparse_softmax_cross_entropy_with_logits" => {
            binary!(sparse_softmax_cross_entropy_with_logits)
        }
        "sigmoid_cross_entropy_with_logits" => binary!(sigmoid_cross_entropy_with_logits),
        "softmax_cross_entropy_with_logits" => {
            let [l, x] = arity::<2>(op, inputs)?;
            l.softmax_cross_entropy_with_logits(x, i(op, "axis")? as isize)
        }
        "bias_add" => {
            let [x, bias] = arity::<2>(op, inputs)?;
            x.bias_add_with_format(bias, s(op, "data_format")?)
        }
        "matmul" => {
            let [a, b2] = arity::<2>(op, inputs)?;
            a.matmul_t(b2, b(op, "transpose_a")?, b(op, "transpose_b")?)
        }
        "where" => {
            let [c, x, y] = arity::<3>(op, inputs)?;
            Tensor::where_cond(c, x, y)
        }
        "select_by_input" => {
            let [g, x] = arity::<2>(op, inputs)?;
            let pred = Pred::new(
                f(op, "lo")?,
                f(op, "hi")?,
                b(op, "lo_inclusive")?,
                b(op, "hi_inclusive")?,
            );
            crate::ops::math::grad_select(g, x, pred, f(op, "on")?, f(op, "off")?)
        }
        "select_by_sign" => {
            let [g, x] = arity::<2>(op, inputs)?;
            crate::ops::math::grad_select_positive(g, x, f(op, "on")?, f(op, "off")?)
        }
        // ----- reductions and scans -----
        "sum" | "max" | "min" | "prod" | "logsumexp" | "mean" | "all" | "any" => {
            let [x] = arity::<1>(op, inputs)?;
            let (axes, keep) = (isizes(op, "axes")?, b(op, "keepdims")?);
            match op.name() {
                "sum" => x.sum(&axes, keep),
                "max" => x.max(&axes, keep),
                "min" => x.min(&axes, keep),
                "prod" => x.prod(&axes, keep),
                "logsumexp" => x.logsumexp(&axes, keep),
                "all" => x.all(&axes, keep),
                "any" => x.any(&axes, keep),
                _ => {
                    if x.dtype().is_float() {
                        // A recorded `mean` is an integer mean; float means record as
                        // sum and mul.
                        return Err(err(op, "a recorded mean takes an integer input"));
                    }
                    x.mean(&axes, keep)
                }
            }
        }
        "argmax" => {
            let [x] = arity::<1>(op, inputs)?;
            x.argmax(i(op, "axis")? as isize)
        }
        "argmin" => {
            let [x] = arity::<1>(op, inputs)?;
            x.argmin(i(op, "axis")? as isize)
        }
        "cumsum" | "cumprod" => {
            let [x] = arity::<1>(op, inputs)?;
            let (a, e, r) = (
                i(op, "axis")? as isize,
                b(op, "exclusive")?,
                b(op, "reverse")?,
            );
            if op.name() == "cumsum" {
                x.cumsum(a, e, r)
            } else {
                x.cumprod(a, e, r)
            }
        }
        // ----- shapes and copies -----
        "reshape" => {
            let [x] = arity::<1>(op, inputs)?;
            x.reshape(&isizes(op, "shape")?)
        }
        "transpose" => {
            let [x] = arity::<1>(op, inputs)?;
            x.transpose(Some(&usizes(op, "perm")?))
        }
        "broadcast_to" => {
            let [x] = arity::<1>(op, inputs)?;
            x.broadcast_to(&usizes(op, "shape")?)
        }
        "slice" => {
            let [x] = arity::<1>(op, inputs)?;
            x.slice(&isizes(op, "begin")?, &isizes(op, "size")?)
        }
        "diagonal" => {
            let [x] = arity::<1>(op, inputs)?;
            let [p, q] = pair(op, "axes")?;
            if p >= q || q >= x.rank() || x.shape()[p] != x.shape()[q] {
                return Err(err(
                    op,
                    format!("axes [{p}, {q}] are not two equal axes p < q of shape {:?}", x.shape()),
                ));
            }
            crate::ops::linalg::diagonal_view(x, p, q)
        }
        "concat" => {
            at_least(op, inputs, 1)?;
            Tensor::concat(inputs, i(op, "axis")? as isize)
        }
        "strided_slice" => {
            let [x] = arity::<1>(op, inputs)?;
            let m = |k: &str| -> Result<u64> { Ok(i(op, k)? as u64) };
            x.strided_slice(
                &isizes(op, "begin")?,
                &isizes(op, "end")?,
                &isizes(op, "strides")?,
                m("begin_mask")?,
                m("end_mask")?,
                m("ellipsis_mask")?,
                m("new_axis_mask")?,
                m("shrink_axis_mask")?,
            )
        }
        "pad" => {
            let [x] = arity::<1>(op, inputs)?;
            let flat = usizes(op, "paddings")?;
            if !flat.len().is_multiple_of(2) {
                return Err(err(op, "attribute 'paddings' must hold (before, after) pairs"));
            }
            let pads: Vec<(usize, usize)> = flat.chunks(2).map(|c| (c[0], c[1])).collect();
            let mode = match PadMode::parse(s(op, "mode")?)? {
                PadMode::Constant(_) => PadMode::Constant(f(op, "constant_value")?),
                m => m,
            };
            x.pad(&pads, mode)
        }
        "tile" => {
            let [x] = arity::<1>(op, inputs)?;
            x.tile(&usizes(op, "multiples")?)
        }
        "repeat" => {
            let [x] = arity::<1>(op, inputs)?;
            let axis = match op.get("axis") {
                None => None,
                Some(_) => Some(i(op, "axis")? as isize),
            };
            x.repeat(&usizes(op, "repeats")?, axis)
        }
        "reverse" => {
            let [x] = arity::<1>(op, inputs)?;
            x.reverse(&isizes(op, "axes")?)
        }
        "roll" => {
            let [x] = arity::<1>(op, inputs)?;
            x.roll(&isizes(op, "shifts")?, &isizes(op, "axes")?)
        }
        "take" => {
            let [x] = arity::<1>(op, inputs)?;
            let map = crate::ops::gather_map::map_from_attr(&ints(op, "map")?);
            let shape = usizes(op, "shape")?;
            if map.len() != crate::shape::numel(&shape)
                || map
                    .iter()
                    .any(|&j| j != crate::ops::gather_map::FILL && j >= x.numel())
            {
                return Err(err(
                    op,
                    format!("the traced index map does not fit an input of shape {:?} (replay at another shape is not supported for this op)", x.shape()),
                ));
            }
            Ok(crate::ops::gather_map::take_flat(
                x,
                std::sync::Arc::new(map),
                shape,
                f(op, "fill")?,
            ))
        }
        "scatter_add" => {
            let [g] = arity::<1>(op, inputs)?;
            let map = crate::ops::gather_map::map_from_attr(&ints(op, "map")?);
            let shape = usizes(op, "shape")?;
            let n = crate::shape::numel(&shape);
            if map.len() != g.numel()
                || map
                    .iter()
                    .any(|&j| j != crate::ops::gather_map::FILL && j >= n)
            {
                return Err(err(
                    op,
                    format!("the traced index map does not fit an input of shape {:?} (replay at another shape is not supported for this op)", g.shape()),
                ));
            }
            crate::ops::gather_map::scatter_flat(g, std::sync::Arc::new(map), shape)
        }
        // ----- indexing -----
        "gather" => {
            let [x, idx] = arity::<2>(op, inputs)?;
            x.gather_batched(idx, i(op, "axis")? as isize, u(op, "batch_dims")?)
        }
        "gather_nd" => binary!(gather_nd),
        "scatter_nd_add" => {
            let [x, idx, upd] = arity::<3>(op, inputs)?;
            x.scatter_nd_add(idx, upd)
        }
        "unsorted_segment_sum" => {
            let [x, ids] = arity::<2>(op, inputs)?;
            x.unsorted_segment_sum(ids, u(op, "num_segments")?)
        }
        "one_hot" => {
            let [x] = arity::<1>(op, inputs)?;
            x.one_hot(
                u(op, "depth")?,
                f(op, "on_value")?,
                f(op, "off_value")?,
                i(op, "axis")? as isize,
                dtype(op, "dtype")?,
            )
        }
        "argsort" | "sort" => {
            let [x] = arity::<1>(op, inputs)?;
            let (a, d) = (i(op, "axis")? as isize, b(op, "descending")?);
            if op.name() == "sort" {
                x.sort(a, d)
            } else {
                x.argsort(a, d)
            }
        }
        "top_k_values" | "top_k_indices" => {
            let [x] = arity::<1>(op, inputs)?;
            let (v, ix) = x.top_k(u(op, "k")?)?;
            Ok(if op.name() == "top_k_values" { v } else { ix })
        }
        // ----- convolution and pooling -----
        "conv2d" => {
            let [x, w] = arity::<2>(op, inputs)?;
            let cout = *w.shape().last().unwrap_or(&0);
            let g = geom(op, x.shape(), cout)?;
            check_shape(op, "the kernel", w.shape(), &[g.kh, g.kw, g.c / g.groups, cout])?;
            crate::ops::conv::conv_fwd_op(x, w, g)
        }
        "conv2d_backprop_input" => {
            let [dy, w] = arity::<2>(op, inputs)?;
            if w.rank() != 4 || dy.rank() != 4 {
                return Err(err(op, "expected a 4-D gradient and kernel"));
            }
            let (groups, ws) = (u(op, "groups")?, w.shape());
            let xs = [dy.shape()[0], pair(op, "input_size")?[0], pair(op, "input_size")?[1], ws[2] * groups];
            let g = geom(op, &xs, ws[3])?;
            check_shape(op, "the gradient", dy.shape(), &[g.n, g.oh, g.ow, g.cout])?;
            check_shape(op, "the kernel", ws, &[g.kh, g.kw, g.c / g.groups, g.cout])?;
            crate::ops::conv::conv_bwd_input_op(dy, w, g)
        }
        "conv2d_backprop_filter" => {
            let [x, dy] = arity::<2>(op, inputs)?;
            let cout = *dy.shape().last().unwrap_or(&0);
            let g = geom(op, x.shape(), cout)?;
            check_shape(op, "the gradient", dy.shape(), &[g.n, g.oh, g.ow, g.cout])?;
            crate::ops::conv::conv_bwd_filter_op(x, dy, g)
        }
        "extract_patches" => {
            let [x] = arity::<1>(op, inputs)?;
            let c = *x.shape().last().unwrap_or(&0);
            let g = geom(op, x.shape(), c)?;
            crate::ops::conv::patches_op(x, g)
        }
        "extract_patches_grad" => {
            let [dy] = arity::<1>(op, inputs)?;
            let [kh, kw] = pair(op, "kernel")?;
            let [h, w] = pair(op, "input_size")?;
            let ds = dy.shape();
            if ds.len() != 4 || kh * kw == 0 || !ds[3].is_multiple_of(kh * kw) {
                return Err(err(op, format!("gradient shape {ds:?} does not fit the patches")));
            }
            let c = ds[3] / (kh * kw);
            let g = geom(op, &[ds[0], h, w, c], c)?;
            check_shape(op, "the gradient", ds, &[g.n, g.oh, g.ow, kh * kw * c])?;
            crate::ops::conv::patches_grad_op(dy, g)
        }
        "max_pool2d" | "avg_pool2d" => {
            let [x] = arity::<1>(op, inputs)?;
            let c = *x.shape().last().unwrap_or(&0);
            let g = geom(op, x.shape(), c)?;
            if op.name() == "max_pool2d" {
                crate::ops::pool::max_pool_op(x, g)
            } else {
                crate::ops::pool::avg_pool_op(x, g)
            }
        }
        "max_pool2d_grad" => {
            let [dy, x, y] = arity::<3>(op, inputs)?;
            let c = *x.shape().last().unwrap_or(&0);
            let g = geom(op, x.shape(), c)?;
            check_shape(op, "the gradient", dy.shape(), &[g.n, g.oh, g.ow, c])?;
            check_shape(op, "the pooled output", y.shape(), &[g.n, g.oh, g.ow, c])?;
            crate::ops::pool::max_pool_grad_op(dy, x, y, g)
        }
        "avg_pool2d_grad" => {
            let [dy] = arity::<1>(op, inputs)?;
            let [h, w] = pair(op, "input_size")?;
            let ds = dy.shape();
            if ds.len() != 4 {
                return Err(err(op, format!("expected a 4-D gradient, got {ds:?}")));
            }
            let g = geom(op, &[ds[0], h, w, ds[3]], ds[3])?;
            check_shape(op, "the gradient", ds, &[g.n, g.oh, g.ow, g.c])?;
            crate::ops::pool::avg_pool_grad_op(dy, g)
        }
        "pool_scatter" | "pool_gather" => Err(unsupported(
            op,
            "the max-pooling second-order helpers route through the argmax of the forward input, which the op does not carry",
        )),
        "resize_bilinear" => {
            let [x] = arity::<1>(op, inputs)?;
            x.resize_bilinear(pair(op, "size")?)
        }
        "resize_bilinear_grad" => {
            let [dy] = arity::<1>(op, inputs)?;
            crate::ops::resize::resize_bilinear_grad(dy, pair(op, "input_size")?)
        }
        // ----- fused ops -----
        "layer_normalization" => {
            let (hg, hb) = (b(op, "has_gamma")?, b(op, "has_beta")?);
            let want = 1 + hg as usize + hb as usize;
            if inputs.len() != want {
                return Err(err(op, format!("expected {want} inputs, got {}", inputs.len())));
            }
            let gamma = hg.then(|| inputs[1]);
            let beta = hb.then(|| inputs[want - 1]);
            inputs[0].layer_normalization(gamma, beta, f(op, "epsilon")?)
        }
        "layer_normalization_grad" => {
            let (hg, hb) = (b(op, "has_gamma")?, b(op, "has_beta")?);
            let output = crate::ops::grad_output(op, 1 + hg as usize + hb as usize)?;
            let g = crate::ops::layer_norm::eval_grad(inputs, f(op, "epsilon")?, hg, hb, output)?;
            Ok(record_grad(op, inputs, g))
        }
        "scaled_dot_product_attention" => {
            let has_mask = b(op, "has_mask")?;
            let want = 3 + has_mask as usize;
            if inputs.len() != want {
                return Err(err(op, format!("expected {want} inputs, got {}", inputs.len())));
            }
            let o = attention_options(op)?;
            inputs[0].scaled_dot_product_attention(
                inputs[1],
                inputs[2],
                has_mask.then(|| inputs[3]),
                o,
            )
        }
        "scaled_dot_product_attention_grad" => {
            let output = crate::ops::grad_output(op, 3)?;
            let g = crate::ops::attention::eval_grad(
                inputs,
                attention_options(op)?,
                b(op, "has_mask")?,
                output,
            )?;
            Ok(record_grad(op, inputs, g))
        }
        "recurrent_sequence" | "recurrent_sequence_grad" => {
            let cell = match s(op, "cell")? {
                "lstm" => RecurrentCell::Lstm,
                "gru" => RecurrentCell::Gru { reset_after: false },
                "gru_reset_after" => RecurrentCell::Gru { reset_after: true },
                other => return Err(err(op, format!("unknown cell '{other}'"))),
            };
            let (has_bias, n_states, has_mask) =
                (b(op, "has_bias")?, u(op, "num_states")?, b(op, "has_mask")?);
            let grad = op.name() == "recurrent_sequence_grad";
            let n_fwd = 3 + has_bias as usize + n_states;
            let want = n_fwd + has_mask as usize + grad as usize;
            if inputs.len() != want {
                return Err(err(op, format!("expected {want} inputs, got {}", inputs.len())));
            }
            let bias = has_bias.then(|| inputs[3]);
            let s0 = 3 + has_bias as usize;
            let states: Vec<Tensor> = inputs[s0..s0 + n_states].iter().map(|t| (*t).clone()).collect();
            let mask = has_mask.then(|| inputs[n_fwd]);
            let options = SequenceOptions {
                go_backwards: b(op, "go_backwards")?,
                zero_output_for_mask: b(op, "zero_output_for_mask")?,
            };
            if grad {
                let output = crate::ops::grad_output(op, n_fwd)?;
                let g = inputs[0].recurrent_packed_grad(
                    cell, inputs[1], inputs[2], bias, &states, mask, options, inputs[want - 1], output,
                )?;
                return Ok(record_grad(op, inputs, g));
            }
            inputs[0].recurrent_packed(cell, inputs[1], inputs[2], bias, &states, mask, options)
        }
        "dropout" | "dropout_with_mask" => {
            let [x, mask] = arity::<2>(op, inputs)?;
            x.dropout_with_mask(mask, f(op, "rate")?)
        }
        // ----- random draws: fresh values on each evaluation -----
        "random_uniform" => {
            arity::<0>(op, inputs)?;
            crate::random::uniform(&usizes(op, "shape")?, f(op, "minval")?, f(op, "maxval")?, dtype(op, "dtype")?)
        }
        "random_normal" | "random_truncated_normal" => {
            arity::<0>(op, inputs)?;
            let (sh, m, sd, dt) = (usizes(op, "shape")?, f(op, "mean")?, f(op, "stddev")?, dtype(op, "dtype")?);
            if op.name() == "random_normal" {
                crate::random::normal(&sh, m, sd, dt)
            } else {
                crate::random::truncated_normal(&sh, m, sd, dt)
            }
        }
        "random_randint" => {
            arity::<0>(op, inputs)?;
            crate::random::randint(&usizes(op, "shape")?, i(op, "low")?, i(op, "high")?, dtype(op, "dtype")?)
        }
        "random_bernoulli" => {
            arity::<0>(op, inputs)?;
            crate::random::bernoulli(&usizes(op, "shape")?, f(op, "p")?)
        }
        "random_permutation" => {
            arity::<0>(op, inputs)?;
            Ok(crate::random::permutation(u(op, "n")?))
        }
        "random_shuffle" => {
            let [x] = arity::<1>(op, inputs)?;
            crate::random::shuffle(x)
        }
        other => Err(Error::Trace(format!(
            "eval: unknown op '{other}' (op is {op}); kiln cannot replay it"
        ))),
    }
}
