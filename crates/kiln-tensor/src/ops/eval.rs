//! Recomputing an op from its name and attributes (the replay side of a traced graph).
//!
//! Placeholder covering a few ops until the full dispatcher lands.

use crate::autodiff::{AttrValue, Op};
use crate::{Error, Result, Tensor};

/// Recomputes `op` on `inputs`.
pub fn eval(op: &Op, inputs: &[&Tensor]) -> Result<Tensor> {
    let arg = |i: usize| -> Result<&Tensor> {
        inputs.get(i).copied().ok_or_else(|| {
            Error::Trace(format!("op '{}' needs input {i}", op.name()))
        })
    };
    match op.name() {
        "add" => arg(0)?.add(arg(1)?),
        "sub" => arg(0)?.sub(arg(1)?),
        "mul" => arg(0)?.mul(arg(1)?),
        "div" => arg(0)?.div(arg(1)?),
        "neg" => arg(0)?.neg(),
        "exp" => arg(0)?.exp(),
        "square" => arg(0)?.square(),
        "identity" => Ok(arg(0)?.identity()),
        "full_like" => match op.get("value") {
            Some(AttrValue::Float(v)) => Ok(arg(0)?.full_like(*v)),
            _ => Err(Error::Trace("full_like needs attr value".into())),
        },
        "sum" => {
            let axes: Vec<isize> = match op.get("axes") {
                Some(AttrValue::Ints(v)) => v.iter().map(|&x| x as isize).collect(),
                _ => return Err(Error::Trace("sum needs attr axes".into())),
            };
            let keep = matches!(op.get("keepdims"), Some(AttrValue::Bool(true)));
            arg(0)?.sum(&axes, keep)
        }
        other => Err(Error::Trace(format!("op '{other}' cannot be replayed yet"))),
    }
}
