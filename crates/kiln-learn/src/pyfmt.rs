//! Python's and NumPy's spellings of numbers, so that reports and error messages read
//! byte for byte as scikit-learn's.

/// Python's `repr()` (and `str()`) of a `float`: the shortest digits that round-trip,
/// positional for decimal exponents in `[-4, 16)` (`0.0001`, `1e-05`, `1e+16`).
pub(crate) fn py_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    let (negative, digits, exp) = shortest_digits(x);
    let sign = if negative { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let body = positional(&digits, exp);
        if body.contains('.') {
            format!("{sign}{body}")
        } else {
            format!("{sign}{body}.0")
        }
    } else {
        let mantissa = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{esign}{:02}", exp.abs())
    }
}

/// Python's `format(x, ".{digits}f")`.
pub(crate) fn py_fixed(x: f64, digits: usize) -> String {
    if x.is_nan() {
        "nan".to_string()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{x:.digits$}")
    }
}

/// The shortest round-trip decimal digits of a finite, non-zero `x`: sign, digits
/// (no leading or trailing zeros) and the decimal exponent of the first digit.
fn shortest_digits(x: f64) -> (bool, String, i32) {
    let s = format!("{:e}", x.abs());
    let (mantissa, exp) = s.split_once('e').unwrap_or((s.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    (x < 0.0, digits, exp.parse().unwrap_or(0))
}

/// `digits` × 10^(exp - len + 1) written out positionally, with a `.` only when there is
/// a fractional part.
fn positional(digits: &str, exp: i32) -> String {
    let n = digits.len() as i32;
    if exp < 0 {
        format!("0.{}{}", "0".repeat((-exp - 1) as usize), digits)
    } else if n <= exp + 1 {
        format!("{}{}", digits, "0".repeat((exp + 1 - n) as usize))
    } else {
        let split = (exp + 1) as usize;
        format!("{}.{}", &digits[..split], &digits[split..])
    }
}

/// NumPy's line wrapping of a 1-D array's already formatted elements (`linewidth=75`,
/// separator `' '`); `summary` inserts `...` after the first three of six words.
pub(crate) fn numpy_array_from_words(words: &[String], summary: &str) -> String {
    if words.is_empty() {
        return "[]".to_string();
    }
    const HANGING: &str = " ";
    const ELEM_WIDTH: usize = 75 - 1;
    fn extend(s: &mut String, line: &mut String, word: &str) {
        let line_len = line.chars().count();
        let needs_wrap = line_len + word.chars().count() > ELEM_WIDTH && line_len > HANGING.len();
        if needs_wrap {
            s.push_str(line.trim_end());
            s.push('\n');
            *line = HANGING.to_string();
        }
        line.push_str(word);
    }
    let mut s = String::new();
    let mut line = HANGING.to_string();
    let (leading, rest) = if summary.is_empty() {
        (&words[..0], words)
    } else {
        words.split_at(words.len() / 2)
    };
    for word in leading {
        extend(&mut s, &mut line, word);
        line.push(' ');
    }
    if !summary.is_empty() {
        extend(&mut s, &mut line, summary);
        line.push(' ');
    }
    if let Some((last, middle)) = rest.split_last() {
        for word in middle {
            extend(&mut s, &mut line, word);
            line.push(' ');
        }
        extend(&mut s, &mut line, last);
    }
    s.push_str(&line);
    format!("[{}]", &s[HANGING.len()..])
}

/// NumPy's `str()` of a 1-D `float64` array with the default print options
/// (`precision=8`, `floatmode='maxprec'`, `threshold=1000`, `edgeitems=3`), e.g.
/// `[0.  1.  0.5]` or `[1.e-05 1.e+00 5.e-01]`.
pub(crate) fn numpy_float_array(values: &[f64]) -> String {
    const PRECISION: usize = 8;
    let (data, summary): (Vec<f64>, &str) = if values.len() > 1000 {
        let mut d = values[..3].to_vec();
        d.extend_from_slice(&values[values.len() - 3..]);
        (d, "...")
    } else {
        (values.to_vec(), "")
    };
    let finite: Vec<f64> = data.iter().copied().filter(|v| v.is_finite()).collect();
    let abs_non_zero: Vec<f64> = finite
        .iter()
        .filter(|v| **v != 0.0)
        .map(|v| v.abs())
        .collect();
    let mut exp_format = false;
    if !abs_non_zero.is_empty() {
        let max = abs_non_zero.iter().copied().fold(f64::MIN, f64::max);
        let min = abs_non_zero.iter().copied().fold(f64::MAX, f64::min);
        exp_format = max >= 1e8 || min < 0.0001 || max / min > 1000.0;
    }

    let mut pad_left = 0;
    let mut pad_right = 0;
    let mut sci_precision = 0;
    let mut exp_size = 0;
    if !finite.is_empty() {
        if exp_format {
            let parts: Vec<(String, String, String)> =
                finite.iter().map(|&x| sci_parts(x, PRECISION)).collect();
            exp_size = parts.iter().map(|p| p.2.len() - 1).max().unwrap_or(2);
            sci_precision = parts.iter().map(|p| p.1.len()).max().unwrap_or(0);
            pad_left = parts.iter().map(|p| p.0.len()).max().unwrap_or(0);
            pad_right = exp_size + 2 + sci_precision;
        } else {
            let parts: Vec<(String, String)> = finite
                .iter()
                .map(|&x| positional_parts(x, PRECISION))
                .collect();
            pad_left = parts.iter().map(|p| p.0.len()).max().unwrap_or(0);
            pad_right = parts.iter().map(|p| p.1.len()).max().unwrap_or(0);
        }
    }
    if finite.len() != data.len() {
        let offset = pad_right + 1;
        let neginf = usize::from(data.contains(&f64::NEG_INFINITY));
        pad_left = pad_left
            .max(3usize.saturating_sub(offset))
            .max((3 + neginf).saturating_sub(offset));
    }

    let words: Vec<String> = data
        .iter()
        .map(|&x| {
            if !x.is_finite() {
                let ret = if x.is_nan() {
                    "nan"
                } else if x < 0.0 {
                    "-inf"
                } else {
                    "inf"
                };
                format!("{ret:>width$}", width = pad_left + pad_right + 1)
            } else if exp_format {
                let (int, frac, exp) = sci_parts(x, sci_precision);
                let frac = format!("{frac:0<sci_precision$}");
                let (esign, edigits) = exp.split_at(1);
                format!(
                    "{int:>pad_left$}.{frac}e{esign}{edigits:0>width$}",
                    width = exp_size
                )
            } else {
                let (int, frac) = positional_parts(x, PRECISION);
                format!("{int:>pad_left$}.{frac:<pad_right$}")
            }
        })
        .collect();
    numpy_array_from_words(&words, summary)
}

/// NumPy's `dragon4_positional(x, precision, unique=True, trim='.')` split at the point:
/// the shortest round-trip digits, rounded to at most `precision` fractional digits,
/// trailing zeros dropped.
fn positional_parts(x: f64, precision: usize) -> (String, String) {
    let mut s = format!("{x}");
    if let Some((_, frac)) = s.split_once('.')
        && frac.len() > precision
    {
        s = format!("{x:.precision$}");
    }
    let (int, frac) = s.split_once('.').unwrap_or((s.as_str(), ""));
    (int.to_string(), frac.trim_end_matches('0').to_string())
}

/// NumPy's `dragon4_scientific(x, precision, unique=True, trim='.')` split into the
/// integer digit (with sign), the fractional digits and the exponent with its sign
/// (at least two digits).
fn sci_parts(x: f64, precision: usize) -> (String, String, String) {
    let mut s = format!("{x:e}");
    if let Some((mantissa, _)) = s.split_once('e')
        && let Some((_, frac)) = mantissa.split_once('.')
        && frac.len() > precision
    {
        s = format!("{x:.precision$e}");
    }
    let (mantissa, exp) = s.split_once('e').unwrap_or((s.as_str(), "0"));
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let exp: i32 = exp.parse().unwrap_or(0);
    let esign = if exp < 0 { '-' } else { '+' };
    (
        int.to_string(),
        frac.trim_end_matches('0').to_string(),
        format!("{esign}{:02}", exp.abs()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_float_repr() {
        let cases = [
            (0.1, "0.1"),
            (1.0, "1.0"),
            (12.0, "12.0"),
            (-2.5, "-2.5"),
            (0.30000000000000004, "0.30000000000000004"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (1e15, "1000000000000000.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.234e-7, "1.234e-07"),
            (1e100, "1e+100"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
            (-0.0, "-0.0"),
            (123456.789, "123456.789"),
        ];
        for (x, want) in cases {
            assert_eq!(py_float_repr(x), want, "{x:e}");
        }
    }

    #[test]
    fn python_fixed_rounds_half_to_even_on_the_exact_value() {
        assert_eq!(py_fixed(0.125, 2), "0.12");
        assert_eq!(py_fixed(0.375, 2), "0.38");
        assert_eq!(py_fixed(2.5, 0), "2");
        assert_eq!(py_fixed(0.675, 2), "0.68");
        assert_eq!(py_fixed(f64::NAN, 2), "nan");
    }

    #[test]
    fn numpy_float_arrays() {
        assert_eq!(numpy_float_array(&[0.0, 1.0, 0.5]), "[0.  1.  0.5]");
        assert_eq!(
            numpy_float_array(&[1e-5, 1.0, 0.5]),
            "[1.e-05 1.e+00 5.e-01]"
        );
        assert_eq!(
            numpy_float_array(&[3.0, 1.0, 2.0, f64::NAN]),
            "[ 3.  1.  2. nan]"
        );
        assert_eq!(
            numpy_float_array(&[-3.0, 1.0, 2.0, -1.5]),
            "[-3.   1.   2.  -1.5]"
        );
        assert_eq!(
            numpy_float_array(&[1.0 / 3.0, 2.0]),
            "[0.33333333 2.        ]"
        );
        assert_eq!(numpy_float_array(&[]), "[]");
    }
}
