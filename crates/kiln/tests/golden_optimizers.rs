//! The optimizers added for issue 26 (Adafactor, Ftrl, Lamb, Muon, ScheduleFreeAdamW)
//! against Keras 3.15 (tools/golden/gen_optimizers.py → fixtures/optimizers.json): each
//! built from Keras's arguments through `optimizers::from_config`, five steps on fixed
//! variables and gradients, the variables after every step, the optimizer variables
//! Keras saves (order and shapes), the state restored into a fresh optimizer continuing
//! the same way, and `get_config` equal to Keras's.

mod common;

use common::optimizer_case::{step, variables};
use kiln::optimizers;
use kiln_tensor::Variable;
use serde_json::Value;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tools/golden/fixtures/optimizers.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn shape(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect()
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

fn close(case: &str, what: &str, got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "{case}: {what} length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * (1.0 + w.abs()),
            "{case}: {what}[{i}] = {g}, Keras {w}"
        );
    }
}

#[test]
fn trajectories_state_and_config_match_keras() {
    let doc = fixture();
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 11);
    for c in cases {
        let id = c["id"].as_str().unwrap();
        let class = c["class"].as_str().unwrap();
        let mut opt = optimizers::from_config(class, &c["kwargs"]).unwrap();
        let vars = variables(c);
        let steps = c["trajectory"].as_array().unwrap();
        for (k, want) in steps.iter().enumerate() {
            step(&mut *opt, c, &vars, k);
            for (v, w) in vars.iter().zip(want.as_array().unwrap()) {
                let what = format!("step {} {}", k + 1, v.name());
                close(
                    id,
                    &what,
                    &v.value().to_vec::<f32>().unwrap(),
                    &floats(w),
                    2e-5,
                );
            }
        }
        // The saved optimizer variables: Keras's order, shapes and values.
        let state = opt.export_state(&vars).expect("exportable");
        let want = c["state"].as_array().unwrap();
        assert_eq!(
            state.len(),
            want.len(),
            "{id}: number of optimizer variables"
        );
        for (t, w) in state.iter().zip(want) {
            let path = w["path"].as_str().unwrap();
            assert_eq!(t.shape(), shape(&w["shape"]).as_slice(), "{id}: {path}");
            let got = t
                .cast(kiln_tensor::DType::F64)
                .unwrap()
                .to_vec::<f64>()
                .unwrap();
            let got: Vec<f32> = got.iter().map(|&x| x as f32).collect();
            close(id, path, &got, &floats(&w["values"]), 2e-5);
        }
        // get_config: every entry kiln writes is Keras's (learning_rate as float32).
        let ours = opt.get_config();
        assert_eq!(ours["class_name"], c["class"], "{id}");
        for (k, v) in ours["config"].as_object().unwrap() {
            let theirs = &c["config"][k];
            if k == "name" {
                // Keras numbers auto-named objects per process ("adafactor_1" for the
                // second Adafactor the script built); the base name is the class's.
                let theirs = theirs.as_str().unwrap();
                let base = theirs
                    .rsplit_once('_')
                    .filter(|(_, n)| n.chars().all(|ch| ch.is_ascii_digit()))
                    .map_or(theirs, |(b, _)| b);
                assert_eq!(v.as_str(), Some(base), "{id}: config name");
                continue;
            }
            let same = match (v.as_f64(), theirs.as_f64()) {
                (Some(a), Some(b)) => (a - b).abs() <= 1e-7 * b.abs().max(1e-30),
                _ => v == theirs,
            };
            assert!(same, "{id}: config '{k}' is {v}, Keras {theirs}");
        }
        // The config round trip gives the same optimizer.
        let again = optimizers::from_config(class, &ours["config"]).unwrap();
        assert_eq!(again.get_config(), ours, "{id}: from_config(get_config())");
    }
}

#[test]
fn restored_state_continues_as_keras() {
    // Three steps, save the state, restore it into a fresh optimizer and fresh variables
    // holding the step-3 values, then steps 4 and 5 must still follow Keras.
    let doc = fixture();
    for c in doc["cases"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let class = c["class"].as_str().unwrap();
        let mut opt = optimizers::from_config(class, &c["kwargs"]).unwrap();
        let vars = variables(c);
        for k in 0..3 {
            step(&mut *opt, c, &vars, k);
        }
        let state = opt.export_state(&vars).unwrap();
        let fresh: Vec<Variable> = vars
            .iter()
            .map(|v| Variable::new(v.value().clone(), v.name(), true))
            .collect();
        let mut restored = optimizers::from_config(class, &c["kwargs"]).unwrap();
        restored.import_state(&fresh, &state).unwrap();
        assert_eq!(restored.iterations(), 3, "{id}");
        for k in 3..5 {
            step(&mut *restored, c, &fresh, k);
        }
        for (v, w) in fresh.iter().zip(c["trajectory"][4].as_array().unwrap()) {
            close(
                id,
                v.name(),
                &v.value().to_vec::<f32>().unwrap(),
                &floats(w),
                2e-5,
            );
        }
        // A state of the wrong length is refused.
        let mut other = optimizers::from_config(class, &c["kwargs"]).unwrap();
        assert!(
            other
                .import_state(&fresh, &state[..state.len() - 1])
                .is_err(),
            "{id}"
        );
    }
}

#[test]
fn keras_refuses_these_arguments_and_so_does_kiln() {
    let bad = [
        ("Ftrl", r#"{"learning_rate_power": 0.5}"#, "`learning_rate_power` needs to be negative or zero. Received: learning_rate_power=0.5."),
        ("Ftrl", r#"{"initial_accumulator_value": -1.0}"#, "`initial_accumulator_value` needs to be positive or zero. Received: initial_accumulator_value=-1."),
        ("Ftrl", r#"{"l1_regularization_strength": -0.1}"#, "`l1_regularization_strength` needs to be positive or zero."),
        ("Muon", r#"{"exclude_layers": ["("]}"#, "exclude_layers entry '(' is not a regular expression"),
        ("Lamb", r#"{"clipnorm": 1.0, "clipvalue": 1.0}"#, "only one of clipnorm, clipvalue and global_clipnorm can be set"),
        ("Lamb", r#"{"use_ema": true, "ema_momentum": -0.5}"#, "`ema_momentum` must be in the range [0, 1]. Received: ema_momentum=-0.5"),
        ("Lamb", r#"{"use_ema": true, "ema_overwrite_frequency": 0}"#, "`ema_overwrite_frequency` must be an integer >= 1 or None"),
        ("Adafactor", r#"{"relative_step": 3}"#, "'relative_step' = 3 is not a valid bool"),
        ("Adafactor", r#"{"learning_rate": {"class_name": "ExponentialDecay"}}"#, "a schedule"),
    ];
    for (class, config, msg) in bad {
        let config: Value = serde_json::from_str(config).unwrap();
        let err = optimizers::from_config(class, &config)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains(msg), "{class} {config}: {err}");
    }
    let err = optimizers::get("adafactorr").err().unwrap().to_string();
    assert!(err.contains("unknown optimizer 'adafactorr'"), "{err}");
    for name in ["adafactor", "Ftrl", "LAMB", "muon", "ScheduleFreeAdamW"] {
        assert!(optimizers::get(name).is_ok(), "{name}");
    }
}
