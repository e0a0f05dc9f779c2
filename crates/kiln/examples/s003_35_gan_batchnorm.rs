//! S003-35: the seed's GAN with LeakyReLU and BatchNormalization on MNIST scaled to
//! [-1, 1]. Generator: Dense(256) from 100-d noise -> LeakyReLU(0.2) ->
//! BatchNormalization(momentum 0.8) -> Dense(512) -> LeakyReLU(0.2) -> BN(0.8) ->
//! Dense(1024) -> LeakyReLU(0.2) -> BN(0.8) -> Dense(784, tanh) -> Reshape(28, 28, 1);
//! discriminator: Flatten -> Dense(512) -> LeakyReLU(0.2) -> Dense(256) -> LeakyReLU(0.2)
//! -> Dense(1, sigmoid), compiled with binary crossentropy, Adam and accuracy; the combined
//! model noise -> G -> frozen D compiled with Adam. 10,000 iterations with batch 64: D on
//! 64 real and 64 generated images, G through the combined model; every 1000 iterations
//! `Epoch e [D loss: …] [D accuracy: …]` and `Epoch e [G loss: …]` as the seed prints.
//! Then the seed's `sample_images`: a 5 x 5 grid of generated digits (rescaled to [0, 1])
//! written as `s003_35_samples.png` to `$KILN_PLOT_OUT` or `target/plots` instead of
//! `plt.show()`; then the discriminator's accuracy, by `evaluate`, on 64 real and 64
//! generated images: `Discriminator Accuracy on Real Images: xx.xx%` and `… on Fake
//! Images: xx.xx%`.
//!
//! Seed defect 17: the seed freezes D before building the combined model, after compiling
//! it, relying on tf.keras 2 taking the trainable list at compile time. Keras 3 (and kiln)
//! read it at D's first `train_on_batch`, when D is frozen, so D would never train; D is
//! set trainable around its own steps and frozen around the combined model's, which trains
//! it as the seed means, in Keras 3, tf.keras 2 and kiln.
//!
//! `cargo run --release -p kiln --example s003_35_gan_batchnorm [-- --iterations 10000
//! --sample-interval 1000]`

#[path = "common/flags.rs"]
mod flags;
#[path = "common/plots.rs"]
mod plots;

use kiln::layers::{BatchNormalization, Dense, Flatten, Input, LayerRef, LeakyReLU, Reshape};
use kiln::models::{CompileArgs, EvaluateArgs, Model};
use kiln::utils::ImageGridArgs;
use kiln_tensor::random::Generator;
use kiln_tensor::{DType, Tensor};

fn leaky() -> LayerRef {
    LeakyReLU::new().negative_slope(0.2).into()
}

fn build_generator() -> kiln::Result<Model> {
    Model::sequential(vec![
        Dense::new(256).input_shape(&[100]).into(),
        leaky(),
        BatchNormalization::new().momentum(0.8).into(),
        Dense::new(512).into(),
        leaky(),
        BatchNormalization::new().momentum(0.8).into(),
        Dense::new(1024).into(),
        leaky(),
        BatchNormalization::new().momentum(0.8).into(),
        Dense::new(28 * 28).activation("tanh").into(),
        Reshape::new(&[28, 28, 1]).into(),
    ])
}

fn build_discriminator() -> kiln::Result<Model> {
    Model::sequential(vec![
        Flatten::new().input_shape(&[28, 28, 1]).into(),
        Dense::new(512).into(),
        leaky(),
        Dense::new(256).into(),
        leaky(),
        Dense::new(1).activation("sigmoid").into(),
    ])
}

