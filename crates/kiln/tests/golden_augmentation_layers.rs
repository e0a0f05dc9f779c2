//! The random image augmentation layers against Keras 3.15
//! (tools/golden/gen_augmentation_layers.py). TF's random streams cannot be matched, so
//! the goldens fix the transform (degenerate factor ranges through the whole training
//! call, or Keras's `transform_images` with a given transformation) in every fill mode
//! and interpolation; the random parts are checked statistically: the draws span the
//! documented range, a seed reproduces a call, different seeds differ.

mod common;

use common::{assert_close_floor, fixture, tensor_f32};
use kiln::layers::{
    from_config, LayerRef, RandomBrightness, RandomContrast, RandomCrop, RandomFlip,
    RandomRotation, RandomTranslation, RandomZoom,
};
use kiln_tensor::{DType, GradientTape, Tensor};
use serde_json::{json, Value};

fn cases(class: &str) -> Vec<Value> {
    let f = fixture("augmentation_layers.json");
    let out: Vec<Value> = f["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["class"] == class)
        .cloned()
        .collect();
    assert!(!out.is_empty(), "no {class} cases");
    out
}

fn params(case: &Value) -> Vec<f32> {
    case["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect()
}

/// Each case through `from_config(kwargs)` and a training call.
fn check_called(class: &str, tol: f64) -> usize {
    let mut n = 0;
    for case in cases(class) {
        if case["how"] != "call" {
            continue;
        }
        let name = case["name"].as_str().unwrap();
        let layer = from_config(class, &case["kwargs"]).unwrap_or_else(|e| panic!("{name}: {e}"));
        let y = layer.call_training(&tensor_f32(&case["x"]), true).unwrap();
        assert_close_floor(name, &y, &tensor_f32(&case["y"]), tol);
        n += 1;
    }
    n
}

#[test]
fn rotation_every_fill_mode_and_interpolation() {
    // 3 angles x 4 fill modes x 2 interpolations x (batched, unbatched).
    assert_eq!(check_called("RandomRotation", 1e-5), 48);
}

#[test]
fn zoom_every_fill_mode_and_interpolation() {
    assert_eq!(check_called("RandomZoom", 1e-5), 32);
}

#[test]
fn translation_every_fill_mode_and_interpolation() {
    assert_eq!(check_called("RandomTranslation", 1e-5), 32);
}

#[test]
fn brightness_fixed_deltas() {
    assert_eq!(check_called("RandomBrightness", 1e-6), 4);
}

#[test]
fn contrast_identity_factor_and_fixed_factors() {
    assert_eq!(check_called("RandomContrast", 1e-6), 1);
    for case in cases("RandomContrast") {
        if case["how"] != "transform" {
            continue;
        }
        let kw = &case["kwargs"];
        let vr = kw["value_range"].as_array().unwrap();
        let l = RandomContrast::new(kw["factor"].as_f64().unwrap())
            .unwrap()
            .value_range(vr[0].as_f64().unwrap(), vr[1].as_f64().unwrap());
        let y = l.adjust(&tensor_f32(&case["x"]), &params(&case)).unwrap();
        assert_close_floor(
            case["name"].as_str().unwrap(),
            &y,
            &tensor_f32(&case["y"]),
            1e-5,
        );
    }
}

#[test]
fn flip_matches_keras_and_random_calls_pick_an_outcome() {
    for case in cases("RandomFlip") {
        let name = case["name"].as_str().unwrap();
        let mode = case["kwargs"]["mode"].as_str().unwrap();
        let x = tensor_f32(&case["x"]);
        let flipped = tensor_f32(&case["y"]);
        let l = RandomFlip::new(mode).unwrap();
        assert_close_floor(
            name,
            &l.flip_images(&x, &[true, true]).unwrap(),
            &flipped,
            0.0,
        );
        // Random calls: every image is either unchanged or Keras's flip of it, and over
        // many seeds both outcomes occur.
        let (mut seen_id, mut seen_flip) = (false, false);
        for seed in 0..20 {
            let layer = LayerRef::new(RandomFlip::new(mode).unwrap().seed(seed));
            let y = layer.call_training(&x, true).unwrap();
            for i in 0..2 {
                let yi = y
                    .slice(&[i, 0, 0, 0], &[1, -1, -1, -1])
                    .unwrap()
                    .to_vec::<f32>();
                let xi = x
                    .slice(&[i, 0, 0, 0], &[1, -1, -1, -1])
                    .unwrap()
                    .to_vec::<f32>();
                let fi = flipped
                    .slice(&[i, 0, 0, 0], &[1, -1, -1, -1])
                    .unwrap()
                    .to_vec::<f32>();
                let (yi, xi, fi) = (yi.unwrap(), xi.unwrap(), fi.unwrap());
                assert!(yi == xi || yi == fi, "{name} seed {seed}: image {i}");
                seen_id |= yi == xi;
                seen_flip |= yi == fi;
            }
        }
        assert!(seen_id && seen_flip, "{name}: both outcomes over 20 seeds");
    }
}

#[test]
fn crop_centre_paths_match_keras() {
    // Equal height (slice only), smaller (slice then bilinear resize), equal size, wide.
    assert_eq!(check_called("RandomCrop", 1e-5), 4);
}

#[test]
fn random_crop_is_a_window_and_inference_is_identity() {
    let x = Tensor::from_vec((0..2 * 6 * 7).map(|v| v as f32).collect(), &[2, 6, 7, 1]).unwrap();
    let mut offsets = std::collections::HashSet::new();
    for seed in 0..40 {
        let l = LayerRef::new(RandomCrop::new(3, 4).unwrap().seed(seed));
        let y = l.call_training(&x, true).unwrap();
        assert_eq!(y.shape(), &[2, 3, 4, 1]);
        let v = y.to_vec::<f32>().unwrap();
        let (r, c) = ((v[0] as usize) / 7, (v[0] as usize) % 7);
        assert!(r <= 3 && c <= 3, "offset ({r}, {c}) out of range");
        let want = x
            .slice(&[0, r as isize, c as isize, 0], &[-1, 3, 4, -1])
            .unwrap();
        assert_eq!(
            v,
            want.to_vec::<f32>().unwrap(),
            "seed {seed}: a window, same for the batch"
        );
        offsets.insert((r, c));
        assert_eq!(
            l.call(&x).unwrap().to_vec::<f32>().unwrap(),
            x.to_vec::<f32>().unwrap()
        );
    }
    // 16 possible offsets; 40 seeds reach most of them, including the corners' rows.
    assert!(offsets.len() >= 10, "offsets drawn: {offsets:?}");
    assert!(offsets.iter().any(|o| o.0 == 0) && offsets.iter().any(|o| o.0 == 3));
}

fn all_layers(seed: u64) -> Vec<(&'static str, LayerRef)> {
    vec![
        (
            "RandomRotation",
            LayerRef::new(RandomRotation::new(0.3).unwrap().seed(seed)),
        ),
        (
            "RandomZoom",
            LayerRef::new(RandomZoom::new(0.3).unwrap().seed(seed)),
        ),
        (
            "RandomTranslation",
            LayerRef::new(RandomTranslation::new(0.3, 0.3).unwrap().seed(seed)),
        ),
        (
            "RandomFlip",
            LayerRef::new(
                RandomFlip::new("horizontal_and_vertical")
                    .unwrap()
                    .seed(seed),
            ),
        ),
        (
            "RandomContrast",
            LayerRef::new(RandomContrast::new(0.5).unwrap().seed(seed)),
        ),
        (
            "RandomBrightness",
            LayerRef::new(RandomBrightness::new(0.3).unwrap().seed(seed)),
        ),
        (
            "RandomCrop",
            LayerRef::new(RandomCrop::new(5, 5).unwrap().seed(seed)),
        ),
    ]
}

fn sample_images() -> Tensor {
    let v: Vec<f32> = (0..4 * 8 * 9 * 3)
        .map(|i| ((i * 37) % 251) as f32)
        .collect();
    Tensor::from_vec(v, &[4, 8, 9, 3]).unwrap()
}

#[test]
fn inference_is_identity_up_to_the_f32_cast() {
    let x = sample_images();
    for (name, l) in all_layers(1) {
        let y = l.call(&x).unwrap();
        assert_eq!(
            y.to_vec::<f32>().unwrap(),
            x.to_vec::<f32>().unwrap(),
            "{name}"
        );
        let y = l.call_training(&x, false).unwrap();
        assert_eq!(y.shape(), x.shape(), "{name}");
    }
    // The geometric layers and RandomFlip cast integer images to f32, as Keras does;
    // RandomBrightness, RandomContrast and RandomCrop return them untouched.
    let xu = x.cast(DType::U8).unwrap();
    for (name, l) in all_layers(1) {
        let y = l.call(&xu).unwrap();
        let want = match name {
            "RandomBrightness" | "RandomContrast" | "RandomCrop" => DType::U8,
            _ => DType::F32,
        };
        assert_eq!(y.dtype(), want, "{name}");
    }
}

#[test]
fn same_seed_same_output_different_seeds_differ() {
    let x = sample_images();
    for ((name, a), (_, b)) in all_layers(5).into_iter().zip(all_layers(5)) {
        let ya = a.call_training(&x, true).unwrap().to_vec::<f32>().unwrap();
        let yb = b.call_training(&x, true).unwrap().to_vec::<f32>().unwrap();
        assert_eq!(ya, yb, "{name}: same seed");
        // A second call continues the stream.
        let ya2 = a.call_training(&x, true).unwrap().to_vec::<f32>().unwrap();
        let yc = all_layers(6)
            .into_iter()
            .find(|(n, _)| *n == name)
            .unwrap()
            .1
            .call_training(&x, true)
            .unwrap()
            .to_vec::<f32>()
            .unwrap();
        assert!(
            ya != ya2 || ya != yc,
            "{name}: the stream must move on or differ by seed"
        );
        if name != "RandomFlip" {
            assert_ne!(ya, yc, "{name}: seeds 5 and 6");
        }
    }
}

fn span(v: &[f32]) -> (f32, f32) {
    v.iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        })
}

