//! What every optimizer shares (Keras's `BaseOptimizer`): the learning rate or schedule,
//! gradient clipping, decoupled weight decay, the step counter, per-variable slots, and
//! the checks on gradients and variables.

use std::collections::HashMap;
use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub, SubAssign};

use kiln_tensor::{DType, Tensor, Variable};
use serde_json::{json, Map, Value};

use crate::optimizers::schedules::LearningRate;
use crate::{Error, Result};

/// The float types optimizer updates run in (f32 in place, f64 for f64 variables).
pub trait Real:
    Copy
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + Send
    + Sync
    + 'static
{
    /// From an f64 constant.
    fn c(x: f64) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// The larger of two values.
    fn max(self, o: Self) -> Self;
    /// -1, 0 or 1 (0 for 0, as `tf.sign`).
    fn sign(self) -> Self;
}

impl Real for f32 {
    fn c(x: f64) -> Self {
        x as f32
    }
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    fn abs(self) -> Self {
        f32::abs(self)
    }
    fn max(self, o: Self) -> Self {
        f32::max(self, o)
    }
    fn sign(self) -> Self {
        if self > 0.0 {
            1.0
        } else if self < 0.0 {
            -1.0
        } else {
            0.0
        }
    }
}

impl Real for f64 {
    fn c(x: f64) -> Self {
        x
    }
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    fn abs(self) -> Self {
        f64::abs(self)
    }
    fn max(self, o: Self) -> Self {
        f64::max(self, o)
    }
    fn sign(self) -> Self {
        if self > 0.0 {
            1.0
        } else if self < 0.0 {
            -1.0
        } else {
            0.0
        }
    }
}

/// Per-step values an update rule may need.
#[derive(Debug, Clone, Copy)]
pub struct StepInfo {
    /// The learning rate of this step.
    pub lr: f64,
    /// `iterations + 1` (Keras's `local_step`).
    pub step: u64,
}

/// One optimizer's update of one variable, written once for f32 and f64.
pub trait UpdateRule {
    /// Number of slot arrays per variable.
    fn num_slots(&self) -> usize;
    /// Initial value of slot `i`.
    fn slot_init(&self, _i: usize) -> f64 {
        0.0
    }
    /// Runs before the variables of a step are updated (Nadam's running product).
    fn begin_step(&mut self, _info: &StepInfo) {}
    /// The slots Keras creates and saves, in its order: one group per
    /// `add_optimizer_variables` call (Keras interleaves a group's slots variable by
    /// variable, then saves the groups one after another), by kiln slot index. kiln may
    /// keep slots Keras does not (they start from [`UpdateRule::slot_init`]).
    fn keras_layout(&self) -> Vec<Vec<usize>> {
        vec![(0..self.num_slots()).collect()]
    }
    /// Slot arrays per variable that Keras creates (for `summary()`'s optimizer line).
    fn keras_slots(&self) -> usize {
        self.keras_layout().iter().map(Vec::len).sum()
    }
    /// Scalar variables beyond `iterations` and `learning_rate` (Nadam's product).
    fn extra_scalars(&self) -> usize {
        0
    }
    /// Updates `w` in place from gradient `g`.
    fn update<T: Real>(&self, g: &[T], w: &mut [T], slots: &mut [Vec<T>], info: &StepInfo);
    /// [`UpdateRule::update`] for f32 variables; a rule with a vectorised, threaded
    /// kernel (`kiln_tensor::cpu::optim`) overrides it. Must give the same bits.
    fn update_f32(&self, g: &[f32], w: &mut [f32], slots: &mut [Vec<f32>], info: &StepInfo) {
        self.update(g, w, slots, info)
    }
}

enum Slots {
    F32(Vec<Vec<f32>>),
    F64(Vec<Vec<f64>>),
}

