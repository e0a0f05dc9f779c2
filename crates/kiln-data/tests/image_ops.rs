//! kiln_data::image against tf.image (TF 2.21) and Keras's apply_affine_transform
//! (tools/golden/gen_image.py).

use kiln_data::image::{self as im, AffineTransform, ResizeMethod};
use kiln_tensor::Tensor;
use kiln_testing::tensor_f32;
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../../tools/golden/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Max relative error (absolute below 1) of `got` against the fixture's `want`.
fn assert_close(got: &Tensor, want: &Value, tol: f64, what: &str) -> f64 {
    let want = tensor_f32(want);
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    let mut worst = 0.0f64;
    for (i, (a, b)) in got.to_f64_vec().iter().zip(want.to_f64_vec()).enumerate() {
        let err = (a - b).abs() / b.abs().max(1.0);
        assert!(err <= tol, "{what}: element {i}: got {a}, want {b}");
        worst = worst.max(err);
    }
    worst
}

#[test]
fn resize_matches_tf() {
    let root = fixture("image_ops.json");
    let cases = root["resize"].as_array().unwrap();
    assert_eq!(cases.len(), 72);
    let mut worst = std::collections::BTreeMap::new();
    for c in cases {
        let x = tensor_f32(&root["resize_inputs"][c["input"].as_str().unwrap()]);
        let size = c["size"].as_array().unwrap();
        let size = (
            size[0].as_u64().unwrap() as usize,
            size[1].as_u64().unwrap() as usize,
        );
        let method: ResizeMethod = c["method"].as_str().unwrap().parse().unwrap();
        let par = c["preserve_aspect_ratio"].as_bool().unwrap();
        let y = im::resize(&x, size, method, par, false).unwrap();
        let name = c["name"].as_str().unwrap();
        let e = assert_close(&y, &c["out"], 1e-6, name);
        let w = worst.entry(c["method"].as_str().unwrap()).or_insert(0.0f64);
        *w = w.max(e);
    }
    eprintln!("resize worst relative error per method: {worst:?}");
}

fn arg(c: &Value, k: &str) -> f64 {
    c["args"][k].as_f64().unwrap()
}

fn uarg(c: &Value, k: &str) -> usize {
    c["args"][k].as_u64().unwrap() as usize
}

#[test]
fn ops_match_tf() {
    let root = fixture("image_ops.json");
    let cases = root["ops"].as_array().unwrap();
    assert_eq!(cases.len(), 70);
    for c in cases {
        let x = tensor_f32(&root["op_inputs"][c["input"].as_str().unwrap()]);
        let op = c["op"].as_str().unwrap();
        let y = match op {
            "crop_to_bounding_box" => im::crop_to_bounding_box(
                &x,
                uarg(c, "offset_height"),
                uarg(c, "offset_width"),
                uarg(c, "target_height"),
                uarg(c, "target_width"),
            ),
            "pad_to_bounding_box" => im::pad_to_bounding_box(
                &x,
                uarg(c, "offset_height"),
                uarg(c, "offset_width"),
                uarg(c, "target_height"),
                uarg(c, "target_width"),
            ),
            "central_crop" => im::central_crop(&x, arg(c, "central_fraction")),
            "resize_with_crop_or_pad" => {
                im::resize_with_crop_or_pad(&x, uarg(c, "target_height"), uarg(c, "target_width"))
            }
            "flip_left_right" => im::flip_left_right(&x),
            "flip_up_down" => im::flip_up_down(&x),
            "transpose" => im::transpose(&x),
            "rot90" => im::rot90(&x, c["args"]["k"].as_i64().unwrap()),
            "adjust_brightness" => im::adjust_brightness(&x, arg(c, "delta") as f32),
            "adjust_contrast" => im::adjust_contrast(&x, arg(c, "contrast_factor") as f32),
            "adjust_gamma" => im::adjust_gamma(&x, arg(c, "gamma") as f32, arg(c, "gain") as f32),
            "adjust_saturation" => im::adjust_saturation(&x, arg(c, "saturation_factor") as f32),
            "adjust_hue" => im::adjust_hue(&x, arg(c, "delta") as f32),
            "rgb_to_grayscale" => im::rgb_to_grayscale(&x),
            "grayscale_to_rgb" => im::grayscale_to_rgb(&x),
            "rgb_to_hsv" => im::rgb_to_hsv(&x),
            "hsv_to_rgb" => im::hsv_to_rgb(&x),
            "per_image_standardization" => im::per_image_standardization(&x),
            other => panic!("unknown op {other}"),
        }
        .unwrap();
        assert_close(
            &y,
            &c["out"],
            2e-6,
            &format!("{op} {} {}", c["args"], c["input"]),
        );
    }
}

