//! Reductions over axes with `keepdims`: sum, mean, max, min, prod, ...

use crate::autodiff::Op;
use crate::cpu::num::Num;
use crate::cpu::reduce::{arg_best, cumulative, reduce_axes, reduce_rows, sum_f32, sum_f32_par};
use crate::dtype::Element;
use crate::ops::record;
use crate::shape::{fmt_shape, normalize_axes, normalize_axis};
use crate::{float_kernel, with_num_dtype, DType, Error, Result, Tensor};

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
    if t.dtype() != DType::String
        && t.dtype() != DType::Bool
        && let Some(m) = crate::meta::rule(&[t], &out_shape, t.dtype())
    {
        return Ok(m);
    }
    let out = match t.dtype() {
        DType::F32 => {
            let v = reduce_axes::<f32, f32>(t, axes, 0.0, |a, b| a + b, sum_f32_par);
            Tensor::from_vec_unchecked(v, out_shape)
        }
        DType::F16 | DType::BF16 => {
            // Accumulate halves in f32, round once at the end.
            let v = reduce_axes::<f32, f32>(
                &t.cast_unrecorded(DType::F32),
                axes,
                0.0,
                |a, b| a + b,
                sum_f32,
            );
            Tensor::from_vec_unchecked(v, out_shape).cast_unrecorded(t.dtype())
        }
        dt => with_num_dtype!("sum", dt, T => {
            let v = reduce_axes::<T, T>(t, axes, T::zero(), |a, b| a.add(b), |r| r.iter().fold(T::zero(), |a, &b| a.add(b)));
            Tensor::from_vec_unchecked(v, out_shape)
        })?,
    };
    Ok(out)
}

impl Tensor {
    /// Sum over `axes` (every axis when empty), keeping reduced axes as size 1 when
    /// `keepdims` (`tf.reduce_sum`). Bool tensors are an error: cast first.
    ///
    /// As in every kiln reduction, an empty `axes` list means TF's `axis=None` (all
    /// axes); TF's `axis=[]` (reduce nothing) is simply not calling the reduction.
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
        Ok(record(
            || Op::new("sum").attr("axes", axes).attr("keepdims", keepdims),
            &[self],
            out,
            move |g| Ok(vec![Some(expand_reduced_grad(g, &shape, &ax)?)]),
        ))
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
        let out = with_num_dtype!("mean", self.dtype(), T => {
            let v = reduce_rows::<T, T>(self, &ax, |r| {
                let s: f64 = r.iter().map(|x| x.to_f64()).sum();
                T::from_f64(if r.is_empty() { 0.0 } else { (s / r.len() as f64).trunc() })
            });
            Tensor::from_vec_unchecked(v, out_shape)
        })?;
        // Integer means only (float means are sum * (1/count)).
        Ok(crate::ops::record_nograd(
            || {
                Op::new("mean")
                    .attr("axes", axes)
                    .attr("keepdims", keepdims)
            },
            &[self],
            out,
        ))
    }
}

/// `(outer, n, inner)` of `shape` around `axis`: the layout kernels along one axis use.
pub(crate) fn axis_layout(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    (
        shape[..axis].iter().product(),
        shape[axis],
        shape[axis + 1..].iter().product(),
    )
}

/// Max (or min when `!is_max`) over `axes` of a numeric tensor, as a kernel.
fn extreme_kernel(
    op: &'static str,
    t: &Tensor,
    axes: &[usize],
    keepdims: bool,
    is_max: bool,
) -> Result<Tensor> {
    let out_shape = reduced_shape(t.shape(), axes, keepdims);
    if !matches!(t.dtype(), DType::String | DType::Bool)
        && let Some(m) = crate::meta::rule(&[t], &out_shape, t.dtype())
    {
        return Ok(m);
    }
    with_num_dtype!(op, t.dtype(), T => {
        let v = if is_max {
            reduce_axes::<T, T>(t, axes, T::lowest(), Num::max, |r| r.iter().fold(T::lowest(), |a, &b| Num::max(a, b)))
        } else {
            reduce_axes::<T, T>(t, axes, T::highest(), Num::min, |r| r.iter().fold(T::highest(), |a, &b| Num::min(a, b)))
        };
        Tensor::from_vec_unchecked(v, out_shape)
    })
}

