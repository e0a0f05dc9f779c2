//! Automatic differentiation, TensorFlow style: [`GradientTape`] and [`Variable`].

pub(crate) mod tape;
mod variable;

pub use tape::{
    nested_recording, no_recording, GradSource, GradientTape, NoRecording, StopRecording,
};
pub use variable::Variable;
