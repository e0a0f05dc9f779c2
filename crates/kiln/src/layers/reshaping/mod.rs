//! Reshaping layers: `Flatten`, `Reshape`, `Permute`, `RepeatVector`.

mod flatten;
mod permute;
mod repeat_vector;
mod reshape;

pub use flatten::Flatten;
pub use permute::Permute;
pub use repeat_vector::RepeatVector;
pub use reshape::Reshape;
