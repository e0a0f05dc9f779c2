//! scikit-learn-style evaluation for kiln: metrics and model selection.
//!
//! The functions keep scikit-learn's names, defaults, results and error messages
//! (golden-tested against scikit-learn 1.9.1), on plain slices:
//!
//! - [`metrics`]: `confusion_matrix`, `accuracy_score`, precision / recall / F-scores
//!   with every `average`, `classification_report`, `roc_curve`, `auc`,
//!   `roc_auc_score`, `precision_recall_curve`, `average_precision_score`,
//!   `mean_squared_error`, `mean_absolute_error`, `r2_score`;
//! - [`model_selection`]: `train_test_split`, `KFold`, `StratifiedKFold`,
//!   `ShuffleSplit`, `StratifiedShuffleSplit`;
//! - [`RandomState`]: NumPy's legacy generator, so that seeded splits match.
//!
//! ```
//! use kiln_learn::metrics::{roc_auc_score, roc_curve};
//! use kiln_learn::model_selection::{take, train_test_split, SplitSize};
//!
//! let y = [0, 0, 1, 1, 0, 1, 1, 0];
//! let scores = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.7, 0.3];
//! let split = train_test_split(y.len(), Some(SplitSize::Count(4)), None, Some(0), true)?;
//! let (y_test, s_test) = (take(&y, &split.test), take(&scores, &split.test));
//! let roc = roc_curve(&y_test, &s_test, None, None, true)?;
//! assert_eq!(roc.thresholds[0], f64::INFINITY);
//! let auc = roc_auc_score(&y, &scores, None, None)?;
//! assert!((auc - 0.9375).abs() < 1e-12);
//! # Ok::<(), kiln_learn::LearnError>(())
//! ```

#![warn(missing_docs)]

mod error;
mod label;
pub mod metrics;
pub mod model_selection;
mod numeric;
mod pyfmt;
mod random;
mod validation;

pub use error::{LearnError, Result, Warning, WarningCategory};
pub use label::{Label, LabelKind};
pub use random::RandomState;
