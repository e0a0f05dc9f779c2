//! scikit-learn's `ConfusionMatrixDisplay` and `RocCurveDisplay`.

use std::path::Path;

use kiln_learn::metrics::{auc, confusion_matrix, roc_curve, Normalize};
use kiln_learn::Label;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::colors::{tab10_rgb, viridis, viridis_rgb};
use crate::figure::{font, render, render_err, save_png};
use crate::{PlotError, Result};

/// Python's `format(v, ".2g")`.
fn format_2g(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // the exponent after rounding to 2 significant digits
    let sci = format!("{v:.1e}");
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..2).contains(&exp) {
        let mant = mant.trim_end_matches('0').trim_end_matches('.');
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mant}e{sign}{:02}", exp.abs());
    }
    let decimals = (1 - exp).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A confusion-matrix heatmap as scikit-learn's (`sklearn.metrics.ConfusionMatrixDisplay`):
/// `viridis` cells, each with its value (counts as integers, normalized values with
/// `.2g`; dark text on light cells and light text on dark ones, split at the middle of
/// the value range), a colour bar, "Predicted label" across and "True label" down.
///
/// ```
/// use kiln_plot::ConfusionMatrixDisplay;
/// let y_true = ["cat", "dog", "dog", "cat", "bird"];
/// let y_pred = ["cat", "dog", "cat", "cat", "bird"];
/// let d = ConfusionMatrixDisplay::from_predictions(&y_true, &y_pred, None, None)?;
/// assert_eq!(d.display_labels, vec!["bird", "cat", "dog"]);
/// assert_eq!(d.text_values()[2], vec!["0", "1", "1"]);
/// let norm = ConfusionMatrixDisplay::from_predictions(&y_true, &y_pred, None, Some(kiln_learn::metrics::Normalize::True))?;
/// assert_eq!(norm.text_values()[2], vec!["0", "0.5", "0.5"]);
/// # Ok::<(), kiln_plot::PlotError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ConfusionMatrixDisplay {
    /// The matrix (rows: true labels, columns: predicted).
    pub confusion_matrix: Vec<Vec<f64>>,
    /// The tick labels (`np.arange(n)` as strings when not given).
    pub display_labels: Vec<String>,
    /// Whether the values are counts (integer dtype in scikit-learn) or fractions.
    pub integer: bool,
    /// A title above the plot (none by default).
    pub title: String,
}

impl ConfusionMatrixDisplay {
    /// A display of `confusion_matrix` (square); `display_labels` default to `0..n`.
    /// `integer` chooses scikit-learn's format for counts.
    pub fn new(
        confusion_matrix: Vec<Vec<f64>>,
        display_labels: Option<Vec<String>>,
        integer: bool,
    ) -> Result<ConfusionMatrixDisplay> {
        let n = confusion_matrix.len();
        if n == 0 || confusion_matrix.iter().any(|r| r.len() != n) {
            return Err(PlotError::InvalidArgument(
                "confusion_matrix must be a non-empty square matrix".into(),
            ));
        }
        let display_labels = match display_labels {
            Some(l) if l.len() != n => {
                return Err(PlotError::InvalidArgument(format!(
                    "display_labels has {} labels for a {n} x {n} confusion matrix",
                    l.len()
                )));
            }
            Some(l) => l,
            None => (0..n).map(|i| i.to_string()).collect(),
        };
        Ok(ConfusionMatrixDisplay {
            confusion_matrix,
            display_labels,
            integer,
            title: String::new(),
        })
    }

    /// `ConfusionMatrixDisplay.from_predictions(y_true, y_pred, labels=..., normalize=...)`:
    /// the confusion matrix of kiln-learn (scikit-learn's) with the labels as tick labels.
    pub fn from_predictions<L: Label>(
        y_true: &[L],
        y_pred: &[L],
        labels: Option<&[L]>,
        normalize: Option<Normalize>,
    ) -> Result<ConfusionMatrixDisplay> {
        let cm = confusion_matrix(y_true, y_pred, labels, None, normalize)?;
        let names = cm.labels.iter().map(Label::py_str).collect();
        ConfusionMatrixDisplay::new(cm.matrix, Some(names), normalize.is_none())
    }

    /// A title above the plot.
    pub fn title(mut self, t: impl Into<String>) -> Self {
        self.title = t.into();
        self
    }

