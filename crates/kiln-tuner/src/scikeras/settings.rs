//! The wrappers' own parameters (`epochs`, `batch_size`, `verbose`, ...), read and
//! checked from the estimator's params.

use kiln_learn::estimator::{Param, Params};
use kiln_learn::{LearnError, Result};

use super::{py_str, value_err};

/// The typed fit/predict settings read from the parameters.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    pub(super) fit_batch_size: Option<i64>,
    pub(super) predict_batch_size: Option<i64>,
    pub(super) epochs: usize,
    pub(super) fit_verbose: u8,
    pub(super) predict_verbose: u8,
    pub(super) shuffle: bool,
    pub(super) validation_split: f64,
    pub(super) validation_batch_size: Option<i64>,
    pub(super) random_state: Option<u64>,
    pub(super) warm_start: bool,
    pub(super) balanced: bool,
}

pub(super) fn bad(param: &str, constraint: &str, got: &Param) -> LearnError {
    value_err(format!(
        "The '{param}' parameter of the wrapper must be {constraint}. Got {} instead.",
        got.py_repr()
    ))
}

pub(super) fn opt_int(p: Option<&Param>, name: &str) -> Result<Option<i64>> {
    match p {
        None | Some(Param::None) => Ok(None),
        Some(Param::Int(i)) if *i == -1 || *i >= 1 => Ok(Some(*i)),
        Some(p) => Err(bad(name, "a positive int, -1 or None", p)),
    }
}

pub(super) fn get_int(p: Option<&Param>, name: &str, default: i64, min: i64) -> Result<i64> {
    match p {
        None => Ok(default),
        Some(Param::Int(i)) if *i >= min => Ok(*i),
        Some(p) => Err(bad(name, &format!("an int >= {min}"), p)),
    }
}

pub(super) fn get_bool(p: Option<&Param>, name: &str, default: bool) -> Result<bool> {
    match p {
        None => Ok(default),
        Some(Param::Bool(b)) => Ok(*b),
        Some(p) => Err(bad(name, "a bool", p)),
    }
}

pub(super) fn verbose(p: Option<&Param>, name: &str, default: u8) -> Result<u8> {
    Ok(get_int(p, name, i64::from(default), 0)?.min(2) as u8)
}

impl Settings {
    pub(super) fn read(p: &Params, classifier: bool) -> Result<Settings> {
        let batch = opt_int(p.get("batch_size"), "batch_size")?;
        let fit_batch = match p.get("fit__batch_size") {
            Some(v) => opt_int(Some(v), "fit__batch_size")?,
            None => batch,
        };
        let predict_batch = match p.get("predict__batch_size") {
            Some(v) => opt_int(Some(v), "predict__batch_size")?,
            None => batch,
        };
        let epochs = get_int(p.get("epochs"), "epochs", 1, 0)?;
        let epochs = get_int(p.get("fit__epochs"), "fit__epochs", epochs, 0)? as usize;
        let v = verbose(p.get("verbose"), "verbose", 1)?;
        let fit_verbose = verbose(p.get("fit__verbose"), "fit__verbose", v)?;
        let predict_verbose = verbose(p.get("predict__verbose"), "predict__verbose", v)?;
        let shuffle = get_bool(p.get("shuffle"), "shuffle", true)?;
        let shuffle = get_bool(p.get("fit__shuffle"), "fit__shuffle", shuffle)?;
        let split = |key: &str, d: f64| -> Result<f64> {
            match p.get(key) {
                None => Ok(d),
                Some(v) => match v.as_f64() {
                    Some(f) if (0.0..1.0).contains(&f) => Ok(f),
                    _ => Err(bad(key, "a float in the range [0.0, 1.0)", v)),
                },
            }
        };
        let validation_split = split("validation_split", 0.0)?;
        let validation_split = split("fit__validation_split", validation_split)?;
        let validation_batch_size =
            opt_int(p.get("validation_batch_size"), "validation_batch_size")?;
        let random_state = match p.get("random_state") {
            None | Some(Param::None) => None,
            Some(Param::Int(i)) if *i >= 0 => Some(*i as u64),
            Some(v) => return Err(bad("random_state", "a non-negative int or None", v)),
        };
        let warm_start = get_bool(p.get("warm_start"), "warm_start", false)?;
        let balanced = match p.get("class_weight") {
            None | Some(Param::None) => false,
            Some(Param::Str(s)) if s == "balanced" && classifier => true,
            Some(v) => return Err(bad("class_weight", "'balanced' or None", v)),
        };
        for (key, what) in [("run_eagerly", "a bool")] {
            if let Some(v) = p.get(key)
                && !matches!(v, Param::Bool(_))
            {
                return Err(bad(key, what, v));
            }
        }
        for (k, v) in p {
            let bad_routed = if let Some(rest) = k.strip_prefix("fit__") {
                !matches!(
                    rest,
                    "batch_size" | "epochs" | "verbose" | "shuffle" | "validation_split"
                )
            } else if let Some(rest) = k.strip_prefix("predict__") {
                !matches!(rest, "batch_size" | "verbose")
            } else {
                k.starts_with("compile__") || k.starts_with("loss__") || k.starts_with("metrics__")
            };
            if bad_routed {
                return Err(value_err(format!(
                    "routed parameter {k}={} is not supported by kiln's wrapper (fit__ takes batch_size, epochs, verbose, shuffle, validation_split; predict__ takes batch_size, verbose)",
                    py_str(v)
                )));
            }
            if let Some(rest) = k.strip_prefix("optimizer__")
                && (rest != "learning_rate" || v.as_f64().is_none())
            {
                return Err(value_err(format!(
                    "routed parameter {k}={} is not supported by kiln's wrapper (optimizer__ takes learning_rate)",
                    py_str(v)
                )));
            }
        }
        Ok(Settings {
            fit_batch_size: fit_batch,
            predict_batch_size: predict_batch,
            epochs,
            fit_verbose,
            predict_verbose,
            shuffle,
            validation_split,
            validation_batch_size,
            random_state,
            warm_start,
            balanced,
        })
    }
}

pub(super) fn resolve_batch(b: Option<i64>, n: usize) -> usize {
    match b {
        None => 32,
        Some(-1) => n.max(1),
        Some(b) => b as usize,
    }
}
