//! Indexing: gather, gather_nd, scatter_nd_add, unsorted_segment_sum, one_hot, top_k,
//! sort and argsort. Indices are int32/int64 tensors; an out-of-range index is an error
//! naming the index and the dimension (TF's CPU kernels raise too).

use crate::autodiff::Op;
use std::cmp::Ordering;
use std::sync::Arc;

use crate::ops::gather_map::{index_values, scatter_as, scatter_flat, take_as, FILL};
use crate::ops::record_nograd;
use crate::shape::{fmt_shape, normalize_axis, numel};
use crate::storage::with_any_dtype;
use crate::{with_dtype, DType, Element, Error, Result, Tensor};

fn check_index(op: &'static str, i: i64, dim: usize) -> Result<usize> {
    if i < 0 || i as usize >= dim {
        return Err(Error::arg(op, format!("index {i} is out of range for a dimension of size {dim} (expected 0 <= index < {dim})")));
    }
    Ok(i as usize)
}

/// Index maps of gather_nd: for each index tuple, the flat offset of the selected slice,
/// plus the slice length.
fn nd_offsets(
    op: &'static str,
    shape: &[usize],
    indices: &Tensor,
) -> Result<(Vec<usize>, usize, Vec<usize>)> {
    let m = *indices
        .shape()
        .last()
        .ok_or_else(|| Error::shape(op, "indices must have rank >= 1"))?;
    if m > shape.len() {
        return Err(Error::shape(
            op,
            format!(
                "index depth {m} (last dim of indices {}) exceeds the rank of {}",
                fmt_shape(indices.shape()),
                fmt_shape(shape)
            ),
        ));
    }
    let idx = index_values(op, indices)?;
    let strides = crate::shape::contiguous_strides(shape);
    let slice_len: usize = shape[m..].iter().product();
    let mut offs = Vec::with_capacity(idx.len() / m.max(1));
    for tuple in idx.chunks(m.max(1)) {
        let mut off = 0;
        for (d, &i) in tuple.iter().enumerate().take(m) {
            off += check_index(op, i, shape[d])? * strides[d] as usize;
        }
        offs.push(off);
    }
    if m == 0 {
        offs = vec![0; numel(&indices.shape()[..indices.rank() - 1])];
    }
    let out_tail = shape[m..].to_vec();
    Ok((offs, slice_len, out_tail))
}

fn descending_cmp<T: Element>(a: &T, b: &T) -> Ordering {
    // NaN sorts above every number (as NumPy's sort puts NaN last ascending).
    match (a.to_f64().is_nan(), b.to_f64().is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        _ => b.partial_cmp(a).unwrap_or(Ordering::Equal),
    }
}

impl Tensor {
    /// Gathers slices along `axis` by `indices` (`tf.gather`, batch_dims 0): the output
    /// shape is `self.shape[:axis] + indices.shape + self.shape[axis+1:]`.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]).unwrap();
    /// let i = Tensor::from_vec(vec![2i64, 0], &[2]).unwrap();
    /// assert_eq!(x.gather(&i, 0).unwrap().to_vec::<f32>().unwrap(), vec![5.0, 6.0, 1.0, 2.0]);
    /// assert!(x.gather(&Tensor::from_vec(vec![3i64], &[1]).unwrap(), 0).is_err());
    /// ```
    pub fn gather(&self, indices: &Tensor, axis: isize) -> Result<Tensor> {
        self.gather_batched(indices, axis, 0)
    }

