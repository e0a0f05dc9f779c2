//! The [`HyperParameters`] container: the search space, the current values, the
//! conditional scopes, and the Keras Tuner config round trip.

use super::boolean::Boolean;
use super::choice::Choice;
use super::condition::{Condition, Values};
use super::float::Float;
use super::hyperparameter::{HpKind, HyperParameter};
use super::int::Int;
use super::Sampling;
use crate::error::{Result, TunerError};
use crate::value::{py_float_repr, Json, Value};

pub(super) fn parse_sampling(class: &str, name: &str, sampling: &str) -> Result<Sampling> {
    match sampling.to_lowercase().as_str() {
        "linear" => Ok(Sampling::Linear),
        "log" => Ok(Sampling::Log),
        "reverse_log" => Ok(Sampling::ReverseLog),
        _ => Err(TunerError::Value(format!(
            "For HyperParameters.{class}(name='{name}'), sampling must be one of {{'linear', 'log', 'reverse_log'}}"
        ))),
    }
}

/// `Numerical._check_sampling_arg`.
#[allow(clippy::too_many_arguments)]
pub(super) fn check_numerical(
    class: &str,
    name: &str,
    min: f64,
    max: f64,
    min_s: String,
    max_s: String,
    step: Option<f64>,
    step_s: String,
    sampling: Sampling,
) -> Result<()> {
    if min > max {
        return Err(TunerError::Value(format!(
            "For HyperParameters.{class}(name='{name}'), min_value {min_s} is greater than the max_value {max_s}."
        )));
    }
    if sampling != Sampling::Linear && min <= 0.0 {
        return Err(TunerError::Value(format!(
            "For HyperParameters.{class}(name='{name}'), sampling='{}' does not support negative values, found min_value: {min_s}.",
            sampling.as_str()
        )));
    }
    if sampling != Sampling::Linear && step.is_some_and(|s| s <= 1.0) {
        return Err(TunerError::Value(format!(
            "For HyperParameters.{class}(name='{name}'), expected step > 1 with sampling='{}'. Received: step={step_s}.",
            sampling.as_str()
        )));
    }
    Ok(())
}

/// The search space and the current trial's values (`keras_tuner.HyperParameters`).
///
/// A hypermodel declares its hyperparameters by calling [`HyperParameters::int`],
/// [`HyperParameters::float`], [`HyperParameters::choice`],
/// [`HyperParameters::boolean`] and [`HyperParameters::fixed`]; each returns the
/// trial's value (the default when the space is first declared).
///
/// ```
/// use kiln_tuner::{Choice, HyperParameters, Int};
/// let mut hp = HyperParameters::new();
/// let model = hp.choice(Choice::new("model_type", ["mlp", "cnn"]))?;
/// hp.conditional_scope("model_type", ["mlp"], |hp| {
///     hp.int(Int::new("units", 32, 128).step(32))
/// })?;
/// hp.conditional_scope("model_type", ["cnn"], |hp| {
///     hp.int(Int::new("filters", 16, 64).step(16))
/// })?;
/// assert_eq!(model.as_str(), Some("mlp"));
/// assert_eq!(hp.get("units")?.as_i64(), Some(32));
/// assert_eq!(hp.get("filters").unwrap_err().to_string(), "filters is currently inactive.");
/// assert_eq!(hp.space().len(), 3);
/// # Ok::<(), kiln_tuner::TunerError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct HyperParameters {
    pub(super) name_scopes: Vec<String>,
    pub(super) conditions: Vec<Condition>,
    pub(super) space: Vec<HyperParameter>,
    pub(super) values: Values,
    pub(crate) active_scopes: Vec<Vec<Condition>>,
    pub(crate) inactive_scopes: Vec<Vec<Condition>>,
    pub(super) error: Option<(u8, String)>,
}

impl PartialEq for HyperParameters {
    fn eq(&self, other: &HyperParameters) -> bool {
        self.space == other.space && self.values == other.values
    }
}

impl HyperParameters {
    /// An empty space.
    pub fn new() -> HyperParameters {
        HyperParameters::default()
    }

    /// The hyperparameters declared so far (`hp.space`).
    pub fn space(&self) -> &[HyperParameter] {
        &self.space
    }

    /// The active values (`hp.values`).
    pub fn values(&self) -> &Values {
        &self.values
    }

    /// Mutable active values (what an oracle fills in).
    pub fn values_mut(&mut self) -> &mut Values {
        &mut self.values
    }

    /// Replaces the values.
    pub fn set_values(&mut self, values: Values) {
        self.values = values;
    }

