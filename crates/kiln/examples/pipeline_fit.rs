//! The README's input-pipeline example: MNIST through a tf.data-style `Dataset`
//! (slices -> shuffle -> batch -> prefetch) into `fit_dataset`. `KILN_EPOCHS` sets the
//! epochs (default 1).

use kiln::layers::{Dense, Flatten};
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln_data::dataset::{Dataset, AUTOTUNE};
use kiln_tensor::DType;

fn main() -> kiln::Result<()> {
    let epochs = std::env::var("KILN_EPOCHS")
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(1);
    let ((x_train, y_train), (x_test, y_test)) = kiln_data::datasets::mnist::load_data()?;
    let x_train = x_train.cast(DType::F32)?.div_scalar(255.0)?;
    let x_test = x_test.cast(DType::F32)?.div_scalar(255.0)?;
    let train = Dataset::from_tensor_slices((x_train, y_train.cast(DType::I64)?))?
        .shuffle_with(10_000, Some(42), true) // or .shuffle(10_000): no seed, as TF
        .batch(128)?
        .prefetch(AUTOTUNE);
    let test = Dataset::from_tensor_slices((x_test, y_test.cast(DType::I64)?))?.batch(1000)?;
    let mut model = Model::sequential(vec![
        Flatten::new().input_shape(&[28, 28]).into(),
        Dense::new(128).activation("relu").into(),
        Dense::new(10).activation("softmax").into(),
    ])?;
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("sparse_categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;
    model.fit_dataset(&train, FitArgs::new().epochs(epochs))?;
    let logs = model.evaluate_dataset(&test, 0)?;
    println!(
        "test accuracy: {:.4}",
        logs.get("accuracy").unwrap_or(f64::NAN)
    );
    Ok(())
}
