//! The random regularization layers (SpatialDropout1D/2D/3D, GaussianNoise,
//! GaussianDropout): what they drop or add, its statistics over many draws, the identity
//! in inference, and their gradients; and ActivityRegularization against Keras 3.15
//! (tools/golden/gen_regularization_layers.py: the penalty, divided by the batch size as
//! Keras does, and its gradient).

mod common;

use common::tensor_f32;
use kiln::layers::{
    from_config, ActivityRegularization, GaussianDropout, GaussianNoise, LayerRef,
    SpatialDropout1D, SpatialDropout2D, SpatialDropout3D,
};
use kiln_tensor::{GradientTape, Tensor};
use serde_json::Value;

/// Positive, non-constant values (so a dropped element, 0, is never an input value).
fn input(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|i| 1.0 + (i % 7) as f32 * 0.25).collect();
    Tensor::from_vec(v, shape).unwrap()
}

/// A fixed cotangent with the same shape.
fn cot(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|i| ((i * 37) % 11) as f32 - 5.0).collect();
    Tensor::from_vec(v, shape).unwrap()
}

/// `(y, dy/dx . w)` of one training-mode call.
fn call_with_grad(layer: &LayerRef, x: &Tensor) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let w = cot(x.shape());
    let tape = GradientTape::new();
    tape.watch(x);
    let y = layer.call_training(x, true).unwrap();
    let obj = y.mul(&w).unwrap().sum_all().unwrap();
    let g = tape.gradient(&obj, &[x]).unwrap().remove(0).unwrap();
    (
        y.to_vec::<f32>().unwrap(),
        g.to_vec::<f32>().unwrap(),
        w.to_vec::<f32>().unwrap(),
    )
}

/// Checks one spatial dropout call on a channels-last input of `shape`: every (sample,
/// channel) feature map is either all zero or all `x / (1 - rate)`, the gradient is
/// `mask / (1 - rate)` times the cotangent, and the dropped fraction is near `rate`.
fn check_spatial(layer: LayerRef, shape: &[usize], rate: f64) {
    let x = input(shape);
    let xv = x.to_vec::<f32>().unwrap();
    let (y, g, w) = call_with_grad(&layer, &x);
    let (n, c) = (shape[0], shape[shape.len() - 1]);
    let spatial = xv.len() / (n * c);
    let scale = 1.0 / (1.0 - rate) as f32;
    let mut dropped = 0usize;
    for b in 0..n {
        for ch in 0..c {
            let idx = |s: usize| (b * spatial + s) * c + ch;
            let kept = y[idx(0)] != 0.0;
            if !kept {
                dropped += 1;
            }
            for s in 0..spatial {
                let i = idx(s);
                let (want_y, want_g) = if kept {
                    (xv[i] * scale, w[i] * scale)
                } else {
                    (0.0, 0.0)
                };
                assert!(
                    (y[i] - want_y).abs() <= 1e-6 * want_y.abs(),
                    "map ({b}, {ch}) element {s}: y {} want {want_y} (kept {kept})",
                    y[i]
                );
                assert!(
                    (g[i] - want_g).abs() <= 1e-6 * (1.0 + want_g.abs()),
                    "map ({b}, {ch}) element {s}: grad {} want {want_g}",
                    g[i]
                );
            }
        }
    }
    let frac = dropped as f64 / (n * c) as f64;
    // n * c >= 2000 maps: the binomial standard deviation is <= 0.011.
    assert!(
        (frac - rate).abs() < 0.05,
        "dropped fraction {frac}, rate {rate}"
    );
    // Inference: the identity.
    let y = layer.call_training(&x, false).unwrap();
    assert_eq!(y.to_vec::<f32>().unwrap(), xv);
    let y = layer.call(&x).unwrap();
    assert_eq!(y.to_vec::<f32>().unwrap(), xv);
}

