//! Runs the seed examples in their short default form (cargo builds examples before
//! integration tests) and checks their key lines.

use std::process::Command;

fn run(name: &str) -> String {
    let exe = std::env::current_exe().expect("test binary");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let bin = dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let o = Command::new(&bin)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        o.status.success(),
        "{name} failed:\n{text}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    text
}

#[test]
fn s001_4_searches_print_their_best_hyperparameters() {
    let t = run("s001_4_rf_search");
    let best: Vec<&str> = t
        .lines()
        .filter(|l| l.starts_with("Best Hyperparameters: {"))
        .collect();
    assert_eq!(best.len(), 3, "{t}");
    // scikit-learn 1.9.1 prints the same for the grid and randomized searches
    // (crates/kiln-learn/examples/s001_4_sklearn.py)
    assert_eq!(
        best[0],
        "Best Hyperparameters: {'max_depth': 10, 'min_samples_split': 2, 'n_estimators': 10}"
    );
    assert!(t.contains("Best score: 0.961339"), "{t}");
    assert_eq!(
        best[1],
        "Best Hyperparameters: {'max_depth': 10, 'min_samples_split': 5, 'n_estimators': 13}"
    );
    assert!(t.contains("Best score: 0.950812"), "{t}");
    assert!(
        t.contains("Fitting 3 folds for each of 8 candidates, totalling 24 fits"),
        "{t}"
    );
    // the Bayesian search's points are its own; its keys and ranges are the space's
    let b = best[2];
    assert!(
        b.contains("'max_depth': ")
            && b.contains("'min_samples_split': ")
            && b.contains("'n_estimators': "),
        "{b}"
    );
}
