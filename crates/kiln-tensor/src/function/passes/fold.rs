//! Constant folding: an `Op` node whose inputs are all constants (and that does not draw
//! random values) is computed once, here, with the same kernel the replay would call
//! ([`crate::ops::eval::eval`]), and its uses refer to the result as a constant. Folding
//! cascades: a node whose inputs became constants folds too.
//!
//! A fold that fails (an op `eval` cannot recompute) leaves the node as it is. Results
//! larger than [`MAX_GROWTH`] elements and larger than the op's inputs together are not
//! folded, so that a `broadcast_to` of a scalar stays a cheap op instead of a large
//! constant held by the graph.

use super::super::graph::{Graph, NodeKind, Src};
use super::{is_random, resolve_inputs, substitute};
use crate::Tensor;

/// Elements a folded constant may have beyond its inputs' total.
const MAX_GROWTH: usize = 1 << 16;

/// Folds constant subexpressions; returns how many nodes became constants (they are left
/// unused for [`super::dce`]).
pub(crate) fn run(g: &mut Graph) -> usize {
    let n = g.nodes.len();
    let mut subst: Vec<Option<Src>> = vec![None; n];
    let mut folded = 0;
    // Tapes do not see optimizer work (a capture that traces an enclosing function may
    // still see these ops; they have constant inputs and end up dead there).
    let _pause = crate::autodiff::no_recording();
    for i in 0..n {
        resolve_inputs(g, i, &subst);
        let NodeKind::Op { op, inputs } = &g.nodes[i].kind else {
            continue;
        };
        if is_random(op) {
            continue;
        }
        let consts: Option<Vec<&Tensor>> = inputs
            .iter()
            .map(|s| match s {
                Src::Const(t) => Some(t),
                _ => None,
            })
            .collect();
        let Some(consts) = consts else { continue };
        let in_elems: usize = consts.iter().map(|t| t.numel()).sum();
        let node = &g.nodes[i];
        let out_elems = crate::shape::numel(&node.shape);
        if out_elems > in_elems.max(MAX_GROWTH) {
            continue;
        }
        let Ok(t) = crate::ops::eval::eval(op, &consts) else {
            continue;
        };
        if t.shape() != node.shape.as_slice() || Some(t.dtype()) != node.dtype {
            continue;
        }
        subst[i] = Some(Src::Const(t));
        folded += 1;
    }
    if folded > 0 {
        substitute(g, &subst);
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::super::dce;
    use super::super::testutil::{assert_same, data, trace, train_step, train_vars};
    use super::*;
    use crate::function::{Args, Value};
    use crate::{Result, Tensor};

    #[test]
    fn folds_constant_chains_and_keeps_random_ops() {
        let f = |a: &Args| -> Result<Value> {
            let x = a.tensor(0)?;
            let c = Tensor::from_vec(vec![1.0f32, 4.0, 9.0], &[3])?;
            let k = c.sqrt()?.mul_scalar(0.5)?.exp()?; // three ops on constants only
            let u = crate::random::uniform(&[3], 0.0, 1.0, crate::DType::F32)?;
            let noise = u.mul_scalar(0.0)?; // random: not folded
            Ok(Value::from(x.mul(&k)?.add(&noise)?))
        };
        let args = [Value::from(data(3, 1))];
        let before = trace(f, &args);
        let mut after = before.clone();
        assert_eq!(run(&mut after), 3, "{}", before.listing());
        dce::run(&mut after);
        let l = after.listing();
        assert_eq!(after.nodes.len(), before.nodes.len() - 3, "{l}");
        assert!(!l.contains("sqrt") && !l.contains("exp"), "{l}");
        assert!(l.contains("mul(%in0, const(3,))"), "{l}");
        assert!(l.contains("random_uniform"), "{l}");
        assert_same(&before, &after, &[Value::from(data(3, 2))], &[]);
    }

    #[test]
    fn constant_outputs_and_large_broadcasts() {
        let f = |a: &Args| -> Result<Value> {
            let x = a.tensor(0)?;
            let c = Tensor::scalar(2.0f32).square()?; // an output that is a constant
            let big = Tensor::scalar(1.0f32).broadcast_to(&[300, 300])?; // stays an op
            Ok(Value::Tuple(vec![
                Value::from(c),
                Value::from(big.mul(&x)?),
            ]))
        };
        let args = [Value::from(data(300, 1))];
        let before = trace(f, &args);
        let mut after = before.clone();
        assert_eq!(run(&mut after), 1, "{}", before.listing());
        dce::run(&mut after);
        assert!(
            after.listing().contains("broadcast_to"),
            "{}",
            after.listing()
        );
        assert_same(&before, &after, &[Value::from(data(300, 2))], &[]);
    }

    #[test]
    fn gradient_and_update_step_replays_bit_identically() {
        let (w, m, v, vars) = train_vars(16);
        let args = [Value::from(data(16, 11)), Value::from(data(16, 12))];
        let before = trace(train_step(w, m, v), &args);
        let mut after = before.clone();
        let folded = run(&mut after);
        assert!(folded >= 1, "1 - b1:\n{}", before.listing());
        dce::run(&mut after);
        assert!(after.nodes.len() < before.nodes.len());
        assert_same(
            &before,
            &after,
            &[Value::from(data(16, 13)), Value::from(data(16, 14))],
            &vars,
        );
    }
}
