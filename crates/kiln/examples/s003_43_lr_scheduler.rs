//! S003-43: Flatten - Dense 128 (he_normal) relu - Dense 10 softmax on MNIST with a
//! LearningRateScheduler (constant for 10 epochs, then x e^-0.1 per epoch), Adam, 20
//! epochs with validation on the test set. The seed pairs `categorical_crossentropy` with
//! integer labels (defect 3); the port uses sparse categorical crossentropy.
//! `KILN_EPOCHS` shortens the run.

use kiln::callbacks::LearningRateScheduler;
use kiln::layers::{Dense, Flatten};
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln_tensor::DType;

fn main() -> kiln::Result<()> {
    let ((x_train, y_train), (x_test, y_test)) = kiln_data::datasets::mnist::load_data()?;
    let (x_train, x_test) = (
        x_train.cast(DType::F32)?.div_scalar(255.0)?,
        x_test.cast(DType::F32)?.div_scalar(255.0)?,
    );
    let (y_train, y_test) = (y_train.cast(DType::I64)?, y_test.cast(DType::I64)?);
    let mut model = Model::sequential(vec![
        Flatten::new().input_shape(&[28, 28]).into(),
        Dense::new(128)
            .activation("relu")
            .kernel_initializer("he_normal")
            .into(),
        Dense::new(10).activation("softmax").into(),
    ])?;
    let scheduler =
        LearningRateScheduler::new(|epoch, lr| if epoch < 10 { lr } else { lr * (-0.1f64).exp() });
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("sparse_categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;
    let epochs = std::env::var("KILN_EPOCHS")
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(20);
    model.fit(
        &x_train,
        &y_train,
        FitArgs::new()
            .epochs(epochs)
            .validation_data(&x_test, &y_test)
            .callback(scheduler),
    )?;
    Ok(())
}
