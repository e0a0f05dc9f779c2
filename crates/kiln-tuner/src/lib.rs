//! Keras Tuner for kiln: hyperparameter search spaces and the `RandomSearch`,
//! `GridSearch`, `Hyperband` and `BayesianOptimization` tuners, with Keras Tuner's
//! names, defaults, sampling (bit for bit, from Python's `random.Random(seed)`), trial
//! order, console lines and project directory (`oracle.json`, `trial_<id>/trial.json`,
//! `trial_<id>/checkpoint.weights.h5`, `tuner0.json`), so a search can be resumed and
//! its directory read by keras-tuner.
//!
//! [`scikeras`] has scikeras's `KerasClassifier` / `KerasRegressor`: a kiln model
//! factory as a kiln-learn estimator, for `cross_val_score` and the scikit-learn-style
//! searches.
//!
//! ```
//! use kiln::layers::{Dense, Flatten};
//! use kiln::models::{CompileArgs, Model};
//! use kiln_tuner::{Float, HyperParameters, Int, RandomSearch};
//!
//! // a hypermodel builds and compiles a model from the trial's values
//! let build_model = |hp: &mut HyperParameters| -> kiln::Result<Model> {
//!     let units = hp.int(Int::new("units", 32, 512).step(32))? as usize;
//!     let lr = hp.float(Float::new("learning_rate", 1e-4, 1e-2).sampling("log"))?;
//!     let mut model = Model::sequential(vec![
//!         Flatten::new().input_shape(&[28, 28]).into(),
//!         Dense::new(units).activation("relu").into(),
//!         Dense::new(10).activation("softmax").into(),
//!     ])?;
//!     model.compile(
//!         CompileArgs::new()
//!             .optimizer(kiln::optimizers::Adam::new(lr))
//!             .loss("sparse_categorical_crossentropy")
//!             .metrics(["accuracy"]),
//!     )?;
//!     Ok(model)
//! };
//! let dir = std::env::temp_dir().join(format!("kt_doc_lib_{}", std::process::id()));
//! let tuner = RandomSearch::new(build_model)
//!     .objective("val_accuracy")
//!     .max_trials(10)
//!     .executions_per_trial(2)
//!     .directory(&dir)
//!     .project_name("intro_to_kt")
//!     .verbose(0)
//!     .build()?;
//! assert_eq!(tuner.search_space_summary_lines()[1], "Default search space size: 2");
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), kiln_tuner::TunerError>(())
//! ```

pub mod error;
pub mod gp;
pub mod hyperparameters;
mod io;
pub mod kiln_model;
pub mod objective;
pub mod oracle;
mod oracles;
mod pyset;
pub mod scikeras;
pub mod score_model;
pub mod trial;
pub mod tuner;
pub mod value;

pub use error::{Result, TunerError};
pub use hyperparameters::{
    Boolean, Choice, Condition, Float, HpKind, HyperParameter, HyperParameters, Int, Sampling,
    Values,
};
pub use kiln_model::KilnData;
pub use objective::Objective;
pub use oracle::{Oracle, OracleConfig};
pub use score_model::{EpochFn, FitRecord, ScoreData, ScoreModel, ScoreRun};
pub use trial::{Trial, TrialStatus};
pub use tuner::{
    BayesianOptimization, FitContext, GridSearch, HyperModel, Hyperband, RandomSearch, Tuner,
    TunerBuilder,
};
pub use value::Value;
