//! scikit-learn's clustering (`sklearn.cluster`): [`KMeans`], with greedy k-means++,
//! `"random"` or explicit initial centres, several initialisations, Lloyd's and Elkan's
//! algorithms and sample weights, on `float64` samples ([`KMeans::fit`]) or in `float32`
//! on `float32` samples ([`KMeans::fit_f32`]), as scikit-learn keeps `float32` input in
//! `float32`.

mod kmeans;
mod real;
mod simd;

pub use kmeans::{FittedKMeans, KMeans, KMeansAlgorithm, KMeansInit, NInit};
