//! `Display` for tensors in TF's style: `Tensor([5, 7, 9], shape=(3,), dtype=i32)`.
//!
//! String elements print double-quoted with Rust's escapes (`"it's"`, `"a\nb"`), as
//! Python's `str` repr a Keras user reads, rather than TF's byte-literal form (`b'...'`):
//! kiln's strings are always UTF-8 text, so the bytes prefix would carry no information.

use crate::shape::fmt_shape;
use crate::{DType, Tensor};

/// Above this many elements only the first and last `EDGE` items of each axis print.
const SUMMARIZE_OVER: usize = 1000;
const EDGE: usize = 3;

fn fmt_value(v: f64, dtype: DType) -> String {
    match dtype {
        DType::Bool => if v != 0.0 { "True" } else { "False" }.to_string(),
        d if d.is_int() => format!("{}", v as i64),
        _ => {
            if v.is_nan() {
                "nan".into()
            } else if v.is_infinite() {
                if v > 0.0 {
                    "inf".into()
                } else {
                    "-inf".into()
                }
            } else if v == v.trunc() && v.abs() < 1e16 {
                format!("{v:.1}")
            } else if v.abs() >= 1e-4 && v.abs() < 1e16 {
                // Shortest representation that round-trips at the tensor's precision.
                if dtype == DType::F64 {
                    format!("{v}")
                } else {
                    format!("{}", v as f32)
                }
            } else {
                format!("{v:e}")
            }
        }
    }
}

fn write_nested(out: &mut String, vals: &[String], shape: &[usize], depth: usize, summarize: bool) {
    if shape.is_empty() {
        out.push_str(&vals[0]);
        return;
    }
    let n = shape[0];
    let inner: usize = shape[1..].iter().product();
    out.push('[');
    let indices: Vec<Option<usize>> = if summarize && n > 2 * EDGE {
        (0..EDGE)
            .map(Some)
            .chain(std::iter::once(None))
            .chain((n - EDGE..n).map(Some))
            .collect()
    } else {
        (0..n).map(Some).collect()
    };
    for (k, idx) in indices.iter().enumerate() {
        if k > 0 {
            out.push(',');
            if shape.len() > 1 {
                out.push_str(&"\n".repeat(shape.len() - 1));
                out.push_str(&" ".repeat(depth + 1));
            } else {
                out.push(' ');
            }
        }
        match idx {
            Some(i) => write_nested(
                out,
                &vals[i * inner..(i + 1) * inner],
                &shape[1..],
                depth + 1,
                summarize,
            ),
            None => out.push_str("..."),
        }
    }
    out.push(']');
}

impl std::fmt::Display for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A symbolic read still fails the trace, as `to_f64_vec` does.
        let _ = crate::autodiff::capture::on_value_read(self, "Display");
        let vals: Vec<String> = if self.dtype() == DType::String {
            self.stored::<std::sync::Arc<str>>()
                .iter()
                .map(|s| format!("{:?}", &**s))
                .collect()
        } else {
            self.to_f64_vec_unchecked()
                .into_iter()
                .map(|v| fmt_value(v, self.dtype()))
                .collect()
        };
        let mut body = String::new();
        write_nested(
            &mut body,
            &vals,
            self.shape(),
            7,
            self.numel() > SUMMARIZE_OVER,
        );
        write!(
            f,
            "Tensor({}, shape={}, dtype={})",
            body,
            fmt_shape(self.shape()),
            self.dtype()
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::{DType, Tensor};

    #[test]
    fn prints_like_tf() {
        let t = Tensor::from_vec(vec![5i32, 7, 9], &[3]).unwrap();
        assert_eq!(t.to_string(), "Tensor([5, 7, 9], shape=(3,), dtype=i32)");
        let m = Tensor::from_vec(vec![1.0f32, 2.5, 3.0, 4.0], &[2, 2]).unwrap();
        assert_eq!(
            m.to_string(),
            "Tensor([[1.0, 2.5],\n        [3.0, 4.0]], shape=(2, 2), dtype=f32)"
        );
        assert_eq!(
            Tensor::scalar(true).to_string(),
            "Tensor(True, shape=(), dtype=bool)"
        );
        let big = Tensor::zeros(&[2000], DType::I64);
        assert!(big.to_string().contains("..."));
        let s = Tensor::from_strings(vec!["a b", "it's", "q\"", ""], &[2, 2]).unwrap();
        assert_eq!(
            s.to_string(),
            "Tensor([[\"a b\", \"it's\"],\n        [\"q\\\"\", \"\"]], shape=(2, 2), dtype=string)"
        );
        assert_eq!(
            Tensor::scalar_str("x").to_string(),
            "Tensor(\"x\", shape=(), dtype=string)"
        );
    }
}
