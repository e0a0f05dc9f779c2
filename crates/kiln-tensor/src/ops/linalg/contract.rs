//! Contractions over labelled axes, shared by `tensordot` and `einsum`: permutations and
//! dimension merges as views where the strides allow, unneeded axes summed out, and one
//! batched matmul per pair of operands.

use crate::autodiff::Op;

use crate::ops::{record, same_dtype};
use crate::shape::{fmt_shape, numel};
use crate::{Error, Result, Tensor};

/// Labels of tensor axes during a contraction (einsum letters, or synthetic ids).
pub(super) type Label = u32;

pub(super) fn tensordot_impl(
    a: &Tensor,
    b: &Tensor,
    a_axes: &[usize],
    b_axes: &[usize],
) -> Result<Tensor> {
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

pub(super) fn positions(labels: &[Label], order: &[Label]) -> Vec<usize> {
    order
        .iter()
        .map(|l| labels.iter().position(|x| x == l).expect("label present"))
        .collect()
}

pub(super) fn sizes(t: &Tensor, labels: &[Label], order: &[Label]) -> Vec<usize> {
    positions(labels, order)
        .into_iter()
        .map(|p| t.shape()[p])
        .collect()
}

/// Transposes `t` so that its axes follow `order` (a view; skipped when already so).
pub(super) fn permute_to(t: &Tensor, labels: &[Label], order: &[Label]) -> Result<Tensor> {
    let perm = positions(labels, order);
    if perm.iter().enumerate().all(|(i, &p)| i == p) {
        return Ok(t.clone());
    }
    t.transpose(Some(&perm))
}

/// Sums the axes whose label `need` rejects; returns the tensor and its remaining labels.
pub(super) fn sum_unneeded(
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
pub(super) fn min_stride(t: &Tensor, labels: &[Label], group: &[Label]) -> isize {
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
pub(super) fn contract_pair(
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
pub(super) fn nocopy_strides(
    old: &[usize],
    old_strides: &[isize],
    new: &[usize],
) -> Option<Vec<isize>> {
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
pub(super) fn view_reshape(t: &Tensor, shape: &[usize]) -> Result<Tensor> {
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
