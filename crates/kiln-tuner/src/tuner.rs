//! `Tuner`: runs an oracle's trials through a hypermodel (build, fit, score, checkpoint),
//! keeps the project directory, and answers `get_best_models`,
//! `get_best_hyperparameters`, `results_summary` and `search_space_summary`.

use std::path::{Path, PathBuf};

use crate::error::{Result, TunerError};
use crate::hyperparameters::{Condition, HyperParameters};
use crate::objective::{IntoObjective, Objective};
use crate::oracle::{Oracle, OracleConfig};
use crate::trial::{Trial, TrialStatus};
use crate::value::Value;

/// One epoch's logs, in the order they were logged.
pub type EpochLogs = Vec<(String, f64)>;

/// What one execution of a trial trains: its per-epoch logs (Keras's `History`).
pub type TrialHistory = Vec<EpochLogs>;

/// What a hypermodel's `fit` is told about the run.
#[derive(Debug, Clone)]
pub struct FitContext {
    /// The trial.
    pub trial_id: String,
    /// Which execution of the trial (0-based).
    pub execution: usize,
    /// `epochs` to pass to fit, when the tuner sets it (Hyperband's `tuner/epochs`).
    pub epochs: Option<usize>,
    /// `initial_epoch` to pass to fit, when the tuner sets it.
    pub initial_epoch: Option<usize>,
    /// Where the best epoch's weights go (`trial_<id>/checkpoint.weights.h5`).
    pub checkpoint: PathBuf,
    /// The objective (to pick the best epoch).
    pub objective: Objective,
    /// The best objective value saved so far in this trial (shared by its executions,
    /// as keras-tuner's one `SaveBestEpoch` callback per trial is).
    pub best_value: std::sync::Arc<std::sync::Mutex<f64>>,
}

/// What the tuner searches over: builds a model from hyperparameters and fits it.
///
/// A closure `|hp: &mut HyperParameters| -> kiln::Result<kiln::models::Model>` is a
/// hypermodel (see [`crate::kiln_model`]); [`crate::ScoreModel`] turns a function of the
/// hyperparameters and the epoch into one, for testing oracles without training.
pub trait HyperModel {
    /// What `build` returns.
    type Model;
    /// What `search` is given (the training data and fit arguments).
    type Data;
    /// Declares the hyperparameters it uses and builds a model from their values.
    fn build(&mut self, hp: &mut HyperParameters) -> Result<Self::Model>;
    /// Trains `model` once, returning the per-epoch logs; saves the best epoch's weights
    /// to `ctx.checkpoint` (see [`save_if_best`]).
    fn fit(
        &mut self,
        hp: &HyperParameters,
        model: &mut Self::Model,
        data: &mut Self::Data,
        ctx: &FitContext,
    ) -> Result<TrialHistory>;
    /// Writes `model`'s weights.
    fn save_weights(&self, model: &Self::Model, path: &Path) -> Result<()>;
    /// Reads weights into `model`.
    fn load_weights(&self, model: &mut Self::Model, path: &Path) -> Result<()>;
}

/// `SaveBestEpoch.on_epoch_end`: whether this epoch's weights should be saved (the
/// objective improved on the trial's best, or is not logged at all).
pub fn save_if_best(ctx: &FitContext, logs: &[(String, f64)]) -> bool {
    let Some((_, v)) = logs.iter().find(|(n, _)| n == ctx.objective.name()) else {
        return true;
    };
    let mut best = ctx.best_value.lock().unwrap_or_else(|e| e.into_inner());
    if ctx.objective.better_than(*v, *best) {
        *best = *v;
        true
    } else {
        false
    }
}

/// The search strategy of a [`TunerBuilder`].
#[derive(Debug, Clone)]
enum Kind {
    Random,
    Grid,
    Hyperband {
        max_epochs: usize,
        factor: usize,
        iterations: Option<usize>,
    },
    Bayesian {
        num_initial_points: Option<usize>,
        alpha: f64,
        beta: f64,
    },
}

/// Builds a [`Tuner`] with Keras Tuner's arguments and defaults.
pub struct TunerBuilder<H> {
    hypermodel: H,
    kind: Kind,
    objective: Option<Result<Objective>>,
    max_trials: Option<Option<usize>>,
    seed: Option<u64>,
    hyperparameters: Option<HyperParameters>,
    tune_new_entries: bool,
    allow_new_entries: bool,
    max_retries_per_trial: usize,
    max_consecutive_failed_trials: usize,
    executions_per_trial: usize,
    directory: PathBuf,
    project_name: String,
    overwrite: bool,
    verbose: u8,
}

