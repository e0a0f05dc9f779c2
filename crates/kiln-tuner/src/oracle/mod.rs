//! `Oracle`: hands out trials, records their results and keeps the search state
//! (`oracle.json`), with the strategies of `RandomSearch`, `GridSearch`, `Hyperband`
//! and `BayesianOptimization`.

mod display;
mod state;

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::error::{Result, TunerError};
use crate::hyperparameters::{HpKind, HyperParameters, Values};
use crate::objective::{infer_metric_direction, Objective};
use crate::oracles::bayesian::BayesianState;
use crate::oracles::grid::GridState;
use crate::oracles::hyperband::HyperbandState;
use crate::trial::{Trial, TrialStatus};
use crate::value::Value;
use display::Display;

/// The strategy an [`Oracle`] follows.
#[derive(Debug, Clone)]
pub(crate) enum Strategy {
    Random,
    Grid(GridState),
    Hyperband(HyperbandState),
    Bayesian(Box<BayesianState>),
}

/// What `populate_space` answers.
pub(crate) enum Populate {
    Running(Values),
    Idle,
    Stopped,
}

/// The settings every oracle shares (`Oracle.__init__`'s arguments).
#[derive(Debug, Clone)]
pub struct OracleConfig {
    /// `objective`.
    pub objective: Objective,
    /// `max_trials` (`None`: no limit; Hyperband has none).
    pub max_trials: Option<usize>,
    /// `seed` (`None` or 0: drawn from 1..=10000, as `random.randint(1, 10000)`).
    pub seed: Option<u64>,
    /// `hyperparameters`: a space declared in advance.
    pub hyperparameters: Option<HyperParameters>,
    /// `allow_new_entries`.
    pub allow_new_entries: bool,
    /// `tune_new_entries`.
    pub tune_new_entries: bool,
    /// `max_retries_per_trial`.
    pub max_retries_per_trial: usize,
    /// `max_consecutive_failed_trials`.
    pub max_consecutive_failed_trials: usize,
}

impl OracleConfig {
    /// Keras Tuner's defaults for `objective`.
    pub fn new(objective: Objective) -> OracleConfig {
        OracleConfig {
            objective,
            max_trials: Some(10),
            seed: None,
            hyperparameters: None,
            allow_new_entries: true,
            tune_new_entries: true,
            max_retries_per_trial: 0,
            max_consecutive_failed_trials: 3,
        }
    }
}

/// The oracle: trials, their order and results, and the strategy's state.
#[derive(Debug, Clone)]
pub struct Oracle {
    pub(crate) objective: Objective,
    pub(crate) max_trials: Option<usize>,
    pub(crate) hyperparameters: HyperParameters,
    allow_new_entries: bool,
    tune_new_entries: bool,
    pub(crate) trials: Vec<Trial>,
    pub(crate) ongoing_trials: Vec<(String, String)>,
    pub(crate) start_order: Vec<String>,
    pub(crate) end_order: Vec<String>,
    run_times: Vec<(String, usize)>,
    retry_queue: Vec<String>,
    tuner_ids: Vec<String>,
    pub(crate) seed: u64,
    pub(crate) seed_state: u64,
    tried_so_far: Vec<String>,
    id_to_hash: Vec<(String, String)>,
    max_collisions: usize,
    max_retries_per_trial: usize,
    max_consecutive_failed_trials: usize,
    display: Display,
    pub(crate) project_dir: Option<PathBuf>,
    pub(crate) strategy: Strategy,
}

