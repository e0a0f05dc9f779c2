//! Tuner behaviour: resuming an interrupted search, Hyperband's checkpoint hand-over,
//! executions averaged, errors in Keras Tuner's words, and one small search of a real
//! kiln model.

use kiln::models::EvaluateArgs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use kiln_tuner::{
    Choice, Float, GridSearch, HyperParameters, Hyperband, Int, Objective, RandomSearch, ScoreData,
    ScoreModel, TrialStatus, TunerError,
};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kiln_tuner_{name}_{}", std::process::id()));
    std::fs::remove_dir_all(&d).ok();
    d
}

fn score_objective() -> Objective {
    Objective::new("score", "min").unwrap()
}

/// A hypermodel whose `calls`-th fit (counting from 1) aborts the search with a fatal
/// error, as a killed process would.
fn aborting_model(
    calls: Arc<AtomicUsize>,
    abort_at: usize,
) -> ScoreModel<impl FnMut(&mut HyperParameters) -> kiln_tuner::Result<kiln_tuner::EpochFn>> {
    ScoreModel::new(move |hp: &mut HyperParameters| {
        let x = hp.float(Float::new("x", 0.0, 1.0))?;
        let n = hp.int(Int::new("n", 1, 50))?;
        let calls = calls.clone();
        Ok(Box::new(move |_epoch| {
            let c = calls.fetch_add(1, Ordering::SeqCst) + 1;
            if c == abort_at {
                return Err(TunerError::Fatal("interrupted".into()));
            }
            Ok(vec![(
                "score".to_string(),
                (x - 0.4).abs() + n as f64 / 100.0,
            )])
        }))
    })
}

