//! The search space: `Int`, `Float`, `Choice`, `Boolean` and `Fixed` hyperparameters,
//! conditional scopes, and Keras Tuner's conversions between a value and a cumulative
//! probability in `[0, 1)` (`prob_to_value` / `value_to_prob`), which random sampling
//! and Bayesian optimisation are built on.

use crate::error::{Result, TunerError};
use crate::value::{py_float_floordiv, py_float_repr, Json, Value};

/// How a numeric range is walked (`sampling=`): `"linear"`, `"log"` or `"reverse_log"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// `min + p * (max - min)`.
    Linear,
    /// `min * (max / min) ^ p`.
    Log,
    /// `max + min - min * (max / min) ^ (1 - p)`.
    ReverseLog,
}

impl Sampling {
    /// Keras Tuner's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Sampling::Linear => "linear",
            Sampling::Log => "log",
            Sampling::ReverseLog => "reverse_log",
        }
    }
}

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

    fn to_json(&self) -> Json {
        Json::obj().with("class_name", "Parent").with(
            "config",
            Json::obj().with("name", self.name.as_str()).with(
                "values",
                Json::Arr(self.values.iter().map(Value::to_json).collect()),
            ),
        )
    }

    fn from_json(j: &Json) -> Option<Condition> {
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
    entries: Vec<(String, Value)>,
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

/// `hp.Int(name, min_value, max_value, step=None, sampling="linear", default=None)`.
/// `max_value` is included. With `sampling="linear"` and no step, the step is 1.
///
/// ```
/// use kiln_tuner::{HyperParameters, Int};
/// let mut hp = HyperParameters::new();
/// assert_eq!(hp.int(Int::new("units", 32, 512).step(32))?, 32); // the default: min_value
/// # Ok::<(), kiln_tuner::TunerError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Int {
    name: String,
    min_value: i64,
    max_value: i64,
    step: Option<i64>,
    sampling: String,
    default: Option<i64>,
    parent: Option<Condition>,
}

impl Int {
    /// An integer in `[min_value, max_value]`.
    pub fn new(name: &str, min_value: i64, max_value: i64) -> Int {
        Int {
            name: name.into(),
            min_value,
            max_value,
            step: None,
            sampling: "linear".into(),
            default: None,
            parent: None,
        }
    }
    /// `step=`: the distance (linear) or ratio (log) between consecutive values.
    pub fn step(mut self, step: i64) -> Int {
        self.step = Some(step);
        self
    }
    /// `sampling=`: `"linear"`, `"log"` or `"reverse_log"` (any case).
    pub fn sampling(mut self, sampling: &str) -> Int {
        self.sampling = sampling.into();
        self
    }
    /// `default=` (otherwise `min_value`).
    pub fn default(mut self, default: i64) -> Int {
        self.default = Some(default);
        self
    }
    /// `parent_name=`, `parent_values=`.
    pub fn parent<V: Into<Value>>(
        mut self,
        name: &str,
        values: impl IntoIterator<Item = V>,
    ) -> Int {
        self.parent = Some(Condition {
            name: name.into(),
            values: values.into_iter().map(Into::into).collect(),
        });
        self
    }
}

/// `hp.Float(name, min_value, max_value, step=None, sampling="linear", default=None)`.
///
/// ```
/// use kiln_tuner::{Float, HyperParameters};
/// let mut hp = HyperParameters::new();
/// assert_eq!(hp.float(Float::new("lr", 1e-4, 1e-2).sampling("LOG"))?, 1e-4);
/// # Ok::<(), kiln_tuner::TunerError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Float {
    name: String,
    min_value: f64,
    max_value: f64,
    step: Option<f64>,
    sampling: String,
    default: Option<f64>,
    parent: Option<Condition>,
}

impl Float {
    /// A float in `[min_value, max_value]`.
    pub fn new(name: &str, min_value: f64, max_value: f64) -> Float {
        Float {
            name: name.into(),
            min_value,
            max_value,
            step: None,
            sampling: "linear".into(),
            default: None,
            parent: None,
        }
    }
    /// `step=`.
    pub fn step(mut self, step: f64) -> Float {
        self.step = Some(step);
        self
    }
    /// `sampling=`.
    pub fn sampling(mut self, sampling: &str) -> Float {
        self.sampling = sampling.into();
        self
    }
    /// `default=` (otherwise `min_value`).
    pub fn default(mut self, default: f64) -> Float {
        self.default = Some(default);
        self
    }
    /// `parent_name=`, `parent_values=`.
    pub fn parent<V: Into<Value>>(
        mut self,
        name: &str,
        values: impl IntoIterator<Item = V>,
    ) -> Float {
        self.parent = Some(Condition {
            name: name.into(),
            values: values.into_iter().map(Into::into).collect(),
        });
        self
    }
}