    /// The text drawn in each cell (scikit-learn's `text_`): `.2g`, or the integer when
    /// that is shorter for counts.
    pub fn text_values(&self) -> Vec<Vec<String>> {
        self.confusion_matrix
            .iter()
            .map(|row| {
                row.iter()
                    .map(|&v| {
                        let g = format_2g(v);
                        if self.integer && v.is_finite() {
                            let d = format!("{}", v.round() as i64);
                            if d.len() < g.len() {
                                return d;
                            }
                        }
                        g
                    })
                    .collect()
            })
            .collect()
    }

    /// Renders the PNG (640 x 480; larger for many classes).
    pub fn to_png(&self) -> Result<Vec<u8>> {
        let n = self.confusion_matrix.len();
        let cell = (380 / n as u32).clamp(24, 130);
        let side = cell * n as u32;
        let title_h = if self.title.is_empty() { 0 } else { 36 };
        // ticks and "True label" on the left, the colour bar and its ticks on the right
        let (left_w, right_w) = (100u32, 110u32);
        let width = (left_w + side + right_w + 40).max(640);
        let height = (title_h + side + 90).max(480);
        let left = (width - (left_w + side + right_w)) / 2 + left_w;
        let top = (height - (title_h + side + 70)) / 2 + title_h;
        let values: Vec<f64> = self.confusion_matrix.iter().flatten().copied().collect();
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let span = if hi > lo { hi - lo } else { 1.0 };
        let thresh = (hi + lo) / 2.0;
        let texts = self.text_values();
        let text_size = f64::from(cell).clamp(10.0, 40.0) * 0.4;
        render(width, height, |root| {
            let (l, t, c) = (left as i32, top as i32, cell as i32);
            if !self.title.is_empty() {
                let st = font(20.0).pos(Pos::new(HPos::Center, VPos::Top));
                root.draw_text(
                    &self.title,
                    &st,
                    (l + side as i32 / 2, t - title_h as i32 + 4),
                )
                .map_err(render_err)?;
            }
            for (i, row) in self.confusion_matrix.iter().enumerate() {
                for (j, &v) in row.iter().enumerate() {
                    let (x, y) = (l + j as i32 * c, t + i as i32 * c);
                    root.draw(&Rectangle::new(
                        [(x, y), (x + c, y + c)],
                        viridis_rgb((v - lo) / span).filled(),
                    ))
                    .map_err(render_err)?;
                    // sklearn: cmap(1.0) text below the threshold, cmap(0) above
                    let (r, g, b) = if v < thresh {
                        viridis(1.0)
                    } else {
                        viridis(0.0)
                    };
                    let text_color = RGBColor(r, g, b);
                    let st = font(text_size)
                        .color(&text_color)
                        .pos(Pos::new(HPos::Center, VPos::Center));
                    root.draw_text(&texts[i][j], &st, (x + c / 2, y + c / 2))
                        .map_err(render_err)?;
                }
            }
            let frame = [(l, t), (l + side as i32, t + side as i32)];
            root.draw(&Rectangle::new(frame, BLACK.stroke_width(1)))
                .map_err(render_err)?;
            let tick = font(14.0);
            for (k, name) in self.display_labels.iter().enumerate() {
                let mid = k as i32 * c + c / 2;
                root.draw(&PathElement::new(
                    vec![(l + mid, t + side as i32), (l + mid, t + side as i32 + 4)],
                    BLACK,
                ))
                .map_err(render_err)?;
                root.draw_text(
                    name,
                    &tick.pos(Pos::new(HPos::Center, VPos::Top)),
                    (l + mid, t + side as i32 + 7),
                )
                .map_err(render_err)?;
                root.draw(&PathElement::new(
                    vec![(l - 4, t + mid), (l, t + mid)],
                    BLACK,
                ))
                .map_err(render_err)?;
                root.draw_text(
                    name,
                    &tick.pos(Pos::new(HPos::Right, VPos::Center)),
                    (l - 7, t + mid),
                )
                .map_err(render_err)?;
            }
            let axis = font(16.0);
            root.draw_text(
                "Predicted label",
                &axis.pos(Pos::new(HPos::Center, VPos::Top)),
                (l + side as i32 / 2, t + side as i32 + 32),
            )
            .map_err(render_err)?;
            root.draw_text(
                "True label",
                &axis
                    .transform(FontTransform::Rotate270)
                    .pos(Pos::new(HPos::Center, VPos::Top)),
                (l - 70, t + side as i32 / 2),
            )
            .map_err(render_err)?;
            // colour bar
            let (bx, bw) = (l + side as i32 + 24, 18);
            for p in 0..side as i32 {
                let v = 1.0 - f64::from(p) / f64::from(side.max(1));
                root.draw(&Rectangle::new(
                    [(bx, t + p), (bx + bw, t + p + 1)],
                    viridis_rgb(v).filled(),
                ))
                .map_err(render_err)?;
            }
            root.draw(&Rectangle::new(
                [(bx, t), (bx + bw, t + side as i32)],
                BLACK.stroke_width(1),
            ))
            .map_err(render_err)?;
            for tv in nice_ticks(lo, hi) {
                let y = t + ((hi - tv) / span * f64::from(side)).round() as i32;
                root.draw(&PathElement::new(
                    vec![(bx + bw, y), (bx + bw + 4, y)],
                    BLACK,
                ))
                .map_err(render_err)?;
                let label = if self.integer && tv.fract() == 0.0 {
                    format!("{tv}")
                } else {
                    format!("{tv:.2}")
                };
                root.draw_text(
                    &label,
                    &tick.pos(Pos::new(HPos::Left, VPos::Center)),
                    (bx + bw + 7, y),
                )
                .map_err(render_err)?;
            }
            Ok(())
        })
    }

