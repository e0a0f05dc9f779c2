//! Elementwise math of one tensor: abs, sign, log, sqrt, trigonometry, rounding, clip.
//!
//! Float ops accept f16/bf16/f32/f64 (halves compute in f32); f32 contiguous inputs of
//! exp-family functions use the vectorised kernels of `cpu::simd_math`. Backward functions
//! are built from ops, so nested tapes give higher derivatives.

use crate::autodiff::Op;
use crate::cpu::map::{binary_map, unary_map};
use crate::cpu::num::Num;
use crate::cpu::simd_math::{map_f32, F32Op};
use crate::ops::record;
use crate::shape::broadcast_shapes;
use crate::{float_kernel, with_num_dtype, DType, Error, Result, Tensor};

/// Runs a float elementwise function: the SIMD kernel `fast` for contiguous f32, else
/// `$body` with `$v` bound per element (f32 or f64).
macro_rules! float_unary {
    ($op:expr, $x:expr, $fast:expr, |$v:ident| $body:expr) => {{
        let x: &Tensor = $x;
        let s = if x.is_meta() { None } else { x.contiguous_slice::<f32>() };
        match (x.dtype(), s) {
            (DType::F32, Some(s)) if $fast.is_some() => {
                Ok(Tensor::from_vec_unchecked(map_f32($fast.expect("checked"), s), x.shape().to_vec()))
            }
            _ => {
                let x = x.clone();
                float_kernel!($op, x, T => unary_map::<T, T>(&x, |$v: T| $body))
            }
        }
    }};
}
pub(crate) use float_unary;

/// No SIMD kernel for this op.
pub(crate) const NO_FAST: Option<NoFast> = None;
#[derive(Clone, Copy)]
pub(crate) struct NoFast;
impl F32Op for NoFast {
    fn apply<M: crate::cpu::simd_math::MulAdd>(self, x: f32) -> f32 {
        x
    }
}

/// The predicate of a [`grad_select`]: `x` inside an interval, each end open or closed
/// (plain data, so the op that records it can be replayed from its attributes).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Pred {
    pub lo: f64,
    pub hi: f64,
    pub lo_inclusive: bool,
    pub hi_inclusive: bool,
}

impl Pred {
    /// `x > 0`.
    pub const GT0: Pred = Pred::new(0.0, f64::INFINITY, false, true);
    /// `x >= 0`.
    pub const GE0: Pred = Pred::new(0.0, f64::INFINITY, true, true);
    /// `x <= 0`.
    pub const LE0: Pred = Pred::new(f64::NEG_INFINITY, 0.0, true, true);

    /// `lo < x < hi`, with `<=` at an inclusive end.
    pub const fn new(lo: f64, hi: f64, lo_inclusive: bool, hi_inclusive: bool) -> Pred {
        Pred {
            lo,
            hi,
            lo_inclusive,
            hi_inclusive,
        }
    }

    #[inline(always)]
    fn test(self, x: f64) -> bool {
        (if self.lo_inclusive {
            x >= self.lo
        } else {
            x > self.lo
        }) && (if self.hi_inclusive {
            x <= self.hi
        } else {
            x < self.hi
        })
    }
}

/// `g * (pred(x) ? on : off)` (with broadcasting), recorded as `select_by_input` with
/// inputs `[g, x]` (no gradient flows to `x`): the gradient of piecewise ops.
pub(crate) fn grad_select(g: &Tensor, x: &Tensor, pred: Pred, on: f64, off: f64) -> Result<Tensor> {
    let out = select_kernel(g, x, pred, on, off)?;
    let xc = x.clone();
    Ok(record(
        || {
            Op::new("select_by_input")
                .attr("on", on)
                .attr("off", off)
                .attr("lo", pred.lo)
                .attr("hi", pred.hi)
                .attr("lo_inclusive", pred.lo_inclusive)
                .attr("hi_inclusive", pred.hi_inclusive)
        },
        &[g, x],
        out,
        move |gg| Ok(vec![Some(grad_select(gg, &xc, pred, on, off)?), None]),
    ))
}

