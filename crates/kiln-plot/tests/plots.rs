//! Every plot kind renders a PNG that decodes at the expected size; the confusion
//! matrix's cell texts come from the matrix passed (not from pixels). With
//! `KILN_PLOT_OUT=<dir>` the PNGs are kept there for a look.

use std::collections::BTreeMap;
use std::path::PathBuf;

use kiln_learn::metrics::{confusion_matrix, Normalize};
use kiln_plot::*;

fn out(name: &str) -> Option<PathBuf> {
    std::env::var_os("KILN_PLOT_OUT").map(|d| {
        let d = PathBuf::from(d);
        std::fs::create_dir_all(&d).unwrap();
        d.join(name)
    })
}

fn keep(name: &str, png: &[u8]) {
    if let Some(p) = out(name) {
        save_png(p, png).unwrap();
    }
}

#[test]
fn history_curves_linear_and_log() {
    let mut h = BTreeMap::new();
    h.insert(
        "loss".to_string(),
        (1..=20).map(|e| 2.0 / e as f64).collect::<Vec<_>>(),
    );
    h.insert(
        "val_loss".to_string(),
        (1..=20).map(|e| 2.2 / e as f64 + 0.05).collect(),
    );
    h.insert(
        "accuracy".to_string(),
        (1..=20).map(|e| 1.0 - 0.5 / e as f64).collect(),
    );
    let png = history_plot(&h, &["loss", "val_loss"], "Training and validation loss")
        .unwrap()
        .ylabel("loss")
        .to_png()
        .unwrap();
    assert_eq!(decode_png_size(&png).unwrap(), (640, 480));
    keep("history.png", &png);
    let png = history_plot(&h, &["loss", "val_loss"], "loss (log scale)")
        .unwrap()
        .log_y(true)
        .to_png()
        .unwrap();
    assert_eq!(decode_png_size(&png).unwrap(), (640, 480));
    keep("history_log.png", &png);
    let err = history_plot(&h, &["mae"], "x").unwrap_err().to_string();
    assert!(err.contains("'mae' is not in the history"), "{err}");
}

#[test]
fn predictions_vs_truth() {
    let t: Vec<f64> = (0..200).map(|i| i as f64 * 0.05).collect();
    let truth: Vec<f64> = t.iter().map(|v| v.sin()).collect();
    let pred: Vec<f64> = t.iter().map(|v| (v - 0.1).sin() * 0.95).collect();
    let plot = LinePlot::new("sine: prediction vs truth")
        .xlabel("t")
        .ylabel("y")
        .size(800, 400)
        .line("truth", &t, &truth)
        .series("prediction", &t, &pred, SeriesStyle::Dashed);
    let png = plot.to_png().unwrap();
    assert_eq!(decode_png_size(&png).unwrap(), (800, 400));
    keep("predictions.png", &png);
    let bad = LinePlot::new("x")
        .line("a", &[1.0, 2.0], &[1.0])
        .to_png()
        .unwrap_err()
        .to_string();
    assert!(
        bad.contains("x and y must have same first dimension, but have shapes (2,) and (1,)"),
        "{bad}"
    );
}

#[test]
fn scatter_by_label() {
    let mut pts = Vec::new();
    let mut labels = Vec::new();
    for c in 0..4i64 {
        for k in 0..60 {
            let a = k as f64 * 0.37 + c as f64;
            pts.push([
                c as f64 * 4.0 + a.cos() * (k % 7) as f64 * 0.2,
                (c % 2) as f64 * 5.0 + a.sin() * (k % 5) as f64 * 0.3,
            ]);
            labels.push(c);
        }
    }
    let png = ScatterPlot::new("four clusters", &pts, &labels)
        .unwrap()
        .point_size(3)
        .to_png()
        .unwrap();
    assert_eq!(decode_png_size(&png).unwrap(), (640, 640));
    keep("scatter.png", &png);
}

