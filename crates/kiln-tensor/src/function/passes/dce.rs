//! Dead-code elimination: drops nodes whose value reaches no graph output and no side
//! effect.
//!
//! Live roots are the values the outputs name, every `Write` (a variable update) and every
//! `Control` node (a `print`, or a `cond` / `while_loop` whose branches may print or write:
//! all are treated as effectful). Everything these use, transitively, is live. A dead
//! random op is dropped too (as TF's graph pruning does): its draw had no observable use.

use super::super::graph::{Graph, NodeKind, Src};
use super::{compact, node_srcs, output_nodes};

/// Drops dead nodes; returns how many.
pub(crate) fn run(g: &mut Graph) -> usize {
    let n = g.nodes.len();
    let mut live = output_nodes(g);
    for (i, node) in g.nodes.iter().enumerate() {
        if matches!(node.kind, NodeKind::Write { .. } | NodeKind::Control { .. }) {
            live[i] = true;
        }
    }
    // Inputs come before their users, so one backward sweep closes the live set.
    for i in (0..n).rev() {
        if !live[i] {
            continue;
        }
        for s in node_srcs(&g.nodes[i].kind) {
            if let Src::Node(j) = s {
                live[*j] = true;
            }
        }
    }
    let dead = live.iter().filter(|&&l| !l).count();
    if dead > 0 {
        compact(g, &live);
    }
    dead
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_same, data, trace, train_step, train_vars};
    use super::*;
    use crate::function::Value;
    use crate::{Result, Tensor, Variable};

    #[test]
    fn drops_unused_values_and_dead_random_draws() {
        let f = |a: &crate::function::Args| -> Result<Value> {
            let x = a.tensor(0)?;
            let _dead = x.exp()?.mul(&x)?; // two dead nodes
            let _noise = crate::random::uniform(&[3], 0.0, 1.0, crate::DType::F32)?;
            Ok(Value::from(x.neg()?))
        };
        let args = [Value::from(data(3, 1))];
        let before = trace(f, &args);
        assert_eq!(before.nodes.len(), 4, "{}", before.listing());
        let mut after = before.clone();
        assert_eq!(run(&mut after), 3);
        assert_eq!(after.listing(), "%0 = neg(%in0) : float32(3,)\n");
        assert_same(&before, &after, &[Value::from(data(3, 2))], &[]);
    }

    #[test]
    fn keeps_writes_prints_and_what_they_use() {
        let v = Variable::new(Tensor::scalar(0.0f32), "acc", false);
        let c = v.clone();
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let l2 = lines.clone();
        let f = move |a: &crate::function::Args| -> Result<Value> {
            let x = a.tensor(0)?;
            let s = x.square()?.sum_all()?; // only a write uses it
            c.assign_add(&s)?;
            let sink = l2.clone();
            crate::function::print_to(
                std::sync::Arc::new(move |l: &str| sink.lock().unwrap().push(l.to_string())),
                &[
                    crate::function::PrintArg::from("max"),
                    crate::function::PrintArg::from(&x.max(&[0], false)?),
                ],
            )?;
            let _dead = c.value().mul(&x)?;
            Ok(Value::None)
        };
        let args = [Value::from(data(4, 3))];
        let before = trace(f, &args);
        let mut after = before.clone();
        let dropped = run(&mut after);
        assert_eq!(dropped, 2, "{}", after.listing()); // the read and the mul
        assert!(
            after.listing().contains("assign_add"),
            "{}",
            after.listing()
        );
        assert!(after.listing().contains("print"), "{}", after.listing());
        assert!(after.listing().contains("max"), "{}", after.listing());
        lines.lock().unwrap().clear();
        let init = Tensor::scalar(0.0f32);
        assert_same(&before, &after, &[Value::from(data(4, 5))], &[(v, init)]);
        assert_eq!(lines.lock().unwrap().len(), 2, "one print per run");
    }

    #[test]
    fn gradient_and_update_step_replays_bit_identically() {
        let (w, m, v, vars) = train_vars(64);
        let args = [Value::from(data(64, 11)), Value::from(data(64, 12))];
        let before = trace(train_step(w, m, v), &args);
        let mut after = before.clone();
        let dropped = run(&mut after);
        assert!(
            dropped >= 2,
            "the dead exp/add: {dropped}\n{}",
            before.listing()
        );
        assert_eq!(after.nodes.len(), before.nodes.len() - dropped);
        assert_same(
            &before,
            &after,
            &[Value::from(data(64, 13)), Value::from(data(64, 14))],
            &vars,
        );
    }
}
