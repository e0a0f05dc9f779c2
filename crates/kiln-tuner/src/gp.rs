//! The Gaussian process Keras Tuner's `BayesianOptimizationOracle` fits: scikit-learn's
//! `GaussianProcessRegressor(kernel=Matern(nu=2.5), alpha=1e-4, normalize_y=True,
//! n_restarts_optimizer=20)`, and the box-constrained minimiser of its acquisition.
//!
//! The code lives in [`kiln_learn::gaussian_process`] (shared with kiln-learn's
//! `BayesSearchCV`); this module re-exports it under kiln-tuner's names.

pub use kiln_learn::gaussian_process::{minimize_box, IsotropicMaternGp as Gp, Objective};
