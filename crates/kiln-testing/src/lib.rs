//! Test support shared by kiln's crates.
//!
//! Golden fixtures are JSON (and a few binary) files that scripts under `tools/golden/`
//! write from the real reference tools; the tests of every crate read them from
//! `tools/golden/fixtures/`. This crate holds what those tests need in common, so a test
//! file says only what it checks:
//!
//! * [`fixture`], [`fixture_path`], [`fixtures_dir`]: where the fixtures are, and a parsed
//!   JSON fixture;
//! * [`tensor`] (in the fixture's dtype), [`tensor_f32`] and the number readers ([`f64s`], [`f32s`], [`usizes`],
//!   [`strs`], [`shape`]): values out of a fixture;
//! * [`assert_close`], [`assert_close_floor`], [`assert_all_close`]: the tolerance rules the
//!   goldens use, each named by its formula.
//!
//! These are test helpers: a missing file or a malformed fixture panics with a message
//! naming it, as a failing test should.
//!
//! ```
//! use kiln_testing::{assert_close, tensor};
//! let want = tensor(&serde_json::json!({"shape": [2], "dtype": "float32", "data": [1.0, 2.0]}));
//! let got = kiln_tensor::Tensor::from_vec(vec![1.0f32, 2.000001], &[2]).unwrap();
//! assert_close("y", &got, &want, 1e-5);
//! ```

use kiln_tensor::Tensor;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// `tools/golden/fixtures` of this checkout.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/golden/fixtures")
}

/// The path of fixture `name` (a file or folder under `tools/golden/fixtures`).
pub fn fixture_path(name: &str) -> PathBuf {
    fixtures_dir().join(name)
}

/// Fixture `name` parsed as JSON.
///
/// # Panics
/// When the file is missing or is not JSON, naming the file.
pub fn fixture(name: &str) -> Value {
    let path = fixture_path(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// A shape array (`[2, 3]`) as `usize`s.
pub fn shape(v: &Value) -> Vec<usize> {
    usizes(v)
}

/// A JSON array of numbers as `f64`s.
pub fn f64s(v: &Value) -> Vec<f64> {
    array(v, "numbers")
        .iter()
        .map(|x| x.as_f64().unwrap_or_else(|| panic!("not a number: {x}")))
        .collect()
}

/// A JSON array of numbers as `f32`s.
pub fn f32s(v: &Value) -> Vec<f32> {
    f64s(v).into_iter().map(|x| x as f32).collect()
}

/// A JSON array of non-negative integers as `usize`s.
pub fn usizes(v: &Value) -> Vec<usize> {
    array(v, "integers")
        .iter()
        .map(|x| {
            x.as_u64()
                .unwrap_or_else(|| panic!("not a non-negative integer: {x}")) as usize
        })
        .collect()
}

/// A JSON array of strings.
pub fn strs(v: &Value) -> Vec<String> {
    array(v, "strings")
        .iter()
        .map(|x| {
            x.as_str()
                .unwrap_or_else(|| panic!("not a string: {x}"))
                .to_string()
        })
        .collect()
}

fn array<'a>(v: &'a Value, what: &str) -> &'a Vec<Value> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected an array of {what}, found {v}"))
}

/// A fixture tensor `{"shape", "dtype", "data"}` in the fixture's dtype: `bool`, `uint8`,
/// `int32`, `int64`, `float32` (also when `dtype` is absent) or `float64`.
///
/// # Panics
/// On any other dtype, naming it.
pub fn tensor(v: &Value) -> Tensor {
    let dims = shape(&v["shape"]);
    let data = &v["data"];
    let ints = || -> Vec<i64> {
        array(data, "integers")
            .iter()
            .map(|x| {
                x.as_i64()
                    .or_else(|| x.as_f64().map(|f| f as i64))
                    .unwrap_or_else(|| panic!("not an integer: {x}"))
            })
            .collect()
    };
    let made = match v["dtype"].as_str() {
        Some("bool") => Tensor::from_vec(
            array(data, "booleans")
                .iter()
                .map(|x| x.as_bool().unwrap_or_else(|| panic!("not a bool: {x}")))
                .collect::<Vec<_>>(),
            &dims,
        ),
        Some("uint8") => Tensor::from_vec(ints().into_iter().map(|x| x as u8).collect(), &dims),
        Some("int32") => Tensor::from_vec(ints().into_iter().map(|x| x as i32).collect(), &dims),
        Some("int64") => Tensor::from_vec(ints(), &dims),
        Some("float64") => Tensor::from_vec(f64s(data), &dims),
        Some("float32") | None => Tensor::from_vec(f32s(data), &dims),
        Some(other) => panic!("fixture dtype {other} is not one kiln-testing reads"),
    };
    made.unwrap_or_else(|e| panic!("fixture tensor {dims:?}: {e}"))
}

/// A fixture tensor `{"shape", "data"}` read as f32 whatever its `dtype`.
pub fn tensor_f32(v: &Value) -> Tensor {
    let dims = shape(&v["shape"]);
    Tensor::from_vec(f32s(&v["data"]), &dims)
        .unwrap_or_else(|e| panic!("fixture tensor {dims:?}: {e}"))
}

/// Asserts equal shapes and `|got - want| <= tol * (1 + |want|)` element-wise (relative
/// for large values, absolute near zero).
#[track_caller]
pub fn assert_close(what: &str, got: &Tensor, want: &Tensor, tol: f64) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    assert_all_close(what, &got.to_f64_vec(), &want.to_f64_vec(), tol);
}

/// Asserts equal lengths and `|got - want| <= tol * (1 + |want|)` element-wise.
#[track_caller]
pub fn assert_all_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        assert!(
            (a - b).abs() <= tol * (1.0 + b.abs()),
            "{what}[{i}]: got {a}, want {b}"
        );
    }
}

/// Asserts equal shapes and `|got - want| <= tol * max(|want|, 1)` element-wise; returns
/// the largest such error.
#[track_caller]
pub fn assert_close_floor(what: &str, got: &Tensor, want: &Tensor, tol: f64) -> f64 {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    let mut worst = 0.0f64;
    for (i, (a, b)) in got.to_f64_vec().iter().zip(want.to_f64_vec()).enumerate() {
        let err = (a - b).abs() / b.abs().max(1.0);
        assert!(err <= tol, "{what}[{i}]: got {a}, want {b}");
        worst = worst.max(err);
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensors_keep_their_dtype() {
        let b = tensor(&serde_json::json!({"shape": [2], "dtype": "bool", "data": [true, false]}));
        assert_eq!(b.dtype(), kiln_tensor::DType::Bool);
        let i = tensor(&serde_json::json!({"shape": [1], "dtype": "int64", "data": [3]}));
        assert_eq!(i.dtype(), kiln_tensor::DType::I64);
        let u = tensor(&serde_json::json!({"shape": [1], "dtype": "uint8", "data": [255]}));
        assert_eq!(u.to_vec::<u8>().unwrap(), vec![255]);
        let f = tensor_f32(&serde_json::json!({"shape": [1], "dtype": "int64", "data": [3]}));
        assert_eq!(f.dtype(), kiln_tensor::DType::F32);
    }

    #[test]
    #[should_panic(expected = "y[1]")]
    fn a_far_value_fails() {
        let want = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
        let got = Tensor::from_vec(vec![1.0f32, 2.1], &[2]).unwrap();
        assert_close("y", &got, &want, 1e-3);
    }

    #[test]
    fn fixtures_are_found() {
        assert!(fixtures_dir().is_dir());
    }
}
