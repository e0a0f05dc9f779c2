//! Automatic differentiation, TensorFlow style: [`GradientTape`] and [`Variable`].

pub(crate) mod tape;
mod variable;

pub use tape::{no_recording, GradSource, GradientTape, NoRecording, StopRecording};
pub use variable::Variable;
