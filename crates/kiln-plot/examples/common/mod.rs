//! Shared by the seed examples: the shipped datasets.
#![allow(dead_code)]

use std::io::Read;

use kiln_learn::Matrix;

fn read_gz(name: &str) -> Vec<u8> {
    let path = format!("{}/../../datasets/mnist/{name}", env!("CARGO_MANIFEST_DIR"));
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut out)
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    out
}

/// The first `n` MNIST training images as pixels / 255 (`x_train.reshape(-1, 784)`).
pub fn mnist_train(n: usize) -> (Vec<f32>, Vec<i64>) {
    let raw = read_gz("train-images-idx3-ubyte.gz");
    let n = n.min((raw.len() - 16) / 784);
    let x = raw[16..16 + n * 784]
        .iter()
        .map(|&p| f32::from(p) / 255.0)
        .collect();
    let y = read_gz("train-labels-idx1-ubyte.gz")[8..8 + n]
        .iter()
        .map(|&l| i64::from(l))
        .collect();
    (x, y)
}

/// f32 pixels as a kiln-learn matrix of `n` rows.
pub fn matrix(x: &[f32], cols: usize) -> Matrix {
    Matrix::new(
        x.iter().map(|&v| f64::from(v)).collect(),
        x.len() / cols,
        cols,
    )
    .expect("rows")
}

/// scikit-learn's `load_breast_cancer()` (569 x 30, target 0 malignant / 1 benign), as
/// stored in the sklearn golden fixtures.
pub fn breast_cancer() -> (Matrix, Vec<i64>) {
    let path = format!(
        "{}/../../tools/golden/fixtures/sklearn/datasets.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("JSON");
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
                .map(|v| v.as_f64().expect("number"))
                .collect()
        })
        .collect();
    let y = case["y"]
        .as_array()
        .expect("y")
        .iter()
        .map(|v| v.as_f64().expect("label") as i64)
        .collect();
    (Matrix::from_rows(&rows).expect("matrix"), y)
}

/// Where the PNGs go: `$KILN_PLOT_OUT` or `target/plots`.
pub fn out_dir() -> std::path::PathBuf {
    let d = std::env::var_os("KILN_PLOT_OUT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(format!("{}/../../target/plots", env!("CARGO_MANIFEST_DIR")))
        });
    std::fs::create_dir_all(&d).expect("output directory");
    d
}

/// NumPy's array printing for a short vector of floats (`[0.9 0.95 ...]`).
pub fn np_array(v: &[f64]) -> String {
    let items: Vec<String> = v
        .iter()
        .map(|x| {
            // NumPy keeps the point of a whole number ("1.")
            format!("{x:.8}").trim_end_matches('0').to_string()
        })
        .collect();
    format!("[{}]", items.join(" "))
}
