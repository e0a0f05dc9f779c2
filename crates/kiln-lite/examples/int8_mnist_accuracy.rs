//! Trains the seed CNN on MNIST (one epoch, seed settings: Adam 1e-3, batch 64), then
//! converts it to full int8 (200 training images as the representative dataset) and
//! prints the test accuracy of kiln's float model and of kiln's int8 runtime.
//!
//! `cargo run --release -p kiln-lite --example int8_mnist_accuracy`
#[path = "../tests/models.rs"]
mod models;

use kiln::models::{CompileArgs, EvaluateArgs, FitArgs};
use kiln::optimizers::Adam;
use kiln::DType;
use kiln_lite::quantize::Int8Model;
use kiln_lite::tflite::{Optimize, TfLiteConverter};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ((x_train, y_train), (x_test, y_test)) = kiln_data::datasets::mnist::load_data()?;
    let x_train = x_train.cast(DType::F32)?.div_scalar(255.0)?;
    let x_test = x_test.cast(DType::F32)?.div_scalar(255.0)?;
    let n_train = x_train.shape()[0] as isize;
    let n_test = x_test.shape()[0] as isize;
    let x_train = x_train.reshape(&[n_train, 28, 28, 1])?;
    let x_test = x_test.reshape(&[n_test, 28, 28, 1])?;
    let mut model = models::cnn()?;
    model.compile(
        CompileArgs::new()
            .optimizer(Adam::new(1e-3))
            .loss("sparse_categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;
    model.fit(
        &x_train,
        &y_train.cast(DType::I64)?,
        FitArgs::new().epochs(1).batch_size(64).verbose(0),
    )?;
    let logs = model.evaluate(
        &x_test,
        &y_test.cast(DType::I64)?,
        EvaluateArgs::new().batch_size(1000).verbose(0),
    )?;
    let float_acc = logs.get("accuracy").unwrap_or(f64::NAN);
    let rep = (0..200)
        .map(|i| Ok(vec![x_train.slice(&[i, 0, 0, 0], &[1, 28, 28, 1])?]))
        .collect::<Result<Vec<_>, kiln_tensor::Error>>()?;
    let g = TfLiteConverter::from_keras_model(&model)
        .optimizations([Optimize::Default])
        .representative_dataset(rep)
        .convert_graph()?;
    let q = Int8Model::new(g)?;
    let pred = q
        .predict(&x_test)?
        .argmax(-1)?
        .cast(DType::I64)?
        .to_vec::<i64>()?;
    let truth = y_test.cast(DType::I64)?.to_vec::<i64>()?;
    let hits = pred.iter().zip(&truth).filter(|(a, b)| a == b).count();
    let int8_acc = hits as f64 / truth.len() as f64;
    println!(
        "{}",
        serde_json::json!({"model": "seed_cnn_1_epoch", "float_test_accuracy": float_acc,
            "int8_test_accuracy": int8_acc, "points_lost": (float_acc - int8_acc) * 100.0})
    );
    Ok(())
}
