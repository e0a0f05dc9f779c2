//! Hyperparameter values (Python's `bool`, `int`, `float` and `str`), their Python
//! spellings, and the ordered JSON that keras-tuner's state files use.

use std::fmt;

/// One hyperparameter value, as Keras Tuner stores it: a Python `bool`, `int`, `float` or
/// `str`.
///
/// Equality follows Python's: `1 == 1.0 == True`, so a condition on `[1]` accepts an
/// integer `1` and a float `1.0`.
///
/// ```
/// use kiln_tuner::Value;
/// assert_eq!(Value::from(1), Value::from(1.0));
/// assert_eq!(Value::from("relu").to_string(), "relu");
/// assert_eq!(Value::from(1e-5).to_string(), "1e-05");
/// assert_eq!(Value::from(true).to_string(), "True");
/// ```
#[derive(Debug, Clone)]
pub enum Value {
    /// A Python `bool`.
    Bool(bool),
    /// A Python `int`.
    Int(i64),
    /// A Python `float`.
    Float(f64),
    /// A Python `str`.
    Str(String),
}

impl Value {
    /// The value as an `i64` (`int`, or a `bool` as 0/1, or an integral `float`).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(i64::from(*b)),
            Value::Float(f) if f.fract() == 0.0 && f.is_finite() => Some(*f as i64),
            _ => None,
        }
    }

    /// The value as an `f64` (any number).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            Value::Float(f) => Some(*f),
            Value::Str(_) => None,
        }
    }

    /// The value as a `bool` (only a `bool`).
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The value as a string slice (only a `str`).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Python's type name (`bool`, `int`, `float`, `str`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
        }
    }

    /// Python's `repr()`: strings quoted (`'relu'`), everything else as `str()`.
    pub fn repr(&self) -> String {
        match self {
            Value::Str(s) => py_str_repr(s),
            other => other.to_string(),
        }
    }

    pub(crate) fn to_json(&self) -> Json {
        match self {
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::Int(*i),
            Value::Float(f) => Json::Float(*f),
            Value::Str(s) => Json::Str(s.clone()),
        }
    }

    pub(crate) fn from_json(j: &Json) -> Option<Value> {
        Some(match j {
            Json::Bool(b) => Value::Bool(*b),
            Json::Int(i) => Value::Int(*i),
            Json::Float(f) => Value::Float(*f),
            Json::Str(s) => Value::Str(s.clone()),
            _ => return None,
        })
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Str(_), _) | (_, Value::Str(_)) => false,
            (Value::Int(a), Value::Int(b)) => a == b,
            (a, b) => a.as_f64() == b.as_f64(),
        }
    }
}

