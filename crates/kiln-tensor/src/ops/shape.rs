//! Shape ops that are views: reshape, transpose, broadcast_to, expand_dims, squeeze.

use crate::autodiff::Op;
use crate::ops::{record, unbroadcast};
use crate::shape::{broadcast_shapes, contiguous_strides, fmt_shape, normalize_axis, numel};
use crate::{Error, Result, Tensor};

impl Tensor {
    /// Same elements in a new shape; one dimension may be `-1` (inferred). A view when
    /// the layout allows, a copy otherwise.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::arange(0.0, 6.0, 1.0, kiln_tensor::DType::F32).unwrap();
    /// assert_eq!(x.reshape(&[2, -1]).unwrap().shape(), &[2, 3]);
    /// assert!(x.reshape(&[4, -1]).is_err());
    /// ```
    pub fn reshape(&self, shape: &[isize]) -> Result<Tensor> {
        let new_shape = infer_shape("reshape", self.shape(), shape)?;
        let out = if self.is_contiguous() {
            self.view(
                new_shape.clone(),
                contiguous_strides(&new_shape),
                self.offset(),
            )
        } else {
            let c = self.contiguous_unrecorded();
            c.view(
                new_shape.clone(),
                contiguous_strides(&new_shape),
                c.offset(),
            )
        };
        let old: Vec<isize> = self.shape().iter().map(|&d| d as isize).collect();
        Ok(record(
            || Op::new("reshape").attr("shape", shape),
            &[self],
            out,
            move |g| Ok(vec![Some(g.reshape(&old)?)]),
        ))
    }

    /// Permutes dimensions (`tf.transpose`); `None` reverses them. A view, no copy.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::zeros(&[2, 3, 4], kiln_tensor::DType::F32);
    /// assert_eq!(x.transpose(Some(&[1, 0, 2])).unwrap().shape(), &[3, 2, 4]);
    /// assert_eq!(x.transpose(None).unwrap().shape(), &[4, 3, 2]);
    /// assert!(x.transpose(Some(&[0, 0, 1])).is_err());
    /// ```
    pub fn transpose(&self, perm: Option<&[usize]>) -> Result<Tensor> {
        let rank = self.rank();
        let perm: Vec<usize> = match perm {
            Some(p) => p.to_vec(),
            None => (0..rank).rev().collect(),
        };
        let mut seen = vec![false; rank];
        if perm.len() != rank
            || perm
                .iter()
                .any(|&p| p >= rank || std::mem::replace(&mut seen[p], true))
        {
            return Err(Error::axis(
                "transpose",
                format!(
                    "perm {:?} is not a permutation of 0..{} for shape {}",
                    perm,
                    rank,
                    fmt_shape(self.shape())
                ),
            ));
        }
        let shape = perm.iter().map(|&p| self.shape()[p]).collect();
        let strides = perm.iter().map(|&p| self.strides()[p]).collect();
        let out = self.view(shape, strides, self.offset());
        let mut inv = vec![0usize; rank];
        for (i, &p) in perm.iter().enumerate() {
            inv[p] = i;
        }
        Ok(record(
            || Op::new("transpose").attr("perm", perm.as_slice()),
            &[self],
            out,
            move |g| Ok(vec![Some(g.transpose(Some(&inv))?)]),
        ))
    }

    /// Alias of [`Tensor::transpose`] with an explicit permutation (PyTorch's name).
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::zeros(&[2, 3], kiln_tensor::DType::F32);
    /// assert_eq!(x.permute(&[1, 0]).unwrap().shape(), &[3, 2]);
    /// ```
    pub fn permute(&self, perm: &[usize]) -> Result<Tensor> {
        self.transpose(Some(perm))
    }