    /// The first error a declaration in this object returned (kept so the tuner can
    /// report it in Keras Tuner's words when a hypermodel wrapped it in `kiln::Error`).
    pub fn take_error(&mut self) -> Option<TunerError> {
        self.error.take().map(|(kind, msg)| match kind {
            1 => TunerError::Type(msg),
            2 => TunerError::Key(msg),
            _ => TunerError::Value(msg),
        })
    }

    pub(super) fn fail<T>(&mut self, e: TunerError) -> Result<T> {
        if self.error.is_none() {
            self.error = Some(match &e {
                TunerError::Type(m) => (1, m.clone()),
                TunerError::Key(m) => (2, m.clone()),
                other => (0, other.to_string()),
            });
        }
        Err(e)
    }

    pub(super) fn scoped_name(&self, name: &str) -> String {
        if self.name_scopes.is_empty() {
            name.to_string()
        } else {
            format!("{}/{}", self.name_scopes.join("/"), name)
        }
    }

    /// `hp.name_scope(name)`: names declared inside get the prefix `name/`.
    pub fn name_scope<T>(&mut self, name: &str, f: impl FnOnce(&mut HyperParameters) -> T) -> T {
        self.name_scopes.push(name.to_string());
        let out = f(self);
        self.name_scopes.pop();
        out
    }

    /// `hp.conditional_scope(parent_name, parent_values)`: hyperparameters declared
    /// inside are active only when `parent_name` has one of `parent_values`. The
    /// closure runs either way (as the `with` body does in Python).
    pub fn conditional_scope<T, V: Into<Value>, E: From<TunerError>>(
        &mut self,
        parent_name: &str,
        parent_values: impl IntoIterator<Item = V>,
        f: impl FnOnce(&mut HyperParameters) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let cond = Condition {
            name: self.scoped_name(parent_name),
            values: parent_values.into_iter().map(Into::into).collect(),
        };
        self.enter_condition(cond).map_err(E::from)?;
        let out = f(self);
        self.conditions.pop();
        out
    }

    pub(super) fn enter_condition(&mut self, cond: Condition) -> Result<()> {
        if !self.exists(&cond.name, &self.conditions) {
            return self.fail(TunerError::Value(format!(
                "`HyperParameter` named: {} not defined.",
                cond.name
            )));
        }
        if cond.values.is_empty() {
            return self.fail(TunerError::Value(
                "`parent_values` must be a non-empty list.".into(),
            ));
        }
        self.conditions.push(cond);
        if self.conditions_active(&self.conditions) {
            self.active_scopes.push(self.conditions.clone());
        } else {
            self.inactive_scopes.push(self.conditions.clone());
        }
        Ok(())
    }

    pub(super) fn conditions_active(&self, conditions: &[Condition]) -> bool {
        conditions.iter().all(|c| c.is_active(&self.values))
    }

    /// Whether `hp` is active: all its conditions hold for the current values.
    pub fn is_active(&self, hp: &HyperParameter) -> bool {
        self.conditions_active(&hp.conditions)
    }

    /// Whether any hyperparameter named `name` is active.
    pub fn is_active_name(&self, name: &str) -> bool {
        self.space
            .iter()
            .any(|hp| hp.name == name && self.is_active(hp))
    }

    pub(super) fn exists(&self, name: &str, conditions: &[Condition]) -> bool {
        self.space
            .iter()
            .any(|hp| hp.name == name && hp.conditions == conditions)
    }

    /// `hp.get(name)`: the active value of `name`.
    pub fn get(&self, name: &str) -> Result<Value> {
        let name = self.scoped_name(name);
        if let Some(v) = self.values.get(&name) {
            Ok(v.clone())
        } else if self.space.iter().any(|hp| hp.name == name) {
            Err(TunerError::Value(format!("{name} is currently inactive.")))
        } else {
            Err(TunerError::Key(format!("'{name} does not exist.'")))
        }
    }