fn select_kernel(g: &Tensor, x: &Tensor, pred: Pred, on: f64, off: f64) -> Result<Tensor> {
    let shape = broadcast_shapes("grad_select", g.shape(), x.shape())?;
    Ok(match (g.dtype(), x.dtype()) {
        (DType::F32, DType::F32) => {
            let (on32, off32) = (on as f32, off as f32);
            // Select the factor, then multiply: a branch-free form that vectorises.
            binary_map::<f32, f32, f32>(g, x, &shape, move |g, x| {
                g * if pred.test(x as f64) { on32 } else { off32 }
            })
        }
        (DType::F64, DType::F64) => {
            binary_map::<f64, f64, f64>(
                g,
                x,
                &shape,
                move |g, x| {
                    if pred.test(x) {
                        g * on
                    } else {
                        g * off
                    }
                },
            )
        }
        (a, b) if a == b && a.is_float() => {
            let g32 = g.cast_unrecorded(DType::F32);
            let x32 = x.cast_unrecorded(DType::F32);
            return select_kernel(&g32, &x32, pred, on, off).map(|t| t.cast_unrecorded(a));
        }
        (a, b) => {
            return Err(Error::dtype(
                "grad_select",
                format!("gradient {} and input {}", a.name(), b.name()),
            ))
        }
    })
}

/// [`grad_select`] for the predicate `x > 0` (relu and its relatives), with an f32 loop
/// that compares in f32: the generic predicate's f64 conversion kept the select scalar
/// (~10 instructions per element in a CNN's backward pass).
pub(crate) fn grad_select_positive(g: &Tensor, x: &Tensor, on: f64, off: f64) -> Result<Tensor> {
    if g.dtype() != DType::F32 || x.dtype() != DType::F32 {
        return grad_select(g, x, Pred::GT0, on, off);
    }
    let shape = broadcast_shapes("grad_select", g.shape(), x.shape())?;
    let (on32, off32) = (on as f32, off as f32);
    let out = match (
        g.shape() == x.shape(),
        g.contiguous_slice::<f32>(),
        x.contiguous_slice::<f32>(),
    ) {
        (true, Some(gs), Some(xs)) => Tensor::from_vec_unchecked(
            crate::cpu::map::select_positive_f32(gs, xs, on32, off32),
            shape,
        ),
        _ => {
            binary_map::<f32, f32, f32>(g, x, &shape, |g, x| g * if x > 0.0 { on32 } else { off32 })
        }
    };
    let xc = x.clone();
    Ok(record(
        || Op::new("select_by_sign").attr("on", on).attr("off", off),
        &[g, x],
        out,
        move |gg| Ok(vec![Some(grad_select_positive(gg, &xc, on, off)?), None]),
    ))
}

impl Tensor {
    /// `|x|` (integers too). Gradient `sign(x)`, 0 at 0 as TF.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![-2i32, 3], &[2]).unwrap();
    /// assert_eq!(x.abs().unwrap().to_vec::<i32>().unwrap(), vec![2, 3]);
    /// ```
    pub fn abs(&self) -> Result<Tensor> {
        let out = with_num_dtype!("abs", self.dtype(), T => unary_map::<T, T>(self, |v| v.abs()))?;
        let x = self.clone();
        Ok(record(
            || Op::new("abs"),
            &[self],
            out,
            move |g| Ok(vec![Some(g.mul(&x.sign()?)?)]),
        ))
    }

    /// -1, 0 or 1 by sign (NaN stays NaN). Its gradient is zero, as in TF.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![-2.0f32, 0.0, 5.0], &[3]).unwrap();
    /// assert_eq!(x.sign().unwrap().to_vec::<f32>().unwrap(), vec![-1.0, 0.0, 1.0]);
    /// ```
    pub fn sign(&self) -> Result<Tensor> {
        let out =
            with_num_dtype!("sign", self.dtype(), T => unary_map::<T, T>(self, |v| v.sign()))?;
        Ok(record(
            || Op::new("sign"),
            &[self],
            out,
            |g| Ok(vec![Some(g.zeros_like())]),
        ))
    }

