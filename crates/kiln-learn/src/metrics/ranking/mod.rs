//! Score-based metrics: ROC and precision-recall curves, `auc`, `roc_auc_score` and
//! `average_precision_score` (`sklearn/metrics/_ranking.py` and `_base.py`).

use crate::error::{LearnError, Result, Warning};
use crate::label::{numpy_label_array, unique_sorted, Label, LabelKind};
use crate::metrics::classification::{average_repr, Average, Score};
use crate::numeric::{cumsum, diff, np_average, np_average_weighted, np_mean, np_sum};
use crate::pyfmt::{numpy_float_array, py_float_repr};
use crate::validation::{check_2d, check_consistent_length, check_finite, check_sample_weight};

/// Whether a label is the positive class: `pos_label`, or Python's `1` when it is
/// `None` (scikit-learn's default after its `{0, 1}` / `{-1, 1}` check).
fn is_pos<L: Label>(label: &L, pos_label: Option<&L>) -> bool {
    match pos_label {
        Some(p) => label == p,
        None => label.is_one(),
    }
}

/// `_check_pos_label_consistency`: without `pos_label`, the classes must be a subset
/// of `{0, 1}` or `{-1, 1}`.
fn check_pos_label_consistency<L: Label>(y_true: &[L], pos_label: Option<&L>) -> Result<()> {
    if pos_label.is_some() {
        return Ok(());
    }
    let classes = unique_sorted(y_true);
    let values: Option<Vec<i64>> = classes.iter().map(Label::as_i64).collect();
    let ok = L::KIND != LabelKind::Str
        && matches!(
            values.as_deref(),
            Some([0, 1]) | Some([-1, 1]) | Some([0]) | Some([-1]) | Some([1])
        );
    if !ok {
        let reprs: Vec<String> = classes.iter().map(Label::py_repr).collect();
        return Err(LearnError::PosLabelNotSpecified {
            classes: reprs.join(", "),
        });
    }
    Ok(())
}

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
fn binary_counts(
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

fn roc_from_counts(counts: ThresholdCounts, drop_intermediate: bool) -> RocCurve {
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

fn pr_from_counts(counts: ThresholdCounts, drop_intermediate: bool) -> PrecisionRecallCurve {
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

fn check_max_fpr(max_fpr: Option<f64>) -> Result<()> {
    match max_fpr {
        Some(v) if !(v > 0.0 && v <= 1.0) => Err(LearnError::InvalidParameter {
            param: "max_fpr",
            caller: Some("roc_auc_score"),
            constraint: "a float in the range (0.0, 1.0] or None".to_string(),
            got: py_float_repr(v),
        }),
        _ => Ok(()),
    }
}

/// `_binary_roc_auc_score`: NaN and a warning when `y` holds one class.
fn binary_roc_auc(
    y: &[bool],
    y_score: &[f64],
    sample_weight: Option<&[f64]>,
    max_fpr: Option<f64>,
    warnings: &mut Vec<Warning>,
) -> Result<f64> {
    if !(y.contains(&true) && y.contains(&false)) {
        warnings.push(Warning::undefined(LearnError::OneClassRocAuc.to_string()));
        return Ok(f64::NAN);
    }
    let roc = roc_from_counts(binary_counts(y, y_score, sample_weight)?, true);
    warnings.extend(roc.warnings.iter().cloned());
    let (fpr, tpr) = (roc.fpr, roc.tpr);
    let max_fpr = match max_fpr {
        None | Some(1.0) => return auc(&fpr, &tpr),
        Some(m) => m,
    };
    // add a single point at max_fpr by linear interpolation
    let stop = fpr.partition_point(|f| *f <= max_fpr);
    if stop == 0 {
        // NaN rates (no negative sample of non-zero weight): scikit-learn's curve shrinks
        // to the one point at max_fpr
        return Err(LearnError::AucTooFewPoints { n: 1 });
    }
    let (x0, y0) = (fpr[stop - 1], tpr[stop - 1]);
    let (x1, y1) = (
        fpr.get(stop).copied().unwrap_or(x0),
        tpr.get(stop).copied().unwrap_or(y0),
    );
    // np.interp(max_fpr, [x0, x1], [y0, y1])
    let interp = if max_fpr == x0 || x1 == x0 {
        y0
    } else {
        let v = (y1 - y0) / (x1 - x0) * (max_fpr - x0) + y0;
        if v.is_nan() {
            (y1 - y0) / (x1 - x0) * (max_fpr - x1) + y1
        } else {
            v
        }
    };
    let mut tpr_part = tpr[..stop].to_vec();
    tpr_part.push(interp);
    let mut fpr_part = fpr[..stop].to_vec();
    fpr_part.push(max_fpr);
    let partial_auc = auc(&fpr_part, &tpr_part)?;
    // McClish correction: 0.5 if non-discriminant, 1 if maximal
    let min_area = 0.5 * max_fpr * max_fpr;
    let max_area = max_fpr;
    Ok(0.5 * (1.0 + (partial_auc - min_area) / (max_area - min_area)))
}

/// The area under the ROC curve of a binary task (`sklearn.metrics.roc_auc_score` on
/// 1-D scores); the positive class is the greater label. `max_fpr` in `(0, 1]` gives
/// the standardized partial AUC (McClish correction).
///
/// Where scikit-learn 1.9 warns and returns NaN for a `y_true` with a single class,
/// this returns [`LearnError::OneClassRocAuc`], with the warning's text.
///
/// ```
/// use kiln_learn::{LearnError, metrics::roc_auc_score};
///
/// assert_eq!(roc_auc_score(&[0, 0, 1, 1], &[0.1, 0.4, 0.35, 0.8], None, None)?, 0.75);
/// assert_eq!(
///     roc_auc_score(&[1, 1, 1], &[0.1, 0.4, 0.35], None, None),
///     Err(LearnError::OneClassRocAuc)
/// );
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
pub fn roc_auc_score<L: Label>(
    y_true: &[L],
    y_score: &[f64],
    sample_weight: Option<&[f64]>,
    max_fpr: Option<f64>,
) -> Result<f64> {
    check_max_fpr(max_fpr)?;
    let classes = unique_sorted(y_true);
    check_finite(y_score, "")?;
    if classes.len() > 2 {
        if let Some(m) = max_fpr
            && m != 1.0
        {
            return Err(LearnError::PartialAucMulticlass {
                max_fpr: py_float_repr(m),
            });
        }
        return Err(LearnError::MultiClassRaise);
    }
    if classes.len() < 2 {
        return Err(LearnError::OneClassRocAuc);
    }
    let y: Vec<bool> = y_true.iter().map(|l| *l == classes[1]).collect();
    let mut warnings = Vec::new();
    binary_roc_auc(&y, y_score, sample_weight, max_fpr, &mut warnings)
}

/// The multiclass strategies of `roc_auc_score`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MultiClass {
    /// One-vs-rest: each class against all others.
    Ovr,
    /// One-vs-one (Hand & Till 2001): the mean over all class pairs.
    Ovo,
}

/// Options of [`roc_auc_score_multiclass`], with scikit-learn's defaults
/// (`multi_class='raise'`, i.e. `None`, and `average='macro'`).
#[derive(Debug, Clone)]
pub struct RocAucMulticlassOptions<'a, L> {
    /// The strategy; `None` (scikit-learn's `'raise'`) is an error on multiclass targets.
    pub multi_class: Option<MultiClass>,
    /// The averaging: micro (one-vs-rest only), macro, weighted or `None` (per class,
    /// one-vs-rest only).
    pub average: Option<Average>,
    /// The sorted, unique labels indexing the score columns (the labels of `y_true`
    /// by default).
    pub labels: Option<&'a [L]>,
    /// Sample weights (not with one-vs-one).
    pub sample_weight: Option<&'a [f64]>,
    /// Must be `None` (or 1) for multiclass targets.
    pub max_fpr: Option<f64>,
}

impl<L> Default for RocAucMulticlassOptions<'_, L> {
    fn default() -> Self {
        RocAucMulticlassOptions {
            multi_class: None,
            average: Some(Average::Macro),
            labels: None,
            sample_weight: None,
            max_fpr: None,
        }
    }
}

