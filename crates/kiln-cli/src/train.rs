//! `kiln train`: trains a model on the shipped MNIST with Keras's progress bar, evaluates
//! it on the test set and prints one JSON line of results.
//!
//! The model is built with kiln's Keras API exactly as the Keras program would be:
//! `Sequential([Flatten(), Dense(128, "relu"), Dense(10, "softmax")])`, compiled with
//! `adam`, `sparse_categorical_crossentropy` and `accuracy`, then `fit` and `evaluate`.

use std::time::Instant;

use kiln::layers::{Dense, Flatten};
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln_tensor::DType;

/// Options of `kiln train`.
pub struct TrainArgs {
    pub model: String,
    pub epochs: usize,
    pub batch_size: usize,
    pub seed: u64,
}

impl Default for TrainArgs {
    fn default() -> Self {
        TrainArgs {
            model: "mlp".into(),
            epochs: 5,
            batch_size: 128,
            seed: 42,
        }
    }
}

/// Parses `--model`, `--epochs`, `--batch-size`, `--seed`.
pub fn parse_args(args: &[String]) -> Result<TrainArgs, String> {
    let mut out = TrainArgs::default();
    let mut i = 0;
    while i < args.len() {
        let flag = args[i].as_str();
        let value = args
            .get(i + 1)
            .ok_or_else(|| format!("{flag} needs a value"))?;
        match flag {
            "--model" => out.model = value.clone(),
            "--epochs" => {
                out.epochs = value
                    .parse()
                    .map_err(|_| format!("--epochs: '{value}' is not a positive integer"))?
            }
            "--batch-size" => {
                out.batch_size = value
                    .parse()
                    .map_err(|_| format!("--batch-size: '{value}' is not a positive integer"))?
            }
            "--seed" => {
                out.seed = value
                    .parse()
                    .map_err(|_| format!("--seed: '{value}' is not an integer"))?
            }
            other => {
                return Err(format!(
                    "unknown option '{other}' (expected --model, --epochs, --batch-size, --seed)"
                ))
            }
        }
        i += 2;
    }
    if out.model != "mlp" {
        return Err(format!(
            "--model '{}' is not available yet (models: mlp; 'cnn' comes with the vision layers)",
            out.model
        ));
    }
    if out.epochs == 0 || out.batch_size == 0 {
        return Err("--epochs and --batch-size must be at least 1".into());
    }
    Ok(out)
}

/// The default model: `Sequential([Flatten(), Dense(128, "relu"), Dense(10, "softmax")])`.
fn mlp() -> kiln::Result<Model> {
    Model::sequential(vec![
        Flatten::new().input_shape(&[28, 28]).into(),
        Dense::new(128).activation("relu").into(),
        Dense::new(10).activation("softmax").into(),
    ])
}

/// Runs `kiln train`; returns the JSON result line.
pub fn run(args: &TrainArgs) -> kiln::Result<String> {
    let ((x_train, y_train), (x_test, y_test)) = kiln_data::datasets::mnist::load_data()?;
    let x_train = x_train.cast(DType::F32)?.div_scalar(255.0)?;
    let x_test = x_test.cast(DType::F32)?.div_scalar(255.0)?;
    let y_train = y_train.cast(DType::I64)?;
    let y_test = y_test.cast(DType::I64)?;

    kiln::utils::set_random_seed(args.seed);
    let mut model = mlp()?;
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("sparse_categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;
    let started = Instant::now();
    model.fit(
        &x_train,
        &y_train,
        FitArgs::new()
            .epochs(args.epochs)
            .batch_size(args.batch_size),
    )?;
    let train_seconds = started.elapsed().as_secs_f64();
    let logs = model.evaluate(&x_test, &y_test, 1000, 0)?;
    let test_loss = logs.get("loss").unwrap_or(f64::NAN);
    let test_accuracy = logs.get("accuracy").unwrap_or(f64::NAN);
    println!("test_loss: {test_loss:.4} - test_accuracy: {test_accuracy:.4}");
    Ok(format!(
        "{{\"model\": \"{}\", \"epochs\": {}, \"batch_size\": {}, \"seed\": {}, \"test_loss\": {}, \"test_accuracy\": {}, \"train_seconds\": {:.3}}}",
        args.model, args.epochs, args.batch_size, args.seed, test_loss, test_accuracy, train_seconds
    ))
}