    /// `tf.gather` with `batch_dims`: the first `batch_dims` dimensions of `self` and
    /// `indices` are matched element by element.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1i32, 2, 3, 4], &[2, 2]).unwrap();
    /// let i = Tensor::from_vec(vec![1i32, 0], &[2, 1]).unwrap();
    /// assert_eq!(x.gather_batched(&i, 1, 1).unwrap().to_vec::<i32>().unwrap(), vec![2, 3]);
    /// ```
    pub fn gather_batched(
        &self,
        indices: &Tensor,
        axis: isize,
        batch_dims: usize,
    ) -> Result<Tensor> {
        let op = "gather";
        let ax = normalize_axis(op, axis, self.rank())?;
        if batch_dims > ax
            || batch_dims > indices.rank()
            || self.shape()[..batch_dims] != indices.shape()[..batch_dims]
        {
            return Err(Error::shape(
                op,
                format!(
                    "batch_dims {batch_dims} must be <= axis {ax} and match leading dims of params {} and indices {}",
                    fmt_shape(self.shape()),
                    fmt_shape(indices.shape())
                ),
            ));
        }
        let idx = index_values(op, indices)?;
        let dim = self.shape()[ax];
        if batch_dims == 0 && ax == 0 {
            return self.gather_rows(&idx, indices);
        }
        let batch: usize = self.shape()[..batch_dims].iter().product();
        let outer: usize = self.shape()[batch_dims..ax].iter().product();
        let inner: usize = self.shape()[ax + 1..].iter().product();
        let per_batch_idx = idx.len() / batch.max(1);
        let mut map = Vec::with_capacity(batch * outer * per_batch_idx * inner);
        for b in 0..batch {
            for o in 0..outer {
                let base = (b * outer + o) * dim * inner;
                for &i in &idx[b * per_batch_idx..(b + 1) * per_batch_idx] {
                    let i = check_index(op, i, dim)?;
                    map.extend((0..inner).map(|k| base + i * inner + k));
                }
            }
        }
        let mut shape = self.shape()[..ax].to_vec();
        shape.extend_from_slice(&indices.shape()[batch_dims..]);
        shape.extend_from_slice(&self.shape()[ax + 1..]);
        Ok(take_as(
            || {
                Op::new("gather")
                    .attr("axis", axis)
                    .attr("batch_dims", batch_dims)
            },
            self,
            Arc::new(map),
            shape,
            0.0,
            vec![indices],
        ))
    }

    /// Axis-0 gather by whole-row copies (the mini-batch path of every training loop); the
    /// gradient scatters rows back, built from ops so higher derivatives work.
    fn gather_rows(&self, idx: &[i64], indices: &Tensor) -> Result<Tensor> {
        let idx_shape = indices.shape();
        let op = "gather";
        let dim = self.shape()[0];
        let inner: usize = self.shape()[1..].iter().product();
        let rows: Vec<usize> = idx
            .iter()
            .map(|&i| check_index(op, i, dim))
            .collect::<Result<_>>()?;
        let mut shape = idx_shape.to_vec();
        shape.extend_from_slice(&self.shape()[1..]);
        let out = with_any_dtype!(self.dtype(), T => {
            let src = self.stored::<T>();
            let mut v: Vec<T> = Vec::with_capacity(rows.len() * inner);
            for &r in &rows {
                v.extend_from_slice(&src[r * inner..(r + 1) * inner]);
            }
            Tensor::from_stored(v, shape)
        });
        let in_shape = self.shape().to_vec();
        let rows = Arc::new(rows);
        Ok(crate::ops::record(
            || {
                Op::new("gather")
                    .attr("axis", 0i64)
                    .attr("batch_dims", 0i64)
            },
            &[self, indices],
            out,
            move |g| {
                let map: Vec<usize> = rows
                    .iter()
                    .flat_map(|&r| r * inner..(r + 1) * inner)
                    .collect();
                Ok(vec![
                    Some(scatter_flat(g, Arc::new(map), in_shape.clone())?),
                    None,
                ])
            },
        ))
    }

