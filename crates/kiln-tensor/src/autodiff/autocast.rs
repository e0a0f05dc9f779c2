//! Keras's `AutocastScope`: while a scope with a float dtype is active on this thread,
//! [`Variable::value`](crate::Variable::value) returns float variables cast to that dtype
//! (a recorded cast, so gradients still reach the variable in its own dtype), except
//! variables created with autocast off (batch-normalization statistics, as Keras). Mixed
//! precision layers enter one around their call: their variables stay float32 and are
//! read in float16 or bfloat16.
//!
//! ```
//! use kiln_tensor::autodiff::{autocast_dtype, AutocastScope};
//! use kiln_tensor::{DType, Tensor, Variable};
//! let v = Variable::new(Tensor::scalar(1.5f32), "w", true);
//! {
//!     let _scope = AutocastScope::enter(Some(DType::F16));
//!     assert_eq!(autocast_dtype(), Some(DType::F16));
//!     assert_eq!(v.value().dtype(), DType::F16);
//! }
//! assert_eq!(v.value().dtype(), DType::F32);
//! ```

use std::cell::Cell;

use crate::DType;

thread_local! {
    static SCOPE: Cell<Option<DType>> = const { Cell::new(None) };
}

/// The dtype float variables are read in on this thread, if a scope is active.
pub fn autocast_dtype() -> Option<DType> {
    SCOPE.with(|s| s.get())
}

/// An active autocast scope; dropping it restores the scope it replaced.
#[must_use = "the scope ends when this guard is dropped"]
pub struct AutocastScope {
    previous: Option<DType>,
}

impl AutocastScope {
    /// Makes `dtype` the autocast dtype (`None` clears the scope) until the guard drops.
    /// A non-float dtype clears the scope, as Keras does for non-float layers.
    pub fn enter(dtype: Option<DType>) -> AutocastScope {
        let dtype = dtype.filter(|d| d.is_float());
        AutocastScope {
            previous: SCOPE.with(|s| s.replace(dtype)),
        }
    }
}

impl Drop for AutocastScope {
    fn drop(&mut self) {
        SCOPE.with(|s| s.set(self.previous));
    }
}
