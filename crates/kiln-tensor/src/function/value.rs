//! [`Value`]: what a traced function takes and returns (a Python argument's twin).

use crate::{DType, Tensor, Variable};

/// An argument or result of a [`crate::function::Function`]: tensors and variables, the
/// plain values Python passes (`int`, `float`, `bool`, `None`, `str`), nested lists,
/// tuples and dicts, and opaque objects compared by identity (a Keras model passed as an
/// argument).
///
/// How each kind enters the trace cache key follows `tf.function`: a tensor by shape and
/// dtype, a variable by shape and dtype (but as another kind than a tensor), a plain value
/// by value (`1 == 1.0 == true`, as in Python), a structure by its shape, an object by its
/// identity.
///
/// ```
/// use kiln_tensor::function::Value;
/// use kiln_tensor::Tensor;
/// let v = Value::from((Tensor::scalar(1.0f32), 2i64));
/// assert!(matches!(v, Value::Tuple(ref items) if items.len() == 2));
/// assert_eq!(Value::from(3.5).as_f64(), Some(3.5));
/// ```
#[derive(Clone, Debug)]
pub enum Value {
    /// A tensor (traced by shape and dtype).
    Tensor(Tensor),
    /// A host array, NumPy's twin: traced like a tensor (by shape and dtype), but an
    /// `input_signature` casts it to the spec's dtype where a [`Value::Tensor`] of another
    /// dtype is rejected, as TF treats NumPy arrays. The closure receives a tensor.
    Array(Tensor),
    /// A variable, read when the traced function runs.
    Variable(Variable),
    /// A Python `int`.
    Int(i64),
    /// A Python `float`.
    Float(f64),
    /// A Python `bool`.
    Bool(bool),
    /// Python `None`.
    None,
    /// A Python `str`.
    Str(String),
    /// A Python `list`.
    List(Vec<Value>),
    /// A Python `tuple`.
    Tuple(Vec<Value>),
    /// A Python `dict`, in insertion order (the key ignores the order).
    Dict(Vec<(String, Value)>),
    /// Any other object, by identity ([`Value::object`]).
    Object(ObjectId),
}

/// The identity of an object passed to a traced function (a model, a Python object).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId(pub u64);

impl ObjectId {
    /// A fresh identity, distinct from every other on this process.
    pub fn fresh() -> ObjectId {
        ObjectId(crate::tensor::next_id())
    }
}

impl Value {
    /// An object compared by identity.
    pub fn object(id: ObjectId) -> Value {
        Value::Object(id)
    }

    /// The tensor, if this is one.
    pub fn as_tensor(&self) -> Option<&Tensor> {
        match self {
            Value::Tensor(t) | Value::Array(t) => Some(t),
            _ => None,
        }
    }

    /// The variable, if this is one.
    pub fn as_variable(&self) -> Option<&Variable> {
        match self {
            Value::Variable(v) => Some(v),
            _ => None,
        }
    }

    /// A plain number as f64 (`int`, `float`, `bool`).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            _ => None,
        }
    }

    /// A plain integer (`int`, or `bool` as 0/1).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    /// A plain bool (`bool`; Python truthiness of numbers is not applied).
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// True for `None`.
    pub fn is_none(&self) -> bool {
        matches!(self, Value::None)
    }

    /// The items of a list or tuple.
    pub fn items(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Tuple(v) => Some(v),
            _ => None,
        }
    }

    /// A dict entry by key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Dict(d) => d.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Every tensor leaf, depth first (dict entries in sorted key order).
    pub fn tensors(&self) -> Vec<&Tensor> {
        let mut out = Vec::new();
        self.visit(&mut |v| {
            if let Value::Tensor(t) | Value::Array(t) = v {
                out.push(t);
            }
        });
        out
    }

    /// Visits every leaf depth first, dict entries in sorted key order.
    pub(crate) fn visit<'a>(&'a self, f: &mut impl FnMut(&'a Value)) {
        match self {
            Value::List(v) | Value::Tuple(v) => v.iter().for_each(|x| x.visit(f)),
            Value::Dict(d) => {
                for (_, v) in sorted(d) {
                    v.visit(f);
                }
            }
            leaf => f(leaf),
        }
    }

    /// A short description for error messages (`f32[2, 3]`, `int 2`, `list of 3`).
    pub fn describe(&self) -> String {
        match self {
            Value::Tensor(t) => format!("tensor {}", spec_str(t.dtype(), t.shape())),
            Value::Array(t) => format!("array {}", spec_str(t.dtype(), t.shape())),
            Value::Variable(v) => format!("variable {}", spec_str(v.dtype(), &v.shape())),
            Value::Int(i) => format!("int {i}"),
            Value::Float(x) => format!("float {x:?}"),
            Value::Bool(b) => format!("bool {b}"),
            Value::None => "None".into(),
            Value::Str(s) => format!("str {s:?}"),
            Value::List(v) => format!("list of {}", v.len()),
            Value::Tuple(v) => format!("tuple of {}", v.len()),
            Value::Dict(d) => format!("dict with {} keys", d.len()),
            Value::Object(o) => format!("object #{}", o.0),
        }
    }
}

pub(crate) fn sorted(d: &[(String, Value)]) -> Vec<&(String, Value)> {
    let mut v: Vec<&(String, Value)> = d.iter().collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

fn spec_str(dtype: DType, shape: &[usize]) -> String {
    format!("{}{}", dtype.name(), crate::shape::fmt_shape(shape))
}

impl From<Tensor> for Value {
    fn from(t: Tensor) -> Self {
        Value::Tensor(t)
    }
}
impl From<&Tensor> for Value {
    fn from(t: &Tensor) -> Self {
        Value::Tensor(t.clone())
    }
}
impl From<Variable> for Value {
    fn from(v: Variable) -> Self {
        Value::Variable(v)
    }
}
impl From<&Variable> for Value {
    fn from(v: &Variable) -> Self {
        Value::Variable(v.clone())
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(v.into())
    }
}
impl From<usize> for Value {
    fn from(v: usize) -> Self {
        Value::Int(v as i64)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.into())
    }
}
impl From<()> for Value {
    fn from(_: ()) -> Self {
        Value::None
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::None, Into::into)
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Self {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}
macro_rules! tuple_value {
    ($($t:ident),+) => {
        impl<$($t: Into<Value>),+> From<($($t,)+)> for Value {
            #[allow(non_snake_case)]
            fn from(($($t,)+): ($($t,)+)) -> Self {
                Value::Tuple(vec![$($t.into()),+])
            }
        }
    };
}
tuple_value!(A);
tuple_value!(A, B);
tuple_value!(A, B, C);
tuple_value!(A, B, C, D);
tuple_value!(A, B, C, D, E);