    /// `tf.gather_nd`: each row of `indices` (last dimension) addresses a slice of `self`.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1i32, 2, 3, 4], &[2, 2]).unwrap();
    /// let i = Tensor::from_vec(vec![1i32, 0, 0, 1], &[2, 2]).unwrap();
    /// assert_eq!(x.gather_nd(&i).unwrap().to_vec::<i32>().unwrap(), vec![3, 2]);
    /// ```
    pub fn gather_nd(&self, indices: &Tensor) -> Result<Tensor> {
        let (offs, len, tail) = nd_offsets("gather_nd", self.shape(), indices)?;
        let map: Vec<usize> = offs.iter().flat_map(|&o| o..o + len).collect();
        let mut shape = indices.shape()[..indices.rank() - 1].to_vec();
        shape.extend(tail);
        Ok(take_as(
            || Op::new("gather_nd"),
            self,
            Arc::new(map),
            shape,
            0.0,
            vec![indices],
        ))
    }

    /// `tf.tensor_scatter_nd_add`: `self` plus `updates` added at the slices `indices`
    /// address (repeated indices accumulate).
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::zeros(&[3], kiln_tensor::DType::F32);
    /// let i = Tensor::from_vec(vec![1i32, 1], &[2, 1]).unwrap();
    /// let u = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
    /// assert_eq!(x.scatter_nd_add(&i, &u).unwrap().to_vec::<f32>().unwrap(), vec![0.0, 3.0, 0.0]);
    /// ```
    pub fn scatter_nd_add(&self, indices: &Tensor, updates: &Tensor) -> Result<Tensor> {
        let op = "scatter_nd_add";
        crate::ops::same_dtype(op, self, updates)?;
        let (offs, len, tail) = nd_offsets(op, self.shape(), indices)?;
        let mut want = indices.shape()[..indices.rank() - 1].to_vec();
        want.extend(tail);
        if updates.shape() != want.as_slice() {
            return Err(Error::shape(
                op,
                format!(
                    "updates have shape {} but indices {} into {} need {}",
                    fmt_shape(updates.shape()),
                    fmt_shape(indices.shape()),
                    fmt_shape(self.shape()),
                    fmt_shape(&want)
                ),
            ));
        }
        let map: Vec<usize> = offs.iter().flat_map(|&o| o..o + len).collect();
        let scattered =
            crate::ops::gather_map::scatter_kernel(updates, &map, self.shape().to_vec())?;
        let out =
            crate::ops::binary::numeric_binary(op, self, &scattered, crate::ops::binary::AddK)?;
        let idx = indices.clone();
        Ok(crate::ops::record(
            || Op::new("scatter_nd_add"),
            &[self, indices, updates],
            out,
            move |g| Ok(vec![Some(g.clone()), None, Some(g.gather_nd(&idx)?)]),
        ))
    }

    /// `tf.math.unsorted_segment_sum`: sums the slices of `self` whose `segment_ids`
    /// (shaped like a prefix of `self`) are equal. Negative ids are dropped (as TF); ids
    /// `>= num_segments` are an error.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]).unwrap();
    /// let ids = Tensor::from_vec(vec![0i32, 1, 0], &[3]).unwrap();
    /// assert_eq!(x.unsorted_segment_sum(&ids, 2).unwrap().to_vec::<f32>().unwrap(), vec![4.0, 2.0]);
    /// ```
    pub fn unsorted_segment_sum(
        &self,
        segment_ids: &Tensor,
        num_segments: usize,
    ) -> Result<Tensor> {
        let op = "unsorted_segment_sum";
        let k = segment_ids.rank();
        if k > self.rank() || self.shape()[..k] != *segment_ids.shape() {
            return Err(Error::shape(
                op,
                format!(
                    "segment_ids shape {} must be a prefix of data shape {}",
                    fmt_shape(segment_ids.shape()),
                    fmt_shape(self.shape())
                ),
            ));
        }
        let ids = index_values(op, segment_ids)?;
        let inner: usize = self.shape()[k..].iter().product();
        let mut map = Vec::with_capacity(ids.len() * inner);
        for &id in &ids {
            if id < 0 {
                map.extend(std::iter::repeat_n(FILL, inner));
            } else {
                let s = check_index(op, id, num_segments)?;
                map.extend((0..inner).map(|j| s * inner + j));
            }
        }
        let mut shape = vec![num_segments];
        shape.extend_from_slice(&self.shape()[k..]);
        scatter_as(
            || Op::new("unsorted_segment_sum").attr("num_segments", num_segments),
            self,
            Arc::new(map),
            shape,
            vec![segment_ids],
        )
    }

