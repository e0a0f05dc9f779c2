//! Learning-rate schedules, as `keras.optimizers.schedules`: functions of the optimizer's
//! step count, with Keras's formulas.

use std::f64::consts::PI;
use std::sync::Arc;

use serde_json::{json, Value};

use crate::{Error, Result};

/// A learning rate as a function of the step (`optimizer.iterations`).
pub trait LearningRateSchedule: Send + Sync {
    /// The learning rate at `step`.
    fn lr(&self, step: u64) -> f64;
    /// Keras-compatible config.
    fn get_config(&self) -> Value;
}

/// A constant learning rate or a schedule (what optimizers accept).
///
/// ```
/// use kiln::optimizers::schedules::{ExponentialDecay, LearningRate};
/// assert_eq!(LearningRate::from(0.1).at(5), 0.1);
/// let s = LearningRate::from(ExponentialDecay::new(0.1, 10, 0.5));
/// assert!((s.at(10) - 0.05).abs() < 1e-12);
/// ```
#[derive(Clone)]
pub enum LearningRate {
    /// A fixed value.
    Constant(f64),
    /// A schedule evaluated at the step count.
    Schedule(Arc<dyn LearningRateSchedule>),
}

impl LearningRate {
    /// The learning rate at `step`.
    pub fn at(&self, step: u64) -> f64 {
        match self {
            LearningRate::Constant(v) => *v,
            LearningRate::Schedule(s) => s.lr(step),
        }
    }

    /// Config value: a number, or the schedule's serialised form.
    pub fn get_config(&self) -> Value {
        match self {
            LearningRate::Constant(v) => json!(v),
            LearningRate::Schedule(s) => s.get_config(),
        }
    }
}

impl From<f64> for LearningRate {
    fn from(v: f64) -> Self {
        LearningRate::Constant(v)
    }
}

impl<S: LearningRateSchedule + 'static> From<S> for LearningRate {
    fn from(s: S) -> Self {
        LearningRate::Schedule(Arc::new(s))
    }
}

fn wrap(class: &str, config: Value) -> Value {
    json!({ "module": "keras.optimizers.schedules", "class_name": class, "config": config,
            "registered_name": null })
}

/// `initial * decay_rate ^ (step / decay_steps)` (floored with `staircase`).
///
/// ```
/// use kiln::optimizers::schedules::{ExponentialDecay, LearningRateSchedule};
/// let s = ExponentialDecay::new(1.0, 2, 0.5).staircase(true);
/// assert_eq!(s.lr(3), 0.5);
/// ```
#[derive(Debug, Clone)]
pub struct ExponentialDecay {
    initial_learning_rate: f64,
    decay_steps: u64,
    decay_rate: f64,
    staircase: bool,
}

impl ExponentialDecay {
    /// Keras's `ExponentialDecay(initial_learning_rate, decay_steps, decay_rate)`.
    pub fn new(initial_learning_rate: f64, decay_steps: u64, decay_rate: f64) -> Self {
        ExponentialDecay {
            initial_learning_rate,
            decay_steps: decay_steps.max(1),
            decay_rate,
            staircase: false,
        }
    }
    /// Decay in discrete steps.
    pub fn staircase(mut self, s: bool) -> Self {
        self.staircase = s;
        self
    }
}

