//! The error type shared by the reader and the writer.

/// Everything that can go wrong while reading or writing an HDF5 file.
///
/// Messages name what was wrong and where (a file offset, an object path or
/// both), e.g. `object header at 0x1a0: unknown version 7`.
///
/// ```
/// use kiln_hdf5::{Error, File};
/// let err = File::from_bytes(b"definitely not hdf5".to_vec()).unwrap_err();
/// assert!(matches!(err, Error::NotHdf5));
/// assert!(err.to_string().contains("superblock"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing the file on disk failed.
    #[error("{path}: {source}")]
    Io {
        /// The file that was being read or written.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// No superblock signature at offset 0, 512, 1024, 2048, ...
    #[error("not an HDF5 file: no superblock signature at offset 0, 512, 1024, ...")]
    NotHdf5,
    /// The file is truncated or a structure in it is malformed.
    #[error("corrupt file: {0}")]
    Corrupt(String),
    /// The file uses an HDF5 feature this crate does not implement.
    #[error("unsupported HDF5 feature: {0}")]
    Unsupported(String),
    /// A group member or attribute does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The data has a different type than the one asked for.
    #[error("type mismatch: {0}")]
    TypeMismatch(String),
    /// A size exceeds a safety limit (memory cap, recursion depth, node count).
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
    /// An argument given to the writer is invalid.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// Another error, with the object (path) it happened in.
    #[error("{context}: {source}")]
    Context {
        /// What was being read, e.g. `dataset '/layers/dense/vars/0'`.
        context: String,
        /// The underlying error.
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    /// Wraps this error with a context string such as `dataset '/a/b'`.
    ///
    /// ```
    /// use kiln_hdf5::Error;
    /// let e = Error::Corrupt("bad".into()).context("dataset '/x'");
    /// assert_eq!(e.to_string(), "dataset '/x': corrupt file: bad");
    /// ```
    pub fn context(self, context: impl Into<String>) -> Error {
        Error::Context {
            context: context.into(),
            source: Box::new(self),
        }
    }

    /// The innermost error, looking through [`Error::Context`] wrappers.
    ///
    /// ```
    /// use kiln_hdf5::Error;
    /// let e = Error::NotFound("x".into()).context("group '/'");
    /// assert!(matches!(e.root_cause(), Error::NotFound(_)));
    /// ```
    pub fn root_cause(&self) -> &Error {
        match self {
            Error::Context { source, .. } => source.root_cause(),
            e => e,
        }
    }
}

/// Shorthand for `std::result::Result<T, kiln_hdf5::Error>`.
///
/// ```
/// fn parse() -> kiln_hdf5::Result<u32> { Ok(1) }
/// assert_eq!(parse().unwrap(), 1);
/// ```
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn corrupt(msg: impl Into<String>) -> Error {
    Error::Corrupt(msg.into())
}

pub(crate) fn unsupported(msg: impl Into<String>) -> Error {
    Error::Unsupported(msg.into())
}
