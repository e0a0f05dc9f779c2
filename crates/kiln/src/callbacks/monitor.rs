//! How callbacks decide whether a monitored value improved.

/// Direction of improvement for a monitored log value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Infer from the name: accuracy-like values (`acc`, `auc`, `precision`, `recall`,
    /// `f1`, ...) go up, everything else (losses, errors) goes down.
    #[default]
    Auto,
    /// Lower is better.
    Min,
    /// Higher is better.
    Max,
}

impl Mode {
    /// Resolves `Auto` for `monitor`; true when higher values are better.
    ///
    /// ```
    /// use kiln::callbacks::Mode;
    /// assert!(Mode::Auto.higher_is_better("val_accuracy"));
    /// assert!(!Mode::Auto.higher_is_better("val_loss"));
    /// assert!(Mode::Max.higher_is_better("val_loss"));
    /// ```
    pub fn higher_is_better(self, monitor: &str) -> bool {
        match self {
            Mode::Min => false,
            Mode::Max => true,
            Mode::Auto => {
                let m = monitor.strip_prefix("val_").unwrap_or(monitor);
                [
                    "acc",
                    "auc",
                    "precision",
                    "recall",
                    "f1",
                    "fbeta",
                    "true_positives",
                ]
                .iter()
                .any(|k| m.contains(k))
                    && !m.contains("loss")
            }
        }
    }
}

/// Python's `repr(float)`: shortest round-trip digits, fixed notation for exponents in
/// `[-4, 16)`, else `1e-05` style (what CSVLogger writes).
///
/// ```
/// use kiln::callbacks::python_float;
/// assert_eq!(python_float(0.5), "0.5");
/// assert_eq!(python_float(1.0), "1.0");
/// assert_eq!(python_float(1e-5), "1e-05");
/// assert_eq!(python_float(12345.678), "12345.678");
/// assert_eq!(python_float(f64::NAN), "nan");
/// ```
pub fn python_float(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    let sci = format!("{v:e}");
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..16).contains(&exp) {
        let s = format!("{v}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", exp.abs())
    }
}
