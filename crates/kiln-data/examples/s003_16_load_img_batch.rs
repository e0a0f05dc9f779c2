//! S003-16: `load_img(path, target_size=(224, 224))`, `img_to_array`,
//! `tf.expand_dims(img_array, 0)`, then showing the image.
//!
//! The seed's image path is a placeholder: this writes a generated 300x400 JPEG first.
//! The plot becomes a PNG of the loaded 224x224 image, whose path is printed.

mod common;

use kiln_data::image::{encode_jpeg, img_to_array, load_img, save_img, ColorMode, Interpolation};

fn main() -> kiln_data::Result<()> {
    let path = common::out_path("path_to_image.jpg");
    std::fs::write(&path, encode_jpeg(&common::sample_picture(300, 400), 90)?)
        .expect("write the input image");

    let img = load_img(
        &path,
        ColorMode::Rgb,
        Some((224, 224)),
        Interpolation::Nearest,
    )?;
    let img_array = img_to_array(&img)?;
    let img_array = img_array.expand_dims(0)?; // add the batch dimension
    println!(
        "image batch shape: {:?}, dtype {}",
        img_array.shape(),
        img_array.dtype().name()
    );
    assert_eq!(img_array.shape(), &[1, 224, 224, 3]);

    let out = common::out_path("s003_16_loaded.png");
    save_img(&out, &img, false)?;
    println!("image written to {}", out.display());
    Ok(())
}