#[test]
fn affine_matches_keras() {
    let root = fixture("image_affine.json");
    let x = tensor_f32(&root["input"]);
    let cases = root["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 26);
    for c in cases {
        let p = &c["params"];
        let g = |k: &str, d: f64| p.get(k).and_then(Value::as_f64).unwrap_or(d);
        let channel_axis = c["channel_axis"].as_u64().unwrap() as usize;
        let input = if channel_axis == 0 {
            x.permute(&[2, 0, 1]).unwrap().contiguous()
        } else {
            x.clone()
        };
        let t = AffineTransform {
            theta: g("theta", 0.0),
            tx: g("tx", 0.0),
            ty: g("ty", 0.0),
            shear: g("shear", 0.0),
            zx: g("zx", 1.0),
            zy: g("zy", 1.0),
            row_axis: c["row_axis"].as_u64().unwrap() as usize,
            col_axis: c["col_axis"].as_u64().unwrap() as usize,
            channel_axis,
            fill_mode: c["fill_mode"].as_str().unwrap().parse().unwrap(),
            cval: c["cval"].as_f64().unwrap(),
            order: 1,
        };
        let y = im::apply_affine_transform(&input, &t).unwrap();
        assert_close(&y, &c["out"], 1e-6, c["name"].as_str().unwrap());
    }
}

#[test]
fn errors_name_the_op_and_shapes() {
    use kiln_tensor::DType;
    let two = Tensor::zeros(&[4, 4, 2], DType::F32);
    let err = im::rgb_to_grayscale(&two).unwrap_err().to_string();
    assert!(
        err.contains("rgb_to_grayscale")
            && err.contains("expected 3 channels in the last axis, got shape [4, 4, 2]"),
        "{err}"
    );
    let flat = Tensor::zeros(&[4, 4], DType::F32);
    for err in [
        im::flip_left_right(&flat).unwrap_err(),
        im::resize(&flat, (2, 2), ResizeMethod::Bilinear, false, false).unwrap_err(),
        im::adjust_contrast(&flat, 2.0).unwrap_err(),
    ] {
        assert!(err.to_string().contains("got shape [4, 4]"), "{err}");
    }
    let err = im::grayscale_to_rgb(&two).unwrap_err().to_string();
    assert!(
        err.contains("grayscale_to_rgb") && err.contains("[4, 4, 2]"),
        "{err}"
    );
    let u8s = Tensor::zeros(&[2, 2, 3], DType::U8);
    assert!(im::adjust_hue(&u8s, 0.1)
        .unwrap_err()
        .to_string()
        .contains("uint8"));
    // Nearest and the geometric ops keep the dtype; the other resizes give float32.
    let n = im::resize(&u8s, (3, 5), ResizeMethod::Nearest, false, false).unwrap();
    assert_eq!((n.dtype(), n.shape()), (DType::U8, &[3usize, 5, 3][..]));
    let b = im::resize(&u8s, (3, 5), ResizeMethod::Area, false, false).unwrap();
    assert_eq!(b.dtype(), DType::F32);
    assert_eq!(im::rot90(&u8s, 1).unwrap().dtype(), DType::U8);
    assert!(im::resize(&u8s, (2, 2), ResizeMethod::Bilinear, false, true).is_err());
    let bad_axes = AffineTransform {
        row_axis: 0,
        col_axis: 0,
        theta: 10.0,
        ..Default::default()
    };
    assert!(im::apply_affine_transform(&two, &bad_axes).is_err());
    assert!(im::crop_to_bounding_box(&two, 0, 0, 5, 1)
        .unwrap_err()
        .to_string()
        .contains("[4, 4, 2]"));
}