impl Oracle {
    pub(crate) fn with_strategy(config: OracleConfig, strategy: Strategy) -> Oracle {
        let seed = match config.seed {
            Some(s) if s != 0 => s,
            _ => {
                let mut r = kiln_data::python_random::PyRandom::new(
                    SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .map_or(1, |d| d.as_nanos() as u64),
                );
                1 + u64::from(r.randbelow(10000))
            }
        };
        let mut strategy = strategy;
        if let Strategy::Bayesian(b) = &mut strategy {
            b.seed_random_state(seed);
        }
        Oracle {
            objective: config.objective,
            max_trials: config.max_trials,
            hyperparameters: config.hyperparameters.unwrap_or_default(),
            allow_new_entries: config.allow_new_entries,
            tune_new_entries: config.tune_new_entries,
            trials: Vec::new(),
            ongoing_trials: Vec::new(),
            start_order: Vec::new(),
            end_order: Vec::new(),
            run_times: Vec::new(),
            retry_queue: Vec::new(),
            tuner_ids: Vec::new(),
            seed,
            seed_state: seed,
            tried_so_far: Vec::new(),
            id_to_hash: Vec::new(),
            max_collisions: 20,
            max_retries_per_trial: config.max_retries_per_trial,
            max_consecutive_failed_trials: config.max_consecutive_failed_trials,
            display: Display {
                verbose: 1,
                ..Display::default()
            },
            project_dir: None,
            strategy,
        }
    }

    /// `RandomSearchOracle`.
    ///
    /// ```
    /// use kiln_tuner::{Float, HyperParameters, Objective, Oracle, OracleConfig};
    /// let mut space = HyperParameters::new();
    /// space.float(Float::new("x", 0.0, 1.0))?;
    /// let mut cfg = OracleConfig::new(Objective::new("score", "min")?);
    /// cfg.seed = Some(1);
    /// cfg.hyperparameters = Some(space);
    /// let mut oracle = Oracle::random_search(cfg);
    /// oracle.set_verbose(0);
    /// let trial = oracle.create_trial("tuner0")?;
    /// // random.Random(1).random()
    /// assert_eq!(trial.hyperparameters.get("x")?.as_f64(), Some(0.13436424411240122));
    /// # Ok::<(), kiln_tuner::TunerError>(())
    /// ```
    pub fn random_search(config: OracleConfig) -> Oracle {
        Oracle::with_strategy(config, Strategy::Random)
    }

    /// `GridSearchOracle` (`max_trials` defaults to `None` there: set it in `config`).
    pub fn grid_search(config: OracleConfig) -> Oracle {
        Oracle::with_strategy(config, Strategy::Grid(GridState::default()))
    }

    /// `HyperbandOracle(max_epochs, factor, hyperband_iterations)`; `max_trials` is
    /// ignored (Hyperband stops when its brackets are done).
    pub fn hyperband(
        mut config: OracleConfig,
        max_epochs: usize,
        factor: usize,
        hyperband_iterations: Option<usize>,
    ) -> Result<Oracle> {
        if factor < 2 {
            return Err(TunerError::Value(
                "factor needs to be a int larger than 1.".into(),
            ));
        }
        config.max_trials = None;
        let state = HyperbandState::new(max_epochs, factor, hyperband_iterations);
        Ok(Oracle::with_strategy(config, Strategy::Hyperband(state)))
    }

    /// `BayesianOptimizationOracle(num_initial_points, alpha, beta)`.
    pub fn bayesian_optimization(
        config: OracleConfig,
        num_initial_points: Option<usize>,
        alpha: f64,
        beta: f64,
    ) -> Oracle {
        let state = BayesianState::new(num_initial_points, alpha, beta);
        Oracle::with_strategy(config, Strategy::Bayesian(Box::new(state)))
    }

    /// The objective.
    pub fn objective(&self) -> &Objective {
        &self.objective
    }

    /// `0` silent, `1` Keras Tuner's trial tables and summaries.
    pub fn set_verbose(&mut self, verbose: u8) {
        self.display.verbose = verbose;
    }

    /// The seed (given, or drawn).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// All trials, in creation order.
    pub fn trials(&self) -> &[Trial] {
        &self.trials
    }

    /// One trial.
    pub fn get_trial(&self, trial_id: &str) -> Option<&Trial> {
        self.trials.iter().find(|t| t.trial_id == trial_id)
    }

    fn trial_mut(&mut self, trial_id: &str) -> Result<&mut Trial> {
        self.trials
            .iter_mut()
            .find(|t| t.trial_id == trial_id)
            .ok_or_else(|| TunerError::Key(format!("'{trial_id}'")))
    }