#[test]
fn drawn_parameters_span_the_documented_ranges() {
    let n = 4000;
    // RandomRotation(0.2): angles in [-72, 72] degrees, mean about 0.
    let a = RandomRotation::new(0.2)
        .unwrap()
        .seed(1)
        .random_angles(n)
        .unwrap();
    let (lo, hi) = span(&a);
    assert!(
        (-72.0..-70.0).contains(&lo) && (70.0..72.0).contains(&hi),
        "{lo} {hi}"
    );
    let mean = a.iter().sum::<f32>() / n as f32;
    assert!(mean.abs() < 3.0, "{mean}");
    // (-0.2, 0.3) -> [-72, 108].
    let a = RandomRotation::new((0.3, -0.2))
        .unwrap()
        .seed(2)
        .random_angles(n)
        .unwrap();
    let (lo, hi) = span(&a);
    assert!(
        (-72.0..-70.0).contains(&lo) && (106.0..108.0).contains(&hi),
        "{lo} {hi}"
    );
    // RandomZoom: height (-0.5, 0.2) -> [0.5, 1.2]; no width_factor: width = height.
    let z = RandomZoom::new((-0.5, 0.2))
        .unwrap()
        .seed(3)
        .random_zooms(n)
        .unwrap();
    assert!(z.iter().all(|&(h, w)| h == w));
    let (lo, hi) = span(&z.iter().map(|p| p.0).collect::<Vec<_>>());
    assert!(
        (0.5..0.51).contains(&lo) && (1.19..1.2).contains(&hi),
        "{lo} {hi}"
    );
    let z = RandomZoom::new(0.1)
        .unwrap()
        .width_factor((0.4, 0.6))
        .unwrap()
        .seed(4)
        .random_zooms(n)
        .unwrap();
    let (lo, hi) = span(&z.iter().map(|p| p.1).collect::<Vec<_>>());
    assert!(
        (1.4..1.41).contains(&lo) && (1.59..1.6).contains(&hi),
        "{lo} {hi}"
    );
    // RandomTranslation(0.25, (-0.5, 0)) on 8 x 10: rows [-2, 2], columns [-5, 0].
    let t = RandomTranslation::new(0.25, (-0.5, 0.0))
        .unwrap()
        .seed(5)
        .random_translations(n, 8, 10)
        .unwrap();
    let (lo, hi) = span(&t.iter().map(|p| p.0).collect::<Vec<_>>());
    assert!(
        (-2.0..-1.95).contains(&lo) && (1.95..2.0).contains(&hi),
        "{lo} {hi}"
    );
    let (lo, hi) = span(&t.iter().map(|p| p.1).collect::<Vec<_>>());
    assert!(
        (-5.0..-4.95).contains(&lo) && (-0.05..=0.0).contains(&hi),
        "{lo} {hi}"
    );
    // RandomContrast(0.4): Keras's single factor means (0, 0.4), so c in [1, 1.4].
    let c = RandomContrast::new(0.4)
        .unwrap()
        .seed(6)
        .random_factors(n)
        .unwrap();
    let (lo, hi) = span(&c);
    assert!(
        (1.0..1.01).contains(&lo) && (1.39..1.4).contains(&hi),
        "{lo} {hi}"
    );
    let c = RandomContrast::new((0.3, 0.3))
        .unwrap()
        .seed(7)
        .random_factors(n)
        .unwrap();
    let (lo, hi) = span(&c);
    assert!(
        (0.7..0.71).contains(&lo) && (1.29..1.3).contains(&hi),
        "{lo} {hi}"
    );
    // RandomBrightness(0.1) on (0, 255): deltas in [-25.5, 25.5].
    let d = RandomBrightness::new(0.1)
        .unwrap()
        .seed(8)
        .random_deltas(n)
        .unwrap();
    let (lo, hi) = span(&d);
    assert!(
        (-25.5..-25.0).contains(&lo) && (25.0..25.5).contains(&hi),
        "{lo} {hi}"
    );
    // RandomFlip: about half the draws flip.
    let f = RandomFlip::new("horizontal")
        .unwrap()
        .seed(9)
        .random_flips(n)
        .unwrap();
    let k = f.iter().filter(|&&b| b).count();
    assert!((1800..2200).contains(&k), "{k}");
    // RandomCrop offsets cover [0, H - h] x [0, W - w].
    let mut l = RandomCrop::new(2, 3).unwrap().seed(10);
    let o: Vec<(usize, usize)> = (0..400).map(|_| l.random_offset(5, 6).unwrap()).collect();
    assert_eq!(o.iter().map(|p| p.0).max(), Some(3));
    assert_eq!(o.iter().map(|p| p.1).max(), Some(3));
    assert_eq!(o.iter().map(|p| p.0).min(), Some(0));
}

