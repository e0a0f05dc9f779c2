//! Runs the seed examples in their short default form (cargo builds examples before
//! integration tests) and checks their key lines and PNGs.

use std::path::PathBuf;
use std::process::Command;

fn run(name: &str, out: &std::path::Path) -> String {
    let exe = std::env::current_exe().expect("test binary");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let bin = dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let o = Command::new(&bin)
        .env("KILN_PLOT_OUT", out)
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

fn png(out: &std::path::Path, name: &str) -> (u32, u32) {
    kiln_plot::decode_png_size(&std::fs::read(out.join(name)).expect(name)).expect(name)
}

#[test]
fn seed_examples_write_their_plots() {
    let out: PathBuf =
        std::env::temp_dir().join(format!("kiln_plot_examples_{}", std::process::id()));
    let t = run("s001_6_cross_val_confusion_roc", &out);
    // scikit-learn 1.9.1 prints the same (s001_6_sklearn.py)
    assert!(
        t.contains(
            "Cross-Validation Scores: [0.92982456 0.94736842 0.99122807 0.97368421 0.97345133]"
        ),
        "{t}"
    );
    assert!(
        t.contains("Confusion matrix: [[\"51\", \"3\"], [\"1\", \"88\"]]"),
        "{t}"
    );
    assert!(t.contains("ROC AUC: 0.9951"), "{t}");
    assert_eq!(png(&out, "s001_6_confusion_matrix.png"), (640, 480));
    assert_eq!(png(&out, "s001_6_roc_curve.png"), (600, 600));

    let t = run("s003_36_kmeans_mnist", &out);
    assert!(t.contains("KMeans on 10000 images"), "{t}");
    assert_eq!(png(&out, "s003_36_cluster_members.png"), (10 * 66, 10 * 66));
    assert_eq!(png(&out, "s003_36_centroids.png"), (5 * 94, 2 * 116));

    let t = run("s003_37_autoencoder_tsne", &out);
    assert!(t.contains("t-SNE of 1000 codes"), "{t}");
    assert_eq!(png(&out, "s003_37_tsne_codes.png"), (640, 640));
    assert_eq!(png(&out, "s003_37_loss.png"), (640, 480));
    std::fs::remove_dir_all(&out).ok();
}
