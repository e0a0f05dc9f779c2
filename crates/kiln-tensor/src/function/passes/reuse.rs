//! Liveness for buffer reuse: when each value dies.
//!
//! An unoptimized graph keeps every value until its run ends. The plan made here lets
//! [`Graph::run`] release a value right after the last node that uses it (values the
//! outputs name are kept). That bounds the memory a replay holds, lets a variable update
//! write into the variable's own buffer once no read of the old value is alive, and makes
//! an intermediate uniquely owned at its last use, so that a fused loop may compute its
//! output into that input's buffer (see [`super::fuse`]; only node values qualify, never
//! graph inputs or constants, and only when `Tensor::unique_slice_mut` proves no other
//! handle or view exists).
//!
//! Unfused ops do not reuse their inputs: every kernel of `crate::ops` allocates its
//! output, and changing that would mean an in-place variant of each kernel behind the
//! public `Tensor` API.

use super::super::graph::{Graph, NodeKind, Src};
use super::{node_srcs, output_nodes};

/// For each node, the values to release once its inputs are gathered.
#[derive(Clone, Debug, Default)]
pub(crate) struct RunPlan {
    dies_at: Vec<Vec<usize>>,
}

impl RunPlan {
    /// The nodes whose values are last used by node `i`.
    pub(crate) fn dies_at(&self, i: usize) -> &[usize] {
        self.dies_at.get(i).map(|v| v.as_slice()).unwrap_or(&[])
    }

    /// How many values are released before the run ends.
    #[cfg(test)]
    pub(crate) fn num_released(&self) -> usize {
        self.dies_at.iter().map(|v| v.len()).sum()
    }
}

/// Computes the plan; returns how many fused nodes have an input whose buffer may take
/// their output (a node value of the output's shape that dies there).
pub(crate) fn run(g: &mut Graph) -> usize {
    let n = g.nodes.len();
    let mut last: Vec<Option<usize>> = vec![None; n];
    for (i, node) in g.nodes.iter().enumerate() {
        for s in node_srcs(&node.kind) {
            if let Src::Node(j) = s {
                last[*j] = Some(i);
            }
        }
    }
    let is_out = output_nodes(g);
    let mut dies_at: Vec<Vec<usize>> = vec![Vec::new(); n];
    for j in 0..n {
        if let (Some(i), false) = (last[j], is_out[j]) {
            dies_at[i].push(j);
        }
    }
    let mut candidates = 0;
    for (i, node) in g.nodes.iter().enumerate() {
        if let NodeKind::Fused { inputs, .. } = &node.kind
            && inputs.iter().any(|s| match s {
                Src::Node(j) => dies_at[i].contains(j) && g.nodes[*j].shape == node.shape,
                _ => false,
            })
        {
            candidates += 1;
        }
    }
    g.plan = Some(RunPlan { dies_at });
    candidates
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_same, data, trace, train_step, train_vars};
    use super::super::{dce, fuse};
    use super::*;
    use crate::function::{Args, Value};
    use crate::{Result, Tensor};

    #[test]
    fn a_fused_loop_writes_into_a_dying_intermediate() {
        // matmul's output dies at the fused node (its only use): the fused loop takes
        // its buffer. The input x and the constant are never written.
        let f = |a: &Args| -> Result<Value> {
            let x = a.tensor(0)?;
            let h = x.matmul(&x)?;
            Ok(Value::from(h.tanh()?.mul(&x)?.add_scalar(1.0)?))
        };
        let x = Tensor::from_vec((0..16).map(|i| i as f32 * 0.1 - 0.7).collect(), &[4, 4]).unwrap();
        let before = trace(f, &[Value::from(x.clone())]);
        let mut after = before.clone();
        assert_eq!(fuse::run(&mut after), 1);
        assert_eq!(run(&mut after), 1, "{}", after.listing());
        let plan = after.plan.as_ref().unwrap();
        assert_eq!(plan.dies_at(1), &[0], "{}", after.listing());
        // The buffer of the matmul result is the buffer of the output.
        let x2 = x.mul_scalar(0.5).unwrap();
        let keep = x2.to_vec::<f32>().unwrap();
        let (t, v) = crate::function::leaves(&Value::Tuple(vec![Value::from(x2.clone())]));
        let out = after.run(&t, &v).unwrap();
        assert_eq!(x2.to_vec::<f32>().unwrap(), keep, "the input is untouched");
        let _ = out;
        assert_same(&before, &after, &[Value::from(x2)], &[]);
        // An intermediate that is also an output is not released, nor overwritten.
        let g = |a: &Args| -> Result<Value> {
            let x = a.tensor(0)?;
            let h = x.matmul(&x)?;
            Ok(Value::Tuple(vec![
                Value::from(h.exp()?.neg()?),
                Value::from(h),
            ]))
        };
        let before = trace(g, &[Value::from(x.clone())]);
        let mut after = before.clone();
        fuse::run(&mut after);
        assert_eq!(run(&mut after), 0);
        assert_same(&before, &after, &[Value::from(x)], &[]);
    }

    #[test]
    fn gradient_and_update_step_replays_bit_identically() {
        let (w, m, v, vars) = train_vars(48);
        let args = [Value::from(data(48, 11)), Value::from(data(48, 12))];
        let before = trace(train_step(w, m, v), &args);
        let mut after = before.clone();
        dce::run(&mut after);
        fuse::run(&mut after);
        run(&mut after);
        assert!(after.plan.as_ref().unwrap().num_released() > 5);
        assert_same(
            &before,
            &after,
            &[Value::from(data(48, 13)), Value::from(data(48, 14))],
            &vars,
        );
    }
}
