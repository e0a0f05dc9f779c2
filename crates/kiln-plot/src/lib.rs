//! PNG plots for kiln, in pure Rust: [plotters]' bitmap backend draws into an RGB buffer,
//! text goes through `ab_glyph` with the DejaVu Sans font compiled into the crate (no
//! system fontconfig or freetype), and the `png` crate writes the file.
//!
//! - [`LinePlot`]: lines and markers, linear or log y axis; [`history_plot`] draws a
//!   Keras `History` (`loss`, `val_loss`, ...) per epoch;
//! - [`ScatterPlot`]: 2-D points coloured by integer label (matplotlib's `tab10`);
//! - [`ConfusionMatrixDisplay`] and [`RocCurveDisplay`]: scikit-learn's displays (their
//!   `from_predictions`, labels, number formats, colours and axis titles);
//! - [`ImageGrid`]: grayscale images in a grid (k-means centroids, samples).
//!
//! It is its own crate so that the plotting and font dependencies (and the 750 KB
//! font) stay out of `kiln` and `kiln-learn` for users that do not plot; it takes plain
//! slices and maps, so it does not depend on `kiln` (pass `history.history`).
//!
//! ```
//! use kiln_plot::{ConfusionMatrixDisplay, LinePlot};
//!
//! let png = LinePlot::new("loss").xlabel("epoch").line("loss", &[1.0, 2.0, 3.0], &[0.9, 0.5, 0.3]).to_png()?;
//! assert_eq!(&png[1..4], b"PNG");
//! let cm = ConfusionMatrixDisplay::from_predictions(&[0, 1, 1, 2], &[0, 1, 2, 2], None, None)?;
//! assert_eq!(cm.text_values(), vec![vec!["1", "0", "0"], vec!["0", "1", "1"], vec!["0", "0", "1"]]);
//! let _png = cm.to_png()?;
//! # Ok::<(), kiln_plot::PlotError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod colors;
mod displays;
mod figure;
mod plots;

pub use colors::{tab10, viridis};
pub use displays::{ConfusionMatrixDisplay, RocCurveDisplay};
pub use figure::{decode_png_size, save_png};
pub use plots::{history_plot, ImageGrid, LinePlot, ScatterPlot, SeriesStyle};

/// Errors of the plotting API.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// Bad input (lengths, shapes, empty data), naming what was expected.
    #[error("{0}")]
    InvalidArgument(String),
    /// The drawing backend failed.
    #[error("drawing failed: {0}")]
    Render(String),
    /// Writing the PNG failed.
    #[error("cannot write '{path}': {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A metric (confusion matrix, ROC curve) failed.
    #[error(transparent)]
    Learn(#[from] kiln_learn::LearnError),
}

/// `Result` with [`PlotError`].
pub type Result<T> = std::result::Result<T, PlotError>;