#[test]
fn configs_have_keras_keys_and_round_trip() {
    let keys = |c: &Value| {
        let mut k: Vec<String> = c.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let base = ["dtype", "name", "trainable"];
    let expect: Vec<(&str, Vec<&str>)> = vec![
        (
            "RandomRotation",
            vec![
                "data_format",
                "factor",
                "fill_mode",
                "fill_value",
                "interpolation",
                "seed",
            ],
        ),
        (
            "RandomZoom",
            vec![
                "data_format",
                "fill_mode",
                "fill_value",
                "height_factor",
                "interpolation",
                "seed",
                "width_factor",
            ],
        ),
        (
            "RandomTranslation",
            vec![
                "data_format",
                "fill_mode",
                "fill_value",
                "height_factor",
                "interpolation",
                "seed",
                "width_factor",
            ],
        ),
        ("RandomFlip", vec!["data_format", "mode", "seed"]),
        (
            "RandomContrast",
            vec!["data_format", "factor", "seed", "value_range"],
        ),
        (
            "RandomBrightness",
            vec!["data_format", "factor", "seed", "value_range"],
        ),
        ("RandomCrop", vec!["data_format", "height", "seed", "width"]),
    ];
    for ((name, l), (class, want)) in all_layers(3).into_iter().zip(expect) {
        assert_eq!(name, class);
        let c = l.get_config();
        let mut want: Vec<String> = want
            .iter()
            .chain(base.iter())
            .map(|s| s.to_string())
            .collect();
        want.sort();
        let mut got = keys(&c);
        got.retain(|k| want.contains(k) || !base.contains(&k.as_str()));
        assert_eq!(got, want, "{class} config keys");
        let again = from_config(class, &c).unwrap();
        assert_eq!(again.get_config(), c, "{class} round trip");
    }
    // Keras's own configs (as written by Keras 3.15) load.
    let rot = from_config(
        "RandomRotation",
        &json!({"name": "random_rotation", "trainable": true, "data_format": "channels_last",
                "factor": [-0.5, 0.5], "fill_mode": "reflect", "fill_value": 0.0,
                "interpolation": "bilinear", "seed": null}),
    )
    .unwrap();
    assert_eq!(rot.get_config()["factor"], json!([-0.5, 0.5]));
    let zoom = from_config(
        "RandomZoom",
        &json!({"height_factor": 0.5, "width_factor": null}),
    )
    .unwrap();
    assert_eq!(zoom.get_config()["width_factor"], Value::Null);
    assert_eq!(zoom.get_config()["height_factor"], json!(0.5));
}

#[test]
fn bad_arguments_are_errors_as_in_keras() {
    let msg = |r: kiln::Result<LayerRef>| r.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(RandomRotation::new(1.5).is_err());
    assert!(RandomRotation::new((1.5, 2.0)).is_err());
    assert!(
        RandomRotation::new((-2.0, 3.0)).is_ok(),
        "Keras accepts a straddling pair"
    );
    assert!(RandomContrast::new(-0.3).is_err());
    assert!(RandomBrightness::new(-1.5).is_err());
    assert!(RandomZoom::new(-1.0).is_err());
    assert!(RandomZoom::new(1.0).is_ok());
    assert!(RandomZoom::new(0.2)
        .unwrap()
        .width_factor((-1.0, 0.5))
        .is_err());
    assert!(RandomTranslation::new(-1.0, 1.0).is_ok());
    assert!(RandomTranslation::new(0.1, 1.01).is_err());
    assert!(RandomCrop::new(0, 3).is_err());
    assert!(RandomFlip::new("diagonal").is_err());
    let e = msg(from_config(
        "RandomRotation",
        &json!({"factor": 0.1, "fill_mode": "mirror"}),
    ));
    assert!(e.contains("fill_mode") && e.contains("mirror"), "{e}");
    let e = msg(from_config(
        "RandomZoom",
        &json!({"height_factor": 0.1, "interpolation": "bicubic"}),
    ));
    assert!(e.contains("interpolation") && e.contains("bicubic"), "{e}");
    let e = msg(from_config(
        "RandomBrightness",
        &json!({"factor": 0.1, "value_range": 3}),
    ));
    assert!(e.contains("value_range"), "{e}");
    let e = msg(from_config("RandomRotation", &json!({"factor": [0.1]})));
    assert!(e.contains("factor"), "{e}");
    let e = msg(from_config(
        "RandomFlip",
        &json!({"data_format": "channels_middle"}),
    ));
    assert!(e.contains("data_format"), "{e}");
    // Bad inputs.
    let l = LayerRef::new(RandomRotation::new(0.1).unwrap());
    let e = l
        .call_training(&Tensor::zeros(&[4, 4], DType::F32), true)
        .unwrap_err();
    assert!(e.to_string().contains("rank"), "{e}");
    let b = LayerRef::new(RandomBrightness::new(0.1).unwrap());
    let e = b
        .call_training(&Tensor::zeros(&[2, 2, 1], DType::U8), true)
        .unwrap_err();
    assert!(e.to_string().contains("float"), "{e}");
}

#[test]
fn channels_first_matches_channels_last() {
    let x = sample_images();
    let xf = x.permute(&[0, 3, 1, 2]).unwrap();
    let back = |t: Tensor| t.permute(&[0, 2, 3, 1]).unwrap().to_vec::<f32>().unwrap();
    let rot = RandomRotation::new(0.1).unwrap().fill_mode("wrap").unwrap();
    let a = rot.rotate(&x, &[30.0]).unwrap().to_vec::<f32>().unwrap();
    let rot = rot.data_format("channels_first").unwrap();
    assert_eq!(back(rot.rotate(&xf, &[30.0]).unwrap()), a);
    let crop = RandomCrop::new(5, 4).unwrap();
    let a = crop.crop_at(&x, 1, 2).unwrap().to_vec::<f32>().unwrap();
    let crop = crop.data_format("channels_first").unwrap();
    assert_eq!(back(crop.crop_at(&xf, 1, 2).unwrap()), a);
    let flip = RandomFlip::new("horizontal").unwrap();
    let a = flip
        .flip_images(&x, &[true, false, true, false])
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
    let flip = flip.data_format("channels_first").unwrap();
    assert_eq!(
        back(flip.flip_images(&xf, &[true, false, true, false]).unwrap()),
        a
    );
    let con = RandomContrast::new(0.5).unwrap();
    let a = con.adjust(&x, &[1.3]).unwrap().to_vec::<f32>().unwrap();
    let con = con.data_format("channels_first").unwrap();
    let b = back(con.adjust(&xf, &[1.3]).unwrap());
    for (p, q) in a.iter().zip(&b) {
        assert!((p - q).abs() <= 1e-4, "{p} vs {q}");
    }
}

#[test]
fn gradients_flow_through_the_tensor_op_layers() {
    // Flip, brightness, contrast and crop are tensor ops: d sum(y * w) / dx is w mapped
    // back through the op (1 where brightness did not clip).
    let x = Tensor::from_vec(vec![10.0f32, 20.0, 250.0, 40.0], &[1, 2, 2, 1]).unwrap();
    let w = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[1, 2, 2, 1]).unwrap();
    let grad = |f: &dyn Fn(&Tensor) -> Tensor| {
        let tape = GradientTape::new();
        tape.watch(&x);
        let obj = f(&x).mul(&w).unwrap().sum_all().unwrap();
        tape.gradient(&obj, &[&x]).unwrap()[0]
            .as_ref()
            .unwrap()
            .to_vec::<f32>()
            .unwrap()
    };
    let flip = RandomFlip::new("horizontal").unwrap();
    assert_eq!(
        grad(&|x| flip.flip_images(x, &[true]).unwrap()),
        vec![2.0, 1.0, 4.0, 3.0]
    );
    let b = RandomBrightness::new(0.1).unwrap();
    assert_eq!(
        grad(&|x| b.adjust(x, &[10.0]).unwrap()),
        vec![1.0, 2.0, 0.0, 4.0]
    );
    let crop = RandomCrop::new(1, 2).unwrap();
    assert_eq!(
        grad(&|x| crop.crop_at(x, 1, 0).unwrap()),
        vec![0.0, 0.0, 4.0, 6.0]
    );
    let c = RandomContrast::new(0.5).unwrap().value_range(-1e9, 1e9);
    // y = (x - m) c + m: dy/dx = c w + (1 - c) mean(w) = 2 w - 2.5.
    assert_eq!(
        grad(&|x| c.adjust(x, &[2.0]).unwrap()),
        vec![-0.5, 1.5, 3.5, 5.5]
    );
}
