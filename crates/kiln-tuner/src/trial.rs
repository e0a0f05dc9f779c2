//! `Trial`, its status and its metrics (`MetricsTracker`), stored as keras-tuner's
//! `trial.json`.

use crate::error::{Result, TunerError};
use crate::hyperparameters::HyperParameters;
use crate::objective::infer_metric_direction;
use crate::value::{py_float_repr, Json};

/// `TrialStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrialStatus {
    /// Being run.
    Running,
    /// Nothing to run now (another worker must finish first).
    Idle,
    /// Failed and may be retried.
    Invalid,
    /// The oracle has nothing left to try.
    Stopped,
    /// Finished with a score.
    Completed,
    /// Failed for good.
    Failed,
}

impl TrialStatus {
    /// Keras Tuner's spelling (`"COMPLETED"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            TrialStatus::Running => "RUNNING",
            TrialStatus::Idle => "IDLE",
            TrialStatus::Invalid => "INVALID",
            TrialStatus::Stopped => "STOPPED",
            TrialStatus::Completed => "COMPLETED",
            TrialStatus::Failed => "FAILED",
        }
    }

    fn parse(s: &str) -> Option<TrialStatus> {
        Some(match s {
            "RUNNING" => TrialStatus::Running,
            "IDLE" => TrialStatus::Idle,
            "INVALID" => TrialStatus::Invalid,
            "STOPPED" => TrialStatus::Stopped,
            "COMPLETED" => TrialStatus::Completed,
            "FAILED" => TrialStatus::Failed,
            _ => return None,
        })
    }
}

/// The values of one metric reported at one step (several when reported repeatedly).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricObservation {
    /// The values.
    pub value: Vec<f64>,
    /// The step (epoch).
    pub step: i64,
}

impl MetricObservation {
    fn mean(&self) -> f64 {
        np_mean(&self.value)
    }
}

/// `np.mean` (pairwise summation as NumPy does for float64 arrays).
pub(crate) fn np_mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    np_pairwise_sum(v) / v.len() as f64
}

/// NumPy's pairwise summation (`pairwise_sum_DOUBLE`): plain accumulation below 8
/// elements, 8 partial sums up to 128, recursive halves beyond.
pub(crate) fn np_pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut res = 0.0;
        for &x in a {
            res += x;
        }
        res
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - (n % 8) {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut res = (r[0] + r[1]) + (r[2] + r[3]) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += a[i];
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        np_pairwise_sum(&a[..n2]) + np_pairwise_sum(&a[n2..])
    }
}

/// The history of one metric (`MetricHistory`).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricHistory {
    /// `"min"` or `"max"`.
    pub direction: String,
    observations: Vec<MetricObservation>,
}

impl MetricHistory {
    fn new(direction: &str) -> MetricHistory {
        MetricHistory {
            direction: direction.into(),
            observations: Vec::new(),
        }
    }

    fn update(&mut self, value: f64, step: i64) {
        match self.observations.iter_mut().find(|o| o.step == step) {
            Some(o) => o.value.push(value),
            None => self.observations.push(MetricObservation {
                value: vec![value],
                step,
            }),
        }
    }

    /// The best of the per-step means (NaN ignored), `None` when nothing was reported.
    pub fn best_value(&self) -> Option<f64> {
        if self.observations.is_empty() {
            return None;
        }
        let means = self.observations.iter().map(MetricObservation::mean);
        let best = means
            .filter(|m| !m.is_nan())
            .fold(None, |acc: Option<f64>, m| {
                Some(match acc {
                    None => m,
                    Some(a) if self.direction == "min" => a.min(m),
                    Some(a) => a.max(m),
                })
            });
        Some(best.unwrap_or(f64::NAN))
    }

    /// The step of the best value.
    pub fn best_step(&self) -> Option<i64> {
        let best = self.best_value()?;
        self.observations
            .iter()
            .find(|o| o.mean() == best)
            .map(|o| o.step)
    }

    /// The observations sorted by step.
    pub fn history(&self) -> Vec<MetricObservation> {
        let mut h = self.observations.clone();
        h.sort_by_key(|o| o.step);
        h
    }

    fn to_json(&self) -> Json {
        Json::obj().with("direction", self.direction.as_str()).with(
            "observations",
            Json::Arr(
                self.history()
                    .iter()
                    .map(|o| {
                        Json::obj()
                            .with(
                                "value",
                                Json::Arr(o.value.iter().map(|v| Json::Float(*v)).collect()),
                            )
                            .with("step", o.step)
                    })
                    .collect(),
            ),
        )
    }

    fn from_json(j: &Json) -> Option<MetricHistory> {
        let mut h = MetricHistory::new(j.get("direction")?.as_str()?);
        for o in j.get("observations")?.as_arr()? {
            let step = o.get("step")?.as_i64()?;
            let vals = match o.get("value")? {
                Json::Arr(a) => a.iter().map(Json::as_f64).collect::<Option<Vec<_>>>()?,
                v => vec![v.as_f64()?],
            };
            for v in vals {
                h.update(v, step);
            }
        }
        Some(h)
    }
}

