//! `conv3d` (NDHWC, grouped, dilated): a depth-wise im2col that turns the 3-D
//! convolution into one 2-D convolution, so it runs on the same im2col + GEMM kernels
//! (and their GEMM-based input and kernel gradients) as [`Tensor::conv2d`].
//!
//! For each output depth `od` and depth tap `t`, the input depth slice
//! `od * sd - pd + t * dd` is gathered (zeros outside the input); the `kd` slices are
//! stacked into the channel axis, laid out `(group, tap, channel-in-group)` to match the
//! kernel reshaped to `(kh, kw, kd * c / groups, out)`. The whole op is built from
//! recorded ops (pad, slice, stack, permute, reshape, conv2d), so its gradients, and
//! their gradients, come from theirs.

use crate::ops::conv::{check_channels, check_rank, resolve_axis, Padding};
use crate::ops::manip::PadMode;
use crate::shape::fmt_shape;
use crate::{Error, Result, Tensor};

fn isz(s: &[usize]) -> Vec<isize> {
    s.iter().map(|&d| d as isize).collect()
}

/// Splits a 3-D padding into the depth-axis `(before, after)` pair (with the output
/// depth) and the padding of the remaining 2-D convolution.
#[allow(clippy::too_many_arguments)]
pub(crate) fn split_depth_padding(
    op: &'static str,
    padding: &Padding,
    x: &[usize],
    kd: usize,
    sd: usize,
    dd: usize,
) -> Result<((usize, usize), usize, Padding)> {
    let d = x[1];
    let (rest, depth_pad) = match padding {
        Padding::Valid => (Padding::Valid, Padding::Valid),
        Padding::Same => (Padding::Same, Padding::Same),
        Padding::Causal => {
            return Err(Error::arg(
                op,
                "causal padding is only defined for 1-D ops (conv1d)",
            ))
        }
        Padding::Explicit(p) => {
            if p.len() != 3 {
                return Err(Error::arg(
                    op,
                    format!("explicit padding needs 3 (before, after) pairs, got {p:?}"),
                ));
            }
            (
                Padding::Explicit(p[1..].to_vec()),
                Padding::Explicit(vec![p[0]]),
            )
        }
    };
    let (before, od) = resolve_axis(op, &depth_pad, 0, d, kd, sd, dd, x)?;
    // The padded depth the gathered slices reach: (od - 1) * sd + (kd - 1) * dd + 1.
    let reach = (od.max(1) - 1) * sd + (kd - 1) * dd + 1;
    let after = reach.saturating_sub(before + d);
    Ok(((before, after), od, rest))
}

impl Tensor {
    /// 3-D convolution (`tf.nn.conv3d`, Keras `Conv3D`): input `(batch, d, h, w, c)`
    /// (NDHWC), kernel `(kd, kh, kw, c / groups, out)`, output `(batch, od, oh, ow, out)`;
    /// `padding` valid, same, or explicit `(before, after)` pairs for the 3 axes.
    ///
    /// ```
    /// use kiln_tensor::{ops::conv::Padding, DType, Tensor};
    /// let x = Tensor::ones(&[1, 3, 4, 4, 2], DType::F32);
    /// let k = Tensor::ones(&[2, 3, 3, 2, 5], DType::F32);
    /// let y = x.conv3d(&k, [1, 1, 1], &Padding::Valid, [1, 1, 1], 1).unwrap();
    /// assert_eq!(y.shape(), &[1, 2, 2, 2, 5]);
    /// assert_eq!(y.to_vec::<f32>().unwrap()[0], 36.0); // 2 x 3 x 3 taps x 2 channels
    /// let bad = Tensor::ones(&[2, 3, 3, 3, 5], DType::F32);
    /// assert!(x.conv3d(&bad, [1, 1, 1], &Padding::Valid, [1, 1, 1], 1).is_err());
    /// ```
    pub fn conv3d(
        &self,
        kernel: &Tensor,
        strides: [usize; 3],
        padding: &Padding,
        dilations: [usize; 3],
        groups: usize,
    ) -> Result<Tensor> {
        let op = "conv3d";
        let (xs, ks) = (self.shape().to_vec(), kernel.shape().to_vec());
        check_rank(
            op,
            "input",
            &xs,
            5,
            "(batch, depth, height, width, channels)",
        )?;
        check_rank(
            op,
            "kernel",
            &ks,
            5,
            "(kd, kh, kw, in_channels/groups, out_channels)",
        )?;
        check_channels(op, &xs, &ks, groups)?;
        if strides.contains(&0) || dilations.contains(&0) || ks[..3].contains(&0) {
            return Err(Error::arg(
                op,
                format!(
                    "strides, dilations and the kernel size must be positive, got strides {strides:?}, dilations {dilations:?}, kernel shape {}",
                    fmt_shape(&ks)
                ),
            ));
        }
        let (dpad, od, rest) =
            split_depth_padding(op, padding, &xs, ks[0], strides[0], dilations[0])?;
        // Check every axis here so a too-small input is reported on the 5-D shape.
        for a in 1..3 {
            resolve_axis(
                op,
                padding,
                a,
                xs[a + 1],
                ks[a],
                strides[a],
                dilations[a],
                &xs,
            )?;
        }
        let (n, h, w, c) = (xs[0], xs[2], xs[3], xs[4]);
        let (kd, cin_g, cout) = (ks[0], ks[3], ks[4]);
        let (sd, dd) = (strides[0], dilations[0]);
        let xp = if dpad == (0, 0) {
            self.clone()
        } else {
            self.pad(
                &[(0, 0), dpad, (0, 0), (0, 0), (0, 0)],
                PadMode::Constant(0.0),
            )?
        };
        let slabs: Vec<Tensor> = (0..kd)
            .map(|t| {
                let b = (t * dd) as isize;
                if sd == 1 {
                    xp.slice(&[0, b, 0, 0, 0], &[-1, od as isize, -1, -1, -1])
                } else {
                    let e = b + ((od.max(1) - 1) * sd + 1) as isize;
                    xp.strided_slice(
                        &[0, b, 0, 0, 0],
                        &[0, e, 0, 0, 0],
                        &[1, sd as isize, 1, 1, 1],
                        0b11101,
                        0b11101,
                        0,
                        0,
                        0,
                    )
                }
            })
            .collect::<Result<_>>()?;
        // (n, od, h, w, kd, c) -> channels ordered (group, tap, channel in group).
        let stacked = if kd == 1 {
            slabs[0].clone()
        } else {
            Tensor::stack(&slabs.iter().collect::<Vec<_>>(), 4)?
        };
        let cols = if groups == 1 || kd == 1 {
            stacked
        } else {
            stacked
                .reshape(&isz(&[n, od, h, w, kd, groups, cin_g]))?
                .permute(&[0, 1, 2, 3, 5, 4, 6])?
        };
        let x2 = cols.reshape(&isz(&[n * od, h, w, kd * c]))?;
        let k2 =
            kernel
                .permute(&[1, 2, 0, 3, 4])?
                .reshape(&isz(&[ks[1], ks[2], kd * cin_g, cout]))?;
        let y = x2
            .conv2d(
                &k2,
                [strides[1], strides[2]],
                &rest,
                [dilations[1], dilations[2]],
                groups,
            )
            .map_err(|e| Error::shape(op, format!("input shape {}: {e}", fmt_shape(&xs))))?;
        let (oh, ow) = (y.shape()[1], y.shape()[2]);
        y.reshape(&isz(&[n, od, oh, ow, cout]))
    }
}