/// `hp.Choice(name, values, ordered=None, default=None)`.
///
/// ```
/// use kiln_tuner::{Choice, HyperParameters};
/// let mut hp = HyperParameters::new();
/// assert_eq!(hp.choice(Choice::new("act", ["relu", "tanh"]))?.as_str(), Some("relu"));
/// # Ok::<(), kiln_tuner::TunerError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    name: String,
    values: Vec<Value>,
    ordered: Option<bool>,
    default: Option<Value>,
    parent: Option<Condition>,
}

impl Choice {
    /// One of `values` (all of one type).
    pub fn new<V: Into<Value>>(name: &str, values: impl IntoIterator<Item = V>) -> Choice {
        Choice {
            name: name.into(),
            values: values.into_iter().map(Into::into).collect(),
            ordered: None,
            default: None,
            parent: None,
        }
    }
    /// `ordered=` (default: true for numbers).
    pub fn ordered(mut self, ordered: bool) -> Choice {
        self.ordered = Some(ordered);
        self
    }
    /// `default=` (otherwise the first value).
    pub fn default(mut self, default: impl Into<Value>) -> Choice {
        self.default = Some(default.into());
        self
    }
    /// `parent_name=`, `parent_values=`.
    pub fn parent<V: Into<Value>>(
        mut self,
        name: &str,
        values: impl IntoIterator<Item = V>,
    ) -> Choice {
        self.parent = Some(Condition {
            name: name.into(),
            values: values.into_iter().map(Into::into).collect(),
        });
        self
    }
}

/// `hp.Boolean(name, default=False)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Boolean {
    name: String,
    default: bool,
    parent: Option<Condition>,
}

impl Boolean {
    /// `True` or `False`.
    pub fn new(name: &str) -> Boolean {
        Boolean {
            name: name.into(),
            default: false,
            parent: None,
        }
    }
    /// `default=`.
    pub fn default(mut self, default: bool) -> Boolean {
        self.default = default;
        self
    }
    /// `parent_name=`, `parent_values=`.
    pub fn parent<V: Into<Value>>(
        mut self,
        name: &str,
        values: impl IntoIterator<Item = V>,
    ) -> Boolean {
        self.parent = Some(Condition {
            name: name.into(),
            values: values.into_iter().map(Into::into).collect(),
        });
        self
    }
}

/// One hyperparameter of the space, with its conditions.
#[derive(Debug, Clone, PartialEq)]
pub struct HyperParameter {
    /// The (scoped) name.
    pub name: String,
    /// The conditions that must all hold for it to be active.
    pub conditions: Vec<Condition>,
    /// Its kind and range.
    pub kind: HpKind,
}

/// The kind of a [`HyperParameter`] and its range.
#[derive(Debug, Clone, PartialEq)]
pub enum HpKind {
    /// `Int`.
    Int {
        /// Lower bound (included).
        min_value: i64,
        /// Upper bound (included).
        max_value: i64,
        /// Step (`None`: any integer; only with log sampling, as linear defaults to 1).
        step: Option<i64>,
        /// Sampling.
        sampling: Sampling,
        /// The given default (`None`: `min_value`).
        default: Option<i64>,
    },
    /// `Float`.
    Float {
        /// Lower bound.
        min_value: f64,
        /// Upper bound.
        max_value: f64,
        /// Step.
        step: Option<f64>,
        /// Sampling.
        sampling: Sampling,
        /// The given default (`None`: `min_value`).
        default: Option<f64>,
    },
    /// `Choice`.
    Choice {
        /// The choices.
        values: Vec<Value>,
        /// Whether they are ordered.
        ordered: bool,
        /// The given default (`None`: the first value).
        default: Option<Value>,
    },
    /// `Boolean`.
    Boolean {
        /// The default.
        default: bool,
    },
    /// `Fixed`.
    Fixed {
        /// The value.
        value: Value,
    },
}