#[test]
fn spatial_dropout_drops_whole_channels() {
    check_spatial(
        LayerRef::new(SpatialDropout1D::new(0.3).seed(1)),
        &[50, 4, 40],
        0.3,
    );
    check_spatial(
        LayerRef::new(SpatialDropout2D::new(0.5).seed(2)),
        &[40, 3, 2, 60],
        0.5,
    );
    check_spatial(
        LayerRef::new(SpatialDropout3D::new(0.2).seed(3)),
        &[40, 2, 2, 3, 50],
        0.2,
    );
}

#[test]
fn spatial_dropout_channels_first_and_errors() {
    // channels_first: one decision per (sample, axis-1 channel).
    let l = LayerRef::new(
        SpatialDropout2D::new(0.5)
            .seed(4)
            .data_format("channels_first")
            .unwrap(),
    );
    let x = input(&[20, 30, 3, 2]);
    let y = l.call_training(&x, true).unwrap().to_vec::<f32>().unwrap();
    for map in y.chunks(6) {
        let kept = map[0] != 0.0;
        assert!(map.iter().all(|&v| (v != 0.0) == kept), "{map:?}");
    }
    // A wrong rank names the layer and the expected rank.
    let e = LayerRef::new(SpatialDropout2D::new(0.5))
        .call_training(&input(&[2, 3, 4]), true)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("SpatialDropout2D") && e.contains("rank 4"),
        "{e}"
    );
    let e = LayerRef::new(SpatialDropout1D::new(1.0))
        .call_training(&input(&[2, 3, 4]), true)
        .unwrap_err()
        .to_string();
    assert!(e.contains("SpatialDropout1D") && e.contains("rate"), "{e}");
    assert!(SpatialDropout3D::new(0.1).data_format("nchw").is_err());
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
    (m, var.sqrt())
}

#[test]
fn gaussian_noise_statistics_identity_and_gradient() {
    let stddev = 0.7;
    let l = LayerRef::new(GaussianNoise::new(stddev).seed(5));
    let x = input(&[200, 250]);
    let xv = x.to_vec::<f32>().unwrap();
    let (y, g, w) = call_with_grad(&l, &x);
    let noise: Vec<f64> = y.iter().zip(&xv).map(|(a, b)| (a - b) as f64).collect();
    let (m, s) = mean_std(&noise);
    // 50k draws: the mean's standard error is 0.003, the std's 0.0022.
    assert!(m.abs() < 0.015, "noise mean {m}");
    assert!((s - stddev).abs() < 0.015, "noise std {s}");
    // Additive noise: the gradient is the cotangent itself.
    assert_eq!(g, w);
    // A second draw differs; inference is the identity.
    let y2 = l.call_training(&x, true).unwrap().to_vec::<f32>().unwrap();
    assert_ne!(y, y2);
    assert_eq!(
        l.call_training(&x, false).unwrap().to_vec::<f32>().unwrap(),
        xv
    );
    assert_eq!(l.call(&x).unwrap().to_vec::<f32>().unwrap(), xv);
}

#[test]
fn gaussian_dropout_statistics_identity_and_gradient() {
    let rate: f64 = 0.4;
    let want_sd = (rate / (1.0f64 - rate)).sqrt();
    let l = LayerRef::new(GaussianDropout::new(rate).seed(6));
    let x = input(&[200, 250]);
    let xv = x.to_vec::<f32>().unwrap();
    let (y, g, w) = call_with_grad(&l, &x);
    let factor: Vec<f64> = y.iter().zip(&xv).map(|(a, b)| (a / b) as f64).collect();
    let (m, s) = mean_std(&factor);
    assert!((m - 1.0).abs() < 0.02, "factor mean {m}");
    assert!((s - want_sd).abs() < 0.02, "factor std {s} want {want_sd}");
    // Multiplicative noise: the gradient is the noise factor times the cotangent.
    for i in 0..g.len() {
        let want = factor[i] as f32 * w[i];
        assert!(
            (g[i] - want).abs() <= 1e-4 * (1.0 + want.abs()),
            "{i}: {} vs {want}",
            g[i]
        );
    }
    assert_eq!(
        l.call_training(&x, false).unwrap().to_vec::<f32>().unwrap(),
        xv
    );
    assert_eq!(l.call(&x).unwrap().to_vec::<f32>().unwrap(), xv);
}