    /// Broadcasts to `shape` (NumPy rules) as a stride-0 view.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let b = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
    /// let t = b.broadcast_to(&[3, 2]).unwrap();
    /// assert_eq!(t.to_vec::<f32>().unwrap(), vec![1.0, 2.0, 1.0, 2.0, 1.0, 2.0]);
    /// assert!(b.broadcast_to(&[3]).is_err());
    /// ```
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Tensor> {
        let b = broadcast_shapes("broadcast_to", self.shape(), shape)?;
        if b != shape {
            return Err(Error::shape(
                "broadcast_to",
                format!(
                    "cannot broadcast shape {} to {}",
                    fmt_shape(self.shape()),
                    fmt_shape(shape)
                ),
            ));
        }
        if self.shape() == shape {
            return Ok(self.identity());
        }
        let strides = crate::cpu::map::broadcast_strides(self, shape);
        let out = self.view(shape.to_vec(), strides, self.offset());
        let orig = self.shape().to_vec();
        Ok(record(
            || Op::new("broadcast_to").attr("shape", shape),
            &[self],
            out,
            move |g| Ok(vec![Some(unbroadcast(g, &orig)?)]),
        ))
    }

    /// Inserts a size-1 dimension at `axis` (`-1` appends).
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::zeros(&[2, 3], kiln_tensor::DType::F32);
    /// assert_eq!(x.expand_dims(0).unwrap().shape(), &[1, 2, 3]);
    /// assert_eq!(x.expand_dims(-1).unwrap().shape(), &[2, 3, 1]);
    /// ```
    pub fn expand_dims(&self, axis: isize) -> Result<Tensor> {
        let a = normalize_axis("expand_dims", axis, self.rank() + 1)?;
        let mut shape: Vec<isize> = self.shape().iter().map(|&d| d as isize).collect();
        shape.insert(a, 1);
        self.reshape(&shape)
    }

    /// Removes size-1 dimensions: the listed `axes` (each must be size 1), or all when empty.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::zeros(&[1, 2, 1], kiln_tensor::DType::F32);
    /// assert_eq!(x.squeeze(&[]).unwrap().shape(), &[2]);
    /// assert_eq!(x.squeeze(&[0]).unwrap().shape(), &[2, 1]);
    /// assert!(x.squeeze(&[1]).is_err());
    /// ```
    pub fn squeeze(&self, axes: &[isize]) -> Result<Tensor> {
        let rank = self.rank();
        let drop: Vec<usize> = if axes.is_empty() {
            (0..rank).filter(|&i| self.shape()[i] == 1).collect()
        } else {
            let mut v = Vec::new();
            for &a in axes {
                let n = normalize_axis("squeeze", a, rank)?;
                if self.shape()[n] != 1 {
                    return Err(Error::shape(
                        "squeeze",
                        format!(
                            "cannot squeeze axis {a} of shape {}: its size is {}, not 1",
                            fmt_shape(self.shape()),
                            self.shape()[n]
                        ),
                    ));
                }
                v.push(n);
            }
            v
        };
        let shape: Vec<isize> = (0..rank)
            .filter(|i| !drop.contains(i))
            .map(|i| self.shape()[i] as isize)
            .collect();
        self.reshape(&shape)
    }
}

/// Resolves a target shape with at most one `-1` against `from`'s element count.
pub(crate) fn infer_shape(op: &'static str, from: &[usize], shape: &[isize]) -> Result<Vec<usize>> {
    let n = numel(from);
    let mut unknown = None;
    let mut known = 1usize;
    for (i, &d) in shape.iter().enumerate() {
        if d == -1 {
            if unknown.replace(i).is_some() {
                return Err(Error::shape(
                    op,
                    format!("only one dimension may be -1, got {shape:?}"),
                ));
            }
        } else if d < 0 {
            return Err(Error::shape(
                op,
                format!("negative dimension {d} in {shape:?}"),
            ));
        } else {
            known = known.saturating_mul(d as usize);
        }
    }
    let mut out: Vec<usize> = shape.iter().map(|&d| d.max(0) as usize).collect();
    if let Some(i) = unknown {
        if known == 0 || !n.is_multiple_of(known) {
            return Err(Error::shape(
                op,
                format!(
                    "cannot reshape a tensor of shape {} ({n} elements) into {shape:?}",
                    fmt_shape(from)
                ),
            ));
        }
        out[i] = n / known;
    } else if known != n {
        return Err(Error::shape(
            op,
            format!("cannot reshape a tensor of shape {} ({n} elements) into {shape:?} ({known} elements)", fmt_shape(from)),
        ));
    }
    Ok(out)
}
