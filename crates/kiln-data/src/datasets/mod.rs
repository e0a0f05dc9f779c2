//! Ready-made datasets in the layout and return shapes of `keras.datasets`.

pub mod boston_housing;
pub mod mnist;
