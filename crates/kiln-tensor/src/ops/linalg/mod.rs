//! Linear algebra: `matmul` (batched, broadcast, transposed and strided operands),
//! `tensordot`, `einsum` and `outer`.
//!
//! Products go to the strided GEMM in `crate::cpu::gemm`: transposes and slices are
//! passed as strides, not copied (only a matrix strided in both directions is made
//! contiguous once). `tensordot` and `einsum` reduce every contraction to
//! permutations (views), merges of adjacent dimensions (views whenever the strides allow)
//! and one batched matmul per pair of operands.

use crate::autodiff::Op;
use std::collections::HashMap;

use crate::cpu::gemm::{matmul_kernel, MatmulPlan};
use crate::ops::{needs_grad, record, same_dtype, unbroadcast};
use crate::shape::{broadcast_shapes, fmt_shape, normalize_axis, numel};
use crate::{Error, Result, Tensor};

/// Labels of tensor axes during a contraction (einsum letters, or synthetic ids).
type Label = u32;

/// Ellipsis dimensions get labels from here up (right-aligned across operands).
const ELLIPSIS_BASE: Label = 1 << 20;

impl Tensor {
    /// Matrix product with NumPy's `matmul` semantics (`np.matmul`, `tf.linalg.matmul`,
    /// the `@` operator): 2-D operands multiply as matrices; N-D operands are stacks of
    /// matrices in the last two dimensions whose batch dimensions broadcast; a 1-D first
    /// operand is a row vector and a 1-D second operand a column vector, and that
    /// dimension is removed from the result. Dtypes must match. Transposed or sliced
    /// operands are read in place.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
    /// let b = Tensor::from_vec(vec![1.0f32, 0.0, 0.0, 1.0, 1.0, 1.0], &[3, 2]).unwrap();
    /// let c = a.matmul(&b).unwrap();
    /// assert_eq!(c.shape(), &[2, 2]);
    /// assert_eq!(c.to_vec::<f32>().unwrap(), vec![4.0, 5.0, 10.0, 11.0]);
    /// // A vector on the right: the result is a vector.
    /// let v = Tensor::from_vec(vec![1.0f32, 1.0, 1.0], &[3]).unwrap();
    /// assert_eq!(a.matmul(&v).unwrap().to_vec::<f32>().unwrap(), vec![6.0, 15.0]);
    /// // Inner dimensions must agree.
    /// assert!(a.matmul(&a).is_err());
    /// ```
    pub fn matmul(&self, other: &Tensor) -> Result<Tensor> {
        let op = "matmul";
        same_dtype(op, self, other)?;
        if self.rank() == 0 || other.rank() == 0 {
            return Err(Error::shape(
                op,
                format!(
                    "operands must have rank >= 1, got shapes {} and {}",
                    fmt_shape(self.shape()),
                    fmt_shape(other.shape())
                ),
            ));
        }
        let (a1, b1) = (self.rank() == 1, other.rank() == 1);
        if !a1 && !b1 {
            return self.matmul_t(other, false, false);
        }
        let ka = self.shape()[self.rank() - 1];
        let kb = if b1 {
            other.shape()[0]
        } else {
            other.shape()[other.rank() - 2]
        };
        if ka != kb {
            return Err(inner_mismatch(op, self, other, false, false, ka, kb));
        }
        let a = if a1 {
            self.reshape(&[1, ka as isize])?
        } else {
            self.clone()
        };
        let b = if b1 {
            other.reshape(&[kb as isize, 1])?
        } else {
            other.clone()
        };
        let out = a.matmul_t(&b, false, false)?;
        let r = out.rank();
        let mut shape: Vec<isize> = out.shape()[..r - 2].iter().map(|&d| d as isize).collect();
        if !a1 {
            shape.push(out.shape()[r - 2] as isize);
        }
        if !b1 {
            shape.push(out.shape()[r - 1] as isize);
        }
        out.reshape(&shape)
    }

