//! `GlobalAveragePooling1D/2D/3D`, `GlobalMaxPooling1D/2D/3D`.

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::layers::fmt_shape;
use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

/// `sum(where(mask, x, 0)) / count(mask)` over the steps of `x (batch, steps, features)`
/// with `mask (batch, steps)`, as Keras's masked `GlobalAveragePooling1D`.
fn masked_mean_1d(x: &Tensor, mask: &Tensor, keepdims: bool, class: &str) -> Result<Tensor> {
    let (b, t) = (x.shape()[0], x.shape()[1]);
    if mask.shape() != [b, t] {
        let s: Shape = mask.shape().iter().map(|&d| Some(d)).collect();
        return Err(Error::InvalidArgument {
            api: "GlobalAveragePooling1D",
            msg: format!(
                "{class}: the mask has shape {}, expected ({b}, {t}) for an input of shape \
                 {}",
                fmt_shape(&s),
                fmt_shape(&x.shape().iter().map(|&d| Some(d)).collect::<Vec<_>>())
            ),
        });
    }
    let m = if mask.dtype() == kiln_tensor::DType::Bool {
        mask.clone()
    } else {
        mask.cast(kiln_tensor::DType::Bool)?
    }
    .expand_dims(2)?;
    let kept = Tensor::where_cond(&m, x, &Tensor::zeros(&[], x.dtype()))?;
    let count = m.cast(x.dtype())?;
    Ok(kept.sum(&[1], keepdims)?.div(&count.sum(&[1], keepdims)?)?)
}

macro_rules! global_pool {
    ($t:ident, $class:literal, $snake:literal, $rank:literal, $max:literal, $doc:literal, $shape:literal, $out:literal) => {
        #[doc = $doc]
        #[doc = ""]
        #[doc = "```"]
        #[doc = concat!("use kiln::layers::{", stringify!($t), ", LayerRef};")]
        #[doc = "use kiln_tensor::{DType, Tensor};"]
        #[doc = concat!("let p = LayerRef::new(", stringify!($t), "::new());")]
        #[doc = concat!("assert_eq!(p.call(&Tensor::ones(&", $shape, ", DType::F32))?.shape(), &", $out, ");")]
        #[doc = "# Ok::<(), kiln::Error>(())"]
        #[doc = "```"]
        pub struct $t {
            base: LayerBase,
            keepdims: bool,
        }

        impl Default for $t {
            fn default() -> Self {
                Self::new()
            }
        }

        impl $t {
            /// Pools over every spatial axis.
            pub fn new() -> $t {
                $t { base: LayerBase::new($snake), keepdims: false }
            }
            /// Keep the pooled spatial axes with size 1 (default false).
            pub fn keepdims(mut self, keepdims: bool) -> Self {
                self.keepdims = keepdims;
                self
            }
        }

        common_builders!($t);
        layer_state!($t, $class);

        impl Layer for $t {
            fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
                match input_shapes.first() {
                    Some(s) if s.len() != $rank + 2 => Err(Error::InvalidArgument {
                        api: $class,
                        msg: format!("expected an input of rank {}, got shape {}", $rank + 2, fmt_shape(s)),
                    }),
                    _ => Ok(()),
                }
            }
            fn call(&mut self, inputs: &[Tensor], ctx: &CallContext) -> Result<Vec<Tensor>> {
                let x = one_input(inputs, $class)?;
                if x.rank() != $rank + 2 {
                    let s: Shape = x.shape().iter().map(|&d| Some(d)).collect();
                    return Err(Error::InvalidArgument {
                        api: $class,
                        msg: format!("expected an input of rank {}, got shape {}", $rank + 2, fmt_shape(&s)),
                    });
                }
                let axes: Vec<isize> = (1..=$rank).collect();
                // Keras: GlobalAveragePooling1D averages the unmasked steps only (a row
                // with every step masked divides 0 by 0); GlobalMaxPooling1D ignores a
                // mask (Keras 3 drops it with a warning).
                if $rank == 1 && !$max {
                    if let Some(m) = ctx.mask(0) {
                        return Ok(vec![masked_mean_1d(x, m, self.keepdims, $class)?]);
                    }
                }
                Ok(vec![if $max { x.max(&axes, self.keepdims)? } else { x.mean(&axes, self.keepdims)? }])
            }
            fn supports_masking(&self) -> bool {
                $rank == 1 && !$max
            }
            fn compute_mask(
                &self,
                _inputs: &[Tensor],
                _masks: &[Option<Tensor>],
            ) -> Result<Vec<Option<Tensor>>> {
                Ok(vec![None])
            }
            fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
                let s = input_shapes.first()?;
                if s.len() != $rank + 2 {
                    return None;
                }
                let out: Shape = if self.keepdims {
                    let mut o = s.clone();
                    for d in &mut o[1..=$rank] {
                        *d = Some(1);
                    }
                    o
                } else {
                    vec![s[0], s[$rank + 1]]
                };
                Some(Ok(vec![out]))
            }
            fn get_config(&self) -> Value {
                let mut c = self.base.base_config();
                c.insert("data_format".into(), json!("channels_last"));
                c.insert("keepdims".into(), json!(self.keepdims));
                Value::Object(c)
            }
        }
    };
}

