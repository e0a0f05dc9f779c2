//! Convolutions in Keras / TF layouts: `conv1d` (NWC), `conv2d` (NHWC, grouped),
//! `depthwise_conv2d`, `conv2d_transpose`, and `extract_patches`, with gradients.
//!
//! Every op here reduces to three linear kernels closed under differentiation: the
//! forward convolution, its input gradient and its kernel gradient (each one's gradients
//! are the other two), so nested tapes give second derivatives.

use crate::cpu::conv::{self as k, ConvFloat, Geom};
use crate::ops::{needs_grad, record};
use crate::shape::fmt_shape;
use crate::{DType, Error, Result, Tensor};

/// How a sliding window treats the borders, as Keras's `padding=` argument.
///
/// ```
/// use kiln_tensor::ops::conv::Padding;
/// assert_eq!(Padding::parse("same").unwrap(), Padding::Same);
/// assert_eq!(Padding::parse("VALID").unwrap(), Padding::Valid);
/// assert!(Padding::parse("full").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Padding {
    /// No padding: windows stay inside the input.
    Valid,
    /// Output size `ceil(in / stride)`; the total padding is split with the extra element
    /// at the end (bottom / right), as TF.
    Same,
    /// 1-D only: pad `(k - 1) * dilation` on the left, so output `t` sees inputs `<= t`.
    Causal,
    /// Explicit `(before, after)` padding per spatial dimension (`[(top, bottom), (left,
    /// right)]` for 2-D ops, one pair for 1-D ops).
    Explicit(Vec<(usize, usize)>),
}

impl Padding {
    /// Parses a Keras padding name (`"valid"`, `"same"`, `"causal"`), case-insensitively.
    ///
    /// ```
    /// use kiln_tensor::ops::conv::Padding;
    /// assert_eq!(Padding::parse("Causal").unwrap(), Padding::Causal);
    /// let err = Padding::parse("full").unwrap_err();
    /// assert!(err.to_string().contains("full"));
    /// ```
    pub fn parse(name: &str) -> Result<Padding> {
        match name.to_ascii_lowercase().as_str() {
            "valid" => Ok(Padding::Valid),
            "same" => Ok(Padding::Same),
            "causal" => Ok(Padding::Causal),
            _ => Err(Error::arg(
                "padding",
                format!("unknown padding {name:?}; expected \"valid\", \"same\" or \"causal\""),
            )),
        }
    }
}

impl std::str::FromStr for Padding {
    type Err = Error;
    fn from_str(s: &str) -> Result<Padding> {
        Padding::parse(s)
    }
}

// ----- geometry -------------------------------------------------------------------------

/// Resolves padding along one axis: `(pad before, output size)`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn resolve_axis(
    op: &'static str,
    padding: &Padding,
    axis: usize,
    size: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
    input_shape: &[usize],
) -> Result<(usize, usize)> {
    let eff = (kernel - 1) * dilation + 1;
    let (before, padded) = match padding {
        Padding::Valid => (0, size),
        Padding::Same => {
            let out = size.div_ceil(stride);
            let total = ((out.max(1) - 1) * stride + eff).saturating_sub(size);
            return Ok((total / 2, out));
        }
        Padding::Causal => {
            return Err(Error::arg(
                op,
                "causal padding is only defined for 1-D ops (conv1d)",
            ));
        }
        Padding::Explicit(p) => {
            let (a, b) = p[axis];
            (a, size + a + b)
        }
    };
    if padded < eff {
        return Err(Error::shape(
            op,
            format!(
                "input shape {} is too small for a window of {} (kernel {} with dilation {}) along spatial axis {} with padding {:?}",
                fmt_shape(input_shape),
                eff,
                kernel,
                dilation,
                axis,
                padding
            ),
        ));
    }
    Ok((before, (padded - eff) / stride + 1))
}

