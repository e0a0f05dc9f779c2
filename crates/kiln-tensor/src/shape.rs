//! Shape arithmetic: broadcasting, axis normalisation, strides, formatting.

use crate::{Error, Result};

/// Formats a shape the TF way: `(2, 3)`, `(3,)`, `()`.
///
/// ```
/// assert_eq!(kiln_tensor::shape::fmt_shape(&[3]), "(3,)");
/// assert_eq!(kiln_tensor::shape::fmt_shape(&[2, 3]), "(2, 3)");
/// ```
pub fn fmt_shape(shape: &[usize]) -> String {
    match shape.len() {
        0 => "()".to_string(),
        1 => format!("({},)", shape[0]),
        _ => {
            let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// Number of elements of a shape (1 for a scalar). A product past `usize::MAX` saturates
/// there (no tensor has that many elements), so an overflowing shape never passes a size
/// check by wrapping around, in release builds too.
///
/// ```
/// assert_eq!(kiln_tensor::shape::numel(&[2, 3, 4]), 24);
/// assert_eq!(kiln_tensor::shape::numel(&[]), 1);
/// assert_eq!(kiln_tensor::shape::numel(&[1 << 40, 1 << 40]), usize::MAX);
/// ```
pub fn numel(shape: &[usize]) -> usize {
    checked_numel(shape).unwrap_or(usize::MAX)
}

/// Number of elements of a shape, `None` when the product overflows `usize`.
///
/// ```
/// assert_eq!(kiln_tensor::shape::checked_numel(&[2, 3]), Some(6));
/// assert_eq!(kiln_tensor::shape::checked_numel(&[1 << 40, 1 << 40]), None);
/// ```
pub fn checked_numel(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))
}

/// Row-major strides (in elements) of a contiguous tensor of `shape`.
///
/// ```
/// assert_eq!(kiln_tensor::shape::contiguous_strides(&[2, 3, 4]), vec![12, 4, 1]);
/// ```
pub fn contiguous_strides(shape: &[usize]) -> Vec<isize> {
    let mut strides = vec![0isize; shape.len()];
    let mut acc = 1isize;
    for i in (0..shape.len()).rev() {
        strides[i] = acc;
        acc *= shape[i] as isize;
    }
    strides
}

/// The NumPy broadcast of two shapes, or an error naming `op` and both shapes.
///
/// ```
/// use kiln_tensor::shape::broadcast_shapes;
/// assert_eq!(broadcast_shapes("add", &[2, 1, 4], &[3, 1]).unwrap(), vec![2, 3, 4]);
/// assert!(broadcast_shapes("add", &[3], &[4]).is_err());
/// ```
pub fn broadcast_shapes(op: &'static str, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for i in 0..rank {
        let da = if i + a.len() >= rank {
            a[i + a.len() - rank]
        } else {
            1
        };
        let db = if i + b.len() >= rank {
            b[i + b.len() - rank]
        } else {
            1
        };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(Error::shape(
                op,
                format!(
                    "shapes {} and {} cannot be broadcast together (dimension {} is {} vs {})",
                    fmt_shape(a),
                    fmt_shape(b),
                    i,
                    da,
                    db
                ),
            ));
        };
    }
    Ok(out)
}

/// Turns a possibly negative axis into `0..rank`, or errors naming `op`.
///
/// ```
/// use kiln_tensor::shape::normalize_axis;
/// assert_eq!(normalize_axis("sum", -1, 3).unwrap(), 2);
/// assert!(normalize_axis("sum", 3, 3).is_err());
/// ```
pub fn normalize_axis(op: &'static str, axis: isize, rank: usize) -> Result<usize> {
    let r = rank as isize;
    if axis < -r || axis >= r {
        return Err(Error::axis(
            op,
            format!("axis {axis} is out of range for a tensor of rank {rank} (expected -{r} <= axis < {r})"),
        ));
    }
    Ok(if axis < 0 {
        (axis + r) as usize
    } else {
        axis as usize
    })
}

/// Normalises a list of axes, rejecting duplicates. The result is sorted.
///
/// ```
/// use kiln_tensor::shape::normalize_axes;
/// assert_eq!(normalize_axes("sum", &[-1, 0], 3).unwrap(), vec![0, 2]);
/// assert!(normalize_axes("sum", &[1, -2], 3).is_err());
/// ```
pub fn normalize_axes(op: &'static str, axes: &[isize], rank: usize) -> Result<Vec<usize>> {
    let mut out = Vec::with_capacity(axes.len());
    for &a in axes {
        let n = normalize_axis(op, a, rank)?;
        if out.contains(&n) {
            return Err(Error::axis(op, format!("axis {a} is repeated in {axes:?}")));
        }
        out.push(n);
    }
    out.sort_unstable();
    Ok(out)
}
