//! scikit-learn-style evaluation for kiln: metrics, model selection, clustering, PCA and
//! t-SNE.
//!
//! The functions keep scikit-learn's names, defaults, results and error messages
//! (golden-tested against scikit-learn 1.9.1), on plain slices and, for 2-D data, on
//! [`Matrix`] (row-major `f64`, shape `(n_samples, n_features)`):
//!
//! - [`metrics`]: `confusion_matrix`, `accuracy_score`, precision / recall / F-scores
//!   with every `average`, `classification_report`, `roc_curve`, `auc`,
//!   `roc_auc_score`, `precision_recall_curve`, `average_precision_score`,
//!   `mean_squared_error`, `mean_absolute_error`, `r2_score`;
//! - [`model_selection`]: `train_test_split`, `KFold`, `StratifiedKFold`,
//!   `ShuffleSplit`, `StratifiedShuffleSplit`;
//! - [`cluster`]: `KMeans` (greedy k-means++, `"random"` or explicit initial centres,
//!   `n_init`, Lloyd and Elkan, sample weights), bit-exact with scikit-learn from the
//!   same initial centres;
//! - [`decomposition`]: `PCA` (`"full"` and `"covariance_eigh"` solvers; `None`, a count,
//!   a variance fraction or `"mle"` components; whitening), on a Jacobi SVD written in
//!   Rust;
//! - [`manifold`]: `TSNE` (Barnes-Hut on a quadtree/octree, or exact; PCA or random
//!   start; scikit-learn's float32/float64 steps, learning-rate schedule and stopping
//!   rules) and `trustworthiness`;
//! - [`estimator`]: scikit-learn's estimator API (`Estimator`, `Predictor`,
//!   `Classifier`, `Regressor`, `get_params` / `set_params` with [`estimator::Param`]);
//! - [`tree`]: `DecisionTreeClassifier`, `DecisionTreeRegressor` (best splitter, gini /
//!   entropy / log_loss / squared_error), equal to scikit-learn's trees for the same
//!   `random_state`;
//! - [`ensemble`]: `RandomForestClassifier`, `RandomForestRegressor` (sklearn's per-tree
//!   seeds and bootstrap draws, trees built in parallel, `feature_importances`,
//!   `oob_score`);
//! - [`model_selection`] also has `cross_validate`, `cross_val_score`, `GridSearchCV`,
//!   `RandomizedSearchCV`, `ParameterGrid`, `ParameterSampler` and scorers by name, and
//!   scikit-optimize's `BayesSearchCV` (`Integer` / `Real` / `Categorical` spaces, its
//!   ask/tell `Optimizer` with `gp_hedge` over EI, LCB and PI);
//! - [`gaussian_process`]: the Gaussian processes of skopt's optimiser and of Keras
//!   Tuner's `BayesianOptimization` (shared with kiln-tuner);
//! - [`RandomState`]: NumPy's legacy generator, so that seeded splits, k-means++ draws
//!   and t-SNE's random start match.
//!
//! The heavy loops (k-means' E-step, t-SNE's neighbour search and gradient) run on the
//! `gemm` crate's matrix product, which picks its SIMD kernel at run time, and on rayon
//! or scoped threads above a size threshold; partial sums are combined in a fixed order,
//! so a result depends at most on the thread count, never on scheduling.
//!
//! ```
//! use kiln_learn::metrics::{roc_auc_score, roc_curve};
//! use kiln_learn::model_selection::{take, train_test_split, SplitSize};
//!
//! let y = [0, 0, 1, 1, 0, 1, 1, 0];
//! let scores = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.7, 0.3];
//! let split = train_test_split(y.len(), Some(SplitSize::Count(4)), None, Some(0), true)?;
//! let (y_test, s_test) = (take(&y, &split.test), take(&scores, &split.test));
//! let roc = roc_curve(&y_test, &s_test, None, None, true)?;
//! assert_eq!(roc.thresholds[0], f64::INFINITY);
//! let auc = roc_auc_score(&y, &scores, None, None)?;
//! assert!((auc - 0.9375).abs() < 1e-12);
//! # Ok::<(), kiln_learn::LearnError>(())
//! ```
//!
//! ```
//! use kiln_learn::cluster::KMeans;
//! use kiln_learn::decomposition::{NComponents, PCA};
//! use kiln_learn::Matrix;
//!
//! let x = Matrix::from_rows(&[[1.0, 2.0, 0.0], [1.2, 1.9, 0.1], [8.0, 8.5, 1.0], [7.9, 8.2, 1.2]])?;
//! let km = KMeans { n_clusters: 2, random_state: Some(0), ..KMeans::default() }.fit(&x, None)?;
//! assert_eq!(km.labels_[0], km.labels_[1]);
//! let (pca, z) = PCA::new(Some(NComponents::Count(1))).fit_transform(&x)?;
//! assert_eq!(z.shape(), (4, 1));
//! assert!(pca.explained_variance_ratio_[0] > 0.99);
//! # Ok::<(), kiln_learn::LearnError>(())
//! ```
//!
//! ```
//! use kiln_learn::manifold::{trustworthiness, Metric, TSNE};
//! use kiln_learn::Matrix;
//!
//! // 40 points on two noisy lines in 5-D, embedded in 2-D
//! let rows: Vec<Vec<f64>> = (0..40)
//!     .map(|i| {
//!         let t = (i % 20) as f64;
//!         let side = if i < 20 { 0.0 } else { 30.0 };
//!         (0..5).map(|f| side + t * (f as f64 + 1.0) * 0.3 + ((i * 13 + f * 7) % 5) as f64 * 0.05).collect()
//!     })
//!     .collect();
//! let x = Matrix::from_rows(&rows)?;
//! let fitted = TSNE { perplexity: 8.0, random_state: Some(0), ..TSNE::default() }.fit_transform(&x)?;
//! assert_eq!(fitted.embedding_.shape(), (40, 2));
//! assert!(fitted.n_iter_ >= 250 && fitted.kl_divergence_.is_finite());
//! assert!(trustworthiness(&x, &fitted.embedding_, 5, Metric::Euclidean)? > 0.9);
//! # Ok::<(), kiln_learn::LearnError>(())
//! ```
//!
//! ```
//! use kiln_learn::ensemble::RandomForestClassifier;
//! use kiln_learn::estimator::Param;
//! use kiln_learn::model_selection::{cross_val_score, grid, Cv, GridSearchCV};
//! use kiln_learn::Matrix;
//!
//! let rows: Vec<[f64; 2]> = (0..20).map(|i| [i as f64, (i % 3) as f64]).collect();
//! let x = Matrix::from_rows(&rows)?;
//! let y: Vec<i64> = (0..20).map(|i| i64::from(i >= 10)).collect();
//! let forest = RandomForestClassifier { n_estimators: 10, random_state: Some(0), ..Default::default() };
//! let scores = cross_val_score(&forest, &x, &y, &Cv::Folds(4), Some("accuracy"))?;
//! assert_eq!(scores.len(), 4);
//! let search = GridSearchCV {
//!     param_grid: vec![grid([("max_depth", vec![Param::Int(1), Param::None])])],
//!     cv: Cv::Folds(4),
//!     ..GridSearchCV::new(forest)
//! };
//! let result = search.fit(&x, &y)?;
//! assert_eq!(result.cv_results.params.len(), 2);
//! # Ok::<(), kiln_learn::LearnError>(())
//! ```

#![warn(missing_docs)]

pub mod cluster;
pub mod decomposition;
pub mod ensemble;
mod error;
pub mod estimator;
pub mod gaussian_process;
mod label;
mod linalg;
pub mod manifold;
mod matrix;
pub mod metrics;
pub mod model_selection;
mod numeric;
mod pyfmt;
mod random;
pub mod tree;
mod validation;

pub use error::{LearnError, Result, Warning, WarningCategory};
pub use label::{Label, LabelKind};
pub use matrix::Matrix;
pub use random::RandomState;
