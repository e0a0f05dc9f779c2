//! The error type of the crate's converter, quantizer and int8 runtime.

/// What went wrong converting, quantizing or running a model; each variant names the
/// layer, argument or file at fault and what was expected.
#[derive(Debug, thiserror::Error)]
pub enum LiteError {
    /// A layer with no TFLite form (or an unsupported option of one).
    #[error("TFLite export: layer '{layer}' ({class}): {msg}")]
    Layer {
        /// The Keras layer name.
        layer: String,
        /// The layer's class.
        class: String,
        /// What is unsupported and what is expected.
        msg: String,
    },
    /// A bad argument to the converter or the quantizer.
    #[error("TFLiteConverter: argument '{arg}': {msg}")]
    Argument {
        /// The argument (`representative_dataset`, `inference_input_type`, ...).
        arg: String,
        /// What was wrong and what was expected.
        msg: String,
    },
    /// The file could not be written or read.
    #[error("TFLite file {path}: {msg}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        msg: String,
    },
    /// A kiln error while reading weights or running the model.
    #[error(transparent)]
    Kiln(#[from] kiln::Error),
    /// A tensor error while reading weights or data.
    #[error(transparent)]
    Tensor(#[from] kiln_tensor::Error),
    /// An inconsistency inside the converter (a bug, reported rather than written).
    #[error("TFLite converter internal error: {0}")]
    Internal(String),
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, LiteError>;
