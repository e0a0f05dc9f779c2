//! Runtime element types and the Rust types that carry them.

use crate::storage::Buffer;
use half::{bf16, f16};

/// The element type of a tensor, chosen at run time as in TensorFlow.
///
/// ```
/// use kiln_tensor::{DType, Tensor};
/// let t = Tensor::from_vec(vec![1i32, 2, 3], &[3]).unwrap();
/// assert_eq!(t.dtype(), DType::I32);
/// assert_eq!(DType::F32.name(), "float32");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    /// 32-bit IEEE float, the default float type.
    F32,
    /// 64-bit IEEE float.
    F64,
    /// 16-bit IEEE half float (computed in f32, stored in f16).
    F16,
    /// bfloat16 (computed in f32, stored in bf16).
    BF16,
    /// 32-bit signed integer.
    I32,
    /// 64-bit signed integer (the dtype of argmax/argsort results).
    I64,
    /// 8-bit unsigned integer (image bytes).
    U8,
    /// Boolean (comparison results, masks).
    Bool,
    /// Variable-length UTF-8 strings (TF's `tf.string`, Keras's dtype `"string"`): the
    /// input of text preprocessing. Strings are never differentiable and no numeric op
    /// accepts them (each returns an `Err` naming the op); shape and data-movement ops
    /// (reshape, slice, gather, concat, stack, tile, `where_cond`...) and `equal` /
    /// `not_equal` work on them. See [`crate::Tensor::from_strings`].
    ///
    /// ```
    /// use kiln_tensor::{DType, Tensor};
    /// let t = Tensor::from_strings(vec!["a b", "c"], &[2]).unwrap();
    /// assert_eq!(t.dtype(), DType::String);
    /// assert_eq!(DType::String.name(), "string");
    /// ```
    String,
}

impl DType {
    /// TensorFlow / NumPy name: `float32`, `int64`, `bool`...
    ///
    /// ```
    /// assert_eq!(kiln_tensor::DType::BF16.name(), "bfloat16");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::U8 => "uint8",
            DType::Bool => "bool",
            DType::String => "string",
        }
    }

    /// Parses a TF/NumPy name (`"float32"`, `"int64"`...) or the short kiln name (`"f32"`).
    ///
    /// ```
    /// use kiln_tensor::DType;
    /// assert_eq!(DType::parse("float64").unwrap(), DType::F64);
    /// assert!(DType::parse("complex64").is_err());
    /// ```
    pub fn parse(name: &str) -> crate::Result<DType> {
        Ok(match name {
            "float32" | "f32" => DType::F32,
            "float64" | "f64" | "double" => DType::F64,
            "float16" | "f16" | "half" => DType::F16,
            "bfloat16" | "bf16" => DType::BF16,
            "int32" | "i32" => DType::I32,
            "int64" | "i64" => DType::I64,
            "uint8" | "u8" => DType::U8,
            "bool" => DType::Bool,
            "string" | "str" => DType::String,
            other => {
                return Err(crate::Error::arg(
                    "DType::parse",
                    format!(
                        "unknown dtype '{other}'; expected one of float32, float64, float16, bfloat16, int32, int64, uint8, bool, string"
                    ),
                ))
            }
        })
    }

    /// True for f32, f64, f16 and bf16: the dtypes gradients flow through.
    ///
    /// ```
    /// assert!(kiln_tensor::DType::F16.is_float());
    /// assert!(!kiln_tensor::DType::I32.is_float());
    /// ```
    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64 | DType::F16 | DType::BF16)
    }

    /// True for i32, i64 and u8.
    ///
    /// ```
    /// assert!(kiln_tensor::DType::U8.is_int());
    /// ```
    pub fn is_int(self) -> bool {
        matches!(self, DType::I32 | DType::I64 | DType::U8)
    }

    /// True for [`DType::String`].
    ///
    /// ```
    /// assert!(kiln_tensor::DType::String.is_string());
    /// assert!(!kiln_tensor::DType::U8.is_string());
    /// ```
    pub fn is_string(self) -> bool {
        self == DType::String
    }

    /// Bytes per element. For [`DType::String`] this is the size of the element handle
    /// (an `Arc<str>`: pointer and length), not of the text, which varies per element.
    ///
    /// ```
    /// assert_eq!(kiln_tensor::DType::BF16.size_in_bytes(), 2);
    /// ```
    pub fn size_in_bytes(self) -> usize {
        match self {
            DType::String => std::mem::size_of::<std::sync::Arc<str>>(),
            DType::F64 | DType::I64 => 8,
            DType::F32 | DType::I32 => 4,
            DType::F16 | DType::BF16 => 2,
            DType::U8 | DType::Bool => 1,
        }
    }

    /// Short name used in `Display` (`f32`, `i64`...).
    pub(crate) fn short(self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::F64 => "f64",
            DType::F16 => "f16",
            DType::BF16 => "bf16",
            DType::I32 => "i32",
            DType::I64 => "i64",
            DType::U8 => "u8",
            DType::Bool => "bool",
            DType::String => "string",
        }
    }
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.short())
    }
}

