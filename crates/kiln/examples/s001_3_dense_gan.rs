//! S001-3: the seed's dense GAN on MNIST. Generator: Dense(256, relu) from 100-d noise ->
//! BatchNormalization -> Dense(512, relu) -> BN -> Dense(1024, relu) -> BN -> Dense(784,
//! tanh) -> Reshape(28, 28, 1); discriminator: Flatten -> Dense(512, relu) -> Dense(256,
//! relu) -> Dense(1, sigmoid), compiled with Adam, binary crossentropy and accuracy; the
//! combined model noise -> G -> D with D frozen, compiled with Adam. Each iteration trains
//! D with `train_on_batch` on 64 real and 64 generated images and G through the combined
//! model on 128 noise vectors labelled real, printing every 100 iterations
//! `{it} [D loss: … | D accuracy: …] [G loss: …]` as the seed does (10,000 iterations).
//! The real images are scaled to [0, 1] as in the seed (its generator's tanh gives
//! [-1, 1]); the last generated images are written as a 5 x 5 grid,
//! `s001_3_samples.png`, to `$KILN_PLOT_OUT` or `target/plots`.
//!
//! Seed defect 17: the seed freezes D (`discriminator.trainable = False`) after compiling
//! it and relies on tf.keras 2 taking D's trainable list at compile time. Keras 3 (and
//! kiln, which follows it) reads the list at D's first `train_on_batch`, when D is already
//! frozen, so D would never train. As the seed means D to train on its own batches, D is
//! set trainable around its own steps and frozen around the combined model's, which
//! trains it in Keras 3, tf.keras 2 and kiln alike.
//!
//! `cargo run --release -p kiln --example s001_3_dense_gan [-- --iterations 10000]`

#[path = "common/flags.rs"]
mod flags;
#[path = "common/plots.rs"]
mod plots;

use kiln::layers::{BatchNormalization, Dense, Flatten, Input, Reshape};
use kiln::models::{CompileArgs, Model};
use kiln::utils::ImageGridArgs;
use kiln_tensor::{DType, Tensor};

fn build_generator() -> kiln::Result<Model> {
    Model::sequential(vec![
        Dense::new(256)
            .activation("relu")
            .input_shape(&[100])
            .into(),
        BatchNormalization::new().into(),
        Dense::new(512).activation("relu").into(),
        BatchNormalization::new().into(),
        Dense::new(1024).activation("relu").into(),
        BatchNormalization::new().into(),
        Dense::new(28 * 28).activation("tanh").into(),
        Reshape::new(&[28, 28, 1]).into(),
    ])
}

fn build_discriminator() -> kiln::Result<Model> {
    Model::sequential(vec![
        Flatten::new().input_shape(&[28, 28, 1]).into(),
        Dense::new(512).activation("relu").into(),
        Dense::new(256).activation("relu").into(),
        Dense::new(1).activation("sigmoid").into(),
    ])
}

fn main() -> kiln::Result<()> {
    let iterations = flags::usize_flag("iterations", 10_000)?;
    kiln::utils::set_random_seed(0);
    let mut generator = build_generator()?;
    let mut discriminator = build_discriminator()?;
    discriminator.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("binary_crossentropy")
            .metrics(["accuracy"]),
    )?;
    let gan_input = Input::shape(&[100]);
    let generated_image = generator.call_symbolic(&gan_input)?;
    discriminator.set_trainable(false);
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
        .div_scalar(255.0)?
        .reshape(&[-1, 28, 28, 1])?;
    let n = x_train.shape()[0] as i64;
    let batch_size = 128;
    let half_batch = batch_size / 2;
    let mut rng = kiln_tensor::random::Generator::from_seed(1);
    let ones = Tensor::ones(&[half_batch, 1], DType::F32);
    let zeros = Tensor::zeros(&[half_batch, 1], DType::F32);
    // The seed's `np.array([1] * batch_size)`, as a column like the model's output.
    let valid_y = Tensor::ones(&[batch_size, 1], DType::F32);
    let mut fake_images = None;
    for epoch in 0..iterations {
        let idx = rng.randint(&[half_batch], 0, n, DType::I64)?;
        let real_images = x_train.gather(&idx, 0)?;
        let noise = rng.normal(&[half_batch, 100], 0.0, 1.0, DType::F32)?;
        let fake = generator.predict_on_batch(&noise)?.remove(0);

        discriminator.set_trainable(true);
        let d_loss_real = discriminator.train_on_batch(&real_images, &ones, None)?;
        let d_loss_fake = discriminator.train_on_batch(&fake, &zeros, None)?;
        discriminator.set_trainable(false);
        let d_loss = 0.5 * (d_loss_real["loss"] + d_loss_fake["loss"]);
        let d_acc = 0.5 * (d_loss_real["accuracy"] + d_loss_fake["accuracy"]);

        let noise = rng.normal(&[batch_size, 100], 0.0, 1.0, DType::F32)?;
        let g_loss = gan.train_on_batch(&noise, &valid_y, None)?["loss"];
        if epoch % 100 == 0 {
            println!(
                "{epoch} [D loss: {d_loss} | D accuracy: {}] [G loss: {g_loss}]",
                100.0 * d_acc
            );
        }
        fake_images = Some(fake);
    }
    if let Some(fake) = fake_images {
        plots::image_grid(
            "s001_3_samples.png",
            &fake,
            5,
            5,
            ImageGridArgs::new().value_range(-1.0, 1.0).padding(2),
        )?;
    }
    Ok(())
}