    /// Natural logarithm.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![1.0f64], &[1]).unwrap();
    /// assert_eq!(x.log().unwrap().to_vec::<f64>().unwrap(), vec![0.0]);
    /// ```
    pub fn log(&self) -> Result<Tensor> {
        let out = float_unary!("log", self, NO_FAST, |v| v.ln())?;
        let x = self.clone();
        Ok(record(
            || Op::new("log"),
            &[self],
            out,
            move |g| Ok(vec![Some(g.div(&x)?)]),
        ))
    }

    /// `log(1 + x)`, accurate near 0.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![0.0f32], &[1]).unwrap();
    /// assert_eq!(x.log1p().unwrap().to_vec::<f32>().unwrap(), vec![0.0]);
    /// ```
    pub fn log1p(&self) -> Result<Tensor> {
        let out = float_unary!("log1p", self, NO_FAST, |v| v.ln_1p())?;
        let x = self.clone();
        Ok(record(
            || Op::new("log1p"),
            &[self],
            out,
            move |g| Ok(vec![Some(g.div(&x.add_scalar(1.0)?)?)]),
        ))
    }

    /// `e^x - 1`, accurate near 0.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![0.0f32], &[1]).unwrap();
    /// assert_eq!(x.expm1().unwrap().to_vec::<f32>().unwrap(), vec![0.0]);
    /// ```
    pub fn expm1(&self) -> Result<Tensor> {
        let out = float_unary!("expm1", self, Some(crate::cpu::simd_math::Expm1), |v| v
            .exp_m1())?;
        let x = self.clone();
        Ok(record(
            || Op::new("expm1"),
            &[self],
            out,
            move |g| Ok(vec![Some(g.mul(&x.exp()?)?)]),
        ))
    }

    /// Square root.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![4.0f32], &[1]).unwrap();
    /// assert_eq!(x.sqrt().unwrap().to_vec::<f32>().unwrap(), vec![2.0]);
    /// ```
    pub fn sqrt(&self) -> Result<Tensor> {
        let out = float_unary!("sqrt", self, NO_FAST, |v| v.sqrt())?;
        let y = out.clone();
        Ok(record(
            || Op::new("sqrt"),
            &[self],
            out,
            move |g| Ok(vec![Some(g.div(&y)?.mul_scalar(0.5)?)]),
        ))
    }

    /// `1 / sqrt(x)`.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![4.0f32], &[1]).unwrap();
    /// assert_eq!(x.rsqrt().unwrap().to_vec::<f32>().unwrap(), vec![0.5]);
    /// ```
    pub fn rsqrt(&self) -> Result<Tensor> {
        let out = float_unary!("rsqrt", self, NO_FAST, |v| 1.0 / v.sqrt())?;
        let x = self.clone();
        let y = out.clone();
        Ok(record(
            || Op::new("rsqrt"),
            &[self],
            out,
            move |g| Ok(vec![Some(g.mul(&y)?.div(&x)?.mul_scalar(-0.5)?)]),
        ))
    }

    /// `1 / x`.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![4.0f32], &[1]).unwrap();
    /// assert_eq!(x.reciprocal().unwrap().to_vec::<f32>().unwrap(), vec![0.25]);
    /// ```
    pub fn reciprocal(&self) -> Result<Tensor> {
        let out = float_unary!("reciprocal", self, NO_FAST, |v| 1.0 / v)?;
        let y = out.clone();
        Ok(record(
            || Op::new("reciprocal"),
            &[self],
            out,
            move |g| Ok(vec![Some(g.mul(&y.square()?)?.neg()?)]),
        ))
    }

