//! A Keras user's first day, program 1: a CNN on MNIST with the usual callbacks
//! (the Keras original: `cnn_callbacks.py`).
use kiln::prelude::*;

fn main() -> kiln::Result<()> {
    let ((x_train, y_train), (x_test, y_test)) = kiln_data::datasets::mnist::load_data()?;
    let prep = |x: Tensor| x.reshape(&[-1, 28, 28, 1])?.cast(DType::F32)?.div_scalar(255.0);
    let (x_train, y_train, x_test) =
        (prep(x_train.rows(..6000)?)?, y_train.rows(..6000)?, prep(x_test)?);
    let mut model = Model::sequential(vec![
        Input::shape(&[28, 28, 1]).into(),
        Conv2D::new(16, 3).activation("relu").into(),
        MaxPooling2D::new(2).into(),
        Conv2D::new(32, 3).activation("relu").into(),
        MaxPooling2D::new(2).into(),
        Flatten::new().into(),
        Dropout::new(0.3).into(),
        Dense::new(10).activation("softmax").into(),
    ])?;
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("sparse_categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;
    let args = FitArgs::new()
        .batch_size(64)
        .epochs(3)
        .validation_split(0.1)
        .callback(
            callbacks::EarlyStopping::new()
                .monitor("val_loss")
                .patience(2)
                .restore_best_weights(true),
        )
        .callback(callbacks::ModelCheckpoint::new("best.keras")?.save_best_only(true))
        .callback(callbacks::ReduceLROnPlateau::new().monitor("val_loss").factor(0.5).patience(1))
        .callback(callbacks::CSVLogger::new("training.csv"));
    let history = model.fit(&x_train, &y_train, args)?;
    println!("val_accuracy: {:?}", history.get("val_accuracy"));
    let logs = model.evaluate(&x_test, &y_test, EvaluateArgs::new().verbose(0))?;
    println!("test accuracy: {:.4}", logs["accuracy"]);
    Ok(())
}
