//! The Keras guide's convolutional variational autoencoder (keras.io "Variational
//! AutoEncoder"), written with an overridden train step: encoder Conv2D(32, 3, stride 2)
//! -> Conv2D(64, 3, stride 2) -> Flatten -> Dense(16) -> z_mean, z_log_var (latent 2) ->
//! sampling; decoder Dense(7 * 7 * 64) -> Reshape -> Conv2DTranspose(64, 3, stride 2) ->
//! Conv2DTranspose(32, 3, stride 2) -> Conv2DTranspose(1, 3, sigmoid). The train step
//! computes the reconstruction loss (binary crossentropy summed over the pixels, mean
//! over the batch) and the KL term (summed over the latent axis, mean over the batch) under
//! a `GradientTape`, applies Adam to the sum, and reports its own three trackers,
//! `loss`, `reconstruction_loss` and `kl_loss`, which `fit` resets each epoch.
//! The guide fits 30 epochs in batches of 128 on all 70,000 MNIST digits; afterwards the
//! decoder's images over a 15 x 15 grid of the latent plane in [-1, 1]^2 are written as
//! `keras_guide_vae_latent.png` to `$KILN_PLOT_OUT` or `target/plots`.
//!
//! `cargo run --release -p kiln --example keras_guide_vae [-- --epochs 30 --samples 70000]`

#[path = "common/flags.rs"]
mod flags;
#[path = "common/plots.rs"]
mod plots;

use kiln::layers::{
    CallContext, Conv2D, Conv2DTranspose, Dense, Flatten, Input, Layer, LayerApply, LayerBase,
    LayerRef, Reshape, Shape,
};
use kiln::metrics::{Mean, Metric};
use kiln::models::{CompileArgs, FitArgs, Model, PredictArgs, StepData, StepLogs, TrainStep};
use kiln::optimizers::Adam;
use kiln::utils::ImageGridArgs;
use kiln_tensor::{DType, GradientTape, Tensor};

/// `z = z_mean + exp(0.5 * z_log_var) * eps`.
#[derive(kiln::layers::Layer)]
struct Sampling {
    base: LayerBase,
}

impl Layer for Sampling {
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<kiln::Result<Vec<Shape>>> {
        Some(Ok(vec![input_shapes[0].clone()]))
    }

    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let eps = kiln_tensor::random::normal(inputs[0].shape(), 0.0, 1.0, inputs[0].dtype())?;
        Ok(vec![
            inputs[0].add(&inputs[1].mul_scalar(0.5)?.exp()?.mul(&eps)?)?
        ])
    }
}

/// The model: encoder and decoder as sub-layers; `call` returns the reconstruction.
#[derive(kiln::layers::Layer)]
struct Vae {
    base: LayerBase,
    encoder: LayerRef,
    decoder: LayerRef,
}

impl Layer for Vae {
    fn call(&mut self, inputs: &[Tensor], ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let z = self.encoder.call_multi(&inputs[..1], Some(ctx.training))?;
        self.decoder.call_multi(&z[2..3], Some(ctx.training))
    }
}

/// The guide's `train_step` and its three trackers.
struct VaeStep {
    encoder: LayerRef,
    decoder: LayerRef,
    total_loss_tracker: Mean,
    reconstruction_loss_tracker: Mean,
    kl_loss_tracker: Mean,
}

impl TrainStep for VaeStep {
    fn train_step(&mut self, model: &mut Model, data: &StepData) -> kiln::Result<StepLogs> {
        let x = &data.x[0];
        let vars = model.trainable_weights();
        let tape = GradientTape::new();
        let z = self.encoder.call_multi(&data.x, Some(true))?;
        let (z_mean, z_log_var) = (&z[0], &z[1]);
        let reconstruction = self.decoder.call_multi(&z[2..3], Some(true))?.remove(0);
        // binary_crossentropy over the channel axis, summed over (H, W), mean over the batch.
        let reconstruction_loss =
            kiln::losses::binary_crossentropy(x, &reconstruction, false, 0.0, -1)?
                .sum(&[1, 2], false)?
                .mean(&[], false)?;
        let kl_loss = z_log_var
            .add_scalar(1.0)?
            .sub(&z_mean.square()?)?
            .sub(&z_log_var.exp()?)?
            .mul_scalar(-0.5)?
            .sum(&[1], false)?
            .mean(&[], false)?;
        let total_loss = reconstruction_loss.add(&kl_loss)?;
        let grads = tape.gradient(&total_loss, &vars)?;
        drop(tape);
        model
            .optimizer_mut()
            .ok_or_else(|| kiln::Error::InvalidArgument {
                api: "VaeStep.train_step",
                msg: "compile the model first".into(),
            })?
            .apply(&grads, &vars)?;
        self.total_loss_tracker.update(&total_loss, None)?;
        self.reconstruction_loss_tracker
            .update(&reconstruction_loss, None)?;
        self.kl_loss_tracker.update(&kl_loss, None)?;
        Ok(StepLogs::from_metrics(&[
            &self.total_loss_tracker,
            &self.reconstruction_loss_tracker,
            &self.kl_loss_tracker,
        ]))
    }

