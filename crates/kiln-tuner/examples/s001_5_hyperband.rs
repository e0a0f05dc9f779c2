//! S001-5: Keras Tuner Hyperband over the first Dense layer's units (32..512, step 32)
//! of a binary classifier (`Dense(units, relu) -> Dense(1, sigmoid)`, adam, binary
//! cross-entropy, accuracy), `objective="val_accuracy"`, `factor=3`, searched with
//! `epochs=50, validation_split=0.2`, then `Best Hyperparameters: {'units': ...}`: the
//! best trial's `.values`, which for Hyperband also hold keras-tuner's `tuner/epochs`,
//! `tuner/initial_epoch`, `tuner/bracket`, `tuner/round` (and `tuner/trial_id`).
//!
//! The seed's `X_train`, `y_train` and `input_dim` are undefined; the port uses
//! scikit-learn's breast cancer data (569 samples x 30 features, 0 malignant /
//! 1 benign; the golden fixture `tools/golden/fixtures/sklearn/datasets.json`, as S001-6
//! uses), standardised per feature, so `input_dim = 30`.
//!
//! The default is a short run, `max_epochs=4` (9 trials in Hyperband's brackets) and
//! silent fits; `--full` runs the seed's `max_epochs=10` with Keras's progress output.
//! `--max-epochs N` sets it alone, `--seed S` fixes the oracle's seed (default 1, so
//! runs repeat), `--dir D` moves `my_dir` (default: under the system temp dir).
//!
//! `s001_5_keras_tuner.py [--full]` runs the seed in keras-tuner on the same data with the
//! same oracle seed: the same trials (units, epochs, brackets); the best one may differ,
//! since the networks start from other random weights.
//!
//! `cargo run --release -p kiln-tuner --example s001_5_hyperband -- --full`

use kiln::layers::Dense;
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln_tensor::Tensor;
use kiln_tuner::{HyperParameters, Hyperband, Int};

/// The breast cancer data, standardised: `(x (n, 30) f32, y (n, 1) f32)`.
fn breast_cancer() -> Result<(Tensor, Tensor), Box<dyn std::error::Error>> {
    let path = format!(
        "{}/../../tools/golden/fixtures/sklearn/datasets.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    let case = doc["cases"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "breast_cancer"))
        .ok_or("no breast_cancer case")?;
    let rows: Vec<Vec<f64>> = case["X"]
        .as_array()
        .ok_or("X")?
        .iter()
        .map(|r| {
            r.as_array()
                .map(|v| v.iter().filter_map(|x| x.as_f64()).collect())
                .unwrap_or_default()
        })
        .collect();
    let y: Vec<f32> = case["y"]
        .as_array()
        .ok_or("y")?
        .iter()
        .filter_map(|v| v.as_f64().map(|v| v as f32))
        .collect();
    let (n, d) = (rows.len(), rows[0].len());
    let mut x = vec![0f32; n * d];
    for j in 0..d {
        let mean = rows.iter().map(|r| r[j]).sum::<f64>() / n as f64;
        let sd = (rows.iter().map(|r| (r[j] - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        for i in 0..n {
            x[i * d + j] = ((rows[i][j] - mean) / sd) as f32;
        }
    }
    Ok((Tensor::from_vec(x, &[n, d])?, Tensor::from_vec(y, &[n, 1])?))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut max_epochs = 4;
    let mut verbose = 0u8;
    let mut seed = 1u64;
    let mut dir = std::env::temp_dir().join(format!("kiln_s001_5_{}", std::process::id()));
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--full" => {
                max_epochs = 10;
                verbose = 1;
            }
            "--max-epochs" => {
                max_epochs = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--max-epochs N")?
            }
            "--seed" => seed = it.next().and_then(|v| v.parse().ok()).ok_or("--seed S")?,
            "--dir" => dir = it.next().ok_or("--dir D")?.into(),
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    let (x_train, y_train) = breast_cancer()?;
    let input_dim = x_train.shape()[1];

    let build_model = move |hp: &mut HyperParameters| -> kiln::Result<Model> {
        let units = hp.int(Int::new("units", 32, 512).step(32))? as usize;
        let mut model = Model::sequential(vec![
            Dense::new(units)
                .activation("relu")
                .input_shape(&[input_dim])
                .into(),
            Dense::new(1).activation("sigmoid").into(),
        ])?;
        model.compile(
            CompileArgs::new()
                .optimizer("adam")
                .loss("binary_crossentropy")
                .metrics(["accuracy"]),
        )?;
        Ok(model)
    };

    let mut tuner = Hyperband::new(build_model)
        .objective("val_accuracy")
        .max_epochs(max_epochs)
        .factor(3)
        .seed(seed)
        .directory(&dir)
        .project_name("helloworld")
        .overwrite(true)
        .verbose(verbose)
        .build()?;
    tuner.search(&x_train, &y_train, move || {
        FitArgs::new()
            .epochs(50)
            .validation_split(0.2)
            .verbose(verbose)
    })?;

    let best = tuner.get_best_hyperparameters(1).remove(0);
    let items: Vec<String> = best
        .values()
        .iter()
        .map(|(k, v)| format!("'{k}': {}", v.repr()))
        .collect();
    println!("Trials: {}", tuner.oracle().trials().len());
    println!("Best Hyperparameters: {{{}}}", items.join(", "));
    if !std::env::args().any(|a| a == "--dir") {
        std::fs::remove_dir_all(&dir).ok();
    }
    Ok(())
}