impl LearningRateSchedule for ExponentialDecay {
    fn lr(&self, step: u64) -> f64 {
        let mut p = step as f64 / self.decay_steps as f64;
        if self.staircase {
            p = p.floor();
        }
        self.initial_learning_rate * self.decay_rate.powf(p)
    }
    fn get_config(&self) -> Value {
        wrap(
            "ExponentialDecay",
            json!({ "initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                    "decay_rate": self.decay_rate, "staircase": self.staircase, "name": "ExponentialDecay" }),
        )
    }
}

/// Constant pieces: `values[i]` while `step <= boundaries[i]`, the last value after.
///
/// ```
/// use kiln::optimizers::schedules::{LearningRateSchedule, PiecewiseConstantDecay};
/// let s = PiecewiseConstantDecay::new(&[10, 20], &[1.0, 0.5, 0.1]).unwrap();
/// assert_eq!((s.lr(10), s.lr(11), s.lr(21)), (1.0, 0.5, 0.1));
/// assert!(PiecewiseConstantDecay::new(&[10], &[1.0]).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct PiecewiseConstantDecay {
    boundaries: Vec<u64>,
    values: Vec<f64>,
}

impl PiecewiseConstantDecay {
    /// `values` must have one more entry than `boundaries`.
    pub fn new(boundaries: &[u64], values: &[f64]) -> Result<Self> {
        if values.len() != boundaries.len() + 1 {
            return Err(Error::InvalidArgument {
                api: "PiecewiseConstantDecay",
                msg: format!(
                    "the length of boundaries ({}) should be 1 less than the length of values ({})",
                    boundaries.len(),
                    values.len()
                ),
            });
        }
        Ok(PiecewiseConstantDecay {
            boundaries: boundaries.to_vec(),
            values: values.to_vec(),
        })
    }
}

impl LearningRateSchedule for PiecewiseConstantDecay {
    fn lr(&self, step: u64) -> f64 {
        for (i, &b) in self.boundaries.iter().enumerate() {
            if step <= b {
                return self.values[i];
            }
        }
        self.values[self.values.len() - 1]
    }
    fn get_config(&self) -> Value {
        wrap(
            "PiecewiseConstantDecay",
            json!({ "boundaries": self.boundaries, "values": self.values, "name": "PiecewiseConstant" }),
        )
    }
}

/// `(initial - end) * (1 - step / decay_steps) ^ power + end`, optionally cycling.
///
/// ```
/// use kiln::optimizers::schedules::{LearningRateSchedule, PolynomialDecay};
/// let s = PolynomialDecay::new(1.0, 10).end_learning_rate(0.0);
/// assert_eq!(s.lr(5), 0.5);
/// assert_eq!(s.lr(20), 0.0);
/// ```
#[derive(Debug, Clone)]
pub struct PolynomialDecay {
    initial_learning_rate: f64,
    decay_steps: u64,
    end_learning_rate: f64,
    power: f64,
    cycle: bool,
}

impl PolynomialDecay {
    /// Keras's defaults: `end_learning_rate=0.0001`, `power=1`, no cycle.
    pub fn new(initial_learning_rate: f64, decay_steps: u64) -> Self {
        PolynomialDecay {
            initial_learning_rate,
            decay_steps: decay_steps.max(1),
            end_learning_rate: 0.0001,
            power: 1.0,
            cycle: false,
        }
    }
    /// The final learning rate.
    pub fn end_learning_rate(mut self, v: f64) -> Self {
        self.end_learning_rate = v;
        self
    }
    /// The polynomial's power.
    pub fn power(mut self, v: f64) -> Self {
        self.power = v;
        self
    }
    /// Restart after `decay_steps` with a longer period.
    pub fn cycle(mut self, v: bool) -> Self {
        self.cycle = v;
        self
    }
}

impl LearningRateSchedule for PolynomialDecay {
    fn lr(&self, step: u64) -> f64 {
        let mut decay_steps = self.decay_steps as f64;
        let mut step = step as f64;
        if self.cycle {
            let mult = if step == 0.0 {
                1.0
            } else {
                (step / decay_steps).ceil()
            };
            decay_steps *= mult;
        } else {
            step = step.min(decay_steps);
        }
        let p = step / decay_steps;
        (self.initial_learning_rate - self.end_learning_rate) * (1.0 - p).powf(self.power)
            + self.end_learning_rate
    }
    fn get_config(&self) -> Value {
        wrap(
            "PolynomialDecay",
            json!({ "initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                    "end_learning_rate": self.end_learning_rate, "power": self.power, "cycle": self.cycle,
                    "name": "PolynomialDecay" }),
        )
    }
}

/// `initial / (1 + decay_rate * step / decay_steps)` (floored with `staircase`).
///
/// ```
/// use kiln::optimizers::schedules::{InverseTimeDecay, LearningRateSchedule};
/// assert_eq!(InverseTimeDecay::new(1.0, 1, 1.0).lr(1), 0.5);
/// ```
#[derive(Debug, Clone)]
pub struct InverseTimeDecay {
    initial_learning_rate: f64,
    decay_steps: u64,
    decay_rate: f64,
    staircase: bool,
}

impl InverseTimeDecay {
    /// Keras's `InverseTimeDecay(initial_learning_rate, decay_steps, decay_rate)`.
    pub fn new(initial_learning_rate: f64, decay_steps: u64, decay_rate: f64) -> Self {
        InverseTimeDecay {
            initial_learning_rate,
            decay_steps: decay_steps.max(1),
            decay_rate,
            staircase: false,
        }
    }
    /// Decay in discrete steps.
    pub fn staircase(mut self, s: bool) -> Self {
        self.staircase = s;
        self
    }
}

impl LearningRateSchedule for InverseTimeDecay {
    fn lr(&self, step: u64) -> f64 {
        let mut p = step as f64 / self.decay_steps as f64;
        if self.staircase {
            p = p.floor();
        }
        self.initial_learning_rate / (1.0 + self.decay_rate * p)
    }
    fn get_config(&self) -> Value {
        wrap(
            "InverseTimeDecay",
            json!({ "initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                    "decay_rate": self.decay_rate, "staircase": self.staircase, "name": "InverseTimeDecay" }),
        )
    }
}

/// Cosine decay from the initial rate (or from `warmup_target` after a linear warmup) to
/// `alpha` times it over `decay_steps`.
///
/// ```
/// use kiln::optimizers::schedules::{CosineDecay, LearningRateSchedule};
/// let s = CosineDecay::new(1.0, 10);
/// assert!((s.lr(5) - 0.5).abs() < 1e-12);
/// let w = CosineDecay::new(0.0, 10).warmup(1.0, 5);
/// assert!((w.lr(5) - 1.0).abs() < 1e-12 && (w.lr(2) - 0.4).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct CosineDecay {
    initial_learning_rate: f64,
    decay_steps: u64,
    alpha: f64,
    warmup_target: Option<f64>,
    warmup_steps: u64,
}

impl CosineDecay {
    /// Keras's defaults: `alpha=0`, no warmup.
    pub fn new(initial_learning_rate: f64, decay_steps: u64) -> Self {
        CosineDecay {
            initial_learning_rate,
            decay_steps: decay_steps.max(1),
            alpha: 0.0,
            warmup_target: None,
            warmup_steps: 0,
        }
    }
    /// Floor as a fraction of the start rate.
    pub fn alpha(mut self, a: f64) -> Self {
        self.alpha = a;
        self
    }
    /// Linear warmup from the initial rate to `target` over `steps`, then decay.
    pub fn warmup(mut self, target: f64, steps: u64) -> Self {
        self.warmup_target = Some(target);
        self.warmup_steps = steps;
        self
    }

