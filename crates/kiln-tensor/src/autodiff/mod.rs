//! Automatic differentiation, TensorFlow style: [`GradientTape`] and [`Variable`].

pub(crate) mod tape;
mod variable;

pub use tape::{GradSource, GradientTape, StopRecording};
pub use variable::Variable;
