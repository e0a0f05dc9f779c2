//! S001-2: the seed's variational autoencoder on MNIST. Encoder: Flatten -> Dense(512,
//! relu) -> Dense(2) z_mean and Dense(2) z_log_var -> a `Sampling` layer (the
//! reparameterisation trick, `z = z_mean + exp(z_log_var / 2) * eps`); decoder: Dense(512,
//! relu) -> Dense(784, sigmoid) -> Reshape(28, 28, 1). The VAE model adds the KL term
//! `-0.5 * mean(z_log_var - z_mean^2 - exp(z_log_var) + 1)` with `add_loss` (the seed's
//! formula: a mean over the batch and the latent axis), compiled with Adam and binary
//! crossentropy, and fits 30 epochs in batches of 128 with the test set as validation
//! data, printing Keras's fit progress.
//!
//! Then, instead of the seed's nothing: the first 10 test digits over their
//! reconstructions (`s001_2_reconstructions.png`) and the decoder's images over a 15 x 15
//! grid of the 2-D latent plane in [-2, 2]^2 (`s001_2_latent_grid.png`), to
//! `$KILN_PLOT_OUT` or `target/plots`.
//!
//! `cargo run --release -p kiln --example s001_2_vae [-- --epochs 30 --train-samples 60000]`

#[path = "common/flags.rs"]
mod flags;
#[path = "common/plots.rs"]
mod plots;

use kiln::layers::{
    CallContext, Dense, Flatten, Input, Layer, LayerApply, LayerBase, LayerRef, Reshape, Shape,
};
use kiln::models::{CompileArgs, FitArgs, Model, PredictArgs};
use kiln::utils::ImageGridArgs;
use kiln_tensor::{DType, Tensor};

/// The seed's `Sampling` layer: `z_mean + exp(0.5 * z_log_var) * eps`, `eps ~ N(0, 1)`
/// (drawn from kiln's global generator, as `keras.random.normal` without a seed).
#[derive(kiln::layers::Layer)]
struct Sampling {
    base: LayerBase,
}

impl Layer for Sampling {
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<kiln::Result<Vec<Shape>>> {
        Some(Ok(vec![input_shapes[0].clone()]))
    }

    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let (z_mean, z_log_var) = (&inputs[0], &inputs[1]);
        let eps = kiln_tensor::random::normal(z_mean.shape(), 0.0, 1.0, z_mean.dtype())?;
        Ok(vec![
            z_mean.add(&z_log_var.mul_scalar(0.5)?.exp()?.mul(&eps)?)?
        ])
    }
}

/// The seed's `VAE(tf.keras.Model)`: encoder, decoder, and the KL term through `add_loss`.
#[derive(kiln::layers::Layer)]
struct Vae {
    base: LayerBase,
    encoder: LayerRef,
    decoder: LayerRef,
}

impl Layer for Vae {
    fn call(&mut self, inputs: &[Tensor], ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let enc = self.encoder.call_multi(&inputs[..1], Some(ctx.training))?;
        let (z_mean, z_log_var, z) = (&enc[0], &enc[1], &enc[2]);
        let reconstructed = self
            .decoder
            .call_multi(std::slice::from_ref(z), Some(ctx.training))?;
        let kl = z_log_var
            .sub(&z_mean.square()?)?
            .sub(&z_log_var.exp()?)?
            .add_scalar(1.0)?
            .mean(&[], false)?
            .mul_scalar(-0.5)?;
        self.base.add_loss(kl);
        Ok(reconstructed)
    }
}

fn main() -> kiln::Result<()> {
    let epochs = flags::usize_flag("epochs", 30)?;
    let n_train = flags::usize_flag("train-samples", 60_000)?.clamp(1, 60_000);
    let n_test = flags::usize_flag("test-samples", 10_000)?.clamp(1, 10_000);
    kiln::utils::set_random_seed(0);

    let latent_dim = 2;
    let encoder_inputs = Input::shape(&[28, 28, 1]);
    let x = Flatten::new().apply(&encoder_inputs)?;
    let x = Dense::new(512).activation("relu").apply(&x)?;
    let z_mean = Dense::new(latent_dim).apply(&x)?;
    let z_log_var = Dense::new(latent_dim).apply(&x)?;
    let z = LayerRef::new(Sampling {
        base: LayerBase::new("sampling"),
    })
    .call(&[z_mean.clone(), z_log_var.clone()])?;
    let encoder = Model::new_named(&[encoder_inputs], &[z_mean, z_log_var, z], "encoder")?;

    let decoder_inputs = Input::shape(&[latent_dim]);
    let x = Dense::new(512).activation("relu").apply(&decoder_inputs)?;
    let x = Dense::new(28 * 28).activation("sigmoid").apply(&x)?;
    let decoder_outputs = Reshape::new(&[28, 28, 1]).apply(&x)?;
    let mut decoder = Model::new_named(&[decoder_inputs], &[decoder_outputs], "decoder")?;

    let mut vae = Model::from_layer(Vae {
        base: LayerBase::new("vae"),
        encoder: encoder.as_layer(),
        decoder: decoder.as_layer(),
    });
    vae.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("binary_crossentropy"),
    )?;

    let ((x_train, _), (x_test, _)) = kiln_data::datasets::mnist::load_data()?;
    let prep = |x: &Tensor, n: usize| -> kiln::Result<Tensor> {
        Ok(x.slice(&[0, 0, 0], &[n as isize, -1, -1])?
            .cast(DType::F32)?
            .div_scalar(255.0)?
            .reshape(&[-1, 28, 28, 1])?)
    };
    let (x_train, x_test) = (prep(&x_train, n_train)?, prep(&x_test, n_test)?);
    let h = vae.fit(
        &x_train,
        &x_train,
        FitArgs::new()
            .epochs(epochs)
            .batch_size(128)
            .validation_data(&x_test, &x_test),
    )?;
    let val = h.get("val_loss");
    println!(
        "final loss {:.4}, val_loss {:.4}",
        h.get("loss").last().copied().unwrap_or(f64::NAN),
        val.last().copied().unwrap_or(f64::NAN)
    );

    // The first 10 test digits (top row) and their reconstructions (bottom row).
    let originals = x_test.slice(&[0, 0, 0, 0], &[10.min(n_test as isize), -1, -1, -1])?;
    let recon = vae.predict(&originals, PredictArgs::new().verbose(0))?;
    let both = Tensor::concat(&[&originals, &recon], 0)?;
    plots::image_grid(
        "s001_2_reconstructions.png",
        &both,
        2,
        originals.shape()[0],
        ImageGridArgs::new().padding(2).pad_value(128),
    )?;
    // The decoder over the latent plane: row i has z_1 from 2 down to -2, column j has
    // z_0 from -2 to 2 (as the Keras VAE example's plot_latent_space).
    let n = 15usize;
    let mut zs = Vec::with_capacity(n * n * 2);
    for i in 0..n {
        for j in 0..n {
            let t = |k: usize| -2.0 + 4.0 * k as f32 / (n - 1) as f32;
            zs.extend([t(j), -t(i)]);
        }
    }
    let decoded = decoder.predict(
        &Tensor::from_vec(zs, &[n * n, 2])?,
        PredictArgs::new().verbose(0),
    )?;
    plots::image_grid(
        "s001_2_latent_grid.png",
        &decoded,
        n,
        n,
        ImageGridArgs::new(),
    )?;
    Ok(())
}
