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
    use augment::{seed_from_config, DataFormat};
    let factor = |key: &str| -> Result<Factor> {
        let v = c
            .get(key)
            .ok_or_else(|| bad_config(class, &format!("missing '{key}'")))?;
        Factor::from_json(class, key, v)
    };
    let range = |key: &str, default: (f64, f64)| -> Result<(f64, f64)> {
        match c.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => match v.as_array().map(|a| a.as_slice()) {
                Some([a, b]) => match (a.as_f64(), b.as_f64()) {
                    (Some(a), Some(b)) => Ok((a, b)),
                    _ => Err(bad_config(class, &format!("'{key}' must be two numbers"))),
                },
                _ => Err(bad_config(
                    class,
                    &format!("'{key}' must be a list of two numbers"),
                )),
            },
        }
    };
    let seed = seed_from_config(c);
    let data_format = match DataFormat::from_config("layers.from_config", c)? {
        DataFormat::ChannelsLast => "channels_last",
        DataFormat::ChannelsFirst => "channels_first",
    };
    let fill_mode = str_or(c, "fill_mode", "reflect");
    let interpolation = str_or(c, "interpolation", "bilinear");
    let fill_value = get_f64(class, c, "fill_value", 0.0)? as f32;
    macro_rules! seeded {
        ($l:expr) => {{
            let l = $l;
            match seed {
                Some(s) => l.seed(s),
                None => l,
            }
        }};
    }
    Ok(match class {
        "RandomRotation" => seeded!(RandomRotation::new(factor("factor")?)?
            .fill_mode(fill_mode)?
            .interpolation(interpolation)?
            .fill_value(fill_value)
            .data_format(data_format)?)
        .into(),
        "RandomZoom" => {
            let mut l = RandomZoom::new(factor("height_factor")?)?;
            if !matches!(c.get("width_factor"), None | Some(Value::Null)) {
                l = l.width_factor(factor("width_factor")?)?;
            }
            seeded!(l
                .fill_mode(fill_mode)?
                .interpolation(interpolation)?
                .fill_value(fill_value)
                .data_format(data_format)?)
            .into()
        }
        "RandomTranslation" => seeded!(RandomTranslation::new(
            factor("height_factor")?,
            factor("width_factor")?
        )?
        .fill_mode(fill_mode)?
        .interpolation(interpolation)?
        .fill_value(fill_value)
        .data_format(data_format)?)
        .into(),
        "RandomFlip" => seeded!(
            RandomFlip::new(str_or(c, "mode", "horizontal_and_vertical"))?
                .data_format(data_format)?
        )
        .into(),
        "RandomCrop" => seeded!(RandomCrop::new(
            get_usize(class, c, "height")?,
            get_usize(class, c, "width")?
        )?
        .data_format(data_format)?)
        .into(),
        "RandomContrast" => {
            let (lo, hi) = range("value_range", (0.0, 255.0))?;
            seeded!(RandomContrast::new(factor("factor")?)?
                .value_range(lo, hi)
                .data_format(data_format)?)
            .into()
        }
        _ => {
            let (lo, hi) = range("value_range", (0.0, 255.0))?;
            seeded!(RandomBrightness::new(factor("factor")?)?.value_range(lo, hi)).into()
        }
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
