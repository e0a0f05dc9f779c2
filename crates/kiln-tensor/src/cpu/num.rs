//! Arithmetic on every numeric element type, with TF semantics: integers wrap on overflow
//! and divide with floor rounding; half types compute through f32.

use half::{bf16, f16};

use crate::dtype::Element;

/// Element arithmetic used by generic kernels (all numeric dtypes; not bool).
pub trait Num: Element {
    /// `a + b` (wrapping for integers).
    fn add(self, o: Self) -> Self;
    /// `a - b` (wrapping for integers).
    fn sub(self, o: Self) -> Self;
    /// `a * b` (wrapping for integers).
    fn mul(self, o: Self) -> Self;
    /// True division for floats; for integers kiln's `div` promotes, so this is floor division.
    fn div(self, o: Self) -> Self;
    /// `floor(a / b)`; integer division by zero gives 0 (TF raises on CPU; kiln checks first).
    fn floor_div(self, o: Self) -> Self;
    /// `a - floor(a / b) * b` (result has the divisor's sign, Python's `%`).
    fn floor_mod(self, o: Self) -> Self;
    /// `-a` (wrapping for integers; u8 wraps).
    fn neg(self) -> Self;
    /// `|a|`.
    fn abs(self) -> Self;
    /// -1, 0 or 1 (NaN stays NaN).
    fn sign(self) -> Self;
    /// The larger (NaN propagates for floats, as TF's maximum).
    fn max(self, o: Self) -> Self;
    /// The smaller (NaN propagates).
    fn min(self, o: Self) -> Self;
    /// `a ^ b` (integers: exponent must be >= 0).
    fn pow(self, o: Self) -> Self;
    /// Lowest finite value (identity of max).
    fn lowest() -> Self;
    /// Highest finite value (identity of min).
    fn highest() -> Self;
}

macro_rules! float_num {
    ($t:ty) => {
        impl Num for $t {
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                self + o
            }
            #[inline(always)]
            fn sub(self, o: Self) -> Self {
                self - o
            }
            #[inline(always)]
            fn mul(self, o: Self) -> Self {
                self * o
            }
            #[inline(always)]
            fn div(self, o: Self) -> Self {
                self / o
            }
            #[inline(always)]
            fn floor_div(self, o: Self) -> Self {
                (self / o).floor()
            }
            #[inline(always)]
            fn floor_mod(self, o: Self) -> Self {
                let r = self % o;
                if r != 0.0 && ((r < 0.0) != (o < 0.0)) {
                    r + o
                } else {
                    r
                }
            }
            #[inline(always)]
            fn neg(self) -> Self {
                -self
            }
            #[inline(always)]
            fn abs(self) -> Self {
                self.abs()
            }
            #[inline(always)]
            fn sign(self) -> Self {
                if self > 0.0 {
                    1.0
                } else if self < 0.0 {
                    -1.0
                } else {
                    self // 0, -0 or NaN
                }
            }
            #[inline(always)]
            fn max(self, o: Self) -> Self {
                if self.is_nan() || o.is_nan() {
                    <$t>::NAN
                } else if self >= o {
                    self
                } else {
                    o
                }
            }
            #[inline(always)]
            fn min(self, o: Self) -> Self {
                if self.is_nan() || o.is_nan() {
                    <$t>::NAN
                } else if self <= o {
                    self
                } else {
                    o
                }
            }
            #[inline(always)]
            fn pow(self, o: Self) -> Self {
                self.powf(o)
            }
            fn lowest() -> Self {
                <$t>::NEG_INFINITY
            }
            fn highest() -> Self {
                <$t>::INFINITY
            }
        }
    };
}
float_num!(f32);
float_num!(f64);

macro_rules! half_num {
    ($t:ty) => {
        impl Num for $t {
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                <$t>::from_f32(self.to_f32() + o.to_f32())
            }
            #[inline(always)]
            fn sub(self, o: Self) -> Self {
                <$t>::from_f32(self.to_f32() - o.to_f32())
            }
            #[inline(always)]
            fn mul(self, o: Self) -> Self {
                <$t>::from_f32(self.to_f32() * o.to_f32())
            }
            #[inline(always)]
            fn div(self, o: Self) -> Self {
                <$t>::from_f32(self.to_f32() / o.to_f32())
            }
            fn floor_div(self, o: Self) -> Self {
                <$t>::from_f32(Num::floor_div(self.to_f32(), o.to_f32()))
            }
            fn floor_mod(self, o: Self) -> Self {
                <$t>::from_f32(Num::floor_mod(self.to_f32(), o.to_f32()))
            }
            fn neg(self) -> Self {
                -self
            }
            fn abs(self) -> Self {
                <$t>::from_f32(self.to_f32().abs())
            }
            fn sign(self) -> Self {
                <$t>::from_f32(Num::sign(self.to_f32()))
            }
            fn max(self, o: Self) -> Self {
                <$t>::from_f32(Num::max(self.to_f32(), o.to_f32()))
            }
            fn min(self, o: Self) -> Self {
                <$t>::from_f32(Num::min(self.to_f32(), o.to_f32()))
            }
            fn pow(self, o: Self) -> Self {
                <$t>::from_f32(self.to_f32().powf(o.to_f32()))
            }
            fn lowest() -> Self {
                <$t>::NEG_INFINITY
            }
            fn highest() -> Self {
                <$t>::INFINITY
            }
        }
    };
}
half_num!(f16);
half_num!(bf16);

