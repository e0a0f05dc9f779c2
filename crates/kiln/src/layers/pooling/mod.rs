//! Pooling layers: Max/AveragePooling1D/2D/3D, GlobalMax/GlobalAveragePooling1D/2D/3D.

mod global_pooling;
mod window_pooling;

pub use global_pooling::{
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D, GlobalMaxPooling1D,
    GlobalMaxPooling2D, GlobalMaxPooling3D,
};
pub use window_pooling::{
    AveragePooling1D, AveragePooling2D, AveragePooling3D, MaxPooling1D, MaxPooling2D, MaxPooling3D,
};

use serde_json::Value;

pub(crate) fn from_config(
    class: &str,
    c: &Value,
) -> crate::Result<Option<crate::layers::LayerRef>> {
    if let Some(l) = window_pooling::from_config(class, c)? {
        return Ok(Some(l));
    }
    global_pooling::from_config(class, c)
}
