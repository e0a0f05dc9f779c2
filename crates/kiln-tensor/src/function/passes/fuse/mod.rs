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

mod kernel;
mod kind;

use super::super::graph::{Graph, Node, NodeKind, Src};
use super::{compact, src_dtype, src_shape, use_counts};
use crate::DType;
pub(crate) use kernel::FusedKernel;
use kernel::{Arg, Step};
use kind::{kind_of, Kind};

/// Elements per block of the fused loop (a few steps of scratch stay in L1/L2).
pub(crate) const BLOCK: usize = 512;

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
    use crate::cpu::parallel::ELEMENTWISE_PAR_MIN;
    use crate::function::{Args, Value};
    use crate::{GradientTape, Result, Tensor};

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