/// `keras_tuner.RandomSearch`.
///
/// ```
/// use kiln_tuner::{Float, RandomSearch, ScoreModel};
/// let dir = std::env::temp_dir().join(format!("kt_doc_rs_{}", std::process::id()));
/// let model = ScoreModel::new(|hp| {
///     let x = hp.float(Float::new("x", -1.0, 1.0))?;
///     Ok(Box::new(move |_epoch| Ok(vec![("score".to_string(), (x - 0.25).powi(2))])))
/// });
/// let mut tuner = RandomSearch::new(model)
///     .objective(kiln_tuner::Objective::new("score", "min")?)
///     .max_trials(5)
///     .seed(7)
///     .directory(&dir)
///     .overwrite(true)
///     .verbose(0)
///     .build()?;
/// tuner.search_with(&mut kiln_tuner::ScoreData::new(1))?;
/// assert_eq!(tuner.oracle().trials().len(), 5);
/// let best = &tuner.get_best_hyperparameters(1)[0];
/// assert!(best.get("x")?.as_f64().is_some());
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), kiln_tuner::TunerError>(())
/// ```
pub struct RandomSearch;

impl RandomSearch {
    /// A builder (`max_trials=10`).
    #[allow(clippy::new_ret_no_self)]
    pub fn new<H: HyperModel>(hypermodel: H) -> TunerBuilder<H> {
        TunerBuilder::new(hypermodel, Kind::Random, Some(10))
    }
}

/// `keras_tuner.GridSearch` (`max_trials=None`: every combination).
pub struct GridSearch;

impl GridSearch {
    /// A builder.
    #[allow(clippy::new_ret_no_self)]
    pub fn new<H: HyperModel>(hypermodel: H) -> TunerBuilder<H> {
        TunerBuilder::new(hypermodel, Kind::Grid, None)
    }
}

/// `keras_tuner.Hyperband(max_epochs=100, factor=3, hyperband_iterations=1)`.
pub struct Hyperband;

impl Hyperband {
    /// A builder.
    #[allow(clippy::new_ret_no_self)]
    pub fn new<H: HyperModel>(hypermodel: H) -> TunerBuilder<H> {
        TunerBuilder::new(
            hypermodel,
            Kind::Hyperband {
                max_epochs: 100,
                factor: 3,
                iterations: Some(1),
            },
            None,
        )
    }
}

/// `keras_tuner.BayesianOptimization(max_trials=10, num_initial_points=None,
/// alpha=1e-4, beta=2.6)`.
pub struct BayesianOptimization;

impl BayesianOptimization {
    /// A builder.
    #[allow(clippy::new_ret_no_self)]
    pub fn new<H: HyperModel>(hypermodel: H) -> TunerBuilder<H> {
        TunerBuilder::new(
            hypermodel,
            Kind::Bayesian {
                num_initial_points: None,
                alpha: 1e-4,
                beta: 2.6,
            },
            Some(10),
        )
    }
}

impl<H: HyperModel> TunerBuilder<H> {
    fn new(hypermodel: H, kind: Kind, max_trials: Option<usize>) -> TunerBuilder<H> {
        TunerBuilder {
            hypermodel,
            kind,
            objective: None,
            max_trials: Some(max_trials),
            seed: None,
            hyperparameters: None,
            tune_new_entries: true,
            allow_new_entries: true,
            max_retries_per_trial: 0,
            max_consecutive_failed_trials: 3,
            executions_per_trial: 1,
            directory: PathBuf::from("."),
            project_name: "untitled_project".into(),
            overwrite: false,
            verbose: 1,
        }
    }

