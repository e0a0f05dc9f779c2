//! Shape manipulation that moves data: concat, stack, split, slice, strided_slice, pad,
//! tile, repeat, reverse, roll.

use crate::autodiff::Op;
use std::sync::Arc;

use crate::ops::gather_map::{separable_map, take_as};
use crate::ops::{record, record_slice};
use crate::shape::{fmt_shape, normalize_axis};
use crate::storage::with_any_dtype;
use crate::{Error, Result, Tensor};

/// Padding modes of [`Tensor::pad`] (`tf.pad`'s `mode`).
///
/// ```
/// use kiln_tensor::ops::manip::PadMode;
/// assert_eq!(PadMode::parse("reflect").unwrap(), PadMode::Reflect);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PadMode {
    /// Fill with a constant.
    Constant(f64),
    /// Mirror without repeating the edge element.
    Reflect,
    /// Mirror including the edge element.
    Symmetric,
}

impl PadMode {
    /// Parses TF's mode names (case-insensitive); `Constant` gets value 0.
    ///
    /// ```
    /// assert!(kiln_tensor::ops::manip::PadMode::parse("wrap").is_err());
    /// ```
    pub fn parse(name: &str) -> Result<PadMode> {
        match name.to_ascii_uppercase().as_str() {
            "CONSTANT" => Ok(PadMode::Constant(0.0)),
            "REFLECT" => Ok(PadMode::Reflect),
            "SYMMETRIC" => Ok(PadMode::Symmetric),
            _ => Err(Error::arg(
                "pad",
                format!("unknown mode '{name}'; expected CONSTANT, REFLECT or SYMMETRIC"),
            )),
        }
    }
}

/// Rearranges `x` so that output index `i` along dimension `d` reads input index
/// `tables[d][i]` (`None` = `fill`); the output shape is the tables' lengths.
/// The copy `out[i...] = x[tables[0][i0], tables[1][i1], ...]`, recorded as `op`.
fn remap(op: impl FnOnce() -> Op, x: &Tensor, tables: &[Vec<Option<usize>>], fill: f64) -> Tensor {
    let out_shape: Vec<usize> = tables.iter().map(|t| t.len()).collect();
    take_as(
        op,
        x,
        Arc::new(separable_map(x.shape(), tables)),
        out_shape,
        fill,
        Vec::new(),
    )
}

fn dims_isize(shape: &[usize]) -> Vec<isize> {
    shape.iter().map(|&d| d as isize).collect()
}

impl Tensor {
    /// Joins tensors along `axis` (`tf.concat`); all other dimensions and the dtype must
    /// match.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let a = Tensor::from_vec(vec![1i32, 2], &[1, 2]).unwrap();
    /// let b = Tensor::from_vec(vec![3i32, 4], &[1, 2]).unwrap();
    /// assert_eq!(Tensor::concat(&[&a, &b], 0).unwrap().shape(), &[2, 2]);
    /// assert!(Tensor::concat(&[&a, &b.reshape(&[2, 1]).unwrap()], 0).is_err());
    /// ```
    pub fn concat(tensors: &[&Tensor], axis: isize) -> Result<Tensor> {
        let first = tensors
            .first()
            .ok_or_else(|| Error::arg("concat", "needs at least one tensor"))?;
        let rank = first.rank();
        if rank == 0 {
            return Err(Error::shape(
                "concat",
                "cannot concatenate scalars (rank 0); stack them instead",
            ));
        }
        let ax = normalize_axis("concat", axis, rank)?;
        let mut total = 0;
        for t in tensors {
            crate::ops::same_dtype("concat", first, t)?;
            let ok =
                t.rank() == rank && (0..rank).all(|d| d == ax || t.shape()[d] == first.shape()[d]);
            if !ok {
                let shapes: Vec<String> = tensors.iter().map(|t| fmt_shape(t.shape())).collect();
                return Err(Error::shape(
                    "concat",
                    format!("shapes [{}] differ outside axis {axis}", shapes.join(", ")),
                ));
            }
            total += t.shape()[ax];
        }
        let mut shape = first.shape().to_vec();
        shape[ax] = total;
        let outer: usize = shape[..ax].iter().product();
        let inner: usize = shape[ax + 1..].iter().product();
        let out = with_any_dtype!(first.dtype(), T => {
            let datas: Vec<_> = tensors.iter().map(|t| t.stored::<T>()).collect();
            let mut v: Vec<T> = Vec::with_capacity(outer * total * inner);
            for o in 0..outer {
                for (t, d) in tensors.iter().zip(&datas) {
                    let run = t.shape()[ax] * inner;
                    v.extend_from_slice(&d[o * run..(o + 1) * run]);
                }
            }
            Tensor::from_stored(v, shape.clone())
        });
        let sizes: Vec<usize> = tensors.iter().map(|t| t.shape()[ax]).collect();
        Ok(record(
            || Op::new("concat").attr("axis", axis),
            tensors,
            out,
            move |g| {
                Ok(g.split_sizes(
                    &sizes.iter().map(|&s| s as isize).collect::<Vec<_>>(),
                    ax as isize,
                )?
                .into_iter()
                .map(Some)
                .collect())
            },
        ))
    }

