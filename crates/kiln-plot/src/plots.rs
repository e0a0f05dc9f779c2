//! Line plots, scatter plots and image grids.

use std::collections::BTreeMap;
use std::path::Path;

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use crate::colors::tab10_rgb;
use crate::figure::{finite_range, font, render, render_err, save_png, Area};
use crate::{PlotError, Result};

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesStyle {
    /// A solid line (`plt.plot(x, y)`).
    Line,
    /// Dots only (`plt.plot(x, y, "o")`).
    Markers,
    /// A line with a dot at each point (`"o-"`).
    LineMarkers,
    /// A dashed line (`"--"`).
    Dashed,
}

#[derive(Debug, Clone)]
struct Series {
    label: String,
    x: Vec<f64>,
    y: Vec<f64>,
    style: SeriesStyle,
}

/// Lines and markers on linear or logarithmic axes (`plt.plot`), colours from `tab10` in
/// order, a legend when any series has a label.
///
/// ```
/// use kiln_plot::{LinePlot, SeriesStyle};
/// let x: Vec<f64> = (0..50).map(|i| i as f64 * 0.1).collect();
/// let truth: Vec<f64> = x.iter().map(|v| v.sin()).collect();
/// let pred: Vec<f64> = x.iter().map(|v| v.sin() * 0.9).collect();
/// let plot = LinePlot::new("predictions vs truth")
///     .xlabel("t")
///     .line("truth", &x, &truth)
///     .series("prediction", &x, &pred, SeriesStyle::Dashed);
/// let png = plot.to_png()?;
/// assert_eq!(kiln_plot::decode_png_size(&png)?, (640, 480));
/// # Ok::<(), kiln_plot::PlotError>(())
/// ```
#[derive(Debug, Clone)]
pub struct LinePlot {
    title: String,
    xlabel: String,
    ylabel: String,
    series: Vec<Series>,
    log_y: bool,
    size: (u32, u32),
}

