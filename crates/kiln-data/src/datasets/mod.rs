//! Ready-made datasets in the layout and return shapes of `keras.datasets`.

pub mod mnist;
