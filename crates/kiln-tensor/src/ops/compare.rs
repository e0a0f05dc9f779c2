//! Comparisons, logical ops, `where`, and float classification (bool results).

use crate::autodiff::Op;
use crate::cpu::map::{binary_map, unary_map};
use crate::ops::{record, record_nograd, same_dtype, unbroadcast};
use crate::shape::{broadcast_shapes, fmt_shape};
use std::sync::Arc;

use crate::storage::with_any_dtype;
use crate::{with_dtype, DType, Element, Error, Result, Tensor};

/// `string_eq`: what the op gives for two equal strings (`equal`: true, `not_equal`:
/// false); `None` for the ordering comparisons, which strings do not support (as TF).
fn compare(
    op: &'static str,
    a: &Tensor,
    b: &Tensor,
    f: fn(f64, f64) -> bool,
    string_eq: Option<bool>,
) -> Result<Tensor> {
    same_dtype(op, a, b)?;
    let shape = broadcast_shapes(op, a.shape(), b.shape())?;
    let out = match a.dtype() {
        DType::F32 => binary_map::<f32, f32, bool>(a, b, &shape, |x, y| f(x as f64, y as f64)),
        dt => {
            with_dtype!(dt, T => binary_map::<T, T, bool>(a, b, &shape, |x, y| f(x.to_f64(), y.to_f64())),
            string => {
                let Some(eq) = string_eq else {
                    return Err(Error::dtype(
                        op,
                        "expected numeric tensors, got string tensors; strings only support equal and not_equal",
                    ));
                };
                let (ab, bb) = (a.broadcast_to(&shape)?, b.broadcast_to(&shape)?);
                let (av, bv) = (ab.stored::<Arc<str>>(), bb.stored::<Arc<str>>());
                let v: Vec<bool> = av.iter().zip(bv.iter()).map(|(x, y)| (x == y) == eq).collect();
                Tensor::from_vec_unchecked(v, shape.clone())
            })
        }
    };
    Ok(record_nograd(|| Op::new(op), &[a, b], out))
}

fn logical(op: &'static str, a: &Tensor, b: &Tensor, f: fn(bool, bool) -> bool) -> Result<Tensor> {
    for t in [a, b] {
        if t.dtype() != DType::Bool {
            return Err(Error::dtype(
                op,
                format!("expected bool tensors, got {}", t.dtype().name()),
            ));
        }
    }
    let shape = broadcast_shapes(op, a.shape(), b.shape())?;
    let out = binary_map::<bool, bool, bool>(a, b, &shape, f);
    Ok(record_nograd(|| Op::new(op), &[a, b], out))
}

impl Tensor {
    /// `self == other` elementwise (broadcasting), bool result.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1i32, 2], &[2]).unwrap();
    /// assert_eq!(x.equal(&Tensor::scalar(2i32)).unwrap().to_vec::<bool>().unwrap(), vec![false, true]);
    /// ```
    pub fn equal(&self, other: &Tensor) -> Result<Tensor> {
        compare("equal", self, other, |a, b| a == b, Some(true))
    }
    /// `self != other`.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1i32, 2], &[2]).unwrap();
    /// assert_eq!(x.not_equal(&Tensor::scalar(2i32)).unwrap().to_vec::<bool>().unwrap(), vec![true, false]);
    /// ```
    pub fn not_equal(&self, other: &Tensor) -> Result<Tensor> {
        compare("not_equal", self, other, |a, b| a != b, Some(false))
    }
    /// `self < other`.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
    /// assert_eq!(x.less(&Tensor::scalar(2.0f32)).unwrap().to_vec::<bool>().unwrap(), vec![true, false]);
    /// ```
    pub fn less(&self, other: &Tensor) -> Result<Tensor> {
        compare("less", self, other, |a, b| a < b, None)
    }
    /// `self <= other`.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
    /// assert_eq!(x.less_equal(&Tensor::scalar(2.0f32)).unwrap().to_vec::<bool>().unwrap(), vec![true, true]);
    /// ```
    pub fn less_equal(&self, other: &Tensor) -> Result<Tensor> {
        compare("less_equal", self, other, |a, b| a <= b, None)
    }
    /// `self > other`.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
    /// assert_eq!(x.greater(&Tensor::scalar(1.0f32)).unwrap().to_vec::<bool>().unwrap(), vec![false, true]);
    /// ```
    pub fn greater(&self, other: &Tensor) -> Result<Tensor> {
        compare("greater", self, other, |a, b| a > b, None)
    }
    /// `self >= other`.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
    /// assert_eq!(x.greater_equal(&Tensor::scalar(2.0f32)).unwrap().to_vec::<bool>().unwrap(), vec![false, true]);
    /// ```
    pub fn greater_equal(&self, other: &Tensor) -> Result<Tensor> {
        compare("greater_equal", self, other, |a, b| a >= b, None)
    }

