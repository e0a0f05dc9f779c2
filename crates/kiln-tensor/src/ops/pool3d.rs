//! `max_pool3d` / `avg_pool3d` (NDHWC) as two separable 2-D pools: one over (h, w) of
//! every depth slice, then one over depth. A box maximum is the maximum over depth of
//! the per-slice maxima, and with TF's "same" rule (an average over the real elements
//! only) the count of real elements in a box is the product of the per-axis counts, so
//! both passes reproduce `tf.nn.max_pool3d` / `avg_pool3d` exactly; gradients come from
//! the 2-D pools' (the max-pool gradient goes to the window's maximum; with ties, to the
//! first maximum in (h, w) order of the first depth slice holding one).

use crate::ops::conv::{check_rank, resolve_axis, Padding};
use crate::shape::fmt_shape;
use crate::{Error, Result, Tensor};

fn isz(s: &[usize]) -> Vec<isize> {
    s.iter().map(|&d| d as isize).collect()
}

fn pool3d(
    op: &'static str,
    x: &Tensor,
    ksize: [usize; 3],
    strides: [usize; 3],
    padding: &Padding,
    f: fn(&Tensor, [usize; 2], [usize; 2], &Padding) -> Result<Tensor>,
) -> Result<Tensor> {
    let xs = x.shape().to_vec();
    check_rank(
        op,
        "input",
        &xs,
        5,
        "(batch, depth, height, width, channels)",
    )?;
    if !matches!(padding, Padding::Valid | Padding::Same) {
        return Err(Error::arg(
            op,
            format!("padding must be \"valid\" or \"same\", got {padding:?}"),
        ));
    }
    if ksize.contains(&0) || strides.contains(&0) {
        return Err(Error::arg(
            op,
            format!("window size and strides must be positive, got ksize {ksize:?}, strides {strides:?}"),
        ));
    }
    let mut out = [0usize; 3];
    for a in 0..3 {
        out[a] = resolve_axis(op, padding, a, xs[a + 1], ksize[a], strides[a], 1, &xs)?.1;
    }
    let (n, d, h, w, c) = (xs[0], xs[1], xs[2], xs[3], xs[4]);
    let [od, oh, ow] = out;
    let y = f(
        &x.reshape(&isz(&[n * d, h, w, c]))?,
        [ksize[1], ksize[2]],
        [strides[1], strides[2]],
        padding,
    )?;
    let y = f(
        &y.reshape(&isz(&[n, d, oh * ow, c]))?,
        [ksize[0], 1],
        [strides[0], 1],
        padding,
    )
    .map_err(|e| Error::shape(op, format!("input shape {}: {e}", fmt_shape(&xs))))?;
    y.reshape(&isz(&[n, od, oh, ow, c]))
}

impl Tensor {
    /// 3-D max pooling (`tf.nn.max_pool3d`, Keras `MaxPooling3D`) over NDHWC input with
    /// window `ksize = [kd, kh, kw]`; "same" padding pads with -inf.
    ///
    /// ```
    /// use kiln_tensor::{ops::conv::Padding, DType, Tensor};
    /// let x = Tensor::arange(0.0, 8.0, 1.0, DType::F32).unwrap().reshape(&[1, 2, 2, 2, 1]).unwrap();
    /// let y = x.max_pool3d([2, 2, 2], [2, 2, 2], &Padding::Valid).unwrap();
    /// assert_eq!(y.to_vec::<f32>().unwrap(), vec![7.0]);
    /// assert!(x.max_pool3d([3, 2, 2], [1, 1, 1], &Padding::Valid).is_err());
    /// ```
    pub fn max_pool3d(
        &self,
        ksize: [usize; 3],
        strides: [usize; 3],
        padding: &Padding,
    ) -> Result<Tensor> {
        pool3d("max_pool3d", self, ksize, strides, padding, |x, k, s, p| {
            x.max_pool2d(k, s, p)
        })
    }

    /// 3-D average pooling (`tf.nn.avg_pool3d`, Keras `AveragePooling3D`); with "same"
    /// padding each window averages only its real (unpadded) elements.
    ///
    /// ```
    /// use kiln_tensor::{ops::conv::Padding, DType, Tensor};
    /// let x = Tensor::arange(0.0, 8.0, 1.0, DType::F32).unwrap().reshape(&[1, 2, 2, 2, 1]).unwrap();
    /// let y = x.avg_pool3d([2, 2, 2], [2, 2, 2], &Padding::Valid).unwrap();
    /// assert_eq!(y.to_vec::<f32>().unwrap(), vec![3.5]);
    /// let y = x.avg_pool3d([2, 2, 2], [1, 1, 1], &Padding::Same).unwrap();
    /// assert_eq!(y.shape(), &[1, 2, 2, 2, 1]);
    /// assert_eq!(y.to_vec::<f32>().unwrap()[7], 7.0); // the last window holds one element
    /// ```
    pub fn avg_pool3d(
        &self,
        ksize: [usize; 3],
        strides: [usize; 3],
        padding: &Padding,
    ) -> Result<Tensor> {
        pool3d("avg_pool3d", self, ksize, strides, padding, |x, k, s, p| {
            x.avg_pool2d(k, s, p)
        })
    }
}
