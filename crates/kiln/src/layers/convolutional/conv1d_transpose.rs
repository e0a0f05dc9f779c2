//! `Conv1DTranspose`.

use kiln_tensor::ops::conv::Padding;
use kiln_tensor::{Tensor, Variable};
use serde_json::{json, Value};

use super::base_conv::{conv_builders, ConvOptions};
use super::Ints;
use crate::layers::fmt_shape;
use crate::layers::layer::{one_input, CallContext, InputSpec, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

/// `keras.layers.Conv1DTranspose`: the transpose (gradient) of a 1-D convolution over
/// `(batch, steps, channels)` inputs, kernel `(k, filters, channels)`, then bias and
/// activation. Output length as Keras's `deconv_output_length`: without `output_padding`,
/// `steps * stride + max(k - stride, 0)` for "valid" and `steps * stride` for "same"; with
/// it, `(steps - 1) * stride + k - 2 * pad + output_padding` (`pad = k / 2` for "same").
/// It runs as a 2-D transposed convolution over a unit height axis.
///
/// ```
/// use kiln::layers::{Conv1DTranspose, LayerRef};
/// use kiln_tensor::{DType, Tensor};
/// let l = LayerRef::new(Conv1DTranspose::new(4, 3).strides(2).padding("same"));
/// let y = l.call(&Tensor::ones(&[2, 5, 3], DType::F32))?;
/// assert_eq!(y.shape(), &[2, 10, 4]);
/// assert_eq!(l.weights()[0].value().shape(), &[3, 4, 3]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct Conv1DTranspose {
    base: LayerBase,
    pub(crate) opts: ConvOptions<1>,
    output_padding: Option<usize>,
    kernel: Option<Variable>,
    bias: Option<Variable>,
}

impl Conv1DTranspose {
    /// `filters` output channels, a `kernel_size` window.
    pub fn new(filters: usize, kernel_size: impl Into<Ints<1>>) -> Self {
        Self::with_options(ConvOptions::new(filters, kernel_size.into().0), None)
    }
    /// Extra steps at the end of the output (smaller than the stride).
    pub fn output_padding(mut self, p: usize) -> Self {
        self.output_padding = Some(p);
        self
    }
    pub(crate) fn with_options(opts: ConvOptions<1>, output_padding: Option<usize>) -> Self {
        Conv1DTranspose {
            base: LayerBase::new("conv1d_transpose"),
            opts,
            output_padding,
            kernel: None,
            bias: None,
        }
    }

    fn check(&self, api: &'static str) -> Result<Padding> {
        let pad = self.opts.validate(api)?;
        if pad == Padding::Causal {
            return Err(Error::InvalidArgument {
                api,
                msg: "padding must be \"valid\" or \"same\", got \"causal\"".into(),
            });
        }
        if self.opts.groups != 1 {
            return Err(Error::InvalidArgument {
                api,
                msg: format!(
                    "groups > 1 is not supported, got groups={}",
                    self.opts.groups
                ),
            });
        }
        if let Some(op) = self.output_padding
            && op >= self.opts.strides[0]
        {
            return Err(Error::InvalidArgument {
                api,
                msg: format!(
                    "output_padding ({op}) must be strictly less than strides ({})",
                    self.opts.strides[0]
                ),
            });
        }
        Ok(pad)
    }

    fn out_len(&self, n: usize) -> usize {
        deconv_len(
            n,
            self.opts.kernel_size[0],
            self.opts.strides[0],
            self.opts.dilation_rate[0],
            self.opts.padding.eq_ignore_ascii_case("same"),
            self.output_padding,
        )
    }

    fn output_shape(&self, api: &'static str, s: &Shape) -> Result<Shape> {
        if s.len() != 3 {
            return Err(Error::InvalidArgument {
                api,
                msg: format!(
                    "expected an input of rank 3 (batch, steps, channels), got shape {}",
                    fmt_shape(s)
                ),
            });
        }
        Ok(vec![
            s[0],
            s[1].map(|n| self.out_len(n)),
            Some(self.opts.filters),
        ])
    }
}

/// Keras's `deconv_output_length` for one axis (`k` before dilation).
pub(crate) fn deconv_len(
    n: usize,
    k: usize,
    s: usize,
    d: usize,
    same: bool,
    output_padding: Option<usize>,
) -> usize {
    let k = (k - 1) * d + 1;
    match output_padding {
        None if same => n * s,
        None => n * s + k.saturating_sub(s),
        Some(op) => {
            let pad = if same { k / 2 } else { 0 };
            ((n.max(1) - 1) * s + k + op).saturating_sub(2 * pad)
        }
    }
}

common_builders!(Conv1DTranspose);
conv_builders!(Conv1DTranspose, 1);
layer_state!(Conv1DTranspose, "Conv1DTranspose");

impl Layer for Conv1DTranspose {
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let api = "Conv1DTranspose";
        self.check(api)?;
        let shape = input_shapes.first().ok_or_else(|| Error::InvalidArgument {
            api,
            msg: "no input shape".into(),
        })?;
        let c = self.opts.input_channels(api, shape)?;
        self.kernel = Some(self.base.add_weight(
            "kernel",
            &[self.opts.kernel_size[0], self.opts.filters, c],
            &self.opts.kernel_initializer,
            true,
            self.opts.kernel_regularizer.clone(),
            self.opts.kernel_constraint.clone(),
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
        let api = "Conv1DTranspose";
        let x = one_input(inputs, api)?;
        let k = self
            .kernel
            .as_ref()
            .ok_or_else(|| Error::InvalidArgument {
                api,
                msg: "layer is not built".into(),
            })?
            .value();
        let pad = self.check(api)?;
        let x = if x.dtype() == k.dtype() {
            x.clone()
        } else {
            x.cast(k.dtype())?
        };
        let s = x.shape().to_vec();
        if s.len() != 3 {
            let shape: Shape = s.iter().map(|&d| Some(d)).collect();
            return Err(Error::InvalidArgument {
                api,
                msg: format!(
                    "expected an input of rank 3 (batch, steps, channels), got shape {}",
                    fmt_shape(&shape)
                ),
            });
        }
        let ow = self.out_len(s[1]);
        let ks = k.shape().to_vec();
        let wrap = |e: kiln_tensor::Error| Error::InvalidArgument {
            api,
            msg: e.to_string(),
        };
        let x4 = x.reshape(&[s[0] as isize, 1, s[1] as isize, s[2] as isize])?;
        let k4 = k.reshape(&[1, ks[0] as isize, ks[1] as isize, ks[2] as isize])?;
        let y = x4
            .conv2d_transpose(
                &k4,
                &[s[0], 1, ow, self.opts.filters],
                [1, self.opts.strides[0]],
                &pad,
                [1, self.opts.dilation_rate[0]],
            )
            .map_err(wrap)?
            .reshape(&[s[0] as isize, ow as isize, self.opts.filters as isize])?;
        Ok(vec![self.opts.finish(y, &self.bias)?])
    }

    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let s = input_shapes.first()?;
        Some(self.output_shape("Conv1DTranspose", s).map(|o| vec![o]))
    }

    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        self.opts.config(&mut c);
        c.remove("groups");
        c.insert(
            "output_padding".into(),
            match self.output_padding {
                Some(p) => json!([p]),
                None => Value::Null,
            },
        );
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