    /// `tf.linalg.matmul(a, b, transpose_a, transpose_b)`: the product of the last two
    /// dimensions of each operand, either of which may be transposed first (for free: the
    /// GEMM reads the transposed strides). Both operands need rank >= 2; batch dimensions
    /// broadcast. The gradient of a broadcast batch dimension is summed.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]).unwrap();
    /// // a^T (2x3) times a (3x2)
    /// let g = a.matmul_t(&a, true, false).unwrap();
    /// assert_eq!(g.to_vec::<f64>().unwrap(), vec![35.0, 44.0, 44.0, 56.0]);
    /// let batch = Tensor::ones(&[4, 5, 3], kiln_tensor::DType::F64);
    /// assert_eq!(batch.matmul_t(&a, false, false).unwrap().shape(), &[4, 5, 2]);
    /// ```
    pub fn matmul_t(&self, other: &Tensor, transpose_a: bool, transpose_b: bool) -> Result<Tensor> {
        let op = "matmul";
        same_dtype(op, self, other)?;
        crate::ops::require_numeric(op, self.dtype())?;
        if self.rank() < 2 || other.rank() < 2 {
            return Err(Error::shape(
                op,
                format!(
                    "matmul_t needs operands of rank >= 2, got shapes {} and {} (use matmul for vectors)",
                    fmt_shape(self.shape()),
                    fmt_shape(other.shape())
                ),
            ));
        }
        let (sa, sb) = (self.shape(), other.shape());
        let (ra, rb) = (sa.len(), sb.len());
        let (m, ka) = if transpose_a {
            (sa[ra - 1], sa[ra - 2])
        } else {
            (sa[ra - 2], sa[ra - 1])
        };
        let (kb, n) = if transpose_b {
            (sb[rb - 1], sb[rb - 2])
        } else {
            (sb[rb - 2], sb[rb - 1])
        };
        if ka != kb {
            return Err(inner_mismatch(
                op,
                self,
                other,
                transpose_a,
                transpose_b,
                ka,
                kb,
            ));
        }
        let batch = broadcast_shapes(op, &sa[..ra - 2], &sb[..rb - 2]).map_err(|_| {
            Error::shape(
                op,
                format!(
                    "batch dimensions {} of a (shape {}) and {} of b (shape {}) cannot be broadcast together",
                    fmt_shape(&sa[..ra - 2]),
                    fmt_shape(sa),
                    fmt_shape(&sb[..rb - 2]),
                    fmt_shape(sb)
                ),
            )
        })?;
        let plan = MatmulPlan {
            batch,
            m,
            n,
            k: ka,
            transpose_a,
            transpose_b,
        };
        let out = matmul_kernel(self, other, &plan);
        let (a, b) = (self.clone(), other.clone());
        // An operand no tape watches (input data, say) never needs its gradient: skip
        // that product in the backward pass.
        let need = [needs_grad(&[self]), needs_grad(&[other])];
        Ok(record(
            || {
                Op::new("matmul")
                    .attr("transpose_a", transpose_a)
                    .attr("transpose_b", transpose_b)
            },
            &[self, other],
            out,
            move |g| {
                let (ga, gb) = matmul_grads(&a, &b, g, transpose_a, transpose_b, need)?;
                Ok(vec![
                    ga.map(|t| unbroadcast(&t, a.shape())).transpose()?,
                    gb.map(|t| unbroadcast(&t, b.shape())).transpose()?,
                ])
            },
        ))
    }

    /// `tf.tensordot(a, b, axes=n)`: contracts the last `n` axes of `self` with the first
    /// `n` axes of `other`. The result has the remaining axes of `self` then of `other`;
    /// `n = 0` is the outer product.
    ///
    /// ```
    /// use kiln_tensor::{DType, Tensor};
    /// let a = Tensor::ones(&[2, 3, 4], DType::F32);
    /// let b = Tensor::ones(&[3, 4, 5], DType::F32);
    /// let c = a.tensordot(&b, 2).unwrap();
    /// assert_eq!(c.shape(), &[2, 5]);
    /// assert_eq!(c.to_vec::<f32>().unwrap()[0], 12.0);
    /// assert!(a.tensordot(&b, 1).is_err()); // 4 vs 3
    /// ```
    pub fn tensordot(&self, other: &Tensor, axes: usize) -> Result<Tensor> {
        let op = "tensordot";
        if axes > self.rank() || axes > other.rank() {
            return Err(Error::axis(
                op,
                format!(
                    "axes={axes} exceeds the rank of a (shape {}) or b (shape {})",
                    fmt_shape(self.shape()),
                    fmt_shape(other.shape())
                ),
            ));
        }
        let a_axes: Vec<usize> = (self.rank() - axes..self.rank()).collect();
        let b_axes: Vec<usize> = (0..axes).collect();
        tensordot_impl(self, other, &a_axes, &b_axes)
    }