    /// `objective=`: a metric name (direction inferred) or an [`Objective`].
    pub fn objective(mut self, objective: impl IntoObjective) -> Self {
        self.objective = Some(objective.into_objective());
        self
    }
    /// `max_trials=`.
    pub fn max_trials(mut self, n: usize) -> Self {
        self.max_trials = Some(Some(n));
        self
    }
    /// `seed=`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }
    /// `hyperparameters=`: a space declared in advance.
    pub fn hyperparameters(mut self, hp: HyperParameters) -> Self {
        self.hyperparameters = Some(hp);
        self
    }
    /// `tune_new_entries=`.
    pub fn tune_new_entries(mut self, on: bool) -> Self {
        self.tune_new_entries = on;
        self
    }
    /// `allow_new_entries=`.
    pub fn allow_new_entries(mut self, on: bool) -> Self {
        self.allow_new_entries = on;
        self
    }
    /// `max_retries_per_trial=`.
    pub fn max_retries_per_trial(mut self, n: usize) -> Self {
        self.max_retries_per_trial = n;
        self
    }
    /// `max_consecutive_failed_trials=`.
    pub fn max_consecutive_failed_trials(mut self, n: usize) -> Self {
        self.max_consecutive_failed_trials = n;
        self
    }
    /// `executions_per_trial=`: models trained per trial; the objective is the mean of
    /// the executions' best-epoch values.
    pub fn executions_per_trial(mut self, n: usize) -> Self {
        self.executions_per_trial = n.max(1);
        self
    }
    /// `directory=` (default `.`).
    pub fn directory(mut self, dir: impl AsRef<Path>) -> Self {
        self.directory = dir.as_ref().to_path_buf();
        self
    }
    /// `project_name=` (default `untitled_project`).
    pub fn project_name(mut self, name: &str) -> Self {
        self.project_name = name.into();
        self
    }
    /// `overwrite=`: start afresh (default false: resume the project found there).
    pub fn overwrite(mut self, on: bool) -> Self {
        self.overwrite = on;
        self
    }
    /// 0 silences the trial tables (`search(verbose=0)`).
    pub fn verbose(mut self, v: u8) -> Self {
        self.verbose = v;
        self
    }
    /// Hyperband's `max_epochs=`.
    pub fn max_epochs(mut self, n: usize) -> Self {
        if let Kind::Hyperband { max_epochs, .. } = &mut self.kind {
            *max_epochs = n;
        }
        self
    }
    /// Hyperband's `factor=`.
    pub fn factor(mut self, n: usize) -> Self {
        if let Kind::Hyperband { factor, .. } = &mut self.kind {
            *factor = n;
        }
        self
    }
    /// Hyperband's `hyperband_iterations=` (0: unlimited).
    pub fn hyperband_iterations(mut self, n: usize) -> Self {
        if let Kind::Hyperband { iterations, .. } = &mut self.kind {
            *iterations = Some(n);
        }
        self
    }
    /// BayesianOptimization's `num_initial_points=`.
    pub fn num_initial_points(mut self, n: usize) -> Self {
        if let Kind::Bayesian {
            num_initial_points, ..
        } = &mut self.kind
        {
            *num_initial_points = Some(n);
        }
        self
    }
    /// BayesianOptimization's `alpha=`.
    pub fn alpha(mut self, a: f64) -> Self {
        if let Kind::Bayesian { alpha, .. } = &mut self.kind {
            *alpha = a;
        }
        self
    }
    /// BayesianOptimization's `beta=`.
    pub fn beta(mut self, b: f64) -> Self {
        if let Kind::Bayesian { beta, .. } = &mut self.kind {
            *beta = b;
        }
        self
    }

