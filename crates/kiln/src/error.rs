//! kiln's error type.

/// Errors from the Keras-level API. Tensor and data errors pass through unchanged.
///
/// ```
/// let e: kiln::Error = kiln_tensor::Tensor::scalar(1.0f32).item::<i32>().unwrap_err().into();
/// assert!(e.to_string().contains("item"));
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A tensor op failed (shape, dtype, axis...).
    #[error(transparent)]
    Tensor(#[from] kiln_tensor::Error),
    /// Loading data failed.
    #[error(transparent)]
    Data(#[from] kiln_data::DataError),
    /// A bad argument to a Keras-level API (names the API and what was expected).
    #[error("{api}: {msg}")]
    InvalidArgument {
        /// The API that was called.
        api: &'static str,
        /// What was wrong and what was expected.
        msg: String,
    },
    /// A layer's weights were used before `build` created them.
    #[error("layer '{0}' was used before it was built (its weights are created in build)")]
    NotBuilt(String),
}

impl Error {
    /// [`Error::NotBuilt`] for the layer `name` (a custom layer's `call` reading a weight
    /// that `build` has not created).
    ///
    /// ```
    /// let e = kiln::Error::not_built("scale");
    /// assert!(e.to_string().contains("'scale' was used before it was built"));
    /// ```
    pub fn not_built(name: impl Into<String>) -> Error {
        Error::NotBuilt(name.into())
    }
}

/// `Result` with kiln's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
