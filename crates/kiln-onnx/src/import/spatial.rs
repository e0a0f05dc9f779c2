//! The runner's `Conv`, `MaxPool` and `AveragePool` on kiln's NHWC kernels.
//!
//! A [`ConvPlan`] holds a convolution's kernel already in kiln's `(kh, kw, in/groups, out)`
//! layout, its bias and whether a following `Relu` was fused into it; the runner builds
//! one at load for every `Conv` whose weights are initializers (so weights are repacked
//! once, not per run) and on the fly otherwise. Both ops read and write channels-last
//! tensors; [`super::layout`] decides when an NCHW value has to be transposed.

use kiln::Tensor;
use kiln_tensor::ops::conv::Padding;

use super::attrs::*;
use super::node_err;
use crate::proto::NodeProto;
use crate::Result;

/// Spatial padding of a Conv / pool node for kiln's NHWC kernels.
fn padding(n: &NodeProto, spatial: usize) -> Result<Padding> {
    match attr_s(n, "auto_pad").as_deref() {
        None | Some("NOTSET") | Some("") => {
            let pads = attr_ints(n, "pads").unwrap_or_else(|| vec![0; 2 * spatial]);
            if pads.len() != 2 * spatial || pads.iter().any(|&p| p < 0) {
                return Err(node_err(
                    n,
                    format!("pads {pads:?} must be {} non-negative values", 2 * spatial),
                ));
            }
            if pads.iter().all(|&p| p == 0) {
                return Ok(Padding::Valid);
            }
            Ok(Padding::Explicit(
                (0..spatial)
                    .map(|i| (pads[i] as usize, pads[i + spatial] as usize))
                    .collect(),
            ))
        }
        Some("VALID") => Ok(Padding::Valid),
        Some("SAME_UPPER") => Ok(Padding::Same),
        Some(p) => Err(node_err(
            n,
            format!("auto_pad {p} is not supported; expected NOTSET, VALID or SAME_UPPER"),
        )),
    }
}

/// Padding, strides and dilations of a 1-D or 2-D op lifted to 2-D (a unit height first).
fn lifted_padding(n: &NodeProto, spatial: usize) -> Result<Padding> {
    let pad = padding(n, spatial)?;
    Ok(match (spatial, pad) {
        (1, Padding::Explicit(p)) => Padding::Explicit(vec![(0, 0), p[0]]),
        (_, p) => p,
    })
}

fn lifted_pair(n: &NodeProto, name: &str, spatial: usize) -> Result<[usize; 2]> {
    let v = attr_ints(n, name).unwrap_or_else(|| vec![1; spatial]);
    if v.len() != spatial || v.iter().any(|&s| s < 1) {
        return Err(node_err(
            n,
            format!("{name} {v:?} must be {spatial} positive values"),
        ));
    }
    Ok(if spatial == 1 {
        [1, v[0] as usize]
    } else {
        [v[0] as usize, v[1] as usize]
    })
}

/// A `Conv` node ready to run on channels-last input.
#[derive(Clone)]
pub(super) struct ConvPlan {
    /// `(kh, kw, in/groups, out)`, contiguous (1-D kernels have `kh == 1`).
    kernel: Tensor,
    bias: Option<Tensor>,
    /// A `Relu` fused after the bias.
    pub relu: bool,
    strides: [usize; 2],
    dilations: [usize; 2],
    groups: usize,
    padding: Padding,
    /// 1-D (`X` of rank 3) rather than 2-D.
    pub one_d: bool,
}

impl ConvPlan {
    /// Checks the node's weights and attributes and repacks `w` (ONNX `(out, in/groups,
    /// kh, kw)`, or `(out, in/groups, k)` for 1-D) into kiln's layout.
    pub fn new(n: &NodeProto, w: &Tensor, b: Option<&Tensor>) -> Result<ConvPlan> {
        let k = |e: kiln_tensor::Error| node_err(n, e.to_string());
        let wr = w.shape().len();
        if !(wr == 3 || wr == 4) {
            return Err(node_err(
                n,
                format!(
                    "only 1-D and 2-D convolutions import; W has shape {:?}",
                    w.shape()
                ),
            ));
        }
        let spatial = wr - 2;
        let cout = w.shape()[0];
        if let Some(b) = b.filter(|b| b.shape() != [cout]) {
            return Err(node_err(
                n,
                format!(
                    "bias B has shape {:?}; expected [{cout}] (W has shape {:?})",
                    b.shape(),
                    w.shape()
                ),
            ));
        }
        let ks = attr_ints(n, "kernel_shape");
        if let Some(ks) = ks.filter(|ks| {
            ks.iter()
                .map(|&d| d as usize)
                .ne(w.shape()[2..].iter().copied())
        }) {
            return Err(node_err(
                n,
                format!(
                    "kernel_shape {ks:?} does not match W's shape {:?}",
                    w.shape()
                ),
            ));
        }
        let groups = attr_i(n, "group", 1);
        if groups < 1 || !cout.is_multiple_of(groups as usize) {
            return Err(node_err(
                n,
                format!("group {groups} must be positive and divide W's {cout} output channels"),
            ));
        }
        let w4 = if spatial == 1 {
            w.expand_dims(2).map_err(k)?
        } else {
            w.clone()
        };
        Ok(ConvPlan {
            kernel: w4.transpose(Some(&[2, 3, 1, 0])).map_err(k)?.contiguous(),
            bias: b.map(|b| b.contiguous()),
            relu: false,
            strides: lifted_pair(n, "strides", spatial)?,
            dilations: lifted_pair(n, "dilations", spatial)?,
            groups: groups as usize,
            padding: lifted_padding(n, spatial)?,
            one_d: spatial == 1,
        })
    }

