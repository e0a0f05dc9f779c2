//! `HyperbandOracle`: brackets of successive halving. Bracket `b` (counting down from
//! the largest) starts `size(b, 0)` random trials of `epochs(b, 0)` epochs; each later
//! round promotes the best finished trials of the round before, which train on from
//! their checkpoint (`tuner/trial_id`, `tuner/initial_epoch` .. `tuner/epochs`).

use crate::hyperparameters::Values;
use crate::oracle::{Oracle, Populate};
use crate::trial::TrialStatus;
use crate::value::{Json, Value};

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RoundEntry {
    pub(crate) past_id: Option<String>,
    pub(crate) id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bracket {
    pub(crate) bracket_num: i64,
    pub(crate) rounds: Vec<Vec<RoundEntry>>,
}

#[derive(Debug, Clone)]
pub(crate) struct HyperbandState {
    /// `None`: unlimited (Python's `float("inf")`).
    pub(crate) hyperband_iterations: Option<usize>,
    pub(crate) max_epochs: usize,
    pub(crate) min_epochs: usize,
    pub(crate) factor: usize,
    pub(crate) current_iteration: usize,
    pub(crate) current_bracket: i64,
    pub(crate) brackets: Vec<Bracket>,
}

impl HyperbandState {
    pub(crate) fn new(
        max_epochs: usize,
        factor: usize,
        iterations: Option<usize>,
    ) -> HyperbandState {
        let mut s = HyperbandState {
            hyperband_iterations: iterations.filter(|&i| i > 0),
            max_epochs,
            min_epochs: 1,
            factor,
            current_iteration: 0,
            current_bracket: 0,
            brackets: Vec::new(),
        };
        s.current_bracket = s.num_brackets() - 1;
        s.start_new_bracket();
        s
    }

    /// `_get_size`: trials in round `round` of bracket `bracket`.
    pub(crate) fn size(&self, bracket: i64, round: i64) -> usize {
        let f = self.factor as f64;
        let end0 = (1.0 + (self.max_epochs as f64).ln() / f.ln()).ceil();
        let end = end0 / (bracket + 1) as f64;
        (end * f.powi((bracket - round) as i32)).ceil() as usize
    }

    /// `_get_epochs`: epochs a trial of round `round` of bracket `bracket` trains to.
    pub(crate) fn epochs(&self, bracket: i64, round: i64) -> i64 {
        (self.max_epochs as f64 / (self.factor as f64).powi((bracket - round) as i32)).ceil() as i64
    }

    fn num_brackets(&self) -> i64 {
        let mut epochs = self.max_epochs as f64;
        let mut n = 0;
        while epochs >= self.min_epochs as f64 {
            epochs /= self.factor as f64;
            n += 1;
        }
        n
    }

    fn start_new_bracket(&mut self) {
        let rounds = (0..=self.current_bracket).map(|_| Vec::new()).collect();
        self.brackets.push(Bracket {
            bracket_num: self.current_bracket,
            rounds,
        });
    }

    fn increment_bracket(&mut self) {
        self.current_bracket -= 1;
        if self.current_bracket < 0 {
            self.current_bracket = self.num_brackets() - 1;
            self.current_iteration += 1;
        }
    }

    fn remove_completed_brackets(&mut self) {
        let sizes: Vec<bool> = self
            .brackets
            .iter()
            .map(|b| {
                let last = b.rounds.len() as i64 - 1;
                b.rounds.last().map_or(0, Vec::len) != self.size(b.bracket_num, last)
            })
            .collect();
        let mut keep = sizes.into_iter();
        self.brackets.retain(|_| keep.next().unwrap_or(true));
    }

    fn random_trial(
        &mut self,
        oracle: &mut Oracle,
        trial_id: &str,
        bracket_index: usize,
    ) -> Populate {
        let bracket_num = self.brackets[bracket_index].bracket_num;
        match oracle.random_values() {
            Some(mut values) if !values.is_empty() => {
                values.insert("tuner/epochs", Value::Int(self.epochs(bracket_num, 0)));
                values.insert("tuner/initial_epoch", Value::Int(0));
                values.insert("tuner/bracket", Value::Int(self.current_bracket));
                values.insert("tuner/round", Value::Int(0));
                self.brackets[bracket_index].rounds[0].push(RoundEntry {
                    past_id: None,
                    id: trial_id.into(),
                });
                Populate::Running(values)
            }
            _ if !oracle.ongoing_trials.is_empty() => Populate::Idle,
            _ => Populate::Stopped,
        }
    }

    pub(crate) fn populate(&mut self, oracle: &mut Oracle, trial_id: &str) -> Populate {
        self.remove_completed_brackets();
        for bi in 0..self.brackets.len() {
            let bracket_num = self.brackets[bi].bracket_num;
            if self.brackets[bi].rounds[0].len() < self.size(bracket_num, 0) {
                return self.random_trial(oracle, trial_id, bi);
            }
            for round in 1..self.brackets[bi].rounds.len() {
                let size = self.size(bracket_num, round as i64);
                let past_size = self.size(bracket_num, round as i64 - 1);
                let already: Vec<Option<String>> = self.brackets[bi].rounds[round]
                    .iter()
                    .map(|e| e.past_id.clone())
                    .collect();
                let mut candidates: Vec<_> = self.brackets[bi].rounds[round - 1]
                    .iter()
                    .filter(|e| !already.contains(&Some(e.id.clone())))
                    .filter_map(|e| oracle.get_trial(&e.id))
                    .filter(|t| t.status == TrialStatus::Completed)
                    .collect();
                if candidates.len() + size > past_size {
                    let max = oracle.objective.direction() == "max";
                    candidates.sort_by(|a, b| {
                        let o = a
                            .score
                            .unwrap_or(f64::NAN)
                            .partial_cmp(&b.score.unwrap_or(f64::NAN))
                            .unwrap_or(std::cmp::Ordering::Equal);
                        if max {
                            o.reverse()
                        } else {
                            o
                        }
                    });
                    let best = candidates[0];
                    let mut values: Values = best.hyperparameters.values().clone();
                    let best_id = best.trial_id.clone();
                    values.insert("tuner/trial_id", Value::Str(best_id.clone()));
                    values.insert(
                        "tuner/epochs",
                        Value::Int(self.epochs(bracket_num, round as i64)),
                    );
                    values.insert(
                        "tuner/initial_epoch",
                        Value::Int(self.epochs(bracket_num, round as i64 - 1)),
                    );
                    values.insert("tuner/bracket", Value::Int(self.current_bracket));
                    values.insert("tuner/round", Value::Int(round as i64));
                    self.brackets[bi].rounds[round].push(RoundEntry {
                        past_id: Some(best_id),
                        id: trial_id.into(),
                    });
                    return Populate::Running(values);
                }
            }
        }
        let last_iteration = self
            .hyperband_iterations
            .is_some_and(|n| self.current_iteration + 1 == n);
        if self.current_bracket == 0 && last_iteration {
            if oracle.ongoing_trials.is_empty() {
                Populate::Stopped
            } else {
                Populate::Idle
            }
        } else {
            self.increment_bracket();
            self.start_new_bracket();
            let last = self.brackets.len() - 1;
            self.random_trial(oracle, trial_id, last)
        }
    }

    pub(crate) fn save(&self, state: Json) -> Json {
        let brackets = self
            .brackets
            .iter()
            .map(|b| {
                Json::obj().with("bracket_num", b.bracket_num).with(
                    "rounds",
                    Json::Arr(
                        b.rounds
                            .iter()
                            .map(|r| {
                                Json::Arr(
                                    r.iter()
                                        .map(|e| {
                                            Json::obj()
                                                .with("past_id", e.past_id.clone())
                                                .with("id", e.id.as_str())
                                        })
                                        .collect(),
                                )
                            })
                            .collect(),
                    ),
                )
            })
            .collect();
        state
            .with(
                "hyperband_iterations",
                match self.hyperband_iterations {
                    Some(n) => Json::Int(n as i64),
                    None => Json::Float(f64::INFINITY),
                },
            )
            .with("max_epochs", self.max_epochs)
            .with("min_epochs", self.min_epochs)
            .with("factor", self.factor)
            .with("brackets", Json::Arr(brackets))
            .with("current_bracket", self.current_bracket)
            .with("current_iteration", self.current_iteration)
    }

    pub(crate) fn load(&mut self, s: &Json) -> Result<(), String> {
        let int = |k: &str| s.get(k).and_then(Json::as_i64).ok_or_else(|| k.to_string());
        self.hyperband_iterations = match s.get("hyperband_iterations") {
            Some(Json::Int(n)) => Some(*n as usize),
            Some(Json::Float(f)) if f.is_infinite() => None,
            _ => return Err("hyperband_iterations".into()),
        };
        self.max_epochs = int("max_epochs")? as usize;
        self.min_epochs = int("min_epochs")? as usize;
        self.factor = int("factor")? as usize;
        self.current_bracket = int("current_bracket")?;
        self.current_iteration = int("current_iteration")? as usize;
        let bad = || "brackets".to_string();
        let mut brackets = Vec::new();
        for b in s.get("brackets").and_then(Json::as_arr).ok_or_else(bad)? {
            let bracket_num = b
                .get("bracket_num")
                .and_then(Json::as_i64)
                .ok_or_else(bad)?;
            let mut rounds = Vec::new();
            for r in b.get("rounds").and_then(Json::as_arr).ok_or_else(bad)? {
                let mut entries = Vec::new();
                for e in r.as_arr().ok_or_else(bad)? {
                    entries.push(RoundEntry {
                        past_id: e.get("past_id").and_then(Json::as_str).map(String::from),
                        id: e
                            .get("id")
                            .and_then(Json::as_str)
                            .ok_or_else(bad)?
                            .to_string(),
                    });
                }
                rounds.push(entries);
            }
            brackets.push(Bracket {
                bracket_num,
                rounds,
            });
        }
        self.brackets = brackets;
        Ok(())
    }
}
