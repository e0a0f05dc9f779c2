//! Elementwise arithmetic with NumPy broadcasting: add, sub, mul, div, ...

use crate::autodiff::Op;
use crate::cpu::map::binary_map;
use crate::cpu::num::Num;
use crate::ops::{record, same_dtype, unbroadcast};
use crate::shape::broadcast_shapes;
use crate::{with_num_dtype, DType, Result, Tensor};

/// Applies a numeric binary kernel after checking dtypes and broadcasting shapes.
pub(crate) fn numeric_binary(
    op: &'static str,
    a: &Tensor,
    b: &Tensor,
    kernel: impl NumBinary,
) -> Result<Tensor> {
    same_dtype(op, a, b)?;
    let shape = broadcast_shapes(op, a.shape(), b.shape())?;
    with_num_dtype!(op, a.dtype(), T => kernel.run::<T>(a, b, &shape))
}

/// A binary kernel generic over the numeric element type.
pub(crate) trait NumBinary {
    fn run<T: Num>(&self, a: &Tensor, b: &Tensor, shape: &[usize]) -> Tensor;
}

macro_rules! num_binary_kernel {
    ($name:ident, $method:ident) => {
        pub(crate) struct $name;
        impl NumBinary for $name {
            #[inline]
            fn run<T: Num>(&self, a: &Tensor, b: &Tensor, shape: &[usize]) -> Tensor {
                binary_map::<T, T, T>(a, b, shape, |x, y| x.$method(y))
            }
        }
    };
}
num_binary_kernel!(AddK, add);
num_binary_kernel!(SubK, sub);
num_binary_kernel!(MulK, mul);
num_binary_kernel!(DivK, div);
num_binary_kernel!(MaxK, max);
num_binary_kernel!(MinK, min);
num_binary_kernel!(FloorDivK, floor_div);
num_binary_kernel!(FloorModK, floor_mod);
num_binary_kernel!(PowK, pow);

impl Tensor {
    /// `self + other` with broadcasting. Dtypes must match (no implicit promotion, as TF).
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
    /// let b = Tensor::from_vec(vec![10.0f32, 20.0], &[2]).unwrap();
    /// assert_eq!(x.add(&b).unwrap().to_vec::<f32>().unwrap(), vec![11.0, 22.0, 13.0, 24.0]);
    /// ```
    pub fn add(&self, other: &Tensor) -> Result<Tensor> {
        let out = numeric_binary("add", self, other, AddK)?;
        let (sa, sb) = (self.shape().to_vec(), other.shape().to_vec());
        Ok(record(
            || Op::new("add"),
            &[self, other],
            out,
            move |g| Ok(vec![Some(unbroadcast(g, &sa)?), Some(unbroadcast(g, &sb)?)]),
        ))
    }

    /// `self - other` with broadcasting.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![5i32, 7], &[2]).unwrap();
    /// assert_eq!(x.sub(&Tensor::scalar(1i32)).unwrap().to_vec::<i32>().unwrap(), vec![4, 6]);
    /// ```
    pub fn sub(&self, other: &Tensor) -> Result<Tensor> {
        let out = numeric_binary("sub", self, other, SubK)?;
        let (sa, sb) = (self.shape().to_vec(), other.shape().to_vec());
        Ok(record(
            || Op::new("sub"),
            &[self, other],
            out,
            move |g| {
                Ok(vec![
                    Some(unbroadcast(g, &sa)?),
                    Some(unbroadcast(&g.neg()?, &sb)?),
                ])
            },
        ))
    }

    /// `self * other` with broadcasting.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f64, 2.0], &[2]).unwrap();
    /// assert_eq!(x.mul(&x).unwrap().to_vec::<f64>().unwrap(), vec![1.0, 4.0]);
    /// ```
    pub fn mul(&self, other: &Tensor) -> Result<Tensor> {
        let out = numeric_binary("mul", self, other, MulK)?;
        let (a, b) = (self.clone(), other.clone());
        Ok(record(
            || Op::new("mul"),
            &[self, other],
            out,
            move |g| {
                Ok(vec![
                    Some(unbroadcast(&g.mul(&b)?, a.shape())?),
                    Some(unbroadcast(&g.mul(&a)?, b.shape())?),
                ])
            },
        ))
    }

