//! The crate's error type. Messages use Keras Tuner's wording for the same mistake.

/// An error from a search space, an oracle or a tuner.
///
/// ```
/// use kiln_tuner::{HyperParameters, Int};
/// let mut hp = HyperParameters::new();
/// let err = hp.int(Int::new("units", 64, 32)).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "For HyperParameters.Int(name='units'), min_value 64 is greater than the max_value 32."
/// );
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TunerError {
    /// Python's `ValueError` from a hyperparameter, an objective or an oracle argument.
    #[error("{0}")]
    Value(String),
    /// Python's `TypeError` (e.g. a `Choice` mixing value types).
    #[error("{0}")]
    Type(String),
    /// Python's `KeyError` (`HyperParameters.get` of a name never declared).
    #[error("{0}")]
    Key(String),
    /// Python's `RuntimeError` (too many consecutive failed trials, a broken project).
    #[error("{0}")]
    Runtime(String),
    /// Keras Tuner's `FailedTrialError`: the trial is marked `FAILED` and not retried.
    #[error("{0}")]
    FailedTrial(String),
    /// Keras Tuner's `FatalError`: stops the search at once (the running trial stays
    /// `RUNNING` in `oracle.json` and is retried when the search is resumed).
    #[error("{0}")]
    Fatal(String),
    /// An error from kiln (building, compiling, fitting, saving a model).
    #[error(transparent)]
    Kiln(#[from] kiln::Error),
    /// Reading or writing the project directory failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A state file (`oracle.json`, `trial.json`) could not be parsed.
    #[error("{path}: {msg}")]
    State {
        /// The file.
        path: String,
        /// What was wrong.
        msg: String,
    },
}

impl TunerError {
    /// Whether this error stops the search rather than failing one trial.
    pub fn is_fatal(&self) -> bool {
        matches!(self, TunerError::Fatal(_))
    }
}

/// Lets a hypermodel written against [`kiln::Result`] use `?` on a hyperparameter call.
/// The tuner keeps the original [`TunerError`] (see `HyperParameters::take_error`), so
/// the search reports Keras Tuner's wording, not this wrapped form.
impl From<TunerError> for kiln::Error {
    fn from(e: TunerError) -> kiln::Error {
        match e {
            TunerError::Kiln(k) => k,
            other => kiln::Error::InvalidArgument {
                api: "HyperParameters",
                msg: other.to_string(),
            },
        }
    }
}

/// `Result` with [`TunerError`].
pub type Result<T> = std::result::Result<T, TunerError>;
