//! Deploy small with kiln, as TensorFlow Model Optimization and TFLite do.
//!
//! The crate holds what takes a trained kiln model to a phone or a microcontroller:
//! magnitude pruning with TFMOT's schedules and wrapper, post-training quantization
//! following TFLite's quantization spec, and a `TFLiteConverter`-shaped writer of the
//! `.tflite` flatbuffer. Each part lives in its own module.

mod error;
pub mod quantize;
pub mod sparsity;
pub mod tflite;

pub use error::{LiteError, Result};
