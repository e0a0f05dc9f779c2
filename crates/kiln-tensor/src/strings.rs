//! String ops for input pipelines, as `tf.strings`: case folding, trimming, lengths,
//! joins, whitespace splitting into a padded tensor, and conversions to and from numbers.
//!
//! Every op takes and returns [`Tensor`]s of [`DType::String`] (except `length`, `to_number`
//! and `as_string`, whose result or input is numeric), is recorded without a gradient (so a
//! traced function replays it), and returns an `Err` naming the op for a tensor of another
//! dtype.
//!
//! `tf.strings.regex_replace` is not provided: kiln has no regular-expression engine among
//! its dependencies. Text layers (`TextVectorization`'s standardization) implement their
//! fixed patterns directly.
//!
//! ```
//! use kiln_tensor::{strings, Tensor};
//! let t = Tensor::from_strings(vec!["  Hello World ", "A b"], &[2])?;
//! let t = strings::lower(&strings::strip(&t)?)?;
//! assert_eq!(t.to_strings()?, vec!["hello world", "a b"]);
//! let words = strings::split_whitespace(&t)?;
//! assert_eq!(words.shape(), &[2, 2]);
//! assert_eq!(strings::reduce_join(&words, -1, "-")?.to_strings()?, vec!["hello-world", "a-b"]);
//! # Ok::<(), kiln_tensor::Error>(())
//! ```

use std::sync::Arc;

use crate::autodiff::Op;
use crate::dtype::empty_str;
use crate::ops::record_nograd;
use crate::shape::{broadcast_shapes, normalize_axis};
use crate::{DType, Element, Error, Result, Tensor};

fn require_string(op: &'static str, t: &Tensor) -> Result<()> {
    if t.dtype() != DType::String {
        return Err(Error::dtype(
            op,
            format!("expected a string tensor, got dtype {}", t.dtype().name()),
        ));
    }
    Ok(())
}

fn map_strings(
    op: &'static str,
    t: &Tensor,
    f: impl Fn(&str) -> String,
    name: impl FnOnce() -> Op,
) -> Result<Tensor> {
    require_string(op, t)?;
    let v: Vec<Arc<str>> = t
        .stored::<Arc<str>>()
        .iter()
        .map(|s| Arc::from(f(s).into_boxed_str()))
        .collect();
    Ok(record_nograd(
        name,
        &[t],
        Tensor::from_stored(v, t.shape().to_vec()),
    ))
}

/// ASCII lower case, as `tf.strings.lower` (default encoding: non-ASCII bytes unchanged).
///
/// ```
/// use kiln_tensor::{strings, Tensor};
/// let t = Tensor::from_strings(vec!["HeLLo", "ÀB"], &[2]).unwrap();
/// assert_eq!(strings::lower(&t).unwrap().to_strings().unwrap(), vec!["hello", "Àb"]);
/// assert!(strings::lower(&Tensor::scalar(1.0f32)).is_err());
/// ```
pub fn lower(t: &Tensor) -> Result<Tensor> {
    map_strings(
        "strings.lower",
        t,
        |s| s.to_ascii_lowercase(),
        || Op::new("string_lower"),
    )
}

/// ASCII upper case, as `tf.strings.upper`.
///
/// ```
/// use kiln_tensor::{strings, Tensor};
/// assert_eq!(strings::upper(&Tensor::scalar_str("abc")).unwrap().item_str().unwrap(), "ABC");
/// ```
pub fn upper(t: &Tensor) -> Result<Tensor> {
    map_strings(
        "strings.upper",
        t,
        |s| s.to_ascii_uppercase(),
        || Op::new("string_upper"),
    )
}

/// Leading and trailing whitespace removed, as `tf.strings.strip`.
///
/// ```
/// use kiln_tensor::{strings, Tensor};
/// assert_eq!(strings::strip(&Tensor::scalar_str(" a b\n")).unwrap().item_str().unwrap(), "a b");
/// ```
pub fn strip(t: &Tensor) -> Result<Tensor> {
    map_strings(
        "strings.strip",
        t,
        |s| {
            s.trim_matches(|c: char| c.is_ascii_whitespace())
                .to_string()
        },
        || Op::new("string_strip"),
    )
}

/// Length of each string in bytes (int32), as `tf.strings.length` (unit `"BYTE"`).
///
/// ```
/// use kiln_tensor::{strings, Tensor};
/// let t = Tensor::from_strings(vec!["ab", "", "é"], &[3]).unwrap();
/// assert_eq!(strings::length(&t).unwrap().to_vec::<i32>().unwrap(), vec![2, 0, 2]);
/// ```
pub fn length(t: &Tensor) -> Result<Tensor> {
    require_string("strings.length", t)?;
    let v: Vec<i32> = t
        .stored::<Arc<str>>()
        .iter()
        .map(|s| s.len() as i32)
        .collect();
    Ok(record_nograd(
        || Op::new("string_length"),
        &[t],
        Tensor::from_vec_unchecked(v, t.shape().to_vec()),
    ))
}

