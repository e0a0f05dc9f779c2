//! Preprocessing layers: Rescaling, Normalization (with `adapt`), CategoryEncoding,
//! Discretization (with `adapt`), Resizing, CenterCrop, Hashing and IntegerLookup (on
//! integer tensors), TextVectorization and StringLookup (on string tensors, over
//! `kiln_data::text`), and the random image
//! augmentation layers RandomCrop, RandomFlip, RandomRotation, RandomZoom,
//! RandomTranslation, RandomContrast and RandomBrightness (active only in training).

mod augment;
mod category_encoding;
mod discretization;
mod hashing;
mod integer_lookup;
mod normalization;
mod random_brightness;
mod random_contrast;
mod random_crop;
mod random_flip;
mod random_rotation;
pub(crate) mod random_transform;
mod random_translation;
mod random_zoom;
mod rescaling;
mod resizing;
mod text;

pub use augment::Factor;
pub use category_encoding::CategoryEncoding;
pub use discretization::Discretization;
pub use hashing::Hashing;
pub use integer_lookup::IntegerLookup;
pub use normalization::Normalization;
pub use random_brightness::RandomBrightness;
pub use random_contrast::RandomContrast;
pub use random_crop::RandomCrop;
pub use random_flip::RandomFlip;
pub use random_rotation::RandomRotation;
pub use random_translation::RandomTranslation;
pub use random_zoom::RandomZoom;
pub use rescaling::Rescaling;
pub use resizing::{CenterCrop, Resizing};
pub use text::{StringLookup, TextVectorization};

use serde_json::Value;

use crate::layers::registry::{get_bool, get_f64, get_usize};
use crate::layers::LayerRef;
use crate::Result;

pub(crate) fn from_config(class: &str, c: &Value) -> Result<Option<LayerRef>> {
    Ok(Some(match class {
        "Rescaling" => crate::layers::registry::of::<Rescaling>(c)?,
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
        "RandomRotation" | "RandomZoom" | "RandomTranslation" | "RandomFlip" | "RandomCrop"
        | "RandomContrast" | "RandomBrightness" => augmentation_from_config(class, c)?,
        _ => return Ok(None),
    }))
}

/// The random augmentation layers from their Keras configs.
fn augmentation_from_config(class: &str, c: &Value) -> Result<LayerRef> {
    Ok(match class {
        "RandomRotation" => RandomRotation::from_config(c)?.into(),
        "RandomZoom" => RandomZoom::from_config(c)?.into(),
        "RandomTranslation" => RandomTranslation::from_config(c)?.into(),
        "RandomFlip" => RandomFlip::from_config(c)?.into(),
        "RandomCrop" => RandomCrop::from_config(c)?.into(),
        "RandomContrast" => RandomContrast::from_config(c)?.into(),
        _ => RandomBrightness::from_config(c)?.into(),
    })
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
