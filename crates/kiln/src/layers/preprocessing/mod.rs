//! Preprocessing layers: Rescaling, Normalization (with `adapt`), CategoryEncoding,
//! Discretization (with `adapt`), Resizing, CenterCrop, Hashing and IntegerLookup (on
//! integer tensors; their string forms are in `kiln_data::text`).

mod category_encoding;
mod discretization;
mod hashing;
mod integer_lookup;
mod normalization;
mod rescaling;
mod resizing;

pub use category_encoding::CategoryEncoding;
pub use discretization::Discretization;
pub use hashing::Hashing;
pub use integer_lookup::IntegerLookup;
pub use normalization::Normalization;
pub use rescaling::Rescaling;
pub use resizing::{CenterCrop, Resizing};

use serde_json::Value;

use crate::layers::registry::{get_bool, get_f64, get_usize};
use crate::layers::LayerRef;
use crate::Result;

pub(crate) fn from_config(class: &str, c: &Value) -> Result<Option<LayerRef>> {
    Ok(Some(match class {
        "Rescaling" => Rescaling::new(get_f64(class, c, "scale", 1.0)?)
            .offset(get_f64(class, c, "offset", 0.0)?)
            .into(),
        "Normalization" => normalization::from_config(class, c)?.into(),
        "CategoryEncoding" => CategoryEncoding::new(get_usize(class, c, "num_tokens")?)
            .output_mode(str_or(c, "output_mode", "multi_hot"))?
            .into(),
        "Discretization" => {
            let layer = match c.get("bin_boundaries").and_then(Value::as_array) {
                Some(b) => Discretization::with_boundaries(
                    &b.iter()
                        .map(|v| v.as_f64().map(|v| v as f32))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| bad_config(class, "'bin_boundaries' must be numbers"))?,
                ),
                None => Discretization::with_num_bins(get_usize(class, c, "num_bins")?),
            };
            layer
                .epsilon(get_f64(class, c, "epsilon", 0.01)?)
                .output_mode(str_or(c, "output_mode", "int"))?
                .into()
        }
        "Resizing" => Resizing::new(
            get_usize(class, c, "height")?,
            get_usize(class, c, "width")?,
        )
        .interpolation(str_or(c, "interpolation", "bilinear"))?
        .crop_to_aspect_ratio(get_bool(class, c, "crop_to_aspect_ratio", false)?)
        .pad_to_aspect_ratio(get_bool(class, c, "pad_to_aspect_ratio", false)?)
        .fill_value(get_f64(class, c, "fill_value", 0.0)? as f32)
        .into(),
        "Hashing" => hashing::from_config(class, c)?.into(),
        "IntegerLookup" => integer_lookup::from_config(class, c)?.into(),
        "CenterCrop" => CenterCrop::new(
            get_usize(class, c, "height")?,
            get_usize(class, c, "width")?,
        )
        .into(),
        _ => return Ok(None),
    }))
}

fn str_or<'a>(c: &'a Value, key: &str, default: &'a str) -> &'a str {
    c.get(key).and_then(Value::as_str).unwrap_or(default)
}

fn bad_config(class: &str, msg: &str) -> crate::Error {
    crate::Error::InvalidArgument {
        api: "layers.from_config",
        msg: format!("{class}: {msg}"),
    }
}
