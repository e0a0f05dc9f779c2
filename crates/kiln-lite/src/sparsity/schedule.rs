//! Pruning schedules (TFMOT's `PruningSchedule`, `PolynomialDecay`, `ConstantSparsity`):
//! whether a training step prunes, and the sparsity it prunes to.

use serde_json::{json, Value};

use kiln::{Error, Result};

/// When to prune and to what sparsity (`tfmot.sparsity.keras.PruningSchedule`).
///
/// [`PruningSchedule::at`] returns `(should_prune, sparsity)` for a training step, as
/// calling a TFMOT schedule on the step does; pruning happens inside
/// `[begin_step, end_step]` (forever when `end_step` is -1) every `frequency` steps.
pub trait PruningSchedule: Send + Sync + std::fmt::Debug {
    /// `(should_prune, sparsity)` at `step`; the sparsity is a float32 value as TFMOT
    /// computes it.
    fn at(&self, step: i64) -> (bool, f32);
    /// `{"class_name": ..., "config": {...}}` as TFMOT's `get_config`.
    fn get_config(&self) -> Value;
    /// A boxed copy.
    fn box_clone(&self) -> Box<dyn PruningSchedule>;
}

impl Clone for Box<dyn PruningSchedule> {
    fn clone(&self) -> Self {
        self.box_clone()
    }
}

/// TFMOT's `_should_prune_in_step`.
fn should_prune_in_step(step: i64, begin: i64, end: i64, frequency: i64) -> bool {
    let in_range = step >= begin && (step <= end || end < 0);
    in_range && (step - begin).rem_euclid(frequency) == 0
}

fn bad(api: &'static str, msg: &str) -> Error {
    Error::InvalidArgument {
        api,
        msg: msg.to_string(),
    }
}

/// TFMOT's `_validate_step`, with its messages.
fn validate_step(
    api: &'static str,
    begin: i64,
    end: i64,
    frequency: i64,
    allow_negative_1: bool,
) -> Result<()> {
    if begin < 0 {
        return Err(bad(api, "begin_step should be >= 0"));
    }
    if !allow_negative_1 && end == -1 {
        return Err(bad(api, "end_step cannot be -1."));
    }
    if end != -1 {
        if end < 0 {
            return Err(bad(api, "end_step can be -1 or >= 0"));
        }
        if end < begin {
            return Err(bad(
                api,
                "begin_step should be <= end_step if end_step != -1",
            ));
        }
    }
    if frequency <= 0 {
        return Err(bad(api, "frequency should be > 0"));
    }
    Ok(())
}

/// TFMOT's `_validate_sparsity`.
fn validate_sparsity(api: &'static str, sparsity: f64, name: &str) -> Result<()> {
    if !(0.0..1.0).contains(&sparsity) {
        return Err(bad(api, &format!("{name} must be in range [0,1)")));
    }
    Ok(())
}

/// Sparsity rising from `initial_sparsity` to `final_sparsity` between `begin_step`
/// and `end_step` along `final + (initial - final) * (1 - p)^power`
/// (`tfmot.sparsity.keras.PolynomialDecay`; TFMOT's defaults: power 3, frequency 100).
///
/// ```
/// use kiln_lite::sparsity::{PolynomialDecay, PruningSchedule};
/// let s = PolynomialDecay::new(0.0, 0.5, 0, 2000)?;
/// assert_eq!(s.at(0), (true, 0.0));
/// assert_eq!(s.at(2000), (true, 0.5));
/// assert!(!s.at(150).0); // every 100 steps
/// // end_step before begin_step is refused, as TFMOT does.
/// assert!(PolynomialDecay::new(0.0, 0.5, 10, 5).is_err());
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PolynomialDecay {
    /// Sparsity at `begin_step`.
    pub initial_sparsity: f64,
    /// Sparsity from `end_step` on.
    pub final_sparsity: f64,
    /// First step that prunes.
    pub begin_step: i64,
    /// Last step that prunes.
    pub end_step: i64,
    /// Exponent of the decay.
    pub power: f64,
    /// Prune every `frequency` steps.
    pub frequency: i64,
}

impl PolynomialDecay {
    /// A schedule with TFMOT's defaults (power 3, frequency 100); bad arguments are
    /// TFMOT's `ValueError`s.
    pub fn new(
        initial_sparsity: f64,
        final_sparsity: f64,
        begin_step: i64,
        end_step: i64,
    ) -> Result<PolynomialDecay> {
        PolynomialDecay::with_options(
            initial_sparsity,
            final_sparsity,
            begin_step,
            end_step,
            3.0,
            100,
        )
    }

    /// A schedule with every argument.
    pub fn with_options(
        initial_sparsity: f64,
        final_sparsity: f64,
        begin_step: i64,
        end_step: i64,
        power: f64,
        frequency: i64,
    ) -> Result<PolynomialDecay> {
        let api = "PolynomialDecay";
        validate_step(api, begin_step, end_step, frequency, false)?;
        validate_sparsity(api, initial_sparsity, "initial_sparsity")?;
        validate_sparsity(api, final_sparsity, "final_sparsity")?;
        Ok(PolynomialDecay {
            initial_sparsity,
            final_sparsity,
            begin_step,
            end_step,
            power,
            frequency,
        })
    }
}

impl PruningSchedule for PolynomialDecay {
    fn at(&self, step: i64) -> (bool, f32) {
        // As TFMOT's graph: p in float32, (initial - final) as a Python float, then all
        // float32 arithmetic.
        let span = (self.end_step - self.begin_step) as f32;
        let p = ((step - self.begin_step) as f32 / span).clamp(0.0, 1.0);
        let p = if p.is_nan() { 1.0 } else { p };
        let diff = (self.initial_sparsity - self.final_sparsity) as f32;
        let s = diff * (1.0f32 - p).powf(self.power as f32) + self.final_sparsity as f32;
        (
            should_prune_in_step(step, self.begin_step, self.end_step, self.frequency),
            s,
        )
    }

