//! `resize_bilinear`: TF 2's `tf.image.resize(method="bilinear", antialias=False)` on
//! NHWC images (half-pixel centers), with a hand-written backward pass. The forward and
//! backward passes are each other's adjoints (both linear), so each records the other as
//! its gradient and nested tapes give higher derivatives.

use crate::autodiff::Op;
use std::sync::Arc;

use crate::cpu::conv::ConvFloat;
use crate::ops::conv::{check_rank, compute, Kern};
use crate::ops::record;
use crate::shape::fmt_shape;
use crate::{Error, Result, Tensor};

/// Interpolation taps along one axis: for output index `o`, input indices `lo[o]` and
/// `hi[o]` and the weight `lerp[o]` of `hi` (TF's `compute_interpolation_weights`).
struct AxisTaps {
    lo: Vec<usize>,
    hi: Vec<usize>,
    lerp: Vec<f32>,
}

impl AxisTaps {
    fn new(in_size: usize, out_size: usize) -> AxisTaps {
        // TF computes the scale and the source coordinate in f32; so do we, so the
        // weights (and hence the outputs) match its kernel's.
        let scale = in_size as f32 / out_size as f32;
        let mut t = AxisTaps {
            lo: Vec::with_capacity(out_size),
            hi: Vec::with_capacity(out_size),
            lerp: Vec::with_capacity(out_size),
        };
        for o in 0..out_size {
            let src = (o as f32 + 0.5) * scale - 0.5;
            let f = src.floor();
            t.lo.push((f.max(0.0) as usize).min(in_size - 1));
            t.hi.push((src.ceil().max(0.0) as usize).min(in_size - 1));
            t.lerp.push(src - f);
        }
        t
    }
}

struct Plan {
    n: usize,
    h: usize,
    w: usize,
    c: usize,
    ys: AxisTaps,
    xs: AxisTaps,
}

impl Plan {
    fn oh(&self) -> usize {
        self.ys.lo.len()
    }
    fn ow(&self) -> usize {
        self.xs.lo.len()
    }
}

struct Forward(Arc<Plan>);
impl Kern for Forward {
    fn run<T: ConvFloat>(&self, ins: &[&[T]]) -> Vec<T> {
        let p = &self.0;
        let (x, c) = (ins[0], p.c);
        let (oh, ow) = (p.oh(), p.ow());
        let mut out = vec![T::ZERO; p.n * oh * ow * c];
        let xl: Vec<T> = p.xs.lerp.iter().map(|&v| T::from_f64(v as f64)).collect();
        for b in 0..p.n {
            let img = &x[b * p.h * p.w * c..(b + 1) * p.h * p.w * c];
            for oy in 0..oh {
                let yl = T::from_f64(p.ys.lerp[oy] as f64);
                let top = &img[p.ys.lo[oy] * p.w * c..];
                let bot = &img[p.ys.hi[oy] * p.w * c..];
                let row = &mut out[((b * oh + oy) * ow) * c..((b * oh + oy + 1) * ow) * c];
                for ox in 0..ow {
                    let (l, r) = (p.xs.lo[ox] * c, p.xs.hi[ox] * c);
                    let dst = &mut row[ox * c..(ox + 1) * c];
                    for ch in 0..c {
                        let t = top[l + ch] + (top[r + ch] - top[l + ch]) * xl[ox];
                        let bo = bot[l + ch] + (bot[r + ch] - bot[l + ch]) * xl[ox];
                        dst[ch] = t + (bo - t) * yl;
                    }
                }
            }
        }
        out
    }
}

struct Backward(Arc<Plan>);
impl Kern for Backward {
    fn run<T: ConvFloat>(&self, ins: &[&[T]]) -> Vec<T> {
        let p = &self.0;
        let (dy, c) = (ins[0], p.c);
        let (oh, ow) = (p.oh(), p.ow());
        let mut dx = vec![T::ZERO; p.n * p.h * p.w * c];
        for b in 0..p.n {
            let img = &mut dx[b * p.h * p.w * c..(b + 1) * p.h * p.w * c];
            for oy in 0..oh {
                let yl = T::from_f64(p.ys.lerp[oy] as f64);
                let (top, bot) = (p.ys.lo[oy] * p.w * c, p.ys.hi[oy] * p.w * c);
                for ox in 0..ow {
                    let xl = T::from_f64(p.xs.lerp[ox] as f64);
                    let (l, r) = (p.xs.lo[ox] * c, p.xs.hi[ox] * c);
                    let g = &dy[((b * oh + oy) * ow + ox) * c..((b * oh + oy) * ow + ox + 1) * c];
                    for (ch, &gv) in g.iter().enumerate() {
                        let gt = gv * (T::ONE - yl);
                        let gb = gv * yl;
                        img[top + l + ch] += gt * (T::ONE - xl);
                        img[top + r + ch] += gt * xl;
                        img[bot + l + ch] += gb * (T::ONE - xl);
                        img[bot + r + ch] += gb * xl;
                    }
                }
            }
        }
        dx
    }
}

