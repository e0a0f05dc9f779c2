//! Label-based classification metrics: `accuracy_score`, `confusion_matrix` and the
//! precision / recall / F-score family (`sklearn/metrics/_classification.py`).

use std::collections::BTreeMap;
use std::str::FromStr;

use crate::error::{LearnError, Result, Warning};
use crate::label::{numpy_label_array, unique_union, Label};
use crate::numeric::{nanaverage, np_average, np_sum};
use crate::pyfmt::py_float_repr;
use crate::validation::{check_consistent_length, check_sample_weight};

/// How per-class scores are averaged (scikit-learn's `average`; `None` there is
/// `Option::None` here and gives one score per class).
///
/// ```
/// use kiln_learn::metrics::Average;
///
/// assert_eq!("macro".parse::<Average>().unwrap(), Average::Macro);
/// assert_eq!(
///     "mean".parse::<Average>().unwrap_err().to_string(),
///     "The 'average' parameter must be a str among {'micro', 'macro', 'samples', \
///      'weighted', 'binary'} or None. Got 'mean' instead."
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Average {
    /// Only the class `pos_label` of a binary target.
    Binary,
    /// Global counts of true positives, false negatives and false positives.
    Micro,
    /// Unweighted mean of the per-class scores.
    Macro,
    /// Mean of the per-class scores weighted by support.
    Weighted,
    /// Per-sample mean (multilabel targets only; an error for the 1-D labels here).
    Samples,
}

impl Average {
    /// scikit-learn's spelling, e.g. `"macro"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Average::Binary => "binary",
            Average::Micro => "micro",
            Average::Macro => "macro",
            Average::Weighted => "weighted",
            Average::Samples => "samples",
        }
    }
}

impl FromStr for Average {
    type Err = LearnError;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "binary" => Ok(Average::Binary),
            "micro" => Ok(Average::Micro),
            "macro" => Ok(Average::Macro),
            "weighted" => Ok(Average::Weighted),
            "samples" => Ok(Average::Samples),
            _ => Err(LearnError::InvalidParameter {
                param: "average",
                caller: None,
                constraint:
                    "a str among {'micro', 'macro', 'samples', 'weighted', 'binary'} or None"
                        .to_string(),
                got: crate::label::py_str_repr(s),
            }),
        }
    }
}

/// Python's `repr()` of an optional average (`'macro'` or `None`).
pub(crate) fn average_repr(average: Option<Average>) -> String {
    average.map_or_else(|| "None".to_string(), |a| format!("'{}'", a.as_str()))
}

/// The value a score takes when its denominator is zero (`zero_division`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ZeroDivision {
    /// `"warn"`: 0, and a warning is recorded.
    #[default]
    Warn,
    /// `0.0`.
    Zero,
    /// `1.0`.
    One,
    /// `np.nan` (ignored by the averages).
    NaN,
}

impl ZeroDivision {
    /// The substituted value.
    pub fn value(self) -> f64 {
        match self {
            ZeroDivision::Warn | ZeroDivision::Zero => 0.0,
            ZeroDivision::One => 1.0,
            ZeroDivision::NaN => f64::NAN,
        }
    }
}

/// A score: one averaged value, or one value per class when `average` is `None`.
#[derive(Debug, Clone, PartialEq)]
pub enum Score {
    /// The averaged score.
    Average(f64),
    /// One score per class, in the order of `labels` (sorted labels by default).
    PerClass(Vec<f64>),
}

impl Score {
    /// The averaged value, if this is one.
    ///
    /// ```
    /// use kiln_learn::metrics::Score;
    /// assert_eq!(Score::Average(0.5).average(), Some(0.5));
    /// assert_eq!(Score::PerClass(vec![0.5]).average(), None);
    /// ```
    pub fn average(&self) -> Option<f64> {
        match self {
            Score::Average(v) => Some(*v),
            Score::PerClass(_) => None,
        }
    }

    /// The values: one for an average, one per class otherwise.
    ///
    /// ```
    /// use kiln_learn::metrics::Score;
    /// assert_eq!(Score::Average(0.5).values(), &[0.5]);
    /// ```
    pub fn values(&self) -> &[f64] {
        match self {
            Score::Average(v) => std::slice::from_ref(v),
            Score::PerClass(v) => v,
        }
    }
}