global_pool!(
    GlobalAveragePooling2D,
    "GlobalAveragePooling2D",
    "global_average_pooling2d",
    2,
    false,
    "`keras.layers.GlobalAveragePooling2D`: the mean over height and width.",
    "[2, 3, 4, 5]",
    "[2, 5]"
);
global_pool!(
    GlobalMaxPooling2D,
    "GlobalMaxPooling2D",
    "global_max_pooling2d",
    2,
    true,
    "`keras.layers.GlobalMaxPooling2D`: the maximum over height and width.",
    "[2, 3, 4, 5]",
    "[2, 5]"
);
global_pool!(
    GlobalAveragePooling1D,
    "GlobalAveragePooling1D",
    "global_average_pooling1d",
    1,
    false,
    "`keras.layers.GlobalAveragePooling1D`: the mean over the steps.",
    "[2, 3, 5]",
    "[2, 5]"
);
global_pool!(
    GlobalMaxPooling1D,
    "GlobalMaxPooling1D",
    "global_max_pooling1d",
    1,
    true,
    "`keras.layers.GlobalMaxPooling1D`: the maximum over the steps.",
    "[2, 3, 5]",
    "[2, 5]"
);

global_pool!(
    GlobalAveragePooling3D,
    "GlobalAveragePooling3D",
    "global_average_pooling3d",
    3,
    false,
    "`keras.layers.GlobalAveragePooling3D`: the mean over depth, height and width.",
    "[2, 3, 4, 2, 5]",
    "[2, 5]"
);
global_pool!(
    GlobalMaxPooling3D,
    "GlobalMaxPooling3D",
    "global_max_pooling3d",
    3,
    true,
    "`keras.layers.GlobalMaxPooling3D`: the maximum over depth, height and width.",
    "[2, 3, 4, 2, 5]",
    "[2, 5]"
);

pub(crate) fn from_config(class: &str, c: &Value) -> Result<Option<crate::layers::LayerRef>> {
    let k = c.get("keepdims").and_then(Value::as_bool).unwrap_or(false);
    if c.get("data_format")
        .and_then(Value::as_str)
        .is_some_and(|f| f != "channels_last")
    {
        return Err(Error::InvalidArgument {
            api: "layers.from_config",
            msg: format!("{class}: data_format \"channels_first\" is not supported yet"),
        });
    }
    Ok(Some(match class {
        "GlobalAveragePooling2D" => GlobalAveragePooling2D::new().keepdims(k).into(),
        "GlobalMaxPooling2D" => GlobalMaxPooling2D::new().keepdims(k).into(),
        "GlobalAveragePooling1D" => GlobalAveragePooling1D::new().keepdims(k).into(),
        "GlobalMaxPooling1D" => GlobalMaxPooling1D::new().keepdims(k).into(),
        "GlobalAveragePooling3D" => GlobalAveragePooling3D::new().keepdims(k).into(),
        "GlobalMaxPooling3D" => GlobalMaxPooling3D::new().keepdims(k).into(),
        _ => return Ok(None),
    }))
}