    /// Creates the tuner: a fresh project (the hypermodel is built to declare the
    /// space, once per conditional scope), or, without `overwrite`, the project found in
    /// `directory/project_name` reloaded.
    pub fn build(self) -> Result<Tuner<H>> {
        let objective = match self.objective {
            Some(o) => o?,
            None => Objective::default_objective(),
        };
        let mut cfg = OracleConfig::new(objective);
        cfg.max_trials = self.max_trials.unwrap_or(None);
        cfg.seed = self.seed;
        cfg.hyperparameters = self.hyperparameters;
        cfg.allow_new_entries = self.allow_new_entries;
        cfg.tune_new_entries = self.tune_new_entries;
        cfg.max_retries_per_trial = self.max_retries_per_trial;
        cfg.max_consecutive_failed_trials = self.max_consecutive_failed_trials;
        if cfg.hyperparameters.is_none() && !cfg.tune_new_entries {
            return Err(TunerError::Value("If you set `tune_new_entries=False`, you mustspecify the search space via the `hyperparameters` argument.".into()));
        }
        if cfg.hyperparameters.is_none() && !cfg.allow_new_entries {
            return Err(TunerError::Value("If you set `allow_new_entries=False`, you mustspecify the search space via the `hyperparameters` argument.".into()));
        }
        let hyperband = matches!(self.kind, Kind::Hyperband { .. });
        let mut oracle = match self.kind {
            Kind::Random => Oracle::random_search(cfg),
            Kind::Grid => Oracle::grid_search(cfg),
            Kind::Hyperband {
                max_epochs,
                factor,
                iterations,
            } => Oracle::hyperband(cfg, max_epochs, factor, iterations)?,
            Kind::Bayesian {
                num_initial_points,
                alpha,
                beta,
            } => Oracle::bayesian_optimization(cfg, num_initial_points, alpha, beta),
        };
        oracle.set_verbose(self.verbose);
        let project_dir = self.directory.join(&self.project_name);
        oracle.set_project_dir(&project_dir);
        if self.overwrite && project_dir.exists() {
            std::fs::remove_dir_all(&project_dir).map_err(|e| TunerError::Io {
                path: project_dir.display().to_string(),
                source: e,
            })?;
        }
        crate::io::create_dir(&project_dir)?;
        let mut tuner = Tuner {
            oracle,
            hypermodel: self.hypermodel,
            project_dir,
            executions_per_trial: self.executions_per_trial,
            tuner_id: std::env::var("KERASTUNER_TUNER_ID").unwrap_or_else(|_| "tuner0".into()),
            verbose: self.verbose,
            hyperband,
            exhausted: false,
        };
        let tuner_file = tuner.tuner_fname();
        if !self.overwrite && tuner_file.exists() {
            if tuner.verbose > 0 {
                println!("Reloading Tuner from {}", tuner_file.display());
            }
            tuner.oracle.reload()?;
        } else {
            tuner.populate_initial_space()?;
        }
        Ok(tuner)
    }
}

/// A hyperparameter search over a [`HyperModel`].
pub struct Tuner<H: HyperModel> {
    oracle: Oracle,
    hypermodel: H,
    project_dir: PathBuf,
    executions_per_trial: usize,
    tuner_id: String,
    verbose: u8,
    hyperband: bool,
    exhausted: bool,
}

impl<H: HyperModel> Tuner<H> {
    /// The oracle (trials, scores, state).
    pub fn oracle(&self) -> &Oracle {
        &self.oracle
    }

    /// The hypermodel (`tuner.hypermodel`), e.g. to build the best hyperparameters.
    pub fn hypermodel(&mut self) -> &mut H {
        &mut self.hypermodel
    }

    /// `directory/project_name`.
    pub fn project_dir(&self) -> &Path {
        &self.project_dir
    }

    /// Whether the last search ended because the oracle had nothing new to try (every
    /// combination tried, or 20 random draws in a row repeated tried values) rather than
    /// because `max_trials` was reached.
    pub fn exhausted(&self) -> bool {
        self.exhausted
    }

    /// `remaining_trials`.
    pub fn remaining_trials(&self) -> Option<usize> {
        self.oracle.remaining_trials()
    }

    fn tuner_fname(&self) -> PathBuf {
        self.project_dir.join(format!("{}.json", self.tuner_id))
    }

    fn trial_dir(&self, trial_id: &str) -> PathBuf {
        self.project_dir.join(format!("trial_{trial_id}"))
    }

    fn checkpoint_fname(&self, trial_id: &str) -> PathBuf {
        self.trial_dir(trial_id).join("checkpoint.weights.h5")
    }

    fn save(&self) -> Result<()> {
        self.oracle.save()?;
        crate::io::write_atomic(&self.tuner_fname(), b"{}")
    }

    fn build_model(&mut self, hp: &mut HyperParameters) -> Result<H::Model> {
        match self.hypermodel.build(hp) {
            Ok(m) => Ok(m),
            Err(e) => Err(hp.take_error().unwrap_or(e)),
        }
    }