    /// Renders and writes the PNG to `path`.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        save_png(path, &self.to_png()?)
    }
}

/// Round tick values inside `[lo, hi]` (steps of 1, 2, 2.5 or 5 times a power of ten,
/// 3 to 8 ticks), as matplotlib's colour bar picks.
fn nice_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if hi <= lo || hi.is_nan() || lo.is_nan() || !lo.is_finite() || !hi.is_finite() {
        return vec![lo];
    }
    let raw = (hi - lo) / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| (hi - lo) / s <= 7.0)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// A ROC curve as scikit-learn's (`sklearn.metrics.RocCurveDisplay`): the curve labelled
/// `"<name> (AUC = 0.xx)"`, axes "False Positive Rate (Positive label: 1)" and "True
/// Positive Rate (...)" from -0.01 to 1.01 on a square, the legend at the lower right,
/// and optionally the dashed "Chance level (AUC = 0.5)" diagonal.
///
/// ```
/// use kiln_plot::RocCurveDisplay;
/// let y = [0, 0, 1, 1];
/// let scores = [0.1, 0.4, 0.35, 0.8];
/// let d = RocCurveDisplay::from_predictions(&y, &scores, None, None)?.plot_chance_level(true);
/// assert_eq!(d.label(), "Classifier (AUC = 0.75)");
/// assert_eq!(d.fpr, vec![0.0, 0.0, 0.5, 0.5, 1.0]);
/// assert_eq!(kiln_plot::decode_png_size(&d.to_png()?)?, (600, 600));
/// # Ok::<(), kiln_plot::PlotError>(())
/// ```
#[derive(Debug, Clone)]
pub struct RocCurveDisplay {
    /// False positive rates.
    pub fpr: Vec<f64>,
    /// True positive rates.
    pub tpr: Vec<f64>,
    /// The area under the curve.
    pub roc_auc: Option<f64>,
    /// The curve's name in the legend.
    pub name: Option<String>,
    /// The positive class, shown in the axis titles.
    pub pos_label: Option<String>,
    /// A title above the plot (none by default).
    pub title: String,
    chance_level: bool,
}

impl RocCurveDisplay {
    /// A display of given rates (`RocCurveDisplay(fpr=..., tpr=..., roc_auc=..., name=...)`).
    pub fn new(
        fpr: Vec<f64>,
        tpr: Vec<f64>,
        roc_auc: Option<f64>,
        name: Option<String>,
        pos_label: Option<String>,
    ) -> Result<RocCurveDisplay> {
        if fpr.len() != tpr.len() || fpr.is_empty() {
            return Err(PlotError::InvalidArgument(format!(
                "fpr and tpr must be non-empty and of the same length, got {} and {}",
                fpr.len(),
                tpr.len()
            )));
        }
        Ok(RocCurveDisplay {
            fpr,
            tpr,
            roc_auc,
            name,
            pos_label,
            title: String::new(),
            chance_level: false,
        })
    }

