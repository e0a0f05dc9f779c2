//! S003-28: `Sequential([SimpleRNN(50, activation="relu", input_shape=(10, 1)), Dense(1)])`,
//! adam / mse, 20 epochs of batch 16 on the sine-wave windows, then `predict(X)`.
//! Prints the fit progress, the prediction shape and the MSE of the predictions (the seed
//! plots them, written here as `s003_28_predictions.png`); it asserts the MSE is below
//! 0.05.

#[path = "common/plots.rs"]
mod plots;
#[path = "common/sine.rs"]
mod sine;

use kiln::layers::{Dense, SimpleRNN};
use kiln::models::PredictArgs;
use kiln::models::{CompileArgs, FitArgs, Model};

fn main() -> kiln::Result<()> {
    kiln::utils::set_random_seed(0);
    let (x, y) = sine::windows()?;
    let mut model = Model::sequential(vec![
        SimpleRNN::new(50)
            .activation("relu")?
            .input_shape(&[10, 1])
            .into(),
        Dense::new(1).into(),
    ])?;
    model.compile(CompileArgs::new().optimizer("adam").loss("mse"))?;
    model.fit(&x, &y, FitArgs::new().epochs(20).batch_size(16))?;
    let predictions = model.predict(&x, PredictArgs::new().verbose(0))?;
    println!(
        "Predictions shape: {}",
        kiln::layers::fmt_shape(&kiln::layers::shape_of(&predictions))
    );
    let mse = sine::mse(&predictions, &y)?;
    println!("SimpleRNN prediction MSE: {mse:.6}");
    plots::truth_and_prediction(
        "s003_28_predictions.png",
        "SimpleRNN on the sine wave",
        ("True Data", &y.to_f64_vec()),
        ("Predicted Data", &predictions.to_f64_vec()),
        "value",
    )?;
    if mse.is_nan() || mse >= 0.05 {
        eprintln!("S003-28: the SimpleRNN did not learn the sine wave (MSE {mse})");
        std::process::exit(1);
    }
    Ok(())
}
