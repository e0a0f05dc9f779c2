//! RandomForestClassifier on MNIST (pixels / 255, 100 trees), the `rf_mnist` bench:
//!
//! ```sh
//! cargo run --release -p kiln-learn --example rf_mnist -- [n_train]
//! ~/peers/bin/python crates/kiln-learn/examples/rf_mnist_sklearn.py [n_train]
//! ```
//!
//! Fits on the first `n_train` training images (all 60000 by default), prints the fit
//! time and the accuracy on the 10000 test images.

use std::io::Read;
use std::time::Instant;

use kiln_learn::ensemble::RandomForestClassifier;
use kiln_learn::estimator::{Estimator, Predictor};
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

fn images(name: &str, n: usize) -> Matrix {
    let raw = read_gz(name);
    let pixels = &raw[16..16 + n * 784];
    Matrix::new(
        pixels.iter().map(|&p| f64::from(p) / 255.0).collect(),
        n,
        784,
    )
    .expect("784 pixels per image")
}

fn labels(name: &str, n: usize) -> Vec<i64> {
    read_gz(name)[8..8 + n]
        .iter()
        .map(|&l| i64::from(l))
        .collect()
}

fn main() {
    let n_train: usize = std::env::args()
        .nth(1)
        .map_or(60_000, |a| a.parse().expect("n_train"));
    let x = images("train-images-idx3-ubyte.gz", n_train);
    let y = labels("train-labels-idx1-ubyte.gz", n_train);
    let x_test = images("t10k-images-idx3-ubyte.gz", 10_000);
    let y_test = labels("t10k-labels-idx1-ubyte.gz", 10_000);
    let mut forest = RandomForestClassifier {
        n_estimators: 100,
        random_state: Some(0),
        ..Default::default()
    };
    let start = Instant::now();
    forest.fit(&x, &y).expect("fit");
    let fit = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let acc = forest.score(&x_test, &y_test).expect("score");
    let predict = start.elapsed().as_secs_f64();
    println!(
        "kiln rf_mnist n_train={n_train} threads={} fit {fit:.2} s predict {predict:.2} s test accuracy {acc:.4}",
        rayon::current_num_threads()
    );
}
