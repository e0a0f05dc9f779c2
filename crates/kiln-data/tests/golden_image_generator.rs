//! ImageDataGenerator against Keras 3.15's legacy implementation
//! (tools/golden/gen_image_generator.py).

use kiln_testing::tensor_f32;
use std::path::{Path, PathBuf};

use kiln_data::dataset::Element;
use kiln_data::image::FillMode;
use kiln_data::preprocessing::image::{
    FlowArgs, FlowFromDirectoryArgs, ImageDataGenerator, ImageDataGeneratorArgs, ShiftRange,
    TransformParams, ZoomRange,
};
use kiln_tensor::Tensor;
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/golden/fixtures")
}

fn fixture() -> Value {
    let s = std::fs::read_to_string(fixtures().join("image_generator.json")).unwrap();
    serde_json::from_str(&s).unwrap()
}

fn f64s(v: &Value) -> Vec<f64> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_f64().unwrap())
        .collect()
}

/// Max error relative to max(|want|, 1); asserts it is within `tol`.
fn close(got: &[f64], want: &[f64], tol: f64, what: &str) -> f64 {
    close_floor(got, want, tol, 1.0, what)
}

/// Max error relative to max(|want|, floor).
fn close_floor(got: &[f64], want: &[f64], tol: f64, floor: f64, what: &str) -> f64 {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let mut worst = 0.0f64;
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        let e = (a - b).abs() / b.abs().max(floor);
        assert!(e <= tol, "{what}: element {i}: got {a}, want {b}");
        worst = worst.max(e);
    }
    worst
}

fn shift(v: &Value) -> ShiftRange {
    match v {
        Value::Array(a) => ShiftRange::Choices(a.iter().map(|x| x.as_f64().unwrap()).collect()),
        Value::Number(n) if n.is_i64() => ShiftRange::Int(n.as_i64().unwrap()),
        Value::Number(n) => ShiftRange::Float(n.as_f64().unwrap()),
        _ => panic!("bad shift {v}"),
    }
}