    fn get_config(&self) -> Value {
        json!({
            "class_name": "PolynomialDecay",
            "config": {
                "initial_sparsity": self.initial_sparsity,
                "final_sparsity": self.final_sparsity,
                // An integral power is written as TFMOT writes its default, `3`.
                "power": if self.power.fract() == 0.0 && self.power.abs() < 1e15 {
                    json!(self.power as i64)
                } else {
                    json!(self.power)
                },
                "begin_step": self.begin_step,
                "end_step": self.end_step,
                "frequency": self.frequency,
            }
        })
    }

    fn box_clone(&self) -> Box<dyn PruningSchedule> {
        Box::new(self.clone())
    }
}

/// A constant `target_sparsity` from `begin_step` to `end_step` (-1: forever)
/// (`tfmot.sparsity.keras.ConstantSparsity`; TFMOT's defaults: end -1, frequency 100).
///
/// ```
/// use kiln_lite::sparsity::{ConstantSparsity, PruningSchedule};
/// let s = ConstantSparsity::new(0.5, 0)?;
/// assert_eq!(s.at(100), (true, 0.5));
/// assert!(!s.at(101).0);
/// assert!(ConstantSparsity::new(1.0, 0).is_err()); // sparsity must be in [0, 1)
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ConstantSparsity {
    /// The sparsity every pruning step reaches.
    pub target_sparsity: f64,
    /// First step that prunes.
    pub begin_step: i64,
    /// Last step that prunes (-1: no end).
    pub end_step: i64,
    /// Prune every `frequency` steps.
    pub frequency: i64,
}

impl ConstantSparsity {
    /// A schedule with TFMOT's defaults (end_step -1, frequency 100).
    pub fn new(target_sparsity: f64, begin_step: i64) -> Result<ConstantSparsity> {
        ConstantSparsity::with_options(target_sparsity, begin_step, -1, 100)
    }

    /// A schedule with every argument.
    pub fn with_options(
        target_sparsity: f64,
        begin_step: i64,
        end_step: i64,
        frequency: i64,
    ) -> Result<ConstantSparsity> {
        let api = "ConstantSparsity";
        validate_step(api, begin_step, end_step, frequency, true)?;
        validate_sparsity(api, target_sparsity, "target_sparsity")?;
        Ok(ConstantSparsity {
            target_sparsity,
            begin_step,
            end_step,
            frequency,
        })
    }
}

impl PruningSchedule for ConstantSparsity {
    fn at(&self, step: i64) -> (bool, f32) {
        (
            should_prune_in_step(step, self.begin_step, self.end_step, self.frequency),
            self.target_sparsity as f32,
        )
    }

    fn get_config(&self) -> Value {
        json!({
            "class_name": "ConstantSparsity",
            "config": {
                "target_sparsity": self.target_sparsity,
                "begin_step": self.begin_step,
                "end_step": self.end_step,
                "frequency": self.frequency,
            }
        })
    }

    fn box_clone(&self) -> Box<dyn PruningSchedule> {
        Box::new(self.clone())
    }
}

/// A schedule from its `{"class_name", "config"}` (TFMOT's `deserialize_keras_object`
/// with the two built-in schedules); an unknown class or a missing key is an `Err`.
///
/// ```
/// use kiln_lite::sparsity::{schedule_from_config, ConstantSparsity, PruningSchedule};
/// let s = ConstantSparsity::with_options(0.5, 3, 30, 5)?;
/// let back = schedule_from_config(&s.get_config())?;
/// assert_eq!(back.get_config(), s.get_config());
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn schedule_from_config(v: &Value) -> Result<Box<dyn PruningSchedule>> {
    let api = "pruning_schedule.from_config";
    let class = v.get("class_name").and_then(Value::as_str).ok_or_else(|| {
        bad(
            api,
            "a pruning schedule config needs 'class_name' (PolynomialDecay or ConstantSparsity)",
        )
    })?;
    let c = v
        .get("config")
        .ok_or_else(|| bad(api, &format!("{class}: missing 'config'")))?;
    let num = |k: &str| -> Result<f64> {
        c.get(k)
            .and_then(Value::as_f64)
            .ok_or_else(|| bad(api, &format!("{class}: '{k}' must be a number")))
    };
    let int = |k: &str, default: Option<i64>| -> Result<i64> {
        match c.get(k) {
            None | Some(Value::Null) => {
                default.ok_or_else(|| bad(api, &format!("{class}: missing '{k}'")))
            }
            Some(x) => x
                .as_i64()
                .ok_or_else(|| bad(api, &format!("{class}: '{k}' must be an integer, got {x}"))),
        }
    };
    match class {
        "PolynomialDecay" => Ok(Box::new(PolynomialDecay::with_options(
            num("initial_sparsity")?,
            num("final_sparsity")?,
            int("begin_step", None)?,
            int("end_step", None)?,
            c.get("power").and_then(Value::as_f64).unwrap_or(3.0),
            int("frequency", Some(100))?,
        )?)),
        "ConstantSparsity" => Ok(Box::new(ConstantSparsity::with_options(
            num("target_sparsity")?,
            int("begin_step", None)?,
            int("end_step", Some(-1))?,
            int("frequency", Some(100))?,
        )?)),
        other => Err(bad(
            api,
            &format!(
                "unknown pruning schedule '{other}' (expected PolynomialDecay or ConstantSparsity)"
            ),
        )),
    }
}
