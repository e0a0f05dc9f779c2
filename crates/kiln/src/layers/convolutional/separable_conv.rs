//! `SeparableConv1D` and `SeparableConv2D`: a depthwise convolution followed by a
//! pointwise one, generic over the spatial rank (the 1-D form runs as 2-D).

use kiln_tensor::ops::conv::Padding;
use kiln_tensor::{Tensor, Variable};
use serde_json::{json, Value};

use super::base_conv::{rename_kernel_keys, ConvOptions, Lifted};
use super::Ints;
use crate::initializers::Initializer;
use crate::layers::layer::{one_input, CallContext, InputSpec, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

/// A depthwise convolution (`depthwise_kernel` `(k..., channels, depth_multiplier)`)
/// followed by a pointwise one (`pointwise_kernel` `(1..., channels * depth_multiplier,
/// filters)`), then bias and activation; [`SeparableConv1D`] and [`SeparableConv2D`] are
/// this type. Padding is "valid" or "same".
pub struct SeparableConv<const RANK: usize> {
    base: LayerBase,
    pub(crate) opts: ConvOptions<RANK>,
    depth_multiplier: usize,
    pointwise_initializer: Initializer,
    depthwise: Option<Variable>,
    pointwise: Option<Variable>,
    bias: Option<Variable>,
}

/// `keras.layers.SeparableConv1D` over `(batch, steps, channels)`.
///
/// ```
/// use kiln::layers::{LayerRef, SeparableConv1D};
/// use kiln_tensor::{DType, Tensor};
/// let l = LayerRef::new(SeparableConv1D::new(6, 3).depth_multiplier(2));
/// let y = l.call(&Tensor::ones(&[1, 7, 4], DType::F32))?;
/// assert_eq!(y.shape(), &[1, 5, 6]);
/// assert_eq!(l.count_params(), 3 * 4 * 2 + 8 * 6 + 6);
/// # Ok::<(), kiln::Error>(())
/// ```
pub type SeparableConv1D = SeparableConv<1>;

/// `keras.layers.SeparableConv2D` over `(batch, height, width, channels)`.
///
/// ```
/// use kiln::layers::{LayerRef, SeparableConv2D};
/// use kiln_tensor::{DType, Tensor};
/// let l = LayerRef::new(SeparableConv2D::new(6, 3));
/// let y = l.call(&Tensor::ones(&[1, 5, 5, 4], DType::F32))?;
/// assert_eq!(y.shape(), &[1, 3, 3, 6]);
/// assert_eq!(l.count_params(), 3 * 3 * 4 + 4 * 6 + 6);
/// # Ok::<(), kiln::Error>(())
/// ```
pub type SeparableConv2D = SeparableConv<2>;

impl<const RANK: usize> SeparableConv<RANK> {
    /// `filters` output channels, a `kernel_size` window (an int, or one per axis).
    pub fn new(filters: usize, kernel_size: impl Into<Ints<RANK>>) -> Self {
        let opts = ConvOptions::new(filters, kernel_size.into().0);
        Self::with_options(opts, 1, Initializer::GlorotUniform(None))
    }
    /// Depthwise outputs per input channel (default 1).
    pub fn depth_multiplier(mut self, m: usize) -> Self {
        self.depth_multiplier = m;
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
    pub(crate) fn with_options(opts: ConvOptions<RANK>, m: usize, pointwise: Initializer) -> Self {
        SeparableConv {
            base: LayerBase::new(&crate::utils::to_snake_case(Self::class())),
            opts,
            depth_multiplier: m,
            pointwise_initializer: pointwise,
            depthwise: None,
            pointwise: None,
            bias: None,
        }
    }
    fn class() -> &'static str {
        ["SeparableConv1D", "SeparableConv2D"]
            .get(RANK.wrapping_sub(1))
            .copied()
            .unwrap_or("SeparableConv")
    }
}

common_builders!([const R: usize] SeparableConv<R>);

layer_state!([const R: usize] SeparableConv<R>, Self::class());

impl<const RANK: usize> Layer for SeparableConv<RANK> {
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let api = Self::class();
        self.opts.validate_no_causal(api)?;
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
        let m = self.depth_multiplier;
        let mut dims = self.opts.kernel_size.to_vec();
        dims.extend([c, m]);
        let depthwise = (self.base.weight("depthwise_kernel", &dims))
            .initializer(self.opts.kernel_initializer.clone())
            .regularizer_opt(self.opts.kernel_regularizer.clone())
            .constraint_opt(self.opts.kernel_constraint.clone());
        self.depthwise = Some(depthwise.build()?);
        let mut dims = vec![1; RANK];
        dims.extend([c * m, self.opts.filters]);
        let pointwise = self.base.weight("pointwise_kernel", &dims);
        self.pointwise = Some(
            pointwise
                .initializer(self.pointwise_initializer.clone())
                .build()?,
        );
        if self.opts.use_bias {
            let bias = (self.base.weight("bias", &[self.opts.filters]))
                .initializer(self.opts.bias_initializer.clone())
                .regularizer_opt(self.opts.bias_regularizer.clone())
                .constraint_opt(self.opts.bias_constraint.clone());
            self.bias = Some(bias.build()?);
        }
        self.base.input_spec = Some(vec![InputSpec::ndim(RANK + 2).with_axis(-1, c)]);
        Ok(())
    }

    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let api = Self::class();
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
        let pad = self.opts.validate_no_causal(api)?;
        let x = x.cast(dk.dtype())?;
        let shape: Shape = x.shape().iter().map(|&d| Some(d)).collect();
        self.opts.output_shape(api, &shape)?;
        let l = Lifted::new(&self.opts, &x)?;
        let pk = l.kernel(&pk)?;
        let y =
            (l.x.depthwise_conv2d(&l.kernel(&dk)?, l.strides, &pad, l.dilations))
                .and_then(|h| h.conv2d(&pk, [1, 1], &Padding::Valid, [1, 1], 1))
                .map_err(|e| Error::InvalidArgument {
                    api,
                    msg: e.to_string(),
                })?;
        Ok(vec![self.opts.finish(l.lower(&y)?, &self.bias)?])
    }

    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let s = input_shapes.first()?;
        Some(self.opts.output_shape(Self::class(), s).map(|o| vec![o]))
    }

    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        self.opts.config(&mut c);
        c.remove("groups");
        c.insert("depth_multiplier".into(), json!(self.depth_multiplier));
        rename_kernel_keys(&mut c, "kernel", "depthwise");
        c.insert(
            "pointwise_initializer".into(),
            self.pointwise_initializer.get_config(),
        );
        c.insert("pointwise_regularizer".into(), Value::Null);
        c.insert("pointwise_constraint".into(), Value::Null);
        let activity = self.base.activity_regularizer.as_ref();
        c.insert(
            "activity_regularizer".into(),
            activity.map_or(Value::Null, |r| r.get_config()),
        );
        Value::Object(c)
    }
}
