//! Reading and writing loss configs (`Loss.get_config()` / `from_config`): the shared
//! `name`, `reduction` and `dtype` entries, and typed reads of a class's own arguments
//! whose errors name the argument and what was expected.

use serde_json::{json, Map, Value};

use crate::losses::Reduction;
use crate::{Error, Result};

/// The entries every Keras loss config has.
pub(crate) fn base(name: &str, reduction: Reduction) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    m.insert("reduction".into(), json!(reduction.as_str()));
    m.insert("dtype".into(), Value::Null);
    m
}

/// A Keras `reduction` string (`None`/null is `"none"`; `"auto"` is
/// `"sum_over_batch_size"`).
pub(crate) fn parse_reduction(v: Option<&Value>) -> std::result::Result<Reduction, String> {
    Ok(match v {
        None => Reduction::SumOverBatchSize,
        Some(Value::Null) => Reduction::None,
        Some(Value::String(s)) => match s.as_str() {
            "sum_over_batch_size" | "auto" => Reduction::SumOverBatchSize,
            "sum" => Reduction::Sum,
            "none" => Reduction::None,
            "mean" => Reduction::Mean,
            "mean_with_sample_weight" => Reduction::MeanWithSampleWeight,
            other => {
                return Err(format!(
                    "Invalid value for argument `reduction`. Expected one of \
                     ('sum', 'sum_over_batch_size', 'mean', 'mean_with_sample_weight', \
                     'none', None). Received: reduction={other}"
                ))
            }
        },
        Some(other) => return Err(format!("reduction {other} is not a string or None")),
    })
}

/// Typed reads from one class's config.
pub(crate) struct LossConfig<'a> {
    class: &'static str,
    c: &'a Value,
}

impl<'a> LossConfig<'a> {
    pub(crate) fn new(class: &'static str, c: &'a Value) -> Self {
        LossConfig { class, c }
    }

    fn bad(&self, msg: String) -> Error {
        Error::InvalidArgument {
            api: self.class,
            msg,
        }
    }

    fn get(&self, k: &str) -> Option<&'a Value> {
        self.c.get(k).filter(|v| !v.is_null())
    }

    pub(crate) fn name(&self, default: &str) -> Result<String> {
        match self.get("name") {
            None => Ok(default.to_string()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(v) => Err(self.bad(format!("'name' = {v} is not a string"))),
        }
    }

    pub(crate) fn reduction(&self) -> Result<Reduction> {
        parse_reduction(self.c.get("reduction")).map_err(|m| self.bad(m))
    }

    pub(crate) fn num(&self, k: &str, default: f64) -> Result<f64> {
        match self.get(k) {
            None => Ok(default),
            Some(v) => v
                .as_f64()
                .ok_or_else(|| self.bad(format!("'{k}' = {v} is not a number"))),
        }
    }

    pub(crate) fn bool(&self, k: &str, default: bool) -> Result<bool> {
        match self.get(k) {
            None => Ok(default),
            Some(v) => v
                .as_bool()
                .ok_or_else(|| self.bad(format!("'{k}' = {v} is not a bool"))),
        }
    }

    pub(crate) fn int(&self, k: &str, default: i64) -> Result<i64> {
        match self.get(k) {
            None => Ok(default),
            Some(v) => v
                .as_i64()
                .ok_or_else(|| self.bad(format!("'{k}' = {v} is not an integer"))),
        }
    }

    /// An `axis` that may be null (all axes), an integer or a list of integers.
    pub(crate) fn axis(&self, k: &str) -> Result<LossAxis> {
        let Some(v) = self.get(k) else {
            return Ok(LossAxis::All);
        };
        if let Some(i) = v.as_i64() {
            return Ok(LossAxis::One(i as isize));
        }
        v.as_array()
            .and_then(|a| a.iter().map(|x| x.as_i64().map(|i| i as isize)).collect())
            .map(LossAxis::Many)
            .ok_or_else(|| self.bad(format!("'{k}' = {v} is not None, an int or a list of ints")))
    }
}

/// The `axis` argument of the losses that reduce over chosen axes (`Dice`, `Tversky`):
/// Keras's `None`, an int, or a tuple of ints.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LossAxis {
    /// `axis=None`: every axis (the loss is one number for the batch).
    #[default]
    All,
    /// One axis.
    One(isize),
    /// Several axes.
    Many(Vec<isize>),
}

impl LossAxis {
    /// The axes to reduce (empty: all).
    pub(crate) fn axes(&self) -> Vec<isize> {
        match self {
            LossAxis::All => Vec::new(),
            LossAxis::One(a) => vec![*a],
            LossAxis::Many(v) => v.clone(),
        }
    }

    /// As Keras writes it in a config.
    pub(crate) fn to_json(&self) -> Value {
        match self {
            LossAxis::All => Value::Null,
            LossAxis::One(a) => json!(a),
            LossAxis::Many(v) => json!(v),
        }
    }
}
