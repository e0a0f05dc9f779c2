//! kiln-tuner against keras-tuner 1.4.7 and scikit-learn 1.9.1
//! (tools/golden/gen_keras_tuner.py -> tools/golden/fixtures/keras_tuner.json): every
//! oracle is driven by the same deterministic fake objective as in Python, with no
//! training, and must hand out the same trials.

use kiln_tuner::gp::Gp;
use kiln_tuner::objective::infer_metric_direction;
use kiln_tuner::{
    Boolean, Choice, Float, HyperParameters, Int, Objective, Oracle, OracleConfig, TrialStatus,
    Value, Values,
};
use serde_json::Value as J;

fn fixture() -> J {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tools/golden/fixtures/keras_tuner.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

fn space(name: &str) -> HyperParameters {
    let mut hp = HyperParameters::new();
    let r: kiln_tuner::Result<()> = (|| {
        match name {
            "s003_42" => {
                hp.int(Int::new("units", 32, 512).step(32))?;
                hp.float(Float::new("learning_rate", 1e-4, 1e-2).sampling("LOG"))?;
            }
            "conditional" => {
                hp.choice(Choice::new("model_type", ["mlp", "cnn"]))?;
                hp.conditional_scope("model_type", ["mlp"], |hp| {
                    hp.int(Int::new("units", 16, 128).step(16))?;
                    hp.boolean(Boolean::new("dropout"))
                })?;
                hp.conditional_scope("model_type", ["cnn"], |hp| {
                    hp.int(Int::new("filters", 8, 64).step(2).sampling("log"))?;
                    hp.choice(Choice::new("kernel", [3, 5]))
                })?;
                hp.float(Float::new("momentum", 0.1, 0.9).sampling("reverse_log"))?;
                hp.int(Int::new("width", 1, 1000).sampling("log"))?;
            }
            "mixed" => {
                hp.choice(Choice::new("activation", ["relu", "tanh", "gelu"]))?;
                hp.choice(Choice::new("batch", [16, 32, 64, 128]))?;
                hp.boolean(Boolean::new("bn").default(true))?;
                hp.fixed("version", 3)?;
                hp.float(Float::new("dropout", 0.0, 0.5).step(0.1))?;
                hp.int(Int::new("layers", 1, 4))?;
                hp.choice(Choice::new("rate", [0.1, 0.01, 0.001]))?;
            }
            "small" => {
                hp.choice(Choice::new("opt", ["a", "b", "c"]))?;
            }
            "grid_basic" => {
                hp.int(Int::new("a", 1, 3))?;
                hp.choice(Choice::new("b", ["x", "y"]).default("y"))?;
                hp.boolean(Boolean::new("c"))?;
            }
            "grid_conditional" => {
                hp.choice(Choice::new("model", ["lin", "mlp"]))?;
                hp.conditional_scope("model", ["mlp"], |hp| {
                    hp.int(Int::new("units", 8, 32).step(8))
                })?;
                hp.float(Float::new("lr", 0.0, 1.0).step(0.25))?;
            }
            "grid_stepless" => {
                hp.float(Float::new("f", 0.0, 1.0))?;
                hp.int(Int::new("n", 1, 100).sampling("log"))?;
            }
            "hyperband" => {
                hp.float(Float::new("x", 0.0, 1.0))?;
                hp.int(Int::new("u", 1, 10))?;
            }
            "bayesian" => {
                hp.float(Float::new("x", -2.0, 2.0))?;
                hp.float(Float::new("y", 1e-3, 1.0).sampling("log"))?;
                hp.int(Int::new("k", 1, 8))?;
            }
            other => panic!("unknown space {other}"),
        }
        Ok(())
    })();
    r.expect("space");
    hp
}

fn tagged(v: &J) -> Value {
    let kind = v[0].as_str().unwrap();
    match kind {
        "bool" => Value::Bool(v[1].as_bool().unwrap()),
        "int" => Value::Int(v[1].as_i64().unwrap()),
        "float" => Value::Float(v[1].as_f64().unwrap()),
        _ => Value::Str(v[1].as_str().unwrap().to_string()),
    }
}

/// Values equal in type and bits (1 != 1.0 here, unlike Python's ==).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        _ => false,
    }
}

