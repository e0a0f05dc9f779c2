//! Golden parity with scikit-learn 1.9.1 for the trees, forests, cross-validation and
//! searches (fixtures from tools/golden/gen_sklearn_search.py).
//!
//! Exact (bit-for-bit or integer-equal): single decision trees (node structure,
//! thresholds, predictions, probabilities), cross_val_score / cross_validate scores on
//! them, GridSearchCV and RandomizedSearchCV cv_results_ (candidates, split scores,
//! ranks, best_params_), ParameterGrid order, ParameterSampler draws (loguniform within
//! 4 ulp: NumPy's and Rust's `exp`/`ln` may round differently), error messages.
//! Statistical: RandomForest test accuracy within 2 points of scikit-learn's (the
//! forests are in fact compared tree by tree too, see `forests`).

use std::collections::BTreeMap;

use kiln_learn::ensemble::{RandomForestClassifier, RandomForestRegressor};
use kiln_learn::estimator::{Classifier, Estimator, Param, Params, Predictor};
use kiln_learn::model_selection::{
    cross_val_score, cross_validate, Cv, Distribution, Distributions, GridSearchCV, KFold,
    ParameterGrid, ParameterSampler, RandomizedSearchCV, SearchResult,
};
use kiln_learn::tree::{DecisionTreeClassifier, DecisionTreeRegressor};
use kiln_learn::Matrix;
use serde_json::Value;

fn load(name: &str) -> Vec<Value> {
    let path = format!(
        "{}/../../tools/golden/fixtures/sklearn/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_json::from_str(&text).expect("fixture JSON");
    assert_eq!(doc["sklearn_version"], "1.9.1");
    doc["cases"].as_array().expect("cases").clone()
}

struct Data {
    x: Matrix,
    y: Vec<f64>,
    train: Vec<usize>,
    test: Vec<usize>,
}

impl Data {
    fn labels(&self) -> Vec<i64> {
        self.y.iter().map(|&v| v as i64).collect()
    }
    fn rows(&self, idx: &[usize]) -> Matrix {
        let rows: Vec<Vec<f64>> = idx.iter().map(|&i| self.x.row(i).to_vec()).collect();
        Matrix::from_rows(&rows).unwrap()
    }
}

fn datasets() -> BTreeMap<String, Data> {
    load("datasets")
        .into_iter()
        .map(|c| {
            let rows = rows(&c["X"]);
            let d = Data {
                x: Matrix::from_rows(&rows).unwrap(),
                y: nums(&c["y"]),
                train: idx(&c["train"]),
                test: idx(&c["test"]),
            };
            (c["name"].as_str().unwrap().to_string(), d)
        })
        .collect()
}

fn num(v: &Value) -> f64 {
    match v {
        Value::String(s) if s == "nan" => f64::NAN,
        Value::String(s) if s == "inf" => f64::INFINITY,
        Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
        _ => v.as_f64().unwrap_or_else(|| panic!("not a number: {v}")),
    }
}
fn nums(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(num).collect()
}
fn rows(v: &Value) -> Vec<Vec<f64>> {
    v.as_array().unwrap().iter().map(nums).collect()
}
fn idx(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}
fn ints(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect()
}

fn param(v: &Value) -> Param {
    match v {
        Value::Null => Param::None,
        Value::Bool(b) => Param::Bool(*b),
        Value::String(s) => Param::Str(s.clone()),
        Value::Number(n) if n.is_f64() => Param::Float(n.as_f64().unwrap()),
        Value::Number(n) => Param::Int(n.as_i64().unwrap()),
        other => panic!("not a param: {other}"),
    }
}
fn params(v: &Value) -> Params {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), param(v)))
        .collect()
}

fn close(a: f64, b: f64, rtol: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= rtol * a.abs().max(b.abs())
}

fn assert_close(what: &str, got: &[f64], want: &[f64], rtol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(close(*g, *w, rtol), "{what}[{i}]: {g} vs {w}");
    }
}

fn classifier_with(p: &Params) -> DecisionTreeClassifier<i64> {
    let mut t = DecisionTreeClassifier::default();
    t.set_params(p).unwrap();
    t
}

