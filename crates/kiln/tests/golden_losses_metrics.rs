//! Losses (values and gradients w.r.t. y_pred) and metrics against Keras 3.15
//! (tools/golden/gen_losses_metrics.py).

use kiln::losses::*;
use kiln::metrics::*;
use kiln_tensor::{DType, GradientTape, Tensor};
use serde_json::Value;

fn tensor(v: &Value) -> Option<Tensor> {
    if v.is_null() {
        return None;
    }
    let shape: Vec<usize> = v["shape"]
        .as_array()?
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data: Vec<f64> = v["data"]
        .as_array()?
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    let dtype = match v["dtype"].as_str()? {
        "float32" => DType::F32,
        "int32" => DType::I32,
        "int64" => DType::I64,
        d => panic!("dtype {d}"),
    };
    Tensor::from_vec(data, &shape).ok()?.cast(dtype).ok()
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

fn load(family: &str) -> Vec<Value> {
    let path = format!(
        "{}/../../tools/golden/fixtures/{family}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let root: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    root["cases"].as_array().unwrap().clone()
}

fn make_loss(name: &str, kw: &Value, red: Reduction) -> Box<dyn Loss> {
    let b = |k: &str| kw.get(k).and_then(Value::as_bool).unwrap_or(false);
    let f = |k: &str, d: f64| kw.get(k).and_then(Value::as_f64).unwrap_or(d);
    match name {
        "mse" => Box::new(MeanSquaredError::new().reduction(red)),
        "mae" => Box::new(MeanAbsoluteError::new().reduction(red)),
        "mape" => Box::new(MeanAbsolutePercentageError::new().reduction(red)),
        "msle" => Box::new(MeanSquaredLogarithmicError::new().reduction(red)),
        "huber" | "huber_d2" => Box::new(Huber::new().delta(f("delta", 1.0)).reduction(red)),
        "log_cosh" => Box::new(LogCosh::new().reduction(red)),
        "bce" | "bce_logits" | "bce_smooth" => Box::new(
            BinaryCrossentropy::new()
                .from_logits(b("from_logits"))
                .label_smoothing(f("label_smoothing", 0.0))
                .reduction(red),
        ),
        "cce" | "cce_logits" | "cce_smooth" => Box::new(
            CategoricalCrossentropy::new()
                .from_logits(b("from_logits"))
                .label_smoothing(f("label_smoothing", 0.0))
                .reduction(red),
        ),
        "scce" | "scce_col" | "scce_logits" => Box::new(
            SparseCategoricalCrossentropy::new()
                .from_logits(b("from_logits"))
                .reduction(red),
        ),
        "kld" => Box::new(KLDivergence::new().reduction(red)),
        "poisson" => Box::new(Poisson::new().reduction(red)),
        "hinge" | "hinge_pm1" => Box::new(Hinge::new().reduction(red)),
        "squared_hinge" => Box::new(SquaredHinge::new().reduction(red)),
        "categorical_hinge" => Box::new(CategoricalHinge::new().reduction(red)),
        "cosine_similarity" => Box::new(CosineSimilarity::new().reduction(red)),
        other => panic!("no loss for {other}"),
    }
}

#[test]
fn losses_match_keras() {
    let cases = load("losses");
    let mut checked = 0;
    for c in &cases {
        let name = c["name"].as_str().unwrap();
        let red = match c["reduction"].as_str() {
            Some("sum_over_batch_size") => Reduction::SumOverBatchSize,
            Some("sum") => Reduction::Sum,
            Some("mean_with_sample_weight") => Reduction::MeanWithSampleWeight,
            None => Reduction::None,
            Some(r) => panic!("reduction {r}"),
        };
        let loss = make_loss(c["loss"].as_str().unwrap(), &c["kwargs"], red);
        let y = tensor(&c["y_true"]).unwrap();
        let p = tensor(&c["y_pred"]).unwrap();
        let sw = tensor(&c["sample_weight"]);
        let tape = GradientTape::new();
        tape.watch(&p);
        let out = loss.compute(&y, &p, sw.as_ref()).unwrap();
        let total = out.sum(&[], false).unwrap();
        let g = tape
            .gradient(&total, &[&p])
            .unwrap()
            .remove(0)
            .unwrap_or_else(|| p.zeros_like());
        close(
            &format!("{name} output"),
            &out,
            &tensor(&c["output"]).unwrap(),
            1e-5,
            1e-6,
        );
        // Gradients sum many f32 terms; 1e-5 relative plus a small absolute floor.
        close(
            &format!("{name} grad"),
            &g,
            &tensor(&c["grad_y_pred"]).unwrap(),
            1e-5,
            1e-6,
        );
        checked += 1;
    }
    assert_eq!(checked, 23 * 2 * 4 * 2);
}

fn make_metric(name: &str) -> Box<dyn Metric> {
    match name {
        "binary_accuracy" => Box::new(BinaryAccuracy::new()),
        "binary_accuracy_t03" => Box::new(BinaryAccuracy::new().threshold(0.3)),
        "categorical_accuracy" => Box::new(CategoricalAccuracy::new()),
        "sparse_categorical_accuracy" => Box::new(SparseCategoricalAccuracy::new()),
        "top_k_2" => Box::new(TopKCategoricalAccuracy::new().k(2)),
        "sparse_top_k_2" => Box::new(SparseTopKCategoricalAccuracy::new().k(2)),
        "precision_t03" => Box::new(Precision::new().threshold(0.3)),
        "precision_top2" => Box::new(Precision::new().top_k(2)),
        "precision_class1" => Box::new(Precision::new().class_id(1)),
        "precision_top2_class1" => Box::new(Precision::new().top_k(2).class_id(1)),
        "recall_top1" => Box::new(Recall::new().top_k(1)),
        "recall_class2_t03" => Box::new(Recall::new().threshold(0.3).class_id(2)),
        "auc_pr_50" => Box::new(AUC::new().curve(Curve::Pr).num_thresholds(50)),
        "f1_macro" => Box::new(F1Score::new().average(Average::Macro)),
        "f1_micro" => Box::new(F1Score::new().average(Average::Micro)),
        "f1_weighted_t05" => Box::new(F1Score::new().average(Average::Weighted).threshold(0.5)),
        "fbeta2_macro" => Box::new(FBetaScore::new(2.0).average(Average::Macro)),
        other => kiln::metrics::get(other).unwrap(),
    }
}

#[test]
fn metrics_match_keras() {
    let cases = load("metrics");
    let mut checked = 0;
    for c in &cases {
        let name = c["name"].as_str().unwrap();
        let mut m = make_metric(c["metric"].as_str().unwrap());
        for u in c["updates"].as_array().unwrap() {
            let y = tensor(&u["y_true"]).unwrap();
            let p = tensor(&u["y_pred"]).unwrap();
            let sw = tensor(&u["sample_weight"]);
            m.update_state(&y, &p, sw.as_ref()).unwrap();
        }
        let want = c["result"].as_f64().unwrap();
        let got = m.result();
        assert!(
            (got - want).abs() <= 1e-5 * want.abs() + 1e-6,
            "{name}: kiln {got} vs keras {want}"
        );
        m.reset_state();
        assert_eq!(m.result(), 0.0, "{name}: reset");
        checked += 1;
    }
    assert_eq!(checked, 39 * 2);
}