/// Builds the geometry of a 2-D sliding window after validating its arguments.
#[allow(clippy::too_many_arguments)]
pub(crate) fn window_geom(
    op: &'static str,
    x_shape: &[usize],
    kernel_hw: [usize; 2],
    cout: usize,
    groups: usize,
    strides: [usize; 2],
    padding: &Padding,
    dilations: [usize; 2],
) -> Result<Geom> {
    if strides.contains(&0) {
        return Err(Error::arg(
            op,
            format!("strides must be positive, got {strides:?}"),
        ));
    }
    if dilations.contains(&0) {
        return Err(Error::arg(
            op,
            format!("dilations must be positive, got {dilations:?}"),
        ));
    }
    if kernel_hw.contains(&0) {
        return Err(Error::arg(
            op,
            format!("window size must be positive, got {kernel_hw:?}"),
        ));
    }
    if let Padding::Explicit(p) = padding
        && p.len() != 2
    {
        return Err(Error::arg(
            op,
            format!("explicit padding needs 2 (before, after) pairs, got {p:?}"),
        ));
    }
    let (n, h, w, c) = (x_shape[0], x_shape[1], x_shape[2], x_shape[3]);
    let (pt, oh) = resolve_axis(
        op,
        padding,
        0,
        h,
        kernel_hw[0],
        strides[0],
        dilations[0],
        x_shape,
    )?;
    let (pl, ow) = resolve_axis(
        op,
        padding,
        1,
        w,
        kernel_hw[1],
        strides[1],
        dilations[1],
        x_shape,
    )?;
    Ok(Geom {
        n,
        h,
        w,
        c,
        kh: kernel_hw[0],
        kw: kernel_hw[1],
        cout,
        groups,
        sh: strides[0],
        sw: strides[1],
        dh: dilations[0],
        dw: dilations[1],
        pt,
        pl,
        oh,
        ow,
    })
}

pub(crate) fn check_rank(
    op: &'static str,
    what: &str,
    t: &[usize],
    rank: usize,
    layout: &str,
) -> Result<()> {
    if t.len() != rank {
        return Err(Error::shape(
            op,
            format!(
                "expected a {rank}-D {what} {layout}, got shape {}",
                fmt_shape(t)
            ),
        ));
    }
    Ok(())
}

/// Checks that `groups` divides the channels and that the kernel's in-channels
/// (second-to-last dim) times `groups` equal the input's channels (last dim).
pub(crate) fn check_channels(
    op: &'static str,
    x: &[usize],
    kernel: &[usize],
    groups: usize,
) -> Result<()> {
    let c = x[x.len() - 1];
    let (kin, cout) = (kernel[kernel.len() - 2], kernel[kernel.len() - 1]);
    if groups == 0 || !c.is_multiple_of(groups) || !cout.is_multiple_of(groups) {
        return Err(Error::arg(
            op,
            format!(
                "groups={groups} must be positive and divide the input channels {c} (input shape {}) and the output channels {cout} (kernel shape {})",
                fmt_shape(x),
                fmt_shape(kernel)
            ),
        ));
    }
    if kin * groups != c {
        return Err(Error::shape(
            op,
            format!(
                "input shape {} has {c} channels but kernel shape {} expects {} input channels (kernel in-channels {kin} x groups {groups})",
                fmt_shape(x),
                fmt_shape(kernel),
                kin * groups
            ),
        ));
    }
    Ok(())
}

/// Validates a conv2d call on shapes: input `(n, h, w, c)`, kernel `(kh, kw, c/groups, out)`.
#[allow(clippy::too_many_arguments)]
fn conv_geom(
    op: &'static str,
    x: &[usize],
    kernel: &[usize],
    strides: [usize; 2],
    padding: &Padding,
    dilations: [usize; 2],
    groups: usize,
) -> Result<Geom> {
    check_rank(op, "input", x, 4, "(batch, height, width, channels)")?;
    check_rank(
        op,
        "kernel",
        kernel,
        4,
        "(kh, kw, in_channels/groups, out_channels)",
    )?;
    check_channels(op, x, kernel, groups)?;
    window_geom(
        op,
        x,
        [kernel[0], kernel[1]],
        kernel[3],
        groups,
        strides,
        padding,
        dilations,
    )
}

/// Turns a 1-D padding into the 2-D padding of the `(n, 1, w, c)` view.
pub(crate) fn padding_1d(
    op: &'static str,
    padding: &Padding,
    kernel: usize,
    dilation: usize,
) -> Result<Padding> {
    Ok(match padding {
        Padding::Valid => Padding::Valid,
        Padding::Same => Padding::Same,
        Padding::Causal => Padding::Explicit(vec![(0, 0), ((kernel.max(1) - 1) * dilation, 0)]),
        Padding::Explicit(p) => {
            if p.len() != 1 {
                return Err(Error::arg(
                    op,
                    format!(
                        "explicit padding of a 1-D op needs one (before, after) pair, got {p:?}"
                    ),
                ));
            }
            Padding::Explicit(vec![(0, 0), p[0]])
        }
    })
}