#[test]
fn an_interrupted_search_resumes_without_losing_or_repeating_a_trial() {
    let dir = tmp("resume");
    let calls = Arc::new(AtomicUsize::new(0));
    let build = |calls: Arc<AtomicUsize>, abort_at: usize, overwrite: bool| {
        RandomSearch::new(aborting_model(calls, abort_at))
            .objective(score_objective())
            .max_trials(6)
            .seed(21)
            .directory(&dir)
            .project_name("p")
            .overwrite(overwrite)
            .verbose(0)
            .build()
            .unwrap()
    };
    // first run: trials 0-2 finish, the 4th fit aborts the search
    let mut tuner = build(calls.clone(), 4, true);
    let mut data = ScoreData::new(1);
    let err = tuner.search_with(&mut data).unwrap_err();
    assert!(err.is_fatal(), "{err}");
    let first: Vec<_> = tuner.oracle().trials().to_vec();
    assert_eq!(first.len(), 4);
    assert_eq!(
        first
            .iter()
            .filter(|t| t.status == TrialStatus::Completed)
            .count(),
        3
    );
    assert_eq!(first[3].status, TrialStatus::Running);
    drop(tuner);
    for f in ["oracle.json", "tuner0.json", "trial_3/trial.json"] {
        assert!(dir.join("p").join(f).is_file(), "{f}");
    }

    // second run, overwrite=false: reloads, reruns trial 3, then 4 and 5
    let calls2 = Arc::new(AtomicUsize::new(0));
    let mut tuner = build(calls2.clone(), usize::MAX, false);
    let mut data = ScoreData::new(1);
    tuner.search_with(&mut data).unwrap();
    let fitted: Vec<&str> = data.fits.iter().map(|f| f.trial_id.as_str()).collect();
    assert_eq!(fitted, ["3", "4", "5"]);
    let trials = tuner.oracle().trials();
    assert_eq!(trials.len(), 6);
    let ids: Vec<&str> = trials.iter().map(|t| t.trial_id.as_str()).collect();
    assert_eq!(ids, ["0", "1", "2", "3", "4", "5"]);
    assert!(trials.iter().all(|t| t.status == TrialStatus::Completed));
    // the finished trials are untouched and the retried one kept its values
    for (a, b) in first.iter().zip(trials).take(4) {
        assert_eq!(a.hyperparameters.values(), b.hyperparameters.values());
    }
    for (a, b) in first.iter().zip(trials).take(3) {
        assert_eq!(a.score, b.score);
    }
    // no two trials share values
    let mut vals: Vec<String> = trials
        .iter()
        .map(|t| format!("{:?}", t.hyperparameters.values()))
        .collect();
    vals.sort();
    vals.dedup();
    assert_eq!(vals.len(), 6);
    // a third build with overwrite=false has nothing left to run
    let mut tuner = build(Arc::new(AtomicUsize::new(0)), usize::MAX, false);
    let mut data = ScoreData::new(1);
    tuner.search_with(&mut data).unwrap();
    assert!(data.fits.is_empty());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn hyperband_promotions_resume_from_the_parent_checkpoint() {
    // KILN_TUNER_KEEP_DIR keeps the project for tools/golden/check_tuner_oracle.py
    let keep = std::env::var_os("KILN_TUNER_KEEP_DIR").map(PathBuf::from);
    let dir = match &keep {
        Some(d) => d.join("hyperband"),
        None => tmp("hyperband"),
    };
    let model = ScoreModel::new(|hp: &mut HyperParameters| {
        let x = hp.float(Float::new("x", 0.0, 1.0))?;
        Ok(Box::new(move |epoch| {
            Ok(vec![(
                "score".to_string(),
                (x - 0.5).powi(2) + 1.0 / (epoch as f64 + 1.0),
            )])
        }))
    });
    let mut tuner = Hyperband::new(model)
        .objective(score_objective())
        .max_epochs(9)
        .factor(3)
        .seed(5)
        .directory(&dir)
        .overwrite(true)
        .verbose(0)
        .build()
        .unwrap();
    let mut data = ScoreData::new(100);
    tuner.search_with(&mut data).unwrap();
    let mut promoted = 0;
    for f in &data.fits {
        let t = tuner.oracle().get_trial(&f.trial_id).unwrap();
        let v = t.hyperparameters.values();
        assert_eq!(
            f.epochs as i64,
            v.get("tuner/epochs").unwrap().as_i64().unwrap()
        );
        assert_eq!(
            f.initial_epoch as i64,
            v.get("tuner/initial_epoch").unwrap().as_i64().unwrap()
        );
        match v.get("tuner/trial_id") {
            Some(parent) => {
                promoted += 1;
                let parent = tuner.oracle().get_trial(parent.as_str().unwrap()).unwrap();
                // the parent's best (last) epoch was checkpointed; the child starts there
                let parent_epochs = parent.hyperparameters.get("tuner/epochs").unwrap();
                assert_eq!(
                    Some(parent_epochs.as_i64().unwrap() as usize),
                    f.restored_epochs
                );
                assert_eq!(f.restored_epochs, Some(f.initial_epoch));
                // a promotion keeps the parent's values
                assert_eq!(
                    parent.hyperparameters.get("x").unwrap(),
                    t.hyperparameters.get("x").unwrap()
                );
            }
            None => assert_eq!(f.restored_epochs, None),
        }
    }
    assert!(promoted > 0);
    // Hyperband's trial ids are 4 wide (keras-tuner formats with len(str(None)))
    assert_eq!(tuner.oracle().trials()[0].trial_id, "0000");
    if keep.is_none() {
        std::fs::remove_dir_all(&dir).ok();
    }
}

#[test]
fn executions_per_trial_average_the_executions_best_epochs() {
    let dir = tmp("executions");
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let model = ScoreModel::new(move |hp: &mut HyperParameters| {
        hp.choice(Choice::new("c", ["a"]))?;
        let exec = c2.fetch_add(1, Ordering::SeqCst); // one build per execution
        Ok(Box::new(move |epoch| {
            // execution e scores 5+e, 3+e, 4+e: its best is 3+e, at epoch 1
            let s = [5.0, 3.0, 4.0][epoch] + exec as f64;
            Ok(vec![
                ("score".to_string(), s),
                ("other".to_string(), epoch as f64),
            ])
        }))
    });
    let mut tuner = RandomSearch::new(model)
        .objective(score_objective())
        .max_trials(1)
        .executions_per_trial(3)
        .directory(&dir)
        .overwrite(true)
        .verbose(0)
        .build()
        .unwrap();
    let builds_before = calls.load(Ordering::SeqCst);
    tuner.search_with(&mut ScoreData::new(3)).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst) - builds_before, 3);
    let t = &tuner.oracle().trials()[0];
    let e0 = builds_before as f64;
    // the objective per execution (its best epoch), then the mean over executions
    let want = ((3.0 + e0) + (4.0 + e0) + (5.0 + e0)) / 3.0;
    assert_eq!(t.score, Some(want));
    // reported at step int(mean(best epochs)) = 1, with the other metrics of those epochs
    assert_eq!(t.best_step, Some(1));
    let other = t.metrics.get("other").unwrap().best_value();
    assert_eq!(other, Some(1.0));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_input_is_an_err_in_keras_tuners_words() {
    let mut hp = HyperParameters::new();
    assert_eq!(
        hp.choice(Choice::new::<&str>("c", []))
            .unwrap_err()
            .to_string(),
        "`values` must be provided for `Choice`."
    );
    assert_eq!(
        hp.float(Float::new("lr", 0.0, 1.0).sampling("log"))
            .unwrap_err()
            .to_string(),
        "For HyperParameters.Float(name='lr'), sampling='log' does not support negative values, found min_value: 0.0."
    );
    assert_eq!(
        hp.conditional_scope("nope", ["a"], |hp| hp.int(Int::new("u", 1, 2)))
            .unwrap_err()
            .to_string(),
        "`HyperParameter` named: nope not defined."
    );
    assert_eq!(
        HyperParameters::new().get("units").unwrap_err().to_string(),
        "'units does not exist.'"
    );
    let err = RandomSearch::new(ScoreModel::new(|hp: &mut HyperParameters| {
        hp.int(Int::new("u", 1, 2))?;
        Ok(Box::new(|_| Ok(vec![])))
    }))
    .objective("my_score")
    .build()
    .err()
    .unwrap();
    assert!(err.to_string().starts_with(
        "Could not infer optimization direction (\"min\" or \"max\") for unknown metric \"my_score\"."
    ));
    // a space error raised while the tuner declares the space
    let dir = tmp("bad_space");
    let err = RandomSearch::new(ScoreModel::new(|hp: &mut HyperParameters| {
        hp.int(Int::new("units", 64, 32))?;
        Ok(Box::new(|_| Ok(vec![])))
    }))
    .objective(score_objective())
    .directory(&dir)
    .verbose(0)
    .build()
    .err()
    .unwrap();
    assert_eq!(
        err.to_string(),
        "For HyperParameters.Int(name='units'), min_value 64 is greater than the max_value 32."
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_objective_the_model_does_not_log_fails_the_search_after_three_trials() {
    let dir = tmp("missing_objective");
    let mut tuner = RandomSearch::new(ScoreModel::new(|hp: &mut HyperParameters| {
        hp.float(Float::new("x", 0.0, 1.0))?;
        Ok(Box::new(|_| {
            Ok(vec![
                ("loss".to_string(), 1.0),
                ("accuracy".to_string(), 0.5),
            ])
        }))
    }))
    .objective("val_accuracy")
    .max_trials(10)
    .directory(&dir)
    .overwrite(true)
    .verbose(0)
    .build()
    .unwrap();
    let err = tuner.search_with(&mut ScoreData::new(2)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Number of consecutive failures exceeded the limit of 3.\nObjective value missing in metrics reported to the Oracle, expected: ['val_accuracy'], found: dict_keys(['loss', 'accuracy'])"
    );
    assert_eq!(tuner.oracle().trials().len(), 3);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_exhausted_space_stops_the_search_and_says_so() {
    let dir = tmp("exhausted");
    let model = || {
        ScoreModel::new(|hp: &mut HyperParameters| {
            let v = hp.choice(Choice::new("opt", ["a", "b", "c"]))?;
            let s = v.as_str().map_or(0.0, |s| s.len() as f64);
            Ok(Box::new(move |_| Ok(vec![("score".to_string(), s)])))
        })
    };
    let mut tuner = RandomSearch::new(model())
        .objective(score_objective())
        .max_trials(10)
        .seed(5)
        .directory(&dir)
        .overwrite(true)
        .verbose(0)
        .build()
        .unwrap();
    tuner.search_with(&mut ScoreData::new(1)).unwrap();
    assert_eq!(tuner.oracle().trials().len(), 3);
    assert!(tuner.exhausted());
    // GridSearch stops after the last combination too
    let mut grid = GridSearch::new(model())
        .objective(score_objective())
        .directory(&dir)
        .project_name("grid")
        .overwrite(true)
        .verbose(0)
        .build()
        .unwrap();
    grid.search_with(&mut ScoreData::new(1)).unwrap();
    let order: Vec<String> = grid
        .oracle()
        .trials()
        .iter()
        .map(|t| t.hyperparameters.get("opt").unwrap().to_string())
        .collect();
    assert_eq!(order, ["a", "b", "c"]);
    assert!(grid.exhausted());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_small_kiln_model_search_end_to_end() {
    use kiln::callbacks::EarlyStopping;
    use kiln::layers::Dense;
    use kiln::models::{CompileArgs, FitArgs, Model};
    use kiln_tensor::Tensor;
    let n = 64;
    let xs: Vec<f32> = (0..n * 4)
        .map(|i| ((i * 37 % 101) as f32) / 101.0)
        .collect();
    let x = Tensor::from_vec(xs.clone(), &[n, 4]).unwrap();
    let y = Tensor::from_vec(
        (0..n)
            .map(|i| {
                if xs[i * 4] + xs[i * 4 + 1] > 1.0 {
                    1.0
                } else {
                    0.0
                }
            })
            .collect(),
        &[n, 1],
    )
    .unwrap();
    let build = |hp: &mut HyperParameters| -> kiln::Result<Model> {
        let units = hp.int(Int::new("units", 4, 16).step(4))? as usize;
        let lr = hp.float(Float::new("learning_rate", 1e-3, 1e-1).sampling("log"))?;
        let mut m = Model::sequential(vec![
            Dense::new(units)
                .activation("relu")
                .input_shape(&[4])
                .into(),
            Dense::new(1).activation("sigmoid").into(),
        ])?;
        m.compile(
            CompileArgs::new()
                .optimizer(kiln::optimizers::Adam::new(lr))
                .loss("binary_crossentropy")
                .metrics(["accuracy"]),
        )?;
        Ok(m)
    };
    let dir = tmp("kiln_e2e");
    let mut tuner = RandomSearch::new(build)
        .objective("val_accuracy")
        .max_trials(3)
        .executions_per_trial(2)
        .seed(3)
        .directory(&dir)
        .project_name("e2e")
        .overwrite(true)
        .verbose(0)
        .build()
        .unwrap();
    let (xv, yv) = (x.clone(), y.clone());
    tuner
        .search(&x, &y, move || {
            FitArgs::new()
                .epochs(3)
                .batch_size(16)
                .verbose(0)
                .validation_data(&xv, &yv)
                .callback(EarlyStopping::new().monitor("val_loss").patience(1))
        })
        .unwrap();
    let trials = tuner.oracle().trials();
    assert_eq!(trials.len(), 3);
    for t in trials {
        assert_eq!(t.status, TrialStatus::Completed);
        assert!(t.metrics.exists("val_accuracy") && t.metrics.exists("loss"));
        let ckpt = dir.join("e2e").join(format!("trial_{}", t.trial_id));
        assert!(ckpt.join("checkpoint.weights.h5").is_file());
        assert!(ckpt.join("trial.json").is_file());
    }
    let best_hp = &tuner.get_best_hyperparameters(1)[0];
    let best = tuner.oracle().get_best_trials(1)[0].score.unwrap();
    let mut models = tuner.get_best_models(1).unwrap();
    // the checkpoint holds the trial's single best epoch over both executions, which
    // scores at least the executions' mean (validation data = training data here)
    let logs = models[0]
        .evaluate(&x, &y, EvaluateArgs::new().batch_size(32).verbose(0))
        .unwrap();
    assert!(
        logs.get("accuracy").unwrap() >= best - 1e-6,
        "{logs:?} vs {best}"
    );
    assert!(best_hp.get("units").unwrap().as_i64().unwrap() % 4 == 0);
    std::fs::remove_dir_all(&dir).ok();
}
