//! Runs the seed's CartPole examples (S003-48 Q-learning, S003-49 DQN) for a few episodes
//! and checks the seed's output lines, the learning-curve PNG, and that bad flags are
//! refused. Solving CartPole takes a release build and minutes; that is measured by hand
//! (`cargo run --release -p kiln --example s003_49_dqn -- --seed N`), not here.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const EXAMPLES: &[&str] = &["s003_48_q_learning", "s003_49_dqn"];

fn example(name: &str) -> PathBuf {
    // target/<profile>/deps/<test-binary> -> target/<profile>/examples/<name>
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    dir.join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

fn build_examples() {
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(["build", "-p", "kiln"]);
        for e in EXAMPLES {
            cmd.args(["--example", e]);
        }
        let status = cmd.status().expect("running cargo build --example");
        assert!(status.success(), "building the examples");
    });
}

fn run(name: &str, args: &[&str]) -> Output {
    build_examples();
    let path = example(name);
    Command::new(&path)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", path.display()))
}

fn run_ok(name: &str, args: &[&str]) -> String {
    let out = run(name, args);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{name} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The PNG's width and height from its IHDR chunk, after checking the signature.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    (be(16), be(20))
}

/// Scores from the lines `Episode: <prefix>..., Score: s` (training lines have `i/N`).
fn scores(out: &str, training: bool) -> Vec<f64> {
    out.lines()
        .filter_map(|l| l.strip_prefix("Episode: "))
        .filter(|l| {
            l.split(',')
                .next()
                .is_some_and(|i| i.contains('/') == training)
        })
        .map(|l| {
            let s = l.rsplit("Score: ").next().expect("a score");
            s.parse::<f64>()
                .unwrap_or_else(|_| panic!("score '{s}' in '{l}'"))
        })
        .collect()
}

fn check_run(out: &str, episodes: usize, plot: &Path) {
    let train = scores(out, true);
    assert_eq!(train.len(), episodes, "{out}");
    for (i, line) in out
        .lines()
        .filter(|l| l.starts_with("Episode: ") && l.contains('/'))
        .enumerate()
    {
        assert!(
            line.starts_with(&format!("Episode: {}/{episodes}, Score: ", i + 1)),
            "{line}"
        );
    }
    let eval = scores(out, false);
    assert_eq!(eval.len(), 10, "{out}");
    // CartPole scores are whole numbers of steps, 1 to 500
    for s in train.iter().chain(&eval) {
        assert!(s.fract() == 0.0 && (1.0..=500.0).contains(s), "{s}\n{out}");
    }
    assert_eq!(png_size(plot), (640, 400));
}

#[test]
fn q_learning_prints_the_seeds_lines_and_a_curve() {
    let plot = std::env::temp_dir().join(format!("kiln_test_s003_48_{}.png", std::process::id()));
    let out = run_ok(
        "s003_48_q_learning",
        &[
            "--episodes",
            "5",
            "--seed",
            "1",
            "--plot",
            plot.to_str().unwrap(),
        ],
    );
    check_run(&out, 5, &plot);
    let _ = std::fs::remove_file(&plot);
}

#[test]
fn dqn_prints_the_seeds_lines_and_a_curve_and_is_reproducible() {
    let plot = std::env::temp_dir().join(format!("kiln_test_s003_49_{}.png", std::process::id()));
    let args = [
        "--episodes",
        "4",
        "--seed",
        "2",
        "--solve-check",
        "false",
        "--plot",
        plot.to_str().unwrap(),
    ];
    let out = run_ok("s003_49_dqn", &args);
    check_run(&out, 4, &plot);
    assert!(out.contains("trained 4 episodes (no solve check)"), "{out}");
    // the same seed replays the same episodes (weights, exploration, replay, environment)
    let again = run_ok("s003_49_dqn", &args);
    assert_eq!(scores(&out, true), scores(&again, true));
    assert_eq!(scores(&out, false), scores(&again, false));
    let _ = std::fs::remove_file(&plot);
}

#[test]
fn bad_flags_are_refused_by_name() {
    for (args, needle) in [
        (
            &["--episodes", "many"][..],
            "--episodes: cannot parse 'many'",
        ),
        (&["--nope", "1"][..], "unknown argument '--nope'"),
        (&["--seed"][..], "--seed needs a value"),
    ] {
        let out = run("s003_49_dqn", args);
        assert!(!out.status.success(), "{args:?} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}
