//! Memory bounds for loading untrusted files: a `.keras` archive's members, each HDF5
//! read, and the variables a config asks for are all capped, so a hostile or corrupt
//! file fails with an error instead of exhausting memory.

use std::cell::Cell;

use crate::{Error, Result};

/// Default cap (4 GiB, kiln-hdf5's default read limit) on one archive member, one HDF5
/// read, and the total bytes of the variables a loaded config creates.
pub const DEFAULT_MAX_LOAD_BYTES: u64 = 4 << 30;

thread_local! {
    /// Bytes the variables created on this thread may still take (`None`: unbounded).
    static VARIABLE_BUDGET: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Runs `f` with the variables it creates capped at `max_bytes` in total (restored
/// afterwards, also on unwind).
pub(crate) fn with_variable_budget<T>(max_bytes: u64, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<u64>);
    impl Drop for Restore {
        fn drop(&mut self) {
            VARIABLE_BUDGET.with(|b| b.set(self.0));
        }
    }
    let _restore = Restore(VARIABLE_BUDGET.with(|b| b.replace(Some(max_bytes))));
    f()
}

/// Takes `bytes` from the budget of [`with_variable_budget`] (a no-op outside one);
/// `what` names the variable in the error.
pub(crate) fn charge_variable(bytes: u64, what: impl FnOnce() -> String) -> Result<()> {
    VARIABLE_BUDGET.with(|b| match b.get() {
        None => Ok(()),
        Some(left) if bytes <= left => {
            b.set(Some(left - bytes));
            Ok(())
        }
        Some(left) => Err(Error::InvalidArgument {
            api: "load_model",
            msg: format!(
                "{} needs {bytes} bytes, more than the {left} bytes left of the load limit",
                what()
            ),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_is_charged_and_restored() {
        assert!(charge_variable(u64::MAX, String::new).is_ok());
        with_variable_budget(10, || {
            assert!(charge_variable(6, String::new).is_ok());
            let e = charge_variable(6, || "w".into()).unwrap_err().to_string();
            assert!(e.contains("w needs 6 bytes"), "{e}");
        });
        assert!(charge_variable(u64::MAX, String::new).is_ok());
    }
}