    /// Logical AND of bool tensors.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let a = Tensor::from_vec(vec![true, false], &[2]).unwrap();
    /// assert_eq!(a.logical_and(&Tensor::scalar(true)).unwrap().to_vec::<bool>().unwrap(), vec![true, false]);
    /// ```
    pub fn logical_and(&self, other: &Tensor) -> Result<Tensor> {
        logical("logical_and", self, other, |a, b| a && b)
    }
    /// Logical OR of bool tensors.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let a = Tensor::from_vec(vec![true, false], &[2]).unwrap();
    /// assert_eq!(a.logical_or(&Tensor::scalar(false)).unwrap().to_vec::<bool>().unwrap(), vec![true, false]);
    /// ```
    pub fn logical_or(&self, other: &Tensor) -> Result<Tensor> {
        logical("logical_or", self, other, |a, b| a || b)
    }
    /// Logical XOR of bool tensors.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let a = Tensor::from_vec(vec![true, false], &[2]).unwrap();
    /// assert_eq!(a.logical_xor(&Tensor::scalar(true)).unwrap().to_vec::<bool>().unwrap(), vec![false, true]);
    /// ```
    pub fn logical_xor(&self, other: &Tensor) -> Result<Tensor> {
        logical("logical_xor", self, other, |a, b| a != b)
    }
    /// Logical NOT of a bool tensor.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let a = Tensor::from_vec(vec![true, false], &[2]).unwrap();
    /// assert_eq!(a.logical_not().unwrap().to_vec::<bool>().unwrap(), vec![false, true]);
    /// ```
    pub fn logical_not(&self) -> Result<Tensor> {
        if self.dtype() != DType::Bool {
            return Err(Error::dtype(
                "logical_not",
                format!("expected a bool tensor, got {}", self.dtype().name()),
            ));
        }
        let out = unary_map::<bool, bool>(self, |v| !v);
        Ok(record_nograd(|| Op::new("logical_not"), &[self], out))
    }

    /// Picks `x` where `cond` is true and `y` elsewhere (`tf.where(cond, x, y)`), with
    /// broadcasting over all three. `x` and `y` get the gradient where they were picked.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let c = Tensor::from_vec(vec![true, false], &[2]).unwrap();
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
    /// let y = Tensor::scalar(0.0f32);
    /// assert_eq!(Tensor::where_cond(&c, &x, &y).unwrap().to_vec::<f32>().unwrap(), vec![1.0, 0.0]);
    /// ```
    pub fn where_cond(cond: &Tensor, x: &Tensor, y: &Tensor) -> Result<Tensor> {
        if cond.dtype() != DType::Bool {
            return Err(Error::dtype(
                "where",
                format!("condition must be bool, got {}", cond.dtype().name()),
            ));
        }
        same_dtype("where", x, y)?;
        let s = broadcast_shapes("where", x.shape(), y.shape())?;
        let shape = broadcast_shapes("where", cond.shape(), &s).map_err(|_| {
            Error::shape(
                "where",
                format!(
                    "condition {}, x {} and y {} cannot be broadcast together",
                    fmt_shape(cond.shape()),
                    fmt_shape(x.shape()),
                    fmt_shape(y.shape())
                ),
            )
        })?;
        let c = cond.broadcast_to(&shape)?.contiguous_unrecorded();
        let xb = x.broadcast_to(&shape)?;
        let yb = y.broadcast_to(&shape)?;
        let cv = c.data::<bool>();
        let out = with_any_dtype!(x.dtype(), T => {
            let (xv, yv) = (xb.stored::<T>(), yb.stored::<T>());
            let v: Vec<T> = cv.iter().zip(xv.iter().zip(yv.iter())).map(|(&c, (a, b))| if c { a.clone() } else { b.clone() }).collect();
            Tensor::from_stored(v, shape.clone())
        });
        let (sx, sy) = (x.shape().to_vec(), y.shape().to_vec());
        let cond_c = cond.clone();
        Ok(record(
            || Op::new("where"),
            &[cond, x, y],
            out,
            move |g| {
                let z = g.zeros_like();
                let gx = Tensor::where_cond(&cond_c, g, &z)?;
                let gy = Tensor::where_cond(&cond_c, &z, g)?;
                Ok(vec![
                    None,
                    Some(unbroadcast(&gx, &sx)?),
                    Some(unbroadcast(&gy, &sy)?),
                ])
            },
        ))
    }

    /// True where the element is NaN (float tensors only, as TF).
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![f32::NAN, 1.0], &[2]).unwrap();
    /// assert_eq!(x.isnan().unwrap().to_vec::<bool>().unwrap(), vec![true, false]);
    /// ```
    pub fn isnan(&self) -> Result<Tensor> {
        classify("isnan", self, f64::is_nan)
    }
    /// True where the element is finite (float tensors only).
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![f32::INFINITY, 1.0], &[2]).unwrap();
    /// assert_eq!(x.isfinite().unwrap().to_vec::<bool>().unwrap(), vec![false, true]);
    /// ```
    pub fn isfinite(&self) -> Result<Tensor> {
        classify("isfinite", self, f64::is_finite)
    }
    /// True where the element is +-inf (float tensors only).
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![f32::NEG_INFINITY, 1.0], &[2]).unwrap();
    /// assert_eq!(x.isinf().unwrap().to_vec::<bool>().unwrap(), vec![true, false]);
    /// ```
    pub fn isinf(&self) -> Result<Tensor> {
        classify("isinf", self, f64::is_infinite)
    }
}

fn classify(op: &'static str, x: &Tensor, f: fn(f64) -> bool) -> Result<Tensor> {
    if !x.dtype().is_float() {
        return Err(Error::dtype(
            op,
            format!("expected a float tensor, got {}", x.dtype().name()),
        ));
    }
    let out = with_dtype!(x.dtype(), T => unary_map::<T, bool>(x, |v| f(v.to_f64())),
        string => return Err(Error::dtype(op, "expected a float tensor, got string")));
    Ok(record_nograd(|| Op::new(op), &[x], out))
}
