//! Linear algebra: `matmul` (batched, broadcast, transposed and strided operands),
//! `tensordot`, `einsum` and `outer`.
//!
//! Products go to the strided GEMM in `crate::cpu::gemm`: transposes and slices are
//! passed as strides, not copied (only a matrix strided in both directions is made
//! contiguous once). `tensordot` and `einsum` reduce every contraction to
//! permutations (views), merges of adjacent dimensions (views whenever the strides allow)
//! and one batched matmul per pair of operands.

mod contract;
mod einsum;

use crate::autodiff::Op;

use crate::cpu::gemm::{matmul_kernel, MatmulPlan};
use crate::ops::{needs_grad, record, same_dtype, unbroadcast};
use crate::shape::{broadcast_shapes, fmt_shape, normalize_axis};
use crate::{Error, Result, Tensor};
pub(crate) use contract::diagonal_view;
use contract::tensordot_impl;
use einsum::einsum_impl;

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