/// The checked targets: sorted union of the labels and whether the task is binary.
pub(crate) struct Targets<L> {
    pub labels: Vec<L>,
    pub binary: bool,
}

/// scikit-learn's `_check_targets` for 1-D labels.
pub(crate) fn check_targets<L: Label>(
    y_true: &[L],
    y_pred: &[L],
    sample_weight: Option<&[f64]>,
) -> Result<Targets<L>> {
    check_consistent_length(&[
        Some(y_true.len()),
        Some(y_pred.len()),
        sample_weight.map(<[f64]>::len),
    ])?;
    if y_true.is_empty() {
        return Err(LearnError::EmptyInput);
    }
    if let Some(w) = sample_weight {
        check_sample_weight(w)?;
    }
    let labels = unique_union(y_true, y_pred);
    let binary = labels.len() <= 2;
    Ok(Targets { labels, binary })
}

/// Accuracy: the fraction (or, with `normalize = false`, the weighted count) of samples
/// whose predicted label equals the true one (`sklearn.metrics.accuracy_score`).
///
/// ```
/// use kiln_learn::metrics::accuracy_score;
///
/// assert_eq!(accuracy_score(&[0, 1, 2, 3], &[0, 2, 1, 3], true, None)?, 0.5);
/// assert_eq!(accuracy_score(&[0, 1, 2, 3], &[0, 2, 1, 3], false, None)?, 2.0);
/// assert_eq!(accuracy_score(&["a", "b"], &["a", "a"], true, Some(&[3.0, 1.0]))?, 0.75);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
pub fn accuracy_score<L: Label>(
    y_true: &[L],
    y_pred: &[L],
    normalize: bool,
    sample_weight: Option<&[f64]>,
) -> Result<f64> {
    check_targets(y_true, y_pred, sample_weight)?;
    let score: Vec<f64> = y_true
        .iter()
        .zip(y_pred)
        .map(|(t, p)| f64::from(u8::from(t == p)))
        .collect();
    match (normalize, sample_weight) {
        (true, w) => np_average(&score, w),
        (false, Some(w)) => Ok(score.iter().zip(w).map(|(s, w)| s * w).sum()),
        (false, None) => Ok(np_sum(&score)),
    }
}

/// How `confusion_matrix` normalizes its counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Normalize {
    /// Over the true labels (each row sums to one).
    True,
    /// Over the predicted labels (each column sums to one).
    Pred,
    /// Over all samples.
    All,
}

/// A confusion matrix: `matrix[i][j]` counts (or weighs) the samples of true class
/// `labels[i]` predicted as `labels[j]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfusionMatrix<L> {
    /// The labels indexing rows and columns.
    pub labels: Vec<L>,
    /// The rows of the matrix.
    pub matrix: Vec<Vec<f64>>,
    /// scikit-learn's warnings (a 1×1 matrix).
    pub warnings: Vec<Warning>,
}

