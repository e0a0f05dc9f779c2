//! Runs the S001-5 example in its short default form (cargo builds examples before
//! integration tests) and checks its key lines.

use std::process::Command;

#[test]
fn s001_5_hyperband_prints_the_best_units() {
    let exe = std::env::current_exe().expect("test binary");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let bin = dir
        .join("examples")
        .join(format!("s001_5_hyperband{}", std::env::consts::EXE_SUFFIX));
    let o = Command::new(&bin)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
    let t = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        o.status.success(),
        "{t}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let line = t
        .lines()
        .find(|l| l.starts_with("Best Hyperparameters: {'units': "))
        .unwrap_or_else(|| panic!("{t}"));
    let units: usize = line["Best Hyperparameters: {'units': ".len()..]
        .split(',')
        .next()
        .and_then(|u| u.trim().parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(
        (32..=512).contains(&units) && units.is_multiple_of(32),
        "{line}"
    );
    // Hyperband's bookkeeping values follow, as keras-tuner's `.values` has them
    assert!(line.contains("'tuner/epochs': "), "{line}");
    // max_epochs=4, factor=3, oracle seed 1: keras-tuner 1.4.8 runs 10 trials too
    // (s001_5_keras_tuner.py)
    assert!(t.contains("Trials: 10\n"), "{t}");
}