fn forward_op(x: &Tensor, p: Arc<Plan>) -> Result<Tensor> {
    let shape = vec![p.n, p.oh(), p.ow(), p.c];
    let out = compute("resize_bilinear", &[x], shape, Forward(p.clone()))?;
    let size = vec![p.oh(), p.ow()];
    Ok(record(
        || Op::new("resize_bilinear").attr("size", size),
        &[x],
        out,
        move |dy| Ok(vec![Some(backward_op(dy, p.clone())?)]),
    ))
}

/// The gradient of a resize to `dy`'s spatial size from an `input_size` image (for
/// [`crate::ops::eval`]).
pub(crate) fn resize_bilinear_grad(dy: &Tensor, input_size: [usize; 2]) -> Result<Tensor> {
    let s = dy.shape().to_vec();
    check_rank(
        "resize_bilinear_grad",
        "gradient",
        &s,
        4,
        "(batch, height, width, channels)",
    )?;
    if input_size.contains(&0) || s[1] == 0 || s[2] == 0 {
        return Err(Error::arg(
            "resize_bilinear_grad",
            format!("input_size {input_size:?} and the gradient (shape {}) must have positive height and width", fmt_shape(&s)),
        ));
    }
    let p = Arc::new(Plan {
        n: s[0],
        h: input_size[0],
        w: input_size[1],
        c: s[3],
        ys: AxisTaps::new(input_size[0], s[1]),
        xs: AxisTaps::new(input_size[1], s[2]),
    });
    backward_op(dy, p)
}

fn backward_op(dy: &Tensor, p: Arc<Plan>) -> Result<Tensor> {
    let shape = vec![p.n, p.h, p.w, p.c];
    let out = compute("resize_bilinear_grad", &[dy], shape, Backward(p.clone()))?;
    let input_size = vec![p.h, p.w];
    Ok(record(
        || Op::new("resize_bilinear_grad").attr("input_size", input_size),
        &[dy],
        out,
        move |g| Ok(vec![Some(forward_op(g, p.clone())?)]),
    ))
}

impl Tensor {
    /// Bilinear resize of NHWC images to `size = [height, width]`, as TF 2's
    /// `tf.image.resize(images, size, method="bilinear", antialias=False)` (half-pixel
    /// centers, edge samples clamped); Keras's `UpSampling2D(interpolation="bilinear")`.
    /// Differentiable (TF's `ResizeBilinearGrad`). Float inputs only.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![0.0f32, 4.0], &[1, 1, 2, 1]).unwrap();
    /// let y = x.resize_bilinear([1, 4]).unwrap();
    /// assert_eq!(y.to_vec::<f32>().unwrap(), vec![0.0, 1.0, 3.0, 4.0]);
    /// assert!(x.resize_bilinear([0, 4]).is_err());
    /// ```
    pub fn resize_bilinear(&self, size: [usize; 2]) -> Result<Tensor> {
        let op = "resize_bilinear";
        let s = self.shape().to_vec();
        check_rank(op, "input", &s, 4, "(batch, height, width, channels)")?;
        if size.contains(&0) || s[1] == 0 || s[2] == 0 {
            return Err(Error::arg(
                op,
                format!(
                    "the input (shape {}) and the output size {size:?} must have positive height and width",
                    fmt_shape(&s)
                ),
            ));
        }
        let p = Arc::new(Plan {
            n: s[0],
            h: s[1],
            w: s[2],
            c: s[3],
            ys: AxisTaps::new(s[1], size[0]),
            xs: AxisTaps::new(s[2], size[1]),
        });
        forward_op(self, p)
    }
}
