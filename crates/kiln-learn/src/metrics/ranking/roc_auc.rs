//! `roc_auc_score`: binary (with `max_fpr`'s McClish correction), multilabel and
//! multiclass (`ovr`, `ovo`).

use super::curves::{auc, binary_counts, roc_from_counts};
use super::{average_binary_score, check_ranking_average, label_binarize};
use crate::error::{LearnError, Result, Warning};
use crate::label::{unique_sorted, Label};
use crate::metrics::classification::{Average, Score};
use crate::numeric::{np_average, np_sum};
use crate::pyfmt::py_float_repr;
use crate::validation::{check_2d, check_consistent_length, check_finite};

pub(super) fn check_max_fpr(max_fpr: Option<f64>) -> Result<()> {
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
pub(super) fn binary_roc_auc(
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
