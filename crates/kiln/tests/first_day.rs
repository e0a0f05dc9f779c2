//! A Keras user's first day (issue 15, acceptance 1): each program in
//! `examples/first_day` is within 1.3x the non-blank, non-comment lines of its Keras
//! original, and runs.

use std::path::{Path, PathBuf};
use std::process::Command;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/first_day")
}

/// Non-blank lines that are not comments (`#` in Python, `//` in Rust).
fn code_lines(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let comment = if path.extension().is_some_and(|e| e == "py") {
        "#"
    } else {
        "//"
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with(comment))
        .count()
}

const PROGRAMS: &[&str] = &[
    "cnn_callbacks",
    "two_io_functional",
    "subclassed_custom",
    "data_pipelines",
];

#[test]
fn each_program_is_within_1_3x_the_lines_of_its_keras_original() {
    for name in PROGRAMS {
        let keras = code_lines(&dir().join(format!("{name}.py")));
        let kiln = code_lines(&dir().join(format!("{name}.rs")));
        let ratio = kiln as f64 / keras as f64;
        println!("{name}: Keras {keras} lines, kiln {kiln} lines, {ratio:.2}x");
        assert!(
            ratio <= 1.3,
            "{name}: kiln {kiln} lines against Keras {keras} ({ratio:.2}x)"
        );
    }
}

#[test]
fn the_line_counter_skips_blank_and_comment_lines() {
    let p = std::env::temp_dir().join(format!("first-day-count-{}.py", std::process::id()));
    std::fs::write(
        &p,
        "# c\nimport keras\n\n   # indented comment\nx = 1  # trailing\n",
    )
    .unwrap();
    assert_eq!(code_lines(&p), 2);
    std::fs::remove_file(&p).ok();
}

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    dir.join("examples")
        .join(format!("first_day_{name}{}", std::env::consts::EXE_SUFFIX))
}

fn run(name: &str) -> String {
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "-p",
            "kiln",
            "--example",
            &format!("first_day_{name}"),
        ])
        .status()
        .expect("cargo build");
    assert!(status.success(), "building first_day_{name}");
    let work = std::env::temp_dir().join(format!("first-day-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let out = Command::new(example(name))
        .current_dir(&work)
        .output()
        .expect("running the example");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{name}:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&work).ok();
    stdout
}

#[test]
fn the_cnn_with_callbacks_trains_and_evaluates() {
    let out = run("cnn_callbacks");
    let acc: f64 = out
        .lines()
        .find_map(|l| l.strip_prefix("test accuracy: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no test accuracy in:\n{out}"));
    assert!(acc > 0.9, "test accuracy {acc}");
}

#[test]
fn the_two_input_two_output_model_trains_and_predicts_by_name() {
    let out = run("two_io_functional");
    assert!(out.contains("[3, 1] [3, 5]"), "{out}");
    assert!(out.contains("val_priority_accuracy"), "{out}");
}

#[test]
fn the_subclassed_model_saves_reloads_and_trains_on() {
    let out = run("subclassed_custom");
    assert!(out.contains("max_logit"), "{out}");
}

#[test]
fn the_image_and_text_pipelines_feed_fit() {
    let out = run("data_pipelines");
    assert!(out.contains("shape=(1, 1)"), "{out}");
}
