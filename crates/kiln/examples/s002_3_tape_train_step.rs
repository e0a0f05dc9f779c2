//! S002-3: the S002-1 MLP trained by a GradientTape `train_step` (Adam 0.001, categorical
//! crossentropy) for one full-batch epoch, then predictions and an evaluation. The seed
//! evaluates a model it never compiled (defect 1); the port compiles before evaluating.

use kiln::layers::Dense;
use kiln::losses::{CategoricalCrossentropy, Loss};
use kiln::models::EvaluateArgs;
use kiln::models::PredictArgs;
use kiln::models::{CompileArgs, Model};
use kiln::optimizers::{Adam, Optimizer};
use kiln_tensor::random::Generator;
use kiln_tensor::{DType, GradientTape, Tensor, Variable};

fn train_step(
    model: &Model,
    optimizer: &mut Adam,
    loss_fn: &CategoricalCrossentropy,
    x: &Tensor,
    y: &Tensor,
) -> kiln::Result<f32> {
    let tape = GradientTape::new();
    let predictions = model.call_multi(std::slice::from_ref(x), true)?.remove(0);
    let loss = loss_fn.compute(y, &predictions, None)?;
    let vars = model.trainable_weights();
    let refs: Vec<&Variable> = vars.iter().collect();
    let grads = tape.gradient(&loss, &refs)?;
    drop(tape);
    let pairs: Vec<(Tensor, Variable)> = grads
        .into_iter()
        .zip(vars)
        .filter_map(|(g, v)| g.map(|g| (g, v)))
        .collect();
    optimizer.apply_gradients(&pairs)?;
    Ok(loss.item::<f32>()?)
}

fn main() -> kiln::Result<()> {
    let mut model = Model::sequential(vec![
        Dense::new(64).activation("relu").input_shape(&[784]).into(),
        Dense::new(10).activation("softmax").into(),
    ])?;
    let mut optimizer = Adam::new(0.001);
    let loss_fn = CategoricalCrossentropy::new();
    let mut g = Generator::from_seed(0);
    let x = g.uniform(&[100, 784], 0.0, 1.0, DType::F32)?;
    let y = g
        .randint(&[100], 0, 10, DType::I64)?
        .one_hot(10, 1.0, 0.0, -1, DType::F32)?;
    for epoch in 0..1 {
        let loss = train_step(&model, &mut optimizer, &loss_fn, &x, &y)?;
        println!("Epoch: {epoch}, Loss: {loss}");
    }
    let predictions = model.predict(&x.slice(&[0, 0], &[5, -1])?, PredictArgs::new().verbose(0))?;
    let dims: Vec<String> = predictions.shape().iter().map(|d| d.to_string()).collect();
    println!("Predictions shape: ({})", dims.join(", "));
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;
    let logs = model.evaluate(&x, &y, EvaluateArgs::new().verbose(0))?;
    println!(
        "Loss: {}, Accuracy: {}",
        logs.get("loss").unwrap_or(f64::NAN),
        logs.get("accuracy").unwrap_or(f64::NAN)
    );
    Ok(())
}