impl LinePlot {
    /// An empty plot with a title, 640 x 480 pixels (matplotlib's 6.4 x 4.8 in at 100 dpi).
    pub fn new(title: impl Into<String>) -> LinePlot {
        LinePlot {
            title: title.into(),
            xlabel: String::new(),
            ylabel: String::new(),
            series: Vec::new(),
            log_y: false,
            size: (640, 480),
        }
    }
    /// The x axis title.
    pub fn xlabel(mut self, s: impl Into<String>) -> Self {
        self.xlabel = s.into();
        self
    }
    /// The y axis title.
    pub fn ylabel(mut self, s: impl Into<String>) -> Self {
        self.ylabel = s.into();
        self
    }
    /// A logarithmic y axis (`plt.yscale("log")`); values `<= 0` are left out.
    pub fn log_y(mut self, on: bool) -> Self {
        self.log_y = on;
        self
    }
    /// The size in pixels.
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }
    /// Adds a solid line.
    pub fn line(self, label: impl Into<String>, x: &[f64], y: &[f64]) -> Self {
        self.series(label, x, y, SeriesStyle::Line)
    }
    /// Adds a series drawn in `style`.
    pub fn series(
        mut self,
        label: impl Into<String>,
        x: &[f64],
        y: &[f64],
        style: SeriesStyle,
    ) -> Self {
        self.series.push(Series {
            label: label.into(),
            x: x.to_vec(),
            y: y.to_vec(),
            style,
        });
        self
    }

    fn check(&self) -> Result<()> {
        if self.series.is_empty() {
            return Err(PlotError::InvalidArgument(
                "LinePlot: no series to plot".into(),
            ));
        }
        for s in &self.series {
            if s.x.len() != s.y.len() {
                return Err(PlotError::InvalidArgument(format!(
                    "x and y must have same first dimension, but have shapes ({},) and ({},) (series '{}')",
                    s.x.len(),
                    s.y.len(),
                    s.label
                )));
            }
        }
        Ok(())
    }

    /// Renders the PNG.
    pub fn to_png(&self) -> Result<Vec<u8>> {
        self.check()?;
        let (w, h) = self.size;
        render(w, h, |root| {
            let (x0, x1) = finite_range(self.series.iter().flat_map(|s| s.x.iter().copied()));
            let ys = self.series.iter().flat_map(|s| s.y.iter().copied());
            if self.log_y {
                let (y0, y1) = finite_range(ys.filter(|v| *v > 0.0));
                let (y0, y1) = if y0 <= 0.0 {
                    (1e-3, 1.0)
                } else {
                    (y0 * 0.8, y1 * 1.25)
                };
                self.draw(root, pad(x0, x1), (y0..y1).log_scale(), 0.0)
            } else {
                let (y0, y1) = finite_range(ys);
                self.draw(root, pad(x0, x1), pad(y0, y1), y1 - y0)
            }
        })
    }

    /// Renders and writes the PNG to `path`.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        save_png(path, &self.to_png()?)
    }

    fn draw<Y>(&self, root: &Area<'_>, x: std::ops::Range<f64>, y: Y, yspan: f64) -> Result<()>
    where
        Y: AsRangedCoord<Value = f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let xspan = x.end - x.start;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, font(22.0))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d(x, y)
            .map_err(render_err)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(BLACK.mix(0.08))
            .x_desc(self.xlabel.as_str())
            .y_desc(self.ylabel.as_str())
            .x_label_formatter(&|v: &f64| tick_label(snap(*v, xspan)))
            .y_label_formatter(&|v: &f64| tick_label(snap(*v, yspan)))
            .label_style(font(14.0))
            .axis_desc_style(font(16.0))
            .draw()
            .map_err(render_err)?;
        let log = self.log_y;
        for (i, s) in self.series.iter().enumerate() {
            let color = tab10_rgb(i);
            let pts: Vec<(f64, f64)> =
                s.x.iter()
                    .zip(&s.y)
                    .map(|(&a, &b)| (a, b))
                    .filter(|&(a, b)| a.is_finite() && b.is_finite() && (!log || b > 0.0))
                    .collect();
            let line_style = color.stroke_width(2);
            let labelled = !s.label.is_empty();
            match s.style {
                SeriesStyle::Line | SeriesStyle::LineMarkers => {
                    let ann = chart
                        .draw_series(LineSeries::new(pts.clone(), line_style))
                        .map_err(render_err)?;
                    if labelled {
                        ann.label(s.label.as_str()).legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                        });
                    }
                    if s.style == SeriesStyle::LineMarkers {
                        chart
                            .draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))
                            .map_err(render_err)?;
                    }
                }
                SeriesStyle::Dashed => {
                    let ann = chart
                        .draw_series(DashedLineSeries::new(pts.clone(), 8, 5, line_style))
                        .map_err(render_err)?;
                    if labelled {
                        ann.label(s.label.as_str()).legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                        });
                    }
                }
                SeriesStyle::Markers => {
                    let ann = chart
                        .draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))
                        .map_err(render_err)?;
                    if labelled {
                        ann.label(s.label.as_str())
                            .legend(move |(x, y)| Circle::new((x + 10, y), 3, color.filled()));
                    }
                }
            }
        }
        if self.series.iter().any(|s| !s.label.is_empty()) {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.3))
                .label_font(font(14.0))
                .draw()
                .map_err(render_err)?;
        }
        Ok(())
    }
}