// ----- dtype dispatch -----------------------------------------------------------------------

/// A kernel over float slices of the op's inputs.
pub(crate) trait Kern {
    fn run<T: ConvFloat>(&self, ins: &[&[T]]) -> Vec<T>;
}

/// Runs `kern` on `inputs` (same float dtype; f16/bf16 computed in f32) into `shape`.
pub(crate) fn compute(
    op: &'static str,
    inputs: &[&Tensor],
    shape: Vec<usize>,
    kern: impl Kern,
) -> Result<Tensor> {
    let dt = inputs[0].dtype();
    for t in &inputs[1..] {
        crate::ops::same_dtype(op, inputs[0], t)?;
    }
    if dt.is_float()
        && let Some(m) = crate::meta::rule(inputs, &shape, dt)
    {
        return Ok(m);
    }
    match dt {
        DType::F32 => {
            let data: Vec<_> = inputs.iter().map(|t| t.data::<f32>()).collect();
            let refs: Vec<&[f32]> = data.iter().map(|d| &d[..]).collect();
            Ok(Tensor::from_vec_unchecked(kern.run::<f32>(&refs), shape))
        }
        DType::F64 => {
            let data: Vec<_> = inputs.iter().map(|t| t.data::<f64>()).collect();
            let refs: Vec<&[f64]> = data.iter().map(|d| &d[..]).collect();
            Ok(Tensor::from_vec_unchecked(kern.run::<f64>(&refs), shape))
        }
        DType::F16 | DType::BF16 => {
            let up: Vec<Tensor> = inputs
                .iter()
                .map(|t| t.cast_unrecorded(DType::F32))
                .collect();
            let data: Vec<_> = up.iter().map(|t| t.data::<f32>()).collect();
            let refs: Vec<&[f32]> = data.iter().map(|d| &d[..]).collect();
            Ok(Tensor::from_vec_unchecked(kern.run::<f32>(&refs), shape).cast_unrecorded(dt))
        }
        other => Err(Error::dtype(
            op,
            format!(
                "expected float tensors (float16/bfloat16/float32/float64), got {} (shape {})",
                other.name(),
                fmt_shape(inputs[0].shape())
            ),
        )),
    }
}

struct ConvFwd(Geom);
impl Kern for ConvFwd {
    fn run<T: ConvFloat>(&self, ins: &[&[T]]) -> Vec<T> {
        k::conv_forward(ins[0], ins[1], &self.0)
    }
}
struct ConvBwdInput(Geom);
impl Kern for ConvBwdInput {
    fn run<T: ConvFloat>(&self, ins: &[&[T]]) -> Vec<T> {
        k::conv_backward_input(ins[0], ins[1], &self.0)
    }
}
struct ConvBwdFilter(Geom);
impl Kern for ConvBwdFilter {
    fn run<T: ConvFloat>(&self, ins: &[&[T]]) -> Vec<T> {
        k::conv_backward_filter(ins[0], ins[1], &self.0)
    }
}
struct Patches(Geom);
impl Kern for Patches {
    fn run<T: ConvFloat>(&self, ins: &[&[T]]) -> Vec<T> {
        k::extract_patches(ins[0], &self.0)
    }
}
struct PatchesGrad(Geom);
impl Kern for PatchesGrad {
    fn run<T: ConvFloat>(&self, ins: &[&[T]]) -> Vec<T> {
        k::extract_patches_grad(ins[0], &self.0)
    }
}

// ----- the three linear conv ops ----------------------------------------------------------

fn kernel_shape(g: &Geom) -> Vec<usize> {
    vec![g.kh, g.kw, g.cin_g(), g.cout]
}

/// `y = conv(x, w)`.
pub(crate) fn conv_fwd_op(x: &Tensor, w: &Tensor, g: Geom) -> Result<Tensor> {
    let out = compute("conv2d", &[x, w], vec![g.n, g.oh, g.ow, g.cout], ConvFwd(g))?;
    let (nx, nw) = (needs_grad(&[x]), needs_grad(&[w]));
    let (xc, wc) = (x.clone(), w.clone());
    Ok(record(
        || g.op("conv2d"),
        &[x, w],
        out,
        move |dy| {
            Ok(vec![
                if nx {
                    Some(conv_bwd_input_op(dy, &wc, g)?)
                } else {
                    None
                },
                if nw {
                    Some(conv_bwd_filter_op(&xc, dy, g)?)
                } else {
                    None
                },
            ])
        },
    ))
}

