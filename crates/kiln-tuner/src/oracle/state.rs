//! Saving and reloading the oracle: `oracle.json` and each trial's `trial.json`
//! (`get_state` / `set_state`, `save`, `reload`).

use std::path::{Path, PathBuf};

use super::{Oracle, Strategy};
use crate::error::{Result, TunerError};
use crate::hyperparameters::HyperParameters;
use crate::trial::Trial;
use crate::value::Json;

use super::display::{iso, parse_iso};

impl Oracle {
    /// Sets the project directory the state is saved in (`_set_project_dir`).
    pub fn set_project_dir(&mut self, dir: impl AsRef<Path>) {
        self.project_dir = Some(dir.as_ref().to_path_buf());
    }

    pub(super) fn save_trial(&self, idx: usize) -> Result<()> {
        let Some(dir) = &self.project_dir else {
            return Ok(());
        };
        let t = &self.trials[idx];
        let path = dir.join(format!("trial_{}", t.trial_id)).join("trial.json");
        crate::io::write_json(&path, &t.to_json())
    }

    /// The state `oracle.json` holds (`get_state`).
    pub(crate) fn get_state(&self) -> Json {
        let map_s = |v: &[(String, String)]| {
            Json::Obj(
                v.iter()
                    .map(|(k, x)| (k.clone(), Json::Str(x.clone())))
                    .collect(),
            )
        };
        let display = Json::obj()
            .with("search_start", self.display.search_start.map(iso))
            .with(
                "trial_start",
                Json::Obj(
                    self.display
                        .trial_start
                        .iter()
                        .map(|(k, t)| (k.clone(), Json::Str(iso(*t))))
                        .collect(),
                ),
            )
            .with(
                "trial_number",
                Json::Obj(
                    self.display
                        .trial_number
                        .iter()
                        .map(|(k, n)| (k.clone(), Json::Int(*n as i64)))
                        .collect(),
                ),
            );
        let strs = |v: &[String]| Json::Arr(v.iter().map(|s| Json::Str(s.clone())).collect());
        let mut state = Json::obj()
            .with("ongoing_trials", map_s(&self.ongoing_trials))
            .with("hyperparameters", self.hyperparameters.to_json())
            .with("start_order", strs(&self.start_order))
            .with("end_order", strs(&self.end_order))
            .with(
                "run_times",
                Json::Obj(
                    self.run_times
                        .iter()
                        .map(|(k, n)| (k.clone(), Json::Int(*n as i64)))
                        .collect(),
                ),
            )
            .with("retry_queue", strs(&self.retry_queue))
            .with("seed", self.seed as i64)
            .with("seed_state", self.seed_state as i64)
            .with("tried_so_far", strs(&self.tried_so_far))
            .with("id_to_hash", map_s(&self.id_to_hash))
            .with("display", display);
        match &self.strategy {
            Strategy::Random => {}
            Strategy::Grid(g) => state = g.save(state),
            Strategy::Hyperband(h) => state = h.save(state),
            Strategy::Bayesian(b) => state = b.save(state),
        }
        state
    }

