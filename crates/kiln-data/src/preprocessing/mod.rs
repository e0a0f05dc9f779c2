//! `keras.preprocessing`: the legacy image augmentation API ([`image`]).

mod eigen;
pub mod image;
mod image_data_generator;
mod iterators;
