//! A pure-Rust reader and writer for the subset of HDF5 that h5py and Keras
//! use: Keras 3 `.weights.h5` / `model.weights.h5` inside `.keras` archives,
//! and legacy Keras `.h5` model files.
//!
//! Reading never panics on malformed input: every offset is bounds-checked,
//! sizes use checked arithmetic, traversals are depth- and node-capped and
//! allocation is capped (see [`File::from_bytes_with_limit`]).
//!
//! ```
//! use kiln_hdf5::{AttrValue, File, FileBuilder};
//!
//! // write
//! let mut b = FileBuilder::new();
//! let vars = b.root_mut().create_group("layers")?.create_group("dense")?.create_group("vars")?;
//! vars.create_dataset("0", &[4, 3], vec![0.5f32; 12])?;
//! b.root_mut().set_attr("keras_version", "3.5.0")?;
//! let bytes = b.to_bytes()?;
//!
//! // read
//! let f = File::from_bytes(bytes)?;
//! let kernel = f.root().dataset("layers/dense/vars/0")?;
//! assert_eq!(kernel.shape(), &[4, 3]);
//! assert_eq!(kernel.read_f32()?, vec![0.5; 12]);
//! assert_eq!(f.root().attr("keras_version")?, AttrValue::String("3.5.0".into()));
//! # Ok::<(), kiln_hdf5::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod bytes;
mod data;
mod dense;
mod error;
mod format;
mod read;
mod value;
mod write;

pub use error::{Error, Result};
pub use read::{Dataset, File, Group, Node};
pub use value::{AttrValue, DType};
pub use write::{Data, DatasetBuilder, FileBuilder, GroupBuilder};
