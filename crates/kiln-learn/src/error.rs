//! The crate's error type. Every message is scikit-learn's (or NumPy's) wording for the
//! same input, so that a message can be searched for in scikit-learn's documentation.

use thiserror::Error;

/// An error from a metric or a splitter; the `Display` text is scikit-learn's message.
///
/// ```
/// use kiln_learn::{LearnError, metrics::accuracy_score};
///
/// let err = accuracy_score(&[1, 2, 3], &[1, 2, 3, 4], true, None).unwrap_err();
/// assert_eq!(err, LearnError::InconsistentLength { lengths: vec![3, 4] });
/// assert_eq!(
///     err.to_string(),
///     "Found input variables with inconsistent numbers of samples: [3, 4]"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum LearnError {
    /// `check_consistent_length`: the inputs have different numbers of samples.
    #[error("Found input variables with inconsistent numbers of samples: [{}]", join(.lengths))]
    InconsistentLength {
        /// The lengths, in argument order.
        lengths: Vec<usize>,
    },
    /// A classification metric got no samples.
    #[error(
        "Found empty input array (e.g., `y_true` or `y_pred`) while a minimum of 1 sample is required."
    )]
    EmptyInput,
    /// An input holds NaN or an infinity (`check_array`'s `ensure_all_finite`).
    #[error("Input {}contains {}.", name_prefix(.input_name), if *.nan { "NaN" } else { "infinity or a value too large for dtype('float64')" })]
    NonFinite {
        /// The input's name as scikit-learn gives it (`"sample_weight"`, or empty).
        input_name: String,
        /// NaN (rather than an infinity) was found.
        nan: bool,
    },
    /// An input with no samples (`check_array`'s `ensure_min_samples`).
    #[error("Found array with 0 sample(s) (shape=(0,)) while a minimum of 1 is required.")]
    NoSamples,
    /// Rows of a 2-D input with different lengths (NumPy cannot build the array).
    #[error(
        "setting an array element with a sequence. The requested array has an inhomogeneous shape after 1 dimensions. The detected shape was ({n_rows},) + inhomogeneous part."
    )]
    InhomogeneousShape {
        /// Number of rows.
        n_rows: usize,
    },
    /// `RandomState::from_array` with an empty seed.
    #[error("Seed must be non-empty")]
    EmptySeed,
    /// Every sample weight is zero (`_check_sample_weight`).
    #[error("Sample weights must contain at least one non-zero number.")]
    AllZeroSampleWeight,
    /// NumPy's `ZeroDivisionError` in `np.average` when the weights sum to zero.
    #[error("Weights sum to zero, can't be normalized")]
    ZeroWeightSum,
    /// A parameter outside its allowed range (`InvalidParameterError`).
    #[error("The '{param}' parameter{} must be {constraint}. Got {got} instead.", caller_suffix(.caller))]
    InvalidParameter {
        /// The parameter's name.
        param: &'static str,
        /// The function or class, when known (parsing a string option does not know it).
        caller: Option<&'static str>,
        /// scikit-learn's description of the allowed values.
        constraint: String,
        /// Python's `repr()` of the rejected value.
        got: String,
    },
    /// `set_params` with a name the estimator does not have.
    #[error("Invalid parameter {key} for estimator {estimator}. Valid parameters are: {valid}.")]
    InvalidParameterName {
        /// Python's `repr()` of the name.
        key: String,
        /// The estimator's `repr()`.
        estimator: String,
        /// The valid names as a Python list.
        valid: String,
    },
    /// A method that needs a fitted estimator called before `fit` (`NotFittedError`).
    #[error(
        "This {estimator} instance is not fitted yet. Call 'fit' with appropriate arguments before using this estimator."
    )]
    NotFitted {
        /// The estimator's class name.
        estimator: &'static str,
    },
    /// A tree's `fit` with another number of labels than samples.
    #[error("Number of labels={n_labels} does not match number of samples={n_samples}")]
    LabelCountMismatch {
        /// Number of labels.
        n_labels: usize,
        /// Number of samples.
        n_samples: usize,
    },
    /// A plain `ValueError` with scikit-learn's message.
    #[error("{0}")]
    Value(String),
    /// A scoring name that is not one of scikit-learn's scorers.
    #[error(
        "{name} is not a valid scoring value. Use sklearn.metrics.get_scorer_names() to get valid options."
    )]
    InvalidScoring {
        /// Python's `repr()` of the name.
        name: String,
    },
    /// A scorer that needs a kind of estimator (classifier or regressor) it was not given.
    #[error("{message}")]
    ScorerMismatch {
        /// What went wrong.
        message: String,
    },
    /// `confusion_matrix` with an empty `labels`.
    #[error("'labels' should contain at least one label.")]
    EmptyLabels,
    /// `confusion_matrix` with `labels` of which none occurs in `y_true`.
    #[error("At least one label specified must be in y_true")]
    NoLabelInYTrue,
    /// `pos_label` is not one of the two labels of a binary target.
    #[error("pos_label={pos_label} is not a valid label. It should be one of {present}")]
    InvalidPosLabel {
        /// Python's `str()` of `pos_label`.
        pos_label: String,
        /// NumPy's `str()` of the present labels.
        present: String,
    },
    /// `average="binary"` on a multiclass target.
    #[error(
        "Target is multiclass but average='binary'. Please choose another average setting, one of [None, 'micro', 'macro', 'weighted']."
    )]
    BinaryAverageOnMulticlass,
    /// `average="samples"` on a target that is not multilabel.
    #[error("Samplewise metrics are not available outside of multilabel classification.")]
    SamplewiseNotMultilabel,
    /// `classification_report` with as many `target_names` as there are classes.
    #[error(
        "Number of classes, {n_classes}, does not match size of target_names, {n_names}. Try specifying the labels parameter"
    )]
    TargetNamesMismatch {
        /// Number of classes (labels).
        n_classes: usize,
        /// Number of target names.
        n_names: usize,
    },
    /// A curve metric on a target type it does not support (e.g. multiclass without
    /// `pos_label`).
    #[error("{y_type} format is not supported")]
    UnsupportedTarget {
        /// scikit-learn's `type_of_target` (`"multiclass"`).
        y_type: &'static str,
    },
    /// `pos_label` left out while the labels are not `{0, 1}` or `{-1, 1}`.
    #[error(
        "y_true takes value in {{{classes}}} and pos_label is not specified: either make y_true take value in {{0, 1}} or {{-1, 1}} or pass pos_label explicitly."
    )]
    PosLabelNotSpecified {
        /// The classes, as Python's `repr()`s joined by `", "`.
        classes: String,
    },
    /// `average_precision_score` with a `pos_label` other than 1 on a multiclass target.
    #[error(
        "Parameter pos_label is fixed to 1 for multiclass y_true. Do not set pos_label or set pos_label to 1."
    )]
    PosLabelFixed,
    /// `auc` with fewer than two points.
    #[error("At least 2 points are needed to compute area under curve, but x.shape = {n}")]
    AucTooFewPoints {
        /// Number of points given.
        n: usize,
    },
    /// `auc` with `x` neither increasing nor decreasing.
    #[error("x is neither increasing nor decreasing : {x}.")]
    AucNotMonotonic {
        /// NumPy's `str()` of `x`.
        x: String,
    },
    /// `roc_auc_score` with a single class in `y_true`. (scikit-learn 1.9 warns with this
    /// text and returns NaN; kiln returns this error instead.)
    #[error("Only one class is present in y_true. ROC AUC score is not defined in that case.")]
    OneClassRocAuc,
    /// `roc_auc_score` on a multiclass target without `multi_class`.
    #[error("multi_class must be in ('ovo', 'ovr')")]
    MultiClassRaise,
    /// `roc_auc_score` with `max_fpr` on a multiclass target.
    #[error(
        "Partial AUC computation not available in multiclass setting, 'max_fpr' must be set to `None`, received `max_fpr={max_fpr}` instead"
    )]
    PartialAucMulticlass {
        /// Python's `repr()` of `max_fpr`.
        max_fpr: String,
    },
    /// Scores of the wrong shape for a multiclass target.
    #[error(
        "`y_score` needs to be of shape `(n_samples, n_classes)`, since `y_true` contains multiple classes. Got `y_score.shape={shape}`."
    )]
    ScoreShape {
        /// The shape as a Python tuple, e.g. `(6,)`.
        shape: String,
    },
    /// A 2-D input where a 1-D one is needed (`column_or_1d`).
    #[error("y should be a 1d array, got an array of shape {shape} instead.")]
    NotOneDimensional {
        /// The shape as a Python tuple.
        shape: String,
    },
    /// Multiclass ROC AUC scores whose rows do not sum to one.
    #[error(
        "Target scores need to be probabilities for multiclass roc_auc, i.e. they should sum up to 1.0 over classes"
    )]
    ScoresNotProbabilities,
    /// An `average` the multiclass ROC AUC does not support.
    #[error("average must be one of {options} for multiclass problems")]
    MulticlassAverage {
        /// The allowed values as a Python tuple.
        options: &'static str,
    },
    /// One-vs-one ROC AUC without averaging (`NotImplementedError` in scikit-learn).
    #[error("average=None is not implemented for multi_class='ovo'.")]
    OvoAverageNone,
    /// One-vs-one ROC AUC with sample weights.
    #[error(
        "sample_weight is not supported for multiclass one-vs-one ROC AUC, 'sample_weight' must be None in this case."
    )]
    OvoSampleWeight,
    /// Multiclass ROC AUC `labels` with duplicates.
    #[error("Parameter 'labels' must be unique")]
    LabelsNotUnique,
    /// Multiclass ROC AUC `labels` not sorted.
    #[error("Parameter 'labels' must be ordered")]
    LabelsNotOrdered,
    /// Multiclass ROC AUC `labels` of another length than the score columns.
    #[error(
        "Number of given labels, {n_labels}, not equal to the number of columns in 'y_score', {n_columns}"
    )]
    LabelsColumnsMismatch {
        /// Number of labels.
        n_labels: usize,
        /// Number of score columns.
        n_columns: usize,
    },
    /// `y_true` holds a label that is not in the multiclass ROC AUC `labels`.
    #[error("'y_true' contains labels not in parameter 'labels'")]
    YTrueNotInLabels,
    /// The classes of `y_true` do not match the score columns.
    #[error("Number of classes in y_true not equal to the number of columns in 'y_score'")]
    ClassesColumnsMismatch,
    /// A k-fold splitter with fewer than two folds.
    #[error(
        "k-fold cross-validation requires at least one train/test split by setting n_splits=2 or more, got n_splits={n_splits}."
    )]
    TooFewSplits {
        /// The requested number of folds.
        n_splits: usize,
    },
    /// A k-fold splitter given a random state without shuffling.
    #[error(
        "Setting a random_state has no effect since shuffle is False. You should leave random_state to its default (None), or set shuffle=True."
    )]
    RandomStateWithoutShuffle,
    /// More folds than samples.
    #[error(
        "Cannot have number of splits n_splits={n_splits} greater than the number of samples: n_samples={n_samples}."
    )]
    SplitsExceedSamples {
        /// The number of folds.
        n_splits: usize,
        /// The number of samples.
        n_samples: usize,
    },
    /// Stratified folds with more folds than members in every class.
    #[error("n_splits={n_splits} cannot be greater than the number of members in each class.")]
    SplitsExceedClassMembers {
        /// The number of folds.
        n_splits: usize,
    },
    /// A `test_size` or `train_size` out of range for the number of samples.
    #[error(
        "{name}={value} should be either positive and smaller than the number of samples {n_samples} or a float in the (0, 1) range"
    )]
    InvalidSplitSize {
        /// `"test_size"` or `"train_size"`.
        name: &'static str,
        /// The value as Python prints it.
        value: String,
        /// The number of samples.
        n_samples: usize,
    },
    /// Fractional `test_size` and `train_size` summing to more than one.
    #[error(
        "The sum of test_size and train_size = {sum}, should be in the (0, 1) range. Reduce test_size and/or train_size."
    )]
    SplitFractionSum {
        /// The sum as Python prints it.
        sum: String,
    },
    /// `test_size` and `train_size` asking for more samples than there are.
    #[error(
        "The sum of train_size and test_size = {sum}, should be smaller than the number of samples {n_samples}. Reduce test_size and/or train_size."
    )]
    SplitCountSum {
        /// `n_train + n_test`.
        sum: usize,
        /// The number of samples.
        n_samples: usize,
    },
    /// The sizes leave no training sample.
    #[error(
        "With n_samples={n_samples}, test_size={test_size} and train_size={train_size}, the resulting train set will be empty. Adjust any of the aforementioned parameters."
    )]
    EmptyTrainSet {
        /// The number of samples.
        n_samples: usize,
        /// `test_size` as Python prints it.
        test_size: String,
        /// `train_size` as Python prints it.
        train_size: String,
    },
    /// `train_test_split(shuffle=False, stratify=...)`.
    #[error("Stratified train/test split is not implemented for shuffle=False")]
    StratifyWithoutShuffle,
    /// A stratified shuffle split where a class has a single member.
    #[error(
        "The least populated classes in y have only 1 member, which is too few. The minimum number of groups for any class cannot be less than 2. Classes with too few members are: {classes}"
    )]
    ClassTooSmall {
        /// The classes as a Python list.
        classes: String,
    },
    /// A stratified shuffle split with fewer training samples than classes.
    #[error("The train_size = {n_train} should be greater or equal to the number of classes = {n_classes}")]
    TrainSizeBelowClasses {
        /// Number of training samples.
        n_train: usize,
        /// Number of classes.
        n_classes: usize,
    },
    /// A stratified shuffle split with fewer test samples than classes.
    #[error("The test_size = {n_test} should be greater or equal to the number of classes = {n_classes}")]
    TestSizeBelowClasses {
        /// Number of test samples.
        n_test: usize,
        /// Number of classes.
        n_classes: usize,
    },
    /// A [`Matrix`](crate::Matrix) whose data length does not fit its shape (NumPy's
    /// `reshape` message).
    #[error("cannot reshape array of size {size} into shape ({n_rows},{n_cols})")]
    ReshapeSize {
        /// Number of values given.
        size: usize,
        /// Rows asked for.
        n_rows: usize,
        /// Columns asked for.
        n_cols: usize,
    },
    /// An estimator's `X` holds NaN or an infinity (`check_array` with
    /// `input_name="X"`); for NaN, an estimator adds its note on missing values.
    #[error("Input X contains {}", non_finite_x(.estimator, *.nan))]
    NonFiniteX {
        /// The estimator (`"KMeans"`), when the check is an estimator's.
        estimator: Option<&'static str>,
        /// NaN (rather than an infinity) was found.
        nan: bool,
    },
    /// A 2-D input without samples or without features (`check_array`'s
    /// `ensure_min_samples` / `ensure_min_features`).
    #[error("Found array with 0 {what}(s) (shape=({}, {})) while a minimum of 1 is required{}.", .shape.0, .shape.1, by_estimator(.estimator))]
    TooFewInArray {
        /// `"sample"` or `"feature"`.
        what: &'static str,
        /// The array's shape.
        shape: (usize, usize),
        /// The estimator, when the check is an estimator's.
        estimator: Option<&'static str>,
    },
    /// A fitted estimator given another number of features than it was fitted on.
    #[error(
        "X has {n_features} features, but {estimator} is expecting {expected} features as input."
    )]
    FeatureCountMismatch {
        /// Features in the new input.
        n_features: usize,
        /// Features seen by `fit` (`n_features_in_`).
        expected: usize,
        /// The estimator.
        estimator: &'static str,
    },
    /// `KMeans` with fewer samples than clusters.
    #[error("n_samples={n_samples} should be >= n_clusters={n_clusters}.")]
    TooFewSamplesForClusters {
        /// Number of samples.
        n_samples: usize,
        /// Number of clusters asked for.
        n_clusters: usize,
    },
    /// An explicit `KMeans` initialisation with another number of rows than clusters.
    #[error("The shape of the initial centers ({}, {}) does not match the number of clusters {n_clusters}.", .shape.0, .shape.1)]
    InitCentersClusters {
        /// Shape of the given centres.
        shape: (usize, usize),
        /// Number of clusters.
        n_clusters: usize,
    },
    /// An explicit `KMeans` initialisation with another number of columns than `X`.
    #[error("The shape of the initial centers ({}, {}) does not match the number of features of the data {n_features}.", .shape.0, .shape.1)]
    InitCentersFeatures {
        /// Shape of the given centres.
        shape: (usize, usize),
        /// Number of features of `X`.
        n_features: usize,
    },
    /// `sample_weight` of another length than `X` has samples (`_check_sample_weight`).
    #[error("sample_weight.shape == ({got},), expected ({expected},)!")]
    SampleWeightShape {
        /// Length given.
        got: usize,
        /// Number of samples.
        expected: usize,
    },
    /// `RandomState.choice` with probabilities that contain NaN.
    #[error("probabilities contain NaN")]
    ProbabilitiesNaN,
    /// `RandomState.choice` with a negative probability (for example k-means++ with a
    /// negative sample weight).
    #[error("probabilities are not non-negative")]
    ProbabilitiesNegative,
    /// `RandomState.choice` with probabilities that do not sum to one.
    #[error("probabilities do not sum to 1")]
    ProbabilitiesSum,
    /// `RandomState.choice(replace=False)` asked for more draws than the population.
    #[error("Cannot take a larger sample than population when 'replace=False'")]
    SampleLargerThanPopulation,
    /// `RandomState.choice(replace=False)` asked for more draws than there are
    /// non-zero probabilities (for example `init="random"` with few non-zero weights).
    #[error("Fewer non-zero entries in p than size")]
    FewerNonZeroThanSize,
    /// `PCA` with more components than `min(n_samples, n_features)`.
    #[error("n_components={n_components} must be between 0 and min(n_samples, n_features)={max} with svd_solver='{solver}'")]
    NComponentsRange {
        /// Components asked for.
        n_components: usize,
        /// `min(n_samples, n_features)`.
        max: usize,
        /// The solver's name.
        solver: &'static str,
    },
    /// `PCA(n_components="mle")` on a spectrum with two equal variances (Python's
    /// `math.log(0)` in Minka's likelihood).
    #[error("math domain error")]
    MathDomain,
    /// `PCA(n_components="mle")` with fewer samples than features.
    #[error("n_components='mle' is only supported if n_samples >= n_features")]
    MleNeedsMoreSamples,
    /// A matrix product whose inner dimensions differ (NumPy's `matmul` message), as
    /// `PCA.inverse_transform` with another width than `n_components_`.
    #[error("matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc signature (n?,k),(k,m?)->(n?,m?) (size {expected} is different from {got})")]
    MatmulMismatch {
        /// The inner size of the right operand.
        expected: usize,
        /// The inner size of the left operand.
        got: usize,
    },
    /// `TSNE` with a perplexity not below the number of samples.
    #[error("perplexity ({perplexity}) must be less than n_samples ({n_samples})")]
    PerplexityTooLarge {
        /// Python's `repr()` of the perplexity.
        perplexity: String,
        /// Number of samples.
        n_samples: usize,
    },
    /// An input with fewer samples than an estimator needs (`check_array`'s
    /// `ensure_min_samples` above one, as Barnes-Hut t-SNE's two).
    #[error("Found array with {} sample(s) (shape=({}, {})) while a minimum of {minimum} is required by {estimator}.", .shape.0, .shape.0, .shape.1)]
    TooFewSamplesFor {
        /// The array's shape.
        shape: (usize, usize),
        /// The minimum number of samples.
        minimum: usize,
        /// The estimator.
        estimator: &'static str,
    },
    /// Barnes-Hut t-SNE with more than three components.
    #[error(
        "'n_components' should be inferior to 4 for the barnes_hut algorithm as it relies on quad-tree or oct-tree."
    )]
    BarnesHutComponents,
    /// `TSNE(init="pca", metric="precomputed")`.
    #[error("The parameter init=\"pca\" cannot be used with metric=\"precomputed\".")]
    PcaInitPrecomputed,
    /// Precomputed distances that are not a square matrix.
    #[error("X should be a square distance matrix")]
    NotSquareDistances,
    /// Negative entries where only non-negative ones are allowed (`check_non_negative`).
    #[error("Negative values in data passed to {whom}")]
    NegativeValues {
        /// What the data were passed to, as scikit-learn names it.
        whom: &'static str,
    },
    /// An explicit t-SNE initialisation of the wrong shape. (scikit-learn does not
    /// check it and fails later inside NumPy; this message is kiln's.)
    #[error("init has shape ({}, {}), expected (n_samples, n_components) = ({}, {})", .shape.0, .shape.1, .expected.0, .expected.1)]
    TsneInitShape {
        /// The given shape.
        shape: (usize, usize),
        /// `(n_samples, n_components)`.
        expected: (usize, usize),
    },
    /// `trustworthiness` with `n_neighbors` not below half the number of samples.
    #[error("n_neighbors ({n_neighbors}) should be less than n_samples / 2 ({half})")]
    TrustworthinessNeighbors {
        /// The requested number of neighbours.
        n_neighbors: usize,
        /// Python's `repr()` of `n_samples / 2`.
        half: String,
    },
}

