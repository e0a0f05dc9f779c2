//! Pooling in Keras / TF layouts: `max_pool1d/2d` and `avg_pool1d/2d` on NWC / NHWC
//! inputs, with gradients (max: the whole gradient goes to the first maximum of each
//! window in row-major order, as TF; avg with SAME padding divides by the number of real
//! elements in each window).

use std::sync::Arc;

use crate::cpu::conv::{ConvFloat, Geom};
use crate::cpu::pool as p;
use crate::ops::conv::{check_rank, compute, padding_1d, window_geom, Kern, Padding};
use crate::ops::record;
use crate::{DType, Error, Result, Tensor};

struct MaxPool(Geom);
impl Kern for MaxPool {
    fn run<T: ConvFloat>(&self, ins: &[&[T]]) -> Vec<T> {
        p::max_pool_forward(ins[0], &self.0)
    }
}
struct AvgPool(Geom);
impl Kern for AvgPool {
    fn run<T: ConvFloat>(&self, ins: &[&[T]]) -> Vec<T> {
        p::avg_pool_forward(ins[0], &self.0)
    }
}
struct AvgPoolGrad(Geom);
impl Kern for AvgPoolGrad {
    fn run<T: ConvFloat>(&self, ins: &[&[T]]) -> Vec<T> {
        p::avg_pool_backward(ins[0], &self.0)
    }
}
struct Scatter(Geom, Arc<Vec<usize>>);
impl Kern for Scatter {
    fn run<T: ConvFloat>(&self, ins: &[&[T]]) -> Vec<T> {
        let g = &self.0;
        p::scatter_add(ins[0], &self.1, g.n * g.img(), g.img(), g.opix() * g.c)
    }
}
struct Gather(Arc<Vec<usize>>);
impl Kern for Gather {
    fn run<T: ConvFloat>(&self, ins: &[&[T]]) -> Vec<T> {
        p::gather(ins[0], &self.0)
    }
}

/// First-max indices of every window of `x` (computed in f32 for f16/bf16: exact).
fn argmax(x: &Tensor, g: &Geom) -> Arc<Vec<usize>> {
    Arc::new(match x.dtype() {
        DType::F64 => p::max_pool_argmax(&x.data::<f64>(), g),
        DType::F32 => p::max_pool_argmax(&x.data::<f32>(), g),
        _ => p::max_pool_argmax(&x.cast_unrecorded(DType::F32).data::<f32>(), g),
    })
}

fn out_shape(g: &Geom) -> Vec<usize> {
    vec![g.n, g.oh, g.ow, g.c]
}
fn in_shape(g: &Geom) -> Vec<usize> {
    vec![g.n, g.h, g.w, g.c]
}

pub(crate) fn max_pool_op(x: &Tensor, g: Geom) -> Result<Tensor> {
    let out = compute("max_pool2d", &[x], out_shape(&g), MaxPool(g))?;
    let (xc, yc) = (x.clone(), out.clone());
    Ok(record(
        || g.op("max_pool2d"),
        &[x],
        out,
        move |dy| Ok(vec![Some(max_pool_grad_op(dy, &xc, &yc, g)?)]),
    ))
}

struct MaxPoolGrad(Geom);
impl Kern for MaxPoolGrad {
    fn run<T: ConvFloat>(&self, ins: &[&[T]]) -> Vec<T> {
        p::max_pool_backward(ins[1], ins[2], ins[0], &self.0)
    }
}

/// The first-order max-pool gradient (routing by comparison with the pooled output);
/// its own gradient, needed only for second derivatives, builds argmax indices.
pub(crate) fn max_pool_grad_op(dy: &Tensor, x: &Tensor, y: &Tensor, g: Geom) -> Result<Tensor> {
    let out = compute("max_pool2d_grad", &[dy, x, y], in_shape(&g), MaxPoolGrad(g))?;
    let xc = x.clone();
    Ok(record(
        || g.op("max_pool2d_grad"),
        &[dy, x, y],
        out,
        move |gr| {
            let idx = argmax(&xc, &g);
            Ok(vec![Some(gather_op(gr, idx, g)?), None, None])
        },
    ))
}

/// Routes each window's gradient to its recorded argmax (the max-pool input gradient).
fn scatter_op(dy: &Tensor, idx: Arc<Vec<usize>>, g: Geom) -> Result<Tensor> {
    let out = compute(
        "max_pool2d_grad",
        &[dy],
        in_shape(&g),
        Scatter(g, idx.clone()),
    )?;
    Ok(record(
        || g.op("pool_scatter"),
        &[dy],
        out,
        move |gr| Ok(vec![Some(gather_op(gr, idx.clone(), g)?)]),
    ))
}

/// Reads each window's argmax element (the adjoint of [`scatter_op`]).
fn gather_op(src: &Tensor, idx: Arc<Vec<usize>>, g: Geom) -> Result<Tensor> {
    let out = compute(
        "max_pool2d_grad_grad",
        &[src],
        out_shape(&g),
        Gather(idx.clone()),
    )?;
    Ok(record(
        || g.op("pool_gather"),
        &[src],
        out,
        move |gr| Ok(vec![Some(scatter_op(gr, idx.clone(), g)?)]),
    ))
}

pub(crate) fn avg_pool_op(x: &Tensor, g: Geom) -> Result<Tensor> {
    let out = compute("avg_pool2d", &[x], out_shape(&g), AvgPool(g))?;
    Ok(record(
        || g.op("avg_pool2d"),
        &[x],
        out,
        move |dy| Ok(vec![Some(avg_pool_grad_op(dy, g)?)]),
    ))
}