/// `dx = convᵀ(dy, w)`, the input gradient (a transposed convolution).
pub(crate) fn conv_bwd_input_op(dy: &Tensor, w: &Tensor, g: Geom) -> Result<Tensor> {
    let out = compute(
        "conv2d_backprop_input",
        &[dy, w],
        vec![g.n, g.h, g.w, g.c],
        ConvBwdInput(g),
    )?;
    let (nd, nw) = (needs_grad(&[dy]), needs_grad(&[w]));
    let (dyc, wc) = (dy.clone(), w.clone());
    Ok(record(
        || g.op("conv2d_backprop_input"),
        &[dy, w],
        out,
        move |gr| {
            Ok(vec![
                if nd {
                    Some(conv_fwd_op(gr, &wc, g)?)
                } else {
                    None
                },
                if nw {
                    Some(conv_bwd_filter_op(gr, &dyc, g)?)
                } else {
                    None
                },
            ])
        },
    ))
}

/// `dw = im2col(x)ᵀ · dy`, the kernel gradient.
pub(crate) fn conv_bwd_filter_op(x: &Tensor, dy: &Tensor, g: Geom) -> Result<Tensor> {
    let out = compute(
        "conv2d_backprop_filter",
        &[x, dy],
        kernel_shape(&g),
        ConvBwdFilter(g),
    )?;
    let (nx, nd) = (needs_grad(&[x]), needs_grad(&[dy]));
    let (xc, dyc) = (x.clone(), dy.clone());
    Ok(record(
        || g.op("conv2d_backprop_filter"),
        &[x, dy],
        out,
        move |gr| {
            Ok(vec![
                if nx {
                    Some(conv_bwd_input_op(&dyc, gr, g)?)
                } else {
                    None
                },
                if nd {
                    Some(conv_fwd_op(&xc, gr, g)?)
                } else {
                    None
                },
            ])
        },
    ))
}

pub(crate) fn patches_op(x: &Tensor, g: Geom) -> Result<Tensor> {
    let out = compute(
        "extract_patches",
        &[x],
        vec![g.n, g.oh, g.ow, g.kh * g.kw * g.c],
        Patches(g),
    )?;
    Ok(record(
        || g.op("extract_patches"),
        &[x],
        out,
        move |gr| Ok(vec![Some(patches_grad_op(gr, g)?)]),
    ))
}

pub(crate) fn patches_grad_op(dy: &Tensor, g: Geom) -> Result<Tensor> {
    let out = compute(
        "extract_patches_grad",
        &[dy],
        vec![g.n, g.h, g.w, g.c],
        PatchesGrad(g),
    )?;
    Ok(record(
        || g.op("extract_patches_grad"),
        &[dy],
        out,
        move |gr| Ok(vec![Some(patches_op(gr, g)?)]),
    ))
}

fn to_isize(s: &[usize]) -> Vec<isize> {
    s.iter().map(|&d| d as isize).collect()
}

// ----- public ops -------------------------------------------------------------------------

impl Tensor {
    /// 2-D convolution (`tf.nn.conv2d`, Keras `Conv2D`): input `(batch, h, w, c)` (NHWC),
    /// kernel `(kh, kw, c / groups, out)`, output `(batch, oh, ow, out)`. With `groups > 1`
    /// input and output channels are split into `groups` independent convolutions.
    ///
    /// ```
    /// use kiln_tensor::{ops::conv::Padding, Tensor};
    /// let x = Tensor::ones(&[1, 4, 4, 2], kiln_tensor::DType::F32);
    /// let k = Tensor::ones(&[3, 3, 2, 5], kiln_tensor::DType::F32);
    /// let y = x.conv2d(&k, [1, 1], &Padding::Same, [1, 1], 1).unwrap();
    /// assert_eq!(y.shape(), &[1, 4, 4, 5]);
    /// assert_eq!(y.to_vec::<f32>().unwrap()[0], 8.0); // corner: 2x2 taps x 2 channels
    /// let bad = Tensor::ones(&[3, 3, 3, 5], kiln_tensor::DType::F32);
    /// assert!(x.conv2d(&bad, [1, 1], &Padding::Same, [1, 1], 1).is_err());
    /// ```
    pub fn conv2d(
        &self,
        kernel: &Tensor,
        strides: [usize; 2],
        padding: &Padding,
        dilations: [usize; 2],
        groups: usize,
    ) -> Result<Tensor> {
        let g = conv_geom(
            "conv2d",
            self.shape(),
            kernel.shape(),
            strides,
            padding,
            dilations,
            groups,
        )?;
        conv_fwd_op(self, kernel, g)
    }

