//! The API around the golden cases: other label types, defaults, string options,
//! warnings and the entropy-seeded splitters (expected values from scikit-learn 1.9.1).

use kiln_learn::metrics::{
    self, classification_report, confusion_matrix, precision_recall_fscore_support,
    precision_score, roc_curve, Average, PrfOptions, ReportOptions, Score, ZeroDivision,
};
use kiln_learn::model_selection::{
    take, KFold, ShuffleSplit, Split, SplitSize, StratifiedKFold, TrainTestSplit,
};
use kiln_learn::{LearnError, Warning, WarningCategory};

#[test]
fn boolean_labels_take_true_as_the_default_positive_class() {
    let (y_true, y_pred) = ([false, true, true, false], [true, true, false, false]);
    let p = precision_score(&y_true, &y_pred, &PrfOptions::default()).unwrap();
    assert_eq!(p, Score::Average(0.5));
    let roc = roc_curve(&y_true, &[0.3, 0.8, 0.3, 0.1], None, None, true).unwrap();
    assert_eq!(roc.fpr, vec![0.0, 0.0, 0.5, 1.0]);
    assert_eq!(roc.tpr, vec![0.0, 0.5, 1.0, 1.0]);
    assert_eq!(roc.thresholds, vec![f64::INFINITY, 0.8, 0.3, 0.1]);

    let report = classification_report(
        &[true, false, true],
        &[true, true, true],
        &ReportOptions::default(),
    )
    .unwrap();
    assert_eq!(
        report.to_string(),
        "              precision    recall  f1-score   support\n\n       False       0.00      0.00      0.00         1\n        True       0.67      1.00      0.80         2\n\n    accuracy                           0.67         3\n   macro avg       0.33      0.50      0.40         3\nweighted avg       0.44      0.67      0.53         3\n"
    );
    assert_eq!(report.warnings.len(), 3, "{:?}", report.warnings);
}

#[test]
fn str_and_char_labels_sort_like_numpy() {
    let cm = confusion_matrix(
        &["b", "a", "c", "a"],
        &["a", "a", "c", "b"],
        None,
        None,
        None,
    )
    .unwrap();
    assert_eq!(cm.labels, vec!["a", "b", "c"]);
    assert_eq!(
        cm.matrix,
        vec![
            vec![1.0, 1.0, 0.0],
            vec![1.0, 0.0, 0.0],
            vec![0.0, 0.0, 1.0]
        ]
    );
    let cm = confusion_matrix(&['b', 'a'], &['a', 'a'], None, None, None).unwrap();
    assert_eq!(cm.labels, vec!['a', 'b']);
    assert!(cm.warnings.is_empty());
}

#[test]
fn precision_recall_fscore_support_binary_average() {
    let options = PrfOptions {
        average: Some(Average::Binary),
        ..PrfOptions::default()
    };
    let r =
        precision_recall_fscore_support(&[true, false, true], &[true, true, true], 1.0, &options)
            .unwrap();
    assert_eq!(r.precision.average(), Some(0.6666666666666666));
    assert_eq!(r.recall.values(), &[1.0]);
    assert_eq!(r.fbeta_score, Score::Average(0.8));
    assert_eq!(r.support, None);
    assert!(r.warnings.is_empty());
}

#[test]
fn string_options_and_their_errors() {
    for (s, a) in [
        ("binary", Average::Binary),
        ("micro", Average::Micro),
        ("macro", Average::Macro),
        ("weighted", Average::Weighted),
        ("samples", Average::Samples),
    ] {
        assert_eq!(s.parse::<Average>().unwrap(), a);
        assert_eq!(a.as_str(), s);
    }
    let err = "it's".parse::<Average>().unwrap_err();
    assert!(matches!(
        err,
        LearnError::InvalidParameter {
            param: "average",
            ..
        }
    ));
    assert!(
        err.to_string().ends_with("or None. Got \"it's\" instead."),
        "{err}"
    );
    assert_eq!(ZeroDivision::default(), ZeroDivision::Warn);
    assert!(ZeroDivision::NaN.value().is_nan());
    assert_eq!(ZeroDivision::One.value(), 1.0);
}

