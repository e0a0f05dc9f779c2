//! S001-4: GridSearchCV, RandomizedSearchCV and scikit-optimize's BayesSearchCV over a
//! RandomForestClassifier's `n_estimators`, `max_depth` and `min_samples_split`, 3-fold
//! cross-validation, each printing `Best Hyperparameters: {...}`.
//!
//! The seed's `X_train, y_train` are undefined; the port uses scikit-learn's breast
//! cancer data (569 x 30, the golden fixture `tools/golden/fixtures/sklearn/datasets.json`,
//! as S001-6 does), all of it as the training set. The seed's forests have no
//! `random_state`; the port fixes `random_state=0` (forests, sampler, optimiser) so runs
//! repeat — and so that scikit-learn and scikit-optimize give the very same candidates
//! and scores (`s001_4_sklearn.py` runs the seed's code on the same data): exactly for
//! the grid and randomized searches; for the Bayesian one the initial random points
//! always, and the GP-guided ones as long as kiln's acquisition optimum rounds to
//! skopt's (all 6 candidates of the short run; `--show` lists them).
//!
//! The default is a short run: the grid {n_estimators: [10, 20], max_depth: [3, 10],
//! min_samples_split: [2, 10]}, 5 random candidates (n_estimators in randint(10, 30)) and
//! 6 Bayesian ones (n_estimators in (10, 30), 3 initial points). `--full` runs the seed's
//! scale: the 27-point grid with 100..300 trees, 100 random candidates with
//! randint(100, 500) trees, and 32 Bayesian candidates over (100, 500) trees with
//! skopt's 10 initial points.
//!
//! `--show` also prints every Bayesian candidate with its mean test score.
//!
//! `cargo run --release -p kiln-learn --example s001_4_rf_search -- --full`

use std::time::Instant;

use kiln_learn::ensemble::RandomForestClassifier;
use kiln_learn::estimator::{params_repr, Param};
use kiln_learn::model_selection::{
    grid, BayesSearchCV, Cv, Dimension, Distribution, Distributions, GridSearchCV, OptimizerKwargs,
    RandomizedSearchCV, SearchSpace,
};
use kiln_learn::Matrix;

fn breast_cancer() -> Result<(Matrix, Vec<i64>), Box<dyn std::error::Error>> {
    let path = format!(
        "{}/../../tools/golden/fixtures/sklearn/datasets.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    let case = doc["cases"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "breast_cancer"))
        .ok_or("no breast_cancer case")?;
    let rows: Vec<Vec<f64>> = case["X"]
        .as_array()
        .ok_or("X")?
        .iter()
        .map(|r| {
            r.as_array()
                .map(|v| v.iter().filter_map(|x| x.as_f64()).collect())
                .unwrap_or_default()
        })
        .collect();
    let y = case["y"]
        .as_array()
        .ok_or("y")?
        .iter()
        .filter_map(|v| v.as_i64())
        .collect();
    Ok((Matrix::from_rows(&rows)?, y))
}

fn ints(v: &[i64]) -> Vec<Param> {
    v.iter().map(|&i| Param::Int(i)).collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let full = std::env::args().any(|a| a == "--full");
    // --show: every Bayesian candidate and its mean score (s001_4_sklearn.py --show)
    let show = std::env::args().any(|a| a == "--show");
    let (x_train, y_train) = breast_cancer()?;
    let forest = RandomForestClassifier::<i64> {
        random_state: Some(0),
        ..Default::default()
    };

    // Grid search
    let param_grid = if full {
        grid([
            ("n_estimators", ints(&[100, 200, 300])),
            ("max_depth", ints(&[10, 20, 30])),
            ("min_samples_split", ints(&[2, 5, 10])),
        ])
    } else {
        grid([
            ("n_estimators", ints(&[10, 20])),
            ("max_depth", ints(&[3, 10])),
            ("min_samples_split", ints(&[2, 10])),
        ])
    };
    let n_candidates: usize = param_grid.values().map(Vec::len).product();
    println!(
        "Fitting 3 folds for each of {n_candidates} candidates, totalling {} fits",
        3 * n_candidates
    );
    let t = Instant::now();
    let grid_search = GridSearchCV {
        param_grid: vec![param_grid],
        cv: Cv::Folds(3),
        ..GridSearchCV::new(forest.clone())
    }
    .fit(&x_train, &y_train)?;
    println!(
        "Best Hyperparameters: {}",
        params_repr(&grid_search.best_params)
    );
    println!(
        "Best score: {:.6} ({:.1}s)",
        grid_search.best_score,
        t.elapsed().as_secs_f64()
    );

    // Random search
    let (n_iter, trees) = if full {
        (100, (100, 500))
    } else {
        (5, (10, 30))
    };
    let mut param_dist = Distributions::new();
    param_dist.insert(
        "n_estimators".into(),
        Distribution::RandInt {
            low: trees.0,
            high: trees.1,
        },
    );
    param_dist.insert(
        "max_depth".into(),
        Distribution::RandInt { low: 10, high: 50 },
    );
    param_dist.insert(
        "min_samples_split".into(),
        Distribution::RandInt { low: 2, high: 11 },
    );
    println!(
        "Fitting 3 folds for each of {n_iter} candidates, totalling {} fits",
        3 * n_iter
    );
    let t = Instant::now();
    let random_search = RandomizedSearchCV {
        param_distributions: vec![param_dist],
        n_iter,
        cv: Cv::Folds(3),
        random_state: Some(0),
        ..RandomizedSearchCV::new(forest.clone())
    }
    .fit(&x_train, &y_train)?;
    println!(
        "Best Hyperparameters: {}",
        params_repr(&random_search.best_params)
    );
    println!(
        "Best score: {:.6} ({:.1}s)",
        random_search.best_score,
        t.elapsed().as_secs_f64()
    );

    // Bayesian optimisation: the seed's (low, high) tuples are skopt Integer dimensions
    let (n_iter, trees, initial) = if full {
        (32, (100, 500), 10)
    } else {
        (6, (10, 30), 3)
    };
    let mut param_space = SearchSpace::new();
    param_space.insert("n_estimators".into(), Dimension::integer(trees.0, trees.1)?);
    param_space.insert("max_depth".into(), Dimension::integer(10, 50)?);
    param_space.insert("min_samples_split".into(), Dimension::integer(2, 11)?);
    let t = Instant::now();
    let bayes_search = BayesSearchCV {
        search_spaces: vec![(param_space, None)],
        n_iter,
        cv: Cv::Folds(3),
        random_state: Some(0),
        optimizer_kwargs: OptimizerKwargs {
            n_initial_points: initial,
            ..Default::default()
        },
        ..BayesSearchCV::new(forest)
    }
    .fit(&x_train, &y_train)?;
    if show {
        let r = &bayes_search.cv_results;
        for (p, m) in r.params.iter().zip(&r.mean_test_score) {
            println!("{} {m}", params_repr(p));
        }
    }
    println!(
        "Best Hyperparameters: {}",
        params_repr(&bayes_search.best_params)
    );
    println!(
        "Best score: {:.6} ({:.1}s)",
        bayes_search.best_score,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