    fn populate_initial_space(&mut self) -> Result<()> {
        let mut never: Vec<Vec<Condition>> = Vec::new();
        let mut once: Vec<Vec<Condition>> = Vec::new();
        let mut hp = self.oracle.get_space();
        for _ in 0..1000 {
            self.build_model(&mut hp)?;
            self.oracle.update_space(&hp)?;
            for c in &hp.active_scopes {
                if !once.contains(c) {
                    once.push(c.clone());
                }
                if let Some(i) = never.iter().position(|x| x == c) {
                    never.remove(i);
                }
            }
            for c in &hp.inactive_scopes {
                if !once.contains(c) {
                    never.push(c.clone());
                }
            }
            let Some(conditions) = never.first().cloned() else {
                return self.save();
            };
            hp = self.oracle.get_space();
            for c in &conditions {
                if let Some(v) = c.values.first() {
                    hp.values_mut().insert(&c.name, v.clone());
                }
            }
            hp.ensure_active_values();
        }
        Err(TunerError::Runtime(
            "a conditional scope of the hypermodel never becomes active (its parent never takes the values it names)".into(),
        ))
    }

    /// `search(...)` with the hypermodel's data: runs trials until the oracle stops
    /// (`max_trials`, Hyperband's last bracket, or an exhausted space).
    pub fn search_with(&mut self, data: &mut H::Data) -> Result<()> {
        self.exhausted = false;
        loop {
            let mut trial = self.oracle.create_trial(&self.tuner_id)?;
            match trial.status {
                TrialStatus::Stopped => {
                    let limit = self
                        .oracle
                        .max_trials
                        .is_some_and(|m| self.oracle.trials().len() >= m);
                    if !limit && !self.hyperband {
                        self.exhausted = true;
                        if self.verbose > 0 {
                            println!(
                                "Search space exhausted after {} trials: the oracle has no untried values left.",
                                self.oracle.trials().len()
                            );
                        }
                    }
                    break;
                }
                TrialStatus::Idle => break,
                _ => {}
            }
            match self.run_and_update_trial(&mut trial, data) {
                Ok(()) => trial.status = TrialStatus::Completed,
                Err(e) if e.is_fatal() => return Err(e),
                Err(TunerError::FailedTrial(m)) => {
                    trial.status = TrialStatus::Failed;
                    trial.message = Some(m);
                }
                Err(e) => {
                    trial.status = TrialStatus::Invalid;
                    trial.message = Some(e.to_string());
                }
            }
            // the oracle holds the metrics; `end_trial` takes status, message and values
            if let Some(t) = self.oracle.get_trial(&trial.trial_id) {
                let mut t = t.clone();
                t.status = trial.status;
                t.message = trial.message.clone();
                t.hyperparameters = trial.hyperparameters.copy();
                trial = t;
            }
            self.oracle.end_trial(&trial)?;
            self.save()?;
        }
        Ok(())
    }

    fn run_and_update_trial(&mut self, trial: &mut Trial, data: &mut H::Data) -> Result<()> {
        let objective = self.oracle.objective().clone();
        let values = trial.hyperparameters.values().clone();
        let int_of = |k: &str| values.get(k).and_then(Value::as_i64).map(|v| v as usize);
        let (epochs, initial_epoch) = if self.hyperband {
            (int_of("tuner/epochs"), int_of("tuner/initial_epoch"))
        } else {
            (None, None)
        };
        let best_value =
            std::sync::Arc::new(std::sync::Mutex::new(if objective.direction() == "max" {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }));
        let checkpoint = self.checkpoint_fname(&trial.trial_id);
        crate::io::create_dir(&self.trial_dir(&trial.trial_id))?;
        let mut per_execution: Vec<(EpochLogs, usize)> = Vec::new();
        for execution in 0..self.executions_per_trial {
            let mut hp = trial.hyperparameters.copy();
            let mut model = self.try_build(&mut hp)?;
            let ctx = FitContext {
                trial_id: trial.trial_id.clone(),
                execution,
                epochs,
                initial_epoch,
                checkpoint: checkpoint.clone(),
                objective: objective.clone(),
                best_value: best_value.clone(),
            };
            let history = self.hypermodel.fit(&hp, &mut model, data, &ctx);
            // hyperparameters declared while building join the trial (and the space)
            trial.hyperparameters = hp.copy();
            per_execution.push(best_epoch(&history?, &objective)?);
        }
        // average_metrics_dicts over the executions' best epochs
        let mut names: Vec<String> = Vec::new();
        for (logs, _) in &per_execution {
            for (n, _) in logs {
                if !names.contains(n) {
                    names.push(n.clone());
                }
            }
        }
        let metrics: Vec<(String, f64)> = names
            .into_iter()
            .map(|n| {
                let vals: Vec<f64> = per_execution
                    .iter()
                    .filter_map(|(logs, _)| logs.iter().find(|(k, _)| *k == n).map(|(_, v)| *v))
                    .collect();
                let m = crate::trial::np_mean(&vals);
                (n, m)
            })
            .collect();
        let step =
            per_execution.iter().map(|(_, e)| *e).sum::<usize>() / per_execution.len().max(1);
        self.oracle
            .update_trial(&trial.trial_id, &metrics, step as i64)
    }

