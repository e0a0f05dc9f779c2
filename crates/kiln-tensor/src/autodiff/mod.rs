//! Automatic differentiation, TensorFlow style: [`GradientTape`] and [`Variable`].

pub mod autocast;
pub mod capture;
mod op;
pub(crate) mod tape;
mod variable;

pub use autocast::{autocast_dtype, AutocastScope};
pub use op::{AttrValue, Op};
pub use tape::{
    nested_recording, no_recording, GradSource, GradientTape, NoRecording, StopRecording,
};
pub use variable::Variable;
