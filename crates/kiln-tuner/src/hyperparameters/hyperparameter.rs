//! One hyperparameter ([`HyperParameter`], of a kind [`HpKind`]) and Keras Tuner's
//! conversions between its values and cumulative probabilities.

use super::condition::Condition;
use super::Sampling;
use crate::value::{py_float_floordiv, py_float_repr, Json, Value};

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

pub(super) fn prob_to_index(prob: f64, n_index: usize) -> usize {
    let ele_prob = 1.0 / n_index as f64;
    let index = (prob / ele_prob).floor();
    let index = if index < 0.0 { 0 } else { index as usize };
    if index >= n_index {
        n_index - 1
    } else {
        index
    }
}

pub(super) fn index_to_prob(index: f64, n_index: usize) -> f64 {
    let ele_prob = 1.0 / n_index as f64;
    (index + 0.5) * ele_prob
}

/// `math.log(x, base)`.
pub(super) fn log_base(x: f64, base: f64) -> f64 {
    x.ln() / base.ln()
}

/// `Numerical._sample_numerical_value`.
pub(super) fn sample_numerical(sampling: Sampling, min: f64, max: f64, prob: f64) -> f64 {
    match sampling {
        Sampling::Linear => prob * (max - min) + min,
        Sampling::Log => min * (max / min).powf(prob),
        Sampling::ReverseLog => max + min - min * (max / min).powf(1.0 - prob),
    }
}

/// `Numerical._numerical_to_prob`.
pub(super) fn numerical_to_prob(sampling: Sampling, min: f64, max: f64, value: f64) -> f64 {
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
    pub(super) fn n_values(&self) -> usize {
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
    pub(super) fn value_by_index(&self, index: usize) -> Value {
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
