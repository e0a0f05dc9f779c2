//! scikeras's KerasClassifier / KerasRegressor under kiln-learn's model selection.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use kiln::layers::Dense;
use kiln::models::{CompileArgs, Model};
use kiln_learn::estimator::{Classifier, Estimator, Param, Params, Predictor};
use kiln_learn::model_selection::{cross_val_score, grid, Cv, GridSearchCV};
use kiln_learn::Matrix;
use kiln_tuner::scikeras::{BuildArgs, KerasClassifier, KerasRegressor};

/// scikit-learn's breast cancer data (the golden fixture), standardised per column.
fn breast_cancer() -> (Matrix, Vec<i64>) {
    let path = format!(
        "{}/../../tools/golden/fixtures/sklearn/datasets.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json");
    let case = doc["cases"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "breast_cancer"))
        .expect("breast_cancer");
    let rows: Vec<Vec<f64>> = case["X"]
        .as_array()
        .expect("X")
        .iter()
        .map(|r| {
            r.as_array()
                .expect("row")
                .iter()
                .map(|v| v.as_f64().expect("f"))
                .collect()
        })
        .collect();
    let y: Vec<i64> = case["y"]
        .as_array()
        .expect("y")
        .iter()
        .map(|v| v.as_i64().expect("label"))
        .collect();
    let (n, d) = (rows.len(), rows[0].len());
    let mut x = Matrix::from_rows(&rows).expect("matrix");
    for j in 0..d {
        let mean = rows.iter().map(|r| r[j]).sum::<f64>() / n as f64;
        let sd = (rows.iter().map(|r| (r[j] - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        for (i, r) in rows.iter().enumerate() {
            x.row_mut(i)[j] = (r[j] - mean) / sd;
        }
    }
    (x, y)
}

fn binary_builder(
    calls: Arc<AtomicUsize>,
) -> impl Fn(&BuildArgs) -> kiln::Result<Model> + Send + Sync {
    move |args: &BuildArgs| {
        calls.fetch_add(1, Ordering::SeqCst);
        let units = args.int("units", 8)? as usize;
        let mut m = Model::sequential(vec![
            Dense::new(units)
                .activation("relu")
                .input_shape(&[args.meta().n_features_in])
                .into(),
            Dense::new(1).activation("sigmoid").into(),
        ])?;
        m.compile(
            CompileArgs::new()
                .optimizer("adam")
                .loss("binary_crossentropy")
                .metrics(["accuracy"]),
        )?;
        Ok(m)
    }
}

fn params(entries: &[(&str, Param)]) -> Params {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

#[test]
fn defaults_are_scikeras() {
    let clf = KerasClassifier::<i64>::new(binary_builder(Arc::default()));
    let p = clf.get_params();
    let expect = [
        ("batch_size", Param::None),
        ("callbacks", Param::None),
        ("class_weight", Param::None),
        ("epochs", Param::Int(1)),
        ("loss", Param::None),
        ("metrics", Param::None),
        ("optimizer", Param::Str("rmsprop".into())),
        ("random_state", Param::None),
        ("run_eagerly", Param::Bool(false)),
        ("shuffle", Param::Bool(true)),
        ("validation_batch_size", Param::None),
        ("validation_split", Param::Float(0.0)),
        ("verbose", Param::Int(1)),
        ("warm_start", Param::Bool(false)),
    ];
    assert_eq!(p, params(&expect));
    let reg = KerasRegressor::new(binary_builder(Arc::default()));
    assert!(!reg.get_params().contains_key("class_weight"));
    assert_eq!(reg.get_params().len(), expect.len() - 1);
}

#[test]
fn set_params_routes_and_rejects_unknown_names() {
    let mut clf = KerasClassifier::<i64>::new(binary_builder(Arc::default())).param("units", 4);
    clf.set_params(&params(&[
        ("model__units", Param::Int(16)),
        ("fit__batch_size", Param::Int(64)),
        ("epochs", Param::Int(3)),
    ]))
    .expect("routed names are accepted");
    let p = clf.get_params();
    assert_eq!(p["model__units"], Param::Int(16));
    assert_eq!(p["units"], Param::Int(4));
    assert_eq!(p["fit__batch_size"], Param::Int(64));
    assert_eq!(p["epochs"], Param::Int(3));

    let err = clf
        .set_params(&params(&[("foo", Param::Int(1))]))
        .unwrap_err()
        .to_string();
    // scikeras 0.13's wording
    assert_eq!(
        err,
        "Invalid parameter foo for estimator KerasClassifier.\nThis issue can likely be resolved by setting this parameter in the KerasClassifier constructor:\n`KerasClassifier(foo=1)`\nCheck the list of available parameters with `estimator.get_params().keys()`"
    );
    // an invalid value is an error and changes nothing
    let before = clf.get_params();
    assert!(clf
        .set_params(&params(&[
            ("epochs", Param::Str("x".into())),
            ("verbose", Param::Int(0))
        ]))
        .is_err());
    assert_eq!(clf.get_params(), before);
    assert!(clf
        .set_params(&params(&[("fit__nonsense", Param::Int(1))]))
        .unwrap_err()
        .to_string()
        .contains("fit__nonsense"));
}

#[test]
fn predict_before_fit_is_an_error() {
    let clf = KerasClassifier::<i64>::new(binary_builder(Arc::default()));
    let x = Matrix::from_rows(&[[0.0; 30]]).unwrap();
    let msg = "Estimator needs to be fit before `predict` can be called";
    assert_eq!(clf.predict(&x).unwrap_err().to_string(), msg);
    assert_eq!(clf.predict_proba(&x).unwrap_err().to_string(), msg);
    assert!(clf.classes().is_err());
    let reg = KerasRegressor::new(binary_builder(Arc::default()));
    assert_eq!(reg.predict(&x).unwrap_err().to_string(), msg);
}

#[test]
fn routed_params_reach_the_factory_and_each_fit_rebuilds() {
    let (x, y) = breast_cancer();
    let seen = Arc::new(AtomicUsize::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    let (s2, c2) = (seen.clone(), calls.clone());
    let build = move |args: &BuildArgs| -> kiln::Result<Model> {
        c2.fetch_add(1, Ordering::SeqCst);
        let units = args.int("units", 8)? as usize;
        s2.store(units, Ordering::SeqCst);
        assert_eq!(args.meta().n_features_in, 30);
        assert_eq!(args.meta().target_type, "binary");
        assert_eq!(args.meta().n_classes, Some(2));
        let mut m = Model::sequential(vec![
            Dense::new(units)
                .activation("relu")
                .input_shape(&[30])
                .into(),
            Dense::new(1).activation("sigmoid").into(),
        ])?;
        m.compile(args.compile_args()?)?;
        Ok(m)
    };
    let mut clf = KerasClassifier::<i64>::new(build)
        .param("units", 3)
        .param("loss", "binary_crossentropy")
        .param("verbose", 0);
    clf.fit(&x, &y).unwrap();
    assert_eq!(seen.load(Ordering::SeqCst), 3, "a user parameter is passed");
    clf.set_params(&params(&[("model__units", Param::Int(5))]))
        .unwrap();
    clf.fit(&x, &y).unwrap();
    assert_eq!(
        seen.load(Ordering::SeqCst),
        5,
        "model__ wins over the plain name"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2, "fit rebuilds the model");
    assert_eq!(clf.model().unwrap().count_params(), 30 * 5 + 5 + 5 + 1);
    // a clone is not fitted and builds its own model
    let mut c = clf.clone();
    assert!(c.predict(&x).is_err());
    c.fit(&x, &y).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    // warm_start continues with the fitted model
    clf.set_params(&params(&[("warm_start", Param::Bool(true))]))
        .unwrap();
    clf.fit(&x, &y).unwrap();
    clf.partial_fit(&x, &y).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    // wrong feature count
    let bad = Matrix::from_rows(&[[0.0; 4]]).unwrap();
    assert_eq!(
        clf.predict(&bad).unwrap_err().to_string(),
        "X has shape (4,), but this KerasClassifier is expecting X of shape (30,)"
    );
}

#[test]
fn score_is_the_models_own_accuracy() {
    let (x, y) = breast_cancer();
    let mut clf = KerasClassifier::<i64>::new(binary_builder(Arc::default()))
        .param("epochs", 3)
        .param("verbose", 0)
        .param("random_state", 7);
    clf.fit(&x, &y).unwrap();
    assert_eq!(clf.classes().unwrap(), &[0, 1]);
    let proba = clf.predict_proba(&x).unwrap();
    assert_eq!(proba.shape(), (569, 2));
    for row in proba.rows() {
        assert!((row[0] + row[1] - 1.0).abs() < 1e-6);
    }
    let pred = clf.predict(&x).unwrap();
    for (row, p) in proba.rows().zip(&pred) {
        assert_eq!(*p, i64::from(row[1] > row[0]));
    }
    let score = clf.score(&x, &y).unwrap();
    let logs = clf.evaluate(&x, &y).unwrap();
    let acc = logs
        .iter()
        .find(|(k, _)| k == "accuracy")
        .expect("accuracy")
        .1;
    assert!(
        (score - acc).abs() < 1e-6,
        "score {score} vs evaluate {acc}"
    );
    assert!(score > 0.85, "3 epochs on standardised data: {score}");

    // the same random_state gives the same model
    let mut again = clf.clone();
    again.fit(&x, &y).unwrap();
    assert_eq!(again.predict_proba(&x).unwrap(), proba);
}

#[test]
fn multiclass_labels_and_one_hot_targets() {
    // three separated clusters with string labels
    let mut rows = Vec::new();
    let mut y = Vec::new();
    for i in 0..90 {
        let c = i % 3;
        let t = (i / 3) as f64 / 30.0;
        rows.push([c as f64 * 3.0 + t, (2 - c) as f64 * 2.0 - t]);
        y.push(["cat", "dog", "emu"][c].to_string());
    }
    let x = Matrix::from_rows(&rows).unwrap();
    for loss in [
        "sparse_categorical_crossentropy",
        "categorical_crossentropy",
    ] {
        let build = |a: &BuildArgs| -> kiln::Result<Model> {
            let k = a.meta().n_classes.unwrap_or(2);
            assert_eq!(a.meta().target_type, "multiclass");
            Model::sequential(vec![
                Dense::new(16).activation("relu").input_shape(&[2]).into(),
                Dense::new(k).activation("softmax").into(),
            ])
        };
        let mut clf = KerasClassifier::<String>::new(build)
            .param("loss", loss)
            .param("optimizer", "adam")
            .param("optimizer__learning_rate", 0.05)
            .param("metrics", "accuracy")
            .param("epochs", 30)
            .param("batch_size", 16)
            .param("verbose", 0)
            .param("random_state", 3);
        clf.fit(&x, &y).unwrap();
        assert_eq!(clf.classes().unwrap(), &["cat", "dog", "emu"]);
        let proba = clf.predict_proba(&x).unwrap();
        assert_eq!(proba.shape(), (90, 3));
        let score = clf.score(&x, &y).unwrap();
        let acc = clf
            .evaluate(&x, &y)
            .unwrap()
            .into_iter()
            .find(|(k, _)| k == "accuracy")
            .unwrap()
            .1;
        assert!((score - acc).abs() < 1e-6, "{loss}: {score} vs {acc}");
        assert!(score > 0.9, "{loss}: {score}");
    }
}

#[test]
fn works_under_cross_val_score_and_grid_search() {
    let (x, y) = breast_cancer();
    let calls = Arc::new(AtomicUsize::new(0));
    let clf = KerasClassifier::<i64>::new(binary_builder(calls.clone()))
        .param("epochs", 10)
        .param("verbose", 0)
        .param("random_state", 0);
    let scores = cross_val_score(&clf, &x, &y, &Cv::Folds(3), None).unwrap();
    assert_eq!(scores.len(), 3);
    assert!(scores.iter().all(|s| (0.8..=1.0).contains(s)), "{scores:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    let search = GridSearchCV {
        param_grid: vec![grid([
            ("model__units", vec![Param::Int(2), Param::Int(16)]),
            ("epochs", vec![Param::Int(1), Param::Int(10)]),
        ])],
        cv: Cv::Folds(3),
        ..GridSearchCV::new(clf.clone())
    };
    let result = search.fit(&x, &y).unwrap();
    assert_eq!(result.cv_results.params.len(), 4);
    assert_eq!(result.cv_results.split_test_scores.len(), 3);
    assert_eq!(calls.load(Ordering::SeqCst), 3 + 12 + 1);
    assert_eq!(
        result.cv_results.param_columns["epochs"],
        vec![
            Some(Param::Int(1)),
            Some(Param::Int(1)),
            Some(Param::Int(10)),
            Some(Param::Int(10))
        ]
    );
    // more epochs help on this data
    let m = &result.cv_results.mean_test_score;
    assert!(m[3] > m[0], "{m:?}");
    let best = result.best_estimator.expect("refit");
    assert_eq!(best.get_params()["epochs"], result.best_params["epochs"]);
    assert!(best.score(&x, &y).unwrap() > 0.8);

    let bad = GridSearchCV {
        param_grid: vec![grid([("units_typo", vec![Param::Int(2)])])],
        ..GridSearchCV::new(clf)
    };
    assert!(bad
        .fit(&x, &y)
        .unwrap_err()
        .to_string()
        .starts_with("Invalid parameter units_typo for estimator KerasClassifier."));
}

#[test]
fn regressor_scores_r2_and_needs_a_loss() {
    let rows: Vec<[f64; 2]> = (0..64)
        .map(|i| [i as f64 / 32.0 - 1.0, ((i * 7) % 11) as f64 / 11.0])
        .collect();
    let y: Vec<f64> = rows.iter().map(|r| 2.0 * r[0] - r[1] + 0.5).collect();
    let x = Matrix::from_rows(&rows).unwrap();
    let build = |a: &BuildArgs| {
        Model::sequential(vec![Dense::new(1)
            .input_shape(&[a.meta().n_features_in])
            .into()])
    };
    let mut reg = KerasRegressor::new(build).param("verbose", 0);
    assert_eq!(
        reg.fit(&x, &y).unwrap_err().to_string(),
        "You must provide a loss or a compiled model"
    );
    let mut reg = reg
        .param("loss", "mse")
        .param("optimizer", "adam")
        .param("optimizer__learning_rate", 0.1)
        .param("epochs", 60)
        .param("random_state", 2);
    reg.fit(&x, &y).unwrap();
    let pred = reg.predict(&x).unwrap();
    let r2 = kiln_learn::metrics::r2_score(&y, &pred, None, true).unwrap();
    assert_eq!(reg.score(&x, &y).unwrap(), r2);
    assert!(r2 > 0.95, "{r2}");
    let scores =
        cross_val_score(&reg, &x, &y, &Cv::Folds(3), Some("neg_mean_squared_error")).unwrap();
    assert!(scores.iter().all(|s| *s <= 0.0));
}

fn json_param(v: &serde_json::Value) -> Param {
    match v {
        serde_json::Value::Null => Param::None,
        serde_json::Value::Bool(b) => Param::Bool(*b),
        serde_json::Value::String(s) => Param::Str(s.clone()),
        serde_json::Value::Number(n) if n.is_i64() => Param::Int(n.as_i64().unwrap_or(0)),
        serde_json::Value::Number(n) => Param::Float(n.as_f64().unwrap_or(f64::NAN)),
        other => panic!("{other}"),
    }
}

fn json_params(v: &serde_json::Value) -> Params {
    v.as_object()
        .expect("object")
        .iter()
        .map(|(k, v)| (k.clone(), json_param(v)))
        .collect()
}

#[test]
fn params_and_messages_equal_scikeras() {
    // tools/golden/gen_scikeras.py (scikeras 0.13.0)
    let path = format!(
        "{}/../../tools/golden/fixtures/scikeras.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json");
    let clf = KerasClassifier::<i64>::new(binary_builder(Arc::default()));
    assert_eq!(clf.get_params(), json_params(&doc["classifier_defaults"]));
    let reg = KerasRegressor::new(binary_builder(Arc::default()));
    assert_eq!(reg.get_params(), json_params(&doc["regressor_defaults"]));
    let mut c = KerasClassifier::<i64>::new(binary_builder(Arc::default())).param("units", 4);
    c.set_params(&params(&[
        ("model__units", Param::Int(16)),
        ("fit__batch_size", Param::Int(64)),
        ("epochs", Param::Int(3)),
    ]))
    .unwrap();
    assert_eq!(c.get_params(), json_params(&doc["routed"]));
    let err = c
        .set_params(&params(&[("foo", Param::Int(1))]))
        .unwrap_err();
    assert_eq!(err.to_string(), doc["unknown_param"].as_str().unwrap());
    let x = Matrix::from_rows(&[[0.0; 3], [0.0; 3]]).unwrap();
    assert_eq!(
        c.predict(&x).unwrap_err().to_string(),
        doc["not_fitted"]["message"].as_str().unwrap()
    );
}

#[test]
fn works_under_bayes_search() {
    use kiln_learn::model_selection::{BayesSearchCV, Dimension, OptimizerKwargs, SearchSpace};
    let (x, y) = breast_cancer();
    let clf = KerasClassifier::<i64>::new(binary_builder(Arc::default()))
        .param("verbose", 0)
        .param("random_state", 0);
    let mut space = SearchSpace::new();
    space.insert("model__units".into(), Dimension::integer(2, 32).unwrap());
    space.insert("epochs".into(), Dimension::integer(1, 12).unwrap());
    let res = BayesSearchCV {
        search_spaces: vec![(space, None)],
        n_iter: 6,
        cv: Cv::Folds(3),
        random_state: Some(0),
        optimizer_kwargs: OptimizerKwargs {
            n_initial_points: 3,
            n_points: 500,
            ..Default::default()
        },
        ..BayesSearchCV::new(clf)
    }
    .fit(&x, &y)
    .unwrap();
    assert_eq!(res.cv_results.params.len(), 6);
    for p in &res.cv_results.params {
        assert!(matches!(p["model__units"], Param::Int(2..=32)));
        assert!(matches!(p["epochs"], Param::Int(1..=12)));
    }
    let best = res.best_estimator.as_ref().expect("refit");
    assert_eq!(best.get_params()["epochs"], res.best_params["epochs"]);
    assert!(res.best_score > 0.8, "{}", res.best_score);
}