    /// `RocCurveDisplay.from_predictions(y_true, y_score, pos_label=..., name=...)`:
    /// `roc_curve` (with `drop_intermediate=True`) and `auc` of kiln-learn; the name is
    /// `"Classifier"` when not given, and the positive label is shown as scikit-learn
    /// resolves it (1 for 0/1 or -1/1 labels).
    pub fn from_predictions<L: Label>(
        y_true: &[L],
        y_score: &[f64],
        pos_label: Option<&L>,
        name: Option<&str>,
    ) -> Result<RocCurveDisplay> {
        let roc = roc_curve(y_true, y_score, pos_label, None, true)?;
        let area = auc(&roc.fpr, &roc.tpr)?;
        let shown = match pos_label {
            Some(p) => p.py_str(),
            None => {
                let mut classes: Vec<&L> = y_true.iter().collect();
                classes.sort();
                classes.dedup();
                // scikit-learn's default positive class is the larger of two labels
                classes.last().map(|l| l.py_str()).unwrap_or_default()
            }
        };
        RocCurveDisplay::new(
            roc.fpr,
            roc.tpr,
            Some(area),
            Some(name.unwrap_or("Classifier").to_string()),
            Some(shown),
        )
    }

    /// A title above the plot (`plt.title(...)`).
    pub fn title(mut self, t: impl Into<String>) -> Self {
        self.title = t.into();
        self
    }

    /// Also draw the chance level (`plot_chance_level=True`).
    pub fn plot_chance_level(mut self, on: bool) -> Self {
        self.chance_level = on;
        self
    }

    /// The legend text of the curve.
    pub fn label(&self) -> String {
        match (&self.name, self.roc_auc) {
            (Some(n), Some(a)) => format!("{n} (AUC = {a:.2})"),
            (None, Some(a)) => format!("AUC = {a:.2}"),
            (Some(n), None) => n.clone(),
            (None, None) => String::new(),
        }
    }

    /// Renders the PNG (600 x 600).
    pub fn to_png(&self) -> Result<Vec<u8>> {
        let info = self
            .pos_label
            .as_ref()
            .map(|p| format!(" (Positive label: {p})"))
            .unwrap_or_default();
        render(600, 600, |root| {
            let mut builder = ChartBuilder::on(root);
            if !self.title.is_empty() {
                builder.caption(&self.title, font(20.0));
            }
            let mut chart = builder
                .margin(16)
                .x_label_area_size(50)
                .y_label_area_size(64)
                .build_cartesian_2d(-0.01f64..1.01f64, -0.01f64..1.01f64)
                .map_err(render_err)?;
            chart
                .configure_mesh()
                .disable_mesh()
                .x_labels(6)
                .y_labels(6)
                .x_desc(format!("False Positive Rate{info}"))
                .y_desc(format!("True Positive Rate{info}"))
                .label_style(font(14.0))
                .axis_desc_style(font(15.0))
                .draw()
                .map_err(render_err)?;
            let color = tab10_rgb(0);
            let pts: Vec<(f64, f64)> = self
                .fpr
                .iter()
                .copied()
                .zip(self.tpr.iter().copied())
                .collect();
            let ann = chart
                .draw_series(LineSeries::new(pts, color.stroke_width(2)))
                .map_err(render_err)?;
            let label = self.label();
            if !label.is_empty() {
                ann.label(label).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
            }
            if self.chance_level {
                chart
                    .draw_series(DashedLineSeries::new(
                        vec![(0.0, 0.0), (1.0, 1.0)],
                        8,
                        5,
                        BLACK.stroke_width(1),
                    ))
                    .map_err(render_err)?
                    .label("Chance level (AUC = 0.5)")
                    .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK));
            }
            if !self.label().is_empty() || self.chance_level {
                chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::LowerRight)
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK.mix(0.3))
                    .label_font(font(14.0))
                    .draw()
                    .map_err(render_err)?;
            }
            Ok(())
        })
    }

    /// Renders and writes the PNG to `path`.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        save_png(path, &self.to_png()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_2g() {
        for (v, s) in [
            (0.0, "0"),
            (5.0, "5"),
            (12.0, "12"),
            (123.0, "1.2e+02"),
            (0.5, "0.5"),
            (0.8333, "0.83"),
            (0.05, "0.05"),
            (0.000123, "0.00012"),
            (0.0000123, "1.2e-05"),
            (1.0, "1"),
            (0.995, "0.99"),
            (99.6, "1e+02"),
        ] {
            assert_eq!(format_2g(v), s, "{v}");
        }
    }

    #[test]
    fn ticks() {
        assert_eq!(
            nice_ticks(0.0, 50.0),
            vec![0.0, 10.0, 20.0, 30.0, 40.0, 50.0]
        );
        assert_eq!(
            nice_ticks(0.0, 1.0),
            vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
    }
}
