//! The index-map primitive behind copies that rearrange elements (strided slices with
//! negative steps, pad, tile, repeat, flip, roll, gather, sort values...).
//!
//! `take_flat(x, map)` builds `out[i] = x_flat[map[i]]` (or a fill value where `map[i]`
//! is [`FILL`]); its gradient is `scatter_flat(g, map)`, which adds `g[i]` into
//! `x_flat[map[i]]`, and whose gradient is `take_flat` again — so every op built on them is
//! differentiable to any order.

use crate::autodiff::Op;
use std::sync::Arc;

use crate::dtype::Storable;
use crate::ops::record;
use crate::shape::{contiguous_strides, numel};
use crate::storage::with_any_dtype;
use crate::{Element, Result, Tensor};

/// Marks an output element that takes the fill value instead of an input element.
pub(crate) const FILL: usize = usize::MAX;

/// The kernel of [`take_flat`], unrecorded.
pub(crate) fn take_kernel(x: &Tensor, map: &[usize], out_shape: Vec<usize>, fill: f64) -> Tensor {
    debug_assert_eq!(map.len(), numel(&out_shape));
    // Strings fill with "" (a padded string tensor), numbers with `fill`.
    with_any_dtype!(x.dtype(), T => {
        let src = x.stored::<T>();
        let f = <T as Storable>::fill(fill);
        let v: Vec<T> = map.iter().map(|&j| if j == FILL { f.clone() } else { src[j].clone() }).collect();
        Tensor::from_stored(v, out_shape)
    })
}

/// The kernel of [`scatter_flat`], unrecorded.
pub(crate) fn scatter_kernel(g: &Tensor, map: &[usize], in_shape: Vec<usize>) -> Result<Tensor> {
    let n = numel(&in_shape);
    crate::with_num_dtype!("scatter", g.dtype(), T => {
        use crate::cpu::num::Num;
        let src = g.data::<T>();
        let mut v = vec![T::zero(); n];
        for (&j, &val) in map.iter().zip(src.iter()) {
            if j != FILL {
                v[j] = v[j].add(val);
            }
        }
        Tensor::from_vec_unchecked(v, in_shape)
    })
}

/// A flat index map as an op attribute (`FILL` as `-1`).
fn map_attr(map: &[usize]) -> Vec<i64> {
    map.iter()
        .map(|&j| if j == FILL { -1 } else { j as i64 })
        .collect()
}

/// A flat index map back from its attribute (`-1` as `FILL`).
pub(crate) fn map_from_attr(v: &[i64]) -> Vec<usize> {
    v.iter()
        .map(|&j| if j < 0 { FILL } else { j as usize })
        .collect()
}

/// `out[i] = x_flat[map[i]]` (row-major `x`), `fill` where `map[i] == FILL`, recorded as
/// the op `take` with the map as an attribute (the gradient of scatters; public ops built
/// on the map record under their own name with [`take_as`]).
pub(crate) fn take_flat(
    x: &Tensor,
    map: Arc<Vec<usize>>,
    out_shape: Vec<usize>,
    fill: f64,
) -> Tensor {
    let m = map.clone();
    let shape = out_shape.clone();
    take_as(
        move || {
            Op::new("take")
                .attr("map", map_attr(&m))
                .attr("shape", shape)
                .attr("fill", fill)
        },
        x,
        map,
        out_shape,
        fill,
        Vec::new(),
    )
}

/// [`take_flat`] recorded as `op` (a public op whose attributes rebuild the map), with
/// `x` first and `extra` (non-differentiable inputs the op reads, such as indices) after.
pub(crate) fn take_as(
    op: impl FnOnce() -> Op,
    x: &Tensor,
    map: Arc<Vec<usize>>,
    out_shape: Vec<usize>,
    fill: f64,
    extra: Vec<&Tensor>,
) -> Tensor {
    let out = take_kernel(x, &map, out_shape, fill);
    let in_shape = x.shape().to_vec();
    let mut inputs = vec![x];
    inputs.extend(extra);
    let n = inputs.len();
    record(op, &inputs, out, move |g| {
        let mut v = vec![Some(scatter_flat(g, map.clone(), in_shape.clone())?)];
        v.resize(n, None);
        Ok(v)
    })
}

/// `out = zeros(in_shape); out_flat[map[i]] += g[i]` (skipping `FILL`), recorded as the op
/// `scatter_add` with the map as an attribute.
pub(crate) fn scatter_flat(
    g: &Tensor,
    map: Arc<Vec<usize>>,
    in_shape: Vec<usize>,
) -> Result<Tensor> {
    let m = map.clone();
    let shape = in_shape.clone();
    scatter_as(
        move || {
            Op::new("scatter_add")
                .attr("map", map_attr(&m))
                .attr("shape", shape)
        },
        g,
        map,
        in_shape,
        Vec::new(),
    )
}

/// [`scatter_flat`] recorded as `op` with `g` first and `extra` (non-differentiable
/// inputs the op's attributes need, such as segment ids) after it.
pub(crate) fn scatter_as(
    op: impl FnOnce() -> Op,
    g: &Tensor,
    map: Arc<Vec<usize>>,
    in_shape: Vec<usize>,
    extra: Vec<&Tensor>,
) -> Result<Tensor> {
    let out = scatter_kernel(g, &map, in_shape)?;
    let out_shape = g.shape().to_vec();
    let mut inputs = vec![g];
    inputs.extend(extra);
    let n = inputs.len();
    Ok(record(op, &inputs, out, move |gg| {
        let mut v = vec![Some(take_flat(gg, map.clone(), out_shape.clone(), 0.0))];
        v.resize(n, None);
        Ok(v)
    }))
}

/// The map for an output whose index along each dimension `d` comes from input index
/// `tables[d][i]` (`None` = fill). The input is read row-major with `in_shape`.
pub(crate) fn separable_map(in_shape: &[usize], tables: &[Vec<Option<usize>>]) -> Vec<usize> {
    let strides = contiguous_strides(in_shape);
    let out_shape: Vec<usize> = tables.iter().map(|t| t.len()).collect();
    let n = numel(&out_shape);
    let mut map = Vec::with_capacity(n);
    if n == 0 {
        return map;
    }
    let rank = out_shape.len();
    let mut idx = vec![0usize; rank];
    loop {
        let mut flat = 0usize;
        let mut fill = false;
        for d in 0..rank {
            match tables[d][idx[d]] {
                Some(s) => flat += s * strides[d] as usize,
                None => fill = true,
            }
        }
        map.push(if fill { FILL } else { flat });
        let mut d = rank;
        loop {
            if d == 0 {
                return map;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < out_shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

/// Reads an integer index tensor (i32/i64/u8) as i64 values.
pub(crate) fn index_values(op: &'static str, t: &Tensor) -> Result<Vec<i64>> {
    if !t.dtype().is_int() {
        return Err(crate::Error::dtype(
            op,
            format!("indices must be int32 or int64, got {}", t.dtype().name()),
        ));
    }
    Ok(t.to_f64_vec_unchecked()
        .into_iter()
        .map(|v| v as i64)
        .collect())
}