#[test]
fn warnings_display_their_python_class() {
    let cm = confusion_matrix(&[1, 1], &[1, 1], None, None, None).unwrap();
    assert_eq!(cm.warnings.len(), 1);
    assert_eq!(cm.warnings[0].category, WarningCategory::User);
    assert!(cm.warnings[0]
        .to_string()
        .starts_with("UserWarning: A single label was found"));
    let roc = roc_curve(&[0, 0], &[0.2, 0.4], None, None, true).unwrap();
    let w: Vec<&Warning> = roc.warnings.iter().collect();
    assert_eq!(
        w[0].to_string(),
        "UndefinedMetricWarning: No positive samples in y_true, true positive value should be meaningless"
    );
    assert!(roc.tpr.iter().all(|v| v.is_nan()));
}

#[test]
fn zero_division_values_reach_the_scores() {
    let (y_true, y_pred) = ([0, 0, 0], [0, 0, 0]);
    for (zd, want) in [(ZeroDivision::Zero, 0.0), (ZeroDivision::One, 1.0)] {
        let options = PrfOptions {
            zero_division: zd,
            ..PrfOptions::default()
        };
        assert_eq!(
            precision_score(&y_true, &y_pred, &options).unwrap(),
            Score::Average(want)
        );
    }
    let options = PrfOptions {
        zero_division: ZeroDivision::NaN,
        ..PrfOptions::default()
    };
    assert!(precision_score(&y_true, &y_pred, &options)
        .unwrap()
        .values()[0]
        .is_nan());
}

fn assert_partition(splits: &[Split], n: usize) {
    let mut tested: Vec<usize> = splits.iter().flat_map(|s| s.test.iter().copied()).collect();
    tested.sort_unstable();
    assert_eq!(tested, (0..n).collect::<Vec<_>>());
    for s in splits {
        let mut all: Vec<usize> = s.train.iter().chain(&s.test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..n).collect::<Vec<_>>());
    }
}

#[test]
fn splitter_defaults_match_sklearn() {
    let kf = KFold::default();
    assert_eq!(kf.get_n_splits(), 5);
    let folds = kf.split(12).unwrap();
    assert_eq!(
        folds.iter().map(|f| f.test.len()).collect::<Vec<_>>(),
        vec![3, 3, 2, 2, 2]
    );
    assert_partition(&folds, 12);
    assert_eq!(StratifiedKFold::default().get_n_splits(), 5);

    let ss = ShuffleSplit::default().split(20).unwrap();
    assert_eq!(ss.len(), 10);
    assert!(ss.iter().all(|s| s.test.len() == 2 && s.train.len() == 18));

    let tts = TrainTestSplit::default().split(10).unwrap();
    assert_eq!((tts.train.len(), tts.test.len()), (7, 3));
}

#[test]
fn unseeded_splitters_still_partition() {
    let folds = KFold::new(4, true, None).unwrap().split(17).unwrap();
    assert_partition(&folds, 17);
    let y: Vec<u8> = (0..30).map(|i| (i % 3) as u8).collect();
    let folds = StratifiedKFold::new(3, true, None)
        .unwrap()
        .split(&y)
        .unwrap();
    assert_partition(&folds, 30);
    for f in &folds {
        for class in 0..3 {
            let n = take(&y, &f.test).iter().filter(|&&c| c == class).count();
            assert!(n == 3 || n == 4, "{n}");
        }
    }
    let split = TrainTestSplit {
        test_size: Some(SplitSize::Fraction(0.5)),
        ..Default::default()
    }
    .split_stratified(&y)
    .unwrap();
    assert_eq!(split.test.len(), 15);
    assert_eq!(take(&y, &split.test).iter().filter(|&&c| c == 0).count(), 5);
}

#[test]
fn regression_weights() {
    let (t, p) = ([1.0, 2.0, 3.0], [1.5, 2.0, 2.0]);
    assert_eq!(
        metrics::mean_absolute_error(&t, &p, Some(&[2.0, 1.0, 1.0])).unwrap(),
        0.5
    );
    assert_eq!(
        metrics::mean_squared_error(&t, &p, Some(&[0.0, 1.0, 1.0])).unwrap(),
        0.5
    );
    assert_eq!(
        metrics::mean_squared_error(&t, &p, Some(&[1.0, -1.0, 0.0])),
        Err(LearnError::ZeroWeightSum)
    );
    assert!(metrics::r2_score(&[1.0], &[1.0], None, true)
        .unwrap()
        .is_nan());
}
