//! The `kiln` binary's invocations: exit codes and key output lines of every command
//! (written against the hand-parsed CLI before the port to clap, so the port keeps them),
//! then `--help`, per-command help, a bad flag's error and shell completions.
//!
//! Each run uses tiny settings (a filtered op bench at budget 0, argument errors that
//! stop before any work) so the file takes seconds; `train_mnist.rs` and
//! `model_commands.rs` cover the commands that do real work.

use std::process::Command;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn kiln(args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(args)
        .output()
        .unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).to_string(),
        stderr: String::from_utf8_lossy(&out.stderr).to_string(),
    }
}

// ---- the old invocations ----

#[test]
fn no_arguments_and_help_print_the_commands_and_succeed() {
    for args in [&[][..], &["help"], &["--help"], &["-h"]] {
        let o = kiln(args);
        assert_eq!(o.code, 0, "{args:?}: {}", o.stderr);
        for cmd in ["train", "summary", "predict", "evaluate", "bench"] {
            assert!(o.stdout.contains(cmd), "{args:?} lacks {cmd}: {}", o.stdout);
        }
    }
}

#[test]
fn bench_ops_prints_one_json_line_per_matching_bench() {
    let o = kiln(&["bench", "ops", "--filter", "add_f32_1m", "--budget", "0"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let lines: Vec<serde_json::Value> = o
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 1, "{}", o.stdout);
    assert_eq!(lines[0]["bench"], "add_f32_1m");
    assert_eq!(lines[0]["impl"], "kiln");
    assert!(lines[0]["seconds"].as_f64().unwrap() > 0.0);

    // --extra adds kiln-only benches; the filter still applies.
    let o = kiln(&[
        "bench",
        "ops",
        "--extra",
        "--filter",
        "add_f32_8",
        "--budget",
        "0",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("\"add_f32_8\""), "{}", o.stdout);
    let o = kiln(&["bench", "ops", "--filter", "add_f32_8", "--budget", "0"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(!o.stdout.contains("\"add_f32_8\""), "{}", o.stdout);
}

#[test]
fn bench_ops_rejects_bad_options_with_status_2() {
    for (args, needle) in [
        (&["bench", "ops", "--budget", "x"][..], "--budget"),
        (&["bench", "ops", "--budget", "-1"], "--budget"),
        (&["bench", "ops", "--filter"], "--filter"),
        (&["bench", "ops", "--nope"], "--nope"),
    ] {
        let o = kiln(args);
        assert_eq!(o.code, 2, "{args:?}: {}", o.stderr);
        assert!(o.stderr.contains(needle), "{args:?}: {}", o.stderr);
        assert!(o.stdout.is_empty(), "{args:?}: {}", o.stdout);
    }
}

#[test]
fn bench_train_of_an_unknown_workload_fails_with_status_1() {
    let o = kiln(&["bench", "train", "no_such_workload"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr.contains("kiln bench train no_such_workload"),
        "{}",
        o.stderr
    );
}

#[test]
fn bench_train_runs_a_named_workload() {
    let o = kiln(&["bench", "train", "dqn_step"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let line: serde_json::Value = serde_json::from_str(o.stdout.trim()).unwrap();
    assert!(line.to_string().contains("dqn_step"), "{line}");
}

#[test]
fn unknown_commands_and_suites_fail_with_status_2() {
    for (args, needle) in [
        (&["frobnicate"][..], "frobnicate"),
        (&["bench", "train2"], "train2"),
        (&["bench"], "bench"),
    ] {
        let o = kiln(args);
        assert_eq!(o.code, 2, "{args:?}: {}", o.stderr);
        assert!(o.stderr.contains(needle), "{args:?}: {}", o.stderr);
    }
}

#[test]
fn train_rejects_bad_options_with_status_2_before_loading_data() {
    for (args, needle) in [
        (&["train", "--model", "rnn"][..], "rnn"),
        (&["train", "--epochs", "0"], "--epochs"),
        (&["train", "--epochs", "two"], "--epochs"),
        (&["train", "--batch-size", "0"], "--batch-size"),
        (&["train", "--seed", "x"], "--seed"),
        (&["train", "--lr-schedule", "step"], "--lr-schedule"),
        (&["train", "--epochs"], "--epochs"),
        (&["train", "--frobnicate", "1"], "--frobnicate"),
    ] {
        let o = kiln(args);
        assert_eq!(o.code, 2, "{args:?}: {}", o.stderr);
        assert!(o.stderr.contains(needle), "{args:?}: {}", o.stderr);
    }
}

#[test]
fn model_commands_reject_missing_arguments_with_status_2() {
    for args in [
        &["summary"][..],
        &["summary", "a.keras", "b.keras"],
        &["predict", "m.keras"],
        &["predict", "m.keras", "--input", "x.npy"],
        &[
            "predict",
            "m.keras",
            "--input",
            "x.npy",
            "--output",
            "y.npy",
            "--batch-size",
            "q",
        ],
        &["evaluate", "m.keras", "--x", "x.npy"],
        &["evaluate", "--x", "x.npy", "--y", "y.npy"],
    ] {
        let o = kiln(args);
        assert_eq!(o.code, 2, "{args:?}: {}", o.stderr);
    }
    // A missing file is a run-time failure: status 1, naming the file.
    let o = kiln(&["summary", "/nonexistent/m.keras"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("m.keras"), "{}", o.stderr);
}

// ---- clap's additions ----

#[test]
fn every_command_has_its_own_help() {
    for (args, needle) in [
        (&["train", "--help"][..], "--lr-schedule"),
        (&["summary", "--help"], "MODEL.keras"),
        (&["predict", "--help"], "--input"),
        (&["evaluate", "--help"], "--x"),
        (&["bench", "ops", "--help"], "--budget"),
        (&["bench", "train", "--help"], "WORKLOAD"),
        (&["completions", "--help"], "bash"),
    ] {
        let o = kiln(args);
        assert_eq!(o.code, 0, "{args:?}: {}", o.stderr);
        assert!(o.stdout.contains("Usage: kiln"), "{args:?}: {}", o.stdout);
        assert!(
            o.stdout.contains(needle),
            "{args:?} lacks {needle}: {}",
            o.stdout
        );
    }
}

#[test]
fn a_bad_flag_shows_the_usage_of_its_command() {
    let o = kiln(&["train", "--epochs", "0"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("--epochs") && o.stderr.contains("at least 1"),
        "{}",
        o.stderr
    );
    let o = kiln(&["predict", "--frobnicate"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("Usage: kiln predict"), "{}", o.stderr);
}

#[test]
fn completions_are_written_for_each_shell() {
    for (shell, needle) in [
        ("bash", "_kiln()"),
        ("zsh", "#compdef kiln"),
        ("fish", "complete -c kiln"),
    ] {
        let o = kiln(&["completions", shell]);
        assert_eq!(o.code, 0, "{shell}: {}", o.stderr);
        assert!(
            o.stdout.contains(needle),
            "{shell}: {}",
            &o.stdout[..o.stdout.len().min(300)]
        );
        assert!(o.stdout.contains("train"), "{shell}");
    }
    assert_eq!(kiln(&["completions", "cmd.exe"]).code, 2);
}