    /// 1-D convolution (`tf.nn.conv1d`, Keras `Conv1D`): input `(batch, w, c)` (NWC),
    /// kernel `(k, c / groups, out)`, output `(batch, ow, out)`. Supports
    /// [`Padding::Causal`].
    ///
    /// ```
    /// use kiln_tensor::{ops::conv::Padding, Tensor};
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[1, 3, 1]).unwrap();
    /// let k = Tensor::from_vec(vec![1.0f32, 10.0], &[2, 1, 1]).unwrap();
    /// let y = x.conv1d(&k, 1, &Padding::Causal, 1, 1).unwrap();
    /// assert_eq!(y.to_vec::<f32>().unwrap(), vec![10.0, 21.0, 32.0]);
    /// ```
    pub fn conv1d(
        &self,
        kernel: &Tensor,
        stride: usize,
        padding: &Padding,
        dilation: usize,
        groups: usize,
    ) -> Result<Tensor> {
        let op = "conv1d";
        check_rank(op, "input", self.shape(), 3, "(batch, width, channels)")?;
        check_rank(
            op,
            "kernel",
            kernel.shape(),
            3,
            "(k, in_channels/groups, out_channels)",
        )?;
        let (n, w, c) = (self.shape()[0], self.shape()[1], self.shape()[2]);
        let ks = kernel.shape().to_vec();
        let pad = padding_1d(op, padding, ks[0], dilation)?;
        let x4 = [n, 1, w, c];
        let k4 = [1, ks[0], ks[1], ks[2]];
        check_channels(op, self.shape(), &ks, groups)?;
        let g = conv_geom(op, &x4, &k4, [1, stride], &pad, [1, dilation], groups)?;
        let y = conv_fwd_op(
            &self.reshape(&to_isize(&x4))?,
            &kernel.reshape(&to_isize(&k4))?,
            g,
        )?;
        y.reshape(&[n as isize, g.ow as isize, g.cout as isize])
    }

    /// Depthwise 2-D convolution (`tf.nn.depthwise_conv2d`, Keras `DepthwiseConv2D`):
    /// input `(batch, h, w, c)`, kernel `(kh, kw, c, multiplier)`, output channel
    /// `ch * multiplier + m` filters input channel `ch` only.
    ///
    /// ```
    /// use kiln_tensor::{ops::conv::Padding, Tensor};
    /// let x = Tensor::from_vec(vec![1.0f32, 10.0], &[1, 1, 1, 2]).unwrap();
    /// let k = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[1, 1, 2, 2]).unwrap();
    /// let y = x.depthwise_conv2d(&k, [1, 1], &Padding::Valid, [1, 1]).unwrap();
    /// assert_eq!(y.to_vec::<f32>().unwrap(), vec![1.0, 2.0, 30.0, 40.0]);
    /// ```
    pub fn depthwise_conv2d(
        &self,
        kernel: &Tensor,
        strides: [usize; 2],
        padding: &Padding,
        dilations: [usize; 2],
    ) -> Result<Tensor> {
        let op = "depthwise_conv2d";
        check_rank(
            op,
            "input",
            self.shape(),
            4,
            "(batch, height, width, channels)",
        )?;
        check_rank(
            op,
            "kernel",
            kernel.shape(),
            4,
            "(kh, kw, in_channels, multiplier)",
        )?;
        let c = self.shape()[3];
        let ks = kernel.shape();
        if ks[2] != c {
            return Err(Error::shape(
                op,
                format!(
                    "input shape {} has {c} channels but kernel shape {} expects {} input channels",
                    fmt_shape(self.shape()),
                    fmt_shape(ks),
                    ks[2]
                ),
            ));
        }
        let k4 = [ks[0], ks[1], 1, c * ks[3]];
        if c == 0 {
            return Err(Error::shape(
                op,
                format!("input shape {} has no channels", fmt_shape(self.shape())),
            ));
        }
        let g = conv_geom(op, self.shape(), &k4, strides, padding, dilations, c)?;
        conv_fwd_op(self, &kernel.reshape(&to_isize(&k4))?, g)
    }

    /// Transposed 2-D convolution (`tf.nn.conv2d_transpose`, Keras `Conv2DTranspose`),
    /// the input-gradient of [`Tensor::conv2d`]: input `(batch, h, w, in)`, kernel
    /// `(kh, kw, out, in)` (TF layout), `output_shape` the full NHWC output shape (it picks
    /// among the sizes valid for the input, as Keras's `output_padding`).
    ///
    /// ```
    /// use kiln_tensor::{ops::conv::Padding, Tensor};
    /// let x = Tensor::ones(&[1, 2, 2, 1], kiln_tensor::DType::F32);
    /// let k = Tensor::ones(&[2, 2, 1, 1], kiln_tensor::DType::F32);
    /// let y = x.conv2d_transpose(&k, &[1, 4, 4, 1], [2, 2], &Padding::Same, [1, 1]).unwrap();
    /// assert_eq!(y.to_vec::<f32>().unwrap(), vec![1.0; 16]);
    /// assert!(x.conv2d_transpose(&k, &[1, 5, 5, 1], [2, 2], &Padding::Same, [1, 1]).is_err());
    /// ```
    pub fn conv2d_transpose(
        &self,
        kernel: &Tensor,
        output_shape: &[usize],
        strides: [usize; 2],
        padding: &Padding,
        dilations: [usize; 2],
    ) -> Result<Tensor> {
        let op = "conv2d_transpose";
        check_rank(
            op,
            "input",
            self.shape(),
            4,
            "(batch, height, width, channels)",
        )?;
        check_rank(
            op,
            "kernel",
            kernel.shape(),
            4,
            "(kh, kw, out_channels, in_channels)",
        )?;
        check_rank(
            op,
            "output_shape",
            output_shape,
            4,
            "(batch, height, width, channels)",
        )?;
        let (xs, ks) = (self.shape(), kernel.shape());
        if ks[3] != xs[3] {
            return Err(Error::shape(
                op,
                format!(
                    "input shape {} has {} channels but kernel shape {} expects {} input channels (kernel dim 3)",
                    fmt_shape(xs),
                    xs[3],
                    fmt_shape(ks),
                    ks[3]
                ),
            ));
        }
        if output_shape[0] != xs[0] || output_shape[3] != ks[2] {
            return Err(Error::shape(
                op,
                format!(
                    "output_shape {} must have batch {} (input shape {}) and {} channels (kernel shape {} dim 2)",
                    fmt_shape(output_shape),
                    xs[0],
                    fmt_shape(xs),
                    ks[2],
                    fmt_shape(ks)
                ),
            ));
        }
        let g = conv_geom(op, output_shape, ks, strides, padding, dilations, 1)?;
        if g.oh != xs[1] || g.ow != xs[2] {
            return Err(Error::shape(
                op,
                format!(
                    "output_shape {} is not a valid output for input shape {} with strides {strides:?} and padding {padding:?} (a conv2d of that output gives spatial size ({}, {}))",
                    fmt_shape(output_shape),
                    fmt_shape(xs),
                    g.oh,
                    g.ow
                ),
            ));
        }
        conv_bwd_input_op(self, kernel, g)
    }

    /// Image patches (`tf.image.extract_patches`): for input `(batch, h, w, c)` and window
    /// `sizes = [kh, kw]`, output `(batch, oh, ow, kh * kw * c)` with each patch flattened in
    /// `(row, col, channel)` order; `rates` dilates the window. (TF's 4-element
    /// `[1, kh, kw, 1]` lists become the 2 middle values here.)
    ///
    /// ```
    /// use kiln_tensor::{ops::conv::Padding, DType, Tensor};
    /// let x = Tensor::arange(0.0, 4.0, 1.0, DType::F32).unwrap().reshape(&[1, 2, 2, 1]).unwrap();
    /// let p = x.extract_patches([2, 2], [1, 1], [1, 1], &Padding::Valid).unwrap();
    /// assert_eq!(p.shape(), &[1, 1, 1, 4]);
    /// assert_eq!(p.to_vec::<f32>().unwrap(), vec![0.0, 1.0, 2.0, 3.0]);
    /// ```
    pub fn extract_patches(
        &self,
        sizes: [usize; 2],
        strides: [usize; 2],
        rates: [usize; 2],
        padding: &Padding,
    ) -> Result<Tensor> {
        let op = "extract_patches";
        check_rank(
            op,
            "input",
            self.shape(),
            4,
            "(batch, height, width, channels)",
        )?;
        let c = self.shape()[3];
        let g = window_geom(op, self.shape(), sizes, c, 1, strides, padding, rates)?;
        patches_op(self, g)
    }
}
