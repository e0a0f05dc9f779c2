//! Image decode/encode, load_img/save_img: goldens from tf.io.decode_png/decode_jpeg and
//! keras.utils.load_img (tools/golden/gen_image.py), round trips and corrupt input.

use kiln_data::image::{self as im, ColorMode, Interpolation};
use kiln_tensor::{DType, Tensor};
use kiln_testing::fixture;
use serde_json::Value;

fn b64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("bad base64 {c}"),
    };
    let mut out = Vec::new();
    let bytes: Vec<u8> = s.bytes().filter(|&c| c != b'=').collect();
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= u32::from(val(c)) << (18 - 6 * i);
        }
        for i in 0..chunk.len().saturating_sub(1) {
            out.push((acc >> (16 - 8 * i)) as u8);
        }
    }
    out
}

fn want(v: &Value) -> (Vec<usize>, Vec<f64>) {
    let shape = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_f64().unwrap())
        .collect();
    (shape, data)
}

fn tmpdir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("kiln-image-io-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn decode_png_matches_tf() {
    let root = fixture("image_io.json");
    let cases = root["png"].as_array().unwrap();
    assert_eq!(cases.len(), 24);
    for c in cases {
        let bytes = b64(c["bytes"].as_str().unwrap());
        let ch = c["channels"].as_u64().unwrap() as usize;
        let got = im::decode_png(&bytes, ch).unwrap();
        assert_eq!(got.dtype(), DType::U8);
        let (shape, data) = want(&c["out"]);
        assert_eq!(got.shape(), &shape[..], "{}", c["name"]);
        assert_eq!(got.to_f64_vec(), data, "{}", c["name"]);
        // decode_image dispatches on the magic bytes.
        assert_eq!(im::decode_image(&bytes, ch).unwrap().to_f64_vec(), data);
    }
}

#[test]
fn decode_jpeg_close_to_tf() {
    let root = fixture("image_io.json");
    let cases = root["jpeg"].as_array().unwrap();
    assert_eq!(cases.len(), 6);
    for c in cases {
        let bytes = b64(c["bytes"].as_str().unwrap());
        let ch = c["channels"].as_u64().unwrap() as usize;
        let got = im::decode_jpeg(&bytes, ch).unwrap();
        let (shape, data) = want(&c["out"]);
        assert_eq!(got.shape(), &shape[..], "{}", c["name"]);
        let diffs: Vec<f64> = got
            .to_f64_vec()
            .iter()
            .zip(&data)
            .map(|(a, b)| (a - b).abs())
            .collect();
        let max = diffs.iter().cloned().fold(0.0, f64::max);
        let mean = diffs.iter().sum::<f64>() / diffs.len() as f64;
        eprintln!("jpeg {}: max diff {max}, mean diff {mean:.3}", c["name"]);
        // zune-jpeg's IDCT/upsampling is not libjpeg-turbo's: a few levels, rarely more.
        assert!(
            max <= 6.0 && mean <= 1.5,
            "{}: max {max} mean {mean}",
            c["name"]
        );
    }
}

