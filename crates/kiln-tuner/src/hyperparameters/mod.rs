//! The search space: `Int`, `Float`, `Choice`, `Boolean` and `Fixed` hyperparameters,
//! conditional scopes, and Keras Tuner's conversions between a value and a cumulative
//! probability in `[0, 1)` (`prob_to_value` / `value_to_prob`), which random sampling
//! and Bayesian optimisation are built on.

mod boolean;
mod choice;
mod condition;
mod container;
mod float;
mod hyperparameter;
mod int;

pub use boolean::Boolean;
pub use choice::Choice;
pub use condition::{Condition, Values};
pub use container::HyperParameters;
pub use float::Float;
pub use hyperparameter::{HpKind, HyperParameter};
pub use int::Int;

/// How a numeric range is walked (`sampling=`): `"linear"`, `"log"` or `"reverse_log"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// `min + p * (max - min)`.
    Linear,
    /// `min * (max / min) ^ p`.
    Log,
    /// `max + min - min * (max / min) ^ (1 - p)`.
    ReverseLog,
}

impl Sampling {
    /// Keras Tuner's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Sampling::Linear => "linear",
            Sampling::Log => "log",
            Sampling::ReverseLog => "reverse_log",
        }
    }
}
