//! S003-34: the denoising "diffusion" CNN: Conv32 -> Conv64 (same) -> Flatten -> Dense128
//! -> Dense784 sigmoid -> Reshape(28, 28, 1), trained with binary crossentropy to map MNIST
//! digits with Gaussian noise (factor 0.5, clipped to [0, 1]) back to the clean digits;
//! then predictions on noisy test digits, written as a 3x10 grid (original / noisy /
//! denoised) to `s003_34_denoised.png` instead of a matplotlib figure, and a fine-tuning
//! round after setting the last four layers trainable and recompiling.
//!
//! `KILN_EPOCHS` (default 50, as the seed) and `KILN_FINE_TUNE_EPOCHS` (default 10) set
//! the rounds; `KILN_TRAIN_SAMPLES` limits the training images (default all 60,000).

use kiln::layers::{Conv2D, Dense, Flatten, Input, LayerApply, Reshape};
use kiln::models::PredictArgs;
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln_tensor::random::Generator;
use kiln_tensor::{DType, Tensor};

fn noisy(x: &Tensor, g: &mut Generator) -> kiln::Result<Tensor> {
    let n = g.normal(x.shape(), 0.0, 1.0, DType::F32)?;
    Ok(x.add(&n.mul_scalar(0.5)?)?.clip(0.0, 1.0)?)
}

fn main() -> kiln::Result<()> {
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    kiln::utils::set_random_seed(0);
    let input_layer = Input::shape(&[28, 28, 1]);
    let x = Conv2D::new(32, 3)
        .activation("relu")
        .padding("same")
        .apply(&input_layer)?;
    let x = Conv2D::new(64, 3)
        .activation("relu")
        .padding("same")
        .apply(&x)?;
    let x = Flatten::new().apply(&x)?;
    let x = Dense::new(128).activation("relu").apply(&x)?;
    let x = Dense::new(784).activation("sigmoid").apply(&x)?;
    let output_layer = Reshape::new(&[28, 28, 1]).apply(&x)?;
    let mut model = Model::new(&[input_layer], &[output_layer])?;
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("binary_crossentropy"),
    )?;
    model.summary();

    let ((x_train, _), (x_test, _)) = kiln_data::datasets::mnist::load_data()?;
    let n = env("KILN_TRAIN_SAMPLES", 60_000).min(60_000) as isize;
    let x_train = x_train
        .cast(DType::F32)?
        .div_scalar(255.0)?
        .reshape(&[-1, 28, 28, 1])?;
    let x_train = x_train.slice(&[0, 0, 0, 0], &[n, -1, -1, -1])?.contiguous();
    let x_test = x_test
        .cast(DType::F32)?
        .div_scalar(255.0)?
        .reshape(&[-1, 28, 28, 1])?;
    let mut g = Generator::from_seed(1);
    let (x_train_noisy, x_test_noisy) = (noisy(&x_train, &mut g)?, noisy(&x_test, &mut g)?);
    let fit = |m: &mut Model, epochs: usize| {
        m.fit(
            &x_train_noisy,
            &x_train,
            FitArgs::new()
                .epochs(epochs)
                .batch_size(128)
                .shuffle(true)
                .validation_data(&x_test_noisy, &x_test),
        )
    };
    fit(&mut model, env("KILN_EPOCHS", 50))?;

    let denoised = model.predict(&x_test_noisy, PredictArgs::new().batch_size(128).verbose(0))?;
    // 3 rows (original, noisy, denoised) of the first 10 test digits.
    let rows = [&x_test, &x_test_noisy, &denoised];
    let (w, h) = (280usize, 84usize);
    let mut grid = vec![0u8; w * h];
    for (r, t) in rows.iter().enumerate() {
        let v = t.slice(&[0, 0, 0, 0], &[10, -1, -1, -1])?.to_vec::<f32>()?;
        for d in 0..10 {
            for y in 0..28 {
                for x in 0..28 {
                    let p = v[d * 784 + y * 28 + x].clamp(0.0, 1.0);
                    grid[(r * 28 + y) * w + d * 28 + x] = (p * 255.0).round() as u8;
                }
            }
        }
    }
    kiln_data::png::save_gray8("s003_34_denoised.png", w, h, &grid)?;
    println!("wrote s003_34_denoised.png (rows: original, noisy, denoised)");

    // Fine-tuning: the last four layers trainable (they already are), recompile, train on.
    let layers = model.layers();
    for layer in &layers[layers.len().saturating_sub(4)..] {
        layer.set_trainable(true);
    }
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("binary_crossentropy"),
    )?;
    fit(&mut model, env("KILN_FINE_TUNE_EPOCHS", 10))?;
    Ok(())
}