fn expected_values(t: &J) -> Vec<(String, Value)> {
    t["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kv| (kv[0].as_str().unwrap().to_string(), tagged(&kv[1])))
        .collect()
}

fn assert_values(ctx: &str, got: &Values, want: &[(String, Value)]) {
    let got: Vec<(&str, &Value)> = got.iter().collect();
    assert_eq!(got.len(), want.len(), "{ctx}: {got:?} vs {want:?}");
    for ((gk, gv), (wk, wv)) in got.iter().zip(want) {
        assert_eq!(gk, wk, "{ctx}: names {got:?} vs {want:?}");
        assert!(same(gv, wv), "{ctx}: {gk} = {gv:?}, keras-tuner {wv:?}");
    }
}

fn numeric_score(values: &Values) -> f64 {
    let mut keys: Vec<(&str, &Value)> = values.iter().collect();
    keys.sort_by(|a, b| a.0.cmp(b.0));
    let mut s = 0.0;
    for (k, v) in keys {
        if k.starts_with("tuner/") {
            continue;
        }
        s += match v {
            Value::Bool(b) => {
                if *b {
                    0.5
                } else {
                    0.0
                }
            }
            Value::Int(i) => (*i as f64 * 1.7 + k.len() as f64).sin(),
            Value::Float(f) => (f * 1.7 + k.len() as f64).sin(),
            Value::Str(s) => 0.1 * s.len() as f64,
        };
    }
    s
}

fn config(space_name: &str, max_trials: Option<usize>, seed: u64) -> OracleConfig {
    let mut cfg = OracleConfig::new(Objective::new("score", "min").unwrap());
    cfg.max_trials = max_trials;
    cfg.seed = Some(seed);
    cfg.hyperparameters = Some(space(space_name));
    cfg
}

/// Runs the oracle like gen_keras_tuner.py's `drive` and checks every trial.
fn drive_and_check(ctx: &str, oracle: &mut Oracle, score: &dyn Fn(&Values) -> f64, want: &J) {
    oracle.set_verbose(0);
    let want = want.as_array().unwrap();
    for (i, w) in want.iter().enumerate() {
        let t = oracle.create_trial("tuner0").unwrap();
        if let Some(status) = w.get("status") {
            assert_eq!(
                t.status.as_str(),
                status.as_str().unwrap(),
                "{ctx}: trial {i}"
            );
            assert_eq!(i, want.len() - 1);
            return;
        }
        assert_eq!(t.status, TrialStatus::Running, "{ctx}: trial {i}");
        assert_eq!(t.trial_id, w["trial_id"].as_str().unwrap(), "{ctx}");
        assert_values(
            &format!("{ctx} trial {i}"),
            t.hyperparameters.values(),
            &expected_values(w),
        );
        let s = score(t.hyperparameters.values());
        assert_eq!(
            s.to_bits(),
            w["score"].as_f64().unwrap().to_bits(),
            "{ctx}: score {i}"
        );
        oracle
            .update_trial(&t.trial_id, &[("score".to_string(), s)], 0)
            .unwrap();
        let mut t = oracle.get_trial(&t.trial_id).unwrap().clone();
        t.status = TrialStatus::Completed;
        oracle.end_trial(&t).unwrap();
    }
}

#[test]
fn random_search_samples_what_keras_tuner_samples() {
    let f = fixture();
    for case in f["random_search"].as_array().unwrap() {
        let name = case["space"].as_str().unwrap();
        let seed = case["seed"].as_u64().unwrap();
        let max_trials = case["max_trials"].as_u64().unwrap() as usize;
        let ctx = format!("random {name} seed {seed}");
        let mut oracle = Oracle::random_search(config(name, Some(max_trials), seed));
        drive_and_check(&ctx, &mut oracle, &numeric_score, &case["trials"]);
        // the value hashes (sha256 of Python's str() of each value) and the seed state
        let state: J = serde_json::from_str(&oracle.state_json()).unwrap();
        let mut tried: Vec<&str> = state["tried_so_far"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        tried.sort();
        let want: Vec<&str> = case["tried_so_far"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(tried, want, "{ctx}: tried_so_far");
        assert_eq!(state["seed_state"], case["seed_state"], "{ctx}");
        let best: Vec<&str> = oracle
            .get_best_trials(3)
            .iter()
            .map(|t| t.trial_id.as_str())
            .collect();
        let want_best: Vec<&str> = case["best"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(best, want_best, "{ctx}: best trials");
    }
}

#[test]
fn grid_search_walks_candidates_in_keras_tuner_order() {
    let f = fixture();
    for case in f["grid_search"].as_array().unwrap() {
        let name = case["space"].as_str().unwrap();
        let max_trials = case["max_trials"].as_u64().map(|m| m as usize);
        let ctx = format!("grid {name}");
        let mut oracle = Oracle::grid_search(config(name, max_trials, 3));
        drive_and_check(&ctx, &mut oracle, &numeric_score, &case["trials"]);
    }
}

fn hb_score(v: &Values) -> f64 {
    let x = v.get("x").unwrap().as_f64().unwrap();
    let u = v.get("u").unwrap().as_i64().unwrap() as f64;
    let e = v.get("tuner/epochs").unwrap().as_i64().unwrap() as f64;
    (x - 0.3).powi(2) + u / (10.0 * e)
}

#[test]
fn hyperband_schedule_matches_for_10_27_81_epochs() {
    let f = fixture();
    for case in f["hyperband"].as_array().unwrap() {
        let max_epochs = case["max_epochs"].as_u64().unwrap() as usize;
        let ctx = format!("hyperband max_epochs {max_epochs}");
        let mut oracle =
            Oracle::hyperband(config("hyperband", None, 11), max_epochs, 3, Some(1)).unwrap();
        drive_and_check(&ctx, &mut oracle, &hb_score, &case["trials"]);
    }
}

fn bo_score(v: &Values) -> f64 {
    let x = v.get("x").unwrap().as_f64().unwrap();
    let y = v.get("y").unwrap().as_f64().unwrap();
    let k = v.get("k").unwrap().as_i64().unwrap() as f64;
    (x - 0.5).powi(2) + y.log10().powi(2) / 4.0 + 0.1 * k
}

#[test]
fn bayesian_optimization_initial_points_match_and_later_points_are_close() {
    let f = fixture();
    let case = &f["bayesian"];
    let want = case["trials"].as_array().unwrap();
    let mut oracle =
        Oracle::bayesian_optimization(config("bayesian", Some(14), 17), None, 1e-4, 2.6);
    oracle.set_verbose(0);
    // num_initial_points = 3 * 3 dimensions: those are random draws, exactly Python's
    let initial = 9;
    let mut close = 0;
    let mut gp_trials = 0;
    for (i, w) in want.iter().enumerate() {
        let t = oracle.create_trial("tuner0").unwrap();
        if w.get("status").is_some() {
            assert_eq!(t.status, TrialStatus::Stopped);
            break;
        }
        let wv = expected_values(w);
        if i < initial {
            assert_values(
                &format!("bayesian trial {i}"),
                t.hyperparameters.values(),
                &wv,
            );
        } else {
            // the acquisition optimum: scipy's L-BFGS-B with numerical gradients vs
            // kiln's projected quasi-Newton with analytic ones
            gp_trials += 1;
            let k_same = t.hyperparameters.get("k").unwrap() == wv[2].1;
            let dx = (t.hyperparameters.get("x").unwrap().as_f64().unwrap()
                - wv[0].1.as_f64().unwrap())
            .abs();
            if k_same && dx < 0.05 {
                close += 1;
            }
        }
        let s = bo_score(t.hyperparameters.values());
        oracle
            .update_trial(&t.trial_id, &[("score".to_string(), s)], 0)
            .unwrap();
        let mut t = oracle.get_trial(&t.trial_id).unwrap().clone();
        t.status = TrialStatus::Completed;
        oracle.end_trial(&t).unwrap();
    }
    eprintln!("bayesian: {close} of {gp_trials} GP-chosen trials within 0.05 of keras-tuner's");
    assert!(gp_trials >= 4);
    // the GP steers towards the optimum as keras-tuner's does: the best found is good
    let best = oracle.get_best_trials(1)[0].score.unwrap();
    let want_best = want
        .iter()
        .filter_map(|w| w.get("score").and_then(J::as_f64))
        .fold(f64::INFINITY, f64::min);
    assert!(
        best <= want_best + 0.15,
        "kiln best {best}, keras-tuner best {want_best}"
    );
}

fn mat(v: &J) -> Vec<Vec<f64>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        })
        .collect()
}

fn vecf(v: &J) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[test]
fn gp_posterior_matches_scikit_learn() {
    let f = fixture();
    for (ci, case) in f["gp"].as_array().unwrap().iter().enumerate() {
        let x = mat(&case["x"]);
        let y = vecf(&case["y"]);
        let xt = mat(&case["x_test"]);
        for fixed in case["fixed"].as_array().unwrap() {
            let ls = fixed["length_scale"].as_f64().unwrap();
            let gp = Gp::fit_with_length_scale(&x, &y, 1e-4, ls).unwrap();
            let (m, s) = (vecf(&fixed["mean"]), vecf(&fixed["std"]));
            for (i, p) in xt.iter().enumerate() {
                let (gm, gv) = gp.predict(p);
                assert!(
                    (gm - m[i]).abs() < 1e-8,
                    "case {ci} ls {ls}: mean {gm} vs {}",
                    m[i]
                );
                let var = s[i] * s[i];
                assert!(
                    (gv - var).abs() < 1e-8,
                    "case {ci} ls {ls}: var {gv} vs {var}"
                );
            }
            let lml = fixed["lml"].as_f64().unwrap();
            assert!((gp.log_marginal_likelihood() - lml).abs() < 1e-8 * lml.abs().max(1.0));
        }
        // the length scale fitted by maximising the marginal likelihood
        let gp = Gp::fit(&x, &y, 1e-4).unwrap();
        let want = case["fitted_length_scale"].as_f64().unwrap();
        let rel = (gp.length_scale() - want).abs() / want;
        assert!(
            rel < 1e-3,
            "case {ci}: length scale {} vs sklearn {want}",
            gp.length_scale()
        );
        let (m, s) = (vecf(&case["fitted_mean"]), vecf(&case["fitted_std"]));
        for (i, p) in xt.iter().enumerate() {
            let (gm, gv) = gp.predict(p);
            assert!(
                (gm - m[i]).abs() < 1e-4 * (1.0 + m[i].abs()),
                "case {ci}: fitted mean"
            );
            assert!(
                (gv.sqrt() - s[i]).abs() < 1e-4 * (1.0 + s[i]),
                "case {ci}: fitted std"
            );
        }
    }
}

#[test]
fn metric_directions_match_keras_tuner() {
    let f = fixture();
    for pair in f["directions"].as_array().unwrap() {
        let name = pair[0].as_str().unwrap();
        assert_eq!(infer_metric_direction(name), pair[1].as_str(), "{name}");
    }
}

#[test]
fn prob_value_conversions_match() {
    let f = fixture();
    let conv = &f["conversions"];
    let probs = vecf(&conv["probs"]);
    let mut hp = HyperParameters::new();
    hp.int(Int::new("i_lin", 32, 512).step(32)).unwrap();
    hp.int(Int::new("i_free_log", 1, 1000).sampling("log"))
        .unwrap();
    hp.int(Int::new("i_step_log", 2, 64).step(2).sampling("log"))
        .unwrap();
    hp.int(Int::new("i_rev", 1, 100).step(3).sampling("reverse_log"))
        .unwrap();
    hp.float(Float::new("f_log", 1e-4, 1e-2).sampling("log"))
        .unwrap();
    hp.float(Float::new("f_rev", 0.1, 0.9).sampling("reverse_log"))
        .unwrap();
    hp.float(Float::new("f_step", 0.0, 1.0).step(0.1)).unwrap();
    hp.float(
        Float::new("f_step_log", 1e-3, 10.0)
            .step(10.0)
            .sampling("log"),
    )
    .unwrap();
    hp.choice(Choice::new("c_str", ["a", "b", "c"])).unwrap();
    hp.choice(Choice::new("c_int", [1, 2, 4, 8, 16])).unwrap();
    hp.boolean(Boolean::new("b")).unwrap();
    for (p, want) in hp.space().iter().zip(conv["hps"].as_array().unwrap()) {
        assert_eq!(p.name, want["name"].as_str().unwrap());
        let to_value: Vec<Value> = want["to_value"]
            .as_array()
            .unwrap()
            .iter()
            .map(tagged)
            .collect();
        let to_prob = vecf(&want["to_prob"]);
        for (i, &q) in probs.iter().enumerate() {
            let v = p.prob_to_value(q);
            assert!(
                same(&v, &to_value[i]),
                "{} prob {q}: {v:?} vs {:?}",
                p.name,
                to_value[i]
            );
            let back = p.value_to_prob(&v);
            assert_eq!(
                back.to_bits(),
                to_prob[i].to_bits(),
                "{} value {v:?}: {back} vs {}",
                p.name,
                to_prob[i]
            );
        }
        let values: Vec<Value> = want["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(tagged)
            .collect();
        let got = p.values();
        assert_eq!(got.len(), values.len(), "{} values", p.name);
        for (g, w) in got.iter().zip(&values) {
            assert!(same(g, w), "{} values: {got:?} vs {values:?}", p.name);
        }
        assert!(
            same(&p.default_value(), &tagged(&want["default"])),
            "{} default",
            p.name
        );
    }
}

#[test]
fn summaries_print_keras_tuner_lines() {
    use kiln_tuner::{RandomSearch, ScoreData, ScoreModel};
    let f = fixture();
    let want = &f["summaries"];
    let root = std::env::temp_dir().join(format!("kt_golden_summary_{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    let model = ScoreModel::new(|hp: &mut HyperParameters| {
        hp.choice(Choice::new("model_type", ["mlp", "cnn"]))?;
        hp.conditional_scope("model_type", ["mlp"], |hp| {
            hp.int(Int::new("units", 16, 128).step(16))?;
            hp.boolean(Boolean::new("dropout"))
        })?;
        hp.conditional_scope("model_type", ["cnn"], |hp| {
            hp.int(Int::new("filters", 8, 64).step(2).sampling("log"))?;
            hp.choice(Choice::new("kernel", [3, 5]))
        })?;
        hp.float(Float::new("momentum", 0.1, 0.9).sampling("reverse_log"))?;
        hp.int(Int::new("width", 1, 1000).sampling("log"))?;
        hp.fixed("version", "v1")?;
        let s = numeric_score(hp.values());
        Ok(Box::new(move |_| Ok(vec![("score".to_string(), s)])))
    });
    // keras-tuner ran in a directory where `directory="kt_dir"` is relative
    let cwd = std::env::current_dir().unwrap();
    std::env::set_current_dir(&root).unwrap();
    type Summaries = (Vec<String>, Vec<String>, Vec<(String, Values)>);
    let result = (|| -> kiln_tuner::Result<Summaries> {
        let mut tuner = RandomSearch::new(model)
            .objective(Objective::new("score", "min")?)
            .max_trials(4)
            .seed(9)
            .directory("kt_dir")
            .project_name("proj")
            .verbose(0)
            .build()?;
        let space = tuner.search_space_summary_lines();
        tuner.search_with(&mut ScoreData::new(1))?;
        let results = tuner.results_summary_lines(3);
        let trials = tuner
            .oracle()
            .trials()
            .iter()
            .map(|t| (t.trial_id.clone(), t.hyperparameters.values().clone()))
            .collect();
        Ok((space, results, trials))
    })();
    std::env::set_current_dir(cwd).unwrap();
    std::fs::remove_dir_all(&root).ok();
    let (space, results, trials) = result.unwrap();
    let lines = |v: &J| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(space, lines(&want["search_space_summary"]));
    for ((id, values), w) in trials.iter().zip(want["trials"].as_array().unwrap()) {
        assert_eq!(id, w["trial_id"].as_str().unwrap());
        assert_values(&format!("summary trial {id}"), values, &expected_values(w));
    }
    assert_eq!(results, lines(&want["results_summary"]));
}