/// A trial's metrics (`MetricsTracker`), in the order they were first reported.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricsTracker {
    metrics: Vec<(String, MetricHistory)>,
}

impl MetricsTracker {
    /// Whether `name` was reported.
    pub fn exists(&self, name: &str) -> bool {
        self.metrics.iter().any(|(n, _)| n == name)
    }

    /// Registers `name` with a direction (inferred from the name, else `"min"`).
    pub fn register(&mut self, name: &str, direction: Option<&str>) {
        let d = direction
            .or_else(|| infer_metric_direction(name))
            .unwrap_or("min");
        self.metrics.push((name.into(), MetricHistory::new(d)));
    }

    /// Records `value` for `name` at `step`.
    pub fn update(&mut self, name: &str, value: f64, step: i64) {
        if !self.exists(name) {
            self.register(name, None);
        }
        if let Some((_, h)) = self.metrics.iter_mut().find(|(n, _)| n == name) {
            h.update(value, step);
        }
    }

    /// One metric's history.
    pub fn get(&self, name: &str) -> Option<&MetricHistory> {
        self.metrics.iter().find(|(n, _)| n == name).map(|(_, h)| h)
    }

    /// The metric names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.metrics.iter().map(|(n, _)| n.as_str())
    }

    fn to_json(&self) -> Json {
        Json::obj().with(
            "metrics",
            Json::Obj(
                self.metrics
                    .iter()
                    .map(|(n, h)| (n.clone(), h.to_json()))
                    .collect(),
            ),
        )
    }

    fn from_json(j: &Json) -> Option<MetricsTracker> {
        let mut t = MetricsTracker::default();
        for (name, h) in j.get("metrics")?.as_obj()? {
            t.metrics.push((name.clone(), MetricHistory::from_json(h)?));
        }
        Some(t)
    }
}

/// One trial: its hyperparameter values, metrics, score and status.
#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    /// `trial_id` (`"00"`, `"01"`, ... zero-padded to the width of `max_trials`).
    pub trial_id: String,
    /// The space and this trial's values.
    pub hyperparameters: HyperParameters,
    /// What was reported.
    pub metrics: MetricsTracker,
    /// The objective's best value.
    pub score: Option<f64>,
    /// The step of the best value.
    pub best_step: Option<i64>,
    /// The status.
    pub status: TrialStatus,
    /// The error of a failed trial.
    pub message: Option<String>,
}

impl Trial {
    pub(crate) fn new(
        hyperparameters: HyperParameters,
        trial_id: String,
        status: TrialStatus,
    ) -> Trial {
        Trial {
            trial_id,
            hyperparameters,
            metrics: MetricsTracker::default(),
            score: None,
            best_step: Some(0),
            status,
            message: None,
        }
    }

    /// `Trial.summary()`'s lines.
    pub fn summary_lines(&self) -> Vec<String> {
        let mut out = vec![
            format!("Trial {} summary", self.trial_id),
            "Hyperparameters:".into(),
        ];
        if self.hyperparameters.values().is_empty() {
            out.push("default configuration".into());
        } else {
            for (name, v) in self.hyperparameters.values().iter() {
                out.push(format!("{name}: {v}"));
            }
        }
        if let Some(s) = self.score {
            out.push(format!("Score: {}", py_float_repr(s)));
        }
        if let Some(m) = &self.message {
            out.push(m.clone());
        }
        out
    }

    pub(crate) fn to_json(&self) -> Json {
        Json::obj()
            .with("trial_id", self.trial_id.as_str())
            .with("hyperparameters", self.hyperparameters.to_json())
            .with("metrics", self.metrics.to_json())
            .with("score", self.score)
            .with("best_step", self.best_step)
            .with("status", self.status.as_str())
            .with("message", self.message.clone())
    }

    pub(crate) fn from_json(j: &Json) -> Option<Trial> {
        Some(Trial {
            trial_id: j.get("trial_id")?.as_str()?.to_string(),
            hyperparameters: HyperParameters::from_json(j.get("hyperparameters")?)?,
            metrics: MetricsTracker::from_json(j.get("metrics")?)?,
            score: j.get("score").and_then(Json::as_f64),
            best_step: j.get("best_step").and_then(Json::as_i64),
            status: TrialStatus::parse(j.get("status")?.as_str()?)?,
            message: j.get("message").and_then(Json::as_str).map(String::from),
        })
    }

    /// Reads a `trial.json`.
    pub fn load(path: &std::path::Path) -> Result<Trial> {
        let j = crate::io::read_json(path)?;
        Trial::from_json(&j).ok_or_else(|| TunerError::State {
            path: path.display().to_string(),
            msg: "not a keras-tuner trial.json".into(),
        })
    }
}