#[test]
fn single_trees_equal_sklearn() {
    let data = datasets();
    for case in load("trees") {
        let name = case["name"].as_str().unwrap();
        let d = &data[case["data"].as_str().unwrap()];
        let p = params(&case["params"]);
        let (xtr, xte) = (d.rows(&d.train), d.rows(&d.test));
        match case["kind"].as_str().unwrap() {
            "DecisionTreeClassifier" => {
                let ytr: Vec<i64> = d.train.iter().map(|&i| d.y[i] as i64).collect();
                let mut t = classifier_with(&p);
                t.fit(&xtr, &ytr).unwrap();
                let tree = &case["tree"];
                assert_eq!(
                    t.node_count().unwrap(),
                    tree["node_count"].as_u64().unwrap() as usize,
                    "{name}"
                );
                assert_eq!(
                    t.get_depth().unwrap(),
                    tree["max_depth"].as_u64().unwrap() as usize,
                    "{name}"
                );
                assert_eq!(t.predict(&xte).unwrap(), ints(&case["predict"]), "{name}");
                let proba = t.predict_proba(&xte).unwrap();
                assert_close(
                    name,
                    proba.as_slice(),
                    &rows(&case["predict_proba"]).concat(),
                    0.0,
                );
                assert_close(
                    name,
                    &t.feature_importances().unwrap(),
                    &nums(&case["feature_importances"]),
                    1e-12,
                );
            }
            "DecisionTreeRegressor" => {
                let ytr: Vec<f64> = d.train.iter().map(|&i| d.y[i]).collect();
                let mut t = DecisionTreeRegressor::default();
                t.set_params(&p).unwrap();
                t.fit(&xtr, &ytr).unwrap();
                assert_eq!(
                    t.node_count().unwrap(),
                    case["tree"]["node_count"].as_u64().unwrap() as usize,
                    "{name}"
                );
                assert_close(
                    name,
                    &t.predict(&xte).unwrap(),
                    &nums(&case["predict"]),
                    1e-12,
                );
                assert_close(
                    name,
                    &t.feature_importances().unwrap(),
                    &nums(&case["feature_importances"]),
                    1e-9,
                );
            }
            _ => {}
        }
    }
}

#[test]
fn forests_match_sklearn() {
    let data = datasets();
    for case in load("trees") {
        let name = case["name"].as_str().unwrap();
        let kind = case["kind"].as_str().unwrap();
        if !kind.starts_with("RandomForest") {
            continue;
        }
        let d = &data[case["data"].as_str().unwrap()];
        let p = params(&case["params"]);
        let (xtr, xte) = (d.rows(&d.train), d.rows(&d.test));
        let want_score = num(&case["score"]);
        if kind == "RandomForestClassifier" {
            let ytr: Vec<i64> = d.train.iter().map(|&i| d.y[i] as i64).collect();
            let yte: Vec<i64> = d.test.iter().map(|&i| d.y[i] as i64).collect();
            let mut f = RandomForestClassifier::default();
            f.set_params(&p).unwrap();
            f.fit(&xtr, &ytr).unwrap();
            let score = f.score(&xte, &yte).unwrap();
            eprintln!("{name}: kiln accuracy {score:.4}, scikit-learn {want_score:.4}");
            // acceptance: within 2 points
            assert!(
                (score - want_score).abs() <= 0.02,
                "{name}: {score} vs {want_score}"
            );
            // in fact the forests are the same: same per-tree seeds, bootstrap draws
            // and splitter streams
            assert_eq!(f.predict(&xte).unwrap(), ints(&case["predict"]), "{name}");
            let proba = f.predict_proba(&xte).unwrap();
            assert_close(
                name,
                proba.as_slice(),
                &rows(&case["predict_proba"]).concat(),
                1e-12,
            );
            assert_close(
                name,
                &f.feature_importances().unwrap(),
                &nums(&case["feature_importances"]),
                1e-9,
            );
            if let Some(oob) = case.get("oob_score") {
                assert_close(
                    name,
                    &[f.oob_score_().unwrap().unwrap()],
                    &[num(oob)],
                    1e-12,
                );
            }
        } else {
            let ytr: Vec<f64> = d.train.iter().map(|&i| d.y[i]).collect();
            let yte: Vec<f64> = d.test.iter().map(|&i| d.y[i]).collect();
            let mut f = RandomForestRegressor::default();
            f.set_params(&p).unwrap();
            f.fit(&xtr, &ytr).unwrap();
            let score = f.score(&xte, &yte).unwrap();
            eprintln!("{name}: kiln R2 {score:.6}, scikit-learn {want_score:.6}");
            assert!((score - want_score).abs() <= 0.02, "{name}");
            assert_close(
                name,
                &f.predict(&xte).unwrap(),
                &nums(&case["predict"]),
                1e-9,
            );
        }
    }
}

