//! Attention layers: `Attention`, `AdditiveAttention`, `MultiHeadAttention`.

mod dot_attention;
mod masks;
mod multi_head_attention;

pub use dot_attention::{AdditiveAttention, Attention};
pub use multi_head_attention::MultiHeadAttention;

use serde_json::Value;

use crate::initializers::Initializer;
use crate::layers::registry::{
    constraint, get_bool, get_f64, get_ints, get_usize, initializer, regularizer,
};
use crate::layers::LayerRef;
use crate::Result;

/// Rebuilds an attention layer from its Keras config (`None` for other classes).
pub(crate) fn from_config(class: &str, c: &Value) -> Result<Option<LayerRef>> {
    let seed = c.get("seed").and_then(Value::as_u64);
    Ok(Some(match class {
        "MultiHeadAttention" => {
            let mut m = MultiHeadAttention::new(
                get_usize(class, c, "num_heads")?,
                get_usize(class, c, "key_dim")?,
            )
            .dropout(get_f64(class, c, "dropout", 0.0)?)
            .use_bias(get_bool(class, c, "use_bias", true)?)
            .kernel_initializer(initializer(
                class,
                c,
                "kernel_initializer",
                Initializer::GlorotUniform(None),
            )?)
            .bias_initializer(initializer(
                class,
                c,
                "bias_initializer",
                Initializer::Zeros,
            )?);
            if let Some(v) = c.get("value_dim").and_then(Value::as_u64) {
                m = m.value_dim(v as usize);
            }
            match c.get("output_shape") {
                Some(Value::Number(n)) => m = m.output_shape(&[n.as_u64().unwrap_or(0) as usize]),
                Some(Value::Array(_)) => {
                    let s: Vec<usize> = get_ints(class, c, "output_shape")?
                        .into_iter()
                        .map(|v| v.max(0) as usize)
                        .collect();
                    m = m.output_shape(&s);
                }
                _ => {}
            }
            match c.get("attention_axes") {
                Some(Value::Number(n)) => {
                    m = m.attention_axes(&[n.as_i64().unwrap_or(-2) as isize])
                }
                Some(Value::Array(_)) => {
                    let a: Vec<isize> = get_ints(class, c, "attention_axes")?
                        .into_iter()
                        .map(|v| v as isize)
                        .collect();
                    m = m.attention_axes(&a);
                }
                _ => {}
            }
            if let Some(r) = regularizer(class, c, "kernel_regularizer")? {
                m = m.kernel_regularizer(r);
            }
            if let Some(r) = regularizer(class, c, "bias_regularizer")? {
                m = m.bias_regularizer(r);
            }
            if let Some(k) = constraint(class, c, "kernel_constraint")? {
                m = m.kernel_constraint(k);
            }
            if let Some(k) = constraint(class, c, "bias_constraint")? {
                m = m.bias_constraint(k);
            }
            if let Some(s) = seed {
                m = m.seed(s);
            }
            m.into()
        }
        "Attention" => {
            let mut a = Attention::new()
                .use_scale(get_bool(class, c, "use_scale", false)?)
                .score_mode(c.get("score_mode").and_then(Value::as_str).unwrap_or("dot"))?
                .dropout(get_f64(class, c, "dropout", 0.0)?);
            if let Some(s) = seed {
                a = a.seed(s);
            }
            a.into()
        }
        "AdditiveAttention" => {
            let mut a = AdditiveAttention::new()
                .use_scale(get_bool(class, c, "use_scale", true)?)
                .dropout(get_f64(class, c, "dropout", 0.0)?);
            if let Some(s) = seed {
                a = a.seed(s);
            }
            a.into()
        }
        _ => return Ok(None),
    }))
}