#[test]
fn load_img_matches_keras() {
    let root = fixture("image_io.json");
    let dir = tmpdir("load");
    let path = dir.join("img.png");
    std::fs::write(&path, b64(root["load_img_png"].as_str().unwrap())).unwrap();
    let cases = root["load_img"].as_array().unwrap();
    assert_eq!(cases.len(), 30);
    for c in cases {
        let mode: ColorMode = c["color_mode"].as_str().unwrap().parse().unwrap();
        let interp: Interpolation = c["interpolation"].as_str().unwrap().parse().unwrap();
        let ts = c["target_size"].as_array().map(|a| {
            (
                a[0].as_u64().unwrap() as usize,
                a[1].as_u64().unwrap() as usize,
            )
        });
        let got = im::load_img(&path, mode, ts, interp).unwrap();
        let (shape, data) = want(&c["out"]);
        assert_eq!(got.shape(), &shape[..], "{}", c["name"]);
        assert_eq!(got.to_f64_vec(), data, "{}", c["name"]);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

fn sample(h: usize, w: usize, c: usize) -> Tensor {
    let data: Vec<u8> = (0..h * w * c)
        .map(|i| ((i * 37 + i / 7 * 11) % 256) as u8)
        .collect();
    Tensor::from_vec(data, &[h, w, c]).unwrap()
}

#[test]
fn png_round_trips_every_channel_count() {
    for c in 1..=4 {
        let x = sample(5, 7, c);
        let png = im::encode_png(&x).unwrap();
        assert_eq!(
            im::decode_png(&png, 0).unwrap().to_vec::<u8>().unwrap(),
            x.to_vec::<u8>().unwrap()
        );
    }
}

#[test]
fn jpeg_round_trip_is_close() {
    let smooth: Vec<u8> = (0..16 * 16 * 3)
        .map(|i| {
            let (y, x, ch) = (i / 48, i / 3 % 16, i % 3);
            (y * 8 + x * 4 + ch * 30) as u8
        })
        .collect();
    let x = Tensor::from_vec(smooth.clone(), &[16, 16, 3]).unwrap();
    let jpg = im::encode_jpeg(&x, 95).unwrap();
    let y = im::decode_jpeg(&jpg, 0).unwrap();
    assert_eq!(y.shape(), &[16, 16, 3]);
    let err = y
        .to_vec::<u8>()
        .unwrap()
        .iter()
        .zip(&smooth)
        .map(|(a, b)| a.abs_diff(*b))
        .max()
        .unwrap();
    assert!(err <= 8, "max error {err}");
    assert_eq!(im::decode_jpeg(&jpg, 1).unwrap().shape(), &[16, 16, 1]);
    let g = im::encode_jpeg(&sample(8, 8, 1), 90).unwrap();
    assert_eq!(im::decode_image(&g, 0).unwrap().shape(), &[8, 8, 1]);
}

#[test]
fn corrupt_and_truncated_input_is_an_error_not_a_panic() {
    let png = im::encode_png(&sample(9, 11, 3)).unwrap();
    let jpg = im::encode_jpeg(&sample(16, 16, 3), 90).unwrap();
    for (name, bytes) in [("png", &png), ("jpeg", &jpg)] {
        let decode = |b: &[u8]| {
            if name == "png" {
                im::decode_png(b, 0)
            } else {
                im::decode_jpeg(b, 0)
            }
        };
        // Truncation anywhere before the end of the image data fails with a message.
        let cut_points = [
            0,
            1,
            4,
            8,
            20,
            bytes.len() / 3,
            bytes.len() / 2,
            bytes.len() - 20,
        ];
        for cut in cut_points {
            let err = decode(&bytes[..cut]).unwrap_err().to_string();
            assert!(
                err.contains(&format!("decode_{name}")) && err.contains("invalid"),
                "{name} cut at {cut}: {err}"
            );
        }
        // Flipped bytes: must return (Ok or Err) without panicking.
        for i in (0..bytes.len()).step_by(3) {
            let mut b = bytes.clone();
            b[i] ^= 0x5a;
            let _ = decode(&b);
            let _ = im::decode_image(&b, 3);
        }
    }
    // A flipped byte in PNG pixel data is caught by the CRC.
    let mut b = png.clone();
    let mid = png.len() / 2;
    b[mid] ^= 0xff;
    assert!(im::decode_png(&b, 0).is_err());
    let err = im::decode_image(b"not an image", 0)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown image format"), "{err}");
    assert!(im::decode_png(&png, 2).is_err());
    assert!(im::decode_jpeg(&jpg, 4).is_err());
}

#[test]
fn load_img_errors_name_the_file() {
    let dir = tmpdir("bad");
    let path = dir.join("broken.png");
    let png = im::encode_png(&sample(4, 4, 3)).unwrap();
    std::fs::write(&path, &png[..png.len() / 2]).unwrap();
    let err = im::load_img(&path, ColorMode::Rgb, None, Interpolation::Nearest)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("broken.png") && err.contains("corrupt"),
        "{err}"
    );
    let missing = dir.join("missing.jpg");
    let err = im::load_img(&missing, ColorMode::Rgb, None, Interpolation::Nearest)
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing.jpg"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn save_img_then_load_img() {
    let dir = tmpdir("save");
    let x = Tensor::from_vec(
        (0..4 * 5 * 3).map(|v| v as f32 / 59.0).collect::<Vec<_>>(),
        &[4, 5, 3],
    )
    .unwrap();
    let p = dir.join("x.png");
    im::save_img(&p, &x, true).unwrap();
    let y = im::load_img(&p, ColorMode::Rgb, None, Interpolation::Nearest).unwrap();
    let expect = im::img_to_array(&im::array_to_img(&x, true).unwrap()).unwrap();
    assert_eq!(y.to_vec::<f32>().unwrap(), expect.to_vec::<f32>().unwrap());
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    // JPEG drops alpha, like Keras.
    let rgba = Tensor::full(&[8, 8, 4], 100.0, DType::F32);
    im::save_img(dir.join("a.jpg"), &rgba, false).unwrap();
    let back = im::load_img(
        dir.join("a.jpg"),
        ColorMode::Rgba,
        None,
        Interpolation::Nearest,
    )
    .unwrap();
    assert_eq!(back.shape(), &[8, 8, 4]);
    assert!(im::save_img(
        dir.join("b.png"),
        &Tensor::zeros(&[2, 2, 2], DType::F32),
        false
    )
    .is_err());
    assert!(im::array_to_img(&Tensor::zeros(&[2, 2], DType::F32), true).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}
