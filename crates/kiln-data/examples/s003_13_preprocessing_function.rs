//! S003-13: `ImageDataGenerator(preprocessing_function=add_random_noise)` where
//! `add_random_noise` adds `np.random.normal(0, 0.1, image.shape)`, then 4 batches of
//! `datagen.flow(training_images, batch_size=32)`.
//!
//! `training_images` is undefined in the seed: this uses the first 1000 MNIST images
//! scaled to 0..1 (so a sigma of 0.1 is visible). The noise comes from kiln's seeded
//! generator (NumPy's global stream is not reproduced for user functions). The first 8
//! images of each batch go into one PNG grid row; the path is printed.

mod common;

use std::sync::{Arc, Mutex};

use kiln_data::preprocessing::image::{FlowArgs, ImageDataGenerator, ImageDataGeneratorArgs};
use kiln_tensor::random::Generator;
use kiln_tensor::{DType, Tensor};

fn main() -> kiln_data::Result<()> {
    let rng = Arc::new(Mutex::new(Generator::from_seed(13)));
    let add_random_noise = move |image: &Tensor| -> kiln_data::Result<Tensor> {
        let noise =
            rng.lock()
                .expect("noise generator")
                .normal(image.shape(), 0.0, 0.1, DType::F32)?;
        Ok(image.add(&noise)?)
    };
    let datagen = ImageDataGenerator::new(ImageDataGeneratorArgs {
        preprocessing_function: Some(Arc::new(add_random_noise)),
        ..Default::default()
    })?;
    let training_images = common::mnist_images(1000)?.div(&Tensor::scalar(255.0f32))?;

    let mut shown = Vec::new();
    let flow = datagen.flow(
        &training_images,
        None,
        FlowArgs::new().batch_size(32).seed(13),
    )?;
    for (i, batch) in flow.enumerate() {
        let b = batch?.as_tensor()?.clone();
        let v = b.to_vec::<f32>()?;
        let (lo, hi) = v
            .iter()
            .fold((f32::MAX, f32::MIN), |(a, c), &e| (a.min(e), c.max(e)));
        println!(
            "batch {i}: shape {:?}, values in [{lo:.3}, {hi:.3}]",
            b.shape()
        );
        for k in 0..8 {
            let idx = Tensor::from_vec(vec![k as i64], &[1])?;
            shown.push(b.gather(&idx, 0)?.reshape(&[28, 28, 1])?);
        }
        if (i + 1) % 4 == 0 {
            break;
        }
    }
    let out = common::out_path("s003_13_noisy.png");
    common::save_grid(&shown, 8, &out)?;
    println!("grid written to {}", out.display());
    Ok(())
}
