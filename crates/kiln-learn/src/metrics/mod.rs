//! scikit-learn's evaluation metrics (`sklearn.metrics`): classification scores and
//! reports, ROC and precision-recall curves, and regression errors.
//!
//! Labels are any [`Label`](crate::Label) (integers, booleans, strings); scores and
//! regression targets are `f64` slices; 2-D scores are rows (`&[R]` with
//! `R: AsRef<[f64]>`). Where scikit-learn would warn, results carry a `warnings` list.

mod classification;
mod ranking;
mod regression;
mod report;

pub use classification::{
    accuracy_score, confusion_matrix, f1_score, fbeta_score, precision_recall_fscore_support,
    precision_score, recall_score, Average, ConfusionMatrix, Normalize,
    PrecisionRecallFscoreSupport, PrfOptions, Score, ZeroDivision,
};
pub use ranking::{
    auc, average_precision_score, average_precision_score_multiclass,
    confusion_matrix_at_thresholds, precision_recall_curve, roc_auc_score,
    roc_auc_score_multiclass, roc_curve, MultiClass, PrecisionRecallCurve, RocAucMulticlassOptions,
    RocCurve, ThresholdCounts,
};
pub use regression::{mean_absolute_error, mean_squared_error, r2_score, root_mean_squared_error};
pub use report::{classification_report, ClassificationReport, ReportOptions, ReportRow};
