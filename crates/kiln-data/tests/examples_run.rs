//! Runs kiln-data's seed examples (cargo builds examples before integration tests) and
//! checks that each writes its PNG. The MNIST ones are skipped when `datasets/mnist` is
//! absent.

use std::path::{Path, PathBuf};
use std::process::Command;

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    dir.join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

fn run(name: &str, png: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = std::env::temp_dir().join(format!("kiln-data-examples-{}", std::process::id()));
    // `cargo test` builds the examples before the tests run. Building again with
    // `-p kiln-data` alone would resolve dependency features differently from a
    // workspace run and recompile kiln-tensor and kiln-data a second time (8 minutes
    // on CI), so only build one that is missing.
    if !example(name).exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-q", "-p", "kiln-data", "--example", name])
            .current_dir(&root)
            .status()
            .expect("cargo build");
        assert!(status.success(), "building {name}");
    }
    let o = Command::new(example(name))
        .env("KILN_EXAMPLE_OUT", &out)
        .current_dir(&root)
        .output()
        .expect("run example");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{name}: {stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let path = out.join(png);
    assert!(
        stdout.contains(&path.display().to_string()),
        "{name}: {stdout}"
    );
    let bytes = std::fs::read(&path).expect("the PNG");
    let img = kiln_data::image::decode_png(&bytes, 0).expect("a valid PNG");
    assert!(img.shape()[0] > 20 && img.shape()[1] > 20);
}

fn have_mnist() -> bool {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../datasets/mnist/train-images-idx3-ubyte.gz")
        .exists()
}

#[test]
fn s003_11_writes_an_augmentation_grid() {
    run("s003_11_augment_flow", "s003_11_augmented.png");
}

#[test]
fn s003_16_loads_a_batch_of_one() {
    run("s003_16_load_img_batch", "s003_16_loaded.png");
}

#[test]
fn s003_12_and_13_write_grids() {
    if !have_mnist() {
        eprintln!("datasets/mnist missing: skipped");
        return;
    }
    run("s003_12_normalization_flow", "s003_12_normalized.png");
    run("s003_13_preprocessing_function", "s003_13_noisy.png");
}