    /// Stacks equal-shaped tensors along a new `axis` (`tf.stack`).
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
    /// assert_eq!(Tensor::stack(&[&a, &a], 1).unwrap().shape(), &[2, 2]);
    /// ```
    pub fn stack(tensors: &[&Tensor], axis: isize) -> Result<Tensor> {
        let first = tensors
            .first()
            .ok_or_else(|| Error::arg("stack", "needs at least one tensor"))?;
        for t in tensors {
            if t.shape() != first.shape() {
                return Err(Error::shape(
                    "stack",
                    format!(
                        "all tensors must have the same shape; got {} and {}",
                        fmt_shape(first.shape()),
                        fmt_shape(t.shape())
                    ),
                ));
            }
        }
        let ax = normalize_axis("stack", axis, first.rank() + 1)?;
        let expanded: Vec<Tensor> = tensors
            .iter()
            .map(|t| t.expand_dims(ax as isize))
            .collect::<Result<_>>()?;
        Tensor::concat(&expanded.iter().collect::<Vec<_>>(), ax as isize)
    }

    /// Splits along `axis` into its slices, removing the axis (`tf.unstack`).
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::zeros(&[3, 2], kiln_tensor::DType::F32);
    /// let parts = x.unstack(0).unwrap();
    /// assert_eq!(parts.len(), 3);
    /// assert_eq!(parts[0].shape(), &[2]);
    /// ```
    pub fn unstack(&self, axis: isize) -> Result<Vec<Tensor>> {
        let ax = normalize_axis("unstack", axis, self.rank())?;
        let n = self.shape()[ax];
        self.split(n, ax as isize)?
            .into_iter()
            .map(|t| t.squeeze(&[ax as isize]))
            .collect()
    }

    /// Splits into `num` equal parts along `axis` (`tf.split` with an int).
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::zeros(&[2, 6], kiln_tensor::DType::F32);
    /// assert_eq!(x.split(3, 1).unwrap()[0].shape(), &[2, 2]);
    /// assert!(x.split(4, 1).is_err());
    /// ```
    pub fn split(&self, num: usize, axis: isize) -> Result<Vec<Tensor>> {
        let ax = normalize_axis("split", axis, self.rank())?;
        let d = self.shape()[ax];
        if num == 0 || !d.is_multiple_of(num) {
            return Err(Error::shape(
                "split",
                format!(
                    "dimension {ax} of shape {} (size {d}) is not divisible into {num} parts",
                    fmt_shape(self.shape())
                ),
            ));
        }
        self.split_sizes(&vec![(d / num) as isize; num], axis)
    }

    /// Splits into parts of the given sizes along `axis`; one size may be `-1` (the rest).
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::zeros(&[5, 3], kiln_tensor::DType::F32);
    /// let p = x.split_sizes(&[2, -1], 0).unwrap();
    /// assert_eq!(p[1].shape(), &[3, 3]);
    /// ```
    pub fn split_sizes(&self, sizes: &[isize], axis: isize) -> Result<Vec<Tensor>> {
        let ax = normalize_axis("split", axis, self.rank())?;
        let d = self.shape()[ax];
        let known: isize = sizes.iter().filter(|&&s| s >= 0).sum();
        let unknown = sizes.iter().filter(|&&s| s == -1).count();
        let bad = sizes.iter().any(|&s| s < -1)
            || unknown > 1
            || (unknown == 0 && known != d as isize)
            || known > d as isize;
        if bad {
            return Err(Error::shape(
                "split",
                format!(
                    "sizes {sizes:?} do not add up to dimension {ax} of shape {}",
                    fmt_shape(self.shape())
                ),
            ));
        }
        let mut begin = vec![0isize; self.rank()];
        let mut out = Vec::with_capacity(sizes.len());
        for &s in sizes {
            let s = if s == -1 { d as isize - known } else { s };
            let mut size = dims_isize(self.shape());
            size[ax] = s;
            out.push(self.slice(&begin, &size)?);
            begin[ax] += s;
        }
        Ok(out)
    }

