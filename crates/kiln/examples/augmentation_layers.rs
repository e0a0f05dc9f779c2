//! The random image augmentation layers on MNIST digits: each row of the PNG grid is one
//! layer in training mode (RandomFlip, RandomRotation, RandomZoom, RandomTranslation,
//! RandomBrightness, RandomContrast, RandomCrop then Resizing back to 28 x 28), the first
//! row the original digits; pixels are shown as 0..255 without rescaling, so brightness
//! and contrast changes stay visible. Prints the grid's path and each layer's output
//! range. Needs `datasets/mnist` (or `$KILN_DATA_DIR`).

use kiln::layers::{
    LayerRef, RandomBrightness, RandomContrast, RandomCrop, RandomFlip, RandomRotation,
    RandomTranslation, RandomZoom, Resizing,
};
use kiln_data::image::encode_png;
use kiln_tensor::{DType, Tensor};

const N: usize = 6;
const SCALE: usize = 3;

fn main() -> kiln::Result<()> {
    let ((x, _), _) = kiln_data::datasets::mnist::load_data()?;
    let idx = Tensor::from_vec((0..N as i64).collect::<Vec<_>>(), &[N])?;
    let digits = x
        .gather(&idx, 0)?
        .cast(DType::F32)?
        .reshape(&[N as isize, 28, 28, 1])?;

    let rows: Vec<(&str, LayerRef)> = vec![
        (
            "RandomFlip",
            LayerRef::new(RandomFlip::new("horizontal_and_vertical")?.seed(1)),
        ),
        (
            "RandomRotation(0.2)",
            LayerRef::new(RandomRotation::new(0.2)?.fill_mode("constant")?.seed(2)),
        ),
        (
            "RandomZoom(0.4, reflect)",
            LayerRef::new(RandomZoom::new(0.4)?.seed(3)),
        ),
        (
            "RandomTranslation(0.2, 0.2, wrap)",
            LayerRef::new(RandomTranslation::new(0.2, 0.2)?.fill_mode("wrap")?.seed(4)),
        ),
        (
            "RandomBrightness(0.4)",
            LayerRef::new(RandomBrightness::new(0.4)?.seed(5)),
        ),
        (
            "RandomContrast((0.7, 0.7))",
            LayerRef::new(RandomContrast::new((0.7, 0.7))?.seed(6)),
        ),
        (
            "RandomCrop(16, 16)",
            LayerRef::new(RandomCrop::new(16, 16)?.seed(7)),
        ),
    ];
    let mut grid_rows = vec![digits.clone()];
    for (name, layer) in &rows {
        let mut y = layer.call_training(&digits, true)?;
        if y.shape()[1] != 28 {
            y = LayerRef::new(Resizing::new(28, 28)).call(&y)?;
        }
        let v = y.to_vec::<f32>()?;
        let (lo, hi) = v
            .iter()
            .fold((f32::MAX, f32::MIN), |(a, b), &p| (a.min(p), b.max(p)));
        println!("{name:<36} output {:?} range [{lo:.1}, {hi:.1}]", y.shape());
        grid_rows.push(y);
    }
    let out = std::env::var_os("KILN_EXAMPLE_OUT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&out).expect("output directory");
    let path = out.join("augmentation_layers.png");
    std::fs::write(&path, encode_png(&grid(&grid_rows)?)?).expect("write the PNG");
    println!(
        "grid of {} rows x {N} digits written to {}",
        grid_rows.len(),
        path.display()
    );
    Ok(())
}

/// One row per `[N, 28, 28, 1]` batch, each digit enlarged `SCALE` times, 0..255 clipped,
/// on a mid-grey background with a 4-pixel gap.
fn grid(rows: &[Tensor]) -> kiln::Result<Tensor> {
    let (cell, gap) = (28 * SCALE, 4);
    let (gh, gw) = (rows.len() * (cell + gap) + gap, N * (cell + gap) + gap);
    let mut px = vec![96u8; gh * gw];
    for (r, batch) in rows.iter().enumerate() {
        let v = batch.to_vec::<f32>()?;
        for i in 0..N {
            for y in 0..cell {
                for x in 0..cell {
                    let p = v[(i * 28 + y / SCALE) * 28 + x / SCALE].clamp(0.0, 255.0);
                    px[(gap + r * (cell + gap) + y) * gw + gap + i * (cell + gap) + x] = p as u8;
                }
            }
        }
    }
    Ok(Tensor::from_vec(px, &[gh, gw, 1])?)
}
