//! Regularization layers: Dropout, SpatialDropout1D/2D/3D, GaussianNoise,
//! GaussianDropout, ActivityRegularization.

mod activity_regularization;
mod dropout;
mod gaussian;
mod spatial_dropout;

pub use activity_regularization::ActivityRegularization;
pub use dropout::Dropout;
pub use gaussian::{GaussianDropout, GaussianNoise};
pub use spatial_dropout::{SpatialDropout1D, SpatialDropout2D, SpatialDropout3D};

use serde_json::Value;

use crate::layers::registry::get_f64;
use crate::layers::LayerRef;
use crate::Result;

/// Rebuilds the regularization layers other than Dropout from their configs.
pub(crate) fn from_config(class: &str, c: &Value) -> Result<Option<LayerRef>> {
    let seed = c.get("seed").and_then(Value::as_u64);
    let fmt = c
        .get("data_format")
        .and_then(Value::as_str)
        .unwrap_or("channels_last");
    macro_rules! seeded {
        ($e:expr) => {{
            let l = $e;
            match seed {
                Some(s) => l.seed(s),
                None => l,
            }
        }};
    }
    Ok(Some(match class {
        "GaussianNoise" => crate::layers::registry::of::<GaussianNoise>(c)?,
        "GaussianDropout" => crate::layers::registry::of::<GaussianDropout>(c)?,
        "SpatialDropout1D" => {
            seeded!(SpatialDropout1D::new(get_f64(class, c, "rate", 0.0)?)).into()
        }
        "SpatialDropout2D" => seeded!(SpatialDropout2D::new(get_f64(class, c, "rate", 0.0)?))
            .data_format(fmt)?
            .into(),
        "SpatialDropout3D" => seeded!(SpatialDropout3D::new(get_f64(class, c, "rate", 0.0)?))
            .data_format(fmt)?
            .into(),
        "ActivityRegularization" => ActivityRegularization::new(
            get_f64(class, c, "l1", 0.0)?,
            get_f64(class, c, "l2", 0.0)?,
        )
        .into(),
        _ => return Ok(None),
    }))
}
