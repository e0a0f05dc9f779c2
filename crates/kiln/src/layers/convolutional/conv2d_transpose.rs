//! `Conv2DTranspose`.

use kiln_tensor::{Tensor, Variable};
use serde_json::{json, Value};

use super::base_conv::ConvOptions;
use super::Ints;
use crate::layers::layer::{one_input, CallContext, InputSpec, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

/// `keras.layers.Conv2DTranspose`: the transpose (gradient) of a 2-D convolution, kernel
/// `(kh, kw, filters, channels)`. Output size per axis (Keras's `deconv_output_length`):
/// without `output_padding`, `in * stride + max(k - stride, 0)` for "valid" and
/// `in * stride` for "same"; with it, `(in - 1) * stride + k - 2 * pad + output_padding`
/// (`pad = k / 2` for "same", 0 for "valid"), `k` the dilated kernel size.
///
/// ```
/// use kiln::layers::{Conv2DTranspose, LayerRef};
/// use kiln_tensor::{DType, Tensor};
/// let l = LayerRef::new(Conv2DTranspose::new(32, 3).strides(2).padding("same"));
/// let y = l.call(&Tensor::ones(&[1, 28, 28, 1], DType::F32))?;
/// assert_eq!(y.shape(), &[1, 56, 56, 32]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct Conv2DTranspose {
    base: LayerBase,
    pub(crate) opts: ConvOptions<2>,
    output_padding: Option<[usize; 2]>,
    kernel: Option<Variable>,
    bias: Option<Variable>,
}

impl Conv2DTranspose {
    /// `filters` output channels, `kernel_size` window.
    pub fn new(filters: usize, kernel_size: impl Into<Ints<2>>) -> Self {
        Conv2DTranspose {
            base: LayerBase::new("conv2d_transpose"),
            opts: ConvOptions::new(filters, kernel_size.into().0),
            output_padding: None,
            kernel: None,
            bias: None,
        }
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
    /// Extra rows/columns on the bottom/right of the output (each < its stride).
    pub fn output_padding(mut self, p: impl Into<Ints<2>>) -> Self {
        self.output_padding = Some(p.into().0);
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
    /// Kernel initializer (default glorot_uniform).
    pub fn kernel_initializer(mut self, init: impl Into<crate::initializers::Initializer>) -> Self {
        self.opts.kernel_initializer = init.into();
        self
    }
    pub(crate) fn with_options(opts: ConvOptions<2>, output_padding: Option<[usize; 2]>) -> Self {
        Conv2DTranspose {
            base: LayerBase::new("conv2d_transpose"),
            opts,
            output_padding,
            kernel: None,
            bias: None,
        }
    }

    fn out_len(&self, axis: usize, n: usize) -> usize {
        let k = (self.opts.kernel_size[axis] - 1) * self.opts.dilation_rate[axis] + 1;
        let s = self.opts.strides[axis];
        let same = self.opts.padding.eq_ignore_ascii_case("same");
        match self.output_padding {
            None => {
                if same {
                    n * s
                } else {
                    n * s + k.saturating_sub(s)
                }
            }
            Some(op) => {
                let pad = if same { k / 2 } else { 0 };
                ((n.max(1) - 1) * s + k + op[axis]).saturating_sub(2 * pad)
            }
        }
    }

    fn output_shape(&self, api: &'static str, s: &Shape) -> Result<Shape> {
        if s.len() != 4 {
            return Err(Error::InvalidArgument {
                api,
                msg: format!(
                    "expected an input of rank 4, got shape {}",
                    crate::layers::fmt_shape(s)
                ),
            });
        }
        Ok(vec![
            s[0],
            s[1].map(|n| self.out_len(0, n)),
            s[2].map(|n| self.out_len(1, n)),
            Some(self.opts.filters),
        ])
    }
}

common_builders!(Conv2DTranspose);
layer_state!(Conv2DTranspose, "Conv2DTranspose");

impl Layer for Conv2DTranspose {
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let api = "Conv2DTranspose";
        self.opts.validate(api)?;
        if self.opts.groups != 1 {
            return Err(Error::InvalidArgument {
                api,
                msg: "groups > 1 is not supported".into(),
            });
        }
        if let Some(op) = self.output_padding {
            for a in 0..2 {
                if op[a] >= self.opts.strides[a] && op[a] > 0 {
                    return Err(Error::InvalidArgument {
                        api,
                        msg: format!(
                            "output_padding {:?} must be smaller than strides {:?}",
                            op, self.opts.strides
                        ),
                    });
                }
            }
        }
        let shape = input_shapes.first().ok_or_else(|| Error::InvalidArgument {
            api,
            msg: "no input shape".into(),
        })?;
        let c = self.opts.input_channels(api, shape)?;
        let ks = self.opts.kernel_size;
        self.kernel = Some(self.base.add_weight(
            "kernel",
            &[ks[0], ks[1], self.opts.filters, c],
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
        self.base.input_spec = Some(vec![InputSpec::ndim(4).with_axis(-1, c)]);
        Ok(())
    }

    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let api = "Conv2DTranspose";
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
        let s = x.shape();
        if s.len() != 4 {
            return Err(Error::InvalidArgument {
                api,
                msg: format!("expected an input of rank 4, got shape {s:?}"),
            });
        }
        let out = [
            s[0],
            self.out_len(0, s[1]),
            self.out_len(1, s[2]),
            self.opts.filters,
        ];
        let y = x
            .conv2d_transpose(&k, &out, self.opts.strides, &pad, self.opts.dilation_rate)
            .map_err(|e| Error::InvalidArgument {
                api,
                msg: e.to_string(),
            })?;
        Ok(vec![self.opts.finish(y, &self.bias)?])
    }

    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let s = input_shapes.first()?;
        Some(self.output_shape("Conv2DTranspose", s).map(|o| vec![o]))
    }

    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        self.opts.config(&mut c);
        c.remove("groups");
        c.insert(
            "output_padding".into(),
            match self.output_padding {
                Some(p) => json!(p.to_vec()),
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
