//! The threshold curves: counts at each distinct score (`_binary_clf_curve`),
//! `roc_curve`, `precision_recall_curve` and the trapezoidal `auc`.

use super::{check_pos_label_consistency, is_pos};
use crate::error::{LearnError, Result, Warning};
use crate::label::{unique_sorted, Label};
use crate::numeric::{cumsum, diff, np_sum};
use crate::pyfmt::numpy_float_array;
use crate::validation::{check_consistent_length, check_finite, check_sample_weight};

/// The binary confusion-matrix counts at each distinct score threshold
/// (`sklearn.metrics.confusion_matrix_at_thresholds`).
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdCounts {
    /// True negatives: negatives scored below each threshold.
    pub tns: Vec<f64>,
    /// False positives: negatives scored at or above each threshold.
    pub fps: Vec<f64>,
    /// False negatives: positives scored below each threshold.
    pub fns: Vec<f64>,
    /// True positives: positives scored at or above each threshold.
    pub tps: Vec<f64>,
    /// The distinct scores, decreasing.
    pub thresholds: Vec<f64>,
}

/// True negatives, false positives, false negatives and true positives at each distinct
/// score, from the highest score down (`sklearn.metrics.confusion_matrix_at_thresholds`).
///
/// Without `pos_label` the labels must be `{0, 1}` or `{-1, 1}` and the positive class is
/// 1. Samples of zero weight are left out.
///
/// ```
/// use kiln_learn::metrics::confusion_matrix_at_thresholds;
///
/// let c = confusion_matrix_at_thresholds(&[0, 0, 1, 1], &[0.1, 0.4, 0.35, 0.8], None, None)?;
/// assert_eq!(c.thresholds, vec![0.8, 0.4, 0.35, 0.1]);
/// assert_eq!(c.tps, vec![1.0, 1.0, 2.0, 2.0]);
/// assert_eq!(c.fps, vec![0.0, 1.0, 1.0, 2.0]);
/// assert_eq!(c.tns, vec![2.0, 1.0, 1.0, 0.0]);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
pub fn confusion_matrix_at_thresholds<L: Label>(
    y_true: &[L],
    y_score: &[f64],
    pos_label: Option<&L>,
    sample_weight: Option<&[f64]>,
) -> Result<ThresholdCounts> {
    let n_classes = unique_sorted(y_true).len();
    if n_classes > 2 && pos_label.is_none() {
        return Err(LearnError::UnsupportedTarget {
            y_type: "multiclass",
        });
    }
    check_pos_label_consistency(y_true, pos_label)?;
    let y: Vec<bool> = y_true.iter().map(|l| is_pos(l, pos_label)).collect();
    binary_counts(&y, y_score, sample_weight)
}

