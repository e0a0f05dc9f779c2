//! `Conv1D`, `Conv2D` and `Conv3D`: one convolution generic over its spatial rank
//! (Keras's `BaseConv`), whose options live in [`ConvOptions`].

use kiln_tensor::ops::conv::Padding;
use kiln_tensor::{Tensor, Variable};
use serde_json::Value;

use super::base_conv::{conv_builders, ConvOptions};
use super::Ints;
use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

/// A convolution over `RANK` spatial axes of channels-last inputs
/// `(batch, spatial..., channels)` with a `(k..., channels / groups, filters)` kernel, then
/// bias and activation: [`Conv1D`], [`Conv2D`] and [`Conv3D`] are this type.
pub struct Conv<const RANK: usize> {
    base: LayerBase,
    pub(crate) opts: ConvOptions<RANK>,
    kernel: Option<Variable>,
    bias: Option<Variable>,
}

/// `keras.layers.Conv1D`: over `(batch, steps, channels)` with a `(k, channels / groups,
/// filters)` kernel; `padding` may also be `"causal"`.
///
/// ```
/// use kiln::layers::{Conv1D, LayerRef};
/// use kiln_tensor::{DType, Tensor};
/// let conv = LayerRef::new(Conv1D::new(8, 3).padding("causal").activation("relu"));
/// let y = conv.call(&Tensor::ones(&[2, 5, 3], DType::F32))?;
/// assert_eq!(y.shape(), &[2, 5, 8]);
/// assert_eq!(conv.weights()[0].value().shape(), &[3, 3, 8]);
/// // A 4-D input is a rank mismatch: an error naming the layer and the shape.
/// let e = LayerRef::new(Conv1D::new(8, 3)).call(&Tensor::ones(&[2, 5, 5, 3], DType::F32));
/// assert!(e.unwrap_err().to_string().contains("Conv1D"));
/// # Ok::<(), kiln::Error>(())
/// ```
pub type Conv1D = Conv<1>;

/// `keras.layers.Conv2D`: over `(batch, height, width, channels)` with a `(kh, kw,
/// channels / groups, filters)` kernel.
///
/// ```
/// use kiln::layers::{Conv2D, LayerRef};
/// use kiln_tensor::{DType, Tensor};
/// let conv = LayerRef::new(Conv2D::new(8, 3).padding("same").activation("relu"));
/// let y = conv.call(&Tensor::ones(&[2, 5, 5, 3], DType::F32))?;
/// assert_eq!(y.shape(), &[2, 5, 5, 8]);
/// assert_eq!(conv.weights()[0].value().shape(), &[3, 3, 3, 8]);
/// // A 3-D input is a rank mismatch: an error naming the layer and the shape.
/// let e = LayerRef::new(Conv2D::new(8, 3)).call(&Tensor::ones(&[2, 5, 3], DType::F32));
/// assert!(e.unwrap_err().to_string().contains("Conv2D"));
/// # Ok::<(), kiln::Error>(())
/// ```
pub type Conv2D = Conv<2>;

/// `keras.layers.Conv3D`: over `(batch, depth, height, width, channels)` with a `(kd, kh,
/// kw, channels / groups, filters)` kernel.
///
/// ```
/// use kiln::layers::{Conv3D, LayerRef};
/// use kiln_tensor::{DType, Tensor};
/// let conv = LayerRef::new(Conv3D::new(8, 2).padding("same").activation("relu"));
/// let y = conv.call(&Tensor::ones(&[2, 4, 5, 5, 2], DType::F32))?;
/// assert_eq!(y.shape(), &[2, 4, 5, 5, 8]);
/// assert_eq!(conv.weights()[0].value().shape(), &[2, 2, 2, 2, 8]);
/// // A 4-D input is a rank mismatch: an error naming the layer and the shape.
/// let e = LayerRef::new(Conv3D::new(8, 2)).call(&Tensor::ones(&[2, 5, 5, 2], DType::F32));
/// assert!(e.unwrap_err().to_string().contains("Conv3D"));
/// # Ok::<(), kiln::Error>(())
/// ```
pub type Conv3D = Conv<3>;

