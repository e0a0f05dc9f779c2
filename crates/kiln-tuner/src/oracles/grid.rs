//! `GridSearchOracle`: every combination, in Keras Tuner's order. Each finished trial's
//! values are "bumped" from the last hyperparameter backwards (a hyperparameter's values
//! are its default first, then the rest in order), and a linked list of trial ids keeps
//! the candidates sorted so none is tried twice.

use std::collections::HashMap;

use crate::hyperparameters::{HyperParameters, Values};
use crate::oracle::{Oracle, Populate};
use crate::value::{Json, Value};

/// Keras Tuner's `LinkedList` of trial ids (insertion after a given id).
#[derive(Debug, Clone, Default)]
struct LinkedList {
    memory: Vec<String>,
    next: HashMap<Option<usize>, Option<usize>>,
    last: Option<usize>,
}

impl LinkedList {
    fn index_of(&self, data: &str) -> Option<usize> {
        self.memory.iter().position(|d| d == data)
    }

    fn insert(&mut self, data: &str, data_pre: Option<&str>) {
        self.memory.push(data.to_string());
        let new_index = self.memory.len() - 1;
        let index = match data_pre {
            None => self.last,
            Some(p) => self.index_of(p),
        };
        let after = self.next.get(&index).copied().flatten();
        self.next.insert(Some(new_index), after);
        self.next.insert(index, Some(new_index));
        while let Some(n) = self.next.get(&self.last).copied().flatten() {
            self.last = Some(n);
        }
    }

    fn next_of(&self, data: &str) -> Option<&str> {
        let i = self.index_of(data)?;
        let n = self.next.get(&Some(i)).copied().flatten()?;
        Some(&self.memory[n])
    }
}

/// The grid oracle's state. keras-tuner keeps it only in memory; kiln also writes it to
/// `oracle.json` (under `kiln_grid`, which keras-tuner ignores) so that a resumed grid
/// search carries on where it stopped instead of ending after the retried trials.
#[derive(Debug, Clone, Default)]
pub(crate) struct GridState {
    ordered: LinkedList,
    populate_next: Vec<String>,
}

fn ordered_values(hp: &crate::hyperparameters::HyperParameter) -> Vec<Value> {
    let default = hp.default_value();
    let mut list = hp.values();
    if let Some(i) = list.iter().position(|v| *v == default) {
        list.remove(i);
    }
    list.insert(0, default);
    list
}

impl GridState {
    pub(crate) fn populate(&mut self, oracle: &mut Oracle, trial_id: &str) -> Populate {
        let mut values: Option<Values> = None;
        if oracle.start_order.is_empty() {
            self.ordered.insert(trial_id, None);
            let hps = oracle.get_space();
            let mut v = Values::new();
            for hp in hps.space() {
                if hps.is_active(hp) {
                    v.insert(&hp.name, hp.default_value());
                }
            }
            values = Some(v);
            self.populate_next.push(trial_id.to_string());
        }
        while !self.populate_next.is_empty() && values.is_none() {
            let old_id = self.populate_next.remove(0);
            let Some(old) = oracle.get_trial(&old_id) else {
                continue;
            };
            let old_values = old.hyperparameters.values().clone();
            let Some(new_values) = next_combination(oracle, &old_values) else {
                continue;
            };
            if let Some(next_id) = self.ordered.next_of(&old_id)
                && let Some(next) = oracle.get_trial(next_id)
                && compare(oracle, &new_values, next.hyperparameters.values()) >= 0
            {
                continue;
            }
            self.ordered.insert(trial_id, Some(&old_id));
            values = Some(new_values);
        }
        match values {
            Some(v) => Populate::Running(v),
            None if !oracle.ongoing_trials.is_empty() => Populate::Idle,
            None => Populate::Stopped,
        }
    }

    pub(crate) fn trial_ended(&mut self, trial_id: &str) {
        self.populate_next.push(trial_id.to_string());
    }

    pub(crate) fn save(&self, state: Json) -> Json {
        let idx = |i: &Option<usize>| i.map_or(Json::Null, |x| Json::Int(x as i64));
        let mut next: Vec<(&Option<usize>, &Option<usize>)> = self.ordered.next.iter().collect();
        next.sort();
        state.with(
            "kiln_grid",
            Json::obj()
                .with(
                    "memory",
                    Json::Arr(
                        self.ordered
                            .memory
                            .iter()
                            .map(|s| Json::Str(s.clone()))
                            .collect(),
                    ),
                )
                .with(
                    "next",
                    Json::Arr(
                        next.iter()
                            .map(|(k, v)| Json::Arr(vec![idx(k), idx(v)]))
                            .collect(),
                    ),
                )
                .with("last", idx(&self.ordered.last))
                .with(
                    "populate_next",
                    Json::Arr(
                        self.populate_next
                            .iter()
                            .map(|s| Json::Str(s.clone()))
                            .collect(),
                    ),
                ),
        )
    }

    pub(crate) fn load(&mut self, state: &Json) -> Result<(), String> {
        let Some(g) = state.get("kiln_grid") else {
            // a keras-tuner-written project: start again from its finished trials
            *self = GridState::default();
            return Ok(());
        };
        let bad = || "kiln_grid".to_string();
        let strs = |j: Option<&Json>| -> Option<Vec<String>> {
            j?.as_arr()?
                .iter()
                .map(|x| x.as_str().map(String::from))
                .collect()
        };
        let idx = |j: &Json| -> Option<usize> { j.as_i64().map(|x| x as usize) };
        self.ordered.memory = strs(g.get("memory")).ok_or_else(bad)?;
        self.ordered.next = g
            .get("next")
            .and_then(Json::as_arr)
            .ok_or_else(bad)?
            .iter()
            .map(|p| {
                let a = p.as_arr()?;
                Some((idx(a.first()?), idx(a.get(1)?)))
            })
            .collect::<Option<_>>()
            .ok_or_else(bad)?;
        self.ordered.last = g.get("last").and_then(idx);
        self.populate_next = strs(g.get("populate_next")).ok_or_else(bad)?;
        Ok(())
    }
}

/// `_compare(a, b)`: -1 when `a` comes before `b` in grid order, 1 after, 0 equal.
fn compare(oracle: &Oracle, a: &Values, b: &Values) -> i32 {
    for hp in oracle.hyperparameters.space() {
        let Some(va) = a.get(&hp.name) else { continue };
        let Some(vb) = b.get(&hp.name) else { continue };
        if va == vb {
            continue;
        }
        let list = ordered_values(hp);
        let ia = list.iter().position(|v| v == va).unwrap_or(0);
        let ib = list.iter().position(|v| v == vb).unwrap_or(0);
        return if ia < ib { -1 } else { 1 };
    }
    0
}

/// `_get_next_combination(values)`.
fn next_combination(oracle: &Oracle, values: &Values) -> Option<Values> {
    let mut hps: HyperParameters = oracle.get_space();
    let space = hps.space().to_vec();
    hps.set_values(values.clone());
    let mut bumped = false;
    for hp in space.iter().rev() {
        let list = ordered_values(hp);
        if hps.is_active(hp) {
            let value = hps
                .values()
                .get(&hp.name)
                .cloned()
                .unwrap_or_else(|| hp.default_value());
            if list.last() != Some(&value) {
                let i = list.iter().position(|v| *v == value).map_or(0, |i| i + 1);
                hps.values_mut().insert(&hp.name, list[i].clone());
                bumped = true;
                break;
            }
        }
        hps.values_mut().insert(&hp.name, hp.default_value());
    }
    hps.ensure_active_values();
    bumped.then(|| hps.values().clone())
}
