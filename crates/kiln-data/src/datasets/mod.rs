//! Ready-made datasets in the layout and return shapes of `keras.datasets`, read from the
//! standard published files (nothing is downloaded).

pub mod boston_housing;
pub mod cifar;
pub mod fashion_mnist;
pub mod imdb;
pub mod mnist;
pub mod reuters;
mod token_sequences;

pub use token_sequences::{SequenceOptions, SequenceSplit, Sequences};
