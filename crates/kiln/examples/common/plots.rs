//! The seed examples' matplotlib figures as PNG, through `kiln-plot`: written to
//! `$KILN_PLOT_OUT` or `target/plots`, and the path printed.
#![allow(dead_code)]

use std::path::PathBuf;

fn out(name: &str) -> kiln::Result<PathBuf> {
    let dir = std::env::var_os("KILN_PLOT_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(format!("{}/../../target/plots", env!("CARGO_MANIFEST_DIR")))
        });
    std::fs::create_dir_all(&dir).map_err(|e| kiln::Error::InvalidArgument {
        api: "plot",
        msg: format!("cannot create {}: {e}", dir.display()),
    })?;
    Ok(dir.join(name))
}

fn plot_err(e: kiln_plot::PlotError) -> kiln::Error {
    kiln::Error::InvalidArgument {
        api: "plot",
        msg: e.to_string(),
    }
}

/// `plt.plot(truth, label=...)`, `plt.plot(pred, label=...)`: two lines over the sample
/// index, saved as `name`.
pub fn truth_and_prediction(
    name: &str,
    title: &str,
    truth: (&str, &[f64]),
    pred: (&str, &[f64]),
    ylabel: &str,
) -> kiln::Result<PathBuf> {
    let xs: Vec<f64> = (0..truth.1.len()).map(|i| i as f64).collect();
    let path = out(name)?;
    kiln_plot::LinePlot::new(title)
        .xlabel("index")
        .ylabel(ylabel)
        .line(truth.0, &xs, truth.1)
        .line(pred.0, &xs, pred.1)
        .save(&path)
        .map_err(plot_err)?;
    println!("wrote {}", path.display());
    Ok(path)
}

/// Curves over a shared x axis (one per `(label, values)`), log-scale y when asked.
pub fn curves(
    name: &str,
    title: &str,
    x: &[f64],
    series: &[(&str, &[f64])],
    xlabel: &str,
    log_y: bool,
) -> kiln::Result<PathBuf> {
    let path = out(name)?;
    let mut plot = kiln_plot::LinePlot::new(title).xlabel(xlabel).log_y(log_y);
    for (label, y) in series {
        plot = plot.line(*label, x, y);
    }
    plot.save(&path).map_err(plot_err)?;
    println!("wrote {}", path.display());
    Ok(path)
}

/// `plt.subplots(rows, cols)` + `imshow(cmap="gray")` of the first `rows * cols` images,
/// through [`kiln::utils::save_image_grid`], saved as `name`.
pub fn image_grid(
    name: &str,
    images: &kiln::Tensor,
    rows: usize,
    cols: usize,
    args: kiln::utils::ImageGridArgs,
) -> kiln::Result<PathBuf> {
    let path = out(name)?;
    kiln::utils::save_image_grid(&path, images, rows, cols, args)?;
    println!("wrote {}", path.display());
    Ok(path)
}