#[test]
fn activity_regularization_matches_keras() {
    let path = format!(
        "{}/../../tools/golden/fixtures/regularization_layers.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let root: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = root["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let layer = from_config("ActivityRegularization", &case["config"]).unwrap();
        let x = tensor_f32(&case["x"]);
        let tape = GradientTape::new();
        tape.watch(&x);
        let y = layer.call(&x).unwrap();
        assert_eq!(
            y.to_vec::<f32>().unwrap(),
            tensor_f32(&case["y"]).to_vec::<f32>().unwrap(),
            "{name}: y"
        );
        let losses = layer.losses().unwrap();
        assert_eq!(losses.len(), case["n_losses"].as_u64().unwrap() as usize);
        let penalty = losses[0].clone();
        let want = case["penalty"].as_f64().unwrap();
        let got = penalty.to_f64_vec()[0];
        assert!(
            (got - want).abs() <= 1e-5 * (1.0 + want.abs()),
            "{name}: penalty {got} vs keras {want}"
        );
        let obj = y
            .mul(&tensor_f32(&case["cotangent"]))
            .unwrap()
            .sum_all()
            .unwrap()
            .add(&penalty.reshape(&[]).unwrap())
            .unwrap();
        let g = tape.gradient(&obj, &[&x]).unwrap().remove(0).unwrap();
        let want_g = tensor_f32(&case["grad_x"]).to_f64_vec();
        for (i, (a, b)) in g.to_f64_vec().iter().zip(&want_g).enumerate() {
            assert!(
                (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
                "{name} grad[{i}]: {a} vs {b}"
            );
        }
        // The config round-trips with Keras's keys.
        let cfg = layer.get_config();
        for key in ["l1", "l2"] {
            assert_eq!(cfg[key], case["config"][key], "{name}: {key}");
        }
        assert_eq!(
            from_config("ActivityRegularization", &cfg)
                .unwrap()
                .get_config(),
            cfg
        );
    }
    // The struct API gives the same penalty for the same factors.
    let l = LayerRef::new(ActivityRegularization::new(0.5, 0.25));
    let x = Tensor::from_vec(vec![1.0f32, -2.0, 3.0, 0.5], &[2, 2]).unwrap();
    l.call(&x).unwrap();
    let p = l.losses().unwrap()[0].to_f64_vec()[0];
    // (0.5 * 6.5 + 0.25 * 14.25) / batch 2
    assert!((p - (0.5 * 6.5 + 0.25 * 14.25) / 2.0).abs() < 1e-6, "{p}");
}

#[test]
fn dropout_config_round_trips_noise_shape_and_seed() {
    // Keras 3.15's `Dropout(0.3, noise_shape=(None, 1, None), seed=4).get_config()`.
    let keras = serde_json::json!({
        "name": "dropout", "trainable": true,
        "dtype": {"module": "keras", "class_name": "DTypePolicy",
                  "config": {"name": "float32"}, "registered_name": null},
        "rate": 0.3, "seed": 4, "noise_shape": [null, 1, null]
    });
    let d = kiln::layers::from_config("Dropout", &keras).unwrap();
    let c = d.get_config();
    assert_eq!(c["noise_shape"], serde_json::json!([null, 1, null]));
    assert_eq!(c["seed"], 4);
    assert_eq!(c["rate"], 0.3);
    // The mask is shared along the unit axis: every timestep drops the same features.
    let x = kiln_tensor::Tensor::ones(&[2, 5, 8], kiln_tensor::DType::F32);
    let y = d.call_training(&x, true).unwrap().to_vec::<f32>().unwrap();
    for b in 0..2 {
        let row = |t: usize| &y[(b * 5 + t) * 8..(b * 5 + t + 1) * 8];
        for t in 1..5 {
            assert_eq!(row(t), row(0));
        }
    }
    assert!(kiln::layers::from_config("Dropout", &serde_json::json!({"rate": 1.5})).is_err());
}
