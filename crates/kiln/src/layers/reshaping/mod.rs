//! Reshaping layers: `Flatten`, `Reshape`, `Permute`, `RepeatVector`, and the spatial
//! ones (`ZeroPadding1D/2D/3D`, `Cropping1D/2D/3D`, `UpSampling1D/2D/3D`).

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
    Cropping1D, Cropping2D, Cropping3D, UpSampling1D, UpSampling2D, UpSampling3D, ZeroPadding1D,
    ZeroPadding2D, ZeroPadding3D,
};