/// Shared optimizer state and options.
pub struct Core {
    pub(crate) learning_rate: LearningRate,
    pub(crate) clipnorm: Option<f64>,
    pub(crate) clipvalue: Option<f64>,
    pub(crate) global_clipnorm: Option<f64>,
    pub(crate) weight_decay: Option<f64>,
    pub(crate) iterations: u64,
    slots: HashMap<u64, Slots>,
    var_sizes: HashMap<u64, usize>,
}

impl Core {
    pub(crate) fn new(learning_rate: LearningRate) -> Core {
        Core {
            learning_rate,
            clipnorm: None,
            clipvalue: None,
            global_clipnorm: None,
            weight_decay: None,
            iterations: 0,
            slots: HashMap::new(),
            var_sizes: HashMap::new(),
        }
    }

    /// The learning rate the next step uses.
    pub(crate) fn current_lr(&self) -> f64 {
        self.learning_rate.at(self.iterations)
    }

    fn validate(&self, api: &'static str) -> Result<()> {
        let set = [self.clipnorm, self.clipvalue, self.global_clipnorm]
            .iter()
            .filter(|o| o.is_some())
            .count();
        if set > 1 {
            return Err(Error::InvalidArgument {
                api,
                msg: "only one of clipnorm, clipvalue and global_clipnorm can be set".into(),
            });
        }
        Ok(())
    }

    /// `(scalars, bytes)` of Keras's optimizer variables once it has stepped: `iterations`
    /// (int64), `learning_rate` (float32, when not a schedule), the slots (float32).
    pub(crate) fn variables_size<R: UpdateRule>(&self, rule: &R) -> Option<(usize, usize)> {
        if self.iterations == 0 {
            return None;
        }
        let slots: usize = self
            .var_sizes
            .values()
            .map(|n| n * rule.keras_slots())
            .sum();
        let lr = usize::from(matches!(self.learning_rate, LearningRate::Constant(_)));
        let scalars = 1 + lr + slots + rule.extra_scalars();
        Some((scalars, 8 + 4 * (lr + slots + rule.extra_scalars())))
    }

    /// See `Optimizer::export_state`. Rules with state beyond their slots (Nadam's running
    /// product) do not export.
    pub(crate) fn export_state<R: UpdateRule>(
        &self,
        rule: &R,
        vars: &[Variable],
    ) -> Option<Vec<Tensor>> {
        if rule.extra_scalars() > 0 {
            return None;
        }
        let mut out = vec![
            Tensor::scalar(self.iterations as i64),
            Tensor::scalar(self.current_lr() as f32),
        ];
        for group in rule.keras_layout() {
            for v in vars {
                let shape = v.shape();
                let n: usize = shape.iter().product();
                for &k in &group {
                    let t = match self.slots.get(&v.id()) {
                        Some(Slots::F32(s)) => Tensor::from_vec(s[k].clone(), &shape).ok()?,
                        Some(Slots::F64(s)) => Tensor::from_vec(s[k].clone(), &shape).ok()?,
                        None => Tensor::from_vec(vec![rule.slot_init(k) as f32; n], &shape).ok()?,
                    };
                    out.push(t);
                }
            }
        }
        Some(out)
    }