fn main() -> kiln::Result<()> {
    let epochs = flags::usize_flag("iterations", 10_000)?;
    let sample_interval = flags::usize_flag("sample-interval", 1000)?.max(1);
    kiln::utils::set_random_seed(0);
    let mut discriminator = build_discriminator()?;
    discriminator.compile(
        CompileArgs::new()
            .loss("binary_crossentropy")
            .optimizer("adam")
            .metrics(["accuracy"]),
    )?;
    let mut generator = build_generator()?;
    let gan_input = Input::shape(&[100]);
    let generated_image = generator.call_symbolic(&gan_input)?;
    discriminator.set_trainable(false);
    let gan_output = discriminator.call_symbolic(&generated_image)?;
    let mut gan = Model::new(&[gan_input], &[gan_output])?;
    gan.compile(
        CompileArgs::new()
            .loss("binary_crossentropy")
            .optimizer("adam"),
    )?;

    // x_train / 127.5 - 1, with a channel axis.
    let ((x_train, _), _) = kiln_data::datasets::mnist::load_data()?;
    let x_train = x_train
        .cast(DType::F32)?
        .div_scalar(127.5)?
        .add_scalar(-1.0)?
        .reshape(&[-1, 28, 28, 1])?;
    let n = x_train.shape()[0] as i64;
    let batch_size = 64;
    let real = Tensor::ones(&[batch_size, 1], DType::F32);
    let fake = Tensor::zeros(&[batch_size, 1], DType::F32);
    let mut rng = Generator::from_seed(1);
    for epoch in 0..epochs {
        let idx = rng.randint(&[batch_size], 0, n, DType::I64)?;
        let real_images = x_train.gather(&idx, 0)?;
        let noise = rng.normal(&[batch_size, 100], 0.0, 1.0, DType::F32)?;
        let generated_images = generator.predict_on_batch(&noise)?.remove(0);
        discriminator.set_trainable(true);
        let d_loss_real = discriminator.train_on_batch(&real_images, &real, None)?;
        let d_loss_fake = discriminator.train_on_batch(&generated_images, &fake, None)?;
        discriminator.set_trainable(false);
        let d_loss = 0.5 * (d_loss_real["loss"] + d_loss_fake["loss"]);
        let d_acc = 0.5 * (d_loss_real["accuracy"] + d_loss_fake["accuracy"]);

        let noise = rng.normal(&[batch_size, 100], 0.0, 1.0, DType::F32)?;
        let g_loss = gan.train_on_batch(&noise, &real, None)?["loss"];
        if epoch % sample_interval == 0 {
            println!(
                "Epoch {epoch} [D loss: {d_loss}] [D accuracy: {}]",
                100.0 * d_acc
            );
            println!("Epoch {epoch} [G loss: {g_loss}]");
        }
    }

    // sample_images(epochs): 25 generated digits, 0.5 * x + 0.5, in a 5 x 5 grid.
    let noise = rng.normal(&[25, 100], 0.0, 1.0, DType::F32)?;
    let gen_images = generator
        .predict_on_batch(&noise)?
        .remove(0)
        .mul_scalar(0.5)?
        .add_scalar(0.5)?;
    plots::image_grid(
        "s003_35_samples.png",
        &gen_images,
        5,
        5,
        ImageGridArgs::new().padding(2),
    )?;

    // The discriminator's accuracy on real and on generated images.
    let noise = rng.normal(&[batch_size, 100], 0.0, 1.0, DType::F32)?;
    let generated_images = generator.predict_on_batch(&noise)?.remove(0);
    let idx = rng.randint(&[batch_size], 0, n, DType::I64)?;
    let real_images = x_train.gather(&idx, 0)?;
    let quiet = || EvaluateArgs::new().verbose(0);
    let d_loss_real = discriminator.evaluate(&real_images, &real, quiet())?;
    let d_loss_fake = discriminator.evaluate(&generated_images, &fake, quiet())?;
    println!(
        "Discriminator Accuracy on Real Images: {:.2}%",
        d_loss_real["accuracy"] * 100.0
    );
    println!(
        "Discriminator Accuracy on Fake Images: {:.2}%",
        d_loss_fake["accuracy"] * 100.0
    );
    Ok(())
}
