//! Shared by the augmentation examples: writes images as one PNG grid (instead of the
//! seeds' matplotlib windows) and makes the stand-in input images.

use std::path::{Path, PathBuf};

use kiln_data::image::{array_to_img, encode_png};
use kiln_tensor::{DType, Tensor};

/// Tiles `[h, w, c]` images (any value range: each is scaled to 0..255 like
/// `array_to_img(x, scale=True)`) into a grid `cols` wide with a 2-pixel border, and
/// writes it as a PNG.
#[allow(dead_code)]
pub fn save_grid(images: &[Tensor], cols: usize, path: &Path) -> kiln_data::Result<()> {
    let [h, w, c] = *images[0].shape() else {
        panic!("expected [h, w, c] images");
    };
    let rows = images.len().div_ceil(cols);
    let pad = 2;
    let (gh, gw) = (rows * (h + pad) + pad, cols * (w + pad) + pad);
    let mut grid = vec![40u8; gh * gw * 3];
    for (k, img) in images.iter().enumerate() {
        let px = array_to_img(img, true)?.to_vec::<u8>()?;
        let (r, col) = (k / cols, k % cols);
        for y in 0..h {
            for x in 0..w {
                for ch in 0..3 {
                    let v = px[(y * w + x) * c + if c == 1 { 0 } else { ch }];
                    let gy = pad + r * (h + pad) + y;
                    let gx = pad + col * (w + pad) + x;
                    grid[(gy * gw + gx) * 3 + ch] = v;
                }
            }
        }
    }
    let png = encode_png(&Tensor::from_vec(grid, &[gh, gw, 3])?)?;
    std::fs::write(path, png).map_err(|e| kiln_data::DataError::Io {
        path: path.to_path_buf(),
        source: e,
    })
}

/// Where an example writes its output: `$KILN_EXAMPLE_OUT` or the system temp dir.
pub fn out_path(name: &str) -> PathBuf {
    let dir = std::env::var_os("KILN_EXAMPLE_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&dir).expect("output directory");
    dir.join(name)
}

/// A 96x128 RGB test picture (sky gradient, a sun, a house with a roof and a door),
/// asymmetric so flips and rotations are visible.
#[allow(dead_code)]
pub fn sample_picture(h: usize, w: usize) -> Tensor {
    let mut px = vec![0u8; h * w * 3];
    for y in 0..h {
        for x in 0..w {
            let fy = y as f32 / h as f32;
            let fx = x as f32 / w as f32;
            let mut rgb = [(90.0 + 100.0 * fy) as u8, (150.0 + 60.0 * fy) as u8, 235];
            if fy > 0.75 {
                rgb = [60, (140.0 + 40.0 * fx) as u8, 50];
            }
            let (sx, sy) = (fx - 0.8, fy - 0.2);
            if sx * sx + sy * sy < 0.01 {
                rgb = [250, 220, 40];
            }
            if (0.2..0.55).contains(&fx) && (0.5..0.8).contains(&fy) {
                rgb = [200, 60, 50];
            }
            let roof = 0.5 - (fx - 0.375).abs();
            if (0.2..0.55).contains(&fx) && fy < 0.5 && fy > 0.5 - roof * 0.9 && fy > 0.3 {
                rgb = [110, 60, 30];
            }
            if (0.33..0.42).contains(&fx) && (0.62..0.8).contains(&fy) {
                rgb = [60, 30, 10];
            }
            px[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&rgb);
        }
    }
    Tensor::from_vec(px, &[h, w, 3]).expect("picture")
}

/// The first `n` MNIST training images as float32 `[n, 28, 28, 1]` (0..255), standing in
/// for the seeds' undefined `training_images`.
#[allow(dead_code)]
pub fn mnist_images(n: usize) -> kiln_data::Result<Tensor> {
    let ((x, _), _) = kiln_data::datasets::mnist::load_data()?;
    let idx = Tensor::from_vec((0..n as i64).collect::<Vec<_>>(), &[n])?;
    let x = x.gather(&idx, 0)?.cast(DType::F32)?;
    Ok(x.reshape(&[n as isize, 28, 28, 1])?)
}
