//! S003-12: `ImageDataGenerator(featurewise_center=True,
//! featurewise_std_normalization=True, samplewise_center=True,
//! samplewise_std_normalization=True)`, `datagen.fit(training_images)`, then 4 batches
//! of `datagen.flow(training_images, batch_size=32)`.
//!
//! The seed's `training_images` is undefined: this uses the first 1000 MNIST training
//! images (`[1000, 28, 28, 1]`, 0..255). Instead of 4 matplotlib figures of `batch[0]`,
//! it writes the first 8 images of each batch as one row of a PNG grid (each scaled to
//! 0..255 like `array_to_img`) and prints the grid's path.

mod common;

use kiln_data::preprocessing::image::{FlowArgs, ImageDataGenerator, ImageDataGeneratorArgs};

fn main() -> kiln_data::Result<()> {
    let mut datagen = ImageDataGenerator::new(ImageDataGeneratorArgs {
        featurewise_center: true,
        featurewise_std_normalization: true,
        samplewise_center: true,
        samplewise_std_normalization: true,
        ..Default::default()
    })?;
    let training_images = common::mnist_images(1000)?;
    datagen.fit(&training_images)?;
    println!(
        "featurewise mean {:.4}, std {:.4}",
        datagen.mean.as_ref().expect("mean")[0],
        datagen.std.as_ref().expect("std")[0]
    );

    let mut shown = Vec::new();
    let flow = datagen.flow(
        &training_images,
        None,
        FlowArgs::new().batch_size(32).seed(12),
    )?;
    for (i, batch) in flow.enumerate() {
        let b = batch?.as_tensor()?.clone();
        assert_eq!(b.shape(), &[32, 28, 28, 1]);
        let v = b.to_vec::<f32>()?;
        let first = &v[..784];
        let mean = first.iter().map(|&e| f64::from(e)).sum::<f64>() / 784.0;
        // Keras centres each sample first, then subtracts the dataset mean and divides by
        // the dataset std, so every image ends with mean (0 - mean) / std.
        println!("batch {i}: shape {:?}, batch[0] mean {mean:+.4}", b.shape());
        for k in 0..8 {
            let idx = kiln_tensor::Tensor::from_vec(vec![k as i64], &[1])?;
            shown.push(b.gather(&idx, 0)?.reshape(&[28, 28, 1])?);
        }
        if (i + 1) % 4 == 0 {
            break;
        }
    }
    let out = common::out_path("s003_12_normalized.png");
    common::save_grid(&shown, 8, &out)?;
    println!("grid written to {}", out.display());
    Ok(())
}