/// Keras's class names, by rank.
const CLASS: [&str; 3] = ["Conv1D", "Conv2D", "Conv3D"];

/// The first `M` entries of a per-axis option (`M == RANK` where it is used).
fn axes<const M: usize>(a: &[usize]) -> Result<[usize; M]> {
    a.try_into().map_err(|_| Error::InvalidArgument {
        api: "Conv",
        msg: format!("expected {M} per-axis values, got {a:?}"),
    })
}

impl<const RANK: usize> Conv<RANK> {
    /// `filters` output channels and a `kernel_size` window (an int, or one per axis).
    pub fn new(filters: usize, kernel_size: impl Into<Ints<RANK>>) -> Self {
        Self::with_options(ConvOptions::new(filters, kernel_size.into().0))
    }

    pub(crate) fn with_options(opts: ConvOptions<RANK>) -> Self {
        let prefix = crate::utils::to_snake_case(Self::class());
        Conv {
            base: LayerBase::new(&prefix),
            opts,
            kernel: None,
            bias: None,
        }
    }

    fn class() -> &'static str {
        CLASS.get(RANK.wrapping_sub(1)).copied().unwrap_or("Conv")
    }

    /// The convolution op of this rank.
    fn convolve(&self, x: &Tensor, k: &Tensor, pad: &Padding) -> Result<Tensor> {
        let (s, d, g) = (
            &self.opts.strides,
            &self.opts.dilation_rate,
            self.opts.groups,
        );
        Ok(match RANK {
            1 => x.conv1d(k, s[0], pad, d[0], g)?,
            2 => x.conv2d(k, axes(s)?, pad, axes(d)?, g)?,
            3 => x.conv3d(k, axes(s)?, pad, axes(d)?, g)?,
            _ => {
                return Err(Error::InvalidArgument {
                    api: "Conv",
                    msg: format!("convolutions have 1 to 3 spatial axes, not {RANK}"),
                })
            }
        })
    }
}

common_builders!([const R: usize] Conv<R>);
conv_builders!([const R: usize] Conv<R>, R);

layer_state!([const R: usize] Conv<R>, Self::class());

impl<const RANK: usize> Layer for Conv<RANK> {
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let api = Self::class();
        self.opts.validate(api)?;
        let shape = input_shapes.first().ok_or_else(|| Error::InvalidArgument {
            api,
            msg: "no input shape".into(),
        })?;
        let c = self.opts.input_channels(api, shape)?;
        self.opts.output_shape(api, shape)?;
        let (k, b) = self.opts.add_weights(&mut self.base, c)?;
        self.kernel = Some(k);
        self.bias = b;
        Ok(())
    }

    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let api = Self::class();
        let x = one_input(inputs, api)?;
        let kernel = self.kernel.as_ref().ok_or_else(|| Error::InvalidArgument {
            api,
            msg: "layer is not built".into(),
        })?;
        let pad = self.opts.validate(api)?;
        let k = kernel.value();
        let x = x.cast(k.dtype())?;
        let shape: Shape = x.shape().iter().map(|&d| Some(d)).collect();
        self.opts.output_shape(api, &shape)?;
        let y = self
            .convolve(&x, &k, &pad)
            .map_err(|e| Error::InvalidArgument {
                api,
                msg: e.to_string(),
            })?;
        Ok(vec![self.opts.finish(y, &self.bias)?])
    }

    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let s = input_shapes.first()?;
        Some(self.opts.output_shape(Self::class(), s).map(|o| vec![o]))
    }

    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        self.opts.config(&mut c);
        let activity = self.base.activity_regularizer.as_ref();
        c.insert(
            "activity_regularizer".into(),
            activity.map_or(Value::Null, |r| r.get_config()),
        );
        Value::Object(c)
    }
}
