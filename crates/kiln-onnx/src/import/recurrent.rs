//! The runner's `LSTM`, `GRU` and `RNN` (one direction, `forward` or `reverse`), plus the
//! index ops `Pad` and `Slice`.
//!
//! LSTM and GRU run on kiln-tensor's fused [`Tensor::recurrent_sequence`] after their ONNX
//! weights are turned back into Keras's layout (gate rows `i, o, f, c` -> columns
//! `i, f, c, o`; GRU `z, r, h` in both); it implements the default activations only, so
//! other `activations` are an error naming the node.

use kiln::{DType, Tensor};
use kiln_tensor::ops::rnn::{RecurrentCell, SequenceOptions};

use super::attrs::{attr, attr_i, attr_ints, attr_s, ints_of, norm_axis};
use super::node_err;
use crate::proto::NodeProto;
use crate::Result;

fn input(args: &[Option<Tensor>], i: usize) -> Option<&Tensor> {
    args.get(i).and_then(|a| a.as_ref())
}

fn need<'a>(n: &NodeProto, args: &'a [Option<Tensor>], i: usize, what: &str) -> Result<&'a Tensor> {
    input(args, i).ok_or_else(|| node_err(n, format!("input {i} ({what}) is missing")))
}

/// The `activations` attribute, lower-cased, or `defaults`.
fn activations(n: &NodeProto, defaults: &[&str]) -> Vec<String> {
    match attr(n, "activations") {
        Some(a) if !a.strings.is_empty() => a
            .strings
            .iter()
            .map(|s| String::from_utf8_lossy(s).to_ascii_lowercase())
            .collect(),
        _ => defaults.iter().map(|s| s.to_string()).collect(),
    }
}

/// `(1, gates*u, cols)` ONNX weight -> `(cols, gates*u)` Keras kernel, ONNX block `order[g]`
/// becoming Keras gate `g`.
fn keras_kernel(n: &NodeProto, w: &Tensor, order: &[usize], u: usize) -> Result<Tensor> {
    let k = |e: kiln_tensor::Error| node_err(n, e.to_string());
    let s = w.shape();
    if s.len() != 3 || s[0] != 1 || s[1] != order.len() * u {
        return Err(node_err(
            n,
            format!(
                "weight {s:?}, expected (1, {}, _) (bidirectional is not supported)",
                order.len() * u
            ),
        ));
    }
    let cols = s[2] as isize;
    let w2 = w.reshape(&[(order.len() * u) as isize, cols]).map_err(k)?;
    let blocks: Vec<Tensor> = order
        .iter()
        .map(|&j| w2.slice(&[(j * u) as isize, 0], &[u as isize, cols]))
        .collect::<std::result::Result<_, _>>()
        .map_err(k)?;
    let refs: Vec<&Tensor> = blocks.iter().collect();
    Ok(Tensor::concat(&refs, 0)
        .map_err(k)?
        .transpose(Some(&[1, 0]))
        .map_err(k)?
        .contiguous())
}

/// Reorders a `gates*u` vector from ONNX to Keras gate order.
fn keras_vec(n: &NodeProto, b: &Tensor, order: &[usize], u: usize) -> Result<Tensor> {
    let k = |e: kiln_tensor::Error| node_err(n, e.to_string());
    let blocks: Vec<Tensor> = order
        .iter()
        .map(|&j| b.slice(&[(j * u) as isize], &[u as isize]))
        .collect::<std::result::Result<_, _>>()
        .map_err(k)?;
    let refs: Vec<&Tensor> = blocks.iter().collect();
    Tensor::concat(&refs, 0).map_err(k)
}

/// Reverses axis `axis` of `x`.
fn reverse(x: &Tensor, axis: usize) -> std::result::Result<Tensor, kiln_tensor::Error> {
    let t = x.shape()[axis];
    let idx: Vec<i64> = (0..t as i64).rev().collect();
    x.gather(&Tensor::from_vec(idx, &[t])?, axis as isize)
}