    /// Folds a per-output-channel affine map `y * inv + shift` (an inference
    /// `BatchNormalization` after this convolution) into the kernel and bias; `false` (and
    /// nothing changed) when the vectors do not have one entry per output channel.
    pub fn fold_affine(&mut self, n: &NodeProto, inv: &Tensor, shift: &Tensor) -> Result<bool> {
        let k = |e: kiln_tensor::Error| node_err(n, e.to_string());
        let cout = self.kernel.shape()[3];
        if inv.shape() != [cout]
            || shift.shape() != [cout]
            || inv.dtype() != self.kernel.dtype()
            || shift.dtype() != self.kernel.dtype()
        {
            return Ok(false);
        }
        self.kernel = self.kernel.mul(inv).map_err(k)?.contiguous();
        self.bias = Some(match &self.bias {
            Some(b) => b.mul(inv).map_err(k)?.add(shift).map_err(k)?,
            None => shift.clone(),
        });
        Ok(true)
    }

    /// Runs on NHWC `x` (`(batch, 1, w, c)` for 1-D), giving NHWC output.
    pub fn run_nhwc(&self, n: &NodeProto, x: &Tensor) -> Result<Tensor> {
        let k = |e: kiln_tensor::Error| node_err(n, e.to_string());
        if x.shape().len() != 4 {
            return Err(node_err(
                n,
                format!(
                    "X has shape {:?}; expected rank {}",
                    x.shape(),
                    if self.one_d { 3 } else { 4 }
                ),
            ));
        }
        let y = x
            .conv2d(
                &self.kernel,
                self.strides,
                &self.padding,
                self.dilations,
                self.groups,
            )
            .map_err(k)?;
        match (&self.bias, self.relu) {
            (Some(b), true) => y.bias_add_relu(b).map_err(k),
            (Some(b), false) => y.bias_add(b).map_err(k),
            (None, true) => y.relu().map_err(k),
            (None, false) => Ok(y),
        }
    }
}

/// `MaxPool` / `AveragePool` on NHWC `x` (`(batch, 1, w, c)` for a 1-D node).
pub(super) fn pool_nhwc(n: &NodeProto, x: &Tensor, spatial: usize) -> Result<Tensor> {
    let k = |e: kiln_tensor::Error| node_err(n, e.to_string());
    let op = n.op_type.as_deref().unwrap_or("");
    if n.output.len() > 1 && !n.output[1].is_empty() {
        return Err(node_err(
            n,
            "the Indices output of MaxPool is not supported",
        ));
    }
    if attr_i(n, "ceil_mode", 0) != 0 {
        return Err(node_err(n, "ceil_mode=1 is not supported"));
    }
    if attr_ints(n, "dilations").is_some_and(|d| d.iter().any(|&v| v != 1)) {
        return Err(node_err(n, "dilated pooling is not supported"));
    }
    let ks = attr_ints(n, "kernel_shape").ok_or_else(|| node_err(n, "kernel_shape is required"))?;
    if ks.len() != spatial || ks.iter().any(|&d| d < 1) {
        return Err(node_err(
            n,
            format!("kernel_shape {ks:?} must be {spatial} positive values"),
        ));
    }
    let ksize = if spatial == 1 {
        [1, ks[0] as usize]
    } else {
        [ks[0] as usize, ks[1] as usize]
    };
    let strides = lifted_pair(n, "strides", spatial)?;
    let mut pad = lifted_padding(n, spatial)?;
    if op == "MaxPool" {
        return x.max_pool2d(ksize, strides, &pad).map_err(k);
    }
    let include = attr_i(n, "count_include_pad", 0) != 0;
    let mut xh = x.clone();
    if let (true, Padding::Explicit(p)) = (include, &pad) {
        // Zero padding counted in the average: pad, then average the valid windows.
        xh = xh
            .pad(
                &[(0, 0), p[0], p[1], (0, 0)],
                kiln_tensor::ops::manip::PadMode::Constant(0.0),
            )
            .map_err(k)?;
        pad = Padding::Valid;
    } else if include && pad == Padding::Same {
        return Err(node_err(
            n,
            "count_include_pad=1 with auto_pad SAME is not supported",
        ));
    }
    xh.avg_pool2d(ksize, strides, &pad).map_err(k)
}