/// A Rust type that can be a tensor element: `f32`, `f64`, `f16`, `bf16`, `i32`, `i64`,
/// `u8`, `bool`. Used by `from_vec`, `to_vec` and scalar extraction.
///
/// ```
/// use kiln_tensor::{DType, Element};
/// assert_eq!(<f64 as Element>::DTYPE, DType::F64);
/// assert_eq!(<i32 as Element>::from_f64(2.7), 2);
/// ```
pub trait Element: Copy + Send + Sync + PartialOrd + std::fmt::Debug + 'static {
    /// The runtime dtype of this type.
    const DTYPE: DType;
    /// Converts to f64 (bool: 0 or 1).
    fn to_f64(self) -> f64;
    /// Converts from f64 with C-style truncation for integers (as `tf.cast`).
    fn from_f64(v: f64) -> Self;
    /// Zero of the type (false for bool).
    fn zero() -> Self;
    /// One of the type (true for bool).
    fn one() -> Self;
    #[doc(hidden)]
    fn wrap(v: Vec<Self>) -> Buffer;
    #[doc(hidden)]
    fn slice(b: &Buffer) -> Option<&[Self]>;
    #[doc(hidden)]
    fn slice_mut(b: &mut Buffer) -> Option<&mut [Self]>;
}

macro_rules! element_impl {
    ($t:ty, $variant:ident, $to:expr, $from:expr, $zero:expr, $one:expr) => {
        impl Element for $t {
            const DTYPE: DType = DType::$variant;
            #[inline(always)]
            fn to_f64(self) -> f64 {
                let f: fn($t) -> f64 = $to;
                f(self)
            }
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                let f: fn(f64) -> $t = $from;
                f(v)
            }
            #[inline(always)]
            fn zero() -> Self {
                $zero
            }
            #[inline(always)]
            fn one() -> Self {
                $one
            }
            fn wrap(v: Vec<Self>) -> Buffer {
                Buffer::$variant(v)
            }
            fn slice(b: &Buffer) -> Option<&[Self]> {
                match b {
                    Buffer::$variant(v) => Some(v),
                    _ => None,
                }
            }
            fn slice_mut(b: &mut Buffer) -> Option<&mut [Self]> {
                match b {
                    Buffer::$variant(v) => Some(v),
                    _ => None,
                }
            }
        }
    };
}

element_impl!(f32, F32, |x| x as f64, |v| v as f32, 0.0, 1.0);
element_impl!(f64, F64, |x| x, |v| v, 0.0, 1.0);
element_impl!(f16, F16, |x| x.to_f64(), f16::from_f64, f16::ZERO, f16::ONE);
element_impl!(
    bf16,
    BF16,
    |x| x.to_f64(),
    bf16::from_f64,
    bf16::ZERO,
    bf16::ONE
);
element_impl!(i32, I32, |x| x as f64, |v| v as i32, 0, 1);
element_impl!(i64, I64, |x| x as f64, |v| v as i64, 0, 1);
element_impl!(u8, U8, |x| x as f64, |v| v as u8, 0, 1);
element_impl!(
    bool,
    Bool,
    |x| if x { 1.0 } else { 0.0 },
    |v| v != 0.0,
    false,
    true
);

/// A type a tensor buffer can hold: every [`Element`] and, for [`DType::String`],
/// `Arc<str>`. Data-movement kernels (gather, concat, where...) are written against this
/// trait so they work on string tensors too; numeric kernels use [`Element`].
#[doc(hidden)]
pub trait Storable: Clone + Send + Sync + 'static {
    #[doc(hidden)]
    fn wrap_vec(v: Vec<Self>) -> Buffer;
    #[doc(hidden)]
    fn view(b: &Buffer) -> Option<&[Self]>;
    /// The value an empty position is filled with (padding, `zeros`): `0` or `""`.
    #[doc(hidden)]
    fn fill(v: f64) -> Self;
}

impl<T: Element> Storable for T {
    fn wrap_vec(v: Vec<Self>) -> Buffer {
        T::wrap(v)
    }
    fn view(b: &Buffer) -> Option<&[Self]> {
        T::slice(b)
    }
    fn fill(v: f64) -> Self {
        T::from_f64(v)
    }
}

impl Storable for std::sync::Arc<str> {
    fn wrap_vec(v: Vec<Self>) -> Buffer {
        Buffer::String(v)
    }
    fn view(b: &Buffer) -> Option<&[Self]> {
        match b {
            Buffer::String(v) => Some(v),
            _ => None,
        }
    }
    fn fill(_: f64) -> Self {
        empty_str()
    }
}

/// The shared empty string (one allocation for every `""` element).
pub(crate) fn empty_str() -> std::sync::Arc<str> {
    static EMPTY: std::sync::OnceLock<std::sync::Arc<str>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(|| std::sync::Arc::from("")).clone()
}