    /// True division `self / other` (`tf.math.truediv`): integer inputs give float32
    /// (uint8, as TF does for 8- and 16-bit integers) or float64 (int32, int64).
    ///
    /// ```
    /// use kiln_tensor::{DType, Tensor};
    /// let x = Tensor::from_vec(vec![1i32, 3], &[2]).unwrap();
    /// let y = x.div(&Tensor::scalar(2i32)).unwrap();
    /// assert_eq!(y.dtype(), DType::F64);
    /// assert_eq!(y.to_vec::<f64>().unwrap(), vec![0.5, 1.5]);
    /// let p = Tensor::from_vec(vec![7u8, 2], &[2]).unwrap();
    /// assert_eq!(p.div(&Tensor::scalar(2u8)).unwrap().dtype(), DType::F32);
    /// ```
    pub fn div(&self, other: &Tensor) -> Result<Tensor> {
        if self.dtype().is_int() {
            same_dtype("div", self, other)?;
            let to = match self.dtype() {
                DType::U8 => DType::F32,
                _ => DType::F64,
            };
            return self.cast(to)?.div(&other.cast(to)?);
        }
        let out = numeric_binary("div", self, other, DivK)?;
        let (a, b) = (self.clone(), other.clone());
        Ok(record(
            || Op::new("div"),
            &[self, other],
            out,
            move |g| {
                let ga = g.div(&b)?;
                // d(a/b)/db = -a / b^2
                let gb = g.mul(&a)?.div(&b.mul(&b)?)?.neg()?;
                Ok(vec![
                    Some(unbroadcast(&ga, a.shape())?),
                    Some(unbroadcast(&gb, b.shape())?),
                ])
            },
        ))
    }
}

