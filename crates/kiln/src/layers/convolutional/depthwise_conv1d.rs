//! `DepthwiseConv1D`.

use kiln_tensor::ops::conv::Padding;
use kiln_tensor::{Tensor, Variable};
use serde_json::{json, Value};

use super::base_conv::ConvOptions;
use super::Ints;
use crate::layers::layer::{one_input, CallContext, InputSpec, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

/// `keras.layers.DepthwiseConv1D`: each channel of a `(batch, steps, channels)` input
/// convolved with its own `depth_multiplier` filters (kernel `(k, channels,
/// depth_multiplier)`), output channels `channels * depth_multiplier`, then bias and
/// activation. Padding is "valid" or "same" (Keras has no "causal" here). It runs as a
/// 2-D depthwise convolution over a unit height axis.
///
/// ```
/// use kiln::layers::{DepthwiseConv1D, LayerRef};
/// use kiln_tensor::{DType, Tensor};
/// let l = LayerRef::new(DepthwiseConv1D::new(3).depth_multiplier(2).padding("same"));
/// let y = l.call(&Tensor::ones(&[1, 6, 4], DType::F32))?;
/// assert_eq!(y.shape(), &[1, 6, 8]);
/// assert_eq!(l.weights()[0].value().shape(), &[3, 4, 2]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct DepthwiseConv1D {
    base: LayerBase,
    /// `filters` holds the depth multiplier.
    pub(crate) opts: ConvOptions<1>,
    kernel: Option<Variable>,
    bias: Option<Variable>,
}

impl DepthwiseConv1D {
    /// A `kernel_size` window, depth multiplier 1.
    pub fn new(kernel_size: impl Into<Ints<1>>) -> Self {
        Self::with_options(ConvOptions::new(1, kernel_size.into().0))
    }
    /// Output channels per input channel (default 1).
    pub fn depth_multiplier(mut self, m: usize) -> Self {
        self.opts.filters = m;
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
    /// Depthwise kernel initializer (default glorot_uniform).
    pub fn depthwise_initializer(
        mut self,
        init: impl Into<crate::initializers::Initializer>,
    ) -> Self {
        self.opts.kernel_initializer = init.into();
        self
    }
    pub(crate) fn with_options(opts: ConvOptions<1>) -> Self {
        DepthwiseConv1D {
            base: LayerBase::new("depthwise_conv1d"),
            opts,
            kernel: None,
            bias: None,
        }
    }
}

/// Keras's padding check for the depthwise / separable / transposed 1-D convolutions.
pub(crate) fn no_causal(api: &'static str, pad: Padding) -> Result<Padding> {
    if pad == Padding::Causal {
        return Err(Error::InvalidArgument {
            api,
            msg: "padding must be \"valid\" or \"same\", got \"causal\"".into(),
        });
    }
    Ok(pad)
}

/// `x` of shape `(n, w, c)` viewed as `(n, 1, w, c)`.
pub(crate) fn to_2d(x: &Tensor) -> Result<Tensor> {
    let s = x.shape();
    Ok(x.reshape(&[s[0] as isize, 1, s[1] as isize, s[2] as isize])?)
}

/// `y` of shape `(n, 1, w, c)` viewed as `(n, w, c)`.
pub(crate) fn from_2d(y: &Tensor) -> Result<Tensor> {
    let s = y.shape();
    Ok(y.reshape(&[s[0] as isize, s[2] as isize, s[3] as isize])?)
}

/// A 1-D kernel `(k, a, b)` viewed as the 2-D kernel `(1, k, a, b)`.
pub(crate) fn kernel_2d(k: &Tensor) -> Result<Tensor> {
    let s = k.shape();
    Ok(k.reshape(&[1, s[0] as isize, s[1] as isize, s[2] as isize])?)
}

common_builders!(DepthwiseConv1D);
layer_state!(DepthwiseConv1D, "DepthwiseConv1D");

impl Layer for DepthwiseConv1D {
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let api = "DepthwiseConv1D";
        no_causal(api, self.opts.validate(api)?)?;
        let shape = input_shapes.first().ok_or_else(|| Error::InvalidArgument {
            api,
            msg: "no input shape".into(),
        })?;
        let c = self.opts.input_channels(api, shape)?;
        let mut probe = self.opts.clone();
        probe.filters = c * self.opts.filters;
        probe.output_shape(api, shape)?;
        self.kernel = Some(self.base.add_weight(
            "kernel",
            &[self.opts.kernel_size[0], c, self.opts.filters],
            &self.opts.kernel_initializer,
            true,
            self.opts.kernel_regularizer.clone(),
            self.opts.kernel_constraint.clone(),
        )?);
        if self.opts.use_bias {
            self.bias = Some(self.base.add_weight(
                "bias",
                &[c * self.opts.filters],
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
        let api = "DepthwiseConv1D";
        let x = one_input(inputs, api)?;
        let k = self
            .kernel
            .as_ref()
            .ok_or_else(|| Error::InvalidArgument {
                api,
                msg: "layer is not built".into(),
            })?
            .value();
        let pad = no_causal(api, self.opts.validate(api)?)?;
        let x = if x.dtype() == k.dtype() {
            x.clone()
        } else {
            x.cast(k.dtype())?
        };
        let shape: Shape = x.shape().iter().map(|&d| Some(d)).collect();
        let mut probe = self.opts.clone();
        probe.filters = k.shape()[1] * self.opts.filters;
        probe.output_shape(api, &shape)?;
        let y = to_2d(&x)?
            .depthwise_conv2d(
                &kernel_2d(&k)?,
                [1, self.opts.strides[0]],
                &pad,
                [1, self.opts.dilation_rate[0]],
            )
            .map_err(|e| Error::InvalidArgument {
                api,
                msg: e.to_string(),
            })?;
        Ok(vec![self.opts.finish(from_2d(&y)?, &self.bias)?])
    }

    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let s = input_shapes.first()?;
        let mut probe = self.opts.clone();
        let c = s.last().copied().flatten()?;
        probe.filters = c * self.opts.filters;
        Some(probe.output_shape("DepthwiseConv1D", s).map(|o| vec![o]))
    }

    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        self.opts.config(&mut c);
        let m = c.remove("filters").unwrap_or(json!(1));
        c.remove("groups");
        c.insert("depth_multiplier".into(), m);
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