#[test]
fn confusion_matrix_cells_come_from_the_matrix() {
    let y_true = [0, 1, 2, 2, 1, 0, 0, 2, 1, 1, 2, 2];
    let y_pred = [0, 2, 2, 2, 1, 0, 1, 2, 1, 1, 0, 2];
    let d = ConfusionMatrixDisplay::from_predictions(&y_true, &y_pred, None, None).unwrap();
    let cm = confusion_matrix(&y_true, &y_pred, None, None, None).unwrap();
    let want: Vec<Vec<String>> = cm
        .matrix
        .iter()
        .map(|r| r.iter().map(|v| format!("{}", *v as i64)).collect())
        .collect();
    assert_eq!(d.text_values(), want);
    assert_eq!(
        d.text_values(),
        vec![
            vec!["2", "1", "0"],
            vec!["0", "3", "1"],
            vec!["1", "0", "4"]
        ]
    );
    assert_eq!(d.display_labels, vec!["0", "1", "2"]);
    let png = d.to_png().unwrap();
    assert_eq!(decode_png_size(&png).unwrap(), (640, 480));
    keep("confusion_matrix.png", &png);

    let n = ConfusionMatrixDisplay::from_predictions(&y_true, &y_pred, None, Some(Normalize::True))
        .unwrap();
    assert_eq!(n.text_values()[0], vec!["0.67", "0.33", "0"]);
    assert_eq!(n.text_values()[2], vec!["0.2", "0", "0.8"]);
    keep(
        "confusion_matrix_normalized.png",
        &n.title("normalized over true labels").to_png().unwrap(),
    );

    // a given matrix with names; big counts stay integers
    let big = ConfusionMatrixDisplay::new(
        vec![vec![950.0, 50.0], vec![12.0, 988.0]],
        Some(vec!["neg".into(), "pos".into()]),
        true,
    )
    .unwrap();
    assert_eq!(
        big.text_values(),
        vec![vec!["950", "50"], vec!["12", "988"]]
    );
    assert!(ConfusionMatrixDisplay::new(vec![vec![1.0, 2.0]], None, true).is_err());
    assert!(
        ConfusionMatrixDisplay::new(vec![vec![1.0]], Some(vec!["a".into(), "b".into()]), true)
            .is_err()
    );

    // ten classes (MNIST)
    let t: Vec<i64> = (0..500).map(|i| i % 10).collect();
    let p: Vec<i64> = (0..500)
        .map(|i| if i % 7 == 0 { (i / 7) % 10 } else { i % 10 })
        .collect();
    let ten = ConfusionMatrixDisplay::from_predictions(&t, &p, None, None).unwrap();
    let png = ten.to_png().unwrap();
    assert_eq!(decode_png_size(&png).unwrap(), (640, 480));
    keep("confusion_matrix_10.png", &png);
}

#[test]
fn roc_curve_display() {
    let y: Vec<i64> = (0..100).map(|i| i64::from(i % 3 == 0)).collect();
    let s: Vec<f64> = (0..100)
        .map(|i| {
            if i % 3 == 0 {
                0.3 + (i % 10) as f64 * 0.07
            } else {
                (i % 11) as f64 * 0.06
            }
        })
        .collect();
    let d = RocCurveDisplay::from_predictions(&y, &s, None, Some("kiln MLP"))
        .unwrap()
        .plot_chance_level(true);
    let area = kiln_learn::metrics::roc_auc_score(&y, &s, None, None).unwrap();
    assert_eq!(d.label(), format!("kiln MLP (AUC = {area:.2})"));
    assert_eq!(d.pos_label.as_deref(), Some("1"));
    let png = d.to_png().unwrap();
    assert_eq!(decode_png_size(&png).unwrap(), (600, 600));
    keep("roc_curve.png", &png);
    assert!(RocCurveDisplay::new(vec![0.0], vec![], None, None, None).is_err());
}

#[test]
fn image_grid_of_digits() {
    // ten synthetic 28x28 "centroids": rings of growing radius
    let images: Vec<Vec<f64>> = (0..10)
        .map(|k| {
            (0..784)
                .map(|p| {
                    let (y, x) = ((p / 28) as f64 - 13.5, (p % 28) as f64 - 13.5);
                    let r = (x * x + y * y).sqrt();
                    (-(r - 3.0 - k as f64).powi(2) / 4.0).exp()
                })
                .collect()
        })
        .collect();
    let titles = (0..10).map(|k| format!("cluster {k}")).collect();
    let grid = ImageGrid::new(images, 28, 28)
        .unwrap()
        .ncols(5)
        .titles(titles)
        .scale(3);
    let png = grid.to_png().unwrap();
    assert_eq!(decode_png_size(&png).unwrap(), grid.pixel_size());
    assert_eq!(grid.pixel_size(), (5 * (84 + 10), 2 * (84 + 10 + 22)));
    keep("image_grid.png", &png);
    assert!(ImageGrid::new(vec![vec![0.0; 5]], 2, 2).is_err());
}
