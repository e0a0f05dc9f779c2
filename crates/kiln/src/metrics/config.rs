//! Typed reads from a metric's Keras config (`from_config`), with errors naming the
//! argument and what was expected.

use serde_json::Value;

use crate::{Error, Result};

/// One class's config.
pub(crate) struct MetricConfig<'a> {
    class: &'static str,
    c: &'a Value,
}

impl<'a> MetricConfig<'a> {
    pub(crate) fn new(class: &'static str, c: &'a Value) -> Self {
        MetricConfig { class, c }
    }

    pub(crate) fn bad(&self, msg: String) -> Error {
        Error::InvalidArgument {
            api: self.class,
            msg,
        }
    }

    pub(crate) fn get(&self, k: &str) -> Option<&'a Value> {
        self.c.get(k).filter(|v| !v.is_null())
    }

    pub(crate) fn name(&self, default: &str) -> Result<String> {
        match self.get("name") {
            None => Ok(default.to_string()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(v) => Err(self.bad(format!("'name' = {v} is not a string"))),
        }
    }

    pub(crate) fn num(&self, k: &str, default: f64) -> Result<f64> {
        self.get(k).map_or(Ok(default), |v| {
            v.as_f64()
                .ok_or_else(|| self.bad(format!("'{k}' = {v} is not a number")))
        })
    }

    /// A number Keras requires (no default).
    pub(crate) fn required_num(&self, k: &str) -> Result<f64> {
        let v = self
            .get(k)
            .ok_or_else(|| self.bad(format!("missing required argument '{k}'")))?;
        v.as_f64()
            .ok_or_else(|| self.bad(format!("'{k}' = {v} is not a number")))
    }

    pub(crate) fn bool(&self, k: &str, default: bool) -> Result<bool> {
        self.get(k).map_or(Ok(default), |v| {
            v.as_bool()
                .ok_or_else(|| self.bad(format!("'{k}' = {v} is not a bool")))
        })
    }

    pub(crate) fn int(&self, k: &str, default: i64) -> Result<i64> {
        self.get(k).map_or(Ok(default), |v| {
            v.as_i64()
                .ok_or_else(|| self.bad(format!("'{k}' = {v} is not an integer")))
        })
    }

    pub(crate) fn opt_int(&self, k: &str) -> Result<Option<i64>> {
        self.get(k).map_or(Ok(None), |v| {
            v.as_i64()
                .map(Some)
                .ok_or_else(|| self.bad(format!("'{k}' = {v} is not an integer or None")))
        })
    }

    pub(crate) fn ints(&self, k: &str) -> Result<Option<Vec<i64>>> {
        self.get(k).map_or(Ok(None), |v| {
            v.as_array()
                .and_then(|a| a.iter().map(Value::as_i64).collect::<Option<Vec<_>>>())
                .map(Some)
                .ok_or_else(|| self.bad(format!("'{k}' = {v} is not a list of integers")))
        })
    }

    pub(crate) fn str(&self, k: &str) -> Result<Option<String>> {
        self.get(k).map_or(Ok(None), |v| {
            v.as_str()
                .map(|s| Some(s.to_string()))
                .ok_or_else(|| self.bad(format!("'{k}' = {v} is not a string")))
        })
    }
}
