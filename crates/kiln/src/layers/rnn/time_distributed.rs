//! `TimeDistributed`: applies a layer to every time step of a sequence.

use kiln_tensor::Tensor;
use serde_json::Value;

use crate::layers::layer::{fmt_shape, CallContext, Layer, LayerBase, LayerRef, LayerState, Shape};
use crate::{Error, Result};

/// Applies `layer` to each step of a `(batch, time, ...)` input
/// (`keras.layers.TimeDistributed`), as one call on the `(batch * time, ...)` reshaped
/// input. The inner layer sees each step's slice of the mask, `(batch * time, ...)`; the
/// input mask passes through to the output.
///
/// Layers whose result depends on the whole batch (BatchNormalization in training) see
/// all steps as one batch, where Keras normalizes each step separately.
///
/// ```
/// use kiln::layers::{Dense, LayerRef, TimeDistributed};
/// use kiln_tensor::{DType, Tensor};
/// let td = LayerRef::new(TimeDistributed::new(Dense::new(3)));
/// let y = td.call(&Tensor::ones(&[2, 5, 4], DType::F32))?;
/// assert_eq!(y.shape(), &[2, 5, 3]);
/// assert_eq!(td.count_params(), 15);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct TimeDistributed {
    base: LayerBase,
    layer: LayerRef,
}

fn err(msg: String) -> Error {
    Error::InvalidArgument {
        api: "TimeDistributed",
        msg,
    }
}

impl TimeDistributed {
    /// Wraps `layer`.
    pub fn new(layer: impl Into<LayerRef>) -> TimeDistributed {
        TimeDistributed {
            base: LayerBase::new("time_distributed"),
            layer: layer.into(),
        }
    }

    /// Sets the name.
    pub fn name(mut self, name: &str) -> Self {
        self.base.set_name(name);
        self
    }

    /// The wrapped layer.
    pub fn layer(&self) -> &LayerRef {
        &self.layer
    }

    fn child_shape(&self, s: &Shape) -> Result<Shape> {
        if s.len() < 3 {
            return Err(err(format!(
                "layer '{}' needs an input of at least 3 dimensions (batch, time, ...), got {}",
                self.base.name(),
                fmt_shape(s)
            )));
        }
        let mut c = vec![match (s[0], s[1]) {
            (Some(b), Some(t)) => Some(b * t),
            _ => None,
        }];
        c.extend_from_slice(&s[2..]);
        Ok(c)
    }
}

impl LayerState for TimeDistributed {
    fn base(&self) -> &LayerBase {
        &self.base
    }
    fn base_mut(&mut self) -> &mut LayerBase {
        &mut self.base
    }
    fn class_name(&self) -> &'static str {
        "TimeDistributed"
    }
    fn sublayers(&self) -> Vec<LayerRef> {
        vec![self.layer.clone()]
    }
}

impl Layer for TimeDistributed {
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let s = input_shapes.first().cloned().unwrap_or_default();
        let mut c = self.child_shape(&s)?;
        c[0] = s[0];
        self.layer.build(&[c])
    }

    fn call(&mut self, inputs: &[Tensor], ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = crate::layers::one_input(inputs, "TimeDistributed")?;
        let s = x.shape().to_vec();
        self.child_shape(&s.iter().map(|&d| Some(d)).collect())?;
        let (b, t) = (s[0], s[1]);
        let mut flat: Vec<isize> = vec![(b * t) as isize];
        flat.extend(s[2..].iter().map(|&d| d as isize));
        let x2 = x.reshape(&flat)?;
        let mut masks = Vec::new();
        if let Some(m) = ctx.mask(0) {
            let ms = m.shape();
            if ms.len() < 2 || ms[0] != b || ms[1] != t {
                return Err(err(format!(
                    "layer '{}': the mask has shape {:?}, incompatible with the input shape \
                     {:?}; the mask's first two dimensions must be ({b}, {t})",
                    self.base.name(),
                    ms,
                    s
                )));
            }
            let mut mf: Vec<isize> = vec![(b * t) as isize];
            mf.extend(ms[2..].iter().map(|&d| d as isize));
            masks.push(Some(m.reshape(&mf)?));
        }
        let (ys, _) = self
            .layer
            .call_with_masks(&[x2], &masks, Some(ctx.training))?;
        ys.into_iter()
            .map(|y| {
                let mut shape: Vec<isize> = vec![b as isize, t as isize];
                shape.extend(y.shape()[1..].iter().map(|&d| d as isize));
                Ok(y.reshape(&shape)?)
            })
            .collect()
    }

    fn supports_masking(&self) -> bool {
        true
    }

    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let s = input_shapes.first()?;
        let mut c = match self.child_shape(s) {
            Ok(c) => c,
            Err(e) => return Some(Err(e)),
        };
        c[0] = s[0];
        Some(self.layer.compute_output_shape(&[c]).map(|outs| {
            outs.into_iter()
                .map(|o| {
                    let mut r = vec![s[0], s[1]];
                    r.extend_from_slice(&o[1..]);
                    r
                })
                .collect()
        }))
    }

    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.insert("layer".into(), crate::saving::serialize_layer(&self.layer));
        Value::Object(c)
    }
}

/// Rebuilds a `TimeDistributed` from its Keras config.
pub(crate) fn from_config(c: &Value) -> Result<TimeDistributed> {
    let inner = c
        .get("layer")
        .ok_or_else(|| err("from_config: missing 'layer'".into()))?;
    Ok(TimeDistributed::new(crate::layers::deserialize(inner)?))
}
