//! `keras.utils` data helpers ([`to_categorical`], [`normalize`], [`pad_sequences`]) and
//! scikit-learn-style scalers ([`MinMaxScaler`], [`StandardScaler`]).

mod categorical;
mod scalers;
mod sequences;

pub use categorical::{normalize, to_categorical};
pub use scalers::{MinMaxScaler, StandardScaler};
pub use sequences::{pad_sequences, PadSequences, SequenceValue};
