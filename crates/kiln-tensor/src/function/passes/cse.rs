//! Common-subexpression elimination: an `Op` node with the same op (name and attributes,
//! floats compared by bits) and the same inputs as an earlier one reuses its value.
//!
//! Inputs are the same when they are the same graph input, the same node, the same
//! constant tensor, or small constants (up to [`SMALL_CONST`] elements) of equal dtype,
//! shape, strides and bits. Random ops are never merged (each draw is fresh). Two `Read`s of a
//! variable merge only when no `Write` and no `Control` node (whose sub-graphs may write)
//! lies between them; the check is for any variable, since a variable argument may alias
//! a captured variable at run time.

use std::collections::HashMap;

use super::super::graph::{Graph, NodeKind, Src, VarRef};
use super::{is_random, resolve_inputs, substitute};
use crate::autodiff::{AttrValue, Op};
use crate::Tensor;

/// Constants up to this many elements are compared by value.
const SMALL_CONST: usize = 64;

fn attr_key(v: &AttrValue, out: &mut String) {
    use std::fmt::Write;
    let _ = match v {
        AttrValue::Bool(b) => write!(out, "b{b}"),
        AttrValue::Int(i) => write!(out, "i{i}"),
        AttrValue::Float(x) => write!(out, "f{:x}", x.to_bits()),
        AttrValue::Ints(v) => write!(out, "I{v:?}"),
        AttrValue::DType(d) => write!(out, "d{}", d.name()),
        AttrValue::Str(s) => write!(out, "s{s:?}"),
    };
}

fn const_key(t: &Tensor, out: &mut String) {
    use std::fmt::Write;
    if t.numel() <= SMALL_CONST {
        // The layout too: some kernels pick their code path by it.
        let _ = write!(out, "v{}{:?}{:?}", t.dtype().name(), t.shape(), t.strides());
        for x in t.to_f64_vec() {
            let _ = write!(out, ",{:x}", x.to_bits());
        }
    } else {
        let _ = write!(out, "c{}", t.id());
    }
}

/// A key equal for two nodes exactly when they compute the same value.
fn op_key(op: &Op, inputs: &[Src]) -> String {
    use std::fmt::Write;
    let mut k = String::from(op.name());
    for (name, v) in op.attrs() {
        let _ = write!(k, "|{name}=");
        attr_key(v, &mut k);
    }
    k.push('(');
    for s in inputs {
        match s {
            Src::Input(i) => {
                let _ = write!(k, "in{i},");
            }
            Src::Node(j) => {
                let _ = write!(k, "n{j},");
            }
            Src::Const(t) => {
                const_key(t, &mut k);
                k.push(',');
            }
        }
    }
    k.push(')');
    k
}

fn var_key(v: &VarRef) -> String {
    match v {
        VarRef::Arg(k) => format!("arg{k}"),
        VarRef::Captured(v) => format!("cap{}", v.id()),
    }
}

/// Merges repeated computations; returns how many nodes now stand for an earlier one (they
/// are left unused for [`super::dce`]).
pub(crate) fn run(g: &mut Graph) -> usize {
    let n = g.nodes.len();
    let mut subst: Vec<Option<Src>> = vec![None; n];
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut reads: HashMap<String, usize> = HashMap::new();
    let mut merged = 0;
    for i in 0..n {
        resolve_inputs(g, i, &subst);
        let node = &g.nodes[i];
        match &node.kind {
            NodeKind::Op { op, inputs } if !is_random(op) => {
                let key = op_key(op, inputs);
                match seen.get(&key) {
                    Some(&j)
                        if g.nodes[j].shape == node.shape && g.nodes[j].dtype == node.dtype =>
                    {
                        subst[i] = Some(Src::Node(j));
                        merged += 1;
                    }
                    _ => {
                        seen.insert(key, i);
                    }
                }
            }
            NodeKind::Read { var } => {
                let key = var_key(var);
                match reads.get(&key) {
                    Some(&j) => {
                        subst[i] = Some(Src::Node(j));
                        merged += 1;
                    }
                    None => {
                        reads.insert(key, i);
                    }
                }
            }
            // A write (or a sub-graph that may write) makes every later read a new value.
            NodeKind::Write { .. } | NodeKind::Control { .. } => reads.clear(),
            _ => {}
        }
    }
    if merged > 0 {
        substitute(g, &subst);
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::super::dce;
    use super::super::testutil::{assert_same, data, trace, train_step, train_vars};
    use super::*;
    use crate::function::{Args, Value};
    use crate::{Result, Variable};

    #[test]
    fn merges_equal_ops_but_not_random_draws() {
        let f = |a: &Args| -> Result<Value> {
            let x = a.tensor(0)?;
            let p = x.mul_scalar(2.0)?.exp()?;
            let q = x.mul_scalar(2.0)?.exp()?; // the same two ops again
            let r = x.mul_scalar(3.0)?; // other attribute value: kept
            let u1 = crate::random::uniform(&[4], 0.0, 1.0, crate::DType::F32)?;
            let u2 = crate::random::uniform(&[4], 0.0, 1.0, crate::DType::F32)?;
            Ok(Value::Tuple(vec![
                Value::from(p.add(&q)?.add(&r)?),
                Value::from(
                    u1.sub(&u2)?
                        .abs()?
                        .sum_all()?
                        .greater(&Tensor::scalar(0.0f32))?,
                ),
            ]))
        };
        let args = [Value::from(data(4, 1))];
        let before = trace(f, &args);
        let mut after = before.clone();
        assert_eq!(run(&mut after), 2, "{}", after.listing());
        dce::run(&mut after);
        assert_eq!(after.nodes.len(), before.nodes.len() - 2);
        assert_eq!(after.listing().matches("random_uniform").count(), 2);
        assert_eq!(after.listing().matches("exp").count(), 1);
        // Two independent draws differ, so the comparison stays true.
        assert_same(&before, &after, &[Value::from(data(4, 2))], &[]);
    }

    #[test]
    fn reads_merge_until_a_write() {
        let v = Variable::new(data(5, 3), "v", false);
        let c = v.clone();
        let f = move |a: &Args| -> Result<Value> {
            let x = a.tensor(0)?;
            let r1 = c.value().mul(&x)?;
            let r2 = c.value().mul(&x)?; // same read, same op: both merge
            c.assign(&r1.add(&r2)?)?;
            let r3 = c.value().mul(&x)?; // after the write: a new value
            Ok(Value::from(r3.add(&r1)?))
        };
        let args = [Value::from(data(5, 4))];
        let before = trace(f, &args);
        let mut after = before.clone();
        assert_eq!(run(&mut after), 2, "{}", before.listing());
        dce::run(&mut after);
        assert_eq!(
            after.listing().matches("read_variable").count(),
            2,
            "{}",
            after.listing()
        );
        assert_same(
            &before,
            &after,
            &[Value::from(data(5, 6))],
            &[(v, data(5, 3))],
        );
    }

    #[test]
    fn gradient_and_update_step_replays_bit_identically() {
        let (w, m, v, vars) = train_vars(32);
        let args = [Value::from(data(32, 11)), Value::from(data(32, 12))];
        let before = trace(train_step(w, m, v), &args);
        let mut after = before.clone();
        let merged = run(&mut after);
        dce::run(&mut after);
        assert!(
            merged >= 1,
            "the repeated reads of w/m/v or grad ops:\n{}",
            before.listing()
        );
        assert!(after.nodes.len() < before.nodes.len());
        assert_same(
            &before,
            &after,
            &[Value::from(data(32, 13)), Value::from(data(32, 14))],
            &vars,
        );
    }
}
