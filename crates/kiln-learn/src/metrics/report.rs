//! `classification_report`: the text table and its dictionary form.

use std::fmt;

use crate::error::{LearnError, Result, Warning};
use crate::label::Label;
use crate::metrics::classification::{
    check_targets, prfs, Average, PrfOptions, Score, WarnFor, ZeroDivision,
};
use crate::numeric::np_sum;
use crate::pyfmt::{py_fixed, py_float_repr};

/// Options of [`classification_report`], with scikit-learn's defaults.
#[derive(Debug, Clone)]
pub struct ReportOptions<'a, L> {
    /// The labels to report and their order; by default the sorted labels of both inputs.
    pub labels: Option<&'a [L]>,
    /// Display names of the labels (Python's `str()` of each label by default).
    pub target_names: Option<&'a [&'a str]>,
    /// Sample weights.
    pub sample_weight: Option<&'a [f64]>,
    /// Digits of the text table's scores (default 2).
    pub digits: usize,
    /// The value of an undefined ratio.
    pub zero_division: ZeroDivision,
}

impl<L> Default for ReportOptions<'_, L> {
    fn default() -> Self {
        ReportOptions {
            labels: None,
            target_names: None,
            sample_weight: None,
            digits: 2,
            zero_division: ZeroDivision::Warn,
        }
    }
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    /// The row heading: a target name, `"micro avg"`, `"macro avg"` or `"weighted avg"`.
    pub name: String,
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1 score.
    pub f1_score: f64,
    /// Support (weighted when sample weights are given).
    pub support: f64,
}

/// The report of [`classification_report`]: the rows of scikit-learn's
/// `output_dict=True` form, and (through [`Display`](fmt::Display)) its text form.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassificationReport {
    /// One row per class.
    pub classes: Vec<ReportRow>,
    /// The accuracy (the dictionary form's value: the micro-averaged precision), given
    /// in place of the micro average when the reported labels cover every label present.
    pub accuracy: Option<f64>,
    /// The micro average, when it is not the accuracy.
    pub micro_avg: Option<ReportRow>,
    /// The macro average.
    pub macro_avg: ReportRow,
    /// The support-weighted average.
    pub weighted_avg: ReportRow,
    /// scikit-learn's warnings, in order.
    pub warnings: Vec<Warning>,
    digits: usize,
    width: usize,
    /// Supports are floats (sample weights given) and print as Python floats.
    float_support: bool,
    /// The total support of the accuracy row.
    accuracy_support: f64,
    /// The accuracy row's score column (the micro F1 score, as scikit-learn prints it).
    accuracy_f1: f64,
}

impl ClassificationReport {
    fn support(&self, s: f64) -> String {
        if self.float_support {
            py_float_repr(s)
        } else {
            format!("{}", s as i64)
        }
    }

    fn row(&self, f: &mut fmt::Formatter<'_>, row: &ReportRow) -> fmt::Result {
        let (w, d) = (self.width, self.digits);
        writeln!(
            f,
            "{:>w$}  {:>9} {:>9} {:>9} {:>9}",
            row.name,
            py_fixed(row.precision, d),
            py_fixed(row.recall, d),
            py_fixed(row.f1_score, d),
            self.support(row.support)
        )
    }
}

impl fmt::Display for ClassificationReport {
    /// scikit-learn's text report, byte for byte.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = self.width;
        writeln!(
            f,
            "{:>w$}  {:>9} {:>9} {:>9} {:>9}",
            "", "precision", "recall", "f1-score", "support"
        )?;
        writeln!(f)?;
        for row in &self.classes {
            self.row(f, row)?;
        }
        writeln!(f)?;
        if self.accuracy.is_some() {
            writeln!(
                f,
                "{:>w$}  {:>9} {:>9} {:>9} {:>9}",
                "accuracy",
                "",
                "",
                py_fixed(self.accuracy_f1, self.digits),
                self.support(self.accuracy_support)
            )?;
        }
        if let Some(micro) = &self.micro_avg {
            self.row(f, micro)?;
        }
        self.row(f, &self.macro_avg)?;
        self.row(f, &self.weighted_avg)
    }
}

