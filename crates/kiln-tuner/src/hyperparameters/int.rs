//! The `Int` hyperparameter's builder.

use super::condition::Condition;
use crate::value::Value;

/// `hp.Int(name, min_value, max_value, step=None, sampling="linear", default=None)`.
/// `max_value` is included. With `sampling="linear"` and no step, the step is 1.
///
/// ```
/// use kiln_tuner::{HyperParameters, Int};
/// let mut hp = HyperParameters::new();
/// assert_eq!(hp.int(Int::new("units", 32, 512).step(32))?, 32); // the default: min_value
/// # Ok::<(), kiln_tuner::TunerError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Int {
    pub(super) name: String,
    pub(super) min_value: i64,
    pub(super) max_value: i64,
    pub(super) step: Option<i64>,
    pub(super) sampling: String,
    pub(super) default: Option<i64>,
    pub(super) parent: Option<Condition>,
}

impl Int {
    /// An integer in `[min_value, max_value]`.
    pub fn new(name: &str, min_value: i64, max_value: i64) -> Int {
        Int {
            name: name.into(),
            min_value,
            max_value,
            step: None,
            sampling: "linear".into(),
            default: None,
            parent: None,
        }
    }
    /// `step=`: the distance (linear) or ratio (log) between consecutive values.
    pub fn step(mut self, step: i64) -> Int {
        self.step = Some(step);
        self
    }
    /// `sampling=`: `"linear"`, `"log"` or `"reverse_log"` (any case).
    pub fn sampling(mut self, sampling: &str) -> Int {
        self.sampling = sampling.into();
        self
    }
    /// `default=` (otherwise `min_value`).
    pub fn default(mut self, default: i64) -> Int {
        self.default = Some(default);
        self
    }
    /// `parent_name=`, `parent_values=`.
    pub fn parent<V: Into<Value>>(
        mut self,
        name: &str,
        values: impl IntoIterator<Item = V>,
    ) -> Int {
        self.parent = Some(Condition {
            name: name.into(),
            values: values.into_iter().map(Into::into).collect(),
        });
        self
    }
}