/// TF's reduce_max/min gradient: `dy` split equally among the elements equal to the result.
fn extreme_grad(
    x: &Tensor,
    y: &Tensor,
    g: &Tensor,
    axes: &[usize],
    keepdims: bool,
) -> Result<Tensor> {
    let shape = x.shape().to_vec();
    let yb = expand_reduced_grad(y, &shape, axes)?;
    // Built from recorded ops, so a traced backward pass replays it.
    let mask = x.equal(&yb)?.cast(x.dtype())?;
    let ax: Vec<isize> = axes.iter().map(|&a| a as isize).collect();
    let count = mask.sum(&ax, keepdims)?;
    expand_reduced_grad(&g.div(&count)?, &shape, axes)?.mul(&mask)
}

/// `sqrt` recorded with gradient `dy / (2 sqrt(x))` (built from ops, so nestable).
fn sqrt_recorded(x: &Tensor) -> Result<Tensor> {
    let out = float_kernel!("sqrt", x, T => crate::cpu::map::unary_map::<T, T>(&x, |v| v.sqrt()))?;
    let y = out.clone();
    Ok(record(
        || Op::new("sqrt"),
        &[x],
        out,
        move |g| {
            Ok(vec![Some(
                g.div(&y.mul(&Tensor::scalar_of(2.0, y.dtype()))?)?,
            )])
        },
    ))
}

/// For each element, the product of the other elements of its reduction row (exact with
/// zeros: prefix times suffix products). Not itself differentiable.
fn prod_others(x: &Tensor, axes: &[usize]) -> Result<Tensor> {
    let rank = x.rank();
    let kept: Vec<usize> = (0..rank).filter(|a| !axes.contains(a)).collect();
    let perm: Vec<usize> = kept.iter().chain(axes.iter()).copied().collect();
    let xp = x.transpose(Some(&perm))?.contiguous_unrecorded();
    let r: usize = axes.iter().map(|&a| x.shape()[a]).product();
    let others = with_num_dtype!("prod_grad", x.dtype(), T => {
        let s = xp.data::<T>();
        let mut out = vec![T::one(); s.len()];
        if r > 0 {
            for (row, o) in s.chunks(r).zip(out.chunks_mut(r)) {
                let mut acc = T::one();
                for (i, &v) in row.iter().enumerate() {
                    o[i] = acc;
                    acc = acc.mul(v);
                }
                acc = T::one();
                for i in (0..r).rev() {
                    o[i] = o[i].mul(acc);
                    acc = acc.mul(row[i]);
                }
            }
        }
        Tensor::from_vec_unchecked(out, xp.shape().to_vec())
    })?;
    let mut inv = vec![0usize; rank];
    for (i, &p) in perm.iter().enumerate() {
        inv[p] = i;
    }
    others.transpose(Some(&inv))
}

impl Tensor {
    /// Maximum over `axes` (every axis when empty), as `tf.reduce_max`. The gradient is
    /// split equally among tied maxima, as TF does.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 4.0], &[2, 2]).unwrap();
    /// assert_eq!(x.max(&[1], false).unwrap().to_vec::<f32>().unwrap(), vec![5.0, 4.0]);
    /// assert_eq!(x.max(&[], false).unwrap().item::<f32>().unwrap(), 5.0);
    /// ```
    pub fn max(&self, axes: &[isize], keepdims: bool) -> Result<Tensor> {
        let ax = reduction_axes("max", self, axes)?;
        let out = extreme_kernel("max", self, &ax, keepdims, true)?;
        let (x, y) = (self.clone(), out.clone());
        Ok(record(
            || Op::new("max").attr("axes", axes).attr("keepdims", keepdims),
            &[self],
            out,
            move |g| Ok(vec![Some(extreme_grad(&x, &y, g, &ax, keepdims)?)]),
        ))
    }

