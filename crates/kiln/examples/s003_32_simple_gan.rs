//! S003-32: the seed's simple GAN, with its `train_gan` actually called (seed defect 15:
//! the seed defines it and never calls it). Generator: Dense(128) from 100-d noise ->
//! LeakyReLU(0.01) -> Dense(784, tanh) (flat images); discriminator: Dense(128) on 784
//! pixels -> LeakyReLU(0.01) -> Dense(1, sigmoid), compiled with Adam, binary
//! crossentropy and accuracy; the combined model noise -> G -> frozen D compiled with
//! Adam. `train_gan(epochs=400, batch_size=128)`: each epoch trains D on 128 generated and
//! 128 real images and G through the combined model, printing every 10 epochs
//! `Epoch e - Discriminator Loss: …, Generator Loss: …`. The seed never says how
//! `x_train` is prepared; it is MNIST flattened and scaled to [-1, 1], the generator's
//! tanh range. The last generated images go to `s003_32_samples.png` (5 x 5) in
//! `$KILN_PLOT_OUT` or `target/plots`.
//!
//! Seed defect 17: D is frozen after it is compiled, which trains it only under tf.keras
//! 2's "trainable captured at compile" semantics; Keras 3 and kiln read the trainable list
//! at D's first `train_on_batch`, so D is set trainable around its own steps and frozen
//! around the combined model's.
//!
//! `cargo run --release -p kiln --example s003_32_simple_gan [-- --epochs 400]`

#[path = "common/flags.rs"]
mod flags;
#[path = "common/plots.rs"]
mod plots;

use kiln::callbacks::Logs;
use kiln::layers::{Dense, Input, LeakyReLU};
use kiln::models::{CompileArgs, Model};
use kiln::utils::ImageGridArgs;
use kiln_tensor::random::Generator;
use kiln_tensor::{DType, Tensor};

fn build_generator() -> kiln::Result<Model> {
    Model::sequential(vec![
        Dense::new(128).input_shape(&[100]).into(),
        LeakyReLU::new().negative_slope(0.01).into(),
        Dense::new(784).activation("tanh").into(),
    ])
}

fn build_discriminator() -> kiln::Result<Model> {
    Model::sequential(vec![
        Dense::new(128).input_shape(&[784]).into(),
        LeakyReLU::new().negative_slope(0.01).into(),
        Dense::new(1).activation("sigmoid").into(),
    ])
}

/// The seed's `train_gan`; returns the last `(d_loss, g_loss)`.
fn train_gan(
    gan: &mut Model,
    generator: &mut Model,
    discriminator: &mut Model,
    x_train: &Tensor,
    epochs: usize,
    batch_size: usize,
) -> kiln::Result<(f64, Logs)> {
    let mut rng = Generator::from_seed(1);
    let n = x_train.shape()[0] as i64;
    let real_labels = Tensor::ones(&[batch_size, 1], DType::F32);
    let fake_labels = Tensor::zeros(&[batch_size, 1], DType::F32);
    let mut last = (f64::NAN, Logs::new());
    let mut generated_images = None;
    for epoch in 0..epochs {
        let noise = rng.normal(&[batch_size, 100], 0.0, 1.0, DType::F32)?;
        let generated = generator.predict_on_batch(&noise)?.remove(0);
        let idx = rng.randint(&[batch_size], 0, n, DType::I64)?;
        let real_images = x_train.gather(&idx, 0)?;
        discriminator.set_trainable(true);
        let d_loss_real = discriminator.train_on_batch(&real_images, &real_labels, None)?;
        let d_loss_fake = discriminator.train_on_batch(&generated, &fake_labels, None)?;
        discriminator.set_trainable(false);
        let d_loss = 0.5 * (d_loss_real["loss"] + d_loss_fake["loss"]);
        let noise = rng.normal(&[batch_size, 100], 0.0, 1.0, DType::F32)?;
        let g_loss = gan.train_on_batch(&noise, &real_labels, None)?;
        if epoch % 10 == 0 {
            println!(
                "Epoch {epoch} - Discriminator Loss: {d_loss}, Generator Loss: {}",
                g_loss["loss"]
            );
        }
        generated_images = Some(generated);
        last = (d_loss, g_loss);
    }
    if let Some(g) = generated_images {
        plots::image_grid(
            "s003_32_samples.png",
            &g.slice(&[0, 0], &[25, -1])?.reshape(&[25, 28, 28])?,
            5,
            5,
            ImageGridArgs::new().value_range(-1.0, 1.0).padding(2),
        )?;
    }
    Ok(last)
}

fn main() -> kiln::Result<()> {
    let epochs = flags::usize_flag("epochs", 400)?;
    kiln::utils::set_random_seed(0);
    let mut discriminator = build_discriminator()?;
    discriminator.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("binary_crossentropy")
            .metrics(["accuracy"]),
    )?;
    let mut generator = build_generator()?;
    discriminator.set_trainable(false);
    let gan_input = Input::shape(&[100]);
    let generated_image = generator.call_symbolic(&gan_input)?;
    let gan_output = discriminator.call_symbolic(&generated_image)?;
    let mut gan = Model::new(&[gan_input], &[gan_output])?;
    gan.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("binary_crossentropy"),
    )?;
    let ((x_train, _), _) = kiln_data::datasets::mnist::load_data()?;
    let x_train = x_train
        .cast(DType::F32)?
        .div_scalar(127.5)?
        .add_scalar(-1.0)?
        .reshape(&[-1, 784])?;
    let (d_loss, g_loss) = train_gan(
        &mut gan,
        &mut generator,
        &mut discriminator,
        &x_train,
        epochs,
        128,
    )?;
    println!(
        "final Discriminator Loss: {d_loss:.4}, Generator Loss: {:.4}",
        g_loss["loss"]
    );
    Ok(())
}
