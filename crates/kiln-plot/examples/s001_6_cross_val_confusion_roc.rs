//! S001-6: `cross_val_score` (5 folds) of a `RandomForestClassifier(n_estimators=100)`,
//! then on a held-out quarter the confusion-matrix display and the ROC curve with its
//! AUC, on scikit-learn's breast-cancer data (Wisconsin diagnostic, 569 x 30, 0 =
//! malignant, 1 = benign; the seed leaves X, y undefined).
//!
//! ```sh
//! cargo run --release -p kiln-plot --example s001_6_cross_val_confusion_roc
//! ~/peers/bin/python crates/kiln-plot/examples/s001_6_sklearn.py   # the same in scikit-learn
//! ```
//!
//! kiln-learn's forest equals scikit-learn's for the same `random_state` (here 0), so the
//! printed scores are scikit-learn's. PNGs go to `$KILN_PLOT_OUT` (default `target/plots`).

mod common;

use kiln_learn::ensemble::RandomForestClassifier;
use kiln_learn::estimator::{Classifier, Estimator, Predictor};
use kiln_learn::metrics::{roc_auc_score, roc_curve};
use kiln_learn::model_selection::{cross_val_score, take, train_test_split, Cv, SplitSize};
use kiln_learn::Matrix;
use kiln_plot::{ConfusionMatrixDisplay, RocCurveDisplay};

fn rows(x: &Matrix, idx: &[usize]) -> Matrix {
    let r: Vec<Vec<f64>> = idx.iter().map(|&i| x.row(i).to_vec()).collect();
    Matrix::from_rows(&r).expect("rows")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (x, y) = common::breast_cancer();
    let model = RandomForestClassifier {
        n_estimators: 100,
        random_state: Some(0),
        ..Default::default()
    };
    let scores = cross_val_score(&model, &x, &y, &Cv::Folds(5), Some("accuracy"))?;
    println!("Cross-Validation Scores: {}", common::np_array(&scores));
    println!(
        "Mean Accuracy: {}",
        scores.iter().sum::<f64>() / scores.len() as f64
    );

    let split = train_test_split(
        y.len(),
        Some(SplitSize::Fraction(0.25)),
        None,
        Some(42),
        true,
    )?;
    let (x_train, x_test) = (rows(&x, &split.train), rows(&x, &split.test));
    let (y_train, y_test) = (take(&y, &split.train), take(&y, &split.test));
    let mut model = model;
    model.fit(&x_train, &y_train)?;
    let y_pred = model.predict(&x_test)?;
    let cm = ConfusionMatrixDisplay::from_predictions(&y_test, &y_pred, None, None)?;
    println!("Confusion matrix: {:?}", cm.text_values());
    let dir = common::out_dir();
    cm.save(dir.join("s001_6_confusion_matrix.png"))?;

    let proba = model.predict_proba(&x_test)?;
    let p1: Vec<f64> = proba.rows().map(|r| r[1]).collect();
    let roc = roc_curve(&y_test, &p1, None, None, true)?;
    let auc = roc_auc_score(&y_test, &p1, None, None)?;
    println!("ROC AUC: {auc:.4} ({} thresholds)", roc.thresholds.len());
    RocCurveDisplay::from_predictions(&y_test, &p1, None, Some("ROC Curve"))?
        .title("Receiver Operating Characteristic")
        .save(dir.join("s001_6_roc_curve.png"))?;
    println!("wrote {}", dir.display());
    Ok(())
}