/// Keras's constructor kwargs as kiln's arguments.
fn args(cfg: &Value) -> ImageDataGeneratorArgs {
    let mut a = ImageDataGeneratorArgs::default();
    for (k, v) in cfg.as_object().unwrap() {
        let f = || v.as_f64().unwrap();
        let b = || v.as_bool().unwrap();
        match k.as_str() {
            "featurewise_center" => a.featurewise_center = b(),
            "samplewise_center" => a.samplewise_center = b(),
            "featurewise_std_normalization" => a.featurewise_std_normalization = b(),
            "samplewise_std_normalization" => a.samplewise_std_normalization = b(),
            "zca_whitening" => a.zca_whitening = b(),
            "zca_epsilon" => a.zca_epsilon = f(),
            "rescale" => a.rescale = Some(f()),
            "rotation_range" => a.rotation_range = f(),
            "width_shift_range" => a.width_shift_range = shift(v),
            "height_shift_range" => a.height_shift_range = shift(v),
            "shear_range" => a.shear_range = f(),
            "zoom_range" => {
                a.zoom_range = match v {
                    Value::Array(p) => {
                        ZoomRange::from((p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
                    }
                    _ => ZoomRange::from(f()),
                }
            }
            "channel_shift_range" => a.channel_shift_range = f(),
            "brightness_range" => {
                let p = v.as_array().unwrap();
                a.brightness_range = Some((p[0].as_f64().unwrap(), p[1].as_f64().unwrap()));
            }
            "horizontal_flip" => a.horizontal_flip = b(),
            "vertical_flip" => a.vertical_flip = b(),
            "fill_mode" => a.fill_mode = v.as_str().unwrap().parse::<FillMode>().unwrap(),
            "cval" => a.cval = f(),
            "validation_split" => a.validation_split = f(),
            "interpolation_order" => a.interpolation_order = v.as_u64().unwrap() as usize,
            other => panic!("unhandled option {other}"),
        }
    }
    a
}

fn params(p: &Value) -> TransformParams {
    let g = |k: &str, d: f64| p.get(k).and_then(Value::as_f64).unwrap_or(d);
    let flag = |k: &str| match p.get(k) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().unwrap() != 0.0,
        _ => false,
    };
    TransformParams {
        theta: g("theta", 0.0),
        tx: g("tx", 0.0),
        ty: g("ty", 0.0),
        shear: g("shear", 0.0),
        zx: g("zx", 1.0),
        zy: g("zy", 1.0),
        flip_horizontal: flag("flip_horizontal"),
        flip_vertical: flag("flip_vertical"),
        channel_shift_intensity: p.get("channel_shift_intensity").and_then(Value::as_f64),
        brightness: p.get("brightness").and_then(Value::as_f64),
    }
}

#[test]
fn fit_and_standardize_match_keras() {
    let root = fixture();
    let fit = &root["fit"];
    let x = tensor_f32(&fit["x"]);
    let probe = tensor_f32(&fit["probe"]);
    let first = probe
        .gather(&Tensor::from_vec(vec![0i64], &[1]).unwrap(), 0)
        .unwrap();
    let first = first.reshape(&[2, 2, 3]).unwrap();
    let mut report = Vec::new();
    for case in fit["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut g = ImageDataGenerator::new(args(&case["config"])).unwrap();
        if case["augment"].as_bool().unwrap() {
            g.fit_with(&x, true, 2, Some(5)).unwrap();
        } else {
            g.fit(&x).unwrap();
        }
        // ZCA: NumPy's float32 SVD against kiln's f64 eigendecomposition of flat_x.T
        // flat_x; on these full-rank samples it agrees to ~5e-7.
        let zca = case["zca"] != Value::Null;
        let tol = 1e-5;
        // Centring without a std division leaves differences of values up to 255 (times
        // rescale) whose float32 means NumPy sums pairwise (kiln: in f64), so the error
        // is measured against that input scale.
        let cfg = &case["config"];
        let floor = if cfg.get("featurewise_std_normalization").is_none()
            && cfg.get("samplewise_std_normalization").is_none()
        {
            255.0 * cfg.get("rescale").and_then(Value::as_f64).unwrap_or(1.0)
        } else {
            1.0
        };
        for (field, got) in [("mean", &g.mean), ("std", &g.std)] {
            match (&case[field], got) {
                (Value::Null, None) => {}
                (w, Some(v)) => {
                    let v: Vec<f64> = v.iter().map(|&e| f64::from(e)).collect();
                    close(&v, &f64s(w), 1e-5, &format!("{name}: {field}"));
                }
                (w, g) => panic!("{name}: {field}: kiln {g:?}, Keras {w}"),
            }
        }
        if zca {
            let m = g.zca_whitening_matrix.as_ref().unwrap();
            let w = close(m, &f64s(&case["zca"]), tol, &format!("{name}: zca matrix"));
            report.push(format!("{name} zca matrix {w:.2e}"));
        }
        let img = g.standardize(&first).unwrap();
        let w1 = close_floor(
            &img.to_f64_vec(),
            &f64s(&case["image"]),
            tol,
            floor,
            &format!("{name}: image"),
        );
        let bat = g.standardize(&probe).unwrap();
        let w2 = close_floor(
            &bat.to_f64_vec(),
            &f64s(&case["batch"]),
            tol,
            floor,
            &format!("{name}: batch"),
        );
        report.push(format!("{name} {:.2e}", w1.max(w2)));
    }
    assert_eq!(report.len(), 9);
    eprintln!("{report:?}");
}

#[test]
fn apply_transform_matches_keras() {
    let root = fixture();
    let t = &root["transform"];
    let mut n = 0;
    for case in t["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let x = tensor_f32(&t[case["input"].as_str().unwrap()]);
        let g = ImageDataGenerator::new(args(&case["config"])).unwrap();
        let y = g.apply_transform(&x, &params(&case["params"])).unwrap();
        close(&y.to_f64_vec(), &f64s(&case["y"]), 1e-5, name);
        n += 1;
    }
    assert_eq!(n, 13);
}

#[test]
fn random_transform_params_match_numpy_stream() {
    let root = fixture();
    let r = &root["random"];
    let mut n = 0;
    for case in r["params"].as_array().unwrap() {
        let cname = case["config_name"].as_str().unwrap();
        let g = ImageDataGenerator::new(args(&r["configs"][cname])).unwrap();
        let seed = case["seed"].as_u64().unwrap() as u32;
        let shape: Vec<usize> = case["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap() as usize)
            .collect();
        let got = g.get_random_transform(&shape, Some(seed)).unwrap();
        let want = params(&case["params"]);
        let what = format!("{cname} seed {seed}");
        for (a, b, f) in [
            (got.theta, want.theta, "theta"),
            (got.tx, want.tx, "tx"),
            (got.ty, want.ty, "ty"),
            (got.shear, want.shear, "shear"),
            (got.zx, want.zx, "zx"),
            (got.zy, want.zy, "zy"),
        ] {
            assert!(
                (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                "{what}: {f}: {a} vs {b}"
            );
        }
        assert_eq!(got.flip_horizontal, want.flip_horizontal, "{what}");
        assert_eq!(got.flip_vertical, want.flip_vertical, "{what}");
        // serde_json's float parsing may be off by an ulp, hence 1e-12 rather than ==.
        for (a, b, f) in [
            (
                got.channel_shift_intensity,
                want.channel_shift_intensity,
                "channel shift",
            ),
            (got.brightness, want.brightness, "brightness"),
        ] {
            match (a, b) {
                (Some(a), Some(b)) => {
                    assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{what}: {f}")
                }
                (None, None) => {}
                _ => panic!("{what}: {f}: {a:?} vs {b:?}"),
            }
        }
        n += 1;
    }
    assert_eq!(n, 15);
    let x = tensor_f32(&r["x"]);
    for case in r["random_transform"].as_array().unwrap() {
        let cname = case["config_name"].as_str().unwrap();
        let g = ImageDataGenerator::new(args(&r["configs"][cname])).unwrap();
        let y = g.random_transform(&x, Some(7)).unwrap();
        close(&y.to_f64_vec(), &f64s(&case["y"]), 1e-5, cname);
    }
}

fn parts(e: &Element) -> Vec<Tensor> {
    match e {
        Element::Tuple(v) => v.iter().map(|p| p.as_tensor().unwrap().clone()).collect(),
        e => vec![e.as_tensor().unwrap().clone()],
    }
}

#[test]
fn flow_matches_keras() {
    let root = fixture();
    let f = &root["flow"];
    let x = tensor_f32(&f["x"]);
    let mut n = 0;
    for case in f["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let g = ImageDataGenerator::new(args(&case["config"])).unwrap();
        let kw = &case["kwargs"];
        let mut fa = FlowArgs::new()
            .batch_size(kw["batch_size"].as_u64().unwrap() as usize)
            .shuffle(kw["shuffle"].as_bool().unwrap());
        if let Some(s) = kw.get("seed").and_then(Value::as_u64) {
            fa = fa.seed(s);
        }
        if let Some(s) = kw.get("subset").and_then(Value::as_str) {
            fa = fa.subset(s);
        }
        if kw.get("sample_weight").is_some() {
            fa = fa.sample_weight(tensor_f32(&f["sw"]));
        }
        let yname = case.get("y").and_then(Value::as_str).unwrap_or("y");
        let y = tensor_f32(&f[yname]);
        let y = if name == "no_y" { None } else { Some(&y) };
        let mut it = g.flow(&x, y, fa).unwrap();
        for (bi, want) in case["batches"].as_array().unwrap().iter().enumerate() {
            let got = parts(&it.next().unwrap().unwrap());
            let want = want.as_array().unwrap();
            assert_eq!(got.len(), want.len(), "{name}: batch {bi} parts");
            for (k, (gt, wt)) in got.iter().zip(want).enumerate() {
                let shape: Vec<usize> = wt["shape"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d.as_u64().unwrap() as usize)
                    .collect();
                assert_eq!(gt.shape(), &shape[..], "{name}: batch {bi} part {k} shape");
                close(
                    &gt.to_f64_vec(),
                    &f64s(wt),
                    1e-5,
                    &format!("{name}: batch {bi} part {k}"),
                );
            }
        }
        n += 1;
    }
    assert_eq!(n, 7);
    // Errors, with Keras's messages.
    let errs = &f["errors"];
    let g = ImageDataGenerator::new(ImageDataGeneratorArgs::default()).unwrap();
    let y = tensor_f32(&f["y"]);
    let first = x
        .gather(&Tensor::from_vec(vec![0i64], &[1]).unwrap(), 0)
        .unwrap();
    let x0 = first.reshape(&[4, 5, 3]).unwrap();
    let idx = |n: i64| Tensor::from_vec((0..n).collect::<Vec<_>>(), &[n as usize]).unwrap();
    let y4 = y.gather(&idx(4), 0).unwrap();
    let y3 = y.gather(&idx(3), 0).unwrap();
    let msg = |r: kiln_data::Result<kiln_data::preprocessing::image::NumpyArrayIterator>| {
        r.unwrap_err().to_string()
    };
    let check = |got: String, key: &str| {
        let want = errs[key].as_str().unwrap();
        assert!(got.contains(want), "{key}: got {got:?}, want {want:?}");
    };
    check(msg(g.flow(&x0, Some(&y4), FlowArgs::new())), "rank");
    check(msg(g.flow(&x, Some(&y3), FlowArgs::new())), "len");
    let half = ImageDataGenerator::new(ImageDataGeneratorArgs {
        validation_split: 0.5,
        ..Default::default()
    })
    .unwrap();
    let sorted = Tensor::from_vec(vec![0.0f32, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0], &[7]).unwrap();
    check(
        msg(half.flow(&x, Some(&sorted), FlowArgs::new().subset("training"))),
        "split_classes",
    );
    check(
        msg(half.flow(&x, Some(&sorted), FlowArgs::new().subset("test"))),
        "bad_subset",
    );
    let bad = ImageDataGenerator::new(ImageDataGeneratorArgs {
        validation_split: 1.5,
        ..Default::default()
    });
    check(bad.unwrap_err().to_string(), "validation_split");
}

#[test]
fn flow_to_dataset_repeats_keras_epochs() {
    // Epoch k of the dataset is epoch k of the seeded stream.
    let root = fixture();
    let f = &root["flow"];
    let x = tensor_f32(&f["x"]);
    let y = tensor_f32(&f["y"]);
    let g = ImageDataGenerator::new(ImageDataGeneratorArgs::default()).unwrap();
    let it = g
        .flow(&x, Some(&y), FlowArgs::new().batch_size(3).seed(42))
        .unwrap();
    let ds = it.to_dataset();
    let labels = |bs: Vec<Element>| -> Vec<f64> {
        bs.iter().flat_map(|b| parts(b)[1].to_f64_vec()).collect()
    };
    let case = &f["cases"].as_array().unwrap()[1];
    assert_eq!(case["name"], "shuffle_seed");
    let want: Vec<f64> = case["batches"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| f64s(&b.as_array().unwrap()[1]))
        .collect();
    let mut got = labels(ds.collect().unwrap());
    got.extend(labels(ds.collect().unwrap()));
    assert_eq!(&got[..], &want[..got.len().min(want.len())]);
}

#[test]
fn flow_from_directory_matches_keras() {
    let root = fixture();
    let d = &root["directory"];
    let tree = fixtures().join("dirtree");
    let mut n = 0;
    for case in d["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let g = ImageDataGenerator::new(args(&case["config"])).unwrap();
        let kw = &case["kwargs"];
        let ts = kw["target_size"].as_array().unwrap();
        let mut a = FlowFromDirectoryArgs::new()
            .target_size(
                ts[0].as_u64().unwrap() as usize,
                ts[1].as_u64().unwrap() as usize,
            )
            .batch_size(kw["batch_size"].as_u64().unwrap() as usize)
            .shuffle(kw["shuffle"].as_bool().unwrap());
        if let Some(m) = kw.get("class_mode") {
            a = a.class_mode(m.as_str());
        }
        if let Some(m) = kw.get("color_mode").and_then(Value::as_str) {
            a = a.color_mode(m);
        }
        if let Some(c) = kw.get("classes").and_then(Value::as_array) {
            let c: Vec<&str> = c.iter().map(|s| s.as_str().unwrap()).collect();
            a = a.classes(&c);
        }
        if let Some(s) = kw.get("seed").and_then(Value::as_u64) {
            a = a.seed(s);
        }
        if let Some(s) = kw.get("subset").and_then(Value::as_str) {
            a = a.subset(s);
        }
        if let Some(s) = kw.get("interpolation").and_then(Value::as_str) {
            a = a.interpolation(s);
        }
        let mut it = g.flow_from_directory(&tree, a).unwrap();
        let want_ci: Vec<(String, usize)> = case["class_indices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap().to_string(),
                    p[1].as_u64().unwrap() as usize,
                )
            })
            .collect();
        assert_eq!(it.class_indices, want_ci, "{name}: class_indices");
        let want_files: Vec<String> = case["filenames"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect();
        assert_eq!(it.filenames, want_files, "{name}: filenames");
        let want_classes: Vec<usize> = case["classes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(it.classes, want_classes, "{name}: classes");
        assert_eq!(
            it.len() as u64,
            case["len"].as_u64().unwrap(),
            "{name}: len"
        );
        for (bi, want) in case["batches"].as_array().unwrap().iter().enumerate() {
            let got = parts(&it.next().unwrap().unwrap());
            let want = want.as_array().unwrap();
            assert_eq!(got.len(), want.len(), "{name}: batch {bi} parts");
            for (k, (gt, wt)) in got.iter().zip(want).enumerate() {
                let shape: Vec<usize> = wt["shape"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d.as_u64().unwrap() as usize)
                    .collect();
                assert_eq!(gt.shape(), &shape[..], "{name}: batch {bi} part {k}");
                // JPEG pixels may differ by the decoder's few levels (see decode_jpeg);
                // compare images to 6 levels (or 6/255 rescaled), labels exactly.
                let scale = if case["config"].get("rescale").is_some() {
                    1.0 / 255.0
                } else {
                    1.0
                };
                let tol = if gt.shape().len() == 4 {
                    6.0 * scale
                } else {
                    0.0
                };
                for (i, (a, b)) in gt.to_f64_vec().iter().zip(f64s(wt)).enumerate() {
                    assert!(
                        (a - b).abs() <= tol + 1e-6,
                        "{name}: batch {bi} part {k} [{i}]: {a} vs {b}"
                    );
                }
            }
        }
        n += 1;
    }
    assert_eq!(n, 8);
    let errs = &d["errors"];
    let g = ImageDataGenerator::new(ImageDataGeneratorArgs::default()).unwrap();
    let e = |a: FlowFromDirectoryArgs| g.flow_from_directory(&tree, a).unwrap_err().to_string();
    let got = e(FlowFromDirectoryArgs::new().class_mode(Some("x")));
    assert!(
        got.contains("Invalid class_mode: x; expected one of:"),
        "{got}"
    );
    let got = e(FlowFromDirectoryArgs::new().color_mode("x"));
    assert!(got.contains(errs["color_mode"].as_str().unwrap()), "{got}");
    let vg = ImageDataGenerator::new(ImageDataGeneratorArgs {
        validation_split: 0.2,
        ..Default::default()
    })
    .unwrap();
    let got = vg
        .flow_from_directory(&tree, FlowFromDirectoryArgs::new().subset("test"))
        .unwrap_err()
        .to_string();
    assert!(got.contains(errs["subset"].as_str().unwrap()), "{got}");
}

#[test]
fn bad_input_is_an_error() {
    let g = ImageDataGenerator::new(ImageDataGeneratorArgs::default()).unwrap();
    // A corrupt image fails its batch with the file named.
    let dir = std::env::temp_dir().join(format!("kiln-ffd-bad-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("c")).unwrap();
    std::fs::write(
        dir.join("c").join("broken.png"),
        b"\x89PNG\r\n\x1a\nnot really",
    )
    .unwrap();
    let mut it = g
        .flow_from_directory(&dir, FlowFromDirectoryArgs::new().target_size(2, 2))
        .unwrap();
    let err = it.next().unwrap().unwrap_err().to_string();
    assert!(err.contains("broken.png"), "{err}");
    // A missing class folder and a missing directory.
    let err = g
        .flow_from_directory(&dir, FlowFromDirectoryArgs::new().classes(&["nope"]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("nope"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(g
        .flow_from_directory("/nonexistent/kiln", FlowFromDirectoryArgs::new())
        .is_err());
    // Wrong ranks.
    let img = Tensor::zeros(&[2, 2], kiln_tensor::DType::F32);
    assert!(g
        .apply_transform(&img, &TransformParams::default())
        .is_err());
    assert!(g.get_random_transform(&[2, 2], Some(0)).is_err());
    let mut fitg = ImageDataGenerator::new(ImageDataGeneratorArgs {
        featurewise_center: true,
        ..Default::default()
    })
    .unwrap();
    assert!(fitg.fit(&img).unwrap_err().to_string().contains("rank 4"));
    // Standardizing with statistics of another channel count.
    fitg.fit(&Tensor::zeros(&[2, 2, 2, 3], kiln_tensor::DType::F32))
        .unwrap();
    assert!(fitg
        .standardize(&Tensor::zeros(&[2, 2, 1], kiln_tensor::DType::F32))
        .is_err());
    // Unsupported options.
    for a in [
        ImageDataGeneratorArgs {
            data_format: "channels_first".into(),
            ..Default::default()
        },
        ImageDataGeneratorArgs {
            interpolation_order: 3,
            ..Default::default()
        },
        ImageDataGeneratorArgs {
            width_shift_range: ShiftRange::Int(-2),
            ..Default::default()
        },
    ] {
        assert!(ImageDataGenerator::new(a).is_err());
    }
}

#[test]
fn save_to_dir_names_match_keras() {
    use kiln_data::preprocessing::image::SaveToDir;
    let root = fixture();
    let want = |k: &str| -> Vec<String> {
        root["save_to_dir"][k]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    let listing = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let base = std::env::temp_dir().join(format!("kiln-save-{}", std::process::id()));
    let (d1, d2) = (base.join("flow"), base.join("dir"));
    std::fs::create_dir_all(&d1).unwrap();
    std::fs::create_dir_all(&d2).unwrap();
    let x = tensor_f32(&fixture()["flow"]["x"]);
    let g = ImageDataGenerator::new(ImageDataGeneratorArgs {
        horizontal_flip: true,
        ..Default::default()
    })
    .unwrap();
    let mut fa = FlowArgs::new().batch_size(3).seed(5);
    fa.save_to_dir = Some(SaveToDir::new(&d1, "aug", "png"));
    let mut it = g.flow(&x, None, fa).unwrap();
    for _ in 0..3 {
        it.next().unwrap().unwrap();
    }
    assert_eq!(listing(&d1), want("flow"));
    let plain = ImageDataGenerator::new(ImageDataGeneratorArgs::default()).unwrap();
    let mut a = FlowFromDirectoryArgs::new()
        .target_size(2, 2)
        .batch_size(5)
        .shuffle(false)
        .seed(1);
    a.save_to_dir = Some(SaveToDir::new(&d2, "dir", "jpeg"));
    let mut it = plain
        .flow_from_directory(fixtures().join("dirtree"), a)
        .unwrap();
    it.next().unwrap().unwrap();
    assert_eq!(listing(&d2), want("directory"));
    // The saved PNGs decode to the batch's size.
    let png = std::fs::read(d1.join(&want("flow")[0])).unwrap();
    assert_eq!(
        kiln_data::image::decode_png(&png, 0).unwrap().shape(),
        &[4, 5, 3]
    );
    std::fs::remove_dir_all(&base).unwrap();
}
