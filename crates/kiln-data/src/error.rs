//! Errors from reading datasets.

use std::path::PathBuf;

/// What went wrong loading data. Each variant names the file involved.
///
/// ```
/// let err = kiln_data::datasets::mnist::load_data_from("/nonexistent").unwrap_err();
/// assert!(err.to_string().contains("train-images-idx3-ubyte.gz"));
/// ```
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file is not there (the message says where to put it).
    #[error("{path}: file not found ({hint})")]
    Missing {
        /// The file that was looked for.
        path: PathBuf,
        /// How to provide it.
        hint: String,
    },
    /// The file exists but could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file's contents are not what the format requires (truncated, bad magic, bad checksum).
    #[error("{path}: corrupt file: {msg}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        msg: String,
    },
    /// A pipeline was given arguments or data it cannot use (ragged slices, structure
    /// mismatches, a zero batch size ...).
    #[error("{api}: {msg}")]
    Invalid {
        /// The operation.
        api: &'static str,
        /// What was wrong and what was expected.
        msg: String,
    },
    /// A tensor operation failed while assembling the data.
    #[error(transparent)]
    Tensor(#[from] kiln_tensor::Error),
}

/// `Result` with [`DataError`].
pub type Result<T> = std::result::Result<T, DataError>;
