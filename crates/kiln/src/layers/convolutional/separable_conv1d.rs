//! `SeparableConv1D`.

use kiln_tensor::ops::conv::Padding;
use kiln_tensor::{Tensor, Variable};
use serde_json::{json, Value};

use super::base_conv::ConvOptions;
use super::depthwise_conv1d::{from_2d, kernel_2d, no_causal, to_2d};
use super::Ints;
use crate::initializers::Initializer;
use crate::layers::layer::{one_input, CallContext, InputSpec, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

/// `keras.layers.SeparableConv1D`: a depthwise convolution (`depthwise_kernel` `(k,
/// channels, depth_multiplier)`) followed by a pointwise one (`pointwise_kernel` `(1,
/// channels * depth_multiplier, filters)`) over `(batch, steps, channels)` inputs, then
/// bias and activation. Padding is "valid" or "same".
///
/// ```
/// use kiln::layers::{SeparableConv1D, LayerRef};
/// use kiln_tensor::{DType, Tensor};
/// let l = LayerRef::new(SeparableConv1D::new(6, 3).depth_multiplier(2));
/// let y = l.call(&Tensor::ones(&[1, 7, 4], DType::F32))?;
/// assert_eq!(y.shape(), &[1, 5, 6]);
/// assert_eq!(l.count_params(), 3 * 4 * 2 + 8 * 6 + 6);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct SeparableConv1D {
    base: LayerBase,
    pub(crate) opts: ConvOptions<1>,
    depth_multiplier: usize,
    pointwise_initializer: Initializer,
    depthwise: Option<Variable>,
    pointwise: Option<Variable>,
    bias: Option<Variable>,
}

impl SeparableConv1D {
    /// `filters` output channels, a `kernel_size` window.
    pub fn new(filters: usize, kernel_size: impl Into<Ints<1>>) -> Self {
        Self::with_options(
            ConvOptions::new(filters, kernel_size.into().0),
            1,
            Initializer::GlorotUniform(None),
        )
    }
    /// Depthwise outputs per input channel (default 1).
    pub fn depth_multiplier(mut self, m: usize) -> Self {
        self.depth_multiplier = m;
        self
    }
    /// Stride (default 1).
    pub fn strides(mut self, s: impl Into<Ints<1>>) -> Self {
        self.opts.strides = s.into().0;
        self
    }
    /// `"valid"` (default) or `"same"`.
    pub fn padding(mut self, p: &str) -> Self {
        self.opts.padding = p.to_string();
        self
    }
    /// Dilation (default 1).
    pub fn dilation_rate(mut self, d: impl Into<Ints<1>>) -> Self {
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
    pub(crate) fn with_options(opts: ConvOptions<1>, m: usize, pointwise: Initializer) -> Self {
        SeparableConv1D {
            base: LayerBase::new("separable_conv1d"),
            opts,
            depth_multiplier: m,
            pointwise_initializer: pointwise,
            depthwise: None,
            pointwise: None,
            bias: None,
        }
    }
}

common_builders!(SeparableConv1D);
layer_state!(SeparableConv1D, "SeparableConv1D");

impl Layer for SeparableConv1D {
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let api = "SeparableConv1D";
        no_causal(api, self.opts.validate(api)?)?;
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
        let (k, m) = (self.opts.kernel_size[0], self.depth_multiplier);
        self.depthwise = Some(self.base.add_weight(
            "depthwise_kernel",
            &[k, c, m],
            &self.opts.kernel_initializer,
            true,
            self.opts.kernel_regularizer.clone(),
            self.opts.kernel_constraint.clone(),
        )?);
        self.pointwise = Some(self.base.add_weight(
            "pointwise_kernel",
            &[1, c * m, self.opts.filters],
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
        self.base.input_spec = Some(vec![InputSpec::ndim(3).with_axis(-1, c)]);
        Ok(())
    }

    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let api = "SeparableConv1D";
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
        let pad = no_causal(api, self.opts.validate(api)?)?;
        let x = if x.dtype() == dk.dtype() {
            x.clone()
        } else {
            x.cast(dk.dtype())?
        };
        let shape: Shape = x.shape().iter().map(|&d| Some(d)).collect();
        self.opts.output_shape(api, &shape)?;
        let pk2 = kernel_2d(&pk)?;
        let y = to_2d(&x)?
            .depthwise_conv2d(
                &kernel_2d(&dk)?,
                [1, self.opts.strides[0]],
                &pad,
                [1, self.opts.dilation_rate[0]],
            )
            .and_then(|h| h.conv2d(&pk2, [1, 1], &Padding::Valid, [1, 1], 1))
            .map_err(|e| Error::InvalidArgument {
                api,
                msg: e.to_string(),
            })?;
        Ok(vec![self.opts.finish(from_2d(&y)?, &self.bias)?])
    }

    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let s = input_shapes.first()?;
        Some(
            self.opts
                .output_shape("SeparableConv1D", s)
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