    pub(super) fn set_state(&mut self, s: &Json, path: &Path) -> Result<()> {
        let bad = |what: &str| {
            TunerError::Runtime(format!(
            "Error reloading `Oracle` from existing project. If you did not mean to reload from an existing project, change the `project_name` or pass `overwrite=True` when creating the `Tuner`. Found existing project at: {} (bad or missing '{what}')",
            path.parent().map_or(String::new(), |p| p.display().to_string())
        ))
        };
        let strs = |j: Option<&Json>, what: &str| -> Result<Vec<String>> {
            j.and_then(Json::as_arr)
                .ok_or_else(|| bad(what))?
                .iter()
                .map(|x| x.as_str().map(String::from).ok_or_else(|| bad(what)))
                .collect()
        };
        let map_s = |j: Option<&Json>, what: &str| -> Result<Vec<(String, String)>> {
            j.and_then(Json::as_obj)
                .ok_or_else(|| bad(what))?
                .iter()
                .map(|(k, v)| Ok((k.clone(), v.as_str().ok_or_else(|| bad(what))?.to_string())))
                .collect()
        };
        self.ongoing_trials = map_s(s.get("ongoing_trials"), "ongoing_trials")?;
        self.hyperparameters = s
            .get("hyperparameters")
            .and_then(HyperParameters::from_json)
            .ok_or_else(|| bad("hyperparameters"))?;
        self.start_order = strs(s.get("start_order"), "start_order")?;
        self.end_order = strs(s.get("end_order"), "end_order")?;
        self.run_times = s
            .get("run_times")
            .and_then(Json::as_obj)
            .ok_or_else(|| bad("run_times"))?
            .iter()
            .map(|(k, v)| (k.clone(), v.as_i64().unwrap_or(0) as usize))
            .collect();
        self.retry_queue = strs(s.get("retry_queue"), "retry_queue")?;
        self.seed = s
            .get("seed")
            .and_then(Json::as_i64)
            .ok_or_else(|| bad("seed"))? as u64;
        self.seed_state = s
            .get("seed_state")
            .and_then(Json::as_i64)
            .ok_or_else(|| bad("seed_state"))? as u64;
        self.tried_so_far = strs(s.get("tried_so_far"), "tried_so_far")?;
        self.id_to_hash = map_s(s.get("id_to_hash"), "id_to_hash")?;
        if let Some(d) = s.get("display") {
            self.display.search_start = d
                .get("search_start")
                .and_then(Json::as_str)
                .and_then(parse_iso);
            self.display.trial_start = d
                .get("trial_start")
                .and_then(Json::as_obj)
                .map(|o| {
                    o.iter()
                        .filter_map(|(k, v)| Some((k.clone(), parse_iso(v.as_str()?)?)))
                        .collect()
                })
                .unwrap_or_default();
            self.display.trial_number = d
                .get("trial_number")
                .and_then(Json::as_obj)
                .map(|o| {
                    o.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_i64()? as usize)))
                        .collect()
                })
                .unwrap_or_default();
        }
        let mut strategy = std::mem::replace(&mut self.strategy, Strategy::Random);
        let r = match &mut strategy {
            Strategy::Random => Ok(()),
            Strategy::Grid(g) => g.load(s),
            Strategy::Hyperband(h) => h.load(s),
            Strategy::Bayesian(b) => b.load(s),
        };
        self.strategy = strategy;
        r.map_err(|what| bad(&what))
    }

    /// The text `oracle.json` holds.
    pub fn state_json(&self) -> String {
        self.get_state().dumps()
    }

    /// Writes `oracle.json` (atomically).
    pub fn save(&self) -> Result<()> {
        let Some(dir) = &self.project_dir else {
            return Ok(());
        };
        crate::io::write_json(&dir.join("oracle.json"), &self.get_state())
    }

    /// `reload()`: reads every `trial_*/trial.json` and `oracle.json`; trials that were
    /// running when the search stopped are queued to run again.
    pub fn reload(&mut self) -> Result<()> {
        let Some(dir) = self.project_dir.clone() else {
            return Ok(());
        };
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| TunerError::Io {
                path: dir.display().to_string(),
                source: e,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("trial_"))
                    && p.join("trial.json").is_file()
            })
            .collect();
        entries.sort();
        self.trials.clear();
        for p in entries {
            self.trials.push(Trial::load(&p.join("trial.json"))?);
        }
        let path = dir.join("oracle.json");
        let state = crate::io::read_json(&path)?;
        self.set_state(&state, &path)?;
        // trials in creation order (start_order), then any others
        let order = self.start_order.clone();
        self.trials.sort_by_key(|t| {
            order
                .iter()
                .position(|id| *id == t.trial_id)
                .unwrap_or(usize::MAX)
        });
        for (_, id) in std::mem::take(&mut self.ongoing_trials) {
            self.retry_queue.push(id);
        }
        Ok(())
    }
}