/// A tick label: at most 4 significant digits, no trailing zeros (`2`, `0.25`, `1e-05`).
pub(crate) fn tick_label(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v.is_finite() {
            "0".into()
        } else {
            format!("{v}")
        };
    }
    let exp = v.abs().log10().floor() as i32;
    if !(-4..6).contains(&exp) {
        let s = format!("{v:.3e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let m = m.trim_end_matches('0').trim_end_matches('.');
        let e: i32 = e.parse().unwrap_or(0);
        return format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    let decimals = (3 - exp).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A tick that is zero up to rounding (`-2.2e-16` on an axis spanning 2) shows as 0.
fn snap(v: f64, span: f64) -> f64 {
    if v.abs() < span.abs() * 1e-9 {
        0.0
    } else {
        v
    }
}

fn pad(lo: f64, hi: f64) -> std::ops::Range<f64> {
    let d = (hi - lo) * 0.05;
    (lo - d)..(hi + d)
}

/// The curves of a Keras `History` (`history.history` in kiln) against the epoch
/// (1-based), as the usual `plt.plot(history.history["loss"])` figure: one line per key
/// in `keys` (every key when empty), `val_` keys dashed.
///
/// ```
/// use std::collections::BTreeMap;
/// let mut h = BTreeMap::new();
/// h.insert("loss".to_string(), vec![1.0, 0.6, 0.4]);
/// h.insert("val_loss".to_string(), vec![1.1, 0.7, 0.6]);
/// let png = kiln_plot::history_plot(&h, &["loss", "val_loss"], "training")?.log_y(true).to_png()?;
/// assert!(png.len() > 1000);
/// assert!(kiln_plot::history_plot(&h, &["accuracy"], "t").is_err());
/// # Ok::<(), kiln_plot::PlotError>(())
/// ```
pub fn history_plot(
    history: &BTreeMap<String, Vec<f64>>,
    keys: &[&str],
    title: &str,
) -> Result<LinePlot> {
    let keys: Vec<&str> = if keys.is_empty() {
        history.keys().map(String::as_str).collect()
    } else {
        keys.to_vec()
    };
    let mut plot = LinePlot::new(title).xlabel("epoch");
    for k in keys {
        let v = history.get(k).ok_or_else(|| {
            PlotError::InvalidArgument(format!(
                "'{k}' is not in the history; it has {:?}",
                history.keys().collect::<Vec<_>>()
            ))
        })?;
        let x: Vec<f64> = (1..=v.len()).map(|e| e as f64).collect();
        let style = if k.starts_with("val_") {
            SeriesStyle::Dashed
        } else {
            SeriesStyle::Line
        };
        plot = plot.series(k, &x, v, style);
    }
    Ok(plot)
}

/// 2-D points coloured by integer label (`plt.scatter(x, y, c=labels, cmap="tab10")`)
/// with a legend of the labels, for embeddings (t-SNE, PCA, autoencoder codes).
///
/// ```
/// let pts = [[0.0, 0.0], [1.0, 1.0], [5.0, 5.0], [6.0, 5.5]];
/// let png = kiln_plot::ScatterPlot::new("embedding", &pts, &[0, 0, 1, 1])?.to_png()?;
/// assert_eq!(kiln_plot::decode_png_size(&png)?, (640, 640));
/// assert!(kiln_plot::ScatterPlot::new("bad", &pts, &[0]).is_err());
/// # Ok::<(), kiln_plot::PlotError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ScatterPlot {
    title: String,
    points: Vec<[f64; 2]>,
    labels: Vec<i64>,
    size: (u32, u32),
    point_size: u32,
}

impl ScatterPlot {
    /// Points and their labels (same length), 640 x 640 pixels.
    pub fn new(
        title: impl Into<String>,
        points: &[[f64; 2]],
        labels: &[i64],
    ) -> Result<ScatterPlot> {
        if points.len() != labels.len() {
            return Err(PlotError::InvalidArgument(format!(
                "'c' argument has {} elements, which is inconsistent with 'x' and 'y' with size {}.",
                labels.len(),
                points.len()
            )));
        }
        Ok(ScatterPlot {
            title: title.into(),
            points: points.to_vec(),
            labels: labels.to_vec(),
            size: (640, 640),
            point_size: 2,
        })
    }
    /// The size in pixels.
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }
    /// The dot radius in pixels (2).
    pub fn point_size(mut self, r: u32) -> Self {
        self.point_size = r;
        self
    }
    /// Renders the PNG.
    pub fn to_png(&self) -> Result<Vec<u8>> {
        if self.points.is_empty() {
            return Err(PlotError::InvalidArgument("ScatterPlot: no points".into()));
        }
        let (w, h) = self.size;
        render(w, h, |root| {
            let (x0, x1) = finite_range(self.points.iter().map(|p| p[0]));
            let (y0, y1) = finite_range(self.points.iter().map(|p| p[1]));
            let mut chart = ChartBuilder::on(root)
                .caption(&self.title, font(22.0))
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(56)
                .build_cartesian_2d(pad(x0, x1), pad(y0, y1))
                .map_err(render_err)?;
            chart
                .configure_mesh()
                .light_line_style(WHITE.mix(0.0))
                .bold_line_style(BLACK.mix(0.08))
                .x_label_formatter(&|v: &f64| tick_label(snap(*v, x1 - x0)))
                .y_label_formatter(&|v: &f64| tick_label(snap(*v, y1 - y0)))
                .label_style(font(13.0))
                .draw()
                .map_err(render_err)?;
            let mut classes: Vec<i64> = self.labels.clone();
            classes.sort_unstable();
            classes.dedup();
            let r = self.point_size as i32;
            for (ci, &c) in classes.iter().enumerate() {
                let color = tab10_rgb(ci);
                let pts = self
                    .points
                    .iter()
                    .zip(&self.labels)
                    .filter(|(p, l)| **l == c && p[0].is_finite() && p[1].is_finite())
                    .map(|(p, _)| Circle::new((p[0], p[1]), r, color.mix(0.8).filled()));
                chart
                    .draw_series(pts)
                    .map_err(render_err)?
                    .label(c.to_string())
                    .legend(move |(x, y)| Circle::new((x + 8, y), 4, color.filled()));
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.3))
                .label_font(font(13.0))
                .draw()
                .map_err(render_err)?;
            Ok(())
        })
    }
    /// Renders and writes the PNG to `path`.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        save_png(path, &self.to_png()?)
    }
}

