//! Reductions over axes with `keepdims`: sum, mean, max, min, prod, ...

use crate::cpu::num::Num;
use crate::cpu::reduce::{reduce_rows, sum_f32};
use crate::dtype::Element;
use crate::ops::record;
use crate::shape::normalize_axes;
use crate::{with_num_dtype, DType, Result, Tensor};

/// Output shape of a reduction of `shape` over sorted `axes`.
pub(crate) fn reduced_shape(shape: &[usize], axes: &[usize], keepdims: bool) -> Vec<usize> {
    shape
        .iter()
        .enumerate()
        .filter_map(|(i, &d)| {
            if axes.contains(&i) {
                keepdims.then_some(1)
            } else {
                Some(d)
            }
        })
        .collect()
}

/// Reshapes a reduction's gradient to the keepdims shape and broadcasts it to `shape`.
pub(crate) fn expand_reduced_grad(g: &Tensor, shape: &[usize], axes: &[usize]) -> Result<Tensor> {
    let keep = reduced_shape(shape, axes, true);
    let gk = g.reshape(&keep.iter().map(|&d| d as isize).collect::<Vec<_>>())?;
    gk.broadcast_to(shape)
}

/// Normalises `axes` for a reduction; an empty list means every axis (as `axis=None`).
pub(crate) fn reduction_axes(op: &'static str, t: &Tensor, axes: &[isize]) -> Result<Vec<usize>> {
    if axes.is_empty() {
        Ok((0..t.rank()).collect())
    } else {
        normalize_axes(op, axes, t.rank())
    }
}

fn sum_kernel(t: &Tensor, axes: &[usize], keepdims: bool) -> Result<Tensor> {
    let out_shape = reduced_shape(t.shape(), axes, keepdims);
    let out = match t.dtype() {
        DType::F32 => {
            let (v, _) = reduce_rows::<f32, f32>(t, axes, sum_f32);
            Tensor::from_vec_unchecked(v, out_shape)
        }
        DType::F16 | DType::BF16 => {
            // Accumulate halves in f32, round once at the end.
            let (v, _) = reduce_rows::<f32, f32>(&t.cast_unrecorded(DType::F32), axes, sum_f32);
            Tensor::from_vec_unchecked(v, out_shape).cast_unrecorded(t.dtype())
        }
        dt => with_num_dtype!("sum", dt, T => {
            let (v, _) = reduce_rows::<T, T>(t, axes, |r| r.iter().fold(T::zero(), |a, &b| a.add(b)));
            Tensor::from_vec_unchecked(v, out_shape)
        })?,
    };
    Ok(out)
}

impl Tensor {
    /// Sum over `axes` (every axis when empty), keeping reduced axes as size 1 when
    /// `keepdims` (`tf.reduce_sum`). Bool tensors are an error: cast first.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
    /// assert_eq!(x.sum(&[0], false).unwrap().to_vec::<f32>().unwrap(), vec![5.0, 7.0, 9.0]);
    /// assert_eq!(x.sum(&[-1], true).unwrap().shape(), &[2, 1]);
    /// assert!(x.sum(&[2], false).is_err());
    /// ```
    pub fn sum(&self, axes: &[isize], keepdims: bool) -> Result<Tensor> {
        let ax = reduction_axes("sum", self, axes)?;
        let out = sum_kernel(self, &ax, keepdims)?;
        let shape = self.shape().to_vec();
        Ok(record(&[self], out, move |g| Ok(vec![Some(expand_reduced_grad(g, &shape, &ax)?)])))
    }

    /// Sum of every element, as a scalar.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![1i64, 2, 3], &[3]).unwrap();
    /// assert_eq!(x.sum_all().unwrap().item::<i64>().unwrap(), 6);
    /// ```
    pub fn sum_all(&self) -> Result<Tensor> {
        self.sum(&[], false)
    }

    /// Mean over `axes` (every axis when empty), as `tf.reduce_mean` (integer means
    /// truncate toward zero).
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
    /// assert_eq!(x.mean(&[1], false).unwrap().to_vec::<f32>().unwrap(), vec![1.5, 3.5]);
    /// ```
    pub fn mean(&self, axes: &[isize], keepdims: bool) -> Result<Tensor> {
        let ax = reduction_axes("mean", self, axes)?;
        let count: usize = ax.iter().map(|&a| self.shape()[a]).product();
        if self.dtype().is_float() {
            let s = self.sum(axes, keepdims)?;
            return s.mul(&Tensor::scalar_of(1.0 / count.max(1) as f64, self.dtype()));
        }
        let out_shape = reduced_shape(self.shape(), &ax, keepdims);
        with_num_dtype!("mean", self.dtype(), T => {
            let (v, _) = reduce_rows::<T, T>(self, &ax, |r| {
                let s: f64 = r.iter().map(|x| x.to_f64()).sum();
                T::from_f64(if r.is_empty() { 0.0 } else { (s / r.len() as f64).trunc() })
            });
            Tensor::from_vec_unchecked(v, out_shape)
        })
    }
}