fn non_finite_x(estimator: &Option<&'static str>, nan: bool) -> String {
    if !nan {
        return "infinity or a value too large for dtype('float64').".to_string();
    }
    match estimator {
        None => "NaN.".to_string(),
        Some(e) => format!(
            "NaN.\n{e} does not accept missing values encoded as NaN natively. For supervised learning, you might want to consider sklearn.ensemble.HistGradientBoostingClassifier and Regressor which accept missing values encoded as NaNs natively. Alternatively, it is possible to preprocess the data, for instance by using an imputer transformer in a pipeline or drop samples with missing values. See https://scikit-learn.org/stable/modules/impute.html You can find a list of all estimators that handle NaN values at the following page: https://scikit-learn.org/stable/modules/impute.html#estimators-that-handle-nan-values"
        ),
    }
}

fn by_estimator(estimator: &Option<&'static str>) -> String {
    estimator.map(|e| format!(" by {e}")).unwrap_or_default()
}

fn join(lengths: &[usize]) -> String {
    lengths
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn name_prefix(name: &str) -> String {
    if name.is_empty() {
        String::new()
    } else {
        format!("{name} ")
    }
}

fn caller_suffix(caller: &Option<&'static str>) -> String {
    caller.map(|c| format!(" of {c}")).unwrap_or_default()
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, LearnError>;

/// What a warning from scikit-learn is about (its Python warning class).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarningCategory {
    /// `sklearn.exceptions.UndefinedMetricWarning`.
    UndefinedMetric,
    /// Python's `UserWarning`.
    User,
    /// `sklearn.exceptions.ConvergenceWarning`.
    Convergence,
    /// Python's `RuntimeWarning`.
    Runtime,
}

/// A warning scikit-learn would have issued, with its exact text.
///
/// Results that can carry warnings (for example
/// [`PrecisionRecallFscoreSupport`](crate::metrics::PrecisionRecallFscoreSupport)) list
/// them in a `warnings` field instead of printing them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The warning class.
    pub category: WarningCategory,
    /// The message.
    pub message: String,
}

impl Warning {
    pub(crate) fn undefined(message: impl Into<String>) -> Self {
        Warning {
            category: WarningCategory::UndefinedMetric,
            message: message.into(),
        }
    }

    pub(crate) fn user(message: impl Into<String>) -> Self {
        Warning {
            category: WarningCategory::User,
            message: message.into(),
        }
    }

    pub(crate) fn convergence(message: impl Into<String>) -> Self {
        Warning {
            category: WarningCategory::Convergence,
            message: message.into(),
        }
    }

    pub(crate) fn runtime(message: impl Into<String>) -> Self {
        Warning {
            category: WarningCategory::Runtime,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let class = match self.category {
            WarningCategory::UndefinedMetric => "UndefinedMetricWarning",
            WarningCategory::User => "UserWarning",
            WarningCategory::Convergence => "ConvergenceWarning",
            WarningCategory::Runtime => "RuntimeWarning",
        };
        write!(f, "{class}: {}", self.message)
    }
}
