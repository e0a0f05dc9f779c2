//! Which ops fuse: the elementwise `float32` kinds a fused kernel evaluates, read from
//! an op and its attributes.

use crate::autodiff::{AttrValue, Op};

/// One elementwise step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Kind {
    Add,
    Sub,
    Mul,
    Div,
    Max,
    Min,
    Neg,
    Abs,
    Square,
    Exp,
    Log,
    Sqrt,
    Rsqrt,
    Recip,
    Tanh,
    Sigmoid,
    Relu,
    /// `g * (x > 0 ? on : off)`.
    SelectSign {
        on: f32,
        off: f32,
    },
    /// `g * (lo < x < hi ? on : off)`, each end `<=` when inclusive, compared in f64.
    SelectPred {
        lo: f64,
        hi: f64,
        lo_inclusive: bool,
        hi_inclusive: bool,
        on: f32,
        off: f32,
    },
}

impl Kind {
    pub(super) fn arity(self) -> usize {
        match self {
            Kind::Add
            | Kind::Sub
            | Kind::Mul
            | Kind::Div
            | Kind::Max
            | Kind::Min
            | Kind::SelectSign { .. }
            | Kind::SelectPred { .. } => 2,
            _ => 1,
        }
    }

    /// Ops whose own kernel takes another code path on strided f32 inputs.
    pub(super) fn layout_sensitive(self) -> bool {
        matches!(self, Kind::Exp | Kind::Tanh | Kind::Sigmoid)
    }
}

pub(super) fn float_attr(op: &Op, key: &str) -> Option<f64> {
    match op.get(key)? {
        AttrValue::Float(v) => Some(*v),
        AttrValue::Int(v) => Some(*v as f64),
        _ => None,
    }
}

pub(super) fn bool_attr(op: &Op, key: &str) -> Option<bool> {
    match op.get(key)? {
        AttrValue::Bool(v) => Some(*v),
        _ => None,
    }
}

/// The step an op computes, if it fuses.
pub(super) fn kind_of(op: &Op) -> Option<Kind> {
    Some(match op.name() {
        "add" => Kind::Add,
        "sub" => Kind::Sub,
        "mul" => Kind::Mul,
        "div" => Kind::Div,
        "maximum" => Kind::Max,
        "minimum" => Kind::Min,
        "neg" => Kind::Neg,
        "abs" => Kind::Abs,
        "square" => Kind::Square,
        "exp" => Kind::Exp,
        "log" => Kind::Log,
        "sqrt" => Kind::Sqrt,
        "rsqrt" => Kind::Rsqrt,
        "reciprocal" => Kind::Recip,
        "tanh" => Kind::Tanh,
        "sigmoid" => Kind::Sigmoid,
        "relu" => Kind::Relu,
        // The kernels convert the f64 attributes to f32 the same way.
        "select_by_sign" => Kind::SelectSign {
            on: float_attr(op, "on")? as f32,
            off: float_attr(op, "off")? as f32,
        },
        "select_by_input" => Kind::SelectPred {
            lo: float_attr(op, "lo")?,
            hi: float_attr(op, "hi")?,
            lo_inclusive: bool_attr(op, "lo_inclusive")?,
            hi_inclusive: bool_attr(op, "hi_inclusive")?,
            on: float_attr(op, "on")? as f32,
            off: float_attr(op, "off")? as f32,
        },
        _ => return None,
    })
}
