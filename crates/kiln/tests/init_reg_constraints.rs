//! Initializers (Keras's formulas, checked by statistics), regularizer penalties,
//! constraints applied after each step, and config round trips.

use kiln::constraints::Constraint;
use kiln::initializers::{compute_fans, Initializer};
use kiln::layers::{deserialize, from_config, Dense, LayerRef};
use kiln::models::EvaluateArgs;
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln::optimizers::SGD;
use kiln::regularizers::Regularizer;
use kiln_tensor::{DType, Tensor};

fn stats(t: &Tensor) -> (f64, f64, f64) {
    let v = t.to_f64_vec();
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let maxabs = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    (mean, var.sqrt(), maxabs)
}

#[test]
fn variance_scaling_family_has_keras_spreads() {
    let shape = [400, 300];
    let (fi, fo) = compute_fans(&shape);
    let cases = [
        (
            "glorot_uniform",
            (6.0 / (fi + fo)).sqrt() / 3f64.sqrt(),
            Some((6.0 / (fi + fo)).sqrt()),
        ),
        (
            "he_uniform",
            (6.0 / fi).sqrt() / 3f64.sqrt(),
            Some((6.0 / fi).sqrt()),
        ),
        (
            "lecun_uniform",
            (3.0 / fi).sqrt() / 3f64.sqrt(),
            Some((3.0 / fi).sqrt()),
        ),
        ("glorot_normal", (2.0 / (fi + fo)).sqrt(), None),
        ("he_normal", (2.0 / fi).sqrt(), None),
        ("lecun_normal", (1.0 / fi).sqrt(), None),
    ];
    for (name, std, limit) in cases {
        let t = Initializer::get(name)
            .unwrap()
            .call(&shape, DType::F32)
            .unwrap();
        let (mean, sd, maxabs) = stats(&t);
        assert!(mean.abs() < 0.05 * std, "{name}: mean {mean}");
        assert!((sd - std).abs() < 0.03 * std, "{name}: std {sd} vs {std}");
        match limit {
            Some(l) => assert!(maxabs <= l + 1e-7, "{name}: {maxabs} > {l}"),
            // Truncated at two (pre-rescale) standard deviations.
            None => assert!(
                maxabs <= 2.0 * std / 0.879_625_661_034_239_8 + 1e-6,
                "{name}"
            ),
        }
    }
}

#[test]
fn orthogonal_and_identity() {
    for shape in [[6usize, 4], [4, 6]] {
        let q = Initializer::Orthogonal {
            gain: 1.0,
            seed: Some(3),
        }
        .call(&shape, DType::F64)
        .unwrap();
        // Rows or columns are orthonormal, whichever is fewer.
        let g = if shape[0] >= shape[1] {
            q.transpose(None).unwrap().matmul(&q).unwrap()
        } else {
            q.matmul(&q.transpose(None).unwrap()).unwrap()
        };
        let k = shape[0].min(shape[1]);
        let v = g.to_f64_vec();
        for i in 0..k {
            for j in 0..k {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((v[i * k + j] - want).abs() < 1e-9, "{shape:?} {v:?}");
            }
        }
    }
    assert!(Initializer::Identity { gain: 1.0 }
        .call(&[2, 2, 2], DType::F32)
        .is_err());
}

#[test]
fn seeded_initializers_repeat() {
    let a = Initializer::GlorotUniform(Some(5))
        .call(&[3, 3], DType::F32)
        .unwrap();
    let b = Initializer::GlorotUniform(Some(5))
        .call(&[3, 3], DType::F32)
        .unwrap();
    assert_eq!(a.to_vec::<f32>().unwrap(), b.to_vec::<f32>().unwrap());
}

#[test]
fn regularizer_penalty_enters_the_loss() {
    let mut m = Model::sequential(vec![Dense::new(1)
        .kernel_initializer(Initializer::Constant(2.0))
        .kernel_regularizer(Regularizer::L2(0.5))
        .input_shape(&[2])
        .into()])
    .unwrap();
    m.compile(CompileArgs::new().loss("mse")).unwrap();
    let x = Tensor::zeros(&[4, 2], DType::F32);
    let y = Tensor::zeros(&[4, 1], DType::F32);
    // Prediction error is 0; the loss is 0.5 * (2^2 + 2^2).
    let loss = m
        .evaluate(&x, &y, EvaluateArgs::new().batch_size(4).verbose(0))
        .unwrap()
        .get("loss")
        .unwrap();
    assert!((loss - 4.0).abs() < 1e-6, "{loss}");
}

#[test]
fn constraints_apply_after_each_step() {
    let mut m = Model::sequential(vec![Dense::new(3)
        .kernel_constraint(Constraint::NonNeg)
        .bias_constraint(Constraint::MaxNorm {
            max_value: 0.1,
            axis: 0,
        })
        .input_shape(&[4])
        .into()])
    .unwrap();
    m.compile(CompileArgs::new().optimizer(SGD::new(1.0)).loss("mse"))
        .unwrap();
    let x = Tensor::ones(&[8, 4], DType::F32);
    let y = Tensor::full(&[8, 3], -5.0, DType::F32);
    m.fit(&x, &y, FitArgs::new().epochs(3).batch_size(8).verbose(0))
        .unwrap();
    let w = m.get_weights();
    assert!(w[0].to_vec::<f32>().unwrap().iter().all(|&v| v >= 0.0));
    let b = w[1].to_vec::<f32>().unwrap();
    let norm = b.iter().map(|v| v * v).sum::<f32>().sqrt();
    assert!(norm <= 0.1 + 1e-6, "{b:?}");
}

#[test]
fn dense_config_round_trip() {
    let d = LayerRef::new(
        Dense::new(5)
            .activation("tanh")
            .use_bias(false)
            .kernel_initializer(Initializer::HeNormal(Some(1)))
            .kernel_regularizer(Regularizer::L1L2 { l1: 0.1, l2: 0.2 })
            .kernel_constraint(Constraint::UnitNorm { axis: 0 })
            .name("round_trip"),
    );
    let cfg = d.get_config();
    let copy = from_config("Dense", &cfg).unwrap();
    assert_eq!(copy.get_config(), cfg);
    let via = deserialize(&serde_json::json!({"class_name": "Dense", "config": cfg})).unwrap();
    assert_eq!(via.name(), "round_trip");
    let e = from_config("Dense", &serde_json::json!({"units": "five"}))
        .unwrap_err()
        .to_string();
    assert!(e.contains("units"), "{e}");
}
