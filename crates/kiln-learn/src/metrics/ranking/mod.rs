//! Score-based metrics: ROC and precision-recall curves, `auc`, `roc_auc_score` and
//! `average_precision_score` (`sklearn/metrics/_ranking.py` and `_base.py`).

mod average_precision;
mod curves;
mod roc_auc;

use crate::error::{LearnError, Result, Warning};
use crate::label::{unique_sorted, Label, LabelKind};
use crate::metrics::classification::{average_repr, Average, Score};
use crate::numeric::{np_average_weighted, np_mean, np_sum};
use crate::validation::check_consistent_length;
pub use average_precision::{average_precision_score, average_precision_score_multiclass};
pub use curves::{
    auc, confusion_matrix_at_thresholds, precision_recall_curve, roc_curve, PrecisionRecallCurve,
    RocCurve, ThresholdCounts,
};
pub use roc_auc::{roc_auc_score, roc_auc_score_multiclass, MultiClass, RocAucMulticlassOptions};

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
