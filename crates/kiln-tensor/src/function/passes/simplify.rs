//! Algebraic simplification, only where the result is bit-identical:
//!
//! - `x * 1`, `1 * x` (f32, f64, integers) and `x / 1` (f32, f64) become `x`;
//! - `x + 0`, `0 + x`, `x - 0` become `x` for integers; for floats only where IEEE
//!   arithmetic returns `x` exactly for every `x`: `x + (-0.0)`, `(-0.0) + x`, `x - (+0.0)`
//!   (`x + (+0.0)` turns `-0.0` into `+0.0`, so it stays);
//! - `neg(neg(x))` becomes `x`;
//! - `identity(x)` becomes `x` (an identity is an alias with the same layout);
//! - `reshape(reshape(x, a), b)` becomes `reshape(x, b)` (a reshape's result is always
//!   row-major, whatever its input, so the values and layout are the same);
//! - `cast(x, d)` with `x` already of dtype `d` becomes `x`, and a round trip through a
//!   dtype that holds every value of the first (`f32 -> f64 -> f32`, `f16 -> f32 -> f16`,
//!   `i32 -> i64 -> i32`, `bool -> int -> bool`...) becomes `x`.
//!
//! The constant operand must be a rank-0 constant and the result must have `x`'s traced
//! shape and dtype, so that no broadcast is lost (also at relaxed shapes: a rank-0 operand
//! never changes the result's shape). Half-precision types round through f32 and are left
//! alone. NaN inputs keep their bits except that a signaling NaN, which the skipped
//! arithmetic would have quieted, stays signaling (kiln's kernels never produce one).
//!
//! Not done: `contiguous(x)` is kept. kiln records `contiguous` only when its input was
//! strided, and the kernels of the ops after it choose their code path by layout (the
//! vectorised `exp`/`tanh`/`sigmoid` run on contiguous f32 only; strided inputs use the
//! scalar library functions), so dropping it could change bits. Reassociation and other
//! rewrites that change rounding are never done.

use super::super::graph::{Graph, NodeKind, Src};
use super::{resolve_inputs, src_dtype, src_shape, substitute};
use crate::autodiff::AttrValue;
use crate::DType;

/// The value of a rank-0 constant operand, as f64 bits (for -0.0 tests) and value.
fn scalar_const(s: &Src) -> Option<(DType, f64)> {
    match s {
        Src::Const(t) if t.rank() == 0 => Some((t.dtype(), *t.to_f64_vec().first()?)),
        _ => None,
    }
}

fn is_int(d: DType) -> bool {
    matches!(d, DType::I32 | DType::I64 | DType::U8)
}

fn is_f32_or_f64(d: DType) -> bool {
    matches!(d, DType::F32 | DType::F64)
}

/// True when `cast(cast(x: from, mid), from)` is `x` for every value of `from`.
fn exact_round_trip(from: DType, mid: DType) -> bool {
    use DType::*;
    matches!(
        (from, mid),
        (F16 | BF16 | F32, F64)
            | (F16 | BF16, F32)
            | (I32 | U8, I64)
            | (U8, I32)
            | (I32 | U8, F64)
            | (U8, F32 | F16)
            | (Bool, I32 | I64 | U8 | F32 | F64 | F16 | BF16)
    )
}

enum Rewrite {
    /// Uses of the node become uses of this value.
    Replace(Src),
    /// The node's inputs change (the op stays).
    Inputs(Vec<Src>),
}

fn rewrite(g: &Graph, i: usize) -> Option<Rewrite> {
    let node = &g.nodes[i];
    let NodeKind::Op { op, inputs } = &node.kind else {
        return None;
    };
    let dtype = node.dtype?;
    // `x` may stand for the result when it has the result's shape and dtype.
    let same = |x: &Src| {
        src_shape(g, x) == Some(node.shape.as_slice()) && src_dtype(g, x).is_none_or(|d| d == dtype)
    };
    let with_const = |x: &Src, c: &Src, ok: &dyn Fn(DType, f64) -> bool| -> Option<Rewrite> {
        let (cd, v) = scalar_const(c)?;
        (cd == dtype && ok(cd, v) && same(x)).then(|| Rewrite::Replace(x.clone()))
    };
    let one = |d: DType, v: f64| (is_int(d) || is_f32_or_f64(d)) && v == 1.0;
    let plus_zero = |d: DType, v: f64| {
        (is_int(d) && v == 0.0) || (is_f32_or_f64(d) && v == 0.0 && v.is_sign_negative())
    };
    let minus_zero = |d: DType, v: f64| {
        (is_int(d) && v == 0.0) || (is_f32_or_f64(d) && v == 0.0 && v.is_sign_positive())
    };
    let producer = |s: &Src| match s {
        Src::Node(j) => match &g.nodes[*j].kind {
            NodeKind::Op { op, inputs } => Some((op, inputs)),
            _ => None,
        },
        _ => None,
    };
    match (op.name(), inputs.as_slice()) {
        ("mul", [a, b]) => with_const(a, b, &one).or_else(|| with_const(b, a, &one)),
        ("div", [a, b]) => with_const(a, b, &|d, v| is_f32_or_f64(d) && v == 1.0),
        ("add", [a, b]) => with_const(a, b, &plus_zero).or_else(|| with_const(b, a, &plus_zero)),
        ("sub", [a, b]) => with_const(a, b, &minus_zero),
        ("identity", [x]) => Some(Rewrite::Replace(x.clone())),
        ("neg", [x]) => match producer(x) {
            Some((inner, ins)) if inner.name() == "neg" && ins.len() == 1 => {
                Some(Rewrite::Replace(ins[0].clone()))
            }
            _ => None,
        },
        ("reshape", [x]) => match producer(x) {
            Some((inner, ins)) if inner.name() == "reshape" && ins.len() == 1 => {
                Some(Rewrite::Inputs(vec![ins[0].clone()]))
            }
            _ => None,
        },
        ("cast", [x]) => {
            let Some(AttrValue::DType(to)) = op.get("dtype") else {
                return None;
            };
            if src_dtype(g, x) == Some(*to) && same(x) {
                return Some(Rewrite::Replace(x.clone()));
            }
            let (inner, ins) = producer(x)?;
            let Some(AttrValue::DType(mid)) = inner.get("dtype") else {
                return None;
            };
            let y = ins.first()?;
            (inner.name() == "cast"
                && src_dtype(g, y) == Some(*to)
                && exact_round_trip(*to, *mid)
                && same(y))
            .then(|| Rewrite::Replace(y.clone()))
        }
        _ => None,
    }
}

