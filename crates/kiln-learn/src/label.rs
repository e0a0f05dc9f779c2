//! Class labels: the element type of `y_true` and `y_pred` in the classification metrics
//! and of `y` in the stratified splitters.

use std::fmt;

/// How NumPy prints an array of these labels (it pads numbers and booleans to a common
/// width, but not strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelKind {
    /// An integer type (`int64` in NumPy).
    Int,
    /// `bool`.
    Bool,
    /// A string type (NumPy's `<U` arrays).
    Str,
}

/// A class label, as scikit-learn accepts them: integers, booleans or strings.
///
/// scikit-learn sorts the unique labels (`np.unique`), so labels are [`Ord`]; the
/// ordering of every implementation here is NumPy's (numbers by value, `False < True`,
/// strings by code point). The Python spellings are used to build scikit-learn's exact
/// error messages and report rows.
///
/// ```
/// use kiln_learn::Label;
///
/// assert_eq!(3_i64.py_str(), "3");
/// assert_eq!("cat".py_repr(), "'cat'");
/// assert_eq!(true.py_str(), "True");
/// assert_eq!(true.as_i64(), Some(1));
/// ```
pub trait Label: Ord + Clone + fmt::Debug {
    /// How NumPy prints an array of this type.
    const KIND: LabelKind;

    /// Python's `str()` of the label (used for `classification_report` row names).
    fn py_str(&self) -> String;

    /// Python's `repr()` of the label (used in error messages).
    fn py_repr(&self) -> String;

    /// The label's integer value when Python treats it as a number (integers and
    /// booleans); `None` for strings. scikit-learn's default `pos_label=1` and its
    /// `{0, 1}` / `{-1, 1}` checks compare against these values.
    fn as_i64(&self) -> Option<i64> {
        None
    }

    /// Whether the label equals Python's `1` (so `True` does, as in Python).
    fn is_one(&self) -> bool {
        self.as_i64() == Some(1)
    }
}

macro_rules! int_label {
    ($($t:ty),*) => {$(
        impl Label for $t {
            const KIND: LabelKind = LabelKind::Int;

            fn py_str(&self) -> String {
                self.to_string()
            }

            fn py_repr(&self) -> String {
                self.to_string()
            }

            fn as_i64(&self) -> Option<i64> {
                i64::try_from(*self).ok()
            }
        }
    )*};
}

int_label!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

impl Label for bool {
    const KIND: LabelKind = LabelKind::Bool;

    fn py_str(&self) -> String {
        if *self { "True" } else { "False" }.to_string()
    }

    fn py_repr(&self) -> String {
        self.py_str()
    }

    fn as_i64(&self) -> Option<i64> {
        Some(i64::from(*self))
    }
}

impl Label for String {
    const KIND: LabelKind = LabelKind::Str;

    fn py_str(&self) -> String {
        self.clone()
    }

    fn py_repr(&self) -> String {
        py_str_repr(self)
    }
}

impl Label for &str {
    const KIND: LabelKind = LabelKind::Str;

    fn py_str(&self) -> String {
        (*self).to_string()
    }

    fn py_repr(&self) -> String {
        py_str_repr(self)
    }
}

impl Label for char {
    const KIND: LabelKind = LabelKind::Str;

    fn py_str(&self) -> String {
        self.to_string()
    }

    fn py_repr(&self) -> String {
        py_str_repr(&self.to_string())
    }
}

/// Python's `repr()` of a `str`: single quotes unless the text holds a single quote and
/// no double quote, with backslash escapes for the quote, backslashes and control
/// characters.
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
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// NumPy's `str()` of a 1-D array of labels, e.g. `[0 1]`, `[ 0 10]`, `['a' 'b']`,
/// `[False  True]`.
pub(crate) fn numpy_label_array<L: Label>(labels: &[L]) -> String {
    let words: Vec<String> = match L::KIND {
        LabelKind::Str => labels.iter().map(Label::py_repr).collect(),
        LabelKind::Int | LabelKind::Bool => {
            let raw: Vec<String> = labels.iter().map(Label::py_repr).collect();
            // NumPy pads `True` to the width of `False` in every bool array.
            let min = if L::KIND == LabelKind::Bool { 5 } else { 0 };
            let width = raw.iter().map(String::len).max().unwrap_or(0).max(min);
            raw.iter().map(|w| format!("{w:>width$}")).collect()
        }
    };
    crate::pyfmt::numpy_array_from_words(&words, "")
}

/// Python's `repr()` of a list of labels, e.g. `[1]` or `['a', 'b']`.
pub(crate) fn py_list_repr<L: Label>(labels: &[L]) -> String {
    let items: Vec<String> = labels.iter().map(Label::py_repr).collect();
    format!("[{}]", items.join(", "))
}

/// The sorted unique labels (`np.unique`).
pub(crate) fn unique_sorted<L: Label>(labels: &[L]) -> Vec<L> {
    let mut out = labels.to_vec();
    out.sort();
    out.dedup();
    out
}

/// The sorted unique labels of two label arrays together (`unique_labels(y_true, y_pred)`).
pub(crate) fn unique_union<L: Label>(a: &[L], b: &[L]) -> Vec<L> {
    let mut out: Vec<L> = a.iter().chain(b).cloned().collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_arrays_of_labels() {
        assert_eq!(numpy_label_array(&[0_i64, 1]), "[0 1]");
        assert_eq!(numpy_label_array(&[0_i64, 10]), "[ 0 10]");
        assert_eq!(numpy_label_array(&[-1_i32, 1]), "[-1  1]");
        assert_eq!(numpy_label_array(&["a", "bb"]), "['a' 'bb']");
        assert_eq!(numpy_label_array(&[true]), "[ True]");
        assert_eq!(numpy_label_array(&[false, true]), "[False  True]");
        assert_eq!(
            numpy_label_array(&["it's".to_string(), "a\"b".to_string()]),
            "[\"it's\" 'a\"b']"
        );
    }

    #[test]
    fn python_reprs() {
        assert_eq!(py_list_repr(&[1_u8]), "[1]");
        assert_eq!(py_list_repr(&['a', 'b']), "['a', 'b']");
        assert_eq!("a\\b\n".py_repr(), "'a\\\\b\\n'");
        assert!(true.is_one() && 1_u64.is_one() && !2_i8.is_one() && !"1".is_one());
        assert_eq!(u64::MAX.as_i64(), None);
    }
}