/// The confusion matrix of `y_true` against `y_pred` (`sklearn.metrics.confusion_matrix`).
///
/// `labels` selects and orders the classes (the sorted labels of both inputs by
/// default); samples whose labels are not among them are left out.
///
/// ```
/// use kiln_learn::metrics::confusion_matrix;
///
/// let cm = confusion_matrix(&[2, 0, 2, 2, 0, 1], &[0, 0, 2, 2, 0, 2], None, None, None)?;
/// assert_eq!(cm.labels, vec![0, 1, 2]);
/// assert_eq!(cm.matrix, vec![vec![2.0, 0.0, 0.0], vec![0.0, 0.0, 1.0], vec![1.0, 0.0, 2.0]]);
///
/// let y_true = ["cat", "ant", "cat", "cat", "ant", "bird"];
/// let y_pred = ["ant", "ant", "cat", "cat", "ant", "cat"];
/// let cm = confusion_matrix(&y_true, &y_pred, Some(&["ant", "bird", "cat"]), None, None)?;
/// assert_eq!(cm.matrix[2], vec![1.0, 0.0, 2.0]);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
pub fn confusion_matrix<L: Label>(
    y_true: &[L],
    y_pred: &[L],
    labels: Option<&[L]>,
    sample_weight: Option<&[f64]>,
    normalize: Option<Normalize>,
) -> Result<ConfusionMatrix<L>> {
    let targets = check_targets(y_true, y_pred, sample_weight)?;
    let labels: Vec<L> = match labels {
        None => targets.labels,
        Some(given) => {
            if given.is_empty() {
                return Err(LearnError::EmptyLabels);
            }
            if !given.iter().any(|l| y_true.contains(l)) {
                return Err(LearnError::NoLabelInYTrue);
            }
            given.to_vec()
        }
    };
    let n = labels.len();
    // `{label: index for index, label in enumerate(labels)}`: the last duplicate wins.
    let mut index: BTreeMap<&L, usize> = BTreeMap::new();
    for (i, l) in labels.iter().enumerate() {
        index.insert(l, i);
    }
    let mut matrix = vec![vec![0.0; n]; n];
    for (k, (t, p)) in y_true.iter().zip(y_pred).enumerate() {
        if let (Some(&i), Some(&j)) = (index.get(t), index.get(p)) {
            matrix[i][j] += sample_weight.map_or(1.0, |w| w[k]);
        }
    }
    if let Some(mode) = normalize {
        match mode {
            Normalize::True => {
                for row in &mut matrix {
                    let s = np_sum(row);
                    row.iter_mut().for_each(|v| *v /= s);
                }
            }
            Normalize::Pred => {
                // An axis-0 sum of a C-ordered matrix adds the rows in turn.
                let mut cols = vec![0.0; n];
                for row in &matrix {
                    cols.iter_mut().zip(row).for_each(|(c, v)| *c += v);
                }
                for row in &mut matrix {
                    row.iter_mut().zip(&cols).for_each(|(v, c)| *v /= c);
                }
            }
            Normalize::All => {
                let flat: Vec<f64> = matrix.iter().flatten().copied().collect();
                let s = np_sum(&flat);
                matrix.iter_mut().flatten().for_each(|v| *v /= s);
            }
        }
        // `np.nan_to_num`
        for v in matrix.iter_mut().flatten() {
            if v.is_nan() {
                *v = 0.0;
            } else if *v == f64::INFINITY {
                *v = f64::MAX;
            } else if *v == f64::NEG_INFINITY {
                *v = f64::MIN;
            }
        }
    }
    let mut warnings = Vec::new();
    if n == 1 {
        warnings.push(Warning::user(
            "A single label was found in 'y_true' and 'y_pred'. For the confusion matrix to have the correct shape, use the 'labels' parameter to pass all known labels.",
        ));
    }
    Ok(ConfusionMatrix {
        labels,
        matrix,
        warnings,
    })
}

/// Options of the precision / recall / F-score family, with scikit-learn's defaults
/// (`labels=None, pos_label=1, average='binary', sample_weight=None,
/// zero_division='warn'`).
#[derive(Debug, Clone)]
pub struct PrfOptions<'a, L> {
    /// The labels to score and their order; by default the sorted labels of both inputs.
    /// Labels absent from the data score by `zero_division`.
    pub labels: Option<&'a [L]>,
    /// The positive class for `average = Some(Average::Binary)`; `None` is scikit-learn's
    /// default `pos_label=1` (which matches `1` and `true`).
    pub pos_label: Option<L>,
    /// The averaging; `None` returns one score per label.
    pub average: Option<Average>,
    /// Sample weights.
    pub sample_weight: Option<&'a [f64]>,
    /// The value of an undefined ratio.
    pub zero_division: ZeroDivision,
}

impl<L> Default for PrfOptions<'_, L> {
    fn default() -> Self {
        PrfOptions {
            labels: None,
            pos_label: None,
            average: Some(Average::Binary),
            sample_weight: None,
            zero_division: ZeroDivision::Warn,
        }
    }
}

/// The result of [`precision_recall_fscore_support`].
#[derive(Debug, Clone, PartialEq)]
pub struct PrecisionRecallFscoreSupport {
    /// Precision.
    pub precision: Score,
    /// Recall.
    pub recall: Score,
    /// F-beta score.
    pub fbeta_score: Score,
    /// The (weighted) number of true samples of each label; `None` when averaged.
    pub support: Option<Vec<f64>>,
    /// scikit-learn's `UndefinedMetricWarning`s and `UserWarning`s, in order.
    pub warnings: Vec<Warning>,
}

/// Which zero divisions warn (`warn_for`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct WarnFor {
    pub precision: bool,
    pub recall: bool,
    pub f_score: bool,
}

