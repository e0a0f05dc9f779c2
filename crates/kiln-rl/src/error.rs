//! The crate's error type.

use thiserror::Error;

/// Everything that can go wrong in `kiln-rl`.
///
/// gymnasium reports most of these with `assert` or its own exception classes; here they are
/// values the caller can match on. The variants that stand in for gymnasium's wrappers say so.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RlError {
    /// An action that is not a member of the environment's action space (gymnasium's
    /// environments `assert self.action_space.contains(action)`).
    #[error("action {action} is outside the action space {space}")]
    InvalidAction {
        /// The rejected action, formatted.
        action: String,
        /// The action space, formatted as gymnasium's `repr` does (`Discrete(2)`, `Box(...)`).
        space: String,
    },
    /// `step` was called before the first `reset` (gymnasium's `OrderEnforcing` wrapper
    /// raises `ResetNeeded`).
    #[error("cannot call step() before reset(): call reset() first (gymnasium's OrderEnforcing raises ResetNeeded here)")]
    StepBeforeReset,
    /// `render` was called before the first `reset` (gymnasium's `OrderEnforcing` wrapper
    /// raises `ResetNeeded`).
    #[error("cannot call render() before reset(): call reset() first (gymnasium's OrderEnforcing raises ResetNeeded here)")]
    RenderBeforeReset,
    /// `make` was given an id that is not registered.
    #[error("unknown environment id {id:?}; the known ids are: {}", known.join(", "))]
    UnknownEnv {
        /// The id that was asked for.
        id: String,
        /// Every id `make` knows.
        known: Vec<String>,
    },
    /// A space that cannot be built (for example `Discrete(0)` or a `Box` with `low > high`).
    #[error("invalid space: {0}")]
    InvalidSpace(String),
    /// An argument outside its domain (random-number bounds, buffer capacities, decay rates).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// Encoding a frame as PNG failed.
    #[error("PNG encoding failed: {0}")]
    Png(String),
    /// Reading or writing a file failed.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

/// `Result` with [`RlError`].
pub type Result<T> = std::result::Result<T, RlError>;
