//! S003-33: the seed's deeper autoencoder: Input(784) -> Dense(64, relu) -> Dense(32,
//! relu) (the bottleneck) -> Dense(64, relu) -> Dense(784, sigmoid), compiled with Adam and
//! binary crossentropy, `summary()`, 50 epochs in batches of 256, shuffled, with the test
//! set as validation data; then the seed's fine-tuning: the last four layers set
//! trainable, the model compiled again (so the new trainable list is read at the next
//! step, as in Keras 3) and 10 more epochs. MNIST flattened and scaled to [0, 1]; prints
//! the summary and both fit progress logs.
//!
//! `cargo run --release -p kiln --example s003_33_autoencoder_fine_tune [-- --epochs 50
//! --fine-tune-epochs 10 --train-samples 60000]`

#[path = "common/flags.rs"]
mod flags;

use kiln::layers::{Dense, Input, LayerApply};
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln_tensor::{DType, Tensor};

fn main() -> kiln::Result<()> {
    let epochs = flags::usize_flag("epochs", 50)?;
    let fine_tune_epochs = flags::usize_flag("fine-tune-epochs", 10)?;
    let n_train = flags::usize_flag("train-samples", 60_000)?.clamp(1, 60_000);
    let n_test = flags::usize_flag("test-samples", 10_000)?.clamp(1, 10_000);
    kiln::utils::set_random_seed(0);
    let input_layer = Input::shape(&[784]);
    let encoded = Dense::new(64).activation("relu").apply(&input_layer)?;
    let bottleneck = Dense::new(32).activation("relu").apply(&encoded)?;
    let decoded = Dense::new(64).activation("relu").apply(&bottleneck)?;
    let output_layer = Dense::new(784).activation("sigmoid").apply(&decoded)?;
    let mut autoencoder = Model::new(&[input_layer], &[output_layer])?;
    let compile = |m: &mut Model| {
        m.compile(
            CompileArgs::new()
                .optimizer("adam")
                .loss("binary_crossentropy"),
        )
    };
    compile(&mut autoencoder)?;
    autoencoder.summary();

    let ((x_train, _), (x_test, _)) = kiln_data::datasets::mnist::load_data()?;
    let prep = |x: &Tensor, n: usize| -> kiln::Result<Tensor> {
        Ok(x.slice(&[0, 0, 0], &[n as isize, -1, -1])?
            .cast(DType::F32)?
            .div_scalar(255.0)?
            .reshape(&[n as isize, 784])?)
    };
    let (x_train, x_test) = (prep(&x_train, n_train)?, prep(&x_test, n_test)?);
    let fit = |m: &mut Model, epochs: usize| {
        m.fit(
            &x_train,
            &x_train,
            FitArgs::new()
                .epochs(epochs)
                .batch_size(256)
                .shuffle(true)
                .validation_data(&x_test, &x_test),
        )
    };
    let h1 = fit(&mut autoencoder, epochs)?;

    // Unfreeze the top layers, compile again, train again.
    let layers = autoencoder.layers();
    let last4 = &layers[layers.len().saturating_sub(4)..];
    for layer in last4 {
        layer.set_trainable(true);
    }
    println!(
        "unfroze the last 4 layers: {}",
        last4
            .iter()
            .map(|l| l.name())
            .collect::<Vec<_>>()
            .join(", ")
    );
    compile(&mut autoencoder)?;
    let h2 = fit(&mut autoencoder, fine_tune_epochs)?;
    let last = |h: &kiln::callbacks::History| h.get("val_loss").last().copied().unwrap_or(f64::NAN);
    println!(
        "val_loss after training {:.4}, after fine-tuning {:.4}",
        last(&h1),
        last(&h2)
    );
    Ok(())
}
