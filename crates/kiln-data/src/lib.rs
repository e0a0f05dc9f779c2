//! # kiln-data
//!
//! Datasets and (later) tf.data-style pipelines and preprocessing for kiln. Depends only
//! on `kiln-tensor`.
//!
//! ```no_run
//! let ((x_train, y_train), (x_test, y_test)) = kiln_data::datasets::mnist::load_data().unwrap();
//! assert_eq!(x_train.shape(), &[60000, 28, 28]);
//! # let _ = (y_train, x_test, y_test);
//! ```
#![forbid(unsafe_code)]

pub mod csv;
pub mod dataset;
pub mod datasets;
mod error;
pub mod idx;
pub mod image;
pub mod npy_object;
pub mod npz;
pub mod numpy_random;
pub mod png;
pub mod preprocessing;
pub mod python_random;
pub mod text;
pub mod utils;

pub use error::{DataError, Result};
