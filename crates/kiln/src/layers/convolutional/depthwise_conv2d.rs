//! `DepthwiseConv2D`.

use kiln_tensor::{Tensor, Variable};
use serde_json::{json, Value};

use super::base_conv::ConvOptions;
use super::Ints;
use crate::layers::layer::{one_input, CallContext, InputSpec, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

/// `keras.layers.DepthwiseConv2D`: each input channel convolved with its own
/// `depth_multiplier` filters (kernel `(kh, kw, channels, depth_multiplier)`), output
/// channels `channels * depth_multiplier`, then bias and activation.
///
/// ```
/// use kiln::layers::{DepthwiseConv2D, LayerRef};
/// use kiln_tensor::{DType, Tensor};
/// let l = LayerRef::new(DepthwiseConv2D::new(3).depth_multiplier(2).padding("same"));
/// let y = l.call(&Tensor::ones(&[1, 5, 5, 4], DType::F32))?;
/// assert_eq!(y.shape(), &[1, 5, 5, 8]);
/// assert_eq!(l.weights()[0].value().shape(), &[3, 3, 4, 2]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct DepthwiseConv2D {
    base: LayerBase,
    /// `filters` holds the depth multiplier; kernel/bias options as for Conv2D.
    pub(crate) opts: ConvOptions<2>,
    kernel: Option<Variable>,
    bias: Option<Variable>,
}

impl DepthwiseConv2D {
    /// A `kernel_size` window (an int or `[kh, kw]`), depth multiplier 1.
    pub fn new(kernel_size: impl Into<Ints<2>>) -> DepthwiseConv2D {
        DepthwiseConv2D {
            base: LayerBase::new("depthwise_conv2d"),
            opts: ConvOptions::new(1, kernel_size.into().0),
            kernel: None,
            bias: None,
        }
    }
    /// Output channels per input channel (default 1).
    pub fn depth_multiplier(mut self, m: usize) -> Self {
        self.opts.filters = m;
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
    /// Depthwise kernel initializer (default glorot_uniform).
    pub fn depthwise_initializer(
        mut self,
        init: impl Into<crate::initializers::Initializer>,
    ) -> Self {
        self.opts.kernel_initializer = init.into();
        self
    }
    pub(crate) fn with_options(opts: ConvOptions<2>) -> Self {
        DepthwiseConv2D {
            base: LayerBase::new("depthwise_conv2d"),
            opts,
            kernel: None,
            bias: None,
        }
    }
}

common_builders!(DepthwiseConv2D);
layer_state!(DepthwiseConv2D, "DepthwiseConv2D");

impl Layer for DepthwiseConv2D {
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let api = "DepthwiseConv2D";
        self.opts.validate(api)?;
        let shape = input_shapes.first().ok_or_else(|| Error::InvalidArgument {
            api,
            msg: "no input shape".into(),
        })?;
        let c = self.opts.input_channels(api, shape)?;
        let mut probe = self.opts.clone();
        probe.filters = c * self.opts.filters;
        probe.output_shape(api, shape)?;
        let ks = self.opts.kernel_size;
        self.kernel = Some(self.base.add_weight(
            "kernel",
            &[ks[0], ks[1], c, self.opts.filters],
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
        self.base.input_spec = Some(vec![InputSpec::ndim(4).with_axis(-1, c)]);
        Ok(())
    }

    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let api = "DepthwiseConv2D";
        let x = one_input(inputs, api)?;
        let k = self
            .kernel
            .as_ref()
            .ok_or_else(|| Error::InvalidArgument {
                api,
                msg: "layer is not built".into(),
            })?
            .value();
        let pad = self.opts.validate(api)?;
        let x = if x.dtype() == k.dtype() {
            x.clone()
        } else {
            x.cast(k.dtype())?
        };
        let y = x
            .depthwise_conv2d(&k, self.opts.strides, &pad, self.opts.dilation_rate)
            .map_err(|e| Error::InvalidArgument {
                api,
                msg: e.to_string(),
            })?;
        Ok(vec![self.opts.finish(y, &self.bias)?])
    }

    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let s = input_shapes.first()?;
        let mut probe = self.opts.clone();
        let c = s.last().copied().flatten()?;
        probe.filters = c * self.opts.filters;
        Some(probe.output_shape("DepthwiseConv2D", s).map(|o| vec![o]))
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
