//! Optimizers, with Keras's names, defaults and update rules.

mod adam;

pub use adam::Adam;