    /// `_try_build`: builds the model; a Hyperband promotion starts from the weights of
    /// the trial it continues (`tuner/trial_id`).
    fn try_build(&mut self, hp: &mut HyperParameters) -> Result<H::Model> {
        kiln::utils::clear_session();
        let mut model = self.build_model(hp)?;
        if self.hyperband
            && let Some(Value::Str(parent)) = hp.values().get("tuner/trial_id").cloned()
        {
            let path = self.checkpoint_fname(&parent);
            self.hypermodel.load_weights(&mut model, &path)?;
        }
        Ok(model)
    }

    /// `get_best_hyperparameters(num_trials)`: the best trials' hyperparameters, best
    /// first.
    pub fn get_best_hyperparameters(&self, num_trials: usize) -> Vec<HyperParameters> {
        self.oracle
            .get_best_trials(num_trials)
            .into_iter()
            .map(|t| t.hyperparameters.copy())
            .collect()
    }

    /// `get_best_models(num_models)`: the best trials' models, rebuilt and loaded from
    /// their checkpoints.
    pub fn get_best_models(&mut self, num_models: usize) -> Result<Vec<H::Model>> {
        let trials: Vec<Trial> = self
            .oracle
            .get_best_trials(num_models)
            .into_iter()
            .cloned()
            .collect();
        let mut out = Vec::new();
        for t in trials {
            let mut hp = t.hyperparameters.copy();
            let mut model = self.try_build(&mut hp)?;
            let path = self.checkpoint_fname(&t.trial_id);
            self.hypermodel.load_weights(&mut model, &path)?;
            out.push(model);
        }
        Ok(out)
    }

    /// `results_summary(num_trials)`'s lines.
    pub fn results_summary_lines(&self, num_trials: usize) -> Vec<String> {
        let mut out = vec![
            "Results summary".to_string(),
            format!("Results in {}", self.project_dir.display()),
            format!("Showing {num_trials} best trials"),
            self.oracle.objective().to_string(),
        ];
        for t in self.oracle.get_best_trials(num_trials) {
            out.push(String::new());
            out.extend(t.summary_lines());
        }
        out
    }

    /// `results_summary(num_trials=10)`: prints the best trials.
    pub fn results_summary(&self, num_trials: usize) {
        for l in self.results_summary_lines(num_trials) {
            println!("{l}");
        }
    }

    /// `search_space_summary()`'s lines.
    pub fn search_space_summary_lines(&self) -> Vec<String> {
        let hp = self.oracle.get_space();
        let mut out = vec![
            "Search space summary".to_string(),
            format!("Default search space size: {}", hp.space().len()),
        ];
        for p in hp.space() {
            out.push(format!("{} ({})", p.name, p.class_name()));
            out.push(p.config_repr());
        }
        out
    }

    /// `search_space_summary()`: prints the space.
    pub fn search_space_summary(&self) {
        for l in self.search_space_summary_lines() {
            println!("{l}");
        }
    }
}

/// `_get_best_value_and_best_epoch_from_history`: the logs of the epoch with the best
/// objective (the first such epoch) and its index.
fn best_epoch(history: &TrialHistory, objective: &Objective) -> Result<(EpochLogs, usize)> {
    let mut best = 0;
    let mut best_value = None;
    for (epoch, logs) in history.iter().enumerate() {
        let Some((_, v)) = logs.iter().find(|(n, _)| n == objective.name()) else {
            return Err(TunerError::Value(format!(
                "Objective value missing in metrics reported to the Oracle, expected: ['{}'], found: dict_keys([{}])",
                objective.name(),
                logs.iter().map(|(n, _)| format!("'{n}'")).collect::<Vec<_>>().join(", ")
            )));
        };
        match best_value {
            None => best_value = Some(*v),
            Some(b) if objective.better_than(*v, b) => {
                best = epoch;
                best_value = Some(*v);
            }
            _ => {}
        }
    }
    let logs = history.get(best).cloned().unwrap_or_default();
    Ok((logs, best))
}
