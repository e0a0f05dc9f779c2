//! `Conv3D`.

use kiln_tensor::{Tensor, Variable};
use serde_json::Value;

use super::base_conv::{conv_builders, ConvOptions};
use super::Ints;
use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

/// `keras.layers.Conv3D`: 3-D convolution over `(batch, depth, height, width, channels)`
/// inputs with a `(kd, kh, kw, channels / groups, filters)` kernel, then bias and
/// activation (strides, "valid"/"same" padding, dilation, groups).
///
/// ```
/// use kiln::layers::{Conv3D, LayerRef};
/// use kiln_tensor::{DType, Tensor};
/// let conv = LayerRef::new(Conv3D::new(8, 3).padding("same").activation("relu"));
/// let y = conv.call(&Tensor::ones(&[2, 4, 5, 5, 3], DType::F32))?;
/// assert_eq!(y.shape(), &[2, 4, 5, 5, 8]);
/// assert_eq!(conv.weights()[0].value().shape(), &[3, 3, 3, 3, 8]);
/// // A 4-D input is a rank mismatch: an error naming the layer and the shape.
/// let e = LayerRef::new(Conv3D::new(8, 3)).call(&Tensor::ones(&[2, 5, 5, 3], DType::F32));
/// assert!(e.unwrap_err().to_string().contains("Conv3D"));
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct Conv3D {
    base: LayerBase,
    pub(crate) opts: ConvOptions<3>,
    kernel: Option<Variable>,
    bias: Option<Variable>,
}

impl Conv3D {
    /// `filters` output channels and a `kernel_size` window (an int or `[kd, kh, kw]`).
    pub fn new(filters: usize, kernel_size: impl Into<Ints<3>>) -> Conv3D {
        Conv3D {
            base: LayerBase::new("conv3d"),
            opts: ConvOptions::new(filters, kernel_size.into().0),
            kernel: None,
            bias: None,
        }
    }
    pub(crate) fn with_options(opts: ConvOptions<3>) -> Conv3D {
        Conv3D {
            base: LayerBase::new("conv3d"),
            opts,
            kernel: None,
            bias: None,
        }
    }
}

common_builders!(Conv3D);
conv_builders!(Conv3D, 3);
layer_state!(Conv3D, "Conv3D");

impl Layer for Conv3D {
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let api = "Conv3D";
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
        let api = "Conv3D";
        let x = one_input(inputs, api)?;
        let kernel = self.kernel.as_ref().ok_or_else(|| Error::InvalidArgument {
            api,
            msg: "layer is not built".into(),
        })?;
        let pad = self.opts.validate(api)?;
        let k = kernel.value();
        let x = if x.dtype() == k.dtype() {
            x.clone()
        } else {
            x.cast(k.dtype())?
        };
        let shape: Shape = x.shape().iter().map(|&d| Some(d)).collect();
        self.opts.output_shape(api, &shape)?;
        let y = x
            .conv3d(
                &k,
                self.opts.strides,
                &pad,
                self.opts.dilation_rate,
                self.opts.groups,
            )
            .map_err(|e| Error::InvalidArgument {
                api,
                msg: e.to_string(),
            })?;
        Ok(vec![self.opts.finish(y, &self.bias)?])
    }

    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let s = input_shapes.first()?;
        Some(self.opts.output_shape("Conv3D", s).map(|o| vec![o]))
    }

    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        self.opts.config(&mut c);
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