/// Elementwise concatenation of string tensors with broadcasting, `separator` between
/// them, as `tf.strings.join`.
///
/// ```
/// use kiln_tensor::{strings, Tensor};
/// let a = Tensor::from_strings(vec!["a", "b"], &[2]).unwrap();
/// let s = strings::join(&[&a, &Tensor::scalar_str("x")], "_").unwrap();
/// assert_eq!(s.to_strings().unwrap(), vec!["a_x", "b_x"]);
/// ```
pub fn join(inputs: &[&Tensor], separator: &str) -> Result<Tensor> {
    let op = "strings.join";
    let first = inputs
        .first()
        .ok_or_else(|| Error::arg(op, "needs at least one tensor"))?;
    let mut shape = first.shape().to_vec();
    for t in inputs {
        require_string(op, t)?;
        shape = broadcast_shapes(op, &shape, t.shape())?;
    }
    let parts: Vec<Tensor> = inputs
        .iter()
        .map(|t| t.broadcast_to(&shape))
        .collect::<Result<_>>()?;
    let datas: Vec<_> = parts.iter().map(|t| t.stored::<Arc<str>>()).collect();
    let n: usize = shape.iter().product();
    let v: Vec<Arc<str>> = (0..n)
        .map(|i| {
            let joined: Vec<&str> = datas.iter().map(|d| &*d[i]).collect();
            Arc::from(joined.join(separator).into_boxed_str())
        })
        .collect();
    let sep = separator.to_string();
    Ok(record_nograd(
        move || Op::new("string_join").attr("separator", sep.as_str()),
        inputs,
        Tensor::from_stored(v, shape),
    ))
}

/// Joins the strings along `axis` (removing it) with `separator` between them, as
/// `tf.strings.reduce_join(t, axis, separator=...)`.
///
/// ```
/// use kiln_tensor::{strings, Tensor};
/// let t = Tensor::from_strings(vec!["a", "b", "c", "d"], &[2, 2]).unwrap();
/// assert_eq!(strings::reduce_join(&t, 0, "").unwrap().to_strings().unwrap(), vec!["ac", "bd"]);
/// assert_eq!(strings::reduce_join(&t, 1, " ").unwrap().to_strings().unwrap(), vec!["a b", "c d"]);
/// ```
pub fn reduce_join(t: &Tensor, axis: isize, separator: &str) -> Result<Tensor> {
    let op = "strings.reduce_join";
    require_string(op, t)?;
    let ax = normalize_axis(op, axis, t.rank())?;
    let n = t.shape()[ax];
    let outer: usize = t.shape()[..ax].iter().product();
    let inner: usize = t.shape()[ax + 1..].iter().product();
    let d = t.stored::<Arc<str>>();
    let mut v: Vec<Arc<str>> = Vec::with_capacity(outer * inner);
    let mut buf: Vec<&str> = Vec::with_capacity(n);
    for o in 0..outer {
        for j in 0..inner {
            buf.clear();
            buf.extend((0..n).map(|i| &*d[(o * n + i) * inner + j]));
            v.push(Arc::from(buf.join(separator).into_boxed_str()));
        }
    }
    let mut shape = t.shape().to_vec();
    shape.remove(ax);
    let sep = separator.to_string();
    Ok(record_nograd(
        move || {
            Op::new("string_reduce_join")
                .attr("axis", axis as i64)
                .attr("separator", sep.as_str())
        },
        &[t],
        Tensor::from_stored(v, shape),
    ))
}

/// Splits each string on runs of whitespace into tokens, padded with `""` to the longest
/// row: a tensor of shape `t.shape + [max_tokens]` (the dense form of
/// `tf.strings.split(t).to_tensor()`).
///
/// ```
/// use kiln_tensor::{strings, Tensor};
/// let t = Tensor::from_strings(vec!["a b  c", "", "d"], &[3]).unwrap();
/// let s = strings::split_whitespace(&t).unwrap();
/// assert_eq!(s.shape(), &[3, 3]);
/// assert_eq!(s.to_strings().unwrap(), vec!["a", "b", "c", "", "", "", "d", "", ""]);
/// ```
pub fn split_whitespace(t: &Tensor) -> Result<Tensor> {
    require_string("strings.split", t)?;
    let d = t.stored::<Arc<str>>();
    let rows: Vec<Vec<&str>> = d
        .iter()
        .map(|s| s.split_ascii_whitespace().collect())
        .collect();
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut v: Vec<Arc<str>> = Vec::with_capacity(rows.len() * width);
    for r in &rows {
        v.extend(r.iter().map(|s| Arc::<str>::from(*s)));
        v.extend(std::iter::repeat_n(empty_str(), width - r.len()));
    }
    let mut shape = t.shape().to_vec();
    shape.push(width);
    Ok(record_nograd(
        || Op::new("string_split_whitespace"),
        &[t],
        Tensor::from_stored(v, shape),
    ))
}

