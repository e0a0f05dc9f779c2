//! Convolution layers: Conv1D, Conv2D, Conv1DTranspose, Conv2DTranspose,
//! Conv3D, DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D.

mod base_conv;
mod conv;
mod conv_transpose;
mod depthwise_conv;
mod separable_conv;

pub use conv::{Conv, Conv1D, Conv2D, Conv3D};
pub use conv_transpose::{Conv1DTranspose, Conv2DTranspose, ConvTranspose};
pub use depthwise_conv::{DepthwiseConv, DepthwiseConv1D, DepthwiseConv2D};
pub use separable_conv::{SeparableConv, SeparableConv1D, SeparableConv2D};

use serde_json::Value;

use crate::layers::LayerRef;
use crate::Result;
use base_conv::ConvOptions;

/// Per-axis integers given as one int for every axis (`3`) or one per axis (`[3, 5]`),
/// as Keras's `kernel_size`, `strides`, `pool_size` ...
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ints<const N: usize>(pub [usize; N]);

impl<const N: usize> From<usize> for Ints<N> {
    fn from(v: usize) -> Self {
        Ints([v; N])
    }
}

impl<const N: usize> From<[usize; N]> for Ints<N> {
    fn from(v: [usize; N]) -> Self {
        Ints(v)
    }
}

impl From<(usize, usize)> for Ints<2> {
    fn from(v: (usize, usize)) -> Self {
        Ints([v.0, v.1])
    }
}

/// Rebuilds the convolution layers from their configs; `None` for other classes.
pub(crate) fn from_config(class: &str, c: &Value) -> Result<Option<LayerRef>> {
    let with_activity = |l: LayerRef| -> Result<LayerRef> {
        if let Some(r) = crate::layers::registry::regularizer(class, c, "activity_regularizer")? {
            l.lock().base_mut().activity_regularizer = Some(r);
        }
        Ok(l)
    };
    Ok(Some(match class {
        "Conv2D" => {
            with_activity(Conv2D::with_options(ConvOptions::from_config(class, c)?).into())?
        }
        "Conv1D" => {
            with_activity(Conv1D::with_options(ConvOptions::from_config(class, c)?).into())?
        }
        "Conv2DTranspose" => with_activity(
            Conv2DTranspose::with_options(
                ConvOptions::from_config(class, c)?,
                output_padding(class, c)?,
            )
            .into(),
        )?,
        "Conv3D" => {
            with_activity(Conv3D::with_options(ConvOptions::from_config(class, c)?).into())?
        }
        "Conv1DTranspose" => with_activity(
            Conv1DTranspose::with_options(
                ConvOptions::from_config(class, c)?,
                output_padding(class, c)?,
            )
            .into(),
        )?,
        "DepthwiseConv1D" => with_activity(
            DepthwiseConv1D::with_options(ConvOptions::from_config(class, &depthwise_config(c))?)
                .into(),
        )?,
        "SeparableConv1D" => {
            let (o, m, pw) = separable_config(class, c)?;
            with_activity(SeparableConv1D::with_options(o, m, pw).into())?
        }
        "DepthwiseConv2D" => with_activity(
            DepthwiseConv2D::with_options(ConvOptions::from_config(class, &depthwise_config(c))?)
                .into(),
        )?,
        "SeparableConv2D" => {
            let (o, m, pw) = separable_config(class, c)?;
            with_activity(SeparableConv2D::with_options(o, m, pw).into())?
        }
        _ => return Ok(None),
    }))
}

/// A depthwise config with Keras's `depthwise_*` / `depth_multiplier` keys renamed to the
/// `kernel_*` / `filters` keys [`ConvOptions::from_config`] reads.
fn depthwise_config(c: &Value) -> Value {
    let mut c2 = c.clone();
    if let Some(o) = c2.as_object_mut() {
        o.insert(
            "filters".into(),
            o.get("depth_multiplier").cloned().unwrap_or(1.into()),
        );
        rename(o, "depthwise_initializer", "kernel_initializer");
        rename(o, "depthwise_regularizer", "kernel_regularizer");
        rename(o, "depthwise_constraint", "kernel_constraint");
    }
    c2
}

/// The options, depth multiplier and pointwise initializer of a separable config.
fn separable_config<const R: usize>(
    class: &str,
    c: &Value,
) -> Result<(ConvOptions<R>, usize, crate::initializers::Initializer)> {
    let m = c
        .get("depth_multiplier")
        .and_then(Value::as_u64)
        .unwrap_or(1) as usize;
    let pw = crate::layers::registry::initializer(
        class,
        c,
        "pointwise_initializer",
        crate::initializers::Initializer::GlorotUniform(None),
    )?;
    let mut c2 = c.clone();
    if let Some(o) = c2.as_object_mut() {
        rename(o, "depthwise_initializer", "kernel_initializer");
        rename(o, "depthwise_regularizer", "kernel_regularizer");
        rename(o, "depthwise_constraint", "kernel_constraint");
    }
    Ok((ConvOptions::from_config(class, &c2)?, m, pw))
}

/// A transposed convolution's `output_padding`: null, one int for every axis, or one per
/// axis.
fn output_padding<const R: usize>(class: &str, c: &Value) -> Result<Option<[usize; R]>> {
    let bad = |v: &Value| crate::Error::InvalidArgument {
        api: "layers.from_config",
        msg: format!("{class}: output_padding must be null, an int or {R} ints, got {v}"),
    };
    match c.get("output_padding") {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Number(n)) => Ok(Some([n.as_u64().ok_or_else(|| bad(v))? as usize; R])),
        Some(v @ Value::Array(a)) if a.len() == R => {
            let mut out = [0; R];
            for (o, x) in out.iter_mut().zip(a) {
                *o = x.as_u64().ok_or_else(|| bad(v))? as usize;
            }
            Ok(Some(out))
        }
        Some(v) => Err(bad(v)),
    }
}

fn rename(o: &mut serde_json::Map<String, Value>, from: &str, to: &str) {
    if let Some(v) = o.remove(from) {
        o.insert(to.to_string(), v);
    }
}
