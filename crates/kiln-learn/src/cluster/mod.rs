//! scikit-learn's clustering (`sklearn.cluster`): [`KMeans`], with greedy k-means++,
//! `"random"` or explicit initial centres, several initialisations, Lloyd's and Elkan's
//! algorithms and sample weights.

mod kmeans;
mod real;
mod simd;

pub use kmeans::{FittedKMeans, KMeans, KMeansAlgorithm, KMeansInit, NInit};