/// Python's `str()`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => f.write_str(&py_float_repr(*x)),
            Value::Str(s) => f.write_str(s),
        }
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Value {
        Value::Int(i64::from(v))
    }
}
impl From<usize> for Value {
    fn from(v: usize) -> Value {
        Value::Int(v as i64)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Float(v)
    }
}
impl From<f32> for Value {
    fn from(v: f32) -> Value {
        Value::Float(f64::from(v))
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Str(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Str(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Str(v.clone())
    }
}

/// Python's `repr()` of a `float`: the shortest digits that round-trip, positional for
/// decimal exponents in `[-4, 16)`, otherwise `1e-05` / `1e+16` style.
///
/// ```
/// use kiln_tuner::value::py_float_repr;
/// assert_eq!(py_float_repr(0.001), "0.001");
/// assert_eq!(py_float_repr(1.0), "1.0");
/// assert_eq!(py_float_repr(0.00012345), "0.00012345");
/// assert_eq!(py_float_repr(1.5e-7), "1.5e-07");
/// assert_eq!(py_float_repr(1e16), "1e+16");
/// ```
pub fn py_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if x < 0.0 { "-" } else { "" };
    let n = digits.len() as i32;
    if (-4..16).contains(&exp) {
        let body = if exp < 0 {
            format!("0.{}{}", "0".repeat((-exp - 1) as usize), digits)
        } else if n <= exp + 1 {
            format!("{}{}.0", digits, "0".repeat((exp + 1 - n) as usize))
        } else {
            let split = (exp + 1) as usize;
            format!("{}.{}", &digits[..split], &digits[split..])
        };
        format!("{sign}{body}")
    } else {
        let m = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        let es = if exp < 0 { '-' } else { '+' };
        format!("{sign}{m}e{es}{:02}", exp.abs())
    }
}

/// Python's `repr()` of a `str` (single quotes unless the text holds one and no double
/// quote).
pub(crate) fn py_str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `format(x, ".5g")`, the way Keras Tuner prints a numeric value in its trial
/// table.
pub(crate) fn py_format_g5(x: f64) -> String {
    if !x.is_finite() {
        return py_float_repr(x);
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let sci = format!("{:.4e}", x);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..5).contains(&exp) {
        let decimals = (4 - exp).max(0) as usize;
        let s = format!("{:.*}", decimals, x);
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    } else {
        let m = if mantissa.contains('.') {
            mantissa.trim_end_matches('0').trim_end_matches('.')
        } else {
            mantissa
        };
        let es = if exp < 0 { '-' } else { '+' };
        format!("{m}e{es}{:02}", exp.abs())
    }
}

/// A JSON document with its object keys in order (Python's `dict`), written the way
/// Python's `json.dumps` writes it (`", "` and `": "` separators, `NaN`/`Infinity`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    pub(crate) fn obj() -> Json {
        Json::Obj(Vec::new())
    }

    /// Adds `key: value` to an object (no-op on other kinds).
    pub(crate) fn with(mut self, key: &str, value: impl Into<Json>) -> Json {
        if let Json::Obj(entries) = &mut self {
            entries.push((key.to_string(), value.into()));
        }
        self
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(e) => e.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub(crate) fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Int(i) => Some(*i as f64),
            Json::Float(f) => Some(*f),
            _ => None,
        }
    }

    pub(crate) fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Int(i) => Some(*i),
            Json::Float(f) if f.fract() == 0.0 => Some(*f as i64),
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn as_arr(&self) -> Option<&[Json]> {
        match self {
            Json::Arr(a) => Some(a),
            _ => None,
        }
    }

    pub(crate) fn as_obj(&self) -> Option<&[(String, Json)]> {
        match self {
            Json::Obj(o) => Some(o),
            _ => None,
        }
    }

    /// `json.dumps(obj)`.
    pub(crate) fn dumps(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(true) => out.push_str("true"),
            Json::Bool(false) => out.push_str("false"),
            Json::Int(i) => out.push_str(&i.to_string()),
            Json::Float(f) => {
                if f.is_nan() {
                    out.push_str("NaN")
                } else if f.is_infinite() {
                    out.push_str(if *f > 0.0 { "Infinity" } else { "-Infinity" })
                } else {
                    out.push_str(&py_float_repr(*f))
                }
            }
            Json::Str(s) => write_json_str(s, out),
            Json::Arr(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.write(out);
                }
                out.push(']');
            }
            Json::Obj(o) => {
                out.push('{');
                for (i, (k, v)) in o.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_json_str(k, out);
                    out.push_str(": ");
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    /// Parses JSON text, keeping object keys in order; Python's `NaN`/`Infinity` spellings
    /// are accepted.
    pub(crate) fn parse(text: &str) -> Result<Json, String> {
        // serde_json rejects NaN/Infinity; keras-tuner writes them for NaN scores. Rewrite
        // them (outside strings) to tagged strings first, then map back.
        let cleaned = replace_nonfinite(text);
        let mut de = serde_json::Deserializer::from_str(&cleaned);
        let j: Json = serde::Deserialize::deserialize(&mut de).map_err(|e| e.to_string())?;
        de.end().map_err(|e| e.to_string())?;
        Ok(j.restore_nonfinite())
    }

    fn restore_nonfinite(self) -> Json {
        match self {
            Json::Str(s) if s == NAN_TAG => Json::Float(f64::NAN),
            Json::Str(s) if s == INF_TAG => Json::Float(f64::INFINITY),
            Json::Str(s) if s == NEG_INF_TAG => Json::Float(f64::NEG_INFINITY),
            Json::Arr(a) => Json::Arr(a.into_iter().map(Json::restore_nonfinite).collect()),
            Json::Obj(o) => Json::Obj(
                o.into_iter()
                    .map(|(k, v)| (k, v.restore_nonfinite()))
                    .collect(),
            ),
            other => other,
        }
    }
}

const NAN_TAG: &str = "\u{0}kiln-tuner:NaN";
const INF_TAG: &str = "\u{0}kiln-tuner:Infinity";
const NEG_INF_TAG: &str = "\u{0}kiln-tuner:-Infinity";

