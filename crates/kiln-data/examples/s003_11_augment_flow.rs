//! S003-11: `ImageDataGenerator(rotation_range=40, width_shift_range=0.2,
//! height_shift_range=0.2, shear_range=0.2, zoom_range=0.2, horizontal_flip=True,
//! fill_mode='nearest')` and `datagen.flow(x, batch_size=1)` on one image.
//!
//! The seed loads `sample.jpg` (here a generated picture written as JPEG first) and
//! plots batches in an endless loop (its defect 6); this takes 8 batches and writes them,
//! after the original, as a PNG grid whose path it prints.

mod common;

use kiln_data::image::{encode_jpeg, img_to_array, load_img, ColorMode, FillMode, Interpolation};
use kiln_data::preprocessing::image::{FlowArgs, ImageDataGenerator, ImageDataGeneratorArgs};

fn main() -> kiln_data::Result<()> {
    let datagen = ImageDataGenerator::new(ImageDataGeneratorArgs {
        rotation_range: 40.0,
        width_shift_range: 0.2.into(),
        height_shift_range: 0.2.into(),
        shear_range: 0.2,
        zoom_range: 0.2.into(),
        horizontal_flip: true,
        fill_mode: FillMode::Nearest,
        ..Default::default()
    })?;

    let sample = common::out_path("sample.jpg");
    let jpg = encode_jpeg(&common::sample_picture(96, 128), 92)?;
    std::fs::write(&sample, jpg).expect("write sample.jpg");

    let img = load_img(&sample, ColorMode::Rgb, None, Interpolation::Nearest)?;
    let x = img_to_array(&img)?;
    let x = x.reshape(&[1, 96, 128, 3])?; // x.reshape((1,) + x.shape)

    let mut shown = vec![x.reshape(&[96, 128, 3])?];
    let flow = datagen.flow(&x, None, FlowArgs::new().batch_size(1).seed(2024))?;
    for batch in flow.take(8) {
        let batch = batch?;
        let b = batch.as_tensor()?;
        assert_eq!(b.shape(), &[1, 96, 128, 3]);
        shown.push(b.reshape(&[96, 128, 3])?);
    }
    let out = common::out_path("s003_11_augmented.png");
    common::save_grid(&shown, 3, &out)?;
    println!("original + 8 augmented batches of shape [1, 96, 128, 3]");
    println!("grid written to {}", out.display());
    Ok(())
}
