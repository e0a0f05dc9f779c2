//! The losses added for issue 26 (BinaryFocalCrossentropy, CategoricalFocalCrossentropy,
//! CategoricalGeneralizedCrossEntropy, Dice, Tversky, Circle, CTC) against Keras 3.15
//! (tools/golden/gen_losses_extra.py → fixtures/losses_extra.json): values under every
//! reduction with and without sample weights, gradients with respect to y_pred, configs
//! (built from Keras's arguments, written back as Keras writes them, resolved by name),
//! finite-difference checks of the gradients, `.keras` round trips when compiled, and
//! Keras's errors.

mod common;

use kiln::layers::*;
use kiln::losses::{self, Loss};
use kiln::models::{CompileArgs, Model};
use kiln_tensor::{DType, GradientTape, Tensor};
use serde_json::{json, Value};

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tools/golden/fixtures/losses_extra.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn close(what: &str, got: &Tensor, want: &Tensor, rtol: f64, atol: f64) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    for (i, (a, b)) in got.to_f64_vec().iter().zip(want.to_f64_vec()).enumerate() {
        assert!(
            (a - b).abs() <= atol + rtol * b.abs(),
            "{what}[{i}]: kiln {a} vs keras {b}"
        );
    }
}

fn build(c: &Value, reduction: &Value) -> Box<dyn Loss> {
    let mut config = c["kwargs"].clone();
    config["reduction"] = reduction.clone();
    losses::deserialize(&json!({"class_name": c["class"], "config": config})).unwrap()
}

#[test]
fn values_and_gradients_match_keras() {
    let doc = fixture();
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 15);
    for c in cases {
        let id = c["id"].as_str().unwrap();
        let y = common::tensor(&c["y_true"]);
        let p = common::tensor(&c["y_pred"]);
        let sw = common::tensor(&c["sample_weight"]);
        for run in c["runs"].as_array().unwrap() {
            let loss = build(c, &run["reduction"]);
            let what = format!("{id} {} w={}", run["reduction"], run["weighted"]);
            let w = run["weighted"].as_bool().unwrap().then_some(&sw);
            let tape = GradientTape::new();
            tape.watch(&p);
            let out = loss.compute(&y, &p, w).unwrap();
            let total = out.sum(&[], false).unwrap();
            let g = tape.gradient(&total, &[&p]).unwrap().remove(0).unwrap();
            close(&what, &out, &common::tensor(&run["output"]), 2e-5, 1e-6);
            close(
                &format!("{what} grad"),
                &g,
                &common::tensor(&run["grad_y_pred"]),
                2e-4,
                2e-5,
            );
        }
    }
}

#[test]
fn configs_are_keras_and_resolve_by_name() {
    for c in fixture()["cases"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let class = c["class"].as_str().unwrap();
        let loss = build(c, &json!("sum_over_batch_size"));
        let mut ours = loss.get_config();
        ours.as_object_mut().unwrap().remove("dtype");
        assert_eq!(ours, c["config"], "{id}: get_config");
        assert_eq!(loss.class_name(), class, "{id}");
        // The class name and the function name both resolve, with Keras's defaults.
        let by_class = losses::get(class).unwrap();
        assert_eq!(by_class.class_name(), class, "{id}");
        let snake = by_class.name().to_string();
        assert_eq!(losses::get(&snake).unwrap().class_name(), class, "{id}");
        // get_config → deserialize gives the same loss.
        let again = losses::deserialize(&json!({"class_name": class, "config": loss.get_config()}))
            .unwrap();
        assert_eq!(again.get_config(), loss.get_config(), "{id}");
    }
}