fn check_ranking_average(average: Option<Average>, caller: &'static str) -> Result<()> {
    if average == Some(Average::Binary) {
        return Err(LearnError::InvalidParameter {
            param: "average",
            caller: Some(caller),
            constraint: "a str among {'micro', 'macro', 'samples', 'weighted'} or None".to_string(),
            got: average_repr(average),
        });
    }
    Ok(())
}

/// ROC AUC of a multiclass task from per-class probabilities
/// (`sklearn.metrics.roc_auc_score` with 2-D `y_score` and `multi_class`); each row of
/// `y_score` holds one sample's class probabilities and must sum to one.
///
/// ```
/// use kiln_learn::metrics::{roc_auc_score_multiclass, MultiClass, RocAucMulticlassOptions};
///
/// let y_true = [0, 1, 2, 2];
/// let y_score = [[0.5, 0.2, 0.3], [0.2, 0.3, 0.5], [0.2, 0.2, 0.6], [0.3, 0.4, 0.3]];
/// let ovr = RocAucMulticlassOptions { multi_class: Some(MultiClass::Ovr), ..Default::default() };
/// let auc = roc_auc_score_multiclass(&y_true, &y_score, &ovr)?;
/// assert!((auc.average().unwrap() - 0.763888888888889).abs() < 1e-15);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
pub fn roc_auc_score_multiclass<L: Label, R: AsRef<[f64]>>(
    y_true: &[L],
    y_score: &[R],
    options: &RocAucMulticlassOptions<'_, L>,
) -> Result<Score> {
    check_ranking_average(options.average, "roc_auc_score")?;
    check_max_fpr(options.max_fpr)?;
    let present = unique_sorted(y_true);
    let n_columns = check_2d(y_score)?;
    let flat: Vec<f64> = y_score
        .iter()
        .flat_map(|r| r.as_ref().iter().copied())
        .collect();
    check_finite(&flat, "")?;
    if present.len() <= 2 && n_columns <= 2 {
        return Err(LearnError::NotOneDimensional {
            shape: format!("({}, {})", y_score.len(), n_columns),
        });
    }
    if let Some(m) = options.max_fpr
        && m != 1.0
    {
        return Err(LearnError::PartialAucMulticlass {
            max_fpr: py_float_repr(m),
        });
    }
    let Some(multi_class) = options.multi_class else {
        return Err(LearnError::MultiClassRaise);
    };
    // _multiclass_roc_auc_score
    let rows_sum_to_one = y_score.iter().all(|r| {
        let s = np_sum(r.as_ref());
        (1.0 - s).abs() <= 1e-8 + 1e-5 * s.abs()
    });
    if !rows_sum_to_one {
        return Err(LearnError::ScoresNotProbabilities);
    }
    let average = options.average;
    match multi_class {
        MultiClass::Ovr if average == Some(Average::Samples) => {
            return Err(LearnError::MulticlassAverage {
                options: "('micro', 'macro', 'weighted', None)",
            });
        }
        MultiClass::Ovo if matches!(average, Some(Average::Samples) | Some(Average::Micro)) => {
            return Err(LearnError::MulticlassAverage {
                options: "('macro', 'weighted', None)",
            });
        }
        MultiClass::Ovo if average.is_none() => return Err(LearnError::OvoAverageNone),
        _ => {}
    }
    let classes: Vec<L> = match options.labels {
        Some(labels) => {
            let unique = unique_sorted(labels);
            if unique.len() != labels.len() {
                return Err(LearnError::LabelsNotUnique);
            }
            if unique != labels {
                return Err(LearnError::LabelsNotOrdered);
            }
            if unique.len() != n_columns {
                return Err(LearnError::LabelsColumnsMismatch {
                    n_labels: unique.len(),
                    n_columns,
                });
            }
            if present.iter().any(|l| unique.binary_search(l).is_err()) {
                return Err(LearnError::YTrueNotInLabels);
            }
            unique
        }
        None => {
            if present.len() != n_columns {
                return Err(LearnError::ClassesColumnsMismatch);
            }
            present
        }
    };
    let mut warnings = Vec::new();
    match multi_class {
        MultiClass::Ovo => {
            if options.sample_weight.is_some() {
                return Err(LearnError::OvoSampleWeight);
            }
            let encoded: Vec<usize> = y_true
                .iter()
                .map(|l| classes.binary_search(l).unwrap_or(0))
                .collect();
            check_consistent_length(&[Some(encoded.len()), Some(y_score.len())])?;
            let mut present_codes = encoded.clone();
            present_codes.sort_unstable();
            present_codes.dedup();
            let (mut pair_scores, mut prevalence) = (Vec::new(), Vec::new());
            for (i, &a) in present_codes.iter().enumerate() {
                for &b in &present_codes[i + 1..] {
                    let ab: Vec<usize> = (0..encoded.len())
                        .filter(|&s| encoded[s] == a || encoded[s] == b)
                        .collect();
                    prevalence.push(ab.len() as f64 / encoded.len() as f64);
                    let a_true: Vec<bool> = ab.iter().map(|&s| encoded[s] == a).collect();
                    let b_true: Vec<bool> = ab.iter().map(|&s| encoded[s] == b).collect();
                    let a_score: Vec<f64> = ab.iter().map(|&s| y_score[s].as_ref()[a]).collect();
                    let b_score: Vec<f64> = ab.iter().map(|&s| y_score[s].as_ref()[b]).collect();
                    let a_auc = binary_roc_auc(&a_true, &a_score, None, None, &mut warnings)?;
                    let b_auc = binary_roc_auc(&b_true, &b_score, None, None, &mut warnings)?;
                    pair_scores.push((a_auc + b_auc) / 2.0);
                }
            }
            let weights = (average == Some(Average::Weighted)).then_some(prevalence.as_slice());
            Ok(Score::Average(np_average(&pair_scores, weights)?))
        }
        MultiClass::Ovr => {
            let indicator = label_binarize(y_true, &classes);
            average_binary_score(
                |y, s, w, warnings| binary_roc_auc(y, s, w, None, warnings),
                &indicator,
                y_score,
                average,
                options.sample_weight,
                &mut warnings,
            )
        }
    }
}