fn replace_nonfinite(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_str = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if c == '"' {
            in_str = true;
            out.push(c);
            rest = &rest[1..];
            continue;
        }
        let tag = if rest.starts_with("NaN") {
            Some(("NaN", NAN_TAG))
        } else if rest.starts_with("-Infinity") {
            Some(("-Infinity", NEG_INF_TAG))
        } else if rest.starts_with("Infinity") {
            Some(("Infinity", INF_TAG))
        } else {
            None
        };
        if let Some((word, tag)) = tag {
            out.push('"');
            out.push_str(&tag.replace('\u{0}', "\\u0000"));
            out.push('"');
            rest = &rest[word.len()..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

fn write_json_str(s: &str, out: &mut String) {
    // json.dumps's default ensure_ascii=True
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{:04x}", u));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl From<bool> for Json {
    fn from(v: bool) -> Json {
        Json::Bool(v)
    }
}
impl From<i64> for Json {
    fn from(v: i64) -> Json {
        Json::Int(v)
    }
}
impl From<usize> for Json {
    fn from(v: usize) -> Json {
        Json::Int(v as i64)
    }
}
impl From<f64> for Json {
    fn from(v: f64) -> Json {
        Json::Float(v)
    }
}
impl From<&str> for Json {
    fn from(v: &str) -> Json {
        Json::Str(v.to_string())
    }
}
impl From<String> for Json {
    fn from(v: String) -> Json {
        Json::Str(v)
    }
}
impl From<Vec<Json>> for Json {
    fn from(v: Vec<Json>) -> Json {
        Json::Arr(v)
    }
}
impl<T: Into<Json>> From<Option<T>> for Json {
    fn from(v: Option<T>) -> Json {
        v.map_or(Json::Null, Into::into)
    }
}

impl<'de> serde::Deserialize<'de> for Json {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Json;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_none<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
                Ok(Json::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
                Ok(Json::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
                Ok(i64::try_from(v).map_or(Json::Float(v as f64), Json::Int))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
                Ok(Json::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Json, E> {
                Ok(Json::Str(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Json, E> {
                Ok(Json::Str(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Json, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = a.next_element()? {
                    out.push(v);
                }
                Ok(Json::Arr(out))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Json, A::Error> {
                let mut out: Vec<(String, Json)> = Vec::new();
                while let Some((k, v)) = a.next_entry::<String, Json>()? {
                    match out.iter_mut().find(|(key, _)| *key == k) {
                        Some(e) => e.1 = v,
                        None => out.push((k, v)),
                    }
                }
                Ok(Json::Obj(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// Python's `floor division` of two floats (`a // b`), including its rounding fix-ups.
pub(crate) fn py_float_floordiv(a: f64, b: f64) -> f64 {
    let mut m = a % b;
    let mut div = (a - m) / b;
    if m != 0.0 {
        if (b < 0.0) != (m < 0.0) {
            m += b;
            div -= 1.0;
        }
    } else {
        m = 0f64.copysign(b);
    }
    let _ = m;
    if div != 0.0 {
        let mut fd = div.floor();
        if div - fd > 0.5 {
            fd += 1.0;
        }
        fd
    } else {
        0f64.copysign(a / b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g5_matches_python() {
        // format(x, ".5g")
        assert_eq!(py_format_g5(0.00012345678), "0.00012346");
        assert_eq!(py_format_g5(32.0), "32");
        assert_eq!(py_format_g5(123456.0), "1.2346e+05");
        assert_eq!(py_format_g5(1e-5), "1e-05");
        assert_eq!(py_format_g5(0.5), "0.5");
    }

    #[test]
    fn json_round_trip_keeps_order_and_nan() {
        let j = Json::parse(r#"{"b": 1, "a": [1.5, NaN, "x\"y"], "c": null}"#).unwrap();
        let keys: Vec<&str> = j
            .as_obj()
            .unwrap()
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(keys, ["b", "a", "c"]);
        assert_eq!(j.dumps(), r#"{"b": 1, "a": [1.5, NaN, "x\"y"], "c": null}"#);
    }

    #[test]
    fn floordiv_matches_python() {
        assert_eq!(py_float_floordiv(7.0, 2.0), 3.0);
        assert_eq!(py_float_floordiv(-7.0, 2.0), -4.0);
        assert_eq!(py_float_floordiv(0.3, 0.1), 2.0); // Python: 0.3 // 0.1 == 2.0
    }
}
