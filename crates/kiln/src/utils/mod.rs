//! Utilities with Keras's names.

mod progbar;

pub use progbar::Progbar;
