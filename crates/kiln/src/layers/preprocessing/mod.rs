//! Preprocessing layers: Rescaling, Normalization (with `adapt`).

mod normalization;
mod rescaling;

pub use normalization::Normalization;
pub use rescaling::Rescaling;

use serde_json::Value;

use crate::layers::registry::get_f64;
use crate::layers::LayerRef;
use crate::Result;

pub(crate) fn from_config(class: &str, c: &Value) -> Result<Option<LayerRef>> {
    Ok(Some(match class {
        "Rescaling" => Rescaling::new(get_f64(class, c, "scale", 1.0)?)
            .offset(get_f64(class, c, "offset", 0.0)?)
            .into(),
        "Normalization" => normalization::from_config(class, c)?.into(),
        _ => return Ok(None),
    }))
}