fn cv_of(case: &Value) -> Cv {
    if let Some(k) = case.get("kfold") {
        return Cv::KFold(
            KFold::new(
                k["n_splits"].as_u64().unwrap() as usize,
                k["shuffle"].as_bool().unwrap(),
                k["random_state"].as_u64().map(|s| s as u32),
            )
            .unwrap(),
        );
    }
    Cv::Folds(case["cv"].as_u64().unwrap() as usize)
}

fn grid_of(v: &Value) -> Vec<BTreeMap<String, Vec<Param>>> {
    let list = match v {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    list.iter()
        .map(|g| {
            g.as_object()
                .unwrap()
                .iter()
                .map(|(k, vals)| {
                    (
                        k.clone(),
                        vals.as_array().unwrap().iter().map(param).collect(),
                    )
                })
                .collect()
        })
        .collect()
}

fn dists_of(v: &Value) -> Vec<Distributions> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| {
            d.as_object()
                .unwrap()
                .iter()
                .map(|(k, spec)| {
                    let s = spec.as_array().unwrap();
                    let dist = match s[0].as_str().unwrap() {
                        "randint" => Distribution::RandInt {
                            low: s[1].as_i64().unwrap(),
                            high: s[2].as_i64().unwrap(),
                        },
                        "uniform" => Distribution::Uniform {
                            loc: num(&s[1]),
                            scale: num(&s[2]),
                        },
                        "loguniform" => Distribution::LogUniform {
                            a: num(&s[1]),
                            b: num(&s[2]),
                        },
                        _ => {
                            Distribution::List(s[1].as_array().unwrap().iter().map(param).collect())
                        }
                    };
                    (k.clone(), dist)
                })
                .collect()
        })
        .collect()
}

fn params_close(got: &Params, want: &Params, what: &str) {
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "{what}"
    );
    for (k, g) in got {
        match (g, &want[k]) {
            (Param::Float(a), Param::Float(b)) => {
                assert!(close(*a, *b, 4.0 * f64::EPSILON), "{what} {k}: {a} vs {b}")
            }
            (a, b) => assert_eq!(a, b, "{what} {k}"),
        }
    }
}

