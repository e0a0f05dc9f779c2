//! The error type of ONNX export and import.

/// What went wrong exporting or importing ONNX; each variant names the layer, node or
/// file at fault and what was expected.
#[derive(Debug, thiserror::Error)]
pub enum OnnxError {
    /// A layer that has no ONNX form (or an unsupported option of one).
    #[error("ONNX export: layer '{layer}' ({class}): {msg}")]
    Export {
        /// The Keras layer name.
        layer: String,
        /// The layer's class.
        class: String,
        /// What is unsupported.
        msg: String,
    },
    /// The file could not be read or written.
    #[error("ONNX file {path}: {msg}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        msg: String,
    },
    /// The bytes are not a valid ONNX ModelProto.
    #[error("ONNX {what}: {msg}")]
    Format {
        /// The file or part at fault.
        what: String,
        /// What was wrong.
        msg: String,
    },
    /// A node that cannot be imported or evaluated.
    #[error("ONNX node '{node}' ({op}): {msg}")]
    Node {
        /// The node's name (or its first output when unnamed).
        node: String,
        /// The node's op_type.
        op: String,
        /// What was wrong and what was expected.
        msg: String,
    },
    /// An error from kiln itself.
    #[error(transparent)]
    Kiln(#[from] kiln::Error),
}

impl From<kiln_tensor::Error> for OnnxError {
    fn from(e: kiln_tensor::Error) -> Self {
        OnnxError::Kiln(kiln::Error::from(e))
    }
}

/// `Result` with [`OnnxError`].
pub type Result<T> = std::result::Result<T, OnnxError>;