/// `label_binarize` for three or more classes: one indicator column per class.
fn label_binarize<L: Label>(y: &[L], classes: &[L]) -> Vec<Vec<bool>> {
    y.iter()
        .map(|l| classes.iter().map(|c| c == l).collect())
        .collect()
}

/// `_average_binary_score` on a multilabel indicator target.
fn average_binary_score<R: AsRef<[f64]>>(
    metric: impl Fn(&[bool], &[f64], Option<&[f64]>, &mut Vec<Warning>) -> Result<f64>,
    y_true: &[Vec<bool>],
    y_score: &[R],
    average: Option<Average>,
    sample_weight: Option<&[f64]>,
    warnings: &mut Vec<Warning>,
) -> Result<Score> {
    check_consistent_length(&[
        Some(y_true.len()),
        Some(y_score.len()),
        sample_weight.map(<[f64]>::len),
    ])?;
    let n_classes = y_true.first().map_or(0, Vec::len);
    let column = |m: &[Vec<bool>], c: usize| -> Vec<bool> { m.iter().map(|r| r[c]).collect() };
    let score_column = |c: usize| -> Vec<f64> { y_score.iter().map(|r| r.as_ref()[c]).collect() };
    let (scores, average_weight): (Vec<f64>, Option<Vec<f64>>) = match average {
        Some(Average::Micro) => {
            let repeated: Option<Vec<f64>> = sample_weight.map(|w| {
                w.iter()
                    .flat_map(|v| std::iter::repeat_n(*v, n_classes))
                    .collect()
            });
            let y: Vec<bool> = y_true.iter().flatten().copied().collect();
            let s: Vec<f64> = y_score
                .iter()
                .flat_map(|r| r.as_ref().iter().copied())
                .collect();
            return Ok(Score::Average(metric(
                &y,
                &s,
                repeated.as_deref(),
                warnings,
            )?));
        }
        Some(Average::Samples) => {
            let scores = (0..y_true.len())
                .map(|i| metric(&y_true[i], y_score[i].as_ref(), None, warnings))
                .collect::<Result<Vec<f64>>>()?;
            (scores, sample_weight.map(<[f64]>::to_vec))
        }
        _ => {
            let mut average_weight = None;
            if average == Some(Average::Weighted) {
                // an axis-0 sum adds the rows in turn
                let mut w = vec![0.0; n_classes];
                for (i, row) in y_true.iter().enumerate() {
                    let sw = sample_weight.map_or(1.0, |s| s[i]);
                    for (acc, &v) in w.iter_mut().zip(row) {
                        *acc += f64::from(u8::from(v)) * sw;
                    }
                }
                if np_sum(&w).abs() <= 1e-8 {
                    return Ok(Score::Average(0.0));
                }
                average_weight = Some(w);
            }
            let scores = (0..n_classes)
                .map(|c| {
                    metric(
                        &column(y_true, c),
                        &score_column(c),
                        sample_weight,
                        warnings,
                    )
                })
                .collect::<Result<Vec<f64>>>()?;
            (scores, average_weight)
        }
    };
    match average {
        None => Ok(Score::PerClass(scores)),
        Some(_) => match average_weight {
            Some(w) => {
                let scores: Vec<f64> = scores
                    .iter()
                    .zip(&w)
                    .map(|(s, w)| if *w == 0.0 { 0.0 } else { *s })
                    .collect();
                Ok(Score::Average(np_average_weighted(&scores, &w)?))
            }
            None => Ok(Score::Average(np_mean(&scores))),
        },
    }
}

/// `_binary_uninterpolated_average_precision` on a boolean target.
fn binary_average_precision(
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