#[test]
fn keras_errors() {
    for e in fixture()["errors"].as_array().unwrap() {
        let msg = e["message"].as_str().unwrap();
        let err = match e["class"].as_str().unwrap() {
            "CTC" => {
                let shape = |k: &str| -> Vec<usize> {
                    e[k].as_array()
                        .unwrap()
                        .iter()
                        .map(|d| d.as_u64().unwrap() as usize)
                        .collect()
                };
                let y = Tensor::zeros(&shape("y_true_shape"), DType::I32);
                let p = Tensor::zeros(&shape("y_pred_shape"), DType::F32);
                losses::CTC::new().compute(&y, &p, None).unwrap_err()
            }
            class => losses::deserialize(&json!({"class_name": class, "config": e["kwargs"]}))
                .err()
                .unwrap(),
        };
        assert!(err.to_string().contains(msg), "{err} lacks Keras's {msg:?}");
    }
    // Shapes that do not match, and a reduction Keras does not know.
    let a = Tensor::zeros(&[2, 3], DType::F32);
    let b = Tensor::zeros(&[2, 4], DType::F32);
    assert!(losses::Dice::new().compute(&a, &b, None).is_err());
    assert!(losses::BinaryFocalCrossentropy::new()
        .compute(&a, &b, None)
        .is_err());
    let err = losses::deserialize(&json!({"class_name": "Dice", "config": {"reduction": "avg"}}))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("Invalid value for argument `reduction`"),
        "{err}"
    );
    let labels = Tensor::from_vec(vec![9i64, 0], &[1, 2]).unwrap();
    let logits = Tensor::zeros(&[1, 4, 3], DType::F32);
    assert!(losses::ctc(&labels, &logits).is_err());
}

/// Central differences in f64 against the tape's gradient of the summed loss.
fn finite_difference(loss: &dyn Loss, y: &Tensor, p: &Tensor) {
    let p = p.cast(DType::F64).unwrap();
    let tape = GradientTape::new();
    tape.watch(&p);
    let total = loss.compute(y, &p, None).unwrap().sum(&[], false).unwrap();
    let g = tape
        .gradient(&total, &[&p])
        .unwrap()
        .remove(0)
        .unwrap()
        .to_f64_vec();
    drop(tape);
    let base = p.to_f64_vec();
    let h = 1e-6;
    for i in (0..base.len()).step_by(3) {
        let at = |d: f64| {
            let mut v = base.clone();
            v[i] += d;
            let q = Tensor::from_vec(v, p.shape()).unwrap();
            loss.compute(y, &q, None)
                .unwrap()
                .sum(&[], false)
                .unwrap()
                .to_f64_vec()[0]
        };
        let fd = (at(h) - at(-h)) / (2.0 * h);
        assert!(
            (fd - g[i]).abs() <= 1e-5 * (1.0 + fd.abs()),
            "{}: d/dy_pred[{i}] tape {} vs finite difference {fd}",
            loss.class_name(),
            g[i]
        );
    }
}

#[test]
fn gradients_match_finite_differences() {
    for c in fixture()["cases"].as_array().unwrap() {
        let loss = build(c, &json!("sum_over_batch_size"));
        let y = common::tensor(&c["y_true"]);
        let y = if y.dtype().is_float() {
            y.cast(DType::F64).unwrap()
        } else {
            y
        };
        finite_difference(&*loss, &y, &common::tensor(&c["y_pred"]));
    }
}

#[test]
fn compiled_losses_save_and_load_in_keras_files() {
    let dir = std::env::temp_dir().join(format!("kiln-losses-extra-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let made: Vec<Box<dyn Loss>> = vec![
        Box::new(
            losses::BinaryFocalCrossentropy::new()
                .gamma(3.0)
                .apply_class_balancing(true),
        ),
        Box::new(losses::Tversky::new().alpha(0.3).beta(0.7)),
        Box::new(losses::Dice::new().axis(losses::LossAxis::Many(vec![1]))),
        Box::new(losses::CategoricalFocalCrossentropy::new().alpha(0.5)),
    ];
    for (k, loss) in made.into_iter().enumerate() {
        let want = loss.get_config();
        kiln::utils::clear_session();
        let x = Input::new(&[Some(3)]).build();
        let out = Dense::new(2).activation("sigmoid").apply(&x).unwrap();
        let mut m = Model::new(&[x], &[out]).unwrap();
        m.compile(CompileArgs::new().optimizer("sgd").loss(loss))
            .unwrap();
        let xs = Tensor::ones(&[4, 3], DType::F32);
        let ys =
            Tensor::from_vec(vec![1.0f32, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0], &[4, 2]).unwrap();
        m.train_on_batch(&xs, &ys, None).unwrap();
        let path = dir.join(format!("m{k}.keras"));
        m.save(&path).unwrap();
        let back = kiln::saving::load_model(&path).unwrap();
        let cc = back.get_compile_config().unwrap();
        let saved = &cc["loss"];
        let config = if saved.is_string() {
            Value::Null
        } else {
            saved["config"].clone()
        };
        assert_eq!(config, want, "model {k}: compile_config loss {saved}");
        assert_eq!(saved["module"], "keras.losses", "model {k}");
    }
}
