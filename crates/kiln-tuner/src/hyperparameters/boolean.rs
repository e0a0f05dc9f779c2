//! The `Boolean` hyperparameter's builder.

use super::condition::Condition;
use crate::value::Value;

/// `hp.Boolean(name, default=False)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Boolean {
    pub(super) name: String,
    pub(super) default: bool,
    pub(super) parent: Option<Condition>,
}

impl Boolean {
    /// `True` or `False`.
    pub fn new(name: &str) -> Boolean {
        Boolean {
            name: name.into(),
            default: false,
            parent: None,
        }
    }
    /// `default=`.
    pub fn default(mut self, default: bool) -> Boolean {
        self.default = default;
        self
    }
    /// `parent_name=`, `parent_values=`.
    pub fn parent<V: Into<Value>>(
        mut self,
        name: &str,
        values: impl IntoIterator<Item = V>,
    ) -> Boolean {
        self.parent = Some(Condition {
            name: name.into(),
            values: values.into_iter().map(Into::into).collect(),
        });
        self
    }
}
