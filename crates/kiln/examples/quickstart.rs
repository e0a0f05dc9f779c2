//! The README's Keras-API example (kept identical, so the README's code compiles).

use kiln::prelude::*;

fn main() -> kiln::Result<()> {
    let ((x_train, y_train), (x_test, y_test)) = kiln_data::datasets::mnist::load_data()?;
    let (x_train, x_test) = (
        x_train.cast(DType::F32)?.div_scalar(255.0)?,
        x_test.cast(DType::F32)?.div_scalar(255.0)?,
    );
    let mut model = Model::sequential(vec![
        Flatten::new().input_shape(&[28, 28]).into(),
        Dense::new(128).activation("relu").into(),
        Dropout::new(0.2).into(),
        Dense::new(10).activation("softmax").into(),
    ])?;
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("sparse_categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;
    model.summary();
    model.fit(&x_train, &y_train, FitArgs::new().epochs(5).batch_size(128))?;
    let logs = model.evaluate(&x_test, &y_test, EvaluateArgs::new().batch_size(1000))?;
    println!("test accuracy: {:.4}", logs["accuracy"]);
    Ok(())
}
