//! `keras.utils` data helpers: [`to_categorical`], [`normalize`], [`pad_sequences`].

mod categorical;
mod sequences;

pub use categorical::{normalize, to_categorical};
pub use sequences::{pad_sequences, PadSequences};