/// ONNX `LSTM`, `GRU` or `RNN`: outputs `Y (T, 1, B, u)`, `Y_h (1, B, u)` (and `Y_c`).
pub(super) fn recurrent(n: &NodeProto, args: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
    let k = |e: kiln_tensor::Error| node_err(n, e.to_string());
    let op = n.op_type.as_deref().unwrap_or("");
    let direction = attr_s(n, "direction").unwrap_or_else(|| "forward".into());
    let backwards = match direction.as_str() {
        "forward" => false,
        "reverse" => true,
        d => {
            return Err(node_err(
                n,
                format!("direction '{d}' is not supported; expected forward or reverse"),
            ))
        }
    };
    if attr(n, "clip").is_some() {
        return Err(node_err(n, "the clip attribute is not supported"));
    }
    if attr_i(n, "input_forget", 0) != 0 {
        return Err(node_err(n, "input_forget=1 is not supported"));
    }
    if input(args, 4).is_some() {
        return Err(node_err(
            n,
            "sequence_lens is not supported (all sequences full length)",
        ));
    }
    if op == "LSTM" && input(args, 7).is_some() {
        return Err(node_err(n, "peephole weights (P) are not supported"));
    }
    let x = need(n, args, 0, "X")?;
    let w = need(n, args, 1, "W")?;
    let r = need(n, args, 2, "R")?;
    if x.shape().len() != 3 {
        return Err(node_err(n, format!("X {:?} must be rank 3", x.shape())));
    }
    let batch_first = attr_i(n, "layout", 0) != 0;
    // kiln's kernels are batch-major.
    let xb = if batch_first {
        x.clone()
    } else {
        x.transpose(Some(&[1, 0, 2])).map_err(k)?.contiguous()
    };
    let u = attr_i(n, "hidden_size", *r.shape().last().unwrap_or(&0) as i64) as usize;
    let (order, defaults): (&[usize], &[&str]) = match op {
        "LSTM" => (&[0, 2, 3, 1], &["sigmoid", "tanh", "tanh"]),
        "GRU" => (&[0, 1, 2], &["sigmoid", "tanh"]),
        _ => (&[0], &["tanh"]),
    };
    let acts = activations(n, defaults);
    let gates = order.len();
    let kernel = keras_kernel(n, w, order, u)?;
    let rec = keras_kernel(n, r, order, u)?;
    let zeros = Tensor::zeros(&[2 * gates * u], x.dtype());
    let b = match input(args, 3) {
        Some(b) => b.reshape(&[(2 * gates * u) as isize]).map_err(k)?,
        None => zeros,
    };
    let wb = b.slice(&[0], &[(gates * u) as isize]).map_err(k)?;
    let rb = b
        .slice(&[(gates * u) as isize], &[(gates * u) as isize])
        .map_err(k)?;
    let state = |i: usize| -> Result<Option<Tensor>> {
        match input(args, i) {
            None => Ok(None),
            Some(s) => Ok(Some(
                s.reshape(&[xb.shape()[0] as isize, u as isize])
                    .map_err(k)?,
            )),
        }
    };
    let h0 = state(5)?;
    let (seq, finals) = if op == "RNN" {
        let f = acts[0].as_str();
        if !matches!(f, "tanh" | "relu" | "sigmoid") {
            return Err(node_err(
                n,
                format!("activation '{f}' is not supported (Tanh, Relu, Sigmoid are)"),
            ));
        }
        let bias = wb.add(&rb).map_err(k)?;
        let (bsz, t) = (xb.shape()[0], xb.shape()[1]);
        let mut h = h0.unwrap_or_else(|| Tensor::zeros(&[bsz, u], x.dtype()));
        let xw = xb.matmul(&kernel).map_err(k)?.add(&bias).map_err(k)?;
        let mut outs = Vec::with_capacity(t);
        for s in 0..t {
            let step = if backwards { t - 1 - s } else { s };
            let xt = xw
                .slice(&[0, step as isize, 0], &[bsz as isize, 1, u as isize])
                .map_err(k)?
                .reshape(&[bsz as isize, u as isize])
                .map_err(k)?;
            let pre = xt.add(&h.matmul(&rec).map_err(k)?).map_err(k)?;
            h = match f {
                "tanh" => pre.tanh(),
                "relu" => pre.relu(),
                _ => pre.sigmoid(),
            }
            .map_err(k)?;
            outs.push(h.expand_dims(1).map_err(k)?);
        }
        let refs: Vec<&Tensor> = outs.iter().collect();
        (Tensor::concat(&refs, 1).map_err(k)?, vec![h])
    } else {
        let want: Vec<String> = defaults.iter().map(|s| s.to_string()).collect();
        if acts != want {
            return Err(node_err(
                n,
                format!("activations {acts:?} are not supported; only the defaults {want:?} are"),
            ));
        }
        let (cell, bias) = if op == "LSTM" {
            (
                RecurrentCell::Lstm,
                keras_vec(n, &wb.add(&rb).map_err(k)?, order, u)?,
            )
        } else if attr_i(n, "linear_before_reset", 0) != 0 {
            let rows = Tensor::concat(&[&wb, &rb], 0).map_err(k)?;
            (
                RecurrentCell::Gru { reset_after: true },
                rows.reshape(&[2, (gates * u) as isize]).map_err(k)?,
            )
        } else {
            (
                RecurrentCell::Gru { reset_after: false },
                wb.add(&rb).map_err(k)?,
            )
        };
        let mut init = Vec::new();
        if let Some(h) = h0 {
            init.push(h);
            if op == "LSTM" {
                init.push(
                    state(6)?.ok_or_else(|| {
                        node_err(n, "initial_h without initial_c is not supported")
                    })?,
                );
            }
        } else if op == "LSTM" && input(args, 6).is_some() {
            return Err(node_err(n, "initial_c without initial_h is not supported"));
        }
        let opts = SequenceOptions {
            go_backwards: backwards,
            zero_output_for_mask: false,
        };
        let mut out = xb
            .recurrent_sequence(cell, &kernel, &rec, Some(&bias), &init, None, opts)
            .map_err(k)?;
        let seq = out.remove(0);
        let seq = if backwards {
            reverse(&seq, 1).map_err(k)?
        } else {
            seq
        };
        (seq, out)
    };
    // (B, T, u) -> ONNX's Y: (T, 1, B, u), or (B, T, 1, u) with layout=1.
    let y = if batch_first {
        seq.expand_dims(2).map_err(k)?
    } else {
        seq.transpose(Some(&[1, 0, 2]))
            .map_err(k)?
            .contiguous()
            .expand_dims(1)
            .map_err(k)?
    };
    let mut outs = vec![y];
    for s in finals {
        outs.push(if batch_first {
            s.expand_dims(1).map_err(k)?
        } else {
            s.expand_dims(0).map_err(k)?
        });
    }
    Ok(outs)
}

