//! S003-31: the seed's autoencoder: Input(784) -> Dense(64, relu) (the encoding) ->
//! Dense(784, sigmoid) (the reconstruction), compiled with Adam and binary crossentropy,
//! `summary()`, then 50 epochs in batches of 256, shuffled, with the test set as
//! validation data, on MNIST flattened and scaled to [0, 1]; prints the summary and
//! Keras's fit progress. The first 10 test digits over their reconstructions are written
//! as `s003_31_reconstructions.png` to `$KILN_PLOT_OUT` or `target/plots`.
//!
//! `cargo run --release -p kiln --example s003_31_autoencoder [-- --epochs 50
//! --train-samples 60000]`

#[path = "common/flags.rs"]
mod flags;
#[path = "common/plots.rs"]
mod plots;

use kiln::layers::{Dense, Input, LayerApply};
use kiln::models::{CompileArgs, FitArgs, Model, PredictArgs};
use kiln::utils::ImageGridArgs;
use kiln_tensor::{DType, Tensor};

fn main() -> kiln::Result<()> {
    let epochs = flags::usize_flag("epochs", 50)?;
    let n_train = flags::usize_flag("train-samples", 60_000)?.clamp(1, 60_000);
    let n_test = flags::usize_flag("test-samples", 10_000)?.clamp(10, 10_000);
    kiln::utils::set_random_seed(0);
    // Define the encoder and the decoder, combined into the autoencoder.
    let input_layer = Input::shape(&[784]);
    let encoded = Dense::new(64).activation("relu").apply(&input_layer)?;
    let decoded = Dense::new(784).activation("sigmoid").apply(&encoded)?;
    let mut autoencoder = Model::new(&[input_layer], &[decoded])?;
    autoencoder.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("binary_crossentropy"),
    )?;
    autoencoder.summary();

    let ((x_train, _), (x_test, _)) = kiln_data::datasets::mnist::load_data()?;
    let prep = |x: &Tensor, n: usize| -> kiln::Result<Tensor> {
        Ok(x.slice(&[0, 0, 0], &[n as isize, -1, -1])?
            .cast(DType::F32)?
            .div_scalar(255.0)?
            .reshape(&[n as isize, 784])?)
    };
    let (x_train, x_test) = (prep(&x_train, n_train)?, prep(&x_test, n_test)?);
    let h = autoencoder.fit(
        &x_train,
        &x_train,
        FitArgs::new()
            .epochs(epochs)
            .batch_size(256)
            .shuffle(true)
            .validation_data(&x_test, &x_test),
    )?;
    println!(
        "final val_loss {:.4}",
        h.get("val_loss").last().copied().unwrap_or(f64::NAN)
    );
    let originals = x_test.slice(&[0, 0], &[10, -1])?;
    let recon = autoencoder.predict(&originals, PredictArgs::new().verbose(0))?;
    let both = Tensor::concat(&[&originals, &recon], 0)?.reshape(&[20, 28, 28])?;
    plots::image_grid(
        "s003_31_reconstructions.png",
        &both,
        2,
        10,
        ImageGridArgs::new().padding(2).pad_value(128),
    )?;
    Ok(())
}
