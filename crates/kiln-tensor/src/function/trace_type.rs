//! Trace types: the cache key of a traced function, with TF's subtype and relaxation rules.

use std::fmt;

use super::value::{sorted, ObjectId, Value};
use crate::DType;

/// The type of a tensor input: a dtype and a shape whose dimensions (or whole rank) may be
/// unknown, as `tf.TensorSpec`.
///
/// ```
/// use kiln_tensor::function::TensorSpec;
/// use kiln_tensor::DType;
/// let s = TensorSpec::new(&[None, Some(2)], DType::F32);
/// assert_eq!(s.to_string(), "TensorSpec(shape=(None, 2), dtype=tf.float32, name=None)");
/// assert!(s.accepts_shape(&[5, 2]));
/// assert!(!s.accepts_shape(&[5, 3]));
/// assert!(TensorSpec::unknown_rank(DType::F32).accepts_shape(&[]));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct TensorSpec {
    /// The dimensions (`None` = any size), or `None` for any rank.
    pub shape: Option<Vec<Option<usize>>>,
    /// The dtype.
    pub dtype: DType,
}

impl TensorSpec {
    /// A spec with the given dimensions (`None` for any size).
    pub fn new(shape: &[Option<usize>], dtype: DType) -> TensorSpec {
        TensorSpec {
            shape: Some(shape.to_vec()),
            dtype,
        }
    }

    /// A spec of exactly this shape.
    pub fn exact(shape: &[usize], dtype: DType) -> TensorSpec {
        TensorSpec {
            shape: Some(shape.iter().map(|&d| Some(d)).collect()),
            dtype,
        }
    }

    /// A spec accepting any rank (`TensorSpec(None, dtype)`).
    pub fn unknown_rank(dtype: DType) -> TensorSpec {
        TensorSpec { shape: None, dtype }
    }

    /// Whether a tensor of `shape` fits (rank and every known dimension).
    pub fn accepts_shape(&self, shape: &[usize]) -> bool {
        match &self.shape {
            None => true,
            Some(dims) => {
                dims.len() == shape.len()
                    && dims
                        .iter()
                        .zip(shape)
                        .all(|(d, s)| d.is_none_or(|d| d == *s))
            }
        }
    }

    fn accepts(&self, other: &TensorSpec) -> bool {
        if self.dtype != other.dtype {
            return false;
        }
        match (&self.shape, &other.shape) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(a), Some(b)) => {
                a.len() == b.len()
                    && a.iter().zip(b).all(|(x, y)| match (x, y) {
                        (None, _) => true,
                        (Some(x), Some(y)) => x == y,
                        (Some(_), None) => false,
                    })
            }
        }
    }

    fn join(&self, other: &TensorSpec) -> Option<TensorSpec> {
        if self.dtype != other.dtype {
            return None;
        }
        let shape = match (&self.shape, &other.shape) {
            (Some(a), Some(b)) if a.len() == b.len() => Some(
                a.iter()
                    .zip(b)
                    .map(|(x, y)| if x == y { *x } else { None })
                    .collect(),
            ),
            _ => None,
        };
        Some(TensorSpec {
            shape,
            dtype: self.dtype,
        })
    }
}

impl fmt::Display for TensorSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TensorSpec(shape=")?;
        match &self.shape {
            None => write!(f, "<unknown>")?,
            Some(dims) => {
                write!(f, "(")?;
                for (i, d) in dims.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    match d {
                        Some(d) => write!(f, "{d}")?,
                        None => write!(f, "None")?,
                    }
                }
                if dims.len() == 1 {
                    write!(f, ",")?;
                }
                write!(f, ")")?;
            }
        }
        write!(f, ", dtype=tf.{}, name=None)", self.dtype.name())
    }
}

/// The trace type of one argument (a node of the cache key).
#[derive(Clone, Debug, PartialEq)]
pub enum TraceType {
    /// A tensor.
    Tensor(TensorSpec),
    /// A variable (a different kind from a tensor of the same spec).
    Variable(TensorSpec),
    /// A Python number (`int`, `float`, `bool` compare equal by value, as in Python).
    Number(f64),
    /// `None`.
    None,
    /// A string.
    Str(String),
    /// A list of these types.
    List(Vec<TraceType>),
    /// A tuple of these types.
    Tuple(Vec<TraceType>),
    /// A dict, keys sorted.
    Dict(Vec<(String, TraceType)>),
    /// An object by identity.
    Object(ObjectId),
}