/// `_sort_inputs_and_compute_classification_thresholds` and the cumulative counts, on a
/// boolean target.
pub(super) fn binary_counts(
    y: &[bool],
    y_score: &[f64],
    sample_weight: Option<&[f64]>,
) -> Result<ThresholdCounts> {
    check_consistent_length(&[
        Some(y.len()),
        Some(y_score.len()),
        sample_weight.map(<[f64]>::len),
    ])?;
    check_finite(y_score, "")?;
    if let Some(w) = sample_weight {
        check_sample_weight(w)?;
    }
    if y.is_empty() {
        return Err(LearnError::NoSamples);
    }
    let keep: Vec<usize> = match sample_weight {
        Some(w) => (0..y.len()).filter(|&i| w[i] != 0.0).collect(),
        None => (0..y.len()).collect(),
    };
    // a stable sort on decreasing scores: ties keep their input order
    let mut order = keep;
    order.sort_by(|&a, &b| {
        y_score[b]
            .partial_cmp(&y_score[a])
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let score: Vec<f64> = order.iter().map(|&i| y_score[i]).collect();
    let truth: Vec<f64> = order.iter().map(|&i| f64::from(u8::from(y[i]))).collect();
    let weight: Option<Vec<f64>> = sample_weight.map(|w| order.iter().map(|&i| w[i]).collect());

    let mut idx: Vec<usize> = (0..score.len().saturating_sub(1))
        .filter(|&i| score[i + 1] - score[i] != 0.0)
        .collect();
    idx.push(score.len() - 1);

    let w_at = |i: usize| weight.as_ref().map_or(1.0, |w| w[i]);
    let tps_all = cumsum((0..truth.len()).map(|i| truth[i] * w_at(i)));
    let tps: Vec<f64> = idx.iter().map(|&i| tps_all[i]).collect();
    let fps: Vec<f64> = if weight.is_some() {
        let fps_all = cumsum((0..truth.len()).map(|i| (1.0 - truth[i]) * w_at(i)));
        idx.iter().map(|&i| fps_all[i]).collect()
    } else {
        idx.iter()
            .zip(&tps)
            .map(|(&i, t)| 1.0 + i as f64 - t)
            .collect()
    };
    let last_fp = *fps.last().unwrap_or(&0.0);
    let last_tp = *tps.last().unwrap_or(&0.0);
    Ok(ThresholdCounts {
        tns: fps.iter().map(|f| last_fp - f).collect(),
        fns: tps.iter().map(|t| last_tp - t).collect(),
        thresholds: idx.iter().map(|&i| score[i]).collect(),
        fps,
        tps,
    })
}

/// A receiver operating characteristic curve.
#[derive(Debug, Clone, PartialEq)]
pub struct RocCurve {
    /// False positive rates, increasing.
    pub fpr: Vec<f64>,
    /// True positive rates, increasing.
    pub tpr: Vec<f64>,
    /// Decreasing thresholds; the first is `inf` (the point `(0, 0)`).
    pub thresholds: Vec<f64>,
    /// scikit-learn's warnings (no negative or no positive samples).
    pub warnings: Vec<Warning>,
}

/// The ROC curve of a binary task (`sklearn.metrics.roc_curve`).
///
/// `drop_intermediate` (scikit-learn's default is `true`) drops the thresholds whose
/// points are collinear with their neighbours on a horizontal or vertical segment.
///
/// ```
/// use kiln_learn::metrics::roc_curve;
///
/// let roc = roc_curve(&[1, 1, 2, 2], &[0.1, 0.4, 0.35, 0.8], Some(&2), None, true)?;
/// assert_eq!(roc.fpr, vec![0.0, 0.0, 0.5, 0.5, 1.0]);
/// assert_eq!(roc.tpr, vec![0.0, 0.5, 0.5, 1.0, 1.0]);
/// assert_eq!(roc.thresholds, vec![f64::INFINITY, 0.8, 0.4, 0.35, 0.1]);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
pub fn roc_curve<L: Label>(
    y_true: &[L],
    y_score: &[f64],
    pos_label: Option<&L>,
    sample_weight: Option<&[f64]>,
    drop_intermediate: bool,
) -> Result<RocCurve> {
    let counts = confusion_matrix_at_thresholds(y_true, y_score, pos_label, sample_weight)?;
    Ok(roc_from_counts(counts, drop_intermediate))
}

pub(super) fn roc_from_counts(counts: ThresholdCounts, drop_intermediate: bool) -> RocCurve {
    let ThresholdCounts {
        mut fps,
        mut tps,
        mut thresholds,
        ..
    } = counts;
    if drop_intermediate && fps.len() > 2 {
        let d2fps = diff(&diff(&fps));
        let d2tps = diff(&diff(&tps));
        let n = fps.len();
        let keep: Vec<usize> = (0..n)
            .filter(|&i| i == 0 || i == n - 1 || d2fps[i - 1] != 0.0 || d2tps[i - 1] != 0.0)
            .collect();
        fps = keep.iter().map(|&i| fps[i]).collect();
        tps = keep.iter().map(|&i| tps[i]).collect();
        thresholds = keep.iter().map(|&i| thresholds[i]).collect();
    }
    tps.insert(0, 0.0);
    fps.insert(0, 0.0);
    thresholds.insert(0, f64::INFINITY);
    let mut warnings = Vec::new();
    let last_fp = *fps.last().unwrap_or(&0.0);
    let fpr = if last_fp <= 0.0 {
        warnings.push(Warning::undefined(
            "No negative samples in y_true, false positive value should be meaningless",
        ));
        vec![f64::NAN; fps.len()]
    } else {
        fps.iter().map(|f| f / last_fp).collect()
    };
    let last_tp = *tps.last().unwrap_or(&0.0);
    let tpr = if last_tp <= 0.0 {
        warnings.push(Warning::undefined(
            "No positive samples in y_true, true positive value should be meaningless",
        ));
        vec![f64::NAN; tps.len()]
    } else {
        tps.iter().map(|t| t / last_tp).collect()
    };
    RocCurve {
        fpr,
        tpr,
        thresholds,
        warnings,
    }
}

/// A precision-recall curve.
#[derive(Debug, Clone, PartialEq)]
pub struct PrecisionRecallCurve {
    /// Precision at each threshold, then a final 1.
    pub precision: Vec<f64>,
    /// Recall at each threshold (decreasing), then a final 0.
    pub recall: Vec<f64>,
    /// Increasing thresholds.
    pub thresholds: Vec<f64>,
    /// scikit-learn's warnings (no positive sample).
    pub warnings: Vec<Warning>,
}

/// The precision-recall pairs at each distinct score (`sklearn.metrics.precision_recall_curve`,
/// whose `drop_intermediate` defaults to `false`).
///
/// ```
/// use kiln_learn::metrics::precision_recall_curve;
///
/// let pr = precision_recall_curve(&[0, 0, 1, 1], &[0.1, 0.4, 0.35, 0.8], None, None, false)?;
/// assert_eq!(pr.recall, vec![1.0, 1.0, 0.5, 0.5, 0.0]);
/// assert_eq!(pr.thresholds, vec![0.1, 0.35, 0.4, 0.8]);
/// assert_eq!(pr.precision[..2], [0.5, 2.0 / 3.0]);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
pub fn precision_recall_curve<L: Label>(
    y_true: &[L],
    y_score: &[f64],
    pos_label: Option<&L>,
    sample_weight: Option<&[f64]>,
    drop_intermediate: bool,
) -> Result<PrecisionRecallCurve> {
    let counts = confusion_matrix_at_thresholds(y_true, y_score, pos_label, sample_weight)?;
    Ok(pr_from_counts(counts, drop_intermediate))
}

pub(super) fn pr_from_counts(
    counts: ThresholdCounts,
    drop_intermediate: bool,
) -> PrecisionRecallCurve {
    let ThresholdCounts {
        mut fps,
        mut tps,
        mut thresholds,
        ..
    } = counts;
    if drop_intermediate && fps.len() > 2 {
        let n = tps.len();
        let keep: Vec<usize> = (0..n)
            .filter(|&i| {
                i == 0 || i == n - 1 || tps[i] - tps[i - 1] != 0.0 || tps[i + 1] - tps[i] != 0.0
            })
            .collect();
        fps = keep.iter().map(|&i| fps[i]).collect();
        tps = keep.iter().map(|&i| tps[i]).collect();
        thresholds = keep.iter().map(|&i| thresholds[i]).collect();
    }
    let mut precision: Vec<f64> = tps
        .iter()
        .zip(&fps)
        .map(|(t, f)| if t + f != 0.0 { t / (t + f) } else { 0.0 })
        .collect();
    let mut warnings = Vec::new();
    let last_tp = *tps.last().unwrap_or(&0.0);
    let mut recall: Vec<f64> = if last_tp == 0.0 {
        warnings.push(Warning::user(
            "No positive class found in y_true, recall is set to one for all thresholds.",
        ));
        vec![1.0; tps.len()]
    } else {
        tps.iter().map(|t| t / last_tp).collect()
    };
    precision.reverse();
    precision.push(1.0);
    recall.reverse();
    recall.push(0.0);
    thresholds.reverse();
    PrecisionRecallCurve {
        precision,
        recall,
        thresholds,
        warnings,
    }
}

/// The area under a curve by the trapezoidal rule (`sklearn.metrics.auc`); `x` must be
/// monotonic (increasing or decreasing).
///
/// ```
/// use kiln_learn::metrics::auc;
///
/// assert_eq!(auc(&[0.0, 0.5, 1.0], &[0.0, 1.0, 1.0])?, 0.75);
/// assert_eq!(auc(&[1.0, 0.5, 0.0], &[1.0, 1.0, 0.0])?, 0.75);
/// assert_eq!(
///     auc(&[0.0, 1.0, 0.5], &[1.0, 2.0, 3.0]).unwrap_err().to_string(),
///     "x is neither increasing nor decreasing : [0.  1.  0.5]."
/// );
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
pub fn auc(x: &[f64], y: &[f64]) -> Result<f64> {
    check_consistent_length(&[Some(x.len()), Some(y.len())])?;
    if x.len() < 2 {
        return Err(LearnError::AucTooFewPoints { n: x.len() });
    }
    let dx = diff(x);
    let mut direction = 1.0;
    if dx.iter().any(|d| *d < 0.0) {
        if dx.iter().all(|d| *d <= 0.0) {
            direction = -1.0;
        } else {
            return Err(LearnError::AucNotMonotonic {
                x: numpy_float_array(x),
            });
        }
    }
    // np.trapezoid: sum(d * (y[1:] + y[:-1]) / 2.0)
    let terms: Vec<f64> = dx
        .iter()
        .enumerate()
        .map(|(i, d)| d * (y[i + 1] + y[i]) / 2.0)
        .collect();
    Ok(direction * np_sum(&terms))
}
