//! Reductions over a set of axes, expressed as "rows": the kept axes index the output, the
//! reduced axes form a contiguous row that one fold consumes.

use crate::dtype::Element;
use crate::shape::numel;
use crate::Tensor;

/// Geometry of a reduction: output shape (without keepdims) and row length.
pub(crate) struct ReducePlan {
    pub kept_shape: Vec<usize>,
    pub row_len: usize,
}

/// Gathers `t` so that each output element's inputs form one contiguous row, and calls
/// `fold` on every row. `axes` must be normalised (sorted, unique).
pub(crate) fn reduce_rows<T: Element, O: Element>(t: &Tensor, axes: &[usize], fold: impl Fn(&[T]) -> O) -> (Vec<O>, ReducePlan) {
    let rank = t.rank();
    let kept: Vec<usize> = (0..rank).filter(|a| !axes.contains(a)).collect();
    let kept_shape: Vec<usize> = kept.iter().map(|&a| t.shape()[a]).collect();
    let row_len: usize = axes.iter().map(|&a| t.shape()[a]).product();
    let rows = numel(&kept_shape);
    let plan = ReducePlan { kept_shape, row_len };
    if rows == 0 {
        return (Vec::new(), plan);
    }
    // Permute kept axes first, reduced axes last, then read row-major.
    let perm: Vec<usize> = kept.iter().chain(axes.iter()).copied().collect();
    let shape: Vec<usize> = perm.iter().map(|&p| t.shape()[p]).collect();
    let strides: Vec<isize> = perm.iter().map(|&p| t.strides()[p]).collect();
    let view = t.view(shape, strides, t.offset());
    let data = view.data::<T>();
    let out = if row_len == 0 {
        (0..rows).map(|_| fold(&[])).collect()
    } else {
        data.chunks(row_len).map(&fold).collect()
    };
    (out, plan)
}

/// Sum of a contiguous f32 slice with 16 independent accumulators (vectorisable, and
/// more accurate than one running sum).
pub(crate) fn sum_f32(x: &[f32]) -> f32 {
    let mut acc = [0.0f32; 16];
    let chunks = x.chunks_exact(16);
    let rem = chunks.remainder();
    for c in chunks {
        for i in 0..16 {
            acc[i] += c[i];
        }
    }
    let mut s = 0.0f32;
    for r in rem {
        s += r;
    }
    // Pairwise combine the lanes.
    let mut w = 16;
    while w > 1 {
        w /= 2;
        for i in 0..w {
            acc[i] += acc[i + w];
        }
    }
    acc[0] + s
}
