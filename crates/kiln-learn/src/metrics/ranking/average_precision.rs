//! `average_precision_score`: binary, multilabel and multiclass.

use super::curves::{binary_counts, pr_from_counts};
use super::{average_binary_score, check_ranking_average, is_pos, label_binarize};
use crate::error::{LearnError, Result, Warning};
use crate::label::{numpy_label_array, unique_sorted, Label};
use crate::metrics::classification::{Average, Score};
use crate::numeric::{diff, np_sum};
use crate::validation::check_2d;

/// `_binary_uninterpolated_average_precision` on a boolean target.
pub(super) fn binary_average_precision(
    y: &[bool],
    y_score: &[f64],
    sample_weight: Option<&[f64]>,
    warnings: &mut Vec<Warning>,
) -> Result<f64> {
    let pr = pr_from_counts(binary_counts(y, y_score, sample_weight)?, false);
    warnings.extend(pr.warnings.iter().cloned());
    let dr = diff(&pr.recall);
    let terms: Vec<f64> = dr.iter().zip(&pr.precision).map(|(d, p)| d * p).collect();
    Ok(0.0_f64.max(-np_sum(&terms)))
}

/// Average precision, the precision-recall curve summarized as `Σ (Rₙ - Rₙ₋₁) Pₙ`, of a
/// binary task (`sklearn.metrics.average_precision_score` on 1-D scores). `pos_label`
/// `None` is scikit-learn's default 1.
///
/// ```
/// use kiln_learn::metrics::average_precision_score;
///
/// let ap = average_precision_score(&[0, 0, 1, 1], &[0.1, 0.4, 0.35, 0.8], None, None)?;
/// assert!((ap - 0.8333333333333333).abs() < 1e-16);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
pub fn average_precision_score<L: Label>(
    y_true: &[L],
    y_score: &[f64],
    pos_label: Option<&L>,
    sample_weight: Option<&[f64]>,
) -> Result<f64> {
    let present = unique_sorted(y_true);
    if present.len() > 2 {
        if pos_label.is_some_and(|p| !p.is_one()) {
            return Err(LearnError::PosLabelFixed);
        }
        return Err(LearnError::ScoreShape {
            shape: format!("({},)", y_score.len()),
        });
    }
    if present.len() == 2 && !present.iter().any(|l| is_pos(l, pos_label)) {
        return Err(LearnError::InvalidPosLabel {
            pos_label: pos_label.map_or_else(|| "1".to_string(), Label::py_str),
            present: numpy_label_array(&present),
        });
    }
    let y: Vec<bool> = y_true.iter().map(|l| is_pos(l, pos_label)).collect();
    let mut warnings = Vec::new();
    binary_average_precision(&y, y_score, sample_weight, &mut warnings)
}

/// Average precision of a multiclass task from per-class scores, one-vs-rest over the
/// sorted labels of `y_true` (`sklearn.metrics.average_precision_score` with 2-D
/// `y_score`); `average` is micro, macro (scikit-learn's default), weighted, samples or
/// `None` for one value per class.
///
/// ```
/// use kiln_learn::metrics::{average_precision_score_multiclass, Average};
///
/// let y_true = [0, 0, 1, 1, 2, 2];
/// let y_score = [
///     [0.7, 0.2, 0.1], [0.4, 0.3, 0.3], [0.1, 0.8, 0.1],
///     [0.2, 0.3, 0.5], [0.4, 0.4, 0.2], [0.1, 0.2, 0.7],
/// ];
/// let ap = average_precision_score_multiclass(&y_true, &y_score, Some(Average::Macro), None)?;
/// assert!((ap.average().unwrap() - 0.7777777777777777).abs() < 1e-15);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
pub fn average_precision_score_multiclass<L: Label, R: AsRef<[f64]>>(
    y_true: &[L],
    y_score: &[R],
    average: Option<Average>,
    sample_weight: Option<&[f64]>,
) -> Result<Score> {
    check_ranking_average(average, "average_precision_score")?;
    let present = unique_sorted(y_true);
    let n_columns = check_2d(y_score)?;
    if present.len() <= 2 {
        return Err(LearnError::NotOneDimensional {
            shape: format!("({}, {})", y_score.len(), n_columns),
        });
    }
    if y_score.len() != y_true.len() || n_columns != present.len() {
        return Err(LearnError::ScoreShape {
            shape: format!("({}, {})", y_score.len(), n_columns),
        });
    }
    let indicator = label_binarize(y_true, &present);
    let mut warnings = Vec::new();
    average_binary_score(
        binary_average_precision,
        &indicator,
        y_score,
        average,
        sample_weight,
        &mut warnings,
    )
}
