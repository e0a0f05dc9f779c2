//! Save, load and resume: an MNIST MLP trains one epoch, is saved as a Keras 3 `.keras`
//! archive (config, weights and Adam's state), loaded back (predictions identical), and
//! trained one more epoch from where it stopped; prints the test accuracy at each stage.
//!
//! `cargo run --release -p kiln --example save_load_resume_mlp [-- SUBSET]` (SUBSET
//! training images, default 10000; the test set is the first 2000 test images).

use kiln::layers::Dense;
use kiln::models::EvaluateArgs;
use kiln::models::PredictArgs;
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln_tensor::{DType, Tensor};

fn accuracy(model: &mut Model, x: &Tensor, y: &Tensor) -> kiln::Result<f64> {
    let logs = model.evaluate(x, y, EvaluateArgs::new().batch_size(256).verbose(0))?;
    Ok(logs.get("accuracy").unwrap_or(f64::NAN))
}

fn main() -> kiln::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let ((x, y), (xt, yt)) = kiln_data::datasets::mnist::load_data()?;
    let prep = |x: &Tensor, k: usize| -> kiln::Result<Tensor> {
        Ok(x.slice(&[0, 0, 0], &[k as isize, -1, -1])?
            .cast(DType::F32)?
            .div_scalar(255.0)?
            .reshape(&[-1, 784])?)
    };
    let (x, xt) = (prep(&x, n)?, prep(&xt, 2000)?);
    let y = y.slice(&[0], &[n as isize])?.cast(DType::I64)?;
    let yt = yt.slice(&[0], &[2000])?.cast(DType::I64)?;

    let mut model = Model::sequential(vec![
        Dense::new(128)
            .activation("relu")
            .input_shape(&[784])
            .into(),
        Dense::new(10).activation("softmax").into(),
    ])?;
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("sparse_categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;
    let fit = |m: &mut Model, initial_epoch: usize| {
        m.fit(
            &x,
            &y,
            FitArgs::new()
                .epochs(initial_epoch + 1)
                .initial_epoch(initial_epoch)
                .batch_size(64)
                .verbose(0),
        )
    };
    fit(&mut model, 0)?;
    println!(
        "after epoch 1: test accuracy {:.4}",
        accuracy(&mut model, &xt, &yt)?
    );

    let dir = std::env::temp_dir().join(format!("kiln_resume_{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| kiln::Error::InvalidArgument {
        api: "example",
        msg: e.to_string(),
    })?;
    let path = dir.join("mnist_mlp.keras");
    kiln::saving::save_model(&model, &path)?;
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!("saved {} ({size} bytes)", path.display());

    let mut again = kiln::saving::load_model(&path)?;
    let same = again
        .predict(&xt, PredictArgs::new().batch_size(256).verbose(0))?
        .to_vec::<f32>()?
        == model
            .predict(&xt, PredictArgs::new().batch_size(256).verbose(0))?
            .to_vec::<f32>()?;
    println!("loaded: predictions identical: {same}");
    assert!(same, "the loaded model predicts differently");
    println!(
        "loaded: test accuracy {:.4}",
        accuracy(&mut again, &xt, &yt)?
    );

    // The optimizer state came back with the weights: the second epoch continues Adam's
    // moments and step count instead of restarting them.
    fit(&mut again, 1)?;
    println!(
        "after resumed epoch 2: test accuracy {:.4}",
        accuracy(&mut again, &xt, &yt)?
    );
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