    /// One-hot encoding of an integer tensor (`tf.one_hot`): a new axis of size `depth` at
    /// `axis` (-1 = last) holding `on_value` at the index and `off_value` elsewhere; an
    /// index outside `[0, depth)` gives an all-`off_value` row, as TF.
    ///
    /// ```
    /// use kiln_tensor::{DType, Tensor};
    /// let i = Tensor::from_vec(vec![0i64, 2, -1], &[3]).unwrap();
    /// let y = i.one_hot(3, 1.0, 0.0, -1, DType::F32).unwrap();
    /// assert_eq!(y.to_vec::<f32>().unwrap(), vec![1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]);
    /// ```
    pub fn one_hot(
        &self,
        depth: usize,
        on_value: f64,
        off_value: f64,
        axis: isize,
        dtype: DType,
    ) -> Result<Tensor> {
        let op = "one_hot";
        crate::ops::require_numeric(op, dtype)?;
        let idx = index_values(op, self)?;
        let ax = normalize_axis(op, axis, self.rank() + 1)?;
        let outer: usize = self.shape()[..ax].iter().product();
        let inner: usize = self.shape()[ax..].iter().product();
        let mut v = vec![off_value; outer * depth * inner];
        for o in 0..outer {
            for j in 0..inner {
                let i = idx[o * inner + j];
                if i >= 0 && (i as usize) < depth {
                    v[(o * depth + i as usize) * inner + j] = on_value;
                }
            }
        }
        let mut shape = self.shape().to_vec();
        shape.insert(ax, depth);
        let out = Tensor::from_vec_unchecked(v, shape).cast_unrecorded(dtype);
        Ok(record_nograd(
            || {
                Op::new("one_hot")
                    .attr("depth", depth)
                    .attr("on_value", on_value)
                    .attr("off_value", off_value)
                    .attr("axis", axis)
                    .attr("dtype", dtype)
            },
            &[self],
            out,
        ))
    }

    /// Stable ordering indices along `axis` (`tf.argsort`, int32 result); ties keep their
    /// original order in both directions. NaN sorts as the largest value.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![3.0f32, 1.0, 2.0], &[3]).unwrap();
    /// assert_eq!(x.argsort(-1, false).unwrap().to_vec::<i32>().unwrap(), vec![1, 2, 0]);
    /// assert_eq!(x.argsort(-1, true).unwrap().to_vec::<i32>().unwrap(), vec![0, 2, 1]);
    /// ```
    pub fn argsort(&self, axis: isize, descending: bool) -> Result<Tensor> {
        let (order, _) = self.sort_order("argsort", axis, descending)?;
        let ax = normalize_axis("argsort", axis, self.rank())?;
        let inner: usize = self.shape()[ax + 1..].iter().product();
        let n = self.shape()[ax];
        // order holds flat source offsets; convert to positions along the axis.
        let pos: Vec<i32> = order
            .iter()
            .map(|&f| ((f / inner) % n.max(1)) as i32)
            .collect();
        let out = Tensor::from_vec_unchecked(pos, self.shape().to_vec());
        Ok(record_nograd(
            || {
                Op::new("argsort")
                    .attr("axis", axis)
                    .attr("descending", descending)
            },
            &[self],
            out,
        ))
    }