macro_rules! int_num {
    ($t:ty, $signed:expr) => {
        impl Num for $t {
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                self.wrapping_add(o)
            }
            #[inline(always)]
            fn sub(self, o: Self) -> Self {
                self.wrapping_sub(o)
            }
            #[inline(always)]
            fn mul(self, o: Self) -> Self {
                self.wrapping_mul(o)
            }
            #[inline(always)]
            fn div(self, o: Self) -> Self {
                Num::floor_div(self, o)
            }
            #[inline(always)]
            fn floor_div(self, o: Self) -> Self {
                if o == 0 {
                    return 0;
                }
                let q = self.wrapping_div(o);
                if $signed && (self % o != 0) && ((self < 0 as $t) != (o < 0 as $t)) {
                    q.wrapping_sub(1)
                } else {
                    q
                }
            }
            #[inline(always)]
            fn floor_mod(self, o: Self) -> Self {
                if o == 0 {
                    return 0;
                }
                let r = self.wrapping_rem(o);
                if $signed && r != 0 && ((r < 0 as $t) != (o < 0 as $t)) {
                    r.wrapping_add(o)
                } else {
                    r
                }
            }
            #[inline(always)]
            fn neg(self) -> Self {
                (0 as $t).wrapping_sub(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                if self < 0 as $t {
                    (0 as $t).wrapping_sub(self)
                } else {
                    self
                }
            }
            #[inline(always)]
            fn sign(self) -> Self {
                if self > 0 as $t {
                    1
                } else if self == 0 as $t {
                    0
                } else {
                    (0 as $t).wrapping_sub(1)
                }
            }
            #[inline(always)]
            fn max(self, o: Self) -> Self {
                Ord::max(self, o)
            }
            #[inline(always)]
            fn min(self, o: Self) -> Self {
                Ord::min(self, o)
            }
            fn pow(self, o: Self) -> Self {
                if o < 0 as $t {
                    return 0;
                }
                self.wrapping_pow(o as u32)
            }
            fn lowest() -> Self {
                <$t>::MIN
            }
            fn highest() -> Self {
                <$t>::MAX
            }
        }
    };
}
int_num!(i32, true);
int_num!(i64, true);
int_num!(u8, false);

/// Runs `$body` with `$T` bound to the element type of a numeric (non-bool) `$dtype`;
/// evaluates to `Err` naming `$op` for bool.
#[macro_export]
#[doc(hidden)]
macro_rules! with_num_dtype {
    ($op:expr, $dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            $crate::DType::F32 => {
                type $T = f32;
                Ok($body)
            }
            $crate::DType::F64 => {
                type $T = f64;
                Ok($body)
            }
            $crate::DType::F16 => {
                type $T = half::f16;
                Ok($body)
            }
            $crate::DType::BF16 => {
                type $T = half::bf16;
                Ok($body)
            }
            $crate::DType::I32 => {
                type $T = i32;
                Ok($body)
            }
            $crate::DType::I64 => {
                type $T = i64;
                Ok($body)
            }
            $crate::DType::U8 => {
                type $T = u8;
                Ok($body)
            }
            $crate::DType::Bool => Err($crate::Error::DType {
                op: $op,
                msg: "bool tensors are not supported; cast to a numeric dtype first".to_string(),
            }),
            $crate::DType::String => Err($crate::Error::DType {
                op: $op,
                msg: "expected a numeric tensor, got a string tensor (dtype string); string tensors only support shape, data-movement and equality ops".to_string(),
            }),
        }
    };
}

/// Runs a float kernel: `$body` with `$T` = f32 or f64 and `$x` the (possibly upcast)
/// input; f16/bf16 inputs are computed in f32 and rounded back. Non-float dtypes are an
/// `Err` naming `$op`.
#[macro_export]
#[doc(hidden)]
macro_rules! float_kernel {
    ($op:expr, $x:ident, $T:ident => $body:expr) => {{
        let orig: &$crate::Tensor = &$x;
        match orig.dtype() {
            $crate::DType::F32 => {
                type $T = f32;
                Ok::<$crate::Tensor, $crate::Error>($body)
            }
            $crate::DType::F64 => {
                type $T = f64;
                Ok($body)
            }
            $crate::DType::F16 | $crate::DType::BF16 => {
                type $T = f32;
                let $x = orig.cast_unrecorded($crate::DType::F32);
                let out: $crate::Tensor = $body;
                Ok(out.cast_unrecorded(orig.dtype()))
            }
            other => Err($crate::Error::DType {
                op: $op,
                msg: format!(
                    "expected a float tensor (float16/bfloat16/float32/float64), got {}",
                    other.name()
                ),
            }),
        }
    }};
}
