//! The `Float` hyperparameter's builder.

use super::condition::Condition;
use crate::value::Value;

/// `hp.Float(name, min_value, max_value, step=None, sampling="linear", default=None)`.
///
/// ```
/// use kiln_tuner::{Float, HyperParameters};
/// let mut hp = HyperParameters::new();
/// assert_eq!(hp.float(Float::new("lr", 1e-4, 1e-2).sampling("LOG"))?, 1e-4);
/// # Ok::<(), kiln_tuner::TunerError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Float {
    pub(super) name: String,
    pub(super) min_value: f64,
    pub(super) max_value: f64,
    pub(super) step: Option<f64>,
    pub(super) sampling: String,
    pub(super) default: Option<f64>,
    pub(super) parent: Option<Condition>,
}

impl Float {
    /// A float in `[min_value, max_value]`.
    pub fn new(name: &str, min_value: f64, max_value: f64) -> Float {
        Float {
            name: name.into(),
            min_value,
            max_value,
            step: None,
            sampling: "linear".into(),
            default: None,
            parent: None,
        }
    }
    /// `step=`.
    pub fn step(mut self, step: f64) -> Float {
        self.step = Some(step);
        self
    }
    /// `sampling=`.
    pub fn sampling(mut self, sampling: &str) -> Float {
        self.sampling = sampling.into();
        self
    }
    /// `default=` (otherwise `min_value`).
    pub fn default(mut self, default: f64) -> Float {
        self.default = Some(default);
        self
    }
    /// `parent_name=`, `parent_values=`.
    pub fn parent<V: Into<Value>>(
        mut self,
        name: &str,
        values: impl IntoIterator<Item = V>,
    ) -> Float {
        self.parent = Some(Condition {
            name: name.into(),
            values: values.into_iter().map(Into::into).collect(),
        });
        self
    }
}
