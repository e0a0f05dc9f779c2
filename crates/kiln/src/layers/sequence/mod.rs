//! Sequence layers: `Embedding`, `Masking`.

mod embedding;
mod masking;

pub use embedding::Embedding;
pub use masking::Masking;

use serde_json::Value;

use crate::initializers::Initializer;
use crate::layers::registry::{constraint, get_bool, get_usize, initializer, regularizer};
use crate::layers::LayerRef;
use crate::Result;

/// Rebuilds a sequence layer from its Keras config (`None` for other classes).
pub(crate) fn from_config(class: &str, c: &Value) -> Result<Option<LayerRef>> {
    Ok(Some(match class {
        "Embedding" => {
            let mut e = Embedding::new(
                get_usize(class, c, "input_dim")?,
                get_usize(class, c, "output_dim")?,
            )
            .mask_zero(get_bool(class, c, "mask_zero", false)?)
            .embeddings_initializer(initializer(
                class,
                c,
                "embeddings_initializer",
                Initializer::random_uniform(-0.05, 0.05),
            )?);
            if let Some(r) = regularizer(class, c, "embeddings_regularizer")? {
                e = e.embeddings_regularizer(r);
            }
            if let Some(k) = constraint(class, c, "embeddings_constraint")? {
                e = e.embeddings_constraint(k);
            }
            e.into()
        }
        "Masking" => crate::layers::registry::of::<Masking>(c)?,
        _ => return Ok(None),
    }))
}
