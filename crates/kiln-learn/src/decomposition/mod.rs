//! scikit-learn's matrix decompositions (`sklearn.decomposition`): [`PCA`] with the
//! `"full"` and `"covariance_eigh"` solvers, on an SVD and an eigen-decomposition
//! written in Rust.

mod pca;

pub use pca::{FittedPCA, NComponents, SvdSolver, PCA};