    /// See `Optimizer::import_state`.
    pub(crate) fn import_state<R: UpdateRule>(
        &mut self,
        rule: &R,
        vars: &[Variable],
        values: &[Tensor],
    ) -> Result<()> {
        let api = "Optimizer.import_state";
        let layout = rule.keras_layout();
        let k: usize = layout.iter().map(Vec::len).sum();
        if rule.extra_scalars() > 0 || values.len() != 2 + k * vars.len() {
            return Err(Error::InvalidArgument {
                api,
                msg: format!(
                    "expected {} optimizer variables (iterations, learning_rate, {k} per model variable), got {}",
                    2 + k * vars.len(),
                    values.len()
                ),
            });
        }
        let iterations = values[0]
            .cast(DType::I64)?
            .to_vec::<i64>()?
            .first()
            .copied()
            .unwrap_or(0)
            .max(0) as u64;
        // Per variable, its kiln slots: Keras's values where it saves them, else the
        // initial value.
        let mut per_var: Vec<Vec<Option<&Tensor>>> = vec![vec![None; rule.num_slots()]; vars.len()];
        let mut at = 2;
        for group in &layout {
            for slots in per_var.iter_mut() {
                for &slot in group {
                    slots[slot] = Some(&values[at]);
                    at += 1;
                }
            }
        }
        let mut slots = HashMap::new();
        for (v, vals) in vars.iter().zip(&per_var) {
            let n: usize = v.shape().iter().product();
            for t in vals.iter().flatten() {
                if t.shape() != v.shape().as_slice() {
                    return Err(Error::InvalidArgument {
                        api,
                        msg: format!(
                            "a slot of '{}' has shape {:?}, expected {:?}",
                            v.name(),
                            t.shape(),
                            v.shape()
                        ),
                    });
                }
            }
            let entry = if v.dtype() == DType::F64 {
                Slots::F64(
                    vals.iter()
                        .enumerate()
                        .map(|(i, t)| match t {
                            Some(t) => t.cast(DType::F64)?.to_vec::<f64>(),
                            None => Ok(vec![rule.slot_init(i); n]),
                        })
                        .collect::<kiln_tensor::Result<_>>()?,
                )
            } else {
                Slots::F32(
                    vals.iter()
                        .enumerate()
                        .map(|(i, t)| match t {
                            Some(t) => t.cast(DType::F32)?.to_vec::<f32>(),
                            None => Ok(vec![rule.slot_init(i) as f32; n]),
                        })
                        .collect::<kiln_tensor::Result<_>>()?,
                )
            };
            slots.insert(v.id(), entry);
            self.var_sizes.insert(v.id(), n);
        }
        self.iterations = iterations;
        self.slots = slots;
        Ok(())
    }