/// Applies the identities; returns how many nodes were rewritten. Nodes that now stand
/// for another value are left unused for [`super::dce`].
pub(crate) fn run(g: &mut Graph) -> usize {
    let n = g.nodes.len();
    let mut subst: Vec<Option<Src>> = vec![None; n];
    let mut changed = 0;
    for i in 0..n {
        resolve_inputs(g, i, &subst);
        match rewrite(g, i) {
            Some(Rewrite::Replace(s)) => {
                subst[i] = Some(s);
                changed += 1;
            }
            Some(Rewrite::Inputs(v)) => {
                if let NodeKind::Op { inputs, .. } = &mut g.nodes[i].kind {
                    *inputs = v;
                    changed += 1;
                }
            }
            None => {}
        }
    }
    if changed > 0 {
        substitute(g, &subst);
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::super::dce;
    use super::super::testutil::{assert_same, data, trace, train_step, train_vars};
    use super::*;
    use crate::function::{Args, Value};
    use crate::{Result, Tensor};

    fn scalar(v: f64, dtype: DType) -> Tensor {
        Tensor::scalar_of(v, dtype)
    }

    #[test]
    fn removes_exact_identities_only() {
        let f = |a: &Args| -> Result<Value> {
            let x = a.tensor(0)?;
            let y = x.mul(&scalar(1.0, DType::F32))?; // -> x
            let y = scalar(1.0, DType::F32).mul(&y)?; // -> x
            let y = y.div(&scalar(1.0, DType::F32))?; // -> x
            let y = y.sub(&scalar(0.0, DType::F32))?; // -> x
            let y = y.add(&scalar(-0.0, DType::F32))?; // -> x
            let y = y.neg()?.neg()?; // -> x
            let y = y.identity(); // -> x
            let kept = y.add(&scalar(0.0, DType::F32))?; // -0 + 0 = +0: kept
            let wide = x.mul(&Tensor::ones(&[2, 1], DType::F32))?; // broadcasts: kept
            let r = x.reshape(&[2, 2])?.reshape(&[-1])?; // one reshape
            let c = x.cast(DType::F64)?.cast(DType::F32)?; // exact round trip -> x
            let lossy = x.cast(DType::I32)?.cast(DType::F32)?; // kept
            Ok(Value::Tuple(vec![
                Value::from(y),
                Value::from(kept),
                Value::from(wide),
                Value::from(r),
                Value::from(c),
                Value::from(lossy),
            ]))
        };
        let args = [Value::from(data(4, 1))];
        let before = trace(f, &args);
        let mut after = before.clone();
        let changed = run(&mut after);
        assert_eq!(changed, 9, "{}", before.listing());
        dce::run(&mut after);
        let l = after.listing();
        assert_eq!(
            l,
            "%0 = add(%in0, const()) : float32(4,)\n\
             %1 = mul(%in0, const(2, 1)) : float32(2, 4)\n\
             %2 = reshape[shape=[-1]](%in0) : float32(4,)\n\
             %3 = cast[dtype=int32](%in0) : int32(4,)\n\
             %4 = cast[dtype=float32](%3) : float32(4,)\n",
            "{l}"
        );
        let mut x = data(4, 2).to_vec::<f32>().unwrap();
        x[0] = -0.0;
        x[1] = f32::NAN;
        x[2] = f32::INFINITY;
        let x = Tensor::from_vec(x, &[4]).unwrap();
        assert_same(&before, &after, &[Value::from(x)], &[]);
    }

    #[test]
    fn integer_identities() {
        let f = |a: &Args| -> Result<Value> {
            let x = a.tensor(0)?;
            let y = x
                .add(&scalar(0.0, DType::I32))?
                .mul(&scalar(1.0, DType::I32))?;
            Ok(Value::from(y.sub(&scalar(0.0, DType::I32))?))
        };
        let x = Tensor::from_vec(vec![-3i32, 0, i32::MAX], &[3]).unwrap();
        let before = trace(f, &[Value::from(x)]);
        let mut after = before.clone();
        assert_eq!(run(&mut after), 3);
        dce::run(&mut after);
        assert_eq!(after.nodes.len(), 0, "{}", after.listing());
        let x2 = Tensor::from_vec(vec![7i32, i32::MIN, 1], &[3]).unwrap();
        assert_same(&before, &after, &[Value::from(x2)], &[]);
    }

    #[test]
    fn gradient_and_update_step_replays_bit_identically() {
        let (w, m, v, vars) = train_vars(16);
        let args = [Value::from(data(16, 11)), Value::from(data(16, 12))];
        let before = trace(train_step(w, m, v), &args);
        let mut after = before.clone();
        let changed = run(&mut after);
        assert!(changed >= 1, "upd * 1:\n{}", before.listing());
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