/// A text report of the main classification metrics per class
/// (`sklearn.metrics.classification_report`).
///
/// ```
/// use kiln_learn::metrics::{classification_report, ReportOptions};
///
/// let y_true = [0, 1, 2, 2, 2];
/// let y_pred = [0, 0, 2, 2, 1];
/// let names = ["class 0", "class 1", "class 2"];
/// let options = ReportOptions { target_names: Some(&names), ..ReportOptions::default() };
/// let report = classification_report(&y_true, &y_pred, &options)?;
/// assert_eq!(
///     report.to_string(),
///     "              precision    recall  f1-score   support
///
///      class 0       0.50      1.00      0.67         1
///      class 1       0.00      0.00      0.00         1
///      class 2       1.00      0.67      0.80         3
///
///     accuracy                           0.60         5
///    macro avg       0.50      0.56      0.49         5
/// weighted avg       0.70      0.60      0.61         5
/// "
/// );
/// assert_eq!(report.accuracy, Some(0.6));
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
pub fn classification_report<L: Label>(
    y_true: &[L],
    y_pred: &[L],
    options: &ReportOptions<'_, L>,
) -> Result<ClassificationReport> {
    let targets = check_targets(y_true, y_pred, options.sample_weight)?;
    let (labels, labels_given): (Vec<L>, bool) = match options.labels {
        Some(l) => (l.to_vec(), true),
        None => (targets.labels.clone(), false),
    };
    let micro_is_accuracy = !labels_given || targets.labels.iter().all(|l| labels.contains(l));
    let mut warnings = Vec::new();
    if let Some(names) = options.target_names
        && names.len() != labels.len()
    {
        if labels_given {
            warnings.push(Warning::user(format!(
                "labels size, {}, does not match size of target_names, {}",
                labels.len(),
                names.len()
            )));
        } else {
            return Err(LearnError::TargetNamesMismatch {
                n_classes: labels.len(),
                n_names: names.len(),
            });
        }
    }
    let target_names: Vec<String> = match options.target_names {
        Some(names) => names.iter().map(|s| (*s).to_string()).collect(),
        None => labels.iter().map(Label::py_str).collect(),
    };

    let prf = |average: Option<Average>| {
        let opts = PrfOptions {
            labels: Some(&labels),
            pos_label: None,
            average,
            sample_weight: options.sample_weight,
            zero_division: options.zero_division,
        };
        prfs(y_true, y_pred, 1.0, &opts, WarnFor::ALL)
    };
    let per_class = prf(None)?;
    warnings.extend(per_class.warnings.iter().cloned());
    let support = per_class.support.clone().unwrap_or_default();
    let total_support = np_sum(&support);
    let mut classes: Vec<ReportRow> = Vec::new();
    let rows = target_names
        .iter()
        .zip(per_class.precision.values())
        .zip(per_class.recall.values())
        .zip(per_class.fbeta_score.values())
        .zip(&support);
    for ((((name, p), r), f), s) in rows {
        let row = ReportRow {
            name: name.clone(),
            precision: *p,
            recall: *r,
            f1_score: *f,
            support: *s,
        };
        // a dict keyed by name: a repeated name keeps its first place and the last values
        match classes.iter_mut().find(|c| c.name == *name) {
            Some(existing) => *existing = row,
            None => classes.push(row),
        }
    }

    let mut averaged = |average: Average, name: &str| -> Result<ReportRow> {
        let result = prf(Some(average))?;
        warnings.extend(result.warnings.iter().cloned());
        let value = |s: &Score| s.average().unwrap_or(f64::NAN);
        Ok(ReportRow {
            name: name.to_string(),
            precision: value(&result.precision),
            recall: value(&result.recall),
            f1_score: value(&result.fbeta_score),
            support: total_support,
        })
    };
    let micro = averaged(Average::Micro, "micro avg")?;
    let macro_avg = averaged(Average::Macro, "macro avg")?;
    let weighted_avg = averaged(Average::Weighted, "weighted avg")?;
    let accuracy_f1 = micro.f1_score;
    // The dictionary form's "accuracy" is the micro precision; the text prints the F1.
    let (accuracy, micro_avg) = if micro_is_accuracy {
        (Some(micro.precision), None)
    } else {
        (None, Some(micro))
    };

    let name_width = target_names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0);
    let width = name_width.max("weighted avg".len()).max(options.digits);
    Ok(ClassificationReport {
        classes,
        accuracy,
        micro_avg,
        macro_avg,
        weighted_avg,
        warnings,
        digits: options.digits,
        width,
        float_support: options.sample_weight.is_some(),
        accuracy_support: total_support,
        accuracy_f1,
    })
}