/// Parses each string as a number of `dtype` (float32 by default in TF), as
/// `tf.strings.to_number`; a string that does not parse is an `Err` quoting it.
///
/// ```
/// use kiln_tensor::{strings, DType, Tensor};
/// let t = Tensor::from_strings(vec!["1.5", " -2"], &[2]).unwrap();
/// assert_eq!(strings::to_number(&t, DType::F32).unwrap().to_vec::<f32>().unwrap(), vec![1.5, -2.0]);
/// assert!(strings::to_number(&Tensor::scalar_str("x1"), DType::F32).is_err());
/// assert!(strings::to_number(&Tensor::scalar_str("1.5"), DType::I32).is_err());
/// ```
pub fn to_number(t: &Tensor, dtype: DType) -> Result<Tensor> {
    let op = "strings.to_number";
    require_string(op, t)?;
    if !(dtype.is_float() || matches!(dtype, DType::I32 | DType::I64)) {
        return Err(Error::dtype(
            op,
            format!(
                "out_type must be float16, bfloat16, float32, float64, int32 or int64, got {}",
                dtype.name()
            ),
        ));
    }
    let d = t.stored::<Arc<str>>();
    let mut v: Vec<f64> = Vec::with_capacity(d.len());
    for s in d.iter() {
        let s2 = s.trim();
        let parsed = if dtype.is_float() {
            s2.parse::<f64>().ok()
        } else {
            s2.parse::<i64>().ok().map(|x| x as f64)
        };
        let x = parsed.ok_or_else(|| {
            Error::arg(
                op,
                format!(
                    "could not correctly convert string: {s:?} to {}",
                    dtype.name()
                ),
            )
        })?;
        if dtype == DType::I32 && (x < i32::MIN as f64 || x > i32::MAX as f64) {
            return Err(Error::arg(
                op,
                format!("{s:?} is out of the range of int32"),
            ));
        }
        v.push(x);
    }
    let out = Tensor::from_vec_unchecked(v, t.shape().to_vec()).cast_unrecorded(dtype);
    Ok(record_nograd(
        move || Op::new("string_to_number").attr("dtype", dtype),
        &[t],
        out,
    ))
}

/// Formats each number as a string, as `tf.strings.as_string` with its defaults: floats
/// with six decimals (`"1.500000"`), integers in decimal, bools as `"true"` / `"false"`.
///
/// ```
/// use kiln_tensor::{strings, Tensor};
/// let t = Tensor::from_vec(vec![1.5f32, -2.0], &[2]).unwrap();
/// assert_eq!(strings::as_string(&t).unwrap().to_strings().unwrap(), vec!["1.500000", "-2.000000"]);
/// assert_eq!(strings::as_string(&Tensor::scalar(7i64)).unwrap().item_str().unwrap(), "7");
/// ```
pub fn as_string(t: &Tensor) -> Result<Tensor> {
    let op = "strings.as_string";
    let dt = t.dtype();
    let v: Vec<Arc<str>> = crate::with_dtype!(dt, T => t.data::<T>().iter().map(|x| {
        let f = x.to_f64();
        let s = if dt == DType::Bool {
            if f != 0.0 { "true".to_string() } else { "false".to_string() }
        } else if dt.is_float() {
            if f.is_nan() { "nan".to_string() } else if f.is_infinite() { if f > 0.0 { "inf".to_string() } else { "-inf".to_string() } } else { format!("{f:.6}") }
        } else {
            format!("{}", f as i64)
        };
        Arc::from(s.into_boxed_str())
    }).collect(), string => {
        return Err(Error::dtype(op, "expected a numeric or bool tensor, got a string tensor"));
    });
    Ok(record_nograd(
        || Op::new("string_as_string"),
        &[t],
        Tensor::from_stored(v, t.shape().to_vec()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduce_join_on_rank_zero_is_an_axis_error() {
        assert!(reduce_join(&Tensor::scalar_str("a"), 0, "").is_err());
    }

    #[test]
    fn split_of_empty_tensor_has_zero_width() {
        let t = Tensor::from_strings(Vec::<String>::new(), &[0]).unwrap();
        assert_eq!(split_whitespace(&t).unwrap().shape(), &[0, 0]);
    }

    #[test]
    fn numeric_inputs_are_errors_naming_the_op() {
        let x = Tensor::scalar(1.0f32);
        for e in [
            lower(&x).unwrap_err(),
            length(&x).unwrap_err(),
            split_whitespace(&x).unwrap_err(),
            reduce_join(&x.reshape(&[1]).unwrap(), 0, "").unwrap_err(),
            join(&[&x], "").unwrap_err(),
            to_number(&x, DType::F32).unwrap_err(),
        ] {
            let m = e.to_string();
            assert!(m.contains("strings.") && m.contains("float32"), "{m}");
        }
        assert!(as_string(&Tensor::scalar_str("a"))
            .unwrap_err()
            .to_string()
            .contains("string"));
    }
}