impl TraceType {
    /// The exact type of a value.
    pub fn of(v: &Value) -> TraceType {
        match v {
            Value::Tensor(t) | Value::Array(t) => {
                TraceType::Tensor(TensorSpec::exact(t.shape(), t.dtype()))
            }
            Value::Variable(x) => TraceType::Variable(TensorSpec::exact(&x.shape(), x.dtype())),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                TraceType::Number(v.as_f64().unwrap_or(f64::NAN))
            }
            Value::None => TraceType::None,
            Value::Str(s) => TraceType::Str(s.clone()),
            Value::List(items) => TraceType::List(items.iter().map(TraceType::of).collect()),
            Value::Tuple(items) => TraceType::Tuple(items.iter().map(TraceType::of).collect()),
            Value::Dict(d) => TraceType::Dict(
                sorted(d)
                    .into_iter()
                    .map(|(k, v)| (k.clone(), TraceType::of(v)))
                    .collect(),
            ),
            Value::Object(o) => TraceType::Object(*o),
        }
    }

    /// True when every value of `other` is a value of `self` (`self` is a supertype).
    pub fn accepts(&self, other: &TraceType) -> bool {
        use TraceType as T;
        match (self, other) {
            (T::Tensor(a), T::Tensor(b)) | (T::Variable(a), T::Variable(b)) => a.accepts(b),
            (T::Number(a), T::Number(b)) => a == b,
            (T::None, T::None) => true,
            (T::Str(a), T::Str(b)) => a == b,
            (T::List(a), T::List(b)) | (T::Tuple(a), T::Tuple(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.accepts(y))
            }
            (T::Dict(a), T::Dict(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|((ka, x), (kb, y))| ka == kb && x.accepts(y))
            }
            (T::Object(a), T::Object(b)) => a == b,
            _ => false,
        }
    }

    /// Like [`TraceType::accepts`] but with every tensor shape accepted (a concrete
    /// function's own call check).
    pub fn accepts_ignoring_shapes(&self, other: &TraceType) -> bool {
        use TraceType as T;
        match (self, other) {
            (T::Tensor(a), T::Tensor(b)) | (T::Variable(a), T::Variable(b)) => a.dtype == b.dtype,
            (T::List(a), T::List(b)) | (T::Tuple(a), T::Tuple(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.accepts_ignoring_shapes(y))
            }
            (T::Dict(a), T::Dict(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|((ka, x), (kb, y))| ka == kb && x.accepts_ignoring_shapes(y))
            }
            _ => self.accepts(other),
        }
    }

    /// The most specific common supertype, if the two have one: dimensions that differ
    /// become unknown, ranks that differ become an unknown rank; dtypes, plain values,
    /// structures and objects must be equal (`reduce_retracing`'s rule).
    pub fn join(&self, other: &TraceType) -> Option<TraceType> {
        use TraceType as T;
        Some(match (self, other) {
            (T::Tensor(a), T::Tensor(b)) => T::Tensor(a.join(b)?),
            (T::Variable(a), T::Variable(b)) => T::Variable(a.join(b)?),
            (T::List(a), T::List(b)) if a.len() == b.len() => T::List(join_all(a, b)?),
            (T::Tuple(a), T::Tuple(b)) if a.len() == b.len() => T::Tuple(join_all(a, b)?),
            (T::Dict(a), T::Dict(b))
                if a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.0 == y.0) =>
            {
                let mut out = Vec::with_capacity(a.len());
                for ((k, x), (_, y)) in a.iter().zip(b) {
                    out.push((k.clone(), x.join(y)?));
                }
                T::Dict(out)
            }
            (a, b) if a == b => a.clone(),
            _ => return None,
        })
    }
}

fn join_all(a: &[TraceType], b: &[TraceType]) -> Option<Vec<TraceType>> {
    a.iter().zip(b).map(|(x, y)| x.join(y)).collect()
}

impl fmt::Display for TraceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceType::Tensor(s) => write!(f, "{s}"),
            TraceType::Variable(s) => write!(f, "Variable({s})"),
            TraceType::Number(x) => write!(f, "{x}"),
            TraceType::None => write!(f, "None"),
            TraceType::Str(s) => write!(f, "{s:?}"),
            TraceType::List(v) | TraceType::Tuple(v) => {
                let (o, c) = if matches!(self, TraceType::List(_)) {
                    ("[", "]")
                } else {
                    ("(", ")")
                };
                write!(f, "{o}")?;
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{x}")?;
                }
                write!(f, "{c}")
            }
            TraceType::Dict(d) => {
                write!(f, "{{")?;
                for (i, (k, x)) in d.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{k:?}: {x}")?;
                }
                write!(f, "}}")
            }
            TraceType::Object(o) => write!(f, "<object #{}>", o.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(shape: &[usize]) -> TraceType {
        TraceType::Tensor(TensorSpec::exact(shape, DType::F32))
    }

    #[test]
    fn python_numbers_compare_by_value() {
        let one = TraceType::of(&Value::Int(1));
        assert!(one.accepts(&TraceType::of(&Value::Float(1.0))));
        assert!(one.accepts(&TraceType::of(&Value::Bool(true))));
        assert!(!one.accepts(&TraceType::of(&Value::Int(2))));
    }

    #[test]
    fn join_relaxes_dims_then_rank() {
        let a = t(&[2]).join(&t(&[3])).unwrap();
        assert_eq!(a, TraceType::Tensor(TensorSpec::new(&[None], DType::F32)));
        let b = a.join(&t(&[2, 2])).unwrap();
        assert_eq!(b, TraceType::Tensor(TensorSpec::unknown_rank(DType::F32)));
        assert!(b.accepts(&t(&[])));
        assert!(t(&[2])
            .join(&TraceType::Tensor(TensorSpec::exact(&[2], DType::F64)))
            .is_none());
        assert!(TraceType::Number(1.0)
            .join(&TraceType::Number(2.0))
            .is_none());
    }

    #[test]
    fn variables_are_another_kind() {
        let v = TraceType::Variable(TensorSpec::exact(&[2], DType::F32));
        assert!(!v.accepts(&t(&[2])));
        assert!(!t(&[2]).accepts(&v));
    }

    #[test]
    fn structures_are_in_the_key() {
        let l = TraceType::List(vec![t(&[2]), t(&[2])]);
        let tu = TraceType::Tuple(vec![t(&[2]), t(&[2])]);
        assert!(!l.accepts(&tu));
        let d1 = TraceType::of(&Value::Dict(vec![
            ("a".into(), Value::Int(1)),
            ("b".into(), Value::Int(2)),
        ]));
        let d2 = TraceType::of(&Value::Dict(vec![
            ("b".into(), Value::Int(2)),
            ("a".into(), Value::Int(1)),
        ]));
        assert!(d1.accepts(&d2));
    }
}