    /// `tf.tensordot(a, b, axes=[a_axes, b_axes])`: contracts axis `a_axes[i]` of `self`
    /// with axis `b_axes[i]` of `other` (negative axes count from the end). The result
    /// has the remaining axes of `self` then of `other`, each in their original order.
    ///
    /// ```
    /// use kiln_tensor::{DType, Tensor};
    /// let a = Tensor::ones(&[4, 3], DType::F64);
    /// let b = Tensor::ones(&[5, 4], DType::F64);
    /// assert_eq!(a.tensordot_axes(&b, &[0], &[-1]).unwrap().shape(), &[3, 5]);
    /// assert!(a.tensordot_axes(&b, &[0], &[0]).is_err()); // 4 vs 5
    /// ```
    pub fn tensordot_axes(
        &self,
        other: &Tensor,
        a_axes: &[isize],
        b_axes: &[isize],
    ) -> Result<Tensor> {
        let op = "tensordot";
        if a_axes.len() != b_axes.len() {
            return Err(Error::axis(
                op,
                format!("a_axes {a_axes:?} and b_axes {b_axes:?} must have the same length"),
            ));
        }
        let mut na = Vec::with_capacity(a_axes.len());
        let mut nb = Vec::with_capacity(b_axes.len());
        for (&x, &y) in a_axes.iter().zip(b_axes) {
            let (x, y) = (
                normalize_axis(op, x, self.rank())?,
                normalize_axis(op, y, other.rank())?,
            );
            if na.contains(&x) || nb.contains(&y) {
                return Err(Error::axis(
                    op,
                    format!("repeated axis in a_axes {a_axes:?} or b_axes {b_axes:?}"),
                ));
            }
            na.push(x);
            nb.push(y);
        }
        tensordot_impl(self, other, &na, &nb)
    }

    /// Einstein summation, as `tf.einsum` / `np.einsum`. Supports explicit (`"ij,jk->ik"`)
    /// and implicit (`"ij,jk"`: output is the labels seen once, sorted) outputs, any number
    /// of operands, batch labels, labels summed away, `...` for broadcast leading
    /// dimensions, and repeated labels within one operand (diagonals: `"ii->i"`, trace
    /// `"ii->"`). Operands are contracted left to right, each pair as one batched matmul.
    /// Gradients flow to every operand.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let q = Tensor::ones(&[2, 4, 3, 8], kiln_tensor::DType::F32); // b h q d
    /// let k = Tensor::ones(&[2, 4, 5, 8], kiln_tensor::DType::F32); // b h k d
    /// let s = Tensor::einsum("bhqd,bhkd->bhqk", &[&q, &k]).unwrap();
    /// assert_eq!(s.shape(), &[2, 4, 3, 5]);
    /// let m = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
    /// assert_eq!(Tensor::einsum("ii", &[&m]).unwrap().item::<f32>().unwrap(), 5.0);
    /// assert!(Tensor::einsum("ij,jk->ik", &[&m]).is_err());
    /// ```
    pub fn einsum(equation: &str, operands: &[&Tensor]) -> Result<Tensor> {
        einsum_impl(equation, operands)
    }

    /// Outer product (`keras.ops.outer`, `np.outer`): both operands are flattened, and
    /// `out[i, j] = a[i] * b[j]`.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let a = Tensor::from_vec(vec![1i32, 2], &[2]).unwrap();
    /// let b = Tensor::from_vec(vec![10i32, 20, 30], &[3]).unwrap();
    /// let o = a.outer(&b).unwrap();
    /// assert_eq!(o.shape(), &[2, 3]);
    /// assert_eq!(o.to_vec::<i32>().unwrap(), vec![10, 20, 30, 20, 40, 60]);
    /// ```
    pub fn outer(&self, other: &Tensor) -> Result<Tensor> {
        same_dtype("outer", self, other)?;
        crate::ops::require_numeric("outer", self.dtype())?;
        let a = self.reshape(&[-1, 1])?;
        let b = other.reshape(&[1, -1])?;
        a.mul(&b)
    }
}

fn inner_mismatch(
    op: &'static str,
    a: &Tensor,
    b: &Tensor,
    ta: bool,
    tb: bool,
    ka: usize,
    kb: usize,
) -> Error {
    Error::shape(
        op,
        format!(
            "inner dimensions do not match: a has shape {}{} (contracted size {ka}) and b has shape {}{} (contracted size {kb})",
            fmt_shape(a.shape()),
            if ta { " transposed" } else { "" },
            fmt_shape(b.shape()),
            if tb { " transposed" } else { "" },
        ),
    )
}