    /// Minimum over `axes` (every axis when empty), as `tf.reduce_min`; ties share the
    /// gradient equally.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1i32, 5, 3, 4], &[2, 2]).unwrap();
    /// assert_eq!(x.min(&[0], true).unwrap().to_vec::<i32>().unwrap(), vec![1, 4]);
    /// ```
    pub fn min(&self, axes: &[isize], keepdims: bool) -> Result<Tensor> {
        let ax = reduction_axes("min", self, axes)?;
        let out = extreme_kernel("min", self, &ax, keepdims, false)?;
        let (x, y) = (self.clone(), out.clone());
        Ok(record(
            || Op::new("min").attr("axes", axes).attr("keepdims", keepdims),
            &[self],
            out,
            move |g| Ok(vec![Some(extreme_grad(&x, &y, g, &ax, keepdims)?)]),
        ))
    }

    /// Product over `axes` (every axis when empty), as `tf.reduce_prod`. The gradient is
    /// exact when the input holds zeros (product of the other elements). It is a
    /// first-order gradient: differentiating it again treats those products as constants.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
    /// assert_eq!(x.prod(&[-1], false).unwrap().to_vec::<f64>().unwrap(), vec![2.0, 12.0]);
    /// ```
    pub fn prod(&self, axes: &[isize], keepdims: bool) -> Result<Tensor> {
        let ax = reduction_axes("prod", self, axes)?;
        let out_shape = reduced_shape(self.shape(), &ax, keepdims);
        let out = with_num_dtype!("prod", self.dtype(), T => {
            let v = reduce_axes::<T, T>(self, &ax, T::one(), |a, b| a.mul(b), |r| r.iter().fold(T::one(), |a, &b| a.mul(b)));
            Tensor::from_vec_unchecked(v, out_shape)
        })?;
        let x = self.clone();
        Ok(record(
            || {
                Op::new("prod")
                    .attr("axes", axes)
                    .attr("keepdims", keepdims)
            },
            &[self],
            out,
            move |g| {
                let others = prod_others(&x, &ax)?;
                Ok(vec![Some(
                    expand_reduced_grad(g, x.shape(), &ax)?.mul(&others)?,
                )])
            },
        ))
    }

    /// Population variance over `axes` (`tf.math.reduce_variance`); float tensors only.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 3.0, 2.0, 2.0], &[2, 2]).unwrap();
    /// assert_eq!(x.variance(&[1], false).unwrap().to_vec::<f32>().unwrap(), vec![1.0, 0.0]);
    /// ```
    pub fn variance(&self, axes: &[isize], keepdims: bool) -> Result<Tensor> {
        if !self.dtype().is_float() {
            return Err(Error::dtype(
                "variance",
                format!("expected a float tensor, got {}", self.dtype().name()),
            ));
        }
        reduction_axes("variance", self, axes)?;
        let d = self.sub(&self.mean(axes, true)?)?;
        d.square()?.mean(axes, keepdims)
    }