impl WarnFor {
    pub const ALL: WarnFor = WarnFor {
        precision: true,
        recall: true,
        f_score: true,
    };
}

/// The per-label sufficient statistics of `multilabel_confusion_matrix`, for the
/// requested labels (`None` is a label absent from the data).
struct LabelStats {
    tp: Vec<f64>,
    pred: Vec<f64>,
    true_: Vec<f64>,
}

fn label_stats<L: Label>(
    y_true: &[L],
    y_pred: &[L],
    sample_weight: Option<&[f64]>,
    requested: &[Option<L>],
) -> LabelStats {
    let mut classes: Vec<L> = unique_union(y_true, y_pred);
    classes.extend(requested.iter().flatten().cloned());
    classes.sort();
    classes.dedup();
    let idx = |l: &L| classes.binary_search(l).unwrap_or(0);
    let k = classes.len();
    let (mut tp, mut pred, mut true_) = (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
    // np.bincount accumulates in sample order.
    for (s, (t, p)) in y_true.iter().zip(y_pred).enumerate() {
        let w = sample_weight.map_or(1.0, |w| w[s]);
        let (ti, pi) = (idx(t), idx(p));
        if t == p {
            tp[ti] += w;
        }
        pred[pi] += w;
        true_[ti] += w;
    }
    let pick = |v: &[f64]| -> Vec<f64> {
        requested
            .iter()
            .map(|r| r.as_ref().map_or(0.0, |l| v[idx(l)]))
            .collect()
    };
    let (tp, pred, true_) = (pick(&tp), pick(&pred), pick(&true_));
    // The confusion-matrix round trip: fp = pred - tp, then pred = tp + fp.
    let pred = tp.iter().zip(&pred).map(|(t, p)| t + (p - t)).collect();
    let true_ = tp.iter().zip(&true_).map(|(t, s)| t + (s - t)).collect();
    LabelStats { tp, pred, true_ }
}

/// `_prf_divide`: element-wise division with `zero_division` where the denominator is
/// zero, and scikit-learn's warning.
#[allow(clippy::too_many_arguments)]
fn prf_divide(
    numerator: &[f64],
    denominator: &[f64],
    metric: &str,
    modifier: &str,
    warn: bool,
    zero_division: ZeroDivision,
    warnings: &mut Vec<Warning>,
) -> Vec<f64> {
    let mut any_zero = false;
    let result: Vec<f64> = numerator
        .iter()
        .zip(denominator)
        .map(|(n, d)| {
            if *d == 0.0 {
                any_zero = true;
                zero_division.value()
            } else {
                n / d
            }
        })
        .collect();
    if any_zero && zero_division == ZeroDivision::Warn && warn {
        let place = if result.len() == 1 {
            "due to".to_string()
        } else {
            "in labels with".to_string()
        };
        let mut name = metric.to_string();
        if let Some(first) = name.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        warnings.push(Warning::undefined(format!(
            "{name} is ill-defined and being set to 0.0 {place} no {modifier} samples. Use `zero_division` parameter to control this behavior."
        )));
    }
    result
}

fn check_beta(beta: f64, caller: &'static str) -> Result<()> {
    if beta >= 0.0 {
        Ok(())
    } else {
        Err(LearnError::InvalidParameter {
            param: "beta",
            caller: Some(caller),
            constraint: "a float in the range [0.0, inf]".to_string(),
            got: py_float_repr(beta),
        })
    }
}

/// The shared implementation of `precision_recall_fscore_support`.
pub(crate) fn prfs<L: Label>(
    y_true: &[L],
    y_pred: &[L],
    beta: f64,
    options: &PrfOptions<'_, L>,
    warn_for: WarnFor,
) -> Result<PrecisionRecallFscoreSupport> {
    let mut warnings = Vec::new();
    // _check_set_wise_labels
    let targets = check_targets(y_true, y_pred, None)?;
    let requested: Vec<Option<L>> = if options.average == Some(Average::Binary) {
        if !targets.binary {
            return Err(LearnError::BinaryAverageOnMulticlass);
        }
        let present = targets.labels.iter().find(|l| match &options.pos_label {
            Some(p) => *l == p,
            None => l.is_one(),
        });
        if present.is_none() && targets.labels.len() >= 2 {
            return Err(LearnError::InvalidPosLabel {
                pos_label: options
                    .pos_label
                    .as_ref()
                    .map_or_else(|| "1".to_string(), Label::py_str),
                present: numpy_label_array(&targets.labels),
            });
        }
        vec![present.cloned().or_else(|| options.pos_label.clone())]
    } else {
        if let Some(p) = &options.pos_label
            && !p.is_one()
        {
            warnings.push(Warning::user(format!(
                "Note that pos_label (set to {}) is ignored when average != 'binary' (got {}). You may use labels=[pos_label] to specify a single positive class.",
                p.py_repr(),
                average_repr(options.average)
            )));
        }
        match options.labels {
            Some(l) => l.iter().cloned().map(Some).collect(),
            None => targets.labels.iter().cloned().map(Some).collect(),
        }
    };
    // multilabel_confusion_matrix
    check_targets(y_true, y_pred, options.sample_weight)?;
    if options.average == Some(Average::Samples) {
        return Err(LearnError::SamplewiseNotMultilabel);
    }
    let stats = label_stats(y_true, y_pred, options.sample_weight, &requested);
    let (mut tp, mut pred, mut true_) = (stats.tp, stats.pred, stats.true_);
    if options.average == Some(Average::Micro) {
        tp = vec![np_sum(&tp)];
        pred = vec![np_sum(&pred)];
        true_ = vec![np_sum(&true_)];
    }
    let zd = options.zero_division;
    let precision = prf_divide(
        &tp,
        &pred,
        "precision",
        "predicted",
        warn_for.precision,
        zd,
        &mut warnings,
    );
    let recall = prf_divide(
        &tp,
        &true_,
        "recall",
        "true",
        warn_for.recall,
        zd,
        &mut warnings,
    );
    let f_score = if beta == f64::INFINITY {
        recall.clone()
    } else if beta == 0.0 {
        precision.clone()
    } else {
        let beta2 = beta * beta;
        let denom: Vec<f64> = true_
            .iter()
            .zip(&pred)
            .map(|(t, p)| beta2 * t + p)
            .collect();
        let num: Vec<f64> = tp.iter().map(|t| (1.0 + beta2) * t).collect();
        prf_divide(
            &num,
            &denom,
            "f-score",
            "true nor predicted",
            warn_for.f_score,
            zd,
            &mut warnings,
        )
    };
    let result = match options.average {
        None => PrecisionRecallFscoreSupport {
            precision: Score::PerClass(precision),
            recall: Score::PerClass(recall),
            fbeta_score: Score::PerClass(f_score),
            support: Some(true_),
            warnings,
        },
        Some(average) => {
            let weights = (average == Average::Weighted).then_some(true_.as_slice());
            PrecisionRecallFscoreSupport {
                precision: Score::Average(nanaverage(&precision, weights)),
                recall: Score::Average(nanaverage(&recall, weights)),
                fbeta_score: Score::Average(nanaverage(&f_score, weights)),
                support: None,
                warnings,
            }
        }
    };
    Ok(result)
}

/// Precision, recall, F-beta score and support for each class or averaged
/// (`sklearn.metrics.precision_recall_fscore_support`, `warn_for` all three).
///
/// scikit-learn's default `average` for this function is `None` (per class), while
/// [`PrfOptions::default`] has the `'binary'` default of the single scores: set
/// `average: None` for scikit-learn's default here.
///
/// ```
/// use kiln_learn::metrics::{precision_recall_fscore_support, Average, PrfOptions, Score};
///
/// let y_true = ["cat", "dog", "pig", "cat", "dog", "pig"];
/// let y_pred = ["cat", "pig", "dog", "cat", "cat", "dog"];
/// let options = PrfOptions { average: Some(Average::Macro), ..PrfOptions::default() };
/// let prfs = precision_recall_fscore_support(&y_true, &y_pred, 1.0, &options)?;
/// assert!((prfs.precision.average().unwrap() - 2.0 / 9.0).abs() < 1e-15);
/// assert_eq!(prfs.support, None);
///
/// let per_class = PrfOptions { average: None, ..PrfOptions::default() };
/// let prfs = precision_recall_fscore_support(&y_true, &y_pred, 1.0, &per_class)?;
/// assert_eq!(prfs.recall, Score::PerClass(vec![1.0, 0.0, 0.0]));
/// assert_eq!(prfs.support, Some(vec![2.0, 2.0, 2.0]));
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
pub fn precision_recall_fscore_support<L: Label>(
    y_true: &[L],
    y_pred: &[L],
    beta: f64,
    options: &PrfOptions<'_, L>,
) -> Result<PrecisionRecallFscoreSupport> {
    check_beta(beta, "precision_recall_fscore_support")?;
    prfs(y_true, y_pred, beta, options, WarnFor::ALL)
}

/// Precision `tp / (tp + fp)` (`sklearn.metrics.precision_score`).
///
/// ```
/// use kiln_learn::metrics::{precision_score, Average, PrfOptions, Score};
///
/// let (y_true, y_pred) = ([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1]);
/// let macro_avg = PrfOptions { average: Some(Average::Macro), ..PrfOptions::default() };
/// let p = precision_score(&y_true, &y_pred, &macro_avg)?;
/// assert!((p.average().unwrap() - 0.2222222222222222).abs() < 1e-16);
///
/// // binary (the default) scores the class `pos_label`, 1 by default
/// let p = precision_score(&[0, 1, 1, 0], &[1, 1, 0, 0], &PrfOptions::default())?;
/// assert_eq!(p, Score::Average(0.5));
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
pub fn precision_score<L: Label>(
    y_true: &[L],
    y_pred: &[L],
    options: &PrfOptions<'_, L>,
) -> Result<Score> {
    let warn_for = WarnFor {
        precision: true,
        recall: false,
        f_score: false,
    };
    Ok(prfs(y_true, y_pred, 1.0, options, warn_for)?.precision)
}

/// Recall `tp / (tp + fn)` (`sklearn.metrics.recall_score`).
///
/// ```
/// use kiln_learn::metrics::{recall_score, Average, PrfOptions, Score};
///
/// let (y_true, y_pred) = ([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1]);
/// let per_class = PrfOptions { average: None, ..PrfOptions::default() };
/// assert_eq!(recall_score(&y_true, &y_pred, &per_class)?, Score::PerClass(vec![1.0, 0.0, 0.0]));
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
pub fn recall_score<L: Label>(
    y_true: &[L],
    y_pred: &[L],
    options: &PrfOptions<'_, L>,
) -> Result<Score> {
    let warn_for = WarnFor {
        precision: false,
        recall: true,
        f_score: false,
    };
    Ok(prfs(y_true, y_pred, 1.0, options, warn_for)?.recall)
}

/// The F1 score, the harmonic mean of precision and recall (`sklearn.metrics.f1_score`).
///
/// ```
/// use kiln_learn::metrics::{f1_score, Average, PrfOptions};
///
/// let (y_true, y_pred) = ([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1]);
/// let micro = PrfOptions { average: Some(Average::Micro), ..PrfOptions::default() };
/// let f1 = f1_score(&y_true, &y_pred, &micro)?.average().unwrap();
/// assert!((f1 - 1.0 / 3.0).abs() < 1e-16);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
pub fn f1_score<L: Label>(
    y_true: &[L],
    y_pred: &[L],
    options: &PrfOptions<'_, L>,
) -> Result<Score> {
    let warn_for = WarnFor {
        precision: false,
        recall: false,
        f_score: true,
    };
    Ok(prfs(y_true, y_pred, 1.0, options, warn_for)?.fbeta_score)
}

/// The F-beta score, weighting recall `beta` times as much as precision
/// (`sklearn.metrics.fbeta_score`); `beta` must be in `[0, inf]`.
///
/// ```
/// use kiln_learn::metrics::{fbeta_score, Average, PrfOptions};
///
/// let (y_true, y_pred) = ([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1]);
/// let macro_avg = PrfOptions { average: Some(Average::Macro), ..PrfOptions::default() };
/// let f = fbeta_score(&y_true, &y_pred, 0.5, &macro_avg)?.average().unwrap();
/// assert!((f - 0.2380952380952381).abs() < 1e-16);
/// assert!(fbeta_score(&y_true, &y_pred, -1.0, &macro_avg).is_err());
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
pub fn fbeta_score<L: Label>(
    y_true: &[L],
    y_pred: &[L],
    beta: f64,
    options: &PrfOptions<'_, L>,
) -> Result<Score> {
    check_beta(beta, "fbeta_score")?;
    let warn_for = WarnFor {
        precision: false,
        recall: false,
        f_score: true,
    };
    Ok(prfs(y_true, y_pred, beta, options, warn_for)?.fbeta_score)
}