    fn metrics(&mut self) -> Vec<&mut dyn Metric> {
        vec![
            &mut self.total_loss_tracker,
            &mut self.reconstruction_loss_tracker,
            &mut self.kl_loss_tracker,
        ]
    }
}

fn main() -> kiln::Result<()> {
    let epochs = flags::usize_flag("epochs", 30)?;
    let samples = flags::usize_flag("samples", 70_000)?.clamp(1, 70_000);
    kiln::utils::set_random_seed(0);
    let latent_dim = 2;
    let encoder_inputs = Input::shape(&[28, 28, 1]);
    let x = Conv2D::new(32, 3)
        .activation("relu")
        .strides(2)
        .padding("same")
        .apply(&encoder_inputs)?;
    let x = Conv2D::new(64, 3)
        .activation("relu")
        .strides(2)
        .padding("same")
        .apply(&x)?;
    let x = Flatten::new().apply(&x)?;
    let x = Dense::new(16).activation("relu").apply(&x)?;
    let z_mean = Dense::new(latent_dim).name("z_mean").apply(&x)?;
    let z_log_var = Dense::new(latent_dim).name("z_log_var").apply(&x)?;
    let z = LayerRef::new(Sampling {
        base: LayerBase::new("sampling"),
    })
    .call(&[z_mean.clone(), z_log_var.clone()])?;
    let encoder = Model::new_named(&[encoder_inputs], &[z_mean, z_log_var, z], "encoder")?;
    encoder.summary();

    let latent_inputs = Input::shape(&[latent_dim]);
    let x = Dense::new(7 * 7 * 64)
        .activation("relu")
        .apply(&latent_inputs)?;
    let x = Reshape::new(&[7, 7, 64]).apply(&x)?;
    let x = Conv2DTranspose::new(64, 3)
        .activation("relu")
        .strides(2)
        .padding("same")
        .apply(&x)?;
    let x = Conv2DTranspose::new(32, 3)
        .activation("relu")
        .strides(2)
        .padding("same")
        .apply(&x)?;
    let decoder_outputs = Conv2DTranspose::new(1, 3)
        .activation("sigmoid")
        .padding("same")
        .apply(&x)?;
    let mut decoder = Model::new_named(&[latent_inputs], &[decoder_outputs], "decoder")?;
    decoder.summary();

    let mut vae = Model::from_layer(Vae {
        base: LayerBase::new("vae"),
        encoder: encoder.as_layer(),
        decoder: decoder.as_layer(),
    });
    vae.set_train_step(VaeStep {
        encoder: encoder.as_layer(),
        decoder: decoder.as_layer(),
        total_loss_tracker: Mean::new("loss"),
        reconstruction_loss_tracker: Mean::new("reconstruction_loss"),
        kl_loss_tracker: Mean::new("kl_loss"),
    });
    vae.compile(CompileArgs::new().optimizer(Adam::default()))?;

    // mnist_digits = concatenate([x_train, x_test]) / 255, with a channel axis.
    let ((x_train, _), (x_test, _)) = kiln_data::datasets::mnist::load_data()?;
    let digits = Tensor::concat(&[&x_train, &x_test], 0)?
        .slice(&[0, 0, 0], &[samples as isize, -1, -1])?
        .cast(DType::F32)?
        .div_scalar(255.0)?
        .reshape(&[-1, 28, 28, 1])?;
    // The guide calls fit(x) without targets; the step ignores `y`.
    let h = vae.fit(
        &digits,
        &digits,
        FitArgs::new().epochs(epochs).batch_size(128),
    )?;
    let last = |k: &str| h.get(k).last().copied().unwrap_or(f64::NAN);
    println!(
        "final loss {:.4}, reconstruction_loss {:.4}, kl_loss {:.4}",
        last("loss"),
        last("reconstruction_loss"),
        last("kl_loss")
    );

    // plot_latent_space(vae): the decoder over [-1, 1]^2, row i at z_1 = 1 - 2i/14.
    let n = 15usize;
    let t = |k: usize| -1.0 + 2.0 * k as f32 / (n - 1) as f32;
    let zs: Vec<f32> = (0..n)
        .flat_map(|i| (0..n).flat_map(move |j| [t(j), -t(i)]))
        .collect();
    let decoded = decoder.predict(
        &Tensor::from_vec(zs, &[n * n, 2])?,
        PredictArgs::new().verbose(0),
    )?;
    plots::image_grid(
        "keras_guide_vae_latent.png",
        &decoded,
        n,
        n,
        ImageGridArgs::new(),
    )?;
    Ok(())
}