    /// Population standard deviation over `axes` (`tf.math.reduce_std`).
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f64, 3.0], &[2]).unwrap();
    /// assert_eq!(x.std(&[], false).unwrap().item::<f64>().unwrap(), 1.0);
    /// ```
    pub fn std(&self, axes: &[isize], keepdims: bool) -> Result<Tensor> {
        if !self.dtype().is_float() {
            return Err(Error::dtype(
                "std",
                format!("expected a float tensor, got {}", self.dtype().name()),
            ));
        }
        sqrt_recorded(&self.variance(axes, keepdims)?)
    }

    /// `log(sum(exp(x)))` over `axes`, computed stably (`tf.math.reduce_logsumexp`):
    /// large inputs do not overflow, and `-inf` entries get a zero gradient.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1000.0f32, 1000.0], &[2]).unwrap();
    /// let y = x.logsumexp(&[], false).unwrap().item::<f32>().unwrap();
    /// assert!((y - (1000.0 + 2f32.ln())).abs() < 1e-3);
    /// ```
    pub fn logsumexp(&self, axes: &[isize], keepdims: bool) -> Result<Tensor> {
        let ax = reduction_axes("logsumexp", self, axes)?;
        let out_shape = reduced_shape(self.shape(), &ax, keepdims);
        let x = self;
        let out = float_kernel!("logsumexp", x, T => {
            let v = reduce_rows::<T, T>(&x, &ax, |row| {
                let mut m = T::NEG_INFINITY;
                for &v in row {
                    if v > m {
                        m = v;
                    }
                }
                if !m.is_finite() {
                    m = 0.0;
                }
                let s: T = row.iter().map(|&v| (v - m).exp()).sum();
                s.ln() + m
            });
            Tensor::from_vec_unchecked(v, out_shape)
        })?;
        let (x, y) = (self.clone(), out.clone());
        Ok(record(
            || {
                Op::new("logsumexp")
                    .attr("axes", axes)
                    .attr("keepdims", keepdims)
            },
            &[self],
            out,
            move |g| {
                let shape = x.shape();
                let yb = expand_reduced_grad(&y, shape, &ax)?;
                let gb = expand_reduced_grad(g, shape, &ax)?;
                Ok(vec![Some(gb.mul(&x.sub(&yb)?.exp()?)?)])
            },
        ))
    }

    fn arg_extreme(&self, op: &'static str, axis: isize, is_max: bool) -> Result<Tensor> {
        let a = normalize_axis(op, axis, self.rank())?;
        let (outer, n, inner) = axis_layout(self.shape(), a);
        if n == 0 {
            return Err(Error::arg(
                op,
                format!(
                    "cannot take {op} over empty axis {axis} of shape {}",
                    fmt_shape(self.shape())
                ),
            ));
        }
        let mut out_shape = self.shape().to_vec();
        out_shape.remove(a);
        let c = self.contiguous_unrecorded();
        let v = with_num_dtype!(op, self.dtype(), T => {
            let s = c.data::<T>();
            if is_max {
                arg_best::<T>(&s, outer, n, inner, |a, b| a > b || (a.nan_like() && !b.nan_like()))
            } else {
                arg_best::<T>(&s, outer, n, inner, |a, b| a < b || (a.nan_like() && !b.nan_like()))
            }
        })?;
        let out = Tensor::from_vec_unchecked(v, out_shape);
        Ok(crate::ops::record_nograd(
            || Op::new(op).attr("axis", axis),
            &[self],
            out,
        ))
    }

    /// Index (i64) of the largest element along `axis` (`tf.math.argmax`); the lowest
    /// index wins ties.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 7.0, 7.0, 2.0], &[2, 2]).unwrap();
    /// assert_eq!(x.argmax(-1).unwrap().to_vec::<i64>().unwrap(), vec![1, 0]);
    /// assert!(x.argmax(2).is_err());
    /// ```
    pub fn argmax(&self, axis: isize) -> Result<Tensor> {
        self.arg_extreme("argmax", axis, true)
    }

    /// Index (i64) of the smallest element along `axis` (`tf.math.argmin`); the lowest
    /// index wins ties.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![3i32, 1, 1, 2], &[4]).unwrap();
    /// assert_eq!(x.argmin(0).unwrap().item::<i64>().unwrap(), 1);
    /// ```
    pub fn argmin(&self, axis: isize) -> Result<Tensor> {
        self.arg_extreme("argmin", axis, false)
    }

    fn bool_reduce(
        &self,
        op: &'static str,
        axes: &[isize],
        keepdims: bool,
        is_all: bool,
    ) -> Result<Tensor> {
        if self.dtype() != DType::Bool {
            return Err(Error::dtype(
                op,
                format!(
                    "expected a bool tensor, got {}; compare or cast first",
                    self.dtype().name()
                ),
            ));
        }
        let ax = reduction_axes(op, self, axes)?;
        let out_shape = reduced_shape(self.shape(), &ax, keepdims);
        let out = if let Some(m) = crate::meta::rule(&[self], &out_shape, DType::Bool) {
            m
        } else {
            let v = if is_all {
                reduce_axes::<bool, bool>(self, &ax, true, |a, b| a & b, |r| r.iter().all(|&v| v))
            } else {
                reduce_axes::<bool, bool>(self, &ax, false, |a, b| a | b, |r| r.iter().any(|&v| v))
            };
            Tensor::from_vec_unchecked(v, out_shape)
        };
        Ok(crate::ops::record_nograd(
            || Op::new(op).attr("axes", axes).attr("keepdims", keepdims),
            &[self],
            out,
        ))
    }

    /// Logical AND over `axes` of a bool tensor (`tf.reduce_all`).
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![true, false, true, true], &[2, 2]).unwrap();
    /// assert_eq!(x.all(&[1], false).unwrap().to_vec::<bool>().unwrap(), vec![false, true]);
    /// ```
    pub fn all(&self, axes: &[isize], keepdims: bool) -> Result<Tensor> {
        self.bool_reduce("all", axes, keepdims, true)
    }

    /// Logical OR over `axes` of a bool tensor (`tf.reduce_any`).
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![true, false, false, false], &[2, 2]).unwrap();
    /// assert_eq!(x.any(&[1], false).unwrap().to_vec::<bool>().unwrap(), vec![true, false]);
    /// ```
    pub fn any(&self, axes: &[isize], keepdims: bool) -> Result<Tensor> {
        self.bool_reduce("any", axes, keepdims, false)
    }

    fn cumulative_op(
        &self,
        op: &'static str,
        axis: isize,
        exclusive: bool,
        reverse: bool,
        is_sum: bool,
    ) -> Result<Tensor> {
        let a = normalize_axis(op, axis, self.rank())?;
        let (outer, n, inner) = axis_layout(self.shape(), a);
        let c = self.contiguous_unrecorded();
        with_num_dtype!(op, self.dtype(), T => {
            let s = c.data::<T>();
            let v = if is_sum {
                cumulative::<T>(&s, outer, n, inner, T::zero(), exclusive, reverse, |a, b| a.add(b))
            } else {
                cumulative::<T>(&s, outer, n, inner, T::one(), exclusive, reverse, |a, b| a.mul(b))
            };
            Tensor::from_vec_unchecked(v, self.shape().to_vec())
        })
    }

    /// Cumulative sum along `axis` (`tf.math.cumsum`): `exclusive` shifts by one (starting
    /// at 0), `reverse` accumulates from the end.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1i32, 2, 3], &[3]).unwrap();
    /// assert_eq!(x.cumsum(0, false, false).unwrap().to_vec::<i32>().unwrap(), vec![1, 3, 6]);
    /// assert_eq!(x.cumsum(0, true, true).unwrap().to_vec::<i32>().unwrap(), vec![5, 3, 0]);
    /// ```
    pub fn cumsum(&self, axis: isize, exclusive: bool, reverse: bool) -> Result<Tensor> {
        let out = self.cumulative_op("cumsum", axis, exclusive, reverse, true)?;
        Ok(record(
            || {
                Op::new("cumsum")
                    .attr("axis", axis)
                    .attr("exclusive", exclusive)
                    .attr("reverse", reverse)
            },
            &[self],
            out,
            move |g| Ok(vec![Some(g.cumsum(axis, exclusive, !reverse)?)]),
        ))
    }

    /// Cumulative product along `axis` (`tf.math.cumprod`). Its gradient divides by the
    /// input, as TF's does, so it is not finite where the input is zero.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]).unwrap();
    /// assert_eq!(x.cumprod(0, false, false).unwrap().to_vec::<f32>().unwrap(), vec![1.0, 2.0, 6.0]);
    /// ```
    pub fn cumprod(&self, axis: isize, exclusive: bool, reverse: bool) -> Result<Tensor> {
        let out = self.cumulative_op("cumprod", axis, exclusive, reverse, false)?;
        let (x, y) = (self.clone(), out.clone());
        Ok(record(
            || {
                Op::new("cumprod")
                    .attr("axis", axis)
                    .attr("exclusive", exclusive)
                    .attr("reverse", reverse)
            },
            &[self],
            out,
            move |g| {
                Ok(vec![Some(
                    y.mul(g)?.cumsum(axis, exclusive, !reverse)?.div(&x)?,
                )])
            },
        ))
    }
}

/// NaN test usable in generic kernels (false for integers).
trait NanLike {
    fn nan_like(self) -> bool;
}
impl<T: Element> NanLike for T {
    #[inline(always)]
    fn nan_like(self) -> bool {
        #[allow(clippy::eq_op)]
        {
            self != self
        }
    }
}
