//! S003-45: train a model on the shipped MNIST, wrap it with
//! `prune_low_magnitude` at the seed's schedule (`PolynomialDecay(initial_sparsity=0.0,
//! final_sparsity=0.5, begin_step=0, end_step=2000)`, TFMOT's power 3 and frequency 100),
//! fine-tune with `UpdatePruningStep`, `strip_pruning`, and report the sparsity reached
//! and the test accuracy of the unpruned and the pruned model as one JSON line. The
//! stripped model is saved to `pruned_model.keras` (or `KILN_PRUNED_OUT`) and converted,
//! as the seed does with `TFLiteConverter` and `optimizations=[Optimize.DEFAULT]`
//! (dynamic-range quantization), to `quantized_model.tflite` (or `KILN_TFLITE_OUT`).
//!
//! `KILN_MODEL=mlp` (default: `Flatten - Dense 128 relu - Dense 10 softmax`, batch 128)
//! or `cnn` (kiln train's S002-2 CNN, batch 64); `KILN_EPOCHS` is the number of epochs
//! before pruning (default: kiln train's, 5 for mlp, 3 for cnn); `KILN_PRUNE_EPOCHS` the
//! fine-tune with pruning (default: the fewest epochs that reach the schedule's end step
//! 2000: 5 for mlp, 3 for cnn); `KILN_TRAIN_LIMIT` trains on the first N images only
//! (quick runs); `KILN_CONTROL=1` also fine-tunes a copy of the unpruned model for the
//! same epochs without pruning (the equal-training control). The fits use Adam with a cosine decay from 1e-3 over the fit, as
//! `kiln train --model cnn`. Run:
//!
//! ```text
//! cargo run --release -p kiln-lite --example s003_45_prune_mnist
//! KILN_MODEL=cnn cargo run --release -p kiln-lite --example s003_45_prune_mnist
//! ```

use kiln::layers::{Conv2D, Dense, Flatten, Input, LayerApply, MaxPooling2D};
use kiln::models::{CompileArgs, EvaluateArgs, FitArgs, Model};
use kiln::optimizers::schedules::CosineDecay;
use kiln::optimizers::Adam;
use kiln_lite::sparsity::{
    prune_low_magnitude, strip_pruning, PolynomialDecay, PruningParams, UpdatePruningStep,
};
use kiln_lite::tflite::{Optimize, TfLiteConverter};
use kiln_tensor::{DType, Tensor};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The first `n` samples (along axis 0).
fn head(t: &Tensor, n: usize) -> kiln::Result<Tensor> {
    let begin = vec![0isize; t.rank()];
    let mut size = vec![-1isize; t.rank()];
    size[0] = n as isize;
    Ok(t.slice(&begin, &size)?)
}

fn mlp() -> kiln::Result<Model> {
    Model::sequential(vec![
        Flatten::new().input_shape(&[28, 28]).into(),
        Dense::new(128).activation("relu").into(),
        Dense::new(10).activation("softmax").into(),
    ])
}

fn cnn() -> kiln::Result<Model> {
    let inputs = Input::shape(&[28, 28, 1]);
    let x = Conv2D::new(32, 3)
        .activation("relu")
        .padding("same")
        .apply(&inputs)?;
    let x = MaxPooling2D::new(2).apply(&x)?;
    let x = Conv2D::new(64, 3)
        .activation("relu")
        .padding("same")
        .apply(&x)?;
    let x = MaxPooling2D::new(2).apply(&x)?;
    let x = Flatten::new().apply(&x)?;
    let x = Dense::new(128).activation("relu").apply(&x)?;
    let outputs = Dense::new(10).activation("softmax").apply(&x)?;
    Model::new(&[inputs], &[outputs])
}

fn compile(model: &mut Model, steps: u64) -> kiln::Result<()> {
    model.compile(
        CompileArgs::new()
            .optimizer(Adam::new(CosineDecay::new(1e-3, steps)))
            .loss("sparse_categorical_crossentropy")
            .metrics(["accuracy"]),
    )
}