/// Gradients of `c = op(a) · op(b)` (before reducing broadcast batch dims).
fn matmul_grads(
    a: &Tensor,
    b: &Tensor,
    g: &Tensor,
    ta: bool,
    tb: bool,
    need: [bool; 2],
) -> Result<(Option<Tensor>, Option<Tensor>)> {
    let when = |flag: bool, f: &dyn Fn() -> Result<Tensor>| -> Result<Option<Tensor>> {
        if flag {
            f().map(Some)
        } else {
            Ok(None)
        }
    };
    // A shared 2-D right operand under a batched left one (a dense layer on sequences):
    // fold the batch into the rows so the weight gradient is one large product.
    if !ta && b.rank() == 2 && a.rank() > 2 {
        let ga = when(need[0], &|| g.matmul_t(b, false, !tb))?;
        let gb = when(need[1], &|| {
            let k = a.shape()[a.rank() - 1] as isize;
            let n = g.shape()[g.rank() - 1] as isize;
            // With a 2-D `b` the output batch is exactly `a`'s batch.
            let af = a.reshape(&[-1, k])?;
            let gf = g.reshape(&[-1, n])?;
            if tb {
                gf.matmul_t(&af, true, false)
            } else {
                af.matmul_t(&gf, true, false)
            }
        })?;
        return Ok((ga, gb));
    }
    let ga = when(need[0], &|| match (ta, tb) {
        (false, false) => g.matmul_t(b, false, true),
        (false, true) => g.matmul_t(b, false, false),
        (true, false) => b.matmul_t(g, false, true),
        (true, true) => b.matmul_t(g, true, true),
    })?;
    let gb = when(need[1], &|| match (ta, tb) {
        (false, false) => a.matmul_t(g, true, false),
        (false, true) => g.matmul_t(a, true, false),
        (true, false) => a.matmul_t(g, false, false),
        (true, true) => g.matmul_t(a, true, true),
    })?;
    Ok((ga, gb))
}

fn tensordot_impl(a: &Tensor, b: &Tensor, a_axes: &[usize], b_axes: &[usize]) -> Result<Tensor> {
    let op = "tensordot";
    same_dtype(op, a, b)?;
    crate::ops::require_numeric(op, a.dtype())?;
    for (&x, &y) in a_axes.iter().zip(b_axes) {
        if a.shape()[x] != b.shape()[y] {
            return Err(Error::shape(
                op,
                format!(
                    "axis {x} of a (shape {}) has size {} but axis {y} of b (shape {}) has size {}",
                    fmt_shape(a.shape()),
                    a.shape()[x],
                    fmt_shape(b.shape()),
                    b.shape()[y]
                ),
            ));
        }
    }
    let la: Vec<Label> = (0..a.rank() as Label).collect();
    let lb: Vec<Label> = (0..b.rank())
        .map(|j| match b_axes.iter().position(|&y| y == j) {
            Some(i) => a_axes[i] as Label,
            None => 1000 + j as Label,
        })
        .collect();
    let keep: Vec<Label> = la
        .iter()
        .chain(&lb)
        .copied()
        .filter(|l| !la.contains(l) || !lb.contains(l))
        .collect();
    let (out, _) = contract_pair(a, &la, b, &lb, &keep)?;
    Ok(out)
}

// ----- contraction machinery ---------------------------------------------------------------

fn positions(labels: &[Label], order: &[Label]) -> Vec<usize> {
    order
        .iter()
        .map(|l| labels.iter().position(|x| x == l).expect("label present"))
        .collect()
}

fn sizes(t: &Tensor, labels: &[Label], order: &[Label]) -> Vec<usize> {
    positions(labels, order)
        .into_iter()
        .map(|p| t.shape()[p])
        .collect()
}

/// Transposes `t` so that its axes follow `order` (a view; skipped when already so).
fn permute_to(t: &Tensor, labels: &[Label], order: &[Label]) -> Result<Tensor> {
    let perm = positions(labels, order);
    if perm.iter().enumerate().all(|(i, &p)| i == p) {
        return Ok(t.clone());
    }
    t.transpose(Some(&perm))
}

