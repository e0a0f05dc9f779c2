//! The error type every fallible kiln-tensor operation returns.

/// What went wrong in a tensor operation. Every variant names the op (`op`) and says
/// what it got and what it expected, so a user can fix the call without reading kiln.
///
/// ```
/// use kiln_tensor::Tensor;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]).unwrap();
/// let b = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
/// let err = a.add(&b).unwrap_err();
/// assert!(err.to_string().contains("add"));
/// assert!(err.to_string().contains("(3,)"));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// Shapes that do not fit together (broadcasting, matmul inner dims, reshape sizes...).
    #[error("{op}: incompatible shapes: {msg}")]
    Shape {
        /// The operation that failed.
        op: &'static str,
        /// What was given and what was expected.
        msg: String,
    },
    /// A dtype the op does not accept, or two dtypes that must match but do not.
    #[error("{op}: dtype mismatch: {msg}")]
    DType {
        /// The operation that failed.
        op: &'static str,
        /// What was given and what was expected.
        msg: String,
    },
    /// An axis outside `[-rank, rank)` or repeated.
    #[error("{op}: invalid axis: {msg}")]
    Axis {
        /// The operation that failed.
        op: &'static str,
        /// What was given and what was expected.
        msg: String,
    },
    /// Any other bad argument (negative size, unknown padding name, index out of range...).
    #[error("{op}: invalid argument: {msg}")]
    InvalidArgument {
        /// The operation that failed.
        op: &'static str,
        /// What was given and what was expected.
        msg: String,
    },
    /// A combination kiln does not implement yet (documented on the op).
    #[error("{op}: not supported: {msg}")]
    Unsupported {
        /// The operation that failed.
        op: &'static str,
        /// What is not supported.
        msg: String,
    },
    /// Misuse of a `GradientTape` (second `gradient` call on a non-persistent tape...).
    #[error("GradientTape: {0}")]
    Tape(String),
    /// Something a traced function ([`crate::function`]) cannot trace or replay, or a
    /// call that does not fit its signature.
    #[error("kiln::function: {0}")]
    Trace(String),
    /// A value was asked of a meta tensor ([`crate::meta`]), which has none.
    #[error("meta tensor: {0}")]
    Meta(String),
}

/// `Result` with kiln-tensor's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn shape(op: &'static str, msg: impl Into<String>) -> Self {
        Error::Shape {
            op,
            msg: msg.into(),
        }
    }
    pub(crate) fn dtype(op: &'static str, msg: impl Into<String>) -> Self {
        Error::DType {
            op,
            msg: msg.into(),
        }
    }
    pub(crate) fn axis(op: &'static str, msg: impl Into<String>) -> Self {
        Error::Axis {
            op,
            msg: msg.into(),
        }
    }
    pub(crate) fn arg(op: &'static str, msg: impl Into<String>) -> Self {
        Error::InvalidArgument {
            op,
            msg: msg.into(),
        }
    }
}