    fn decay(&self, step: f64, from: f64) -> f64 {
        let frac = step / self.decay_steps as f64;
        let cosine = 0.5 * (1.0 + (PI * frac).cos());
        from * ((1.0 - self.alpha) * cosine + self.alpha)
    }
}

impl LearningRateSchedule for CosineDecay {
    fn lr(&self, step: u64) -> f64 {
        match self.warmup_target {
            None => self.decay(
                step.min(self.decay_steps) as f64,
                self.initial_learning_rate,
            ),
            Some(target) => {
                let s = step.min(self.decay_steps + self.warmup_steps);
                if s < self.warmup_steps {
                    let frac = s as f64 / self.warmup_steps as f64;
                    (target - self.initial_learning_rate) * frac + self.initial_learning_rate
                } else {
                    self.decay((s - self.warmup_steps) as f64, target)
                }
            }
        }
    }
    fn get_config(&self) -> Value {
        wrap(
            "CosineDecay",
            json!({ "initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                    "alpha": self.alpha, "warmup_target": self.warmup_target,
                    "warmup_steps": self.warmup_steps, "name": "CosineDecay" }),
        )
    }
}

/// Cosine decay with warm restarts (SGDR): periods grow by `t_mul`, peaks scale by
/// `m_mul`.
///
/// ```
/// use kiln::optimizers::schedules::{CosineDecayRestarts, LearningRateSchedule};
/// let s = CosineDecayRestarts::new(1.0, 10);
/// assert!((s.lr(10) - 1.0).abs() < 1e-12); // first restart
/// ```
#[derive(Debug, Clone)]
pub struct CosineDecayRestarts {
    initial_learning_rate: f64,
    first_decay_steps: u64,
    t_mul: f64,
    m_mul: f64,
    alpha: f64,
}

impl CosineDecayRestarts {
    /// Keras's defaults: `t_mul=2`, `m_mul=1`, `alpha=0`.
    pub fn new(initial_learning_rate: f64, first_decay_steps: u64) -> Self {
        CosineDecayRestarts {
            initial_learning_rate,
            first_decay_steps: first_decay_steps.max(1),
            t_mul: 2.0,
            m_mul: 1.0,
            alpha: 0.0,
        }
    }
    /// Period growth factor.
    pub fn t_mul(mut self, v: f64) -> Self {
        self.t_mul = v;
        self
    }
    /// Peak scale per restart.
    pub fn m_mul(mut self, v: f64) -> Self {
        self.m_mul = v;
        self
    }
    /// Floor as a fraction of the peak.
    pub fn alpha(mut self, v: f64) -> Self {
        self.alpha = v;
        self
    }
}

impl LearningRateSchedule for CosineDecayRestarts {
    fn lr(&self, step: u64) -> f64 {
        let mut frac = step as f64 / self.first_decay_steps as f64;
        let i_restart;
        if self.t_mul != 1.0 {
            i_restart = ((1.0 - frac * (1.0 - self.t_mul)).ln() / self.t_mul.ln()).floor();
            let sum_r = (1.0 - self.t_mul.powf(i_restart)) / (1.0 - self.t_mul);
            frac = (frac - sum_r) / self.t_mul.powf(i_restart);
        } else {
            i_restart = frac.floor();
            frac -= i_restart;
        }
        let m_fac = self.m_mul.powf(i_restart);
        let cosine = 0.5 * m_fac * (1.0 + (PI * frac).cos());
        self.initial_learning_rate * ((1.0 - self.alpha) * cosine + self.alpha)
    }
    fn get_config(&self) -> Value {
        wrap(
            "CosineDecayRestarts",
            json!({ "initial_learning_rate": self.initial_learning_rate,
                    "first_decay_steps": self.first_decay_steps, "t_mul": self.t_mul,
                    "m_mul": self.m_mul, "alpha": self.alpha, "name": "SGDRDecay" }),
        )
    }
}
