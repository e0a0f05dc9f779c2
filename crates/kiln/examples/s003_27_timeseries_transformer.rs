//! S003-27: a time-series transformer on stock closing prices — the `Close` column,
//! MinMax-scaled to [0, 1], windows of 60 steps predicting the next value; `Dense(128)`,
//! four TransformerBlock(128, 4 heads, 512), Flatten, Dense(1); adam + MSE, 20 epochs of
//! batch 32; predict on the training windows and inverse-transform. The seed plots true
//! and predicted prices; the port prints the first predictions next to the true prices
//! and the mean absolute error in price units instead (no plotting library).
//! Seed defect 2: `create_dataset` returns 2-D `X` but the model reads `X.shape[2]`; the
//! port reshapes `X` to (N, 60, 1) as intended.
//!
//! Data: `$KILN_DATA_DIR/stock_prices.csv` (a header with a `Close` column) when present;
//! otherwise a clearly announced synthetic stand-in: 500 days of a seeded random walk.
//! `KILN_EPOCHS` and `KILN_ROWS` (rows of data used) shrink the run.

#[path = "common/plots.rs"]
mod plots;
#[path = "common/transformer.rs"]
mod transformer;

use kiln::layers::{Dense, Flatten, Input, LayerApply, LayerRef};
use kiln::models::PredictArgs;
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln_data::csv::{parse_csv, CsvOptions};
use kiln_data::utils::MinMaxScaler;
use kiln_tensor::Tensor;
use transformer::TransformerBlock;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The `Close` column of a CSV (other columns, such as dates, are skipped).
fn close_column(path: &std::path::Path) -> kiln::Result<Vec<f32>> {
    let text = std::fs::read_to_string(path).map_err(|e| kiln::Error::InvalidArgument {
        api: "s003_27",
        msg: format!("{}: {e}", path.display()),
    })?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let col = header
        .iter()
        .position(|h| h.trim() == "Close")
        .ok_or_else(|| kiln::Error::InvalidArgument {
            api: "s003_27",
            msg: format!("{}: no 'Close' column in {header:?}", path.display()),
        })?;
    let column: String = std::iter::once("Close".to_string())
        .chain(lines.filter_map(|l| l.split(',').nth(col).map(str::to_string)))
        .collect::<Vec<_>>()
        .join("\n");
    let (_, t) = parse_csv(&column, &CsvOptions::default(), &path.display().to_string())?;
    Ok(t.to_vec::<f32>()?)
}

fn random_walk(n: usize) -> Vec<f32> {
    let mut s = 7u64;
    let mut price = 100.0f32;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            price *= 1.0 + 0.04 * u;
            price
        })
        .collect()
}

fn main() -> kiln::Result<()> {
    let path = std::env::var_os("KILN_DATA_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_default()
        .join("stock_prices.csv");
    let mut prices = if path.exists() {
        close_column(&path)?
    } else {
        println!(
            "NOTE: {} not found; using a synthetic stand-in (500 days of a random walk).",
            path.display()
        );
        random_walk(500)
    };
    prices.truncate(env("KILN_ROWS", prices.len()));
    let time_step = 60;
    if prices.len() < time_step + 2 {
        return Err(kiln::Error::InvalidArgument {
            api: "s003_27",
            msg: format!(
                "need more than {} prices, got {}",
                time_step + 1,
                prices.len()
            ),
        });
    }
    let n = prices.len();
    let data = Tensor::from_vec(prices, &[n, 1])?;
    let mut scaler = MinMaxScaler::new((0.0, 1.0));
    let scaled = scaler.fit_transform(&data)?.to_vec::<f32>()?;

    // create_dataset: windows [i, i + 60) and the value after each.
    let count = n - time_step - 1;
    let mut xs = Vec::with_capacity(count * time_step);
    let mut ys = Vec::with_capacity(count);
    for i in 0..count {
        xs.extend_from_slice(&scaled[i..i + time_step]);
        ys.push(scaled[i + time_step]);
    }
    let x = Tensor::from_vec(xs, &[count, time_step, 1])?;
    let y = Tensor::from_vec(ys, &[count, 1])?;

    kiln::utils::set_random_seed(0);
    let inputs = Input::shape(&[time_step, 1]);
    let mut h = Dense::new(128).apply(&inputs)?;
    for _ in 0..4 {
        h = LayerRef::new(TransformerBlock::keras(128, 4, 512))
            .call_symbolic(&[h])?
            .remove(0);
    }
    let h = Flatten::new().apply(&h)?;
    let outputs = Dense::new(1).apply(&h)?;
    let mut model = Model::new(&[inputs], &[outputs])?;
    model.compile(CompileArgs::new().optimizer("adam").loss("mse"))?;
    model.fit(
        &x,
        &y,
        FitArgs::new().epochs(env("KILN_EPOCHS", 20)).batch_size(32),
    )?;
    let predictions =
        scaler.inverse_transform(&model.predict(&x, PredictArgs::new().verbose(0))?)?;
    let truth = scaler.inverse_transform(&y)?;
    let (p, t) = (predictions.to_vec::<f32>()?, truth.to_vec::<f32>()?);
    println!("day  true price  predicted");
    for i in 0..5.min(count) {
        println!("{:>3} {:>11.3} {:>10.3}", i + time_step, t[i], p[i]);
    }
    let mae = p.iter().zip(&t).map(|(a, b)| (a - b).abs()).sum::<f32>() / count as f32;
    println!("mean absolute error: {mae:.4}");
    let f = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<f64>>();
    plots::truth_and_prediction(
        "s003_27_prices.png",
        "Stock price prediction",
        ("True Price", &f(&t)),
        ("Predicted Price", &f(&p)),
        "price",
    )?;
    Ok(())
}