    /// `tf.slice`: the block starting at `begin` with extent `size` (-1 = to the end).
    /// A view sharing storage.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::arange(0.0, 6.0, 1.0, kiln_tensor::DType::I32).unwrap().reshape(&[2, 3]).unwrap();
    /// let s = x.slice(&[0, 1], &[-1, 2]).unwrap();
    /// assert_eq!(s.to_vec::<i32>().unwrap(), vec![1, 2, 4, 5]);
    /// assert!(x.slice(&[0, 2], &[1, 2]).is_err());
    /// ```
    pub fn slice(&self, begin: &[isize], size: &[isize]) -> Result<Tensor> {
        let rank = self.rank();
        if begin.len() != rank || size.len() != rank {
            return Err(Error::shape(
                "slice",
                format!("begin {begin:?} and size {size:?} must have one entry per dimension of shape {}", fmt_shape(self.shape())),
            ));
        }
        let mut shape = Vec::with_capacity(rank);
        let mut offset = self.offset() as isize;
        for d in 0..rank {
            let dim = self.shape()[d] as isize;
            let b = begin[d];
            let s = if size[d] == -1 { dim - b } else { size[d] };
            if b < 0 || s < 0 || b + s > dim {
                return Err(Error::shape(
                    "slice",
                    format!(
                        "begin {begin:?} size {size:?} is out of bounds for shape {}",
                        fmt_shape(self.shape())
                    ),
                ));
            }
            shape.push(s as usize);
            offset += b * self.strides()[d];
        }
        let out = self.view(shape.clone(), self.strides().to_vec(), offset as usize);
        let in_shape = self.shape().to_vec();
        let begin: Vec<usize> = begin.iter().map(|&b| b as usize).collect();
        Ok(record_slice(
            self,
            out,
            begin.clone(),
            size.to_vec(),
            move |g| {
                let paddings: Vec<(usize, usize)> = (0..in_shape.len())
                    .map(|d| (begin[d], in_shape[d] - begin[d] - shape[d]))
                    .collect();
                Ok(vec![Some(g.pad(&paddings, PadMode::Constant(0.0))?)])
            },
        ))
    }

