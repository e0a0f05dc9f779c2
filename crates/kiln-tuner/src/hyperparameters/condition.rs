//! Conditional scopes: a hyperparameter is active only when a parent has one of some
//! values (Keras Tuner's `conditions.Parent`).

use crate::value::{Json, Value};

/// `Parent(name, values)`: active when the hyperparameter `name` has one of `values`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The parent hyperparameter's name.
    pub name: String,
    /// The parent values that activate the child.
    pub values: Vec<Value>,
}

impl Condition {
    /// Whether the condition holds for `values`.
    pub fn is_active(&self, values: &Values) -> bool {
        values
            .get(&self.name)
            .is_some_and(|v| self.values.contains(v))
    }

    pub(super) fn to_json(&self) -> Json {
        Json::obj().with("class_name", "Parent").with(
            "config",
            Json::obj().with("name", self.name.as_str()).with(
                "values",
                Json::Arr(self.values.iter().map(Value::to_json).collect()),
            ),
        )
    }

    pub(super) fn from_json(j: &Json) -> Option<Condition> {
        let cfg = j.get("config")?;
        Some(Condition {
            name: cfg.get("name")?.as_str()?.to_string(),
            values: cfg
                .get("values")?
                .as_arr()?
                .iter()
                .map(Value::from_json)
                .collect::<Option<Vec<_>>>()?,
        })
    }
}

/// The active values of a trial, in the order they were set (Python's `dict`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Values {
    pub(super) entries: Vec<(String, Value)>,
}

impl Values {
    /// No values.
    pub fn new() -> Values {
        Values::default()
    }
    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
    /// Sets `name` (keeping its position when present).
    pub fn insert(&mut self, name: &str, value: Value) {
        match self.entries.iter_mut().find(|(n, _)| n == name) {
            Some(e) => e.1 = value,
            None => self.entries.push((name.to_string(), value)),
        }
    }
    /// Removes `name`.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let i = self.entries.iter().position(|(n, _)| n == name)?;
        Some(self.entries.remove(i).1)
    }
    /// Whether `name` has a value.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
    /// `(name, value)` in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v))
    }
    /// Number of values.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn to_json(&self) -> Json {
        Json::Obj(
            self.entries
                .iter()
                .map(|(k, v)| (k.clone(), v.to_json()))
                .collect(),
        )
    }

    pub(crate) fn from_json(j: &Json) -> Option<Values> {
        let mut out = Values::new();
        for (k, v) in j.as_obj()? {
            out.insert(k, Value::from_json(v)?);
        }
        Some(out)
    }
}
