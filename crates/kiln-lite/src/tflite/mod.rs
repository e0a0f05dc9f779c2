//! `.tflite` export: a `TFLiteConverter`-shaped converter ([`TfLiteConverter`]) that
//! lowers a kiln Keras model to TFLite builtin operators and writes the TFLite
//! flatbuffer schema (version 3) that the TFLite interpreter loads.

mod converter;
mod graph;
mod lower;
pub mod reader;
pub mod schema;
mod writer;

pub use converter::{Optimize, RepresentativeDataset, TargetSpec, TfLiteConverter};
pub use graph::{Options, Quant, TGraph, TOp, TTensor};
pub use lower::{lower, Lowered};
pub use schema::TensorType;
pub use writer::{to_bytes, write_atomic};