    /// Sorted values along `axis` (`tf.sort`); the gradient flows back to the original
    /// positions.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![3i32, 1, 2], &[3]).unwrap();
    /// assert_eq!(x.sort(0, false).unwrap().to_vec::<i32>().unwrap(), vec![1, 2, 3]);
    /// ```
    pub fn sort(&self, axis: isize, descending: bool) -> Result<Tensor> {
        let (order, _) = self.sort_order("sort", axis, descending)?;
        Ok(take_as(
            || {
                Op::new("sort")
                    .attr("axis", axis)
                    .attr("descending", descending)
            },
            self,
            Arc::new(order),
            self.shape().to_vec(),
            0.0,
            Vec::new(),
        ))
    }

    /// The `k` largest entries of the last axis and their indices (int32), as
    /// `tf.math.top_k` with `sorted=True`; ties go to the lower index first.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![1.0f32, 3.0, 2.0], &[3]).unwrap();
    /// let (v, i) = x.top_k(2).unwrap();
    /// assert_eq!(v.to_vec::<f32>().unwrap(), vec![3.0, 2.0]);
    /// assert_eq!(i.to_vec::<i32>().unwrap(), vec![1, 2]);
    /// ```
    pub fn top_k(&self, k: usize) -> Result<(Tensor, Tensor)> {
        if self.rank() == 0 {
            return Err(Error::shape("top_k", "input must have rank >= 1"));
        }
        let n = *self.shape().last().expect("rank >= 1");
        if k > n {
            return Err(Error::arg(
                "top_k",
                format!(
                    "k = {k} is larger than the last dimension ({n}) of shape {}",
                    fmt_shape(self.shape())
                ),
            ));
        }
        let (order, _) = self.sort_order("top_k", -1, true)?;
        let rows = self.numel() / n.max(1);
        let mut map = Vec::with_capacity(rows * k);
        let mut idx = Vec::with_capacity(rows * k);
        for r in 0..rows {
            for &f in &order[r * n..r * n + k] {
                map.push(f);
                idx.push((f - r * n) as i32);
            }
        }
        let mut shape = self.shape().to_vec();
        *shape.last_mut().expect("rank >= 1") = k;
        let values = take_as(
            || Op::new("top_k_values").attr("k", k),
            self,
            Arc::new(map),
            shape.clone(),
            0.0,
            Vec::new(),
        );
        let indices = record_nograd(
            || Op::new("top_k_indices").attr("k", k),
            &[self],
            Tensor::from_vec_unchecked(idx, shape),
        );
        Ok((values, indices))
    }

    /// Flat row-major source offsets of the sorted elements along `axis` (stable).
    fn sort_order(
        &self,
        op: &'static str,
        axis: isize,
        descending: bool,
    ) -> Result<(Vec<usize>, usize)> {
        if self.rank() == 0 {
            return Err(Error::shape(op, "input must have rank >= 1"));
        }
        if matches!(self.dtype(), DType::Bool | DType::String) {
            return Err(Error::dtype(
                op,
                format!(
                    "{} tensors cannot be sorted; expected a numeric tensor",
                    self.dtype().name()
                ),
            ));
        }
        let ax = normalize_axis(op, axis, self.rank())?;
        let n = self.shape()[ax];
        let inner: usize = self.shape()[ax + 1..].iter().product();
        let outer: usize = self.shape()[..ax].iter().product();
        let mut order = vec![0usize; self.numel()];
        with_dtype!(self.dtype(), T => {
            let d = self.data::<T>();
            let mut lane: Vec<usize> = Vec::with_capacity(n);
            for o in 0..outer {
                for j in 0..inner {
                    lane.clear();
                    lane.extend((0..n).map(|i| (o * n + i) * inner + j));
                    if descending {
                        lane.sort_by(|&a, &b| descending_cmp(&d[a], &d[b]));
                    } else {
                        lane.sort_by(|&a, &b| descending_cmp(&d[b], &d[a]));
                    }
                    for (i, &f) in lane.iter().enumerate() {
                        order[(o * n + i) * inner + j] = f;
                    }
                }
            }
        }, string => ());
        Ok((order, n))
    }
}
