//! S002-1: `Sequential([Dense(64, relu, input_shape=(784,)), Dense(10, softmax)])`,
//! adam / categorical crossentropy / accuracy, one epoch on random data with one-hot
//! labels; prints the evaluation and the prediction shape.

use kiln::layers::Dense;
use kiln::models::EvaluateArgs;
use kiln::models::PredictArgs;
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln_tensor::random::Generator;
use kiln_tensor::DType;

fn main() -> kiln::Result<()> {
    let mut model = Model::sequential(vec![
        Dense::new(64).activation("relu").input_shape(&[784]).into(),
        Dense::new(10).activation("softmax").into(),
    ])?;
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;
    let mut g = Generator::from_seed(0);
    let dummy_data = g.uniform(&[100, 784], 0.0, 1.0, DType::F32)?;
    let dummy_labels =
        g.randint(&[100], 0, 10, DType::I64)?
            .one_hot(10, 1.0, 0.0, -1, DType::F32)?;
    model.fit(
        &dummy_data,
        &dummy_labels,
        FitArgs::new().epochs(1).batch_size(32),
    )?;
    let logs = model.evaluate(&dummy_data, &dummy_labels, EvaluateArgs::new().verbose(0))?;
    let (loss, accuracy) = (
        logs.get("loss").unwrap_or(f64::NAN),
        logs.get("accuracy").unwrap_or(f64::NAN),
    );
    println!("Loss: {loss}, Accuracy: {accuracy}");
    let predictions = model.predict(
        &dummy_data.slice(&[0, 0], &[5, -1])?,
        PredictArgs::new().verbose(1),
    )?;
    let dims: Vec<String> = predictions.shape().iter().map(|d| d.to_string()).collect();
    println!("Predictions shape: ({})", dims.join(", "));
    Ok(())
}