/// ONNX `Pad` in `constant` mode (pads as an input from opset 11, an attribute before).
pub(super) fn pad(n: &NodeProto, args: &[Option<Tensor>], opset: i64) -> Result<Vec<Tensor>> {
    let k = |e: kiln_tensor::Error| node_err(n, e.to_string());
    let x = need(n, args, 0, "data")?;
    let mode = attr_s(n, "mode").unwrap_or_else(|| "constant".into());
    if mode != "constant" {
        return Err(node_err(
            n,
            format!("mode '{mode}' is not supported; expected constant"),
        ));
    }
    let pads = if opset >= 11 {
        ints_of(n, need(n, args, 1, "pads")?)?
    } else {
        attr_ints(n, "pads").ok_or_else(|| node_err(n, "pads attribute is missing"))?
    };
    let value = match input(args, 2) {
        Some(v) => v
            .cast(DType::F64)
            .and_then(|c| c.to_vec::<f64>())
            .map_err(k)?
            .first()
            .copied()
            .unwrap_or(0.0),
        None => super::attrs::attr_f(n, "value", 0.0) as f64,
    };
    let rank = x.shape().len();
    let axes: Vec<usize> = match input(args, 3) {
        Some(a) => ints_of(n, a)?
            .iter()
            .map(|&v| norm_axis(n, v, rank))
            .collect::<Result<_>>()?,
        None => (0..rank).collect(),
    };
    if pads.len() != 2 * axes.len() || pads.iter().any(|&p| p < 0) {
        return Err(node_err(
            n,
            format!(
                "pads {pads:?} must be {} non-negative values",
                2 * axes.len()
            ),
        ));
    }
    let mut pairs = vec![(0usize, 0usize); rank];
    for (i, &a) in axes.iter().enumerate() {
        pairs[a] = (pads[i] as usize, pads[i + axes.len()] as usize);
    }
    Ok(vec![x
        .pad(&pairs, kiln_tensor::ops::manip::PadMode::Constant(value))
        .map_err(k)?])
}

/// ONNX `Slice` (starts/ends/axes/steps as inputs, opset 10 on), any step sign.
pub(super) fn slice(n: &NodeProto, args: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
    let k = |e: kiln_tensor::Error| node_err(n, e.to_string());
    let x = need(n, args, 0, "data")?;
    let (starts, ends) = match (input(args, 1), input(args, 2)) {
        (Some(s), Some(e)) => (ints_of(n, s)?, ints_of(n, e)?),
        _ => (
            attr_ints(n, "starts").ok_or_else(|| node_err(n, "starts is missing"))?,
            attr_ints(n, "ends").ok_or_else(|| node_err(n, "ends is missing"))?,
        ),
    };
    let rank = x.shape().len();
    let axes: Vec<i64> = match input(args, 3) {
        Some(a) => ints_of(n, a)?,
        None => attr_ints(n, "axes").unwrap_or_else(|| (0..starts.len() as i64).collect()),
    };
    let steps: Vec<i64> = match input(args, 4) {
        Some(s) => ints_of(n, s)?,
        None => vec![1; starts.len()],
    };
    if ends.len() != starts.len() || axes.len() != starts.len() || steps.len() != starts.len() {
        return Err(node_err(
            n,
            "starts, ends, axes and steps must have the same length",
        ));
    }
    let mut y = x.clone();
    for i in 0..starts.len() {
        let axis = norm_axis(n, axes[i], rank)?;
        let dim = x.shape()[axis] as i64;
        let step = steps[i];
        if step == 0 {
            return Err(node_err(n, "a step of 0 is not allowed"));
        }
        let fix = |v: i64| if v < 0 { v.saturating_add(dim) } else { v };
        let (s, e) = (fix(starts[i]), fix(ends[i]));
        let idx: Vec<i64> = if step > 0 {
            let (s, e) = (s.clamp(0, dim), e.clamp(0, dim));
            (s..e).step_by(step as usize).collect()
        } else {
            let (s, e) = (s.clamp(-1, dim - 1), e.clamp(-1, dim - 1));
            let mut v = Vec::new();
            let mut j = s;
            while j > e {
                v.push(j);
                j += step;
            }
            v
        };
        let len = idx.len();
        y = y
            .gather(&Tensor::from_vec(idx, &[len]).map_err(k)?, axis as isize)
            .map_err(k)?;
    }
    Ok(vec![y])
}
