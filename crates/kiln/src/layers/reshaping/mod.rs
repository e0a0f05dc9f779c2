//! Reshaping layers: `Flatten`, `Reshape`, `Permute`, `RepeatVector`, and the spatial
//! ones (`ZeroPadding1D/2D`, `Cropping1D/2D`, `UpSampling1D/2D`).

mod flatten;
mod permute;
mod repeat_vector;
mod reshape;
mod spatial;

pub use flatten::Flatten;
pub use permute::Permute;
pub use repeat_vector::RepeatVector;
pub use reshape::Reshape;
pub(crate) use spatial::from_config;
pub use spatial::{
    Cropping1D, Cropping2D, UpSampling1D, UpSampling2D, ZeroPadding1D, ZeroPadding2D,
};