/// Sums the axes whose label `need` rejects; returns the tensor and its remaining labels.
fn sum_unneeded(
    t: &Tensor,
    labels: &[Label],
    need: impl Fn(Label) -> bool,
) -> Result<(Tensor, Vec<Label>)> {
    let axes: Vec<isize> = (0..labels.len())
        .filter(|&i| !need(labels[i]))
        .map(|i| i as isize)
        .collect();
    if axes.is_empty() {
        return Ok((t.clone(), labels.to_vec()));
    }
    let kept: Vec<Label> = labels.iter().copied().filter(|&l| need(l)).collect();
    Ok((t.sum(&axes, false)?, kept))
}

/// Smallest stride among the axes of `group` that have more than one element.
fn min_stride(t: &Tensor, labels: &[Label], group: &[Label]) -> isize {
    positions(labels, group)
        .into_iter()
        .filter(|&p| t.shape()[p] > 1)
        .map(|p| t.strides()[p])
        .min()
        .unwrap_or(isize::MAX)
}

/// Contracts two labelled operands: labels in both and in `keep` are batch labels, labels
/// in both and not kept are summed over, the rest are free. The result's labels are
/// batch (in `a`'s order), then `a`'s free labels, then `b`'s.
fn contract_pair(
    a: &Tensor,
    la: &[Label],
    b: &Tensor,
    lb: &[Label],
    keep: &[Label],
) -> Result<(Tensor, Vec<Label>)> {
    let (mut a, la) = sum_unneeded(a, la, |l| keep.contains(&l) || lb.contains(&l))?;
    let (mut b, lb) = sum_unneeded(b, lb, |l| keep.contains(&l) || la.contains(&l))?;
    let batch: Vec<Label> = la
        .iter()
        .copied()
        .filter(|l| lb.contains(l) && keep.contains(l))
        .collect();
    let contr: Vec<Label> = la
        .iter()
        .copied()
        .filter(|l| lb.contains(l) && !keep.contains(l))
        .collect();
    let afree: Vec<Label> = la.iter().copied().filter(|l| !lb.contains(l)).collect();
    let bfree: Vec<Label> = lb.iter().copied().filter(|l| !la.contains(l)).collect();
    // Broadcast size-1 contracted dims (from `...`) against the other operand.
    for &l in &contr {
        let pa = positions(&la, &[l])[0];
        let pb = positions(&lb, &[l])[0];
        let (sa, sb) = (a.shape()[pa], b.shape()[pb]);
        if sa == 1 && sb != 1 {
            let mut s = a.shape().to_vec();
            s[pa] = sb;
            a = a.broadcast_to(&s)?;
        } else if sb == 1 && sa != 1 {
            let mut s = b.shape().to_vec();
            s[pb] = sa;
            b = b.broadcast_to(&s)?;
        }
    }
    let bsa = sizes(&a, &la, &batch);
    let bsb = sizes(&b, &lb, &batch);
    let asz = sizes(&a, &la, &afree);
    let bsz = sizes(&b, &lb, &bfree);
    let out_labels: Vec<Label> = batch.iter().chain(&afree).chain(&bfree).copied().collect();

    if contr.is_empty() {
        // Nothing summed: an elementwise product with broadcasting.
        let ta = permute_to(&a, &la, &[batch.as_slice(), &afree].concat())?;
        let sa: Vec<usize> = [bsa.as_slice(), &asz, &vec![1; bfree.len()]].concat();
        let tb = permute_to(&b, &lb, &[batch.as_slice(), &bfree].concat())?;
        let sb: Vec<usize> = [bsb.as_slice(), &vec![1; afree.len()], &bsz].concat();
        let out = view_reshape(&ta, &sa)?.mul(&view_reshape(&tb, &sb)?)?;
        return Ok((out, out_labels));
    }

    let (m, n, k) = (numel(&asz), numel(&bsz), numel(&sizes(&a, &la, &contr)));
    // Put whichever group has the smaller stride innermost, so merges stay views.
    let a_mk = afree.is_empty() || min_stride(&a, &la, &contr) <= min_stride(&a, &la, &afree);
    let (a_order, a_shape) = if a_mk {
        (
            [batch.as_slice(), &afree, &contr].concat(),
            [bsa.as_slice(), &[m, k]].concat(),
        )
    } else {
        (
            [batch.as_slice(), &contr, &afree].concat(),
            [bsa.as_slice(), &[k, m]].concat(),
        )
    };
    let b_kn = bfree.is_empty() || min_stride(&b, &lb, &bfree) <= min_stride(&b, &lb, &contr);
    let (b_order, b_shape) = if b_kn {
        (
            [batch.as_slice(), &contr, &bfree].concat(),
            [bsb.as_slice(), &[k, n]].concat(),
        )
    } else {
        (
            [batch.as_slice(), &bfree, &contr].concat(),
            [bsb.as_slice(), &[n, k]].concat(),
        )
    };
    let a3 = view_reshape(&permute_to(&a, &la, &a_order)?, &a_shape)?;
    let b3 = view_reshape(&permute_to(&b, &lb, &b_order)?, &b_shape)?;
    let prod = a3.matmul_t(&b3, !a_mk, !b_kn)?;
    let bout: Vec<usize> = bsa.iter().zip(&bsb).map(|(&x, &y)| x.max(y)).collect();
    let out_shape: Vec<isize> = [bout.as_slice(), &asz, &bsz]
        .concat()
        .iter()
        .map(|&d| d as isize)
        .collect();
    Ok((prod.reshape(&out_shape)?, out_labels))
}