fn check_search<E>(name: &str, res: &SearchResult<E>, want: &Value) {
    let r = &res.cv_results;
    let want_params: Vec<Params> = want["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(params)
        .collect();
    assert_eq!(r.params.len(), want_params.len(), "{name}");
    for (g, w) in r.params.iter().zip(&want_params) {
        params_close(g, w, name);
    }
    for (k, split) in want["split_test_scores"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        assert_close(
            &format!("{name} split{k}"),
            &r.split_test_scores[k],
            &nums(split),
            1e-12,
        );
    }
    assert_close(
        name,
        &r.mean_test_score,
        &nums(&want["mean_test_score"]),
        1e-12,
    );
    assert_close(
        name,
        &r.std_test_score,
        &nums(&want["std_test_score"]),
        1e-9,
    );
    let ranks: Vec<u32> = ints(&want["rank_test_score"])
        .iter()
        .map(|&v| v as u32)
        .collect();
    assert_eq!(r.rank_test_score, ranks, "{name}");
    assert_eq!(
        res.best_index,
        want["best_index"].as_u64().unwrap() as usize,
        "{name}"
    );
    assert!(
        close(res.best_score, num(&want["best_score"]), 1e-12),
        "{name}"
    );
    params_close(&res.best_params, &params(&want["best_params"]), name);
    if let Some(train) = want.get("mean_train_score") {
        assert_close(
            name,
            r.mean_train_score.as_ref().unwrap(),
            &nums(train),
            1e-12,
        );
    }
}

#[test]
fn cross_validation_and_searches_equal_sklearn() {
    let data = datasets();
    let mut n = 0;
    for case in load("search") {
        let name = case["name"].as_str().unwrap();
        let fn_ = case["fn"].as_str().unwrap();
        let d = case.get("data").and_then(Value::as_str).map(|k| &data[k]);
        let scoring = case.get("scoring").and_then(Value::as_str);
        match fn_ {
            "cross_val_score" => {
                let d = d.unwrap();
                let p = params(&case["params"]);
                let got = if case["estimator"] == "DecisionTreeClassifier" {
                    cross_val_score(
                        &classifier_with(&p),
                        &d.x,
                        &d.labels(),
                        &cv_of(&case),
                        scoring,
                    )
                } else {
                    let mut t = DecisionTreeRegressor::default();
                    t.set_params(&p).unwrap();
                    cross_val_score(&t, &d.x, &d.y, &cv_of(&case), scoring)
                }
                .unwrap();
                assert_close(name, &got, &nums(&case["expect"]), 1e-12);
            }
            "cross_validate" => {
                let d = d.unwrap();
                let scorers: Vec<&str> = case["scoring"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap())
                    .collect();
                let t = classifier_with(&params(&case["params"]));
                let res =
                    cross_validate(&t, &d.x, &d.labels(), &cv_of(&case), &scorers, true).unwrap();
                for s in &scorers {
                    assert_close(
                        name,
                        &res.test_scores[*s],
                        &nums(&case["expect"][format!("test_{s}")]),
                        1e-12,
                    );
                    assert_close(
                        name,
                        &res.train_scores.as_ref().unwrap()[*s],
                        &nums(&case["expect"][format!("train_{s}")]),
                        1e-12,
                    );
                }
            }
            "GridSearchCV" => {
                let d = d.unwrap();
                let p = params(&case["params"]);
                let grid = grid_of(&case["grid"]);
                if case["estimator"] == "DecisionTreeClassifier" {
                    let search = GridSearchCV {
                        param_grid: grid,
                        scoring: scoring.map(str::to_string),
                        cv: cv_of(&case),
                        return_train_score: case["return_train_score"].as_bool().unwrap(),
                        ..GridSearchCV::new(classifier_with(&p))
                    };
                    let res = search.fit(&d.x, &d.labels()).unwrap();
                    check_search(name, &res, &case["expect"]);
                    let best = res.best_estimator.unwrap();
                    assert_eq!(
                        best.predict(&d.x).unwrap(),
                        ints(&case["best_predict"]),
                        "{name}"
                    );
                } else {
                    let mut t = DecisionTreeRegressor::default();
                    t.set_params(&p).unwrap();
                    let search = GridSearchCV {
                        param_grid: grid,
                        scoring: scoring.map(str::to_string),
                        cv: cv_of(&case),
                        ..GridSearchCV::new(t)
                    };
                    let res = search.fit(&d.x, &d.y).unwrap();
                    check_search(name, &res, &case["expect"]);
                    let best = res.best_estimator.unwrap();
                    assert_close(
                        name,
                        &best.predict(&d.x).unwrap(),
                        &nums(&case["best_predict"]),
                        1e-12,
                    );
                }
            }
            "ParameterGrid" => {
                let pg = ParameterGrid::new(grid_of(&case["grid"]));
                let got: Vec<Params> = pg.iter().collect();
                let want: Vec<Params> = case["expect"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(params)
                    .collect();
                assert_eq!(got, want, "{name}");
            }
            "ParameterSampler" => {
                let sampler = ParameterSampler {
                    param_distributions: dists_of(&case["dists"]),
                    n_iter: case["n_iter"].as_u64().unwrap() as usize,
                    random_state: Some(case["random_state"].as_u64().unwrap() as u32),
                };
                let (got, warnings) = sampler.sample().unwrap();
                let want: Vec<Params> = case["expect"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(params)
                    .collect();
                assert_eq!(got.len(), want.len(), "{name}");
                for (g, w) in got.iter().zip(&want) {
                    params_close(g, w, name);
                }
                let want_w: Vec<String> = case["warnings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|w| w.as_str().unwrap().to_string())
                    .collect();
                assert_eq!(
                    warnings
                        .iter()
                        .map(|w| w.message.clone())
                        .collect::<Vec<_>>(),
                    want_w,
                    "{name}"
                );
            }
            "RandomizedSearchCV" => {
                let d = d.unwrap();
                let search = RandomizedSearchCV {
                    param_distributions: dists_of(&case["dists"]),
                    n_iter: case["n_iter"].as_u64().unwrap() as usize,
                    random_state: Some(case["random_state"].as_u64().unwrap() as u32),
                    scoring: scoring.map(str::to_string),
                    cv: cv_of(&case),
                    ..RandomizedSearchCV::new(classifier_with(&params(&case["params"])))
                };
                let res = search.fit(&d.x, &d.labels()).unwrap();
                check_search(name, &res, &case["expect"]);
            }
            "error" => continue,
            other => panic!("unknown fn {other}"),
        }
        n += 1;
    }
    assert!(n >= 25, "only {n} cases ran");
}

/// scikit-learn prints `a str among {...}` in Python's set order, which depends on the
/// interpreter's hash seed: compare the options sorted.
fn sort_sets(msg: &str) -> String {
    let mut out = String::new();
    let mut rest = msg;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push_str(&rest[..=open]);
        let mut items: Vec<&str> = rest[open + 1..open + close].split(", ").collect();
        items.sort_unstable();
        out.push_str(&items.join(", "));
        out.push('}');
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn error_messages_equal_sklearn() {
    let data = datasets();
    let iris = &data["iris"];
    let (x, y) = (&iris.x, iris.labels());
    let short = &y[..y.len() - 1];
    let want: BTreeMap<String, String> = load("search")
        .into_iter()
        .filter(|c| c["fn"] == "error")
        .map(|c| {
            (
                c["name"].as_str().unwrap()[6..].to_string(),
                c["error"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let msg = |r: kiln_learn::Result<()>| r.unwrap_err().to_string();
    let with = |p: &[(&str, Param)]| -> Params {
        p.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    };
    let mut got = BTreeMap::new();
    let mut f = RandomForestClassifier::<i64> {
        n_estimators: 0,
        ..Default::default()
    };
    got.insert("n_estimators_0", msg(f.fit(x, &y)));
    let t = DecisionTreeClassifier::<i64> {
        max_depth: Some(0),
        ..Default::default()
    };
    got.insert("max_depth_0", msg(t.clone().fit(x, &y)));
    let mut r = RandomForestRegressor::default();
    r.set_params(&with(&[("max_depth", Param::Int(0))]))
        .unwrap();
    got.insert("forest_max_depth_0", msg(r.fit(x, &iris.y)));
    got.insert(
        "not_fitted_tree",
        msg(DecisionTreeClassifier::<i64>::default()
            .predict(x)
            .map(|_| ())),
    );
    got.insert(
        "not_fitted_forest",
        msg(RandomForestClassifier::<i64>::default()
            .predict(x)
            .map(|_| ())),
    );
    got.insert(
        "not_fitted_reg",
        msg(RandomForestRegressor::default().predict(x).map(|_| ())),
    );
    got.insert(
        "tree_length",
        msg(DecisionTreeClassifier::default().fit(x, short)),
    );
    got.insert(
        "forest_length",
        msg(RandomForestClassifier::default().fit(x, short)),
    );
    let gs = GridSearchCV {
        param_grid: grid_of(&serde_json::json!({"foo": [1]})),
        ..GridSearchCV::new(DecisionTreeClassifier::<i64>::default())
    };
    got.insert("grid_unknown", msg(gs.fit(x, &y).map(|_| ())));
    let mut f = RandomForestClassifier::<i64> {
        max_depth: Some(3),
        ..Default::default()
    };
    got.insert(
        "set_params_unknown",
        msg(f.set_params(&with(&[("foo", Param::Int(1))]))),
    );
    got.insert(
        "unknown_scoring",
        msg("foo"
            .parse::<kiln_learn::model_selection::Scorer>()
            .map(|_| ())),
    );
    let mut t = DecisionTreeClassifier::<i64>::default();
    t.set_params(&with(&[("min_samples_split", Param::Int(1))]))
        .unwrap();
    got.insert("min_samples_split_1", msg(t.fit(x, &y)));
    let mut f = RandomForestClassifier::<i64>::default();
    f.set_params(&with(&[("max_features", Param::Int(0))]))
        .unwrap();
    got.insert("max_features_0", msg(f.fit(x, &y)));
    let mut f = RandomForestClassifier::<i64> {
        bootstrap: false,
        oob_score: true,
        ..Default::default()
    };
    got.insert("oob_without_bootstrap", msg(f.fit(x, &y)));
    let mut t = DecisionTreeClassifier::<i64>::default();
    t.fit(x, &y).unwrap();
    let narrow = Matrix::from_rows(&x.rows().map(|r| r[..2].to_vec()).collect::<Vec<_>>()).unwrap();
    got.insert("feature_mismatch", msg(t.predict(&narrow).map(|_| ())));
    for (k, g) in &got {
        let (g, w) = (&sort_sets(g), &sort_sets(&want[*k]));
        if k.ends_with("unknown") && k != &"unknown_scoring" {
            // kiln lists the parameters it implements; scikit-learn's list is longer
            let cut = w.find(" Valid parameters are").unwrap();
            assert_eq!(&g[..cut], &w[..cut], "{k}");
        } else {
            assert_eq!(g, w, "{k}");
        }
    }
    assert_eq!(got.len(), want.len());
}
