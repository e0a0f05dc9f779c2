//! Elementwise functions of one tensor: neg, exp, log, square, cast, ...

use crate::autodiff::Op;
use crate::cpu::map::unary_map;
use crate::cpu::num::Num;
use crate::cpu::simd_math::map_f32;
use crate::float_kernel;
use crate::ops::record;
use crate::{with_num_dtype, DType, Error, Result, Tensor};

impl Tensor {
    /// `-self`.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![1.0f32, -2.0], &[2]).unwrap();
    /// assert_eq!(x.neg().unwrap().to_vec::<f32>().unwrap(), vec![-1.0, 2.0]);
    /// ```
    pub fn neg(&self) -> Result<Tensor> {
        let out = with_num_dtype!("neg", self.dtype(), T => unary_map::<T, T>(self, |v| v.neg()))?;
        Ok(record(
            || Op::new("neg"),
            &[self],
            out,
            |g| Ok(vec![Some(g.neg()?)]),
        ))
    }

    /// `e^self`.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![0.0f64, 1.0], &[2]).unwrap();
    /// assert_eq!(x.exp().unwrap().to_vec::<f64>().unwrap(), vec![1.0, std::f64::consts::E]);
    /// ```
    pub fn exp(&self) -> Result<Tensor> {
        let out =
            crate::ops::math::float_unary!("exp", self, Some(crate::cpu::simd_math::Exp), |v| v
                .exp())?;
        let y = out.clone();
        Ok(record(
            || Op::new("exp"),
            &[self],
            out,
            move |g| Ok(vec![Some(g.mul(&y)?)]),
        ))
    }

    /// `self * self`.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![3i32, -2], &[2]).unwrap();
    /// assert_eq!(x.square().unwrap().to_vec::<i32>().unwrap(), vec![9, 4]);
    /// ```
    pub fn square(&self) -> Result<Tensor> {
        let out =
            with_num_dtype!("square", self.dtype(), T => unary_map::<T, T>(self, |v| v.mul(v)))?;
        let x = self.clone();
        Ok(record(
            || Op::new("square"),
            &[self],
            out,
            move |g| {
                Ok(vec![Some(
                    g.mul(&x)?.mul(&Tensor::scalar_of(2.0, x.dtype()))?,
                )])
            },
        ))
    }

    /// Converts to `dtype` as `tf.cast`: floats to integers truncate toward zero, anything
    /// to bool is `x != 0`. Gradients flow between float dtypes.
    ///
    /// ```
    /// use kiln_tensor::{DType, Tensor};
    /// let x = Tensor::from_vec(vec![1.7f32, -1.7], &[2]).unwrap();
    /// assert_eq!(x.cast(DType::I32).unwrap().to_vec::<i32>().unwrap(), vec![1, -1]);
    /// ```
    pub fn cast(&self, dtype: DType) -> Result<Tensor> {
        if dtype == self.dtype() {
            return Ok(self.clone());
        }
        if dtype == DType::String || self.dtype() == DType::String {
            return Err(Error::dtype(
                "cast",
                format!(
                    "cannot cast a {} tensor to {}: casts between strings and numbers are not supported (as tf.cast); use strings::to_number or strings::as_string",
                    self.dtype().name(),
                    dtype.name()
                ),
            ));
        }
        let out = self.cast_unrecorded(dtype);
        let src = self.dtype();
        // Casts to integer or bool dtypes record too (a capture must see them); tapes
        // never differentiate their non-float outputs.
        Ok(record(
            || Op::new("cast").attr("dtype", dtype),
            &[self],
            out,
            move |g| {
                Ok(vec![if src.is_float() && dtype.is_float() {
                    Some(g.cast(src)?)
                } else {
                    None
                }])
            },
        ))
    }

    /// An identity op: same values, new tensor, gradient passed through (`tf.identity`).
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::scalar(1.0f32);
    /// assert_ne!(x.identity().id(), x.id());
    /// ```
    pub fn identity(&self) -> Tensor {
        record(
            || Op::new("identity"),
            &[self],
            self.alias(),
            |g| Ok(vec![Some(g.clone())]),
        )
    }

    /// A row-major copy (or `self` if already contiguous); gradient passes through.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::zeros(&[2, 3], kiln_tensor::DType::F32);
    /// assert!(x.transpose(None).unwrap().contiguous().is_contiguous());
    /// ```
    pub fn contiguous(&self) -> Tensor {
        if self.is_contiguous() {
            return self.clone();
        }
        record(
            || Op::new("contiguous"),
            &[self],
            self.contiguous_unrecorded(),
            |g| Ok(vec![Some(g.clone())]),
        )
    }

    /// The same values with no gradient (`tf.stop_gradient`).
    ///
    /// ```
    /// use kiln_tensor::{GradientTape, Tensor};
    /// let x = Tensor::scalar(2.0f32);
    /// let tape = GradientTape::new();
    /// tape.watch(&x);
    /// let y = x.stop_gradient().mul(&x).unwrap();
    /// let g = tape.gradient(&y, &[&x]).unwrap();
    /// assert_eq!(g[0].as_ref().unwrap().item::<f32>().unwrap(), 2.0);
    /// ```
    pub fn stop_gradient(&self) -> Tensor {
        crate::ops::record_nograd(|| Op::new("stop_gradient"), &[self], self.alias())
    }
}
