//! `kiln::utils::save_image_grid`: PNGs decoded back and checked pixel by pixel
//! (greyscale and RGB, value ranges, padding), atomic writes, and bad input as `Err`.

use kiln::utils::{save_image_grid, ImageGridArgs};
use kiln_tensor::{DType, Tensor};

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kiln_image_grid_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// (width, height, colour type, pixels) of a PNG file.
fn decode(path: &std::path::Path) -> (u32, u32, png::ColorType, Vec<u8>) {
    let f = std::fs::File::open(path).unwrap();
    let mut r = png::Decoder::new(std::io::BufReader::new(f))
        .read_info()
        .unwrap();
    let mut buf = vec![0; r.output_buffer_size().unwrap()];
    let info = r.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, info.color_type, buf)
}

#[test]
fn greyscale_grid_places_each_image_in_row_major_order() {
    // Six 2x3 images, image i filled with i / 5, in a 2 x 3 grid with padding 1.
    let n = 6;
    let data: Vec<f32> = (0..n)
        .flat_map(|i| std::iter::repeat_n(i as f32 / 5.0, 6))
        .collect();
    let imgs = Tensor::from_vec(data, &[n, 2, 3]).unwrap();
    let p = tmp("grey.png");
    save_image_grid(
        &p,
        &imgs,
        2,
        3,
        ImageGridArgs::new().padding(1).pad_value(7),
    )
    .unwrap();
    let (w, h, ct, px) = decode(&p);
    assert_eq!(
        (w, h, ct),
        (3 * 3 + 4, 2 * 2 + 3, png::ColorType::Grayscale)
    );
    let at = |x: usize, y: usize| px[y * w as usize + x];
    for i in 0..n {
        let (r, c) = (i / 3, i % 3);
        let want = (i as f32 / 5.0 * 255.0).round() as u8;
        for y in 0..2 {
            for x in 0..3 {
                assert_eq!(
                    at(1 + c * 4 + x, 1 + r * 3 + y),
                    want,
                    "image {i} at ({x}, {y})"
                );
            }
        }
    }
    // Padding: the border and the gutters.
    assert!((0..w as usize).all(|x| at(x, 0) == 7 && at(x, 3) == 7 && at(x, 6) == 7));
    assert!((0..h as usize).all(|y| at(0, y) == 7 && at(4, y) == 7 && at(12, y) == 7));
    // [N, H, W, 1] gives the same file; extra images are left out.
    let more = Tensor::concat(&[&imgs, &imgs], 0).unwrap();
    let p1 = tmp("grey1.png");
    save_image_grid(
        &p1,
        &more.reshape(&[12, 2, 3, 1]).unwrap(),
        2,
        3,
        ImageGridArgs::new().padding(1).pad_value(7),
    )
    .unwrap();
    assert_eq!(decode(&p1).3, px);
}

#[test]
fn rgb_and_a_tanh_value_range() {
    // One 1x2 RGB image in [-1, 1]: (-1, 0, 1) and (2, -3, 0.5) (clamped).
    let imgs = Tensor::from_vec(vec![-1.0f32, 0.0, 1.0, 2.0, -3.0, 0.5], &[1, 1, 2, 3]).unwrap();
    let p = tmp("rgb.png");
    save_image_grid(&p, &imgs, 1, 1, ImageGridArgs::new().value_range(-1.0, 1.0)).unwrap();
    let (w, h, ct, px) = decode(&p);
    assert_eq!((w, h, ct), (2, 1, png::ColorType::Rgb));
    assert_eq!(px, vec![0, 128, 255, 255, 0, 191]);
    // Integer pixels with the range (0, 255) come out unchanged.
    let raw = Tensor::from_vec(vec![0u8, 17, 200, 255], &[1, 2, 2]).unwrap();
    let p = tmp("raw.png");
    save_image_grid(&p, &raw, 1, 1, ImageGridArgs::new().value_range(0.0, 255.0)).unwrap();
    assert_eq!(decode(&p).3, vec![0, 17, 200, 255]);
}

#[test]
fn bad_input_is_an_error_and_leaves_no_file() {
    let imgs = Tensor::zeros(&[3, 4, 4], DType::F32);
    let p = tmp("bad.png");
    let err = |r: kiln::Result<()>| r.unwrap_err().to_string();
    let e = err(save_image_grid(&p, &imgs, 2, 2, ImageGridArgs::new()));
    assert!(e.contains("a 2 x 2 grid needs 4 images, got 3"), "{e}");
    let e = err(save_image_grid(
        &p,
        &Tensor::zeros(&[3, 4, 4, 2], DType::F32),
        1,
        1,
        ImageGridArgs::new(),
    ));
    assert!(
        e.contains("(N, H, W, 3)") && e.contains("[3, 4, 4, 2]"),
        "{e}"
    );
    let e = err(save_image_grid(
        &p,
        &Tensor::zeros(&[16], DType::F32),
        1,
        1,
        ImageGridArgs::new(),
    ));
    assert!(e.contains("got [16]"), "{e}");
    let e = err(save_image_grid(&p, &imgs, 1, 0, ImageGridArgs::new()));
    assert!(e.contains("at least 1"), "{e}");
    let e = err(save_image_grid(
        &p,
        &imgs,
        1,
        1,
        ImageGridArgs::new().value_range(1.0, -1.0),
    ));
    assert!(e.contains("min < max"), "{e}");
    let e = err(save_image_grid(
        tmp("grid.jpg"),
        &imgs,
        1,
        1,
        ImageGridArgs::new(),
    ));
    assert!(e.contains("ending in .png"), "{e}");
    assert!(!p.exists());
    let e = err(save_image_grid(
        tmp("no_such_dir").join("g.png"),
        &imgs,
        1,
        1,
        ImageGridArgs::new(),
    ));
    assert!(e.contains("cannot write the PNG"), "{e}");
    // A failed write leaves an existing file as it was (in a directory of its own, so the
    // other tests' temporary files, written in parallel, are not counted).
    let own = tmp("kept_dir");
    std::fs::create_dir_all(&own).unwrap();
    let good = own.join("kept.png");
    save_image_grid(&good, &imgs, 1, 3, ImageGridArgs::new()).unwrap();
    let before = std::fs::read(&good).unwrap();
    assert!(save_image_grid(&good, &imgs, 2, 2, ImageGridArgs::new()).is_err());
    assert_eq!(std::fs::read(&good).unwrap(), before);
    let leftovers: Vec<_> = std::fs::read_dir(good.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty());
}