    /// `tf.strided_slice` with TF's semantics: negative indices count from the end,
    /// out-of-range bounds are clamped, negative strides walk backwards, and the
    /// begin/end/ellipsis/new_axis/shrink_axis bit masks.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::arange(0.0, 5.0, 1.0, kiln_tensor::DType::I32).unwrap();
    /// let r = x.strided_slice(&[0], &[0], &[-1], 1, 1, 0, 0, 0).unwrap();
    /// assert_eq!(r.to_vec::<i32>().unwrap(), vec![4, 3, 2, 1, 0]);
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn strided_slice(
        &self,
        begin: &[isize],
        end: &[isize],
        strides: &[isize],
        begin_mask: u64,
        end_mask: u64,
        ellipsis_mask: u64,
        new_axis_mask: u64,
        shrink_axis_mask: u64,
    ) -> Result<Tensor> {
        let op = "strided_slice";
        let n = begin.len();
        if end.len() != n || strides.len() != n {
            return Err(Error::arg(op, format!("begin {begin:?}, end {end:?} and strides {strides:?} must have the same length")));
        }
        if ellipsis_mask.count_ones() > 1 {
            return Err(Error::arg(op, "at most one ellipsis is allowed"));
        }
        // Expand the sparse spec into one entry per input dimension (+ new axes).
        enum Spec {
            Range {
                b: isize,
                e: isize,
                s: isize,
                bm: bool,
                em: bool,
                shrink: bool,
            },
            NewAxis,
        }
        let rank = self.rank();
        let real_in_spec = (0..n)
            .filter(|&i| new_axis_mask >> i & 1 == 0 && ellipsis_mask >> i & 1 == 0)
            .count();
        let mut specs = Vec::new();
        for i in 0..n {
            if ellipsis_mask >> i & 1 == 1 {
                let fill = rank
                    .checked_sub(real_in_spec)
                    .ok_or_else(|| Error::shape(op, "more slices than dimensions"))?;
                for _ in 0..fill {
                    specs.push(Spec::Range {
                        b: 0,
                        e: 0,
                        s: 1,
                        bm: true,
                        em: true,
                        shrink: false,
                    });
                }
            } else if new_axis_mask >> i & 1 == 1 {
                specs.push(Spec::NewAxis);
            } else {
                if strides[i] == 0 {
                    return Err(Error::arg(op, format!("stride {i} is 0")));
                }
                specs.push(Spec::Range {
                    b: begin[i],
                    e: end[i],
                    s: strides[i],
                    bm: begin_mask >> i & 1 == 1,
                    em: end_mask >> i & 1 == 1,
                    shrink: shrink_axis_mask >> i & 1 == 1,
                });
            }
        }
        let used = specs
            .iter()
            .filter(|s| matches!(s, Spec::Range { .. }))
            .count();
        if used > rank {
            return Err(Error::shape(
                op,
                format!(
                    "{used} slice specs for a tensor of shape {}",
                    fmt_shape(self.shape())
                ),
            ));
        }
        for _ in used..rank {
            specs.push(Spec::Range {
                b: 0,
                e: 0,
                s: 1,
                bm: true,
                em: true,
                shrink: false,
            });
        }
        let mut tables: Vec<Vec<Option<usize>>> = Vec::with_capacity(rank);
        let mut final_shape: Vec<isize> = Vec::new();
        let mut d = 0;
        for spec in &specs {
            match *spec {
                Spec::NewAxis => final_shape.push(1),
                Spec::Range {
                    b,
                    e,
                    s,
                    bm,
                    em,
                    shrink,
                } => {
                    let dim = self.shape()[d] as isize;
                    let idx: Vec<Option<usize>> = if shrink {
                        let i = if b < 0 { b + dim } else { b };
                        if i < 0 || i >= dim {
                            return Err(Error::arg(
                                op,
                                format!("index {b} out of range for dimension {d} of size {dim}"),
                            ));
                        }
                        vec![Some(i as usize)]
                    } else {
                        let norm = |v: isize| if v < 0 { v + dim } else { v };
                        let (lo, hi) = if s > 0 { (0, dim) } else { (-1, dim - 1) };
                        let start = if bm {
                            if s > 0 {
                                lo
                            } else {
                                hi
                            }
                        } else {
                            norm(b).clamp(lo, hi)
                        };
                        let stop = if em {
                            if s > 0 {
                                hi
                            } else {
                                lo
                            }
                        } else {
                            norm(e).clamp(lo, hi)
                        };
                        let mut v = Vec::new();
                        let mut i = start;
                        while (s > 0 && i < stop) || (s < 0 && i > stop) {
                            v.push(Some(i as usize));
                            i += s;
                        }
                        v
                    };
                    if !shrink {
                        final_shape.push(idx.len() as isize);
                    }
                    tables.push(idx);
                    d += 1;
                }
            }
        }
        let out_shape: Vec<usize> = final_shape.iter().map(|&d| d as usize).collect();
        let (b, e, st) = (begin.to_vec(), end.to_vec(), strides.to_vec());
        let op = move || {
            Op::new("strided_slice")
                .attr("begin", b)
                .attr("end", e)
                .attr("strides", st)
                .attr("begin_mask", begin_mask as i64)
                .attr("end_mask", end_mask as i64)
                .attr("ellipsis_mask", ellipsis_mask as i64)
                .attr("new_axis_mask", new_axis_mask as i64)
                .attr("shrink_axis_mask", shrink_axis_mask as i64)
        };
        Ok(take_as(
            op,
            self,
            std::sync::Arc::new(separable_map(self.shape(), &tables)),
            out_shape,
            0.0,
            Vec::new(),
        ))
    }