/// Strides that let a tensor of `old` shape/strides be viewed as `new` without copying
/// (NumPy's `_attempt_nocopy_reshape`), or `None` when a copy is needed.
fn nocopy_strides(old: &[usize], old_strides: &[isize], new: &[usize]) -> Option<Vec<isize>> {
    let n = numel(old);
    if n == 0 || n != numel(new) {
        return None;
    }
    let (od, os): (Vec<usize>, Vec<isize>) = old
        .iter()
        .zip(old_strides)
        .filter(|&(&d, _)| d != 1)
        .map(|(&d, &s)| (d, s))
        .unzip();
    let mut ns = vec![1isize; new.len()];
    let (mut oi, mut oj, mut ni, mut nj) = (0usize, 1usize, 0usize, 1usize);
    while ni < new.len() && oi < od.len() {
        let mut np = new[ni];
        let mut op = od[oi];
        while np != op {
            if np < op {
                np *= new[nj];
                nj += 1;
            } else {
                op *= od[oj];
                oj += 1;
            }
        }
        for ok in oi..oj - 1 {
            if os[ok] != od[ok + 1] as isize * os[ok + 1] {
                return None;
            }
        }
        ns[nj - 1] = os[oj - 1];
        for nk in (ni + 1..nj).rev() {
            ns[nk - 1] = ns[nk] * new[nk] as isize;
        }
        ni = nj;
        nj += 1;
        oi = oj;
        oj += 1;
    }
    Some(ns)
}

/// Reshape that stays a view whenever the strides allow (not only for contiguous
/// tensors); copies otherwise. The gradient is reshaped back.
fn view_reshape(t: &Tensor, shape: &[usize]) -> Result<Tensor> {
    if t.shape() == shape {
        return Ok(t.clone());
    }
    let ishape: Vec<isize> = shape.iter().map(|&d| d as isize).collect();
    if t.is_contiguous() {
        return t.reshape(&ishape);
    }
    match nocopy_strides(t.shape(), t.strides(), shape) {
        Some(strides) => {
            let out = t.view(shape.to_vec(), strides, t.offset());
            let old: Vec<isize> = t.shape().iter().map(|&d| d as isize).collect();
            Ok(record(
                || Op::new("reshape").attr("shape", shape),
                &[t],
                out,
                move |g| Ok(vec![Some(g.reshape(&old)?)]),
            ))
        }
        None => t.reshape(&ishape),
    }
}

/// The diagonal over axes `p < q` (equal sizes) as a view at position `p`, axis `q`
/// removed. Its gradient scatters back onto the diagonal.
pub(crate) fn diagonal_view(t: &Tensor, p: usize, q: usize) -> Result<Tensor> {
    let n = t.shape()[p];
    let mut shape = t.shape().to_vec();
    let mut strides = t.strides().to_vec();
    strides[p] += strides[q];
    shape.remove(q);
    strides.remove(q);
    let out = t.view(shape, strides, t.offset());
    let orig = t.shape().to_vec();
    Ok(record(
        || Op::new("diagonal").attr("axes", vec![p, q]),
        &[t],
        out,
        move |g| {
            let full = g.expand_dims(q as isize)?.broadcast_to(&orig)?;
            let mut mshape = vec![1isize; orig.len()];
            mshape[p] = n as isize;
            mshape[q] = n as isize;
            let mask = Tensor::eye(n, None, g.dtype()).reshape(&mshape)?;
            Ok(vec![Some(full.mul(&mask)?)])
        },
    ))
}