fn prob_to_index(prob: f64, n_index: usize) -> usize {
    let ele_prob = 1.0 / n_index as f64;
    let index = (prob / ele_prob).floor();
    let index = if index < 0.0 { 0 } else { index as usize };
    if index >= n_index {
        n_index - 1
    } else {
        index
    }
}

fn index_to_prob(index: f64, n_index: usize) -> f64 {
    let ele_prob = 1.0 / n_index as f64;
    (index + 0.5) * ele_prob
}

/// `math.log(x, base)`.
fn log_base(x: f64, base: f64) -> f64 {
    x.ln() / base.ln()
}

/// `Numerical._sample_numerical_value`.
fn sample_numerical(sampling: Sampling, min: f64, max: f64, prob: f64) -> f64 {
    match sampling {
        Sampling::Linear => prob * (max - min) + min,
        Sampling::Log => min * (max / min).powf(prob),
        Sampling::ReverseLog => max + min - min * (max / min).powf(1.0 - prob),
    }
}

/// `Numerical._numerical_to_prob`.
fn numerical_to_prob(sampling: Sampling, min: f64, max: f64, value: f64) -> f64 {
    if max == min {
        return 0.5;
    }
    match sampling {
        Sampling::Linear => (value - min) / (max - min),
        Sampling::Log => (value / min).ln() / (max / min).ln(),
        Sampling::ReverseLog => 1.0 - ((max + min - value) / min).ln() / (max / min).ln(),
    }
}