    /// Whether `name` has an active value (`name in hp`).
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_ok()
    }

    pub(super) fn retrieve(&mut self, hp: HyperParameter) -> Result<Value> {
        if self.exists(&hp.name, &hp.conditions) {
            if self.is_active(&hp) {
                if let Some(v) = self.values.get(&hp.name) {
                    return Ok(v.clone());
                }
                return self.fail(TunerError::Key(format!("'{}'", hp.name)));
            }
            return Ok(hp.default_value());
        }
        let default = hp.default_value();
        Ok(self.register(hp, false)?.unwrap_or(default))
    }

    /// `_register`: adds `hp` to the space; returns its value when active.
    pub(crate) fn register(
        &mut self,
        hp: HyperParameter,
        overwrite: bool,
    ) -> Result<Option<Value>> {
        if let Some(c) = self.conditions.iter().find(|c| c.name == hp.name) {
            let msg = format!(
                "A conditional `HyperParameter` cannot have the same name as its parent. Found: {} and parent_name: {}",
                hp.name, c.name
            );
            return self.fail(TunerError::Value(msg));
        }
        let active = self.is_active(&hp);
        let name = hp.name.clone();
        let default = hp.default_value();
        self.space.push(hp);
        if active {
            if overwrite || !self.values.contains(&name) {
                self.values.insert(&name, default);
            }
            return Ok(self.values.get(&name).cloned());
        }
        Ok(None)
    }

    pub(super) fn with_parent<T>(
        &mut self,
        parent: Option<Condition>,
        f: impl FnOnce(&mut HyperParameters) -> Result<T>,
    ) -> Result<T> {
        match parent {
            Some(c) => {
                let cond = Condition {
                    name: self.scoped_name(&c.name),
                    values: c.values,
                };
                self.enter_condition(cond)?;
                let out = f(self);
                self.conditions.pop();
                out
            }
            None => f(self),
        }
    }

    /// `hp.Int(...)`: declares (or looks up) an integer hyperparameter and returns its
    /// value. Inside an inactive conditional scope the default is returned (Keras Tuner
    /// returns `None` there).
    pub fn int(&mut self, spec: Int) -> Result<i64> {
        let Int {
            name,
            min_value,
            max_value,
            step,
            sampling,
            default,
            parent,
        } = spec;
        let step = match step {
            None if sampling == "linear" => Some(1),
            s => s,
        };
        self.with_parent(parent, |hp| {
            let name = hp.scoped_name(&name);
            let s = match parse_sampling("Int", &name, &sampling) {
                Ok(s) => s,
                Err(e) => return hp.fail(e),
            };
            if let Err(e) = check_numerical(
                "Int",
                &name,
                min_value as f64,
                max_value as f64,
                min_value.to_string(),
                max_value.to_string(),
                step.map(|x| x as f64),
                step.map_or("None".into(), |x| x.to_string()),
                s,
            ) {
                return hp.fail(e);
            }
            if step == Some(0) && s == Sampling::Linear {
                return hp.fail(TunerError::Value(format!(
                    "For HyperParameters.Int(name='{name}'), step must be positive. Received: step=0."
                )));
            }
            let v = hp.retrieve(HyperParameter {
                name: name.clone(),
                conditions: hp.conditions.clone(),
                kind: HpKind::Int {
                    min_value,
                    max_value,
                    step,
                    sampling: s,
                    default,
                },
            })?;
            Ok(v.as_i64().unwrap_or(default.unwrap_or(min_value)))
        })
    }

    /// `hp.Float(...)`.
    pub fn float(&mut self, spec: Float) -> Result<f64> {
        let Float {
            name,
            min_value,
            max_value,
            step,
            sampling,
            default,
            parent,
        } = spec;
        self.with_parent(parent, |hp| {
            let name = hp.scoped_name(&name);
            let s = match parse_sampling("Float", &name, &sampling) {
                Ok(s) => s,
                Err(e) => return hp.fail(e),
            };
            if let Err(e) = check_numerical(
                "Float",
                &name,
                min_value,
                max_value,
                py_float_repr(min_value),
                py_float_repr(max_value),
                step,
                step.map_or("None".into(), py_float_repr),
                s,
            ) {
                return hp.fail(e);
            }
            if step.is_some_and(|x| x <= 0.0) && s == Sampling::Linear {
                return hp.fail(TunerError::Value(format!(
                    "For HyperParameters.Float(name='{name}'), step must be positive. Received: step={}.",
                    py_float_repr(step.unwrap_or(0.0))
                )));
            }
            let v = hp.retrieve(HyperParameter {
                name: name.clone(),
                conditions: hp.conditions.clone(),
                kind: HpKind::Float {
                    min_value,
                    max_value,
                    step,
                    sampling: s,
                    default,
                },
            })?;
            Ok(v.as_f64().unwrap_or(default.unwrap_or(min_value)))
        })
    }

    /// `hp.Choice(...)`.
    pub fn choice(&mut self, spec: Choice) -> Result<Value> {
        let Choice {
            name,
            values,
            ordered,
            default,
            parent,
        } = spec;
        self.with_parent(parent, |hp| {
            let name = hp.scoped_name(&name);
            if values.is_empty() {
                return hp.fail(TunerError::Value(
                    "`values` must be provided for `Choice`.".into(),
                ));
            }
            let first = values[0].type_name();
            if values.iter().any(|v| v.type_name() != first) {
                let mut types: Vec<&str> = values.iter().map(Value::type_name).collect();
                types.dedup();
                return hp.fail(TunerError::Type(format!(
                    "A `Choice` can contain only one type of value, found values: [{}] with types {{{}}}.",
                    values.iter().map(Value::repr).collect::<Vec<_>>().join(", "),
                    types
                        .iter()
                        .map(|t| format!("<class '{t}'>"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            if let Some(d) = &default
                && !values.contains(d)
            {
                return hp.fail(TunerError::Value(format!(
                    "The default value should be one of the choices. You passed: values=[{}], default={}",
                    values.iter().map(Value::repr).collect::<Vec<_>>().join(", "),
                    d
                )));
            }
            let numeric = matches!(values[0], Value::Int(_) | Value::Float(_));
            if ordered == Some(true) && !numeric {
                return hp.fail(TunerError::Value(
                    "`ordered` must be `False` for non-numeric types.".into(),
                ));
            }
            let ordered = ordered.unwrap_or(numeric);
            let v = hp.retrieve(HyperParameter {
                name,
                conditions: hp.conditions.clone(),
                kind: HpKind::Choice {
                    values,
                    ordered,
                    default,
                },
            })?;
            Ok(v)
        })
    }

    /// `hp.Boolean(...)`.
    pub fn boolean(&mut self, spec: Boolean) -> Result<bool> {
        let Boolean {
            name,
            default,
            parent,
        } = spec;
        self.with_parent(parent, |hp| {
            let name = hp.scoped_name(&name);
            let v = hp.retrieve(HyperParameter {
                name,
                conditions: hp.conditions.clone(),
                kind: HpKind::Boolean { default },
            })?;
            Ok(v.as_bool().unwrap_or(default))
        })
    }

    /// `hp.Fixed(name, value)`: an untunable value.
    pub fn fixed(&mut self, name: &str, value: impl Into<Value>) -> Result<Value> {
        let name = self.scoped_name(name);
        let value = value.into();
        self.retrieve(HyperParameter {
            name,
            conditions: self.conditions.clone(),
            kind: HpKind::Fixed { value },
        })
    }

    /// `merge(hps, overwrite)`: registers `hps` (those not yet present, when
    /// `overwrite` is false).
    pub fn merge(&mut self, hps: &[HyperParameter], overwrite: bool) {
        for hp in hps {
            if !overwrite && self.exists(&hp.name, &hp.conditions) {
                continue;
            }
            let saved = std::mem::take(&mut self.conditions);
            let _ = self.register(hp.clone(), overwrite);
            self.conditions = saved;
        }
    }

    /// `ensure_active_values()`: samples a value for every active hyperparameter that has
    /// none (from a seed drawn from the clock, as Python's `random.Random(None)` does)
    /// and drops the values of inactive ones.
    pub fn ensure_active_values(&mut self) {
        for i in 0..self.space.len() {
            let hp = &self.space[i];
            if self.is_active(hp) {
                if !self.values.contains(&hp.name) {
                    let seed = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_nanos() as u64);
                    let v = hp.random_sample(seed);
                    let name = hp.name.clone();
                    self.values.insert(&name, v);
                }
            } else {
                let name = hp.name.clone();
                self.values.remove(&name);
            }
        }
    }

    /// A copy with the same space and values and no open scopes (`hp.copy()`).
    pub fn copy(&self) -> HyperParameters {
        HyperParameters {
            space: self.space.clone(),
            values: self.values.clone(),
            ..HyperParameters::default()
        }
    }

    /// `get_config()` as keras-tuner writes it.
    pub(crate) fn to_json(&self) -> Json {
        Json::obj()
            .with(
                "space",
                Json::Arr(self.space.iter().map(HyperParameter::to_json).collect()),
            )
            .with("values", self.values.to_json())
    }

    pub(crate) fn from_json(j: &Json) -> Option<HyperParameters> {
        let space = j
            .get("space")?
            .as_arr()?
            .iter()
            .map(HyperParameter::from_json)
            .collect::<Option<Vec<_>>>()?;
        let values = Values::from_json(j.get("values")?)?;
        Some(HyperParameters {
            space,
            values,
            ..HyperParameters::default()
        })
    }
}