impl Tensor {
    /// `floor(self / other)` (`tf.math.floordiv`), integer or float. Integer division by
    /// zero is an error. No gradient (TF defines none).
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![7i32, -7], &[2]).unwrap();
    /// assert_eq!(x.floor_div(&Tensor::scalar(3i32)).unwrap().to_vec::<i32>().unwrap(), vec![2, -3]);
    /// ```
    pub fn floor_div(&self, other: &Tensor) -> Result<Tensor> {
        check_int_divisor("floor_div", other)?;
        let out = numeric_binary("floor_div", self, other, FloorDivK)?;
        Ok(crate::ops::record_nograd(
            || Op::new("floor_div"),
            &[self, other],
            out,
        ))
    }

    /// Floor modulo `self - floor(self / other) * other` (`tf.math.floormod`, Python's
    /// `%`: the result has the divisor's sign).
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![7i32, -7], &[2]).unwrap();
    /// assert_eq!(x.rem(&Tensor::scalar(-3i32)).unwrap().to_vec::<i32>().unwrap(), vec![-2, -1]);
    /// ```
    pub fn rem(&self, other: &Tensor) -> Result<Tensor> {
        check_int_divisor("rem", other)?;
        let out = numeric_binary("rem", self, other, FloorModK)?;
        let (a, b) = (self.clone(), other.clone());
        Ok(record(
            || Op::new("rem"),
            &[self, other],
            out,
            move |g| {
                let q = a.div(&b)?.floor()?;
                Ok(vec![
                    Some(unbroadcast(g, a.shape())?),
                    Some(unbroadcast(&g.mul(&q)?.neg()?, b.shape())?),
                ])
            },
        ))
    }

    /// `self ^ other` elementwise. The gradient in the exponent is 0 where the base is
    /// `<= 0` (as TF, avoiding NaN from `log`).
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![2.0f32, 3.0], &[2]).unwrap();
    /// assert_eq!(x.pow(&Tensor::scalar(2.0f32)).unwrap().to_vec::<f32>().unwrap(), vec![4.0, 9.0]);
    /// ```
    pub fn pow(&self, other: &Tensor) -> Result<Tensor> {
        let out = numeric_binary("pow", self, other, PowK)?;
        let (a, b, y) = (self.clone(), other.clone(), out.clone());
        Ok(record(
            || Op::new("pow"),
            &[self, other],
            out,
            move |g| {
                // d/da = b * a^(b-1); d/db = log(a) * a^b where a > 0.
                let ga = g.mul(&b)?.mul(&a.pow(&b.sub_scalar(1.0)?)?)?;
                let pos = crate::ops::math::grad_select(
                    &a.ones_like(),
                    &a,
                    crate::ops::math::Pred::GT0,
                    1.0,
                    0.0,
                )?;
                // log of a masked-to-1 base keeps non-positive bases finite.
                let safe = a.mul(&pos)?.add(&pos.neg()?.add_scalar(1.0)?)?;
                let gb = g.mul(&y)?.mul(&safe.log()?)?.mul(&pos)?;
                Ok(vec![
                    Some(unbroadcast(&ga, a.shape())?),
                    Some(unbroadcast(&gb, b.shape())?),
                ])
            },
        ))
    }

    /// Elementwise maximum (NaN propagates). Ties send the whole gradient to `self`.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 5.0], &[2]).unwrap();
    /// assert_eq!(x.maximum(&Tensor::scalar(2.0f32)).unwrap().to_vec::<f32>().unwrap(), vec![2.0, 5.0]);
    /// ```
    pub fn maximum(&self, other: &Tensor) -> Result<Tensor> {
        let out = numeric_binary("maximum", self, other, MaxK)?;
        let (a, b) = (self.clone(), other.clone());
        Ok(record(
            || Op::new("maximum"),
            &[self, other],
            out,
            move |g| select_grads(g, &a, &b, crate::ops::math::Pred::GE0),
        ))
    }

    /// Elementwise minimum (NaN propagates). Ties send the whole gradient to `self`.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 5.0], &[2]).unwrap();
    /// assert_eq!(x.minimum(&Tensor::scalar(2.0f32)).unwrap().to_vec::<f32>().unwrap(), vec![1.0, 2.0]);
    /// ```
    pub fn minimum(&self, other: &Tensor) -> Result<Tensor> {
        let out = numeric_binary("minimum", self, other, MinK)?;
        let (a, b) = (self.clone(), other.clone());
        Ok(record(
            || Op::new("minimum"),
            &[self, other],
            out,
            move |g| select_grads(g, &a, &b, crate::ops::math::Pred::LE0),
        ))
    }

    /// `(self - other)^2` (`tf.math.squared_difference`).
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 5.0], &[2]).unwrap();
    /// assert_eq!(x.squared_difference(&Tensor::scalar(2.0f32)).unwrap().to_vec::<f32>().unwrap(), vec![1.0, 9.0]);
    /// ```
    pub fn squared_difference(&self, other: &Tensor) -> Result<Tensor> {
        crate::ops::require_numeric("squared_difference", self.dtype())?;
        self.sub(other)?.square()
    }
}

/// Gradients of max/min: `self` gets `g` where `pick(self - other)`, `other` the rest.
fn select_grads(
    g: &Tensor,
    a: &Tensor,
    b: &Tensor,
    pick: crate::ops::math::Pred,
) -> Result<Vec<Option<Tensor>>> {
    let d = a.stop_gradient().sub(&b.stop_gradient())?;
    let ga = crate::ops::math::grad_select(g, &d, pick, 1.0, 0.0)?;
    let gb = g.sub(&ga)?;
    Ok(vec![
        Some(unbroadcast(&ga, a.shape())?),
        Some(unbroadcast(&gb, b.shape())?),
    ])
}

/// Integer division by zero is undefined: an error naming the op (floats give inf/NaN).
fn check_int_divisor(op: &'static str, b: &Tensor) -> Result<()> {
    if b.dtype().is_int() && b.to_f64_vec_unchecked().contains(&0.0) {
        return Err(crate::Error::arg(
            op,
            "integer division by zero".to_string(),
        ));
    }
    Ok(())
}