/// Grayscale images in a grid (`plt.imshow(img, cmap="gray")` in subplots, axes off),
/// each scaled from its own minimum (black) to its maximum (white) as `imshow` does,
/// with an optional title above each.
///
/// ```
/// let a: Vec<f64> = (0..16).map(|i| i as f64).collect();
/// let b: Vec<f64> = (0..16).map(|i| (15 - i) as f64).collect();
/// let grid = kiln_plot::ImageGrid::new(vec![a, b], 4, 4)?.ncols(2).titles(vec!["0".into(), "1".into()]);
/// let png = grid.to_png()?;
/// assert_eq!(kiln_plot::decode_png_size(&png)?, grid.pixel_size());
/// # Ok::<(), kiln_plot::PlotError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ImageGrid {
    images: Vec<Vec<f64>>,
    height: usize,
    width: usize,
    ncols: usize,
    titles: Vec<String>,
    scale: u32,
}

impl ImageGrid {
    /// Images of `height * width` values each (row-major).
    pub fn new(images: Vec<Vec<f64>>, height: usize, width: usize) -> Result<ImageGrid> {
        if images.is_empty() || height == 0 || width == 0 {
            return Err(PlotError::InvalidArgument("ImageGrid: no images".into()));
        }
        if let Some((i, im)) = images
            .iter()
            .enumerate()
            .find(|(_, im)| im.len() != height * width)
        {
            return Err(PlotError::InvalidArgument(format!(
                "ImageGrid: image {i} has {} values, expected {height} x {width} = {}",
                im.len(),
                height * width
            )));
        }
        let ncols = images.len().min(5);
        Ok(ImageGrid {
            images,
            height,
            width,
            ncols,
            titles: Vec::new(),
            scale: 4,
        })
    }
    /// Images per row (5 by default, or fewer images).
    pub fn ncols(mut self, n: usize) -> Self {
        self.ncols = n.max(1);
        self
    }
    /// A title above each image.
    pub fn titles(mut self, t: Vec<String>) -> Self {
        self.titles = t;
        self
    }
    /// Screen pixels per image pixel (4).
    pub fn scale(mut self, s: u32) -> Self {
        self.scale = s.max(1);
        self
    }
    fn cell(&self) -> (u32, u32, u32) {
        let title_h = if self.titles.is_empty() { 0 } else { 22 };
        let cw = self.width as u32 * self.scale + 10;
        let ch = self.height as u32 * self.scale + 10 + title_h;
        (cw, ch, title_h)
    }
    /// The PNG's `(width, height)`.
    pub fn pixel_size(&self) -> (u32, u32) {
        let (cw, ch, _) = self.cell();
        let rows = self.images.len().div_ceil(self.ncols) as u32;
        (cw * self.ncols as u32, ch * rows)
    }
    /// Renders the PNG.
    pub fn to_png(&self) -> Result<Vec<u8>> {
        let (w, h) = self.pixel_size();
        let (cw, ch, title_h) = self.cell();
        let s = self.scale as i32;
        render(w, h, |root| {
            for (k, im) in self.images.iter().enumerate() {
                let (r, c) = ((k / self.ncols) as i32, (k % self.ncols) as i32);
                let ox = c * cw as i32 + 5;
                let oy = r * ch as i32 + 5 + title_h as i32;
                if let Some(t) = self.titles.get(k) {
                    root.draw_text(t, &font(15.0), (ox, oy - title_h as i32 + 2))
                        .map_err(render_err)?;
                }
                let (lo, hi) = finite_range(im.iter().copied());
                for y in 0..self.height {
                    for x in 0..self.width {
                        let v = im[y * self.width + x];
                        let t = if v.is_finite() {
                            ((v - lo) / (hi - lo)).clamp(0.0, 1.0)
                        } else {
                            0.0
                        };
                        let g = (t * 255.0).round() as u8;
                        let (px, py) = (ox + x as i32 * s, oy + y as i32 * s);
                        root.draw(&Rectangle::new(
                            [(px, py), (px + s, py + s)],
                            RGBColor(g, g, g).filled(),
                        ))
                        .map_err(render_err)?;
                    }
                }
            }
            Ok(())
        })
    }
    /// Renders and writes the PNG to `path`.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        save_png(path, &self.to_png()?)
    }
}