    /// Common config entries.
    pub(crate) fn config(&self, name: &str) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("name".into(), json!(name));
        m.insert("learning_rate".into(), self.learning_rate.get_config());
        m.insert("weight_decay".into(), json!(self.weight_decay));
        m.insert("clipnorm".into(), json!(self.clipnorm));
        m.insert("global_clipnorm".into(), json!(self.global_clipnorm));
        m.insert("clipvalue".into(), json!(self.clipvalue));
        m.insert("use_ema".into(), json!(false));
        m
    }

    /// One `apply_gradients` step with `rule`.
    pub(crate) fn apply<R: UpdateRule>(
        &mut self,
        rule: &mut R,
        api: &'static str,
        grads_and_vars: &[(Tensor, Variable)],
    ) -> Result<()> {
        self.validate(api)?;
        for (g, var) in grads_and_vars {
            if g.shape() != var.shape().as_slice() {
                return Err(Error::InvalidArgument {
                    api,
                    msg: format!(
                        "gradient of shape {:?} does not match variable '{}' of shape {:?}",
                        g.shape(),
                        var.name(),
                        var.shape()
                    ),
                });
            }
            if !var.dtype().is_float() || !g.dtype().is_float() {
                return Err(Error::InvalidArgument {
                    api,
                    msg: format!(
                        "variable '{}' ({}) and its gradient ({}) must be floats to be trained",
                        var.name(),
                        var.dtype(),
                        g.dtype()
                    ),
                });
            }
        }
        let info = StepInfo {
            lr: self.current_lr(),
            step: self.iterations + 1,
        };
        // Gradients in f64 for clipping decisions; each applied in its variable's dtype.
        let mut grads: Vec<Vec<f64>> = Vec::new();
        let need_f64 = self.clipnorm.is_some() || self.global_clipnorm.is_some();
        if need_f64 {
            grads = grads_and_vars.iter().map(|(g, _)| g.to_f64_vec()).collect();
            if let Some(c) = self.clipnorm {
                for g in &mut grads {
                    clip_by_norm(g, c);
                }
            } else if let Some(c) = self.global_clipnorm {
                let norm = grads
                    .iter()
                    .flat_map(|g| g.iter())
                    .map(|v| v * v)
                    .sum::<f64>()
                    .sqrt();
                let scale = c * (1.0 / norm).min(1.0 / c);
                for g in &mut grads {
                    g.iter_mut().for_each(|v| *v *= scale);
                }
            }
        }
        rule.begin_step(&info);
        for (g, var) in grads_and_vars {
            self.var_sizes.insert(var.id(), g.numel());
        }
        for (k, (g, var)) in grads_and_vars.iter().enumerate() {
            if let Some(wd) = self.weight_decay
                && wd != 0.0
            {
                let f = 1.0 - wd * info.lr;
                match var.dtype() {
                    DType::F32 => var.update_in_place::<f32>(|w| {
                        // Keras: var - var * wd * lr.
                        let (wd32, lr32) = (wd as f32, info.lr as f32);
                        w.iter_mut().for_each(|x| *x -= *x * wd32 * lr32);
                    })?,
                    _ => {
                        let v = var.value().mul_scalar(f)?;
                        var.assign(&v)?;
                    }
                }
            }
            let clipvalue = self.clipvalue;
            let n_slots = rule.num_slots();
            let inits: Vec<f64> = (0..n_slots).map(|i| rule.slot_init(i)).collect();
            match var.dtype() {
                DType::F32 => {
                    // Borrow the gradient when it is already a contiguous f32 tensor.
                    let g32 = if g.dtype() == DType::F32 {
                        g.clone()
                    } else {
                        g.cast(DType::F32)?
                    };
                    let mut gv: std::borrow::Cow<[f32]> = if need_f64 {
                        grads[k]
                            .iter()
                            .map(|&v| v as f32)
                            .collect::<Vec<f32>>()
                            .into()
                    } else {
                        g32.as_slice::<f32>()?
                    };
                    if let Some(c) = clipvalue {
                        let c = c as f32;
                        gv.to_mut().iter_mut().for_each(|v| *v = v.clamp(-c, c));
                    }
                    let n = gv.len();
                    let entry = self.slots.entry(var.id()).or_insert_with(|| {
                        Slots::F32(inits.iter().map(|&i| vec![i as f32; n]).collect())
                    });
                    let Slots::F32(slots) = entry else {
                        return Err(dtype_changed(api, var));
                    };
                    var.update_in_place::<f32>(|w| rule.update_f32(&gv, w, slots, &info))?;
                }
                _ => {
                    let mut gv: Vec<f64> = if need_f64 {
                        grads[k].clone()
                    } else {
                        g.to_f64_vec()
                    };
                    if let Some(c) = clipvalue {
                        gv.iter_mut().for_each(|v| *v = v.clamp(-c, c));
                    }
                    let n = gv.len();
                    let entry = self
                        .slots
                        .entry(var.id())
                        .or_insert_with(|| Slots::F64(inits.iter().map(|&i| vec![i; n]).collect()));
                    let Slots::F64(slots) = entry else {
                        return Err(dtype_changed(api, var));
                    };
                    let mut w = var.value().to_f64_vec();
                    rule.update(&gv, &mut w, slots, &info);
                    let t = Tensor::from_vec(w, &var.shape())?.cast(var.dtype())?;
                    var.assign(&t)?;
                }
            }
        }
        self.iterations += 1;
        Ok(())
    }
}

fn dtype_changed(api: &'static str, var: &Variable) -> Error {
    Error::InvalidArgument {
        api,
        msg: format!("variable '{}' changed dtype between steps", var.name()),
    }
}

/// TF's `clip_by_norm`: `g * c / max(||g||, c)`.
fn clip_by_norm(g: &mut [f64], c: f64) {
    let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
    if norm > c {
        let s = c / norm;
        g.iter_mut().for_each(|v| *v *= s);
    }
}
