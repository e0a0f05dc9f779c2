//! `kiln bench train`: the seed workloads of `../shared/bench/peers/*_workloads.py`
//! (same models, data, batch sizes and measurements), one JSON line per workload:
//! `{"workload", "impl": "kiln", "fit_epoch_s", "eval_s", "test_acc", "predict1_ms"}`.
//!
//! - `fit_epoch_s`: one `fit` epoch over the 60,000 training images (Adam, sparse
//!   categorical crossentropy, accuracy), as the TensorFlow peer's `model.fit(epochs=1)`.
//! - `eval_s`: `evaluate` on the 10,000 test images in batches of 1000.
//! - `predict1_ms`: mean latency of calling the model on one image, over 200 calls after
//!   a warm-up call (the peers' `model(one, training=False)`).

use std::time::Instant;

use kiln::layers::{Conv2D, Dense, Flatten, MaxPooling2D};
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln_tensor::{DType, Tensor};

/// The workloads kiln can run (the CNN waits for the convolution layers).
pub const WORKLOADS: &[&str] = &["mlp", "cnn", "mlp_pipeline"];

fn mlp() -> kiln::Result<Model> {
    Model::sequential(vec![
        Dense::new(128)
            .activation("relu")
            .input_shape(&[784])
            .into(),
        Dense::new(10).activation("softmax").into(),
    ])
}

/// Runs one workload and returns its JSON line.
/// The peers' `cnn`: Conv2D(32, 3, relu, same) -> MaxPooling2D(2) -> Conv2D(64, 3, relu,
/// same) -> MaxPooling2D(2) -> Flatten -> Dense(128, relu) -> Dense(10, softmax).
fn cnn() -> kiln::Result<Model> {
    Model::sequential(vec![
        Conv2D::new(32, 3)
            .activation("relu")
            .padding("same")
            .input_shape(&[28, 28, 1])
            .into(),
        MaxPooling2D::new(2).into(),
        Conv2D::new(64, 3).activation("relu").padding("same").into(),
        MaxPooling2D::new(2).into(),
        Flatten::new().into(),
        Dense::new(128).activation("relu").into(),
        Dense::new(10).activation("softmax").into(),
    ])
}

pub fn run_workload(name: &str) -> kiln::Result<String> {
    let ((x_train, y_train), (x_test, y_test)) = kiln_data::datasets::mnist::load_data()?;
    let x_train = x_train
        .cast(DType::F32)?
        .div_scalar(255.0)?
        .reshape(&[-1, 784])?;
    let x_test = x_test
        .cast(DType::F32)?
        .div_scalar(255.0)?
        .reshape(&[-1, 784])?;
    let (y_train, y_test) = (y_train.cast(DType::I64)?, y_test.cast(DType::I64)?);
    kiln::utils::set_random_seed(0);
    let (mut model, batch, x_train, x_test) = match name {
        "mlp" | "mlp_pipeline" => (mlp()?, 128, x_train, x_test),
        "cnn" => (
            cnn()?,
            64,
            x_train.reshape(&[-1, 28, 28, 1])?,
            x_test.reshape(&[-1, 28, 28, 1])?,
        ),
        other => {
            return Err(kiln::Error::InvalidArgument {
                api: "kiln bench train",
                msg: format!(
                    "unknown workload '{other}'; available: {}",
                    WORKLOADS.join(", ")
                ),
            })
        }
    };
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("sparse_categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;
    let t = Instant::now();
    if name == "mlp_pipeline" {
        // The same epoch fed by a tf.data-style pipeline:
        // from_tensor_slices -> shuffle(10000) -> batch(128) -> prefetch(2).
        let ds =
            kiln_data::dataset::Dataset::from_tensor_slices((x_train.clone(), y_train.clone()))?
                .shuffle(10_000, Some(0), true)
                .batch(batch, false)?
                .prefetch(2);
        model.fit_dataset(&ds, FitArgs::new().epochs(1).verbose(0))?;
    } else {
        model.fit(
            &x_train,
            &y_train,
            FitArgs::new().epochs(1).batch_size(batch).verbose(0),
        )?;
    }
    let fit_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let logs = model.evaluate(&x_test, &y_test, 1000, 0)?;
    let eval_s = t.elapsed().as_secs_f64();
    let begin = vec![0isize; x_test.rank()];
    let mut size = vec![-1isize; x_test.rank()];
    size[0] = 1;
    let one: Tensor = x_test.slice(&begin, &size)?.contiguous();
    model.call(&one)?;
    let t = Instant::now();
    for _ in 0..200 {
        std::hint::black_box(model.call(&one)?);
    }
    let lat_ms = t.elapsed().as_secs_f64() / 200.0 * 1e3;
    Ok(format!(
        "{{\"workload\": \"{name}\", \"impl\": \"kiln\", \"fit_epoch_s\": {fit_s:.3}, \"eval_s\": {eval_s:.3}, \"test_acc\": {:.4}, \"predict1_ms\": {lat_ms:.4}}}",
        logs.get("accuracy").unwrap_or(f64::NAN)
    ))
}
