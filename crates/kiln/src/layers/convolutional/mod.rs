//! Convolution layers: Conv1D, Conv2D.

mod base_conv;
mod conv1d;
mod conv2d;

pub use conv1d::Conv1D;
pub use conv2d::Conv2D;

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
        _ => return Ok(None),
    }))
}
