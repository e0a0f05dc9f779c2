//! Load-time preparation of the node list. Every `Conv` whose weights are initializers
//! gets its [`ConvPlan`] (kernel repacked once, not per run), and the chain of single-use
//! nodes after it is folded in: an inference `BatchNormalization`, `Mul` / `Add` / `Sub` by
//! a per-channel constant (kiln's and tf2onnx's exports write BatchNormalization so, after
//! a `Transpose` to NHWC, which is kept and re-pointed), and a final `Relu` fused into the
//! bias pass. Folded nodes leave the list and the chain's last node takes over their
//! output names, so the order stays topological and every graph output is still produced.

use std::collections::HashMap;

use kiln::Tensor;

use super::attrs::{attr_i, attr_ints};
use super::layout::batch_norm_affine;
use super::node_err;
use super::spatial::ConvPlan;
use crate::proto::NodeProto;
use crate::Result;

/// The nodes to run, in order, with a prepared convolution where one applies.
pub(super) struct Plan {
    pub nodes: Vec<NodeProto>,
    pub convs: Vec<Option<ConvPlan>>,
}

fn op(n: &NodeProto) -> &str {
    n.op_type.as_deref().unwrap_or("")
}

/// The only node reading `value` (when nothing else, graph outputs included, does).
fn sole_consumer(
    value: &str,
    readers: &HashMap<String, Vec<usize>>,
    outputs: &[String],
) -> Option<usize> {
    if outputs.iter().any(|o| o == value) {
        return None;
    }
    match readers.get(value).map(|v| v.as_slice()) {
        Some([one]) => Some(*one),
        _ => None,
    }
}

/// A node's used outputs beyond the first (optional outputs named "" do not count).
fn extra_outputs(n: &NodeProto) -> bool {
    n.output.iter().skip(1).any(|o| !o.is_empty())
}

/// A constant that scales or shifts a convolution's output per channel (`cout` channels,
/// an output of rank `rank`, channels last when `nhwc`), as a `[cout]` vector: a scalar, or
/// a tensor that is 1 on every axis but the channel axis after numpy alignment.
fn per_channel(t: &Tensor, cout: usize, rank: usize, nhwc: bool) -> Option<Tensor> {
    if t.shape().len() > rank {
        return None;
    }
    if t.numel() == 1 {
        return t
            .reshape(&[1])
            .ok()?
            .broadcast_to(&[cout])
            .ok()
            .map(|v| v.contiguous());
    }
    let mut dims = vec![1usize; rank - t.shape().len()];
    dims.extend_from_slice(t.shape());
    let axis = if nhwc { rank - 1 } else { 1 };
    let ok = dims
        .iter()
        .enumerate()
        .all(|(a, &d)| if a == axis { d == cout } else { d == 1 });
    if !ok {
        return None;
    }
    t.reshape(&[cout as isize]).ok().map(|v| v.contiguous())
}

pub(super) fn prepare(
    order: Vec<NodeProto>,
    consts: &HashMap<String, Tensor>,
    outputs: &[String],
) -> Result<Plan> {
    let mut readers: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, n) in order.iter().enumerate() {
        for inp in n.input.iter().filter(|s| !s.is_empty()) {
            readers.entry(inp.clone()).or_default().push(i);
        }
    }
    let mut nodes: Vec<Option<NodeProto>> = order.into_iter().map(Some).collect();
    let mut convs: Vec<Option<ConvPlan>> = vec![None; nodes.len()];
    for i in 0..nodes.len() {
        let Some(n) = nodes[i].as_ref() else { continue };
        if op(n) != "Conv" {
            continue;
        }
        let w = n.input.get(1).and_then(|w| consts.get(w));
        let b = match n.input.get(2).filter(|s| !s.is_empty()) {
            Some(name) => match consts.get(name) {
                Some(b) => Some(b),
                None => continue,
            },
            None => None,
        };
        let Some(w) = w else { continue };
        let mut plan = ConvPlan::new(n, w, b)?;
        let cout = w.shape()[0];
        let out_rank = if plan.one_d { 3 } else { 4 };
        // The value the chain ends in, and a kept NCHW -> NHWC Transpose inside it.
        let mut tail = n.output.first().cloned().unwrap_or_default();
        let mut trans: Option<usize> = None;
        while let Some(j) = sole_consumer(&tail, &readers, outputs) {
            let Some(m) = nodes[j].as_ref() else { break };
            let folded = match op(m) {
                "Transpose"
                    if trans.is_none()
                        && out_rank == 4
                        && attr_ints(m, "perm").as_deref() == Some(&[0, 2, 3, 1]) =>
                {
                    trans = Some(j);
                    tail = m.output[0].clone();
                    continue;
                }
                "BatchNormalization"
                    if trans.is_none()
                        && attr_i(m, "training_mode", 0) == 0
                        && !extra_outputs(m)
                        && m.input.len() == 5
                        && m.input[1..].iter().all(|s| consts.contains_key(s)) =>
                {
                    let c = |k: usize| &consts[&m.input[k]];
                    let (inv, shift) = batch_norm_affine(m, c(1), c(2), c(3), c(4))?;
                    plan.fold_affine(m, &inv, &shift)?
                }
                "Mul" | "Add" | "Sub" if m.input.len() == 2 => {
                    let other = if m.input[0] == tail { 1 } else { 0 };
                    let vec = consts
                        .get(&m.input[other])
                        .and_then(|t| per_channel(t, cout, out_rank, trans.is_some()));
                    match (op(m), other, vec) {
                        ("Mul", _, Some(v)) => plan.fold_affine(m, &v, &v.zeros_like())?,
                        ("Add", _, Some(v)) => plan.fold_affine(m, &v.ones_like(), &v)?,
                        ("Sub", 1, Some(v)) => {
                            let neg = v.neg().map_err(|e| node_err(m, e.to_string()))?;
                            plan.fold_affine(m, &v.ones_like(), &neg)?
                        }
                        _ => false,
                    }
                }
                "Relu" => {
                    plan.relu = true;
                    true
                }
                _ => false,
            };
            if !folded {
                break;
            }
            let fused_relu = op(m) == "Relu";
            let new_tail = m.output[0].clone();
            nodes[j] = None;
            // The last node of the chain now produces the folded node's output.
            let producer = trans.unwrap_or(i);
            if let Some(p) = nodes[producer].as_mut() {
                p.output[0] = new_tail.clone();
            }
            tail = new_tail;
            if fused_relu {
                break;
            }
        }
        convs[i] = Some(plan);
    }
    let mut kept = Vec::new();
    let mut kept_convs = Vec::new();
    for (n, c) in nodes.into_iter().zip(convs) {
        if let Some(n) = n {
            kept.push(n);
            kept_convs.push(c);
        }
    }
    Ok(Plan {
        nodes: kept,
        convs: kept_convs,
    })
}