pub(crate) fn avg_pool_grad_op(dy: &Tensor, g: Geom) -> Result<Tensor> {
    let out = compute("avg_pool2d_grad", &[dy], in_shape(&g), AvgPoolGrad(g))?;
    Ok(record(
        || g.op("avg_pool2d_grad"),
        &[dy],
        out,
        move |gr| Ok(vec![Some(avg_pool_op(gr, g)?)]),
    ))
}

fn pool2d_geom(
    op: &'static str,
    x: &Tensor,
    ksize: [usize; 2],
    strides: [usize; 2],
    padding: &Padding,
) -> Result<Geom> {
    check_rank(
        op,
        "input",
        x.shape(),
        4,
        "(batch, height, width, channels)",
    )?;
    if matches!(padding, Padding::Causal) {
        return Err(Error::arg(
            op,
            "causal padding is only defined for conv1d; use \"valid\" or \"same\"",
        ));
    }
    window_geom(
        op,
        x.shape(),
        ksize,
        x.shape()[3],
        1,
        strides,
        padding,
        [1, 1],
    )
}

/// Runs a 2-D pool on the `(n, 1, w, c)` view of a 1-D input.
fn pool1d(
    op: &'static str,
    x: &Tensor,
    ksize: usize,
    stride: usize,
    padding: &Padding,
    f: fn(&Tensor, Geom) -> Result<Tensor>,
) -> Result<Tensor> {
    check_rank(op, "input", x.shape(), 3, "(batch, width, channels)")?;
    if matches!(padding, Padding::Causal) {
        return Err(Error::arg(
            op,
            "causal padding is only defined for conv1d; use \"valid\" or \"same\"",
        ));
    }
    let (n, w, c) = (x.shape()[0], x.shape()[1], x.shape()[2]);
    let pad = padding_1d(op, padding, ksize, 1)?;
    let g = window_geom(
        op,
        &[n, 1, w, c],
        [1, ksize],
        c,
        1,
        [1, stride],
        &pad,
        [1, 1],
    )?;
    let y = f(&x.reshape(&[n as isize, 1, w as isize, c as isize])?, g)?;
    y.reshape(&[n as isize, g.ow as isize, c as isize])
}

impl Tensor {
    /// 2-D max pooling (`tf.nn.max_pool2d`, Keras `MaxPooling2D`) over NHWC input with
    /// window `ksize = [kh, kw]`. SAME padding pads with -inf. The gradient goes to the
    /// first maximum of each window (row-major), as TF.
    ///
    /// ```
    /// use kiln_tensor::{ops::conv::Padding, DType, Tensor};
    /// let x = Tensor::arange(0.0, 16.0, 1.0, DType::F32).unwrap().reshape(&[1, 4, 4, 1]).unwrap();
    /// let y = x.max_pool2d([2, 2], [2, 2], &Padding::Valid).unwrap();
    /// assert_eq!(y.to_vec::<f32>().unwrap(), vec![5.0, 7.0, 13.0, 15.0]);
    /// ```
    pub fn max_pool2d(
        &self,
        ksize: [usize; 2],
        strides: [usize; 2],
        padding: &Padding,
    ) -> Result<Tensor> {
        let g = pool2d_geom("max_pool2d", self, ksize, strides, padding)?;
        max_pool_op(self, g)
    }

    /// 2-D average pooling (`tf.nn.avg_pool2d`, Keras `AveragePooling2D`); with SAME
    /// padding each window averages only its real (unpadded) elements.
    ///
    /// ```
    /// use kiln_tensor::{ops::conv::Padding, DType, Tensor};
    /// let x = Tensor::arange(0.0, 9.0, 1.0, DType::F32).unwrap().reshape(&[1, 3, 3, 1]).unwrap();
    /// let y = x.avg_pool2d([2, 2], [2, 2], &Padding::Same).unwrap();
    /// assert_eq!(y.to_vec::<f32>().unwrap(), vec![2.0, 3.5, 6.5, 8.0]);
    /// ```
    pub fn avg_pool2d(
        &self,
        ksize: [usize; 2],
        strides: [usize; 2],
        padding: &Padding,
    ) -> Result<Tensor> {
        let g = pool2d_geom("avg_pool2d", self, ksize, strides, padding)?;
        avg_pool_op(self, g)
    }

    /// 1-D max pooling (Keras `MaxPooling1D`) over NWC input.
    ///
    /// ```
    /// use kiln_tensor::{ops::conv::Padding, Tensor};
    /// let x = Tensor::from_vec(vec![1.0f32, 3.0, 2.0, 0.0, 5.0], &[1, 5, 1]).unwrap();
    /// let y = x.max_pool1d(2, 2, &Padding::Same).unwrap();
    /// assert_eq!(y.to_vec::<f32>().unwrap(), vec![3.0, 2.0, 5.0]);
    /// ```
    pub fn max_pool1d(&self, ksize: usize, stride: usize, padding: &Padding) -> Result<Tensor> {
        pool1d("max_pool1d", self, ksize, stride, padding, max_pool_op)
    }

    /// 1-D average pooling (Keras `AveragePooling1D`) over NWC input.
    ///
    /// ```
    /// use kiln_tensor::{ops::conv::Padding, Tensor};
    /// let x = Tensor::from_vec(vec![1.0f32, 3.0, 2.0, 0.0, 5.0], &[1, 5, 1]).unwrap();
    /// let y = x.avg_pool1d(2, 2, &Padding::Same).unwrap();
    /// assert_eq!(y.to_vec::<f32>().unwrap(), vec![2.0, 1.0, 5.0]);
    /// ```
    pub fn avg_pool1d(&self, ksize: usize, stride: usize, padding: &Padding) -> Result<Tensor> {
        pool1d("avg_pool1d", self, ksize, stride, padding, avg_pool_op)
    }
}