impl HyperParameter {
    /// Keras Tuner's class name (`Int`, `Float`, `Choice`, `Boolean`, `Fixed`).
    pub fn class_name(&self) -> &'static str {
        match self.kind {
            HpKind::Int { .. } => "Int",
            HpKind::Float { .. } => "Float",
            HpKind::Choice { .. } => "Choice",
            HpKind::Boolean { .. } => "Boolean",
            HpKind::Fixed { .. } => "Fixed",
        }
    }

    /// The `default` property.
    pub fn default_value(&self) -> Value {
        match &self.kind {
            HpKind::Int {
                min_value, default, ..
            } => Value::Int(default.unwrap_or(*min_value)),
            HpKind::Float {
                min_value, default, ..
            } => Value::Float(default.unwrap_or(*min_value)),
            HpKind::Choice {
                values, default, ..
            } => default.clone().unwrap_or_else(|| values[0].clone()),
            HpKind::Boolean { default } => Value::Bool(*default),
            HpKind::Fixed { value } => value.clone(),
        }
    }

    /// Number of values a stepped numeric range has (`_get_n_values`).
    fn n_values(&self) -> usize {
        match &self.kind {
            HpKind::Int {
                min_value,
                max_value,
                step: Some(step),
                sampling,
                ..
            } => match sampling {
                Sampling::Linear => ((max_value - min_value).div_euclid(*step) + 1).max(1) as usize,
                _ => {
                    (log_base(*max_value as f64 / *min_value as f64, *step as f64) + 1e-8) as usize
                        + 1
                }
            },
            HpKind::Float {
                min_value,
                max_value,
                step: Some(step),
                sampling,
                ..
            } => match sampling {
                Sampling::Linear => {
                    (py_float_floordiv(max_value - min_value, *step) + 1.0).max(1.0) as usize
                }
                _ => (log_base(max_value / min_value, *step) + 1e-8) as usize + 1,
            },
            _ => 1,
        }
    }

    /// `_get_value_by_index`: the `index`-th value of a stepped range.
    fn value_by_index(&self, index: usize) -> Value {
        match &self.kind {
            HpKind::Int {
                min_value,
                max_value,
                step,
                sampling,
                ..
            } => {
                let step = step.unwrap_or(1);
                match sampling {
                    Sampling::Linear => Value::Int(min_value + index as i64 * step),
                    Sampling::Log => {
                        Value::Float(*min_value as f64 * (step as f64).powf(index as f64))
                    }
                    Sampling::ReverseLog => Value::Float(
                        (*max_value + *min_value) as f64
                            - *min_value as f64 * (step as f64).powf(index as f64),
                    ),
                }
            }
            HpKind::Float {
                min_value,
                max_value,
                step,
                sampling,
                ..
            } => {
                let step = step.unwrap_or(1.0);
                Value::Float(match sampling {
                    Sampling::Linear => min_value + index as f64 * step,
                    Sampling::Log => min_value * step.powf(index as f64),
                    Sampling::ReverseLog => {
                        max_value + min_value - min_value * step.powf(index as f64)
                    }
                })
            }
            _ => self.default_value(),
        }
    }

    /// `prob_to_value`: the value at cumulative probability `prob` in `[0, 1)`.
    ///
    /// ```
    /// use kiln_tuner::{HyperParameters, Int};
    /// let mut hp = HyperParameters::new();
    /// hp.int(Int::new("units", 32, 512).step(32))?;
    /// let units = &hp.space()[0];
    /// // 16 values: 0.5 falls in the 9th sixteenth
    /// assert_eq!(units.prob_to_value(0.5).as_i64(), Some(288));
    /// assert_eq!(units.value_to_prob(&288.into()), 0.53125);
    /// # Ok::<(), kiln_tuner::TunerError>(())
    /// ```
    pub fn prob_to_value(&self, prob: f64) -> Value {
        match &self.kind {
            HpKind::Int {
                min_value,
                max_value,
                step,
                sampling,
                ..
            } => match step {
                None => Value::Int(sample_numerical(
                    *sampling,
                    *min_value as f64,
                    (*max_value + 1) as f64,
                    prob,
                ) as i64),
                Some(_) => {
                    let v = self.value_by_index(prob_to_index(prob, self.n_values()));
                    Value::Int(v.as_f64().unwrap_or(0.0) as i64)
                }
            },
            HpKind::Float {
                min_value,
                max_value,
                step,
                sampling,
                ..
            } => match step {
                None => Value::Float(sample_numerical(*sampling, *min_value, *max_value, prob)),
                Some(_) => self.value_by_index(prob_to_index(prob, self.n_values())),
            },
            HpKind::Choice { values, .. } => values[prob_to_index(prob, values.len())].clone(),
            HpKind::Boolean { .. } => Value::Bool(prob >= 0.5),
            HpKind::Fixed { value } => value.clone(),
        }
    }

    /// `value_to_prob`: the cumulative probability of `value` (inverse of
    /// [`HyperParameter::prob_to_value`] up to the discretisation). A value not among a
    /// `Choice`'s gives 0.5 (Python raises `ValueError` there).
    pub fn value_to_prob(&self, value: &Value) -> f64 {
        let v = value.as_f64().unwrap_or(f64::NAN);
        match &self.kind {
            HpKind::Int {
                min_value,
                max_value,
                step,
                sampling,
                ..
            } => match step {
                None => numerical_to_prob(
                    *sampling,
                    *min_value as f64,
                    (*max_value + 1) as f64,
                    v + 0.5,
                ),
                Some(step) => {
                    let index = match sampling {
                        Sampling::Linear => match value {
                            Value::Int(i) => (i - min_value).div_euclid(*step) as f64,
                            _ => py_float_floordiv(v - *min_value as f64, *step as f64),
                        },
                        Sampling::Log => log_base(v / *min_value as f64, *step as f64),
                        Sampling::ReverseLog => log_base(
                            (*max_value as f64 - v + *min_value as f64) / *min_value as f64,
                            *step as f64,
                        ),
                    };
                    index_to_prob(index, self.n_values())
                }
            },
            HpKind::Float {
                min_value,
                max_value,
                step,
                sampling,
                ..
            } => match step {
                None => numerical_to_prob(*sampling, *min_value, *max_value, v),
                Some(step) => {
                    let index = match sampling {
                        Sampling::Linear => py_float_floordiv(v - min_value, *step),
                        Sampling::Log => log_base(v / min_value, *step),
                        Sampling::ReverseLog => {
                            log_base((max_value - v + min_value) / min_value, *step)
                        }
                    };
                    index_to_prob(index, self.n_values())
                }
            },
            HpKind::Choice { values, .. } => match values.iter().position(|x| x == value) {
                Some(i) => index_to_prob(i as f64, values.len()),
                None => 0.5,
            },
            HpKind::Boolean { .. } => {
                if value.as_bool().unwrap_or(v != 0.0) {
                    0.75
                } else {
                    0.25
                }
            }
            HpKind::Fixed { .. } => 0.5,
        }
    }

    /// `random_sample(seed)`: `prob_to_value(random.Random(seed).random())`.
    pub fn random_sample(&self, seed: u64) -> Value {
        let prob = kiln_data::python_random::PyRandom::new(seed).random();
        self.prob_to_value(prob)
    }

    /// The `values` property: every value of a stepped range or a choice, in Keras
    /// Tuner's order. A numeric range without a step gives the distinct values at
    /// probabilities 0.05, 0.15, ..., 0.95 in the iteration order of the Python `set`
    /// Keras Tuner builds them in.
    pub fn values(&self) -> Vec<Value> {
        match &self.kind {
            HpKind::Int { step: None, .. } | HpKind::Float { step: None, .. } => {
                let vals: Vec<Value> = (0..10)
                    .map(|i| self.prob_to_value(i as f64 * 0.1 + 0.05))
                    .collect();
                crate::pyset::set_order(&vals)
            }
            HpKind::Int { .. } | HpKind::Float { .. } => (0..self.n_values())
                .map(|i| self.value_by_index(i))
                .collect(),
            HpKind::Choice { values, .. } => values.clone(),
            HpKind::Boolean { .. } => vec![Value::Bool(true), Value::Bool(false)],
            HpKind::Fixed { value } => vec![value.clone()],
        }
    }

    /// `get_config()` without the name (what `search_space_summary` prints), as a
    /// Python dict literal.
    pub fn config_repr(&self) -> String {
        let mut parts: Vec<(String, String)> = Vec::new();
        let conds = format!(
            "[{}]",
            self.conditions
                .iter()
                .map(|c| format!(
                    "{{'class_name': 'Parent', 'config': {{'name': {}, 'values': [{}]}}}}",
                    crate::value::py_str_repr(&c.name),
                    c.values
                        .iter()
                        .map(Value::repr)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let opt_i = |v: Option<i64>| v.map_or("None".to_string(), |x| x.to_string());
        let opt_f = |v: Option<f64>| v.map_or("None".to_string(), py_float_repr);
        match &self.kind {
            HpKind::Int {
                min_value,
                max_value,
                step,
                sampling,
                default,
            } => {
                parts.push(("default".into(), opt_i(*default)));
                parts.push(("conditions".into(), conds));
                parts.push(("min_value".into(), min_value.to_string()));
                parts.push(("max_value".into(), max_value.to_string()));
                parts.push(("step".into(), opt_i(*step)));
                parts.push(("sampling".into(), format!("'{}'", sampling.as_str())));
            }
            HpKind::Float {
                min_value,
                max_value,
                step,
                sampling,
                default,
            } => {
                parts.push((
                    "default".into(),
                    py_float_repr(default.unwrap_or(*min_value)),
                ));
                parts.push(("conditions".into(), conds));
                parts.push(("min_value".into(), py_float_repr(*min_value)));
                parts.push(("max_value".into(), py_float_repr(*max_value)));
                parts.push(("step".into(), opt_f(*step)));
                parts.push(("sampling".into(), format!("'{}'", sampling.as_str())));
            }
            HpKind::Choice {
                values, ordered, ..
            } => {
                parts.push(("default".into(), self.default_value().repr()));
                parts.push(("conditions".into(), conds));
                parts.push((
                    "values".into(),
                    format!(
                        "[{}]",
                        values
                            .iter()
                            .map(Value::repr)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
                parts.push((
                    "ordered".into(),
                    if *ordered { "True" } else { "False" }.into(),
                ));
            }
            HpKind::Boolean { default } => {
                parts.push((
                    "default".into(),
                    if *default { "True" } else { "False" }.into(),
                ));
                parts.push(("conditions".into(), conds));
            }
            HpKind::Fixed { value } => {
                parts.push(("conditions".into(), conds));
                parts.push(("value".into(), value.repr()));
            }
        }
        format!(
            "{{{}}}",
            parts
                .iter()
                .map(|(k, v)| format!("'{k}': {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }

    /// `{"class_name": ..., "config": get_config()}` as keras-tuner writes it.
    pub(crate) fn to_json(&self) -> Json {
        let conds = Json::Arr(self.conditions.iter().map(Condition::to_json).collect());
        let mut cfg = Json::obj().with("name", self.name.as_str());
        cfg = match &self.kind {
            HpKind::Int {
                min_value,
                max_value,
                step,
                sampling,
                default,
            } => cfg
                .with("default", *default)
                .with("conditions", conds)
                .with("min_value", *min_value)
                .with("max_value", *max_value)
                .with("step", *step)
                .with("sampling", sampling.as_str()),
            HpKind::Float {
                min_value,
                max_value,
                step,
                sampling,
                default,
            } => cfg
                .with("default", default.unwrap_or(*min_value))
                .with("conditions", conds)
                .with("min_value", *min_value)
                .with("max_value", *max_value)
                .with("step", *step)
                .with("sampling", sampling.as_str()),
            HpKind::Choice {
                values, ordered, ..
            } => cfg
                .with("default", self.default_value().to_json())
                .with("conditions", conds)
                .with(
                    "values",
                    Json::Arr(values.iter().map(Value::to_json).collect()),
                )
                .with("ordered", *ordered),
            HpKind::Boolean { default } => cfg.with("default", *default).with("conditions", conds),
            HpKind::Fixed { value } => cfg.with("conditions", conds).with("value", value.to_json()),
        };
        Json::obj()
            .with("class_name", self.class_name())
            .with("config", cfg)
    }

    pub(crate) fn from_json(j: &Json) -> Option<HyperParameter> {
        let class = j.get("class_name")?.as_str()?;
        let cfg = j.get("config")?;
        let name = cfg.get("name")?.as_str()?.to_string();
        let conditions = match cfg.get("conditions") {
            Some(c) => c
                .as_arr()?
                .iter()
                .map(Condition::from_json)
                .collect::<Option<Vec<_>>>()?,
            None => Vec::new(),
        };
        let sampling = |cfg: &Json| -> Option<Sampling> {
            Some(
                match cfg
                    .get("sampling")
                    .and_then(Json::as_str)
                    .unwrap_or("linear")
                {
                    "linear" => Sampling::Linear,
                    "log" => Sampling::Log,
                    "reverse_log" => Sampling::ReverseLog,
                    _ => return None,
                },
            )
        };
        let kind = match class {
            "Int" => HpKind::Int {
                min_value: cfg.get("min_value")?.as_i64()?,
                max_value: cfg.get("max_value")?.as_i64()?,
                step: cfg.get("step").and_then(Json::as_i64),
                sampling: sampling(cfg)?,
                default: cfg.get("default").and_then(Json::as_i64),
            },
            "Float" => HpKind::Float {
                min_value: cfg.get("min_value")?.as_f64()?,
                max_value: cfg.get("max_value")?.as_f64()?,
                step: cfg.get("step").and_then(Json::as_f64),
                sampling: sampling(cfg)?,
                default: cfg.get("default").and_then(Json::as_f64),
            },
            "Choice" => {
                let values = cfg
                    .get("values")?
                    .as_arr()?
                    .iter()
                    .map(Value::from_json)
                    .collect::<Option<Vec<_>>>()?;
                let default = cfg.get("default").and_then(Value::from_json);
                HpKind::Choice {
                    ordered: matches!(cfg.get("ordered"), Some(Json::Bool(true))),
                    values,
                    default,
                }
            }
            "Boolean" => HpKind::Boolean {
                default: matches!(cfg.get("default"), Some(Json::Bool(true))),
            },
            "Fixed" => HpKind::Fixed {
                value: Value::from_json(cfg.get("value")?)?,
            },
            _ => return None,
        };
        Some(HyperParameter {
            name,
            conditions,
            kind,
        })
    }
}

fn parse_sampling(class: &str, name: &str, sampling: &str) -> Result<Sampling> {
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
fn check_numerical(
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
    name_scopes: Vec<String>,
    conditions: Vec<Condition>,
    space: Vec<HyperParameter>,
    values: Values,
    pub(crate) active_scopes: Vec<Vec<Condition>>,
    pub(crate) inactive_scopes: Vec<Vec<Condition>>,
    error: Option<(u8, String)>,
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

    fn fail<T>(&mut self, e: TunerError) -> Result<T> {
        if self.error.is_none() {
            self.error = Some(match &e {
                TunerError::Type(m) => (1, m.clone()),
                TunerError::Key(m) => (2, m.clone()),
                other => (0, other.to_string()),
            });
        }
        Err(e)
    }

    fn scoped_name(&self, name: &str) -> String {
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

    fn enter_condition(&mut self, cond: Condition) -> Result<()> {
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

    fn conditions_active(&self, conditions: &[Condition]) -> bool {
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

    fn exists(&self, name: &str, conditions: &[Condition]) -> bool {
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

    fn retrieve(&mut self, hp: HyperParameter) -> Result<Value> {
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

    fn with_parent<T>(
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