// ----- einsum ---------------------------------------------------------------------------------

/// One parsed einsum term: letters, with the position of `...` among them if present.
struct Term {
    letters: Vec<char>,
    ellipsis: Option<usize>,
}

fn parse_term(term: &str, equation: &str) -> Result<Term> {
    let mut letters = Vec::new();
    let mut ellipsis = None;
    let mut rest = term;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("...") {
            if ellipsis.replace(letters.len()).is_some() {
                return Err(Error::arg(
                    "einsum",
                    format!("'...' appears twice in term '{term}' of equation '{equation}'"),
                ));
            }
            rest = r;
            continue;
        }
        let c = rest.chars().next().expect("non-empty");
        if !c.is_ascii_alphabetic() {
            return Err(Error::arg(
                "einsum",
                format!("invalid character '{c}' in equation '{equation}' (expected letters, ',', '->' and '...')"),
            ));
        }
        letters.push(c);
        rest = &rest[c.len_utf8()..];
    }
    Ok(Term { letters, ellipsis })
}

fn label_name(l: Label) -> String {
    if l >= ELLIPSIS_BASE {
        format!("... dimension {}", l - ELLIPSIS_BASE)
    } else {
        format!("'{}'", char::from_u32(l).unwrap_or('?'))
    }
}

fn einsum_impl(equation: &str, operands: &[&Tensor]) -> Result<Tensor> {
    let op = "einsum";
    let eq: String = equation.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match eq.split_once("->") {
        Some((l, r)) => (l, Some(r)),
        None => (eq.as_str(), None),
    };
    let terms: Vec<Term> = lhs
        .split(',')
        .map(|t| parse_term(t, equation))
        .collect::<Result<_>>()?;
    if operands.is_empty() || terms.len() != operands.len() {
        return Err(Error::arg(
            op,
            format!(
                "equation '{equation}' has {} input terms but {} operands were given",
                terms.len(),
                operands.len()
            ),
        ));
    }
    for t in &operands[1..] {
        same_dtype(op, operands[0], t)?;
    }
    crate::ops::require_numeric(op, operands[0].dtype())?;
    // Ellipsis ranks, then labels per operand.
    let mut ell_rank = 0usize;
    let mut ell_ranks = Vec::with_capacity(operands.len());
    for (i, (t, term)) in operands.iter().zip(&terms).enumerate() {
        let e = match term.ellipsis {
            Some(_) if t.rank() >= term.letters.len() => t.rank() - term.letters.len(),
            None if t.rank() == term.letters.len() => 0,
            _ => {
                return Err(Error::shape(
                    op,
                    format!(
                        "operand {i} has shape {} (rank {}) but its term in '{equation}' names {} dimensions",
                        fmt_shape(t.shape()),
                        t.rank(),
                        term.letters.len()
                    ),
                ))
            }
        };
        ell_rank = ell_rank.max(e);
        ell_ranks.push(e);
    }
    let mut labels: Vec<Vec<Label>> = Vec::with_capacity(operands.len());
    for (term, &e) in terms.iter().zip(&ell_ranks) {
        let mut ls: Vec<Label> = term.letters.iter().map(|&c| c as Label).collect();
        if let Some(pos) = term.ellipsis {
            let ell: Vec<Label> = (0..e)
                .map(|j| ELLIPSIS_BASE + (ell_rank - e + j) as Label)
                .collect();
            ls.splice(pos..pos, ell);
        }
        labels.push(ls);
    }
    // Sizes must agree (ellipsis dimensions may broadcast from 1).
    let mut size: HashMap<Label, (usize, usize)> = HashMap::new();
    for (i, (t, ls)) in operands.iter().zip(&labels).enumerate() {
        for (&l, &d) in ls.iter().zip(t.shape()) {
            match size.get(&l).copied() {
                None => {
                    size.insert(l, (d, i));
                }
                Some((s, _)) if s == d => {}
                Some((s, j)) if l >= ELLIPSIS_BASE && (s == 1 || d == 1) => {
                    size.insert(l, (s.max(d), if s == 1 { i } else { j }));
                }
                Some((s, j)) => {
                    return Err(Error::shape(
                        op,
                        format!(
                            "label {} has size {s} in operand {j} (shape {}) but size {d} in operand {i} (shape {}) in '{equation}'",
                            label_name(l),
                            fmt_shape(operands[j].shape()),
                            fmt_shape(t.shape())
                        ),
                    ))
                }
            }
        }
    }
    // Output labels.
    let out: Vec<Label> = match rhs {
        Some(r) => {
            let term = parse_term(r, equation)?;
            let mut ls: Vec<Label> = term.letters.iter().map(|&c| c as Label).collect();
            for (i, &l) in ls.iter().enumerate() {
                if ls[..i].contains(&l) {
                    return Err(Error::arg(
                        op,
                        format!("output label {} is repeated in '{equation}'", label_name(l)),
                    ));
                }
                if !size.contains_key(&l) {
                    return Err(Error::arg(
                        op,
                        format!(
                            "output label {} does not appear in any input of '{equation}'",
                            label_name(l)
                        ),
                    ));
                }
            }
            if let Some(pos) = term.ellipsis {
                ls.splice(pos..pos, (0..ell_rank).map(|j| ELLIPSIS_BASE + j as Label));
            }
            ls
        }
        None => {
            let mut count: HashMap<Label, usize> = HashMap::new();
            for ls in &labels {
                for &l in ls {
                    *count.entry(l).or_default() += 1;
                }
            }
            let mut letters: Vec<Label> = count
                .iter()
                .filter(|&(&l, &c)| c == 1 && l < ELLIPSIS_BASE)
                .map(|(&l, _)| l)
                .collect();
            letters.sort_unstable();
            (0..ell_rank)
                .map(|j| ELLIPSIS_BASE + j as Label)
                .chain(letters)
                .collect()
        }
    };

    // Per operand: take diagonals of repeated labels, sum labels used nowhere else.
    let mut items: Vec<(Tensor, Vec<Label>)> = Vec::with_capacity(operands.len());
    for (i, (&t, ls)) in operands.iter().zip(&labels).enumerate() {
        let mut t = t.clone();
        let mut ls = ls.clone();
        while let Some((p, q)) = first_repeat(&ls) {
            t = diagonal_view(&t, p, q)?;
            ls.remove(q);
        }
        let elsewhere = |l: Label| {
            out.contains(&l)
                || labels
                    .iter()
                    .enumerate()
                    .any(|(j, o)| j != i && o.contains(&l))
        };
        items.push(sum_unneeded(&t, &ls, elsewhere)?);
    }
    let mut iter = items.into_iter();
    let (mut cur, mut lc) = iter.next().expect("at least one operand");
    let rest: Vec<(Tensor, Vec<Label>)> = iter.collect();
    for (i, (t, ls)) in rest.iter().enumerate() {
        let keep: Vec<Label> = out
            .iter()
            .copied()
            .chain(rest[i + 1..].iter().flat_map(|(_, l)| l.iter().copied()))
            .collect();
        let (c, l) = contract_pair(&cur, &lc, t, ls, &keep)?;
        cur = c;
        lc = l;
    }
    let (cur, lc) = sum_unneeded(&cur, &lc, |l| out.contains(&l))?;
    permute_to(&cur, &lc, &out)
}

fn first_repeat(ls: &[Label]) -> Option<(usize, usize)> {
    for q in 0..ls.len() {
        if let Some(p) = ls[..q].iter().position(|&x| x == ls[q]) {
            return Some((p, q));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nocopy_reshape_strides() {
        // Contiguous (2,3,4) -> (6,4)
        assert_eq!(
            nocopy_strides(&[2, 3, 4], &[12, 4, 1], &[6, 4]),
            Some(vec![4, 1])
        );
        // Transposed (4,3) view of a (3,4): cannot merge.
        assert_eq!(nocopy_strides(&[4, 3], &[1, 4], &[12]), None);
        // (2,3,4) with the last two permuted: (2,4,3) strides (12,1,4); merging the
        // first dims is impossible but inserting ones is fine.
        assert_eq!(
            nocopy_strides(&[2, 4, 3], &[12, 1, 4], &[2, 1, 4, 3]).map(|s| (s[0], s[2], s[3])),
            Some((12, 1, 4))
        );
        // Batch dims of a transposed matrix stack merge.
        assert_eq!(
            nocopy_strides(&[2, 3, 5, 4], &[60, 20, 1, 5], &[6, 5, 4]),
            Some(vec![20, 1, 5])
        );
    }
}
