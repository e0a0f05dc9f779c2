//! Element types and attribute values.

/// The element type of a dataset or attribute, as far as this crate
/// understands it.
///
/// ```
/// use kiln_hdf5::DType;
/// assert_eq!(DType::F32.size(), Some(4));
/// assert_eq!(DType::FixedString(7).size(), Some(7));
/// assert_eq!(DType::VarString.size(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    /// Signed 8-bit integer.
    I8,
    /// Signed 16-bit integer.
    I16,
    /// Signed 32-bit integer.
    I32,
    /// Signed 64-bit integer.
    I64,
    /// Unsigned 8-bit integer.
    U8,
    /// Unsigned 16-bit integer.
    U16,
    /// Unsigned 32-bit integer.
    U32,
    /// Unsigned 64-bit integer.
    U64,
    /// IEEE half precision float.
    F16,
    /// IEEE single precision float.
    F32,
    /// IEEE double precision float.
    F64,
    /// Fixed-length byte string of the given length (NumPy `S<len>`).
    FixedString(usize),
    /// Variable-length string stored in the global heap (h5py `str`).
    VarString,
    /// h5py's boolean: an enum of `i8` with members FALSE = 0, TRUE = 1.
    Bool,
}

impl DType {
    /// Size of one element in bytes as stored in the file, or `None` for
    /// variable-length strings.
    ///
    /// ```
    /// assert_eq!(kiln_hdf5::DType::I64.size(), Some(8));
    /// ```
    pub fn size(&self) -> Option<usize> {
        Some(match self {
            DType::I8 | DType::U8 | DType::Bool => 1,
            DType::I16 | DType::U16 | DType::F16 => 2,
            DType::I32 | DType::U32 | DType::F32 => 4,
            DType::I64 | DType::U64 | DType::F64 => 8,
            DType::FixedString(n) => *n,
            DType::VarString => return None,
        })
    }

    /// True for the integer types (signed or unsigned) and `Bool`.
    ///
    /// ```
    /// assert!(kiln_hdf5::DType::U16.is_integer());
    /// assert!(!kiln_hdf5::DType::F16.is_integer());
    /// ```
    pub fn is_integer(&self) -> bool {
        matches!(
            self,
            DType::I8
                | DType::I16
                | DType::I32
                | DType::I64
                | DType::U8
                | DType::U16
                | DType::U32
                | DType::U64
                | DType::Bool
        )
    }

    /// True for `F16`, `F32` and `F64`.
    ///
    /// ```
    /// assert!(kiln_hdf5::DType::F64.is_float());
    /// ```
    pub fn is_float(&self) -> bool {
        matches!(self, DType::F16 | DType::F32 | DType::F64)
    }

    /// True for fixed-length and variable-length strings.
    ///
    /// ```
    /// assert!(kiln_hdf5::DType::VarString.is_string());
    /// ```
    pub fn is_string(&self) -> bool {
        matches!(self, DType::FixedString(_) | DType::VarString)
    }
}

/// The value of an attribute.
///
/// Scalars (shape `[]`) use the singular variants, arrays (any rank,
/// flattened in C order) the plural ones. Integers of every width become
/// `Int`/`Ints`, floats of every width `Float`/`Floats`, fixed-length and
/// variable-length strings `String`/`Strings` (bytes that are not UTF-8 are
/// replaced with U+FFFD).
///
/// ```
/// use kiln_hdf5::AttrValue;
/// let v = AttrValue::Strings(vec!["dense".into(), "dense_1".into()]);
/// assert_eq!(v.as_strings().unwrap(), vec!["dense", "dense_1"]);
/// assert_eq!(AttrValue::Int(3).as_i64(), Some(3));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// A scalar string.
    String(String),
    /// An array of strings.
    Strings(Vec<String>),
    /// A scalar integer.
    Int(i64),
    /// An array of integers.
    Ints(Vec<i64>),
    /// A scalar float.
    Float(f64),
    /// An array of floats.
    Floats(Vec<f64>),
    /// A scalar boolean.
    Bool(bool),
    /// An array of booleans.
    Bools(Vec<bool>),
    /// An attribute with a null dataspace (h5py `Empty`): no value at all.
    Empty,
}

