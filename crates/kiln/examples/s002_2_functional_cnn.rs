//! S002-2: the functional CNN (Conv32 same -> Pool -> Conv64 same -> Pool -> Flatten ->
//! Dense128 -> Dense10 softmax) compiled with adam / categorical crossentropy, one epoch on
//! random (100, 28, 28, 1) images with one-hot labels, then evaluate and predict.

use kiln::layers::{Conv2D, Dense, Flatten, Input, LayerApply, MaxPooling2D};
use kiln::models::EvaluateArgs;
use kiln::models::PredictArgs;
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln_tensor::random::Generator;
use kiln_tensor::DType;

fn main() -> kiln::Result<()> {
    kiln::utils::set_random_seed(0);
    let inputs = Input::shape(&[28, 28, 1]);
    let conv1 = Conv2D::new(32, 3)
        .activation("relu")
        .padding("same")
        .apply(&inputs)?;
    let pool1 = MaxPooling2D::new(2).apply(&conv1)?;
    let conv2 = Conv2D::new(64, 3)
        .activation("relu")
        .padding("same")
        .apply(&pool1)?;
    let pool2 = MaxPooling2D::new(2).apply(&conv2)?;
    let flat = Flatten::new().apply(&pool2)?;
    let dense1 = Dense::new(128).activation("relu").apply(&flat)?;
    let outputs = Dense::new(10).activation("softmax").apply(&dense1)?;
    let mut model = Model::new(&[inputs], &[outputs])?;
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;
    let mut g = Generator::from_seed(0);
    let images = g.uniform(&[100, 28, 28, 1], 0.0, 1.0, DType::F32)?;
    let labels = kiln::utils::to_categorical(&g.randint(&[100], 0, 10, DType::I64)?, Some(10))?;
    model.fit(&images, &labels, FitArgs::new().epochs(1).batch_size(32))?;
    let logs = model.evaluate(&images, &labels, EvaluateArgs::new().verbose(0))?;
    println!(
        "Loss: {}, Accuracy: {}",
        logs.get("loss").unwrap_or(f64::NAN),
        logs.get("accuracy").unwrap_or(f64::NAN)
    );
    let first5 = images.slice(&[0, 0, 0, 0], &[5, -1, -1, -1])?;
    let predictions = model.predict(&first5, PredictArgs::new().verbose(0))?;
    let s = predictions.shape();
    println!("Predictions shape: ({}, {})", s[0], s[1]);
    Ok(())
}
