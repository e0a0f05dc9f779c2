//! Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization,
//! UnitNormalization.

mod batch_normalization;
mod common;
mod group_normalization;
mod layer_normalization;
mod unit_normalization;

pub use batch_normalization::BatchNormalization;
pub use group_normalization::GroupNormalization;
pub use layer_normalization::LayerNormalization;
pub use unit_normalization::UnitNormalization;

use serde_json::Value;

use crate::initializers::Initializer;
use crate::layers::registry::{get_bool, get_f64, get_ints, initializer};
use crate::layers::LayerRef;
use crate::{Error, Result};
use common::AffineOptions;

/// One axis or a list of axes from a config's `axis` entry.
fn axes(class: &str, c: &Value) -> Result<(Vec<isize>, bool)> {
    match c.get("axis") {
        None | Some(Value::Null) => Ok((vec![-1], false)),
        Some(Value::Array(_)) => Ok((
            get_ints(class, c, "axis")?
                .into_iter()
                .map(|a| a as isize)
                .collect(),
            true,
        )),
        Some(v) => v
            .as_i64()
            .map(|a| (vec![a as isize], false))
            .ok_or_else(|| Error::InvalidArgument {
                api: "layers.from_config",
                msg: format!("{class}: 'axis' must be an integer or a list, got {v}"),
            }),
    }
}

/// Rebuilds the normalization layers from their configs; `None` for other classes.
pub(crate) fn from_config(class: &str, c: &Value) -> Result<Option<LayerRef>> {
    Ok(Some(match class {
        "BatchNormalization" => {
            let (ax, _) = axes(class, c)?;
            BatchNormalization::new()
                .axis(ax[0])
                .momentum(get_f64(class, c, "momentum", 0.99)?)
                .epsilon(get_f64(class, c, "epsilon", 1e-3)?)
                .set_affine(AffineOptions::from_config(class, c)?)
                .moving_mean_initializer(initializer(
                    class,
                    c,
                    "moving_mean_initializer",
                    Initializer::Zeros,
                )?)
                .moving_variance_initializer(initializer(
                    class,
                    c,
                    "moving_variance_initializer",
                    Initializer::Ones,
                )?)
                .renorm(get_bool(class, c, "renorm", false)?)
                .synchronized(get_bool(class, c, "synchronized", false)?)
                .into()
        }
        "LayerNormalization" => {
            let (ax, list) = axes(class, c)?;
            let l = LayerNormalization::new();
            let l = if list { l.axes(&ax) } else { l.axis(ax[0]) };
            l.epsilon(get_f64(class, c, "epsilon", 1e-3)?)
                .rms_scaling(get_bool(class, c, "rms_scaling", false)?)
                .set_affine(AffineOptions::from_config(class, c)?)
                .into()
        }
        "GroupNormalization" => {
            let groups = c.get("groups").and_then(Value::as_i64).unwrap_or(32);
            let (ax, _) = axes(class, c)?;
            GroupNormalization::new(groups)
                .axis(ax[0])
                .epsilon(get_f64(class, c, "epsilon", 1e-3)?)
                .set_affine(AffineOptions::from_config(class, c)?)
                .into()
        }
        "UnitNormalization" => {
            let (ax, list) = axes(class, c)?;
            let l = UnitNormalization::new();
            if list { l.axes(&ax) } else { l.axis(ax[0]) }.into()
        }
        _ => return Ok(None),
    }))
}