impl AttrValue {
    /// The scalar string, if this is `String`.
    ///
    /// ```
    /// use kiln_hdf5::AttrValue;
    /// assert_eq!(AttrValue::String("x".into()).as_str(), Some("x"));
    /// assert_eq!(AttrValue::Int(1).as_str(), None);
    /// ```
    pub fn as_str(&self) -> Option<&str> {
        match self {
            AttrValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The strings of a `Strings` value, or a one-element list for `String`.
    ///
    /// ```
    /// use kiln_hdf5::AttrValue;
    /// assert_eq!(AttrValue::String("a".into()).as_strings(), Some(vec!["a"]));
    /// ```
    pub fn as_strings(&self) -> Option<Vec<&str>> {
        match self {
            AttrValue::String(s) => Some(vec![s.as_str()]),
            AttrValue::Strings(v) => Some(v.iter().map(String::as_str).collect()),
            _ => None,
        }
    }

    /// The scalar integer, if this is `Int` (or `Bool`, as 0/1).
    ///
    /// ```
    /// assert_eq!(kiln_hdf5::AttrValue::Bool(true).as_i64(), Some(1));
    /// ```
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            AttrValue::Int(i) => Some(*i),
            AttrValue::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    /// The scalar as `f64`, if this is `Float` or `Int`.
    ///
    /// ```
    /// assert_eq!(kiln_hdf5::AttrValue::Int(2).as_f64(), Some(2.0));
    /// ```
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            AttrValue::Float(f) => Some(*f),
            AttrValue::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
}

impl From<&str> for AttrValue {
    /// ```
    /// assert_eq!(kiln_hdf5::AttrValue::from("hi"), kiln_hdf5::AttrValue::String("hi".into()));
    /// ```
    fn from(s: &str) -> Self {
        AttrValue::String(s.to_string())
    }
}

impl From<String> for AttrValue {
    /// ```
    /// let v: kiln_hdf5::AttrValue = String::from("hi").into();
    /// assert_eq!(v.as_str(), Some("hi"));
    /// ```
    fn from(s: String) -> Self {
        AttrValue::String(s)
    }
}

impl From<i64> for AttrValue {
    /// ```
    /// assert_eq!(kiln_hdf5::AttrValue::from(5i64).as_i64(), Some(5));
    /// ```
    fn from(v: i64) -> Self {
        AttrValue::Int(v)
    }
}

impl From<f64> for AttrValue {
    /// ```
    /// assert_eq!(kiln_hdf5::AttrValue::from(0.5).as_f64(), Some(0.5));
    /// ```
    fn from(v: f64) -> Self {
        AttrValue::Float(v)
    }
}

impl From<bool> for AttrValue {
    /// ```
    /// assert_eq!(kiln_hdf5::AttrValue::from(true), kiln_hdf5::AttrValue::Bool(true));
    /// ```
    fn from(v: bool) -> Self {
        AttrValue::Bool(v)
    }
}

impl From<Vec<String>> for AttrValue {
    /// ```
    /// let v: kiln_hdf5::AttrValue = vec!["a".to_string()].into();
    /// assert_eq!(v.as_strings(), Some(vec!["a"]));
    /// ```
    fn from(v: Vec<String>) -> Self {
        AttrValue::Strings(v)
    }
}

impl From<&[&str]> for AttrValue {
    /// ```
    /// let names: &[&str] = &["dense", "dense_1"];
    /// let v: kiln_hdf5::AttrValue = names.into();
    /// assert_eq!(v.as_strings(), Some(vec!["dense", "dense_1"]));
    /// ```
    fn from(v: &[&str]) -> Self {
        AttrValue::Strings(v.iter().map(|s| s.to_string()).collect())
    }
}

impl From<Vec<i64>> for AttrValue {
    /// ```
    /// let v: kiln_hdf5::AttrValue = vec![1i64, 2].into();
    /// assert_eq!(v, kiln_hdf5::AttrValue::Ints(vec![1, 2]));
    /// ```
    fn from(v: Vec<i64>) -> Self {
        AttrValue::Ints(v)
    }
}

impl From<Vec<f64>> for AttrValue {
    /// ```
    /// let v: kiln_hdf5::AttrValue = vec![0.5].into();
    /// assert_eq!(v, kiln_hdf5::AttrValue::Floats(vec![0.5]));
    /// ```
    fn from(v: Vec<f64>) -> Self {
        AttrValue::Floats(v)
    }
}

/// Converts IEEE half-precision bits to `f32` (exact).
pub(crate) fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let man = u32::from(h & 0x3ff);
    let bits = if exp == 0 {
        if man == 0 {
            sign
        } else {
            // subnormal: value = man * 2^-24
            let v = man as f32 * (1.0 / 16_777_216.0);
            return if sign != 0 { -v } else { v };
        }
    } else if exp == 0x1f {
        sign | 0x7f80_0000 | (man << 13)
    } else {
        sign | ((exp + 112) << 23) | (man << 13)
    };
    f32::from_bits(bits)
}
