//! Typed, shared element buffers behind tensors.

use crate::dtype::DType;
use half::{bf16, f16};

/// The elements of a tensor, one vector per dtype. Tensors share a `Buffer` through an
/// `Arc`; views (reshape, transpose, slice, broadcast) only change the layout.
///
/// Strings are held as `Arc<str>`: every data-movement op on strings (gather, concat,
/// tile, batching in a dataset, `where_cond`) copies elements, and an `Arc<str>` copy is a
/// reference-count increment instead of a heap allocation and a byte copy as with
/// `String`; strings in a tensor are never mutated in place, so shared ownership costs
/// nothing.
#[derive(Debug, Clone, PartialEq)]
#[doc(hidden)]
pub enum Buffer {
    F32(Vec<f32>),
    F64(Vec<f64>),
    F16(Vec<f16>),
    BF16(Vec<bf16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    U8(Vec<u8>),
    Bool(Vec<bool>),
    String(Vec<std::sync::Arc<str>>),
}

impl Drop for Buffer {
    fn drop(&mut self) {
        if let Buffer::F32(v) = self {
            crate::cpu::alloc::give_f32(std::mem::take(v));
        }
    }
}

impl Buffer {
    pub(crate) fn dtype(&self) -> DType {
        match self {
            Buffer::F32(_) => DType::F32,
            Buffer::F64(_) => DType::F64,
            Buffer::F16(_) => DType::F16,
            Buffer::BF16(_) => DType::BF16,
            Buffer::I32(_) => DType::I32,
            Buffer::I64(_) => DType::I64,
            Buffer::U8(_) => DType::U8,
            Buffer::Bool(_) => DType::Bool,
            Buffer::String(_) => DType::String,
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Buffer::F32(v) => v.len(),
            Buffer::F64(v) => v.len(),
            Buffer::F16(v) => v.len(),
            Buffer::BF16(v) => v.len(),
            Buffer::I32(v) => v.len(),
            Buffer::I64(v) => v.len(),
            Buffer::U8(v) => v.len(),
            Buffer::Bool(v) => v.len(),
            Buffer::String(v) => v.len(),
        }
    }
}

/// Runs `$body` with `$T` bound to the Rust element type of `$dtype` (an
/// [`crate::Element`]); a string `$dtype` evaluates `$string` instead, so that every
/// numeric dispatch says what it does with strings. The one place where runtime dtypes
/// become static types.
#[macro_export]
#[doc(hidden)]
macro_rules! with_dtype {
    ($dtype:expr, $T:ident => $body:expr, string => $string:expr) => {
        match $dtype {
            $crate::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::DType::F64 => {
                type $T = f64;
                $body
            }
            $crate::DType::F16 => {
                type $T = half::f16;
                $body
            }
            $crate::DType::BF16 => {
                type $T = half::bf16;
                $body
            }
            $crate::DType::I32 => {
                type $T = i32;
                $body
            }
            $crate::DType::I64 => {
                type $T = i64;
                $body
            }
            $crate::DType::U8 => {
                type $T = u8;
                $body
            }
            $crate::DType::Bool => {
                type $T = bool;
                $body
            }
            $crate::DType::String => $string,
        }
    };
}

/// Runs `$body` with `$T` bound to the stored type of `$dtype`, a
/// [`crate::dtype::Storable`]: the element types and `Arc<str>` for strings. For
/// data-movement kernels, which work on every dtype.
macro_rules! with_any_dtype {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            $crate::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::DType::F64 => {
                type $T = f64;
                $body
            }
            $crate::DType::F16 => {
                type $T = half::f16;
                $body
            }
            $crate::DType::BF16 => {
                type $T = half::bf16;
                $body
            }
            $crate::DType::I32 => {
                type $T = i32;
                $body
            }
            $crate::DType::I64 => {
                type $T = i64;
                $body
            }
            $crate::DType::U8 => {
                type $T = u8;
                $body
            }
            $crate::DType::Bool => {
                type $T = bool;
                $body
            }
            $crate::DType::String => {
                type $T = std::sync::Arc<str>;
                $body
            }
        }
    };
}
pub(crate) use with_any_dtype;
