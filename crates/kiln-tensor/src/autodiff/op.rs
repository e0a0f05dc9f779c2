//! Named ops: what a recorded node computed, as an op name and its attributes (TF's
//! `NodeDef`: `op` plus an attribute map; ONNX's node type plus attributes).
//!
//! Every op in `crate::ops` that records on a tape names itself with an [`Op`], built only
//! when something records, so the eager path pays nothing for it. A tape's recorded graph
//! can then be listed ([`crate::GradientTape::listing`]) and, on the same seam, traced,
//! exported and dispatched to other backends.
//!
//! ```
//! use kiln_tensor::autodiff::{AttrValue, Op};
//! let op = Op::new("matmul").attr("transpose_a", false).attr("transpose_b", true);
//! assert_eq!(op.name(), "matmul");
//! assert_eq!(op.get("transpose_b"), Some(&AttrValue::Bool(true)));
//! assert_eq!(op.to_string(), "matmul[transpose_a=false, transpose_b=true]");
//! ```

use std::fmt;

use crate::DType;

/// One attribute value of an [`Op`].
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// A flag (`keepdims`, `transpose_a`).
    Bool(bool),
    /// An integer (`axis`).
    Int(i64),
    /// A float (`alpha`, a scalar operand).
    Float(f64),
    /// A list of integers (`axes`, `perm`, `shape`, strides).
    Ints(Vec<i64>),
    /// A dtype (`cast`'s target).
    DType(DType),
    /// A string (`data_format`).
    Str(String),
}

impl fmt::Display for AttrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttrValue::Bool(b) => write!(f, "{b}"),
            AttrValue::Int(i) => write!(f, "{i}"),
            AttrValue::Float(x) => write!(f, "{x}"),
            AttrValue::Ints(v) => {
                write!(f, "[")?;
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{x}")?;
                }
                write!(f, "]")
            }
            AttrValue::DType(d) => write!(f, "{}", d.name()),
            AttrValue::Str(s) => write!(f, "{s:?}"),
        }
    }
}

impl From<bool> for AttrValue {
    fn from(v: bool) -> Self {
        AttrValue::Bool(v)
    }
}

impl From<f64> for AttrValue {
    fn from(v: f64) -> Self {
        AttrValue::Float(v)
    }
}

impl From<DType> for AttrValue {
    fn from(v: DType) -> Self {
        AttrValue::DType(v)
    }
}

impl From<&str> for AttrValue {
    fn from(v: &str) -> Self {
        AttrValue::Str(v.to_string())
    }
}

macro_rules! int_attr {
    ($($t:ty),*) => {$(
        impl From<$t> for AttrValue {
            fn from(v: $t) -> Self {
                AttrValue::Int(v as i64)
            }
        }
        impl From<&[$t]> for AttrValue {
            fn from(v: &[$t]) -> Self {
                AttrValue::Ints(v.iter().map(|&x| x as i64).collect())
            }
        }
        impl From<Vec<$t>> for AttrValue {
            fn from(v: Vec<$t>) -> Self {
                AttrValue::Ints(v.into_iter().map(|x| x as i64).collect())
            }
        }
    )*};
}
int_attr!(i32, i64, isize, usize);

/// A named op with its attributes, in the order they were given.
#[derive(Debug, Clone, PartialEq)]
pub struct Op {
    name: &'static str,
    attrs: Vec<(&'static str, AttrValue)>,
}

impl Op {
    /// An op without attributes.
    pub fn new(name: &'static str) -> Op {
        Op {
            name,
            attrs: Vec::new(),
        }
    }

    /// Adds an attribute.
    pub fn attr(mut self, key: &'static str, value: impl Into<AttrValue>) -> Op {
        self.attrs.push((key, value.into()));
        self
    }

    /// The op's name (`"matmul"`, `"conv2d"`).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The attributes, in the order given.
    pub fn attrs(&self) -> &[(&'static str, AttrValue)] {
        &self.attrs
    }

    /// One attribute by key.
    pub fn get(&self, key: &str) -> Option<&AttrValue> {
        self.attrs.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)?;
        if !self.attrs.is_empty() {
            write!(f, "[")?;
            for (i, (k, v)) in self.attrs.iter().enumerate() {
                if i > 0 {
                    write!(f, ", ")?;
                }
                write!(f, "{k}={v}")?;
            }
            write!(f, "]")?;
        }
        Ok(())
    }
}
