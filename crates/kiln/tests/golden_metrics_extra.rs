//! The metrics added for issue 26 (R2Score, PearsonCorrelation, ConcordanceCorrelation,
//! LogCoshError, IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU, PrecisionAtRecall,
//! RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity) against Keras
//! 3.15 (tools/golden/gen_metrics_extra.py → fixtures/metrics_extra.json): result after
//! each of three batches with and without sample weights, after reset_state and one more
//! batch; get_config equal to Keras's and round-tripping; resolution by name; Keras's
//! argument errors; and `.keras` round trips when compiled into a model.

mod common;

use kiln::layers::*;
use kiln::metrics::{self, Metric};
use kiln::models::{CompileArgs, MetricArg, Model};
use kiln_tensor::{DType, Tensor};
use serde_json::Value;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tools/golden/fixtures/metrics_extra.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Keras numbers auto-named objects per process (`io_u_3`); the base name is the class's.
fn base_name(name: &str) -> &str {
    name.rsplit_once('_')
        .filter(|(_, n)| n.chars().all(|c| c.is_ascii_digit()))
        .map_or(name, |(b, _)| b)
}

fn build(c: &Value) -> Box<dyn Metric> {
    let class = c["class"].as_str().unwrap();
    match metrics::from_config(class, &c["kwargs"]) {
        Some(m) => m.unwrap(),
        None => metrics::get(class).unwrap(),
    }
}

#[test]
fn results_match_keras_over_batches_and_resets() {
    let doc = fixture();
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 39);
    for c in cases {
        let id = c["id"].as_str().unwrap();
        let mut m = build(c);
        for (k, u) in c["updates"].as_array().unwrap().iter().enumerate() {
            if u["reset_before"].as_bool().unwrap() {
                m.reset_state();
            }
            let sw = (!u["sample_weight"].is_null()).then(|| common::tensor(&u["sample_weight"]));
            m.update_state(
                &common::tensor(&u["y_true"]),
                &common::tensor(&u["y_pred"]),
                sw.as_ref(),
            )
            .unwrap();
            let want = u["result"].as_f64().unwrap();
            let got = m.result();
            assert!(
                (got - want).abs() <= 1e-5 * (1.0 + want.abs()),
                "{id} after update {}: kiln {got}, Keras {want}",
                k + 1
            );
        }
    }
}

#[test]
fn configs_are_keras_and_round_trip() {
    for c in fixture()["cases"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let class = c["class"].as_str().unwrap();
        let m = build(c);
        assert_eq!(m.class_name(), class, "{id}");
        let ours = m.get_config();
        let theirs = &c["config"];
        for (k, v) in theirs.as_object().unwrap() {
            let mine = &ours[k];
            if k == "name" {
                assert_eq!(mine.as_str(), Some(base_name(v.as_str().unwrap())), "{id}");
            } else {
                assert_eq!(mine, v, "{id}: config '{k}'");
            }
        }
        assert_eq!(
            ours.as_object().unwrap().len(),
            theirs.as_object().unwrap().len(),
            "{id}: {ours} vs {theirs}"
        );
        let again = match metrics::from_config(class, &ours) {
            Some(m) => m.unwrap(),
            None => metrics::get(class).unwrap(),
        };
        assert_eq!(again.get_config(), ours, "{id}");
    }
    // Names resolve as keras.metrics.get resolves them.
    for (name, class) in [
        ("r2_score", "R2Score"),
        ("R2Score", "R2Score"),
        ("pearson_correlation", "PearsonCorrelation"),
        ("ConcordanceCorrelation", "ConcordanceCorrelation"),
        ("log_cosh_error", "LogCoshError"),
        ("LogCoshError", "LogCoshError"),
        ("BinaryIoU", "BinaryIoU"),
    ] {
        assert_eq!(metrics::get(name).unwrap().class_name(), class, "{name}");
    }
    let err = metrics::get("MeanIoU").err().unwrap().to_string();
    assert!(err.contains("needs its arguments"), "{err}");
}

#[test]
fn keras_refuses_these_arguments_and_so_does_kiln() {
    for e in fixture()["errors"].as_array().unwrap() {
        let class = e["class"].as_str().unwrap();
        let msg = e["message"].as_str().unwrap();
        let err = metrics::from_config(class, &e["kwargs"])
            .unwrap()
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains(msg), "{class}: {err} lacks Keras's {msg:?}");
    }
    // Bad shapes.
    let mut r2 = metrics::R2Score::new();
    let v = Tensor::zeros(&[4], DType::F32);
    assert!(r2.update_state(&v, &v, None).is_err());
    let mut iou = metrics::MeanIoU::new(2);
    let a = Tensor::zeros(&[4], DType::I32);
    let b = Tensor::zeros(&[3], DType::I32);
    assert!(iou.update_state(&a, &b, None).is_err());
    let mut par = metrics::PrecisionAtRecall::new(0.5)
        .unwrap()
        .class_id(Some(3));
    let y = Tensor::zeros(&[2, 3], DType::F32);
    assert!(par.update_state(&y, &y, None).is_err());
}

#[test]
fn compiled_metrics_save_and_load_in_keras_files() {
    let dir = std::env::temp_dir().join(format!("kiln-metrics-extra-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    kiln::utils::clear_session();
    let x = Input::new(&[Some(3)]).build();
    let out = Dense::new(2).activation("sigmoid").apply(&x).unwrap();
    let mut m = Model::new(&[x], &[out]).unwrap();
    let made: Vec<Box<dyn Metric>> = vec![
        Box::new(metrics::R2Score::new().num_regressors(1)),
        Box::new(metrics::BinaryIoU::new(&[1], 0.4).unwrap()),
        Box::new(
            metrics::PrecisionAtRecall::new(0.3)
                .unwrap()
                .num_thresholds(20)
                .unwrap(),
        ),
        Box::new(metrics::PearsonCorrelation::new()),
    ];
    let want: Vec<Value> = made.iter().map(|m| m.get_config()).collect();
    m.compile(
        CompileArgs::new()
            .optimizer("sgd")
            .loss("binary_crossentropy")
            .metrics(made.into_iter().map(MetricArg::Object).collect::<Vec<_>>()),
    )
    .unwrap();
    let xs = Tensor::from_vec((0..12).map(|i| i as f32 / 10.0).collect(), &[4, 3]).unwrap();
    let ys = Tensor::from_vec(vec![1.0f32, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0], &[4, 2]).unwrap();
    let logs = m.train_on_batch(&xs, &ys, None).unwrap();
    let path = dir.join("metrics.keras");
    m.save(&path).unwrap();
    let mut back = kiln::saving::load_model(&path).unwrap();
    let cc = back.get_compile_config().unwrap();
    let saved = cc["metrics"].as_array().unwrap();
    assert_eq!(saved.len(), want.len(), "{cc}");
    for (s, w) in saved.iter().zip(&want) {
        assert_eq!(s["module"], "keras.metrics", "{s}");
        assert_eq!(&s["config"], w, "{s}");
    }
    let again = back.train_on_batch(&xs, &ys, None).unwrap();
    for name in [
        "r2_score",
        "binary_io_u",
        "precision_at_recall",
        "pearson_correlation",
    ] {
        assert!(
            logs.get(name).is_some() && again.get(name).is_some(),
            "{name}: {logs:?} / {again:?}"
        );
    }
}