    /// Sine.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![0.0f32], &[1]).unwrap();
    /// assert_eq!(x.sin().unwrap().to_vec::<f32>().unwrap(), vec![0.0]);
    /// ```
    pub fn sin(&self) -> Result<Tensor> {
        let out = float_unary!("sin", self, NO_FAST, |v| v.sin())?;
        let x = self.clone();
        Ok(record(
            || Op::new("sin"),
            &[self],
            out,
            move |g| Ok(vec![Some(g.mul(&x.cos()?)?)]),
        ))
    }

    /// Cosine.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![0.0f32], &[1]).unwrap();
    /// assert_eq!(x.cos().unwrap().to_vec::<f32>().unwrap(), vec![1.0]);
    /// ```
    pub fn cos(&self) -> Result<Tensor> {
        let out = float_unary!("cos", self, NO_FAST, |v| v.cos())?;
        let x = self.clone();
        Ok(record(
            || Op::new("cos"),
            &[self],
            out,
            move |g| Ok(vec![Some(g.mul(&x.sin()?)?.neg()?)]),
        ))
    }

    /// Hyperbolic tangent.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![0.0f32], &[1]).unwrap();
    /// assert_eq!(x.tanh().unwrap().to_vec::<f32>().unwrap(), vec![0.0]);
    /// ```
    pub fn tanh(&self) -> Result<Tensor> {
        let out = float_unary!("tanh", self, Some(crate::cpu::simd_math::Tanh), |v| v
            .tanh())?;
        let y = out.clone();
        Ok(record(
            || Op::new("tanh"),
            &[self],
            out,
            move |g| {
                // d tanh = 1 - y^2
                Ok(vec![Some(g.mul(&y.square()?.neg()?.add_scalar(1.0)?)?)])
            },
        ))
    }