fn accuracy(model: &mut Model, x: &Tensor, y: &Tensor) -> kiln::Result<f64> {
    let logs = model.evaluate(x, y, EvaluateArgs::new().batch_size(1000).verbose(0))?;
    Ok(logs.get("accuracy").unwrap_or(f64::NAN))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let which = std::env::var("KILN_MODEL").unwrap_or_else(|_| "mlp".into());
    let ((x_train, y_train), (x_test, y_test)) = kiln_data::datasets::mnist::load_data()?;
    let limit = env_usize("KILN_TRAIN_LIMIT", x_train.shape()[0]).min(x_train.shape()[0]);
    let x_train = head(&x_train, limit)?.cast(DType::F32)?.div_scalar(255.0)?;
    let y_train = head(&y_train, limit)?.cast(DType::I64)?;
    let x_test = x_test.cast(DType::F32)?.div_scalar(255.0)?;
    let y_test = y_test.cast(DType::I64)?;
    kiln::utils::set_random_seed(42);
    let (mut model, x_train, x_test, batch) = if which == "cnn" {
        let (n, m) = (x_train.shape()[0] as isize, x_test.shape()[0] as isize);
        (
            cnn()?,
            x_train.reshape(&[n, 28, 28, 1])?,
            x_test.reshape(&[m, 28, 28, 1])?,
            64,
        )
    } else {
        (mlp()?, x_train, x_test, 128)
    };
    let per_epoch = limit.div_ceil(batch);
    let epochs = env_usize("KILN_EPOCHS", if which == "cnn" { 3 } else { 5 });
    let prune_epochs = env_usize("KILN_PRUNE_EPOCHS", 2000usize.div_ceil(per_epoch).max(1));
    let steps = (per_epoch * epochs) as u64;
    let prune_steps = (per_epoch * prune_epochs) as u64;

    // 1. The unpruned model.
    compile(&mut model, steps)?;
    let fit = |n: usize| FitArgs::new().epochs(n).batch_size(batch).verbose(0);
    let started = std::time::Instant::now();
    model.fit(&x_train, &y_train, fit(epochs))?;
    let base_accuracy = accuracy(&mut model, &x_test, &y_test)?;

    // A copy of the trained model for the control (pruning shares the model's layers).
    let control = std::env::var_os("KILN_CONTROL").map(|_| {
        std::env::temp_dir().join(format!("s003_45_control_{}.keras", std::process::id()))
    });
    if let Some(path) = &control {
        model.save(path)?;
    }

    // 2. Prune at the seed's schedule and fine-tune with UpdatePruningStep.
    let schedule = PolynomialDecay::new(0.0, 0.5, 0, 2000)?;
    let mut pruned = prune_low_magnitude(&model, PruningParams::new(schedule))?.into_model()?;
    compile(&mut pruned, prune_steps)?;
    pruned.fit(
        &x_train,
        &y_train,
        fit(prune_epochs).callback(UpdatePruningStep::new()),
    )?;

    // 3. Strip the wrappers; the plain model keeps the zeros.
    let mut stripped = strip_pruning(&pruned)?;
    compile(&mut stripped, 1)?;
    let pruned_accuracy = accuracy(&mut stripped, &x_test, &y_test)?;
    // The control: the same fine-tune without pruning, from the same trained weights.
    let control_accuracy = match &control {
        Some(path) => {
            let mut copy = kiln::saving::load_model_uncompiled(path)?;
            std::fs::remove_file(path).ok();
            compile(&mut copy, prune_steps)?;
            copy.fit(&x_train, &y_train, fit(prune_epochs))?;
            format!("{:.4}", accuracy(&mut copy, &x_test, &y_test)?)
        }
        None => "null".to_string(),
    };
    let mut zeros = 0usize;
    let mut total = 0usize;
    let mut per_layer = Vec::new();
    for l in stripped.layers() {
        if matches!(l.class_name(), "Dense" | "Conv2D") {
            let k = l
                .lock()
                .base()
                .variable("kernel")?
                .value()
                .to_vec::<f32>()?;
            let z = k.iter().filter(|&&w| w == 0.0).count();
            per_layer.push(format!(
                "\"{}\": {:.4}",
                l.name(),
                z as f64 / k.len() as f64
            ));
            zeros += z;
            total += k.len();
        }
    }
    let out = std::env::var("KILN_PRUNED_OUT").unwrap_or_else(|_| "pruned_model.keras".into());
    stripped.save(&out)?;
    let tflite =
        std::env::var("KILN_TFLITE_OUT").unwrap_or_else(|_| "quantized_model.tflite".into());
    TfLiteConverter::from_keras_model(&stripped)
        .optimizations([Optimize::Default])
        .convert_to_file(&tflite)?;
    let tflite_bytes = std::fs::metadata(&tflite)?.len();
    println!(
        "{{\"scenario\": \"S003-45\", \"model\": \"{which}\", \"epochs\": {epochs}, \
         \"prune_epochs\": {prune_epochs}, \"train_images\": {limit}, \"pruning_steps\": {prune_steps}, \"unpruned_test_accuracy\": {base_accuracy:.4}, \
         \"pruned_test_accuracy\": {pruned_accuracy:.4}, \
         \"unpruned_finetuned_test_accuracy\": {control_accuracy}, \"accuracy_drop_points\": {:.2}, \
         \"kernel_sparsity\": {:.4}, \"layer_sparsity\": {{{}}}, \"seconds\": {:.1}, \"saved\": \"{out}\", \"tflite\": \"{tflite}\", \"tflite_bytes\": {tflite_bytes}}}",
        (base_accuracy - pruned_accuracy) * 100.0,
        zeros as f64 / total.max(1) as f64,
        per_layer.join(", "),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
