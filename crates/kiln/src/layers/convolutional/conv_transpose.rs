//! `Conv1DTranspose` and `Conv2DTranspose`: one transposed convolution generic over its
//! spatial rank (the 1-D form runs as 2-D over a unit height axis).

use kiln_tensor::ops::conv::Padding;
use kiln_tensor::{Tensor, Variable};
use serde_json::{json, Value};

use super::base_conv::{conv_builders, ConvOptions, Lifted};
use super::Ints;
use crate::layers::fmt_shape;
use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

/// The transpose (gradient) of a convolution over channels-last inputs, kernel `(k...,
/// filters, channels)`, then bias and activation; [`Conv1DTranspose`] and
/// [`Conv2DTranspose`] are this type. Output lengths as Keras's `deconv_output_length`:
/// without `output_padding`, `n * stride + max(k - stride, 0)` for "valid" and
/// `n * stride` for "same"; with it, `(n - 1) * stride + k - 2 * pad + output_padding`
/// (`pad = k / 2` for "same").
pub struct ConvTranspose<const RANK: usize> {
    base: LayerBase,
    pub(crate) opts: ConvOptions<RANK>,
    output_padding: Option<[usize; RANK]>,
    kernel: Option<Variable>,
    bias: Option<Variable>,
}

/// `keras.layers.Conv1DTranspose` over `(batch, steps, channels)`.
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
pub type Conv1DTranspose = ConvTranspose<1>;

/// `keras.layers.Conv2DTranspose` over `(batch, height, width, channels)`.
///
/// ```
/// use kiln::layers::{Conv2DTranspose, LayerRef};
/// use kiln_tensor::{DType, Tensor};
/// let l = LayerRef::new(Conv2DTranspose::new(4, 3).strides(2).padding("same"));
/// let y = l.call(&Tensor::ones(&[2, 5, 5, 3], DType::F32))?;
/// assert_eq!(y.shape(), &[2, 10, 10, 4]);
/// assert_eq!(l.weights()[0].value().shape(), &[3, 3, 4, 3]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub type Conv2DTranspose = ConvTranspose<2>;

/// Keras's `deconv_output_length` for one axis (`k` before dilation).
fn deconv_len(n: usize, k: usize, s: usize, d: usize, same: bool, op: Option<usize>) -> usize {
    let k = (k - 1) * d + 1;
    match op {
        None if same => n * s,
        None => n * s + k.saturating_sub(s),
        Some(op) => {
            let pad = if same { k / 2 } else { 0 };
            ((n.max(1) - 1) * s + k + op).saturating_sub(2 * pad)
        }
    }
}

impl<const RANK: usize> ConvTranspose<RANK> {
    /// `filters` output channels, a `kernel_size` window (an int, or one per axis).
    pub fn new(filters: usize, kernel_size: impl Into<Ints<RANK>>) -> Self {
        Self::with_options(ConvOptions::new(filters, kernel_size.into().0), None)
    }
    /// Extra output steps at the end of each axis (each below its stride).
    pub fn output_padding(mut self, p: impl Into<Ints<RANK>>) -> Self {
        self.output_padding = Some(p.into().0);
        self
    }
    pub(crate) fn with_options(
        opts: ConvOptions<RANK>,
        output_padding: Option<[usize; RANK]>,
    ) -> Self {
        ConvTranspose {
            base: LayerBase::new(&crate::utils::to_snake_case(Self::class())),
            opts,
            output_padding,
            kernel: None,
            bias: None,
        }
    }
    fn class() -> &'static str {
        ["Conv1DTranspose", "Conv2DTranspose"]
            .get(RANK.wrapping_sub(1))
            .copied()
            .unwrap_or("ConvTranspose")
    }

    fn check(&self, api: &'static str) -> Result<Padding> {
        let pad = self.opts.validate_no_causal(api)?;
        if self.opts.groups != 1 {
            return Err(Error::InvalidArgument {
                api,
                msg: format!(
                    "groups > 1 is not supported, got groups={}",
                    self.opts.groups
                ),
            });
        }
        let strides = &self.opts.strides;
        if let Some(op) = self.output_padding
            && op.iter().zip(strides).any(|(&p, &s)| p > 0 && p >= s)
        {
            return Err(Error::InvalidArgument {
                api,
                msg: format!(
                    "output_padding {op:?} must be strictly less than strides {strides:?}"
                ),
            });
        }
        Ok(pad)
    }

    fn out_len(&self, axis: usize, n: usize) -> usize {
        let o = &self.opts;
        let same = o.padding.eq_ignore_ascii_case("same");
        let op = self.output_padding.map(|p| p[axis]);
        deconv_len(
            n,
            o.kernel_size[axis],
            o.strides[axis],
            o.dilation_rate[axis],
            same,
            op,
        )
    }

    fn output_shape(&self, api: &'static str, s: &Shape) -> Result<Shape> {
        if s.len() != RANK + 2 {
            return Err(Error::InvalidArgument {
                api,
                msg: format!(
                    "expected an input of rank {} (batch, {}channels), got shape {}",
                    RANK + 2,
                    "spatial, ".repeat(RANK),
                    fmt_shape(s)
                ),
            });
        }
        let mut out = vec![s[0]];
        out.extend((0..RANK).map(|a| s[a + 1].map(|n| self.out_len(a, n))));
        out.push(Some(self.opts.filters));
        Ok(out)
    }
}

common_builders!([const R: usize] ConvTranspose<R>);
conv_builders!([const R: usize] ConvTranspose<R>, R);

layer_state!([const R: usize] ConvTranspose<R>, Self::class());

impl<const RANK: usize> Layer for ConvTranspose<RANK> {
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let api = Self::class();
        self.check(api)?;
        let shape = input_shapes.first().ok_or_else(|| Error::InvalidArgument {
            api,
            msg: "no input shape".into(),
        })?;
        let c = self.opts.input_channels(api, shape)?;
        let mut dims = self.opts.kernel_size.to_vec();
        dims.extend([self.opts.filters, c]);
        let (k, b) =
            (self.opts).add_kernel_and_bias(&mut self.base, &dims, self.opts.filters, c)?;
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
        let pad = self.check(api)?;
        let x = x.cast(k.dtype())?;
        let shape: Shape = x.shape().iter().map(|&d| Some(d)).collect();
        let out = self.output_shape(api, &shape)?;
        let l = Lifted::new(&self.opts, &x)?;
        let mut out2: Vec<usize> = out.iter().map(|d| d.unwrap_or(0)).collect();
        if RANK == 1 {
            out2.insert(1, 1);
        }
        let y = (l
            .x
            .conv2d_transpose(&l.kernel(&k)?, &out2, l.strides, &pad, l.dilations))
        .map_err(|e| Error::InvalidArgument {
            api,
            msg: e.to_string(),
        })?;
        Ok(vec![self.opts.finish(l.lower(&y)?, &self.bias)?])
    }

    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let s = input_shapes.first()?;
        Some(self.output_shape(Self::class(), s).map(|o| vec![o]))
    }

    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        self.opts.config(&mut c);
        c.remove("groups");
        let op = self
            .output_padding
            .map_or(Value::Null, |p| json!(p.to_vec()));
        c.insert("output_padding".into(), op);
        let activity = self.base.activity_regularizer.as_ref();
        c.insert(
            "activity_regularizer".into(),
            activity.map_or(Value::Null, |r| r.get_config()),
        );
        Value::Object(c)
    }
}