    /// A copy of the search space (`get_space`).
    pub fn get_space(&self) -> HyperParameters {
        self.hyperparameters.copy()
    }

    /// `remaining_trials`.
    pub fn remaining_trials(&self) -> Option<usize> {
        self.max_trials.map(|m| m.saturating_sub(self.trials.len()))
    }

    /// `update_space(hps)`: adds the hyperparameters of `hps` the space lacks.
    pub fn update_space(&mut self, hps: &HyperParameters) -> Result<()> {
        let new: Vec<_> = hps
            .space()
            .iter()
            .filter(|hp| {
                !self
                    .hyperparameters
                    .space()
                    .iter()
                    .any(|h| h.name == hp.name && h.conditions == hp.conditions)
            })
            .cloned()
            .collect();
        if !new.is_empty() && !self.allow_new_entries {
            return Err(TunerError::Runtime(format!(
                "`allow_new_entries` is `False`, but found new entries [{}]",
                new.iter()
                    .map(|h| h.name.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if !self.tune_new_entries {
            return Ok(());
        }
        self.hyperparameters.merge(&new, true);
        Ok(())
    }

    /// `_compute_values_hash`: sha256 of `k=v` over the sorted names, first 32 hex digits
    /// (Hyperband leaves out its `tuner/` bookkeeping except `tuner/trial_id`).
    pub(crate) fn values_hash(&self, values: &Values) -> String {
        let skip: &[&str] = match self.strategy {
            Strategy::Hyperband(_) => &[
                "tuner/epochs",
                "tuner/initial_epoch",
                "tuner/bracket",
                "tuner/round",
            ],
            _ => &[],
        };
        let mut keys: Vec<(&str, &Value)> =
            values.iter().filter(|(k, _)| !skip.contains(k)).collect();
        keys.sort_by(|a, b| a.0.cmp(b.0));
        let s: String = keys.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let digest = Sha256::digest(s.as_bytes());
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()[..32]
            .to_string()
    }

    /// `_random_values`: one value per active hyperparameter from
    /// `random.Random(seed_state)`, `seed_state` counting up; `None` once 20 draws in a
    /// row repeat tried values (the space is exhausted).
    pub(crate) fn random_values(&mut self) -> Option<Values> {
        let mut collisions = 0;
        loop {
            let mut hps = HyperParameters::new();
            for hp in self.hyperparameters.space().to_vec() {
                hps.merge(std::slice::from_ref(&hp), true);
                if hps.is_active(&hp) {
                    let v = hp.random_sample(self.seed_state);
                    hps.values_mut().insert(&hp.name, v);
                    self.seed_state += 1;
                }
            }
            let h = self.values_hash(hps.values());
            if self.tried_so_far.contains(&h) {
                collisions += 1;
                if collisions > self.max_collisions {
                    return None;
                }
                continue;
            }
            return Some(hps.values().clone());
        }
    }

    fn record_values(&mut self, idx: usize) {
        self.trials[idx].hyperparameters.ensure_active_values();
        let new_hash = self.values_hash(self.trials[idx].hyperparameters.values());
        if !self.tried_so_far.contains(&new_hash) {
            self.tried_so_far.push(new_hash.clone());
        }
        let id = self.trials[idx].trial_id.clone();
        let old = self
            .id_to_hash
            .iter()
            .find(|(k, _)| *k == id)
            .map(|(_, v)| v.clone());
        if old.as_deref() != Some(new_hash.as_str()) {
            match self.id_to_hash.iter_mut().find(|(k, _)| *k == id) {
                Some(e) => e.1 = new_hash,
                None => self.id_to_hash.push((id, new_hash)),
            }
            if let Some(old) = old {
                self.tried_so_far.retain(|h| *h != old);
            }
        }
    }

    fn populate_space(&mut self, trial_id: &str) -> Result<Populate> {
        let mut strategy = std::mem::replace(&mut self.strategy, Strategy::Random);
        let out = match &mut strategy {
            Strategy::Random => Ok(match self.random_values() {
                Some(v) => Populate::Running(v),
                None => Populate::Stopped,
            }),
            Strategy::Grid(g) => Ok(g.populate(self, trial_id)),
            Strategy::Hyperband(h) => Ok(h.populate(self, trial_id)),
            Strategy::Bayesian(b) => b.populate(self),
        };
        self.strategy = strategy;
        out
    }

    /// `create_trial(tuner_id)`: the next trial to run (a retried one first), or a trial
    /// with status `STOPPED` when there is nothing left.
    pub fn create_trial(&mut self, tuner_id: &str) -> Result<Trial> {
        if let Some((_, id)) = self.ongoing_trials.iter().find(|(t, _)| t == tuner_id) {
            let id = id.clone();
            return Ok(self.trial_mut(&id)?.clone());
        }
        if !self.tuner_ids.iter().any(|t| t == tuner_id) {
            self.tuner_ids.push(tuner_id.into());
        }
        if let Some(id) = self.retry_queue.pop() {
            let t = self.trial_mut(&id)?;
            t.status = TrialStatus::Running;
            let t = t.clone();
            self.ongoing_trials.push((tuner_id.into(), id));
            self.save()?;
            self.on_trial_begin(&t);
            return Ok(t);
        }
        let width = self.max_trials.map_or(4, |m| m.to_string().len());
        let trial_id = format!("{:0width$}", self.trials.len());
        let (status, values) = if self.max_trials.is_some_and(|m| self.trials.len() >= m) {
            (TrialStatus::Stopped, None)
        } else {
            match self.populate_space(&trial_id)? {
                Populate::Running(v) => (TrialStatus::Running, Some(v)),
                Populate::Idle => (TrialStatus::Idle, None),
                Populate::Stopped => (TrialStatus::Stopped, None),
            }
        };
        let mut hps = self.hyperparameters.copy();
        hps.set_values(values.unwrap_or_default());
        let trial = Trial::new(hps, trial_id.clone(), status);
        if status == TrialStatus::Running {
            self.trials.push(trial);
            let idx = self.trials.len() - 1;
            self.record_values(idx);
            self.ongoing_trials
                .push((tuner_id.into(), trial_id.clone()));
            self.start_order.push(trial_id);
            self.save_trial(idx)?;
            self.save()?;
            let t = self.trials[idx].clone();
            self.on_trial_begin(&t);
            return Ok(t);
        }
        if status == TrialStatus::Stopped {
            self.tuner_ids.retain(|t| t != tuner_id);
        }
        Ok(trial)
    }

    /// `update_trial(trial_id, metrics, step)`: records the metrics of a trial; the
    /// objective must be among them.
    pub fn update_trial(
        &mut self,
        trial_id: &str,
        metrics: &[(String, f64)],
        step: i64,
    ) -> Result<()> {
        if !metrics.iter().any(|(n, _)| n == self.objective.name()) {
            return Err(TunerError::Value(format!(
                "Objective value missing in metrics reported to the Oracle, expected: ['{}'], found: dict_keys([{}])",
                self.objective.name(),
                metrics
                    .iter()
                    .map(|(n, _)| format!("'{n}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let objective = self.objective.clone();
        let t = self.trial_mut(trial_id)?;
        for (name, value) in metrics {
            if !t.metrics.exists(name) {
                let d = if name == objective.name() {
                    Some(objective.direction())
                } else {
                    None
                };
                t.metrics
                    .register(name, d.or_else(|| infer_metric_direction(name)));
            }
            t.metrics.update(name, *value, step);
        }
        let idx = self.index_of(trial_id)?;
        self.save_trial(idx)
    }

    fn index_of(&self, trial_id: &str) -> Result<usize> {
        self.trials
            .iter()
            .position(|t| t.trial_id == trial_id)
            .ok_or_else(|| TunerError::Key(format!("'{trial_id}'")))
    }

    /// `end_trial(trial)`: scores a finished trial (status `COMPLETED`, `INVALID` or
    /// `FAILED` set by the caller), queues an invalid one for retry, and stops the search
    /// with an `Err` after `max_consecutive_failed_trials` failures in a row.
    pub fn end_trial(&mut self, trial: &Trial) -> Result<()> {
        let idx = self.index_of(&trial.trial_id)?;
        {
            let t = &mut self.trials[idx];
            t.hyperparameters = trial.hyperparameters.copy();
            t.status = trial.status;
            t.message = trial.message.clone();
        }
        let hps = self.trials[idx].hyperparameters.clone();
        self.update_space(&hps)?;
        if self.trials[idx].status == TrialStatus::Completed {
            let name = self.objective.name().to_string();
            let t = &mut self.trials[idx];
            let h = t
                .metrics
                .get(&name)
                .ok_or_else(|| TunerError::Value(format!("Unknown metric: {name}")))?;
            t.score = h.best_value();
            t.best_step = h.best_step();
            if t.score.is_none_or(f64::is_nan) {
                t.status = TrialStatus::Invalid;
            }
        }
        self.record_values(idx);
        let id = self.trials[idx].trial_id.clone();
        let runs = match self.run_times.iter_mut().find(|(k, _)| *k == id) {
            Some(e) => {
                e.1 += 1;
                e.1
            }
            None => {
                self.run_times.push((id.clone(), 1));
                1
            }
        };
        let retried = if self.trials[idx].status == TrialStatus::Invalid {
            let max_runs = self.max_retries_per_trial + 1;
            if runs >= max_runs {
                self.trials[idx].status = TrialStatus::Failed;
                false
            } else {
                if self.display.verbose > 0 {
                    println!(
                        "Trial {id} failed {runs} times. {} retries left.",
                        max_runs - runs
                    );
                }
                self.retry_queue.push(id.clone());
                true
            }
        } else {
            false
        };
        if !retried {
            self.end_order.push(id.clone());
            self.check_consecutive_failures()?;
        }
        if let Strategy::Grid(g) = &mut self.strategy {
            g.trial_ended(&id);
        }
        self.save_trial(idx)?;
        self.save()?;
        let t = self.trials[idx].clone();
        self.on_trial_end(&t);
        if let Some(p) = self.ongoing_trials.iter().position(|(_, tid)| *tid == id) {
            self.ongoing_trials.remove(p);
        }
        Ok(())
    }

    fn check_consecutive_failures(&self) -> Result<()> {
        let mut consecutive = 0;
        for id in &self.end_order {
            let Some(t) = self.get_trial(id) else {
                continue;
            };
            if t.status == TrialStatus::Failed {
                consecutive += 1;
            } else {
                consecutive = 0;
            }
            if consecutive == self.max_consecutive_failed_trials {
                return Err(TunerError::Runtime(format!(
                    "Number of consecutive failures exceeded the limit of {}.\n{}",
                    self.max_consecutive_failed_trials,
                    t.message.clone().unwrap_or_default()
                )));
            }
        }
        Ok(())
    }

    /// `get_best_trials(num_trials)`: completed trials by score (stable), then the others.
    pub fn get_best_trials(&self, num_trials: usize) -> Vec<&Trial> {
        let mut done: Vec<&Trial> = self
            .trials
            .iter()
            .filter(|t| t.status == TrialStatus::Completed)
            .collect();
        let max = self.objective.direction() == "max";
        done.sort_by(|a, b| {
            let (x, y) = (a.score.unwrap_or(f64::NAN), b.score.unwrap_or(f64::NAN));
            let o = x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal);
            if max {
                o.reverse()
            } else {
                o
            }
        });
        if done.len() < num_trials {
            done.extend(
                self.trials
                    .iter()
                    .filter(|t| t.status != TrialStatus::Completed),
            );
        }
        done.truncate(num_trials);
        done
    }

    pub(crate) fn nonfixed_len(&self) -> usize {
        self.hyperparameters
            .space()
            .iter()
            .filter(|h| !matches!(h.kind, HpKind::Fixed { .. }))
            .count()
    }
}