    /// Pads each dimension by `(before, after)` (`tf.pad`).
    ///
    /// ```
    /// use kiln_tensor::{ops::manip::PadMode, Tensor};
    /// let x = Tensor::from_vec(vec![1i32, 2, 3], &[3]).unwrap();
    /// assert_eq!(x.pad(&[(1, 1)], PadMode::Reflect).unwrap().to_vec::<i32>().unwrap(), vec![2, 1, 2, 3, 2]);
    /// assert_eq!(x.pad(&[(2, 0)], PadMode::Symmetric).unwrap().to_vec::<i32>().unwrap(), vec![2, 1, 1, 2, 3]);
    /// ```
    pub fn pad(&self, paddings: &[(usize, usize)], mode: PadMode) -> Result<Tensor> {
        if paddings.len() != self.rank() {
            return Err(Error::shape(
                "pad",
                format!(
                    "{} paddings for a tensor of shape {} (need one per dimension)",
                    paddings.len(),
                    fmt_shape(self.shape())
                ),
            ));
        }
        let mut tables = Vec::with_capacity(self.rank());
        for (d, &(before, after)) in paddings.iter().enumerate() {
            let n = self.shape()[d];
            let limit = match mode {
                PadMode::Constant(_) => usize::MAX,
                PadMode::Reflect => n.saturating_sub(1),
                PadMode::Symmetric => n,
            };
            if before > limit || after > limit {
                return Err(Error::arg(
                    "pad",
                    format!("padding ({before}, {after}) is too large for dimension {d} of size {n} in {mode:?} mode"),
                ));
            }
            let t: Vec<Option<usize>> = (0..before + n + after)
                .map(|o| {
                    let i = o as isize - before as isize;
                    let n = n as isize;
                    let src = if i < 0 {
                        match mode {
                            PadMode::Constant(_) => return None,
                            PadMode::Reflect => -i,
                            PadMode::Symmetric => -i - 1,
                        }
                    } else if i >= n {
                        match mode {
                            PadMode::Constant(_) => return None,
                            PadMode::Reflect => 2 * n - 2 - i,
                            PadMode::Symmetric => 2 * n - 1 - i,
                        }
                    } else {
                        i
                    };
                    Some(src as usize)
                })
                .collect();
            tables.push(t);
        }
        let fill = if let PadMode::Constant(c) = mode {
            c
        } else {
            0.0
        };
        let flat: Vec<usize> = paddings.iter().flat_map(|&(b, a)| [b, a]).collect();
        let mode_name = match mode {
            PadMode::Constant(_) => "CONSTANT",
            PadMode::Reflect => "REFLECT",
            PadMode::Symmetric => "SYMMETRIC",
        };
        let op = move || {
            Op::new("pad")
                .attr("paddings", flat)
                .attr("mode", mode_name)
                .attr("constant_value", fill)
        };
        Ok(remap(op, self, &tables, fill))
    }