    /// The error function (`tf.math.erf`).
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![0.0f64], &[1]).unwrap();
    /// assert_eq!(x.erf().unwrap().to_vec::<f64>().unwrap(), vec![0.0]);
    /// ```
    pub fn erf(&self) -> Result<Tensor> {
        let erf = crate::cpu::special::erf_f64;
        let x = self.clone();
        let out = float_kernel!("erf", x, T => unary_map::<T, T>(&x, |v: T| erf(v as f64) as T))?;
        let x = self.clone();
        Ok(record(
            || Op::new("erf"),
            &[self],
            out,
            move |g| {
                // d erf = 2/sqrt(pi) * exp(-x^2)
                let d = x
                    .square()?
                    .neg()?
                    .exp()?
                    .mul_scalar(std::f64::consts::FRAC_2_SQRT_PI)?;
                Ok(vec![Some(g.mul(&d)?)])
            },
        ))
    }

    /// Rounds half to even (`tf.round`). No gradient (TF defines none).
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![0.5f32, 1.5, 2.5, -0.5], &[4]).unwrap();
    /// assert_eq!(x.round().unwrap().to_vec::<f32>().unwrap(), vec![0.0, 2.0, 2.0, -0.0]);
    /// ```
    pub fn round(&self) -> Result<Tensor> {
        if self.dtype().is_int() {
            return Ok(self.clone());
        }
        let out = float_unary!("round", self, NO_FAST, |v| v.round_ties_even())?;
        Ok(crate::ops::record_nograd(|| Op::new("round"), &[self], out))
    }

    /// Largest integer not above x. No gradient (TF defines none).
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![1.7f32, -1.2], &[2]).unwrap();
    /// assert_eq!(x.floor().unwrap().to_vec::<f32>().unwrap(), vec![1.0, -2.0]);
    /// ```
    pub fn floor(&self) -> Result<Tensor> {
        if self.dtype().is_int() {
            return Ok(self.clone());
        }
        let out = float_unary!("floor", self, NO_FAST, |v| v.floor())?;
        Ok(crate::ops::record_nograd(|| Op::new("floor"), &[self], out))
    }

    /// Smallest integer not below x. No gradient (TF defines none).
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![1.2f32, -1.7], &[2]).unwrap();
    /// assert_eq!(x.ceil().unwrap().to_vec::<f32>().unwrap(), vec![2.0, -1.0]);
    /// ```
    pub fn ceil(&self) -> Result<Tensor> {
        if self.dtype().is_int() {
            return Ok(self.clone());
        }
        let out = float_unary!("ceil", self, NO_FAST, |v| v.ceil())?;
        Ok(crate::ops::record_nograd(|| Op::new("ceil"), &[self], out))
    }

    /// Clamps to `[min, max]` (`tf.clip_by_value`); the gradient passes where
    /// `min <= x <= max` (bounds inclusive, as TF). `min > max` is an error.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![-2.0f32, 0.5, 3.0], &[3]).unwrap();
    /// assert_eq!(x.clip(0.0, 1.0).unwrap().to_vec::<f32>().unwrap(), vec![0.0, 0.5, 1.0]);
    /// assert!(x.clip(1.0, 0.0).is_err());
    /// ```
    pub fn clip(&self, min: f64, max: f64) -> Result<Tensor> {
        if min > max || min.is_nan() || max.is_nan() {
            return Err(Error::arg(
                "clip",
                format!("clip_value_min {min} must be <= clip_value_max {max}"),
            ));
        }
        let (lo, hi) = (
            Tensor::scalar_of(min, self.dtype()),
            Tensor::scalar_of(max, self.dtype()),
        );
        let out = with_num_dtype!("clip", self.dtype(), T => {
            let (l, h) = (lo.data::<T>()[0], hi.data::<T>()[0]);
            unary_map::<T, T>(self, move |v| if v < l { l } else if v > h { h } else { v })
        })?;
        let x = self.clone();
        // The predicate must be a plain fn: encode the bounds through a thread-safe copy.
        Ok(record(
            || Op::new("clip").attr("min", min).attr("max", max),
            &[self],
            out,
            move |g| {
                let inside = x.sub_scalar(min)?.mul(&x.sub_scalar(max)?)?; // <= 0 inside [min, max]
                Ok(vec![Some(grad_select(g, &inside, Pred::LE0, 1.0, 0.0)?)])
            },
        ))
    }

    /// `self + c` with `c` converted to self's dtype.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![1i32], &[1]).unwrap();
    /// assert_eq!(x.add_scalar(2.0).unwrap().to_vec::<i32>().unwrap(), vec![3]);
    /// ```
    pub fn add_scalar(&self, c: f64) -> Result<Tensor> {
        self.add(&Tensor::scalar_of(c, self.dtype()))
    }

    /// `self - c` with `c` converted to self's dtype.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![1.0f32], &[1]).unwrap();
    /// assert_eq!(x.sub_scalar(2.0).unwrap().to_vec::<f32>().unwrap(), vec![-1.0]);
    /// ```
    pub fn sub_scalar(&self, c: f64) -> Result<Tensor> {
        self.sub(&Tensor::scalar_of(c, self.dtype()))
    }

    /// `self * c` with `c` converted to self's dtype.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![1.5f32], &[1]).unwrap();
    /// assert_eq!(x.mul_scalar(2.0).unwrap().to_vec::<f32>().unwrap(), vec![3.0]);
    /// ```
    pub fn mul_scalar(&self, c: f64) -> Result<Tensor> {
        self.mul(&Tensor::scalar_of(c, self.dtype()))
    }

    /// `self / c` with `c` converted to self's dtype (integers: true division to f64).
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![3.0f32], &[1]).unwrap();
    /// assert_eq!(x.div_scalar(2.0).unwrap().to_vec::<f32>().unwrap(), vec![1.5]);
    /// ```
    pub fn div_scalar(&self, c: f64) -> Result<Tensor> {
        self.div(&Tensor::scalar_of(c, self.dtype()))
    }
}
