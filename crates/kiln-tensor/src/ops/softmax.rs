//! Softmax and log-softmax along an axis (`tf.nn.softmax`, `tf.nn.log_softmax`).

use crate::autodiff::Op;
use crate::cpu::softmax::softmax as softmax_kernel;
use crate::ops::record;
use crate::ops::reduce::axis_layout;
use crate::shape::normalize_axis;
use crate::{DType, Error, Result, Tensor};

fn run(op: &'static str, x: &Tensor, axis: isize, log: bool) -> Result<Tensor> {
    let a = normalize_axis(op, axis, x.rank())?;
    let (outer, n, inner) = axis_layout(x.shape(), a);
    let shape = x.shape().to_vec();
    if x.dtype().is_float()
        && let Some(m) = crate::meta::rule(&[x], &shape, x.dtype())
    {
        return Ok(m);
    }
    Ok(match x.dtype() {
        DType::F32 => {
            let d = x.data::<f32>();
            Tensor::from_vec_unchecked(softmax_kernel::<f32>(&d, outer, n, inner, log), shape)
        }
        DType::F64 => {
            let d = x.data::<f64>();
            Tensor::from_vec_unchecked(softmax_kernel::<f64>(&d, outer, n, inner, log), shape)
        }
        DType::F16 | DType::BF16 => {
            let d = x.cast_unrecorded(DType::F32);
            let d = d.data::<f32>();
            Tensor::from_vec_unchecked(softmax_kernel::<f32>(&d, outer, n, inner, log), shape)
                .cast_unrecorded(x.dtype())
        }
        other => {
            return Err(Error::dtype(
                op,
                format!("expected a float tensor, got {}", other.name()),
            ));
        }
    })
}

impl Tensor {
    /// `exp(x) / sum(exp(x))` along `axis`, computed stably (the row maximum is
    /// subtracted first), as `tf.nn.softmax`. The gradient is built from ops, so second
    /// derivatives work.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1000.0f32, 1000.0, 0.0, 0.0], &[2, 2]).unwrap();
    /// assert_eq!(x.softmax(-1).unwrap().to_vec::<f32>().unwrap(), vec![0.5; 4]);
    /// assert!(x.softmax(2).is_err());
    /// ```
    pub fn softmax(&self, axis: isize) -> Result<Tensor> {
        let out = run("softmax", self, axis, false)?;
        let y = out.clone();
        Ok(record(
            || Op::new("softmax").attr("axis", axis),
            &[self],
            out,
            move |g| {
                // dx = y * (g - sum(g * y)); one fused pass over last-axis rows of f32 when no
                // higher derivative is being recorded.
                let last = axis == -1 || axis == y.rank() as isize - 1;
                if last
                    && y.dtype() == DType::F32
                    && g.dtype() == DType::F32
                    && !crate::autodiff::tape::is_recording()
                {
                    let n = y.shape().last().copied().unwrap_or(1);
                    let gc = g.contiguous_unrecorded();
                    let (yd, gd) = (y.data::<f32>(), gc.data::<f32>());
                    let v = crate::cpu::softmax::softmax_grad_rows_f32(&yd, &gd, n);
                    return Ok(vec![Some(Tensor::from_vec_unchecked(
                        v,
                        y.shape().to_vec(),
                    ))]);
                }
                let s = g.mul(&y)?.sum(&[axis], true)?;
                Ok(vec![Some(y.mul(&g.sub(&s)?)?)])
            },
        ))
    }

    /// `x - log(sum(exp(x)))` along `axis`, computed stably, as `tf.nn.log_softmax`.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![0.0f64, 0.0], &[2]).unwrap();
    /// let y = x.log_softmax(0).unwrap().to_vec::<f64>().unwrap();
    /// assert!((y[0] + std::f64::consts::LN_2).abs() < 1e-12);
    /// ```
    pub fn log_softmax(&self, axis: isize) -> Result<Tensor> {
        let out = run("log_softmax", self, axis, true)?;
        let y = out.clone();
        Ok(record(
            || Op::new("log_softmax").attr("axis", axis),
            &[self],
            out,
            move |g| {
                // dx = g - softmax * sum(g)
                let s = g.sum(&[axis], true)?;
                Ok(vec![Some(g.sub(&y.exp()?.mul(&s)?)?)])
            },
        ))
    }
}
