//! `DepthwiseConv1D` and `DepthwiseConv2D`: one depthwise convolution generic over its
//! spatial rank; the 1-D form runs as a 2-D one over a unit height axis.

use kiln_tensor::{Tensor, Variable};
use serde_json::{json, Value};

use super::base_conv::{rename_kernel_keys, ConvOptions, Lifted};
use super::Ints;
use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

/// Each input channel convolved with its own `depth_multiplier` filters (kernel `(k...,
/// channels, depth_multiplier)`), output channels `channels * depth_multiplier`, then bias
/// and activation; [`DepthwiseConv1D`] and [`DepthwiseConv2D`] are this type.
pub struct DepthwiseConv<const RANK: usize> {
    base: LayerBase,
    /// `filters` holds the depth multiplier.
    pub(crate) opts: ConvOptions<RANK>,
    kernel: Option<Variable>,
    bias: Option<Variable>,
}

/// `keras.layers.DepthwiseConv1D` over `(batch, steps, channels)`; padding is "valid" or
/// "same" (Keras has no "causal" here).
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
pub type DepthwiseConv1D = DepthwiseConv<1>;

/// `keras.layers.DepthwiseConv2D` over `(batch, height, width, channels)`.
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
pub type DepthwiseConv2D = DepthwiseConv<2>;

impl<const RANK: usize> DepthwiseConv<RANK> {
    /// A `kernel_size` window (an int, or one per axis), depth multiplier 1.
    pub fn new(kernel_size: impl Into<Ints<RANK>>) -> Self {
        Self::with_options(ConvOptions::new(1, kernel_size.into().0))
    }
    /// Output channels per input channel (default 1).
    pub fn depth_multiplier(mut self, m: usize) -> Self {
        self.opts.filters = m;
        self
    }
    /// Stride per axis (default 1).
    pub fn strides(mut self, s: impl Into<Ints<RANK>>) -> Self {
        self.opts.strides = s.into().0;
        self
    }
    /// `"valid"` (default) or `"same"`.
    pub fn padding(mut self, p: &str) -> Self {
        self.opts.padding = p.to_string();
        self
    }
    /// Dilation per axis (default 1).
    pub fn dilation_rate(mut self, d: impl Into<Ints<RANK>>) -> Self {
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
    pub(crate) fn with_options(opts: ConvOptions<RANK>) -> Self {
        DepthwiseConv {
            base: LayerBase::new(&crate::utils::to_snake_case(Self::class())),
            opts,
            kernel: None,
            bias: None,
        }
    }
    fn class() -> &'static str {
        ["DepthwiseConv1D", "DepthwiseConv2D"]
            .get(RANK.wrapping_sub(1))
            .copied()
            .unwrap_or("DepthwiseConv")
    }
    /// The options with `filters` set to the output channels for `c` input channels, for
    /// the shape checks.
    fn probe(&self, c: usize) -> ConvOptions<RANK> {
        let mut probe = self.opts.clone();
        probe.filters = c * self.opts.filters;
        probe
    }
}

common_builders!([const R: usize] DepthwiseConv<R>);

layer_state!([const R: usize] DepthwiseConv<R>, Self::class());

impl<const RANK: usize> Layer for DepthwiseConv<RANK> {
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let api = Self::class();
        self.opts.validate_no_causal(api)?;
        let shape = input_shapes.first().ok_or_else(|| Error::InvalidArgument {
            api,
            msg: "no input shape".into(),
        })?;
        let c = self.opts.input_channels(api, shape)?;
        self.probe(c).output_shape(api, shape)?;
        let mut dims = self.opts.kernel_size.to_vec();
        dims.extend([c, self.opts.filters]);
        let (k, b) =
            (self.opts).add_kernel_and_bias(&mut self.base, &dims, c * self.opts.filters, c)?;
        (self.kernel, self.bias) = (Some(k), b);
        Ok(())
    }

    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let api = Self::class();
        let x = one_input(inputs, api)?;
        let k = (self.kernel.as_ref())
            .ok_or_else(|| Error::InvalidArgument {
                api,
                msg: "layer is not built".into(),
            })?
            .value();
        let pad = self.opts.validate_no_causal(api)?;
        let x = x.cast(k.dtype())?;
        let shape: Shape = x.shape().iter().map(|&d| Some(d)).collect();
        self.probe(k.shape()[RANK]).output_shape(api, &shape)?;
        let l = Lifted::new(&self.opts, &x)?;
        let y = (l
            .x
            .depthwise_conv2d(&l.kernel(&k)?, l.strides, &pad, l.dilations))
        .map_err(|e| Error::InvalidArgument {
            api,
            msg: e.to_string(),
        })?;
        Ok(vec![self.opts.finish(l.lower(&y)?, &self.bias)?])
    }

    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let s = input_shapes.first()?;
        let c = s.last().copied().flatten()?;
        Some(
            self.probe(c)
                .output_shape(Self::class(), s)
                .map(|o| vec![o]),
        )
    }

    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        self.opts.config(&mut c);
        let m = c.remove("filters").unwrap_or(json!(1));
        c.remove("groups");
        c.insert("depth_multiplier".into(), m);
        rename_kernel_keys(&mut c, "kernel", "depthwise");
        let activity = self.base.activity_regularizer.as_ref();
        c.insert(
            "activity_regularizer".into(),
            activity.map_or(Value::Null, |r| r.get_config()),
        );
        Value::Object(c)
    }
}
