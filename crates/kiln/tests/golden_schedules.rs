//! Learning-rate schedules against Keras 3.15 (tools/golden/gen_losses_metrics.py →
//! fixtures/schedules.json), evaluated at a few hundred selected steps.

use kiln::optimizers::schedules::*;
use serde_json::Value;

fn build(class: &str, kw: &Value) -> Box<dyn LearningRateSchedule> {
    let f = |k: &str| kw.get(k).and_then(|v| v.as_f64());
    let u = |k: &str| kw[k].as_u64().unwrap();
    let b = |k: &str| kw.get(k).and_then(|v| v.as_bool()).unwrap_or(false);
    let lr0 = || f("initial_learning_rate").unwrap();
    match class {
        "ExponentialDecay" => Box::new(
            ExponentialDecay::new(lr0(), u("decay_steps"), f("decay_rate").unwrap())
                .staircase(b("staircase")),
        ),
        "PiecewiseConstantDecay" => {
            let bs: Vec<u64> = kw["boundaries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect();
            let vs: Vec<f64> = kw["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            Box::new(PiecewiseConstantDecay::new(&bs, &vs).unwrap())
        }
        "PolynomialDecay" => Box::new(
            PolynomialDecay::new(lr0(), u("decay_steps"))
                .end_learning_rate(f("end_learning_rate").unwrap())
                .power(f("power").unwrap())
                .cycle(b("cycle")),
        ),
        "InverseTimeDecay" => Box::new(
            InverseTimeDecay::new(lr0(), u("decay_steps"), f("decay_rate").unwrap())
                .staircase(b("staircase")),
        ),
        "CosineDecay" => {
            let mut s = CosineDecay::new(lr0(), u("decay_steps")).alpha(f("alpha").unwrap_or(0.0));
            if let Some(t) = f("warmup_target") {
                s = s.warmup(t, u("warmup_steps"));
            }
            Box::new(s)
        }
        "CosineDecayRestarts" => Box::new(
            CosineDecayRestarts::new(lr0(), u("first_decay_steps"))
                .t_mul(f("t_mul").unwrap_or(2.0))
                .m_mul(f("m_mul").unwrap_or(1.0))
                .alpha(f("alpha").unwrap_or(0.0)),
        ),
        c => panic!("schedule {c}"),
    }
}

#[test]
fn schedules_match_keras() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tools/golden/fixtures/schedules.json"
    );
    let fx: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut checked = 0usize;
    let mut failures = Vec::new();
    for c in fx["cases"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let s = build(c["class"].as_str().unwrap(), &c["kwargs"]);
        for (step, want) in c["steps"]
            .as_array()
            .unwrap()
            .iter()
            .zip(c["values"].as_array().unwrap())
        {
            let (step, want) = (step.as_u64().unwrap(), want.as_f64().unwrap());
            let got = s.lr(step);
            // Keras evaluates in float32; kiln in f64.
            if (got - want).abs() > 1e-6 + 1e-5 * want.abs() {
                failures.push(format!("{id} step {step}: kiln {got} vs keras {want}"));
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(checked, 14 * 99, "checked schedule points");
}