    /// Repeats the whole tensor `multiples[d]` times along each dimension (`tf.tile`).
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![1i32, 2], &[2]).unwrap();
    /// assert_eq!(x.tile(&[2]).unwrap().to_vec::<i32>().unwrap(), vec![1, 2, 1, 2]);
    /// ```
    pub fn tile(&self, multiples: &[usize]) -> Result<Tensor> {
        if multiples.len() != self.rank() {
            return Err(Error::shape(
                "tile",
                format!(
                    "multiples {multiples:?} must have one entry per dimension of shape {}",
                    fmt_shape(self.shape())
                ),
            ));
        }
        let tables: Vec<Vec<Option<usize>>> = (0..self.rank())
            .map(|d| {
                (0..self.shape()[d] * multiples[d])
                    .map(|o| Some(o % self.shape()[d]))
                    .collect()
            })
            .collect();
        Ok(remap(
            || Op::new("tile").attr("multiples", multiples),
            self,
            &tables,
            0.0,
        ))
    }

    /// Repeats each element along `axis` (`tf.repeat`): `repeats` has one entry (same
    /// count for all) or one per element of the axis. `axis = None` flattens first.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![1i32, 2], &[2]).unwrap();
    /// assert_eq!(x.repeat(&[2], Some(0)).unwrap().to_vec::<i32>().unwrap(), vec![1, 1, 2, 2]);
    /// ```
    pub fn repeat(&self, repeats: &[usize], axis: Option<isize>) -> Result<Tensor> {
        let (x, ax) = match axis {
            None => (self.reshape(&[-1])?, 0),
            Some(a) => (self.clone(), normalize_axis("repeat", a, self.rank())?),
        };
        let n = x.shape()[ax];
        let reps: Vec<usize> = match repeats.len() {
            1 => vec![repeats[0]; n],
            l if l == n => repeats.to_vec(),
            l => {
                return Err(Error::shape(
                    "repeat",
                    format!("{l} repeats for an axis of size {n} (need 1 or {n})"),
                ));
            }
        };
        let tables: Vec<Vec<Option<usize>>> = (0..x.rank())
            .map(|d| {
                if d == ax {
                    reps.iter()
                        .enumerate()
                        .flat_map(|(i, &r)| std::iter::repeat_n(Some(i), r))
                        .collect()
                } else {
                    (0..x.shape()[d]).map(Some).collect()
                }
            })
            .collect();
        let op = || {
            let op = Op::new("repeat").attr("repeats", repeats);
            match axis {
                Some(a) => op.attr("axis", a),
                None => op,
            }
        };
        Ok(remap(op, &x, &tables, 0.0))
    }

    /// Reverses the order of elements along each axis in `axes` (`tf.reverse`).
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![1i32, 2, 3], &[3]).unwrap();
    /// assert_eq!(x.reverse(&[0]).unwrap().to_vec::<i32>().unwrap(), vec![3, 2, 1]);
    /// ```
    pub fn reverse(&self, axes: &[isize]) -> Result<Tensor> {
        let ax = crate::shape::normalize_axes("reverse", axes, self.rank())?;
        let tables: Vec<Vec<Option<usize>>> = (0..self.rank())
            .map(|d| {
                let n = self.shape()[d];
                (0..n)
                    .map(|i| Some(if ax.contains(&d) { n - 1 - i } else { i }))
                    .collect()
            })
            .collect();
        Ok(remap(
            || Op::new("reverse").attr("axes", axes),
            self,
            &tables,
            0.0,
        ))
    }

    /// Alias of [`Tensor::reverse`] (NumPy's `flip`).
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![1i32, 2], &[2]).unwrap();
    /// assert_eq!(x.flip(&[0]).unwrap().to_vec::<i32>().unwrap(), vec![2, 1]);
    /// ```
    pub fn flip(&self, axes: &[isize]) -> Result<Tensor> {
        self.reverse(axes)
    }

    /// Rolls elements by `shifts[i]` along `axes[i]` (`tf.roll`); shifts on the same axis add.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![1i32, 2, 3], &[3]).unwrap();
    /// assert_eq!(x.roll(&[1], &[0]).unwrap().to_vec::<i32>().unwrap(), vec![3, 1, 2]);
    /// ```
    pub fn roll(&self, shifts: &[isize], axes: &[isize]) -> Result<Tensor> {
        if shifts.len() != axes.len() {
            return Err(Error::arg(
                "roll",
                format!("shift {shifts:?} and axis {axes:?} must have the same length"),
            ));
        }
        let mut total = vec![0isize; self.rank()];
        for (&s, &a) in shifts.iter().zip(axes) {
            total[normalize_axis("roll", a, self.rank())?] += s;
        }
        let tables: Vec<Vec<Option<usize>>> = (0..self.rank())
            .map(|d| {
                let n = self.shape()[d] as isize;
                (0..n)
                    .map(|i| {
                        Some(if n == 0 {
                            0
                        } else {
                            (i - total[d]).rem_euclid(n) as usize
                        })
                    })
                    .collect()
            })
            .collect();
        Ok(remap(
            || Op::new("roll").attr("shifts", shifts).attr("axes", axes),
            self,
            &tables,
            0.0,
        ))
    }
}

impl Tensor {
    /// NumPy's `x[a:b]`: the rows `range` of the first axis, every other axis whole (a
    /// view sharing storage). A range past the end is an `Err` naming the shape.
    ///
    /// ```
    /// use kiln_tensor::{DType, Tensor};
    /// let x = Tensor::arange(0.0, 12.0, 1.0, DType::F32)?.reshape(&[6, 2])?;
    /// assert_eq!(x.rows(..2)?.to_vec::<f32>()?, vec![0.0, 1.0, 2.0, 3.0]);
    /// assert_eq!(x.rows(4..)?.shape(), &[2, 2]);
    /// assert!(x.rows(5..8).is_err());
    /// # Ok::<(), kiln_tensor::Error>(())
    /// ```
    pub fn rows(&self, range: impl std::ops::RangeBounds<usize>) -> Result<Tensor> {
        use std::ops::Bound;
        let n = self
            .shape()
            .first()
            .copied()
            .ok_or_else(|| Error::shape("rows", "a scalar has no rows"))?;
        let start = match range.start_bound() {
            Bound::Included(&s) => s,
            Bound::Excluded(&s) => s + 1,
            Bound::Unbounded => 0,
        };
        let end = match range.end_bound() {
            Bound::Included(&e) => e + 1,
            Bound::Excluded(&e) => e,
            Bound::Unbounded => n,
        };
        if start > end || end > n {
            return Err(Error::arg(
                "rows",
                format!(
                    "the range {start}..{end} does not fit the first axis of shape {:?}",
                    self.shape()
                ),
            ));
        }
        let mut begin = vec![0isize; self.rank()];
        let mut size = vec![-1isize; self.rank()];
        begin[0] = start as isize;
        size[0] = (end - start) as isize;
        self.slice(&begin, &size)
    }
}
