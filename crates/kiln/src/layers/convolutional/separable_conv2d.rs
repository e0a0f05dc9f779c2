//! `SeparableConv2D`.

use kiln_tensor::ops::conv::Padding;
use kiln_tensor::{Tensor, Variable};
use serde_json::{json, Value};

use super::base_conv::ConvOptions;
use super::Ints;
use crate::initializers::Initializer;
use crate::layers::layer::{one_input, CallContext, InputSpec, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

/// `keras.layers.SeparableConv2D`: a depthwise convolution (`depthwise_kernel` `(kh, kw,
/// channels, depth_multiplier)`) followed by a 1x1 convolution (`pointwise_kernel` `(1, 1,
/// channels * depth_multiplier, filters)`), then bias and activation.
///
/// ```
/// use kiln::layers::{SeparableConv2D, LayerRef};
/// use kiln_tensor::{DType, Tensor};
/// let l = LayerRef::new(SeparableConv2D::new(6, 3));
/// let y = l.call(&Tensor::ones(&[1, 5, 5, 4], DType::F32))?;
/// assert_eq!(y.shape(), &[1, 3, 3, 6]);
/// assert_eq!(l.count_params(), 3 * 3 * 4 + 4 * 6 + 6);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct SeparableConv2D {
    base: LayerBase,
    pub(crate) opts: ConvOptions<2>,
    depth_multiplier: usize,
    pointwise_initializer: Initializer,
    depthwise: Option<Variable>,
    pointwise: Option<Variable>,
    bias: Option<Variable>,
}

impl SeparableConv2D {
    /// `filters` output channels, `kernel_size` window.
    pub fn new(filters: usize, kernel_size: impl Into<Ints<2>>) -> Self {
        SeparableConv2D {
            base: LayerBase::new("separable_conv2d"),
            opts: ConvOptions::new(filters, kernel_size.into().0),
            depth_multiplier: 1,
            pointwise_initializer: Initializer::GlorotUniform(None),
            depthwise: None,
            pointwise: None,
            bias: None,
        }
    }
    /// Depthwise outputs per input channel (default 1).
    pub fn depth_multiplier(mut self, m: usize) -> Self {
        self.depth_multiplier = m;
        self
    }
    /// Stride per axis (default 1).
    pub fn strides(mut self, s: impl Into<Ints<2>>) -> Self {
        self.opts.strides = s.into().0;
        self
    }
    /// `"valid"` (default) or `"same"`.
    pub fn padding(mut self, p: &str) -> Self {
        self.opts.padding = p.to_string();
        self
    }
    /// Dilation per axis (default 1).
    pub fn dilation_rate(mut self, d: impl Into<Ints<2>>) -> Self {
        self.opts.dilation_rate = d.into().0;
        self
    }
    /// Activation by name.
    pub fn activation(mut self, name: &str) -> Self {
        self.opts.activation = crate::activations::Activation::get(name).map_err(|e| e.to_string());
        self
    }
    /// Whether to add a bias (default true).
    pub fn use_bias(mut self, b: bool) -> Self {
        self.opts.use_bias = b;
        self
    }
    pub(crate) fn with_options(opts: ConvOptions<2>, m: usize, pointwise: Initializer) -> Self {
        SeparableConv2D {
            base: LayerBase::new("separable_conv2d"),
            opts,
            depth_multiplier: m,
            pointwise_initializer: pointwise,
            depthwise: None,
            pointwise: None,
            bias: None,
        }
    }
}

common_builders!(SeparableConv2D);
layer_state!(SeparableConv2D, "SeparableConv2D");

impl Layer for SeparableConv2D {
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let api = "SeparableConv2D";
        self.opts.validate(api)?;
        if self.depth_multiplier == 0 {
            return Err(Error::InvalidArgument {
                api,
                msg: "depth_multiplier must be at least 1".into(),
            });
        }
        let shape = input_shapes.first().ok_or_else(|| Error::InvalidArgument {
            api,
            msg: "no input shape".into(),
        })?;
        let c = self.opts.input_channels(api, shape)?;
        self.opts.output_shape(api, shape)?;
        let (ks, m) = (self.opts.kernel_size, self.depth_multiplier);
        self.depthwise = Some(self.base.add_weight(
            "depthwise_kernel",
            &[ks[0], ks[1], c, m],
            &self.opts.kernel_initializer,
            true,
            self.opts.kernel_regularizer.clone(),
            self.opts.kernel_constraint.clone(),
        )?);
        self.pointwise = Some(self.base.add_weight(
            "pointwise_kernel",
            &[1, 1, c * m, self.opts.filters],
            &self.pointwise_initializer,
            true,
            None,
            None,
        )?);
        if self.opts.use_bias {
            self.bias = Some(self.base.add_weight(
                "bias",
                &[self.opts.filters],
                &self.opts.bias_initializer,
                true,
                self.opts.bias_regularizer.clone(),
                self.opts.bias_constraint.clone(),
            )?);
        }
        self.base.input_spec = Some(vec![InputSpec::ndim(4).with_axis(-1, c)]);
        Ok(())
    }

    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let api = "SeparableConv2D";
        let x = one_input(inputs, api)?;
        let (dk, pk) = match (&self.depthwise, &self.pointwise) {
            (Some(d), Some(p)) => (d.value(), p.value()),
            _ => {
                return Err(Error::InvalidArgument {
                    api,
                    msg: "layer is not built".into(),
                })
            }
        };
        let pad = self.opts.validate(api)?;
        let x = if x.dtype() == dk.dtype() {
            x.clone()
        } else {
            x.cast(dk.dtype())?
        };
        let y = x
            .depthwise_conv2d(&dk, self.opts.strides, &pad, self.opts.dilation_rate)
            .and_then(|h| h.conv2d(&pk, [1, 1], &Padding::Valid, [1, 1], 1))
            .map_err(|e| Error::InvalidArgument {
                api,
                msg: e.to_string(),
            })?;
        Ok(vec![self.opts.finish(y, &self.bias)?])
    }

    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let s = input_shapes.first()?;
        Some(
            self.opts
                .output_shape("SeparableConv2D", s)
                .map(|o| vec![o]),
        )
    }

    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        self.opts.config(&mut c);
        c.remove("groups");
        c.insert("depth_multiplier".into(), json!(self.depth_multiplier));
        for (from, to) in [
            ("kernel_initializer", "depthwise_initializer"),
            ("kernel_regularizer", "depthwise_regularizer"),
            ("kernel_constraint", "depthwise_constraint"),
        ] {
            if let Some(v) = c.remove(from) {
                c.insert(to.into(), v);
            }
        }
        c.insert(
            "pointwise_initializer".into(),
            self.pointwise_initializer.get_config(),
        );
        c.insert("pointwise_regularizer".into(), Value::Null);
        c.insert("pointwise_constraint".into(), Value::Null);
        c.insert(
            "activity_regularizer".into(),
            self.base
                .activity_regularizer
                .as_ref()
                .map(|r| r.get_config())
                .unwrap_or(Value::Null),
        );
        Value::Object(c)
    }
}
