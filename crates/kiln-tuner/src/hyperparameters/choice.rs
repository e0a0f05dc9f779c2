//! The `Choice` hyperparameter's builder.

use super::condition::Condition;
use crate::value::Value;

/// `hp.Choice(name, values, ordered=None, default=None)`.
///
/// ```
/// use kiln_tuner::{Choice, HyperParameters};
/// let mut hp = HyperParameters::new();
/// assert_eq!(hp.choice(Choice::new("act", ["relu", "tanh"]))?.as_str(), Some("relu"));
/// # Ok::<(), kiln_tuner::TunerError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub(super) name: String,
    pub(super) values: Vec<Value>,
    pub(super) ordered: Option<bool>,
    pub(super) default: Option<Value>,
    pub(super) parent: Option<Condition>,
}

impl Choice {
    /// One of `values` (all of one type).
    pub fn new<V: Into<Value>>(name: &str, values: impl IntoIterator<Item = V>) -> Choice {
        Choice {
            name: name.into(),
            values: values.into_iter().map(Into::into).collect(),
            ordered: None,
            default: None,
            parent: None,
        }
    }
    /// `ordered=` (default: true for numbers).
    pub fn ordered(mut self, ordered: bool) -> Choice {
        self.ordered = Some(ordered);
        self
    }
    /// `default=` (otherwise the first value).
    pub fn default(mut self, default: impl Into<Value>) -> Choice {
        self.default = Some(default.into());
        self
    }
    /// `parent_name=`, `parent_values=`.
    pub fn parent<V: Into<Value>>(
        mut self,
        name: &str,
        values: impl IntoIterator<Item = V>,
    ) -> Choice {
        self.parent = Some(Condition {
            name: name.into(),
            values: values.into_iter().map(Into::into).collect(),
        });
        self
    }
}
