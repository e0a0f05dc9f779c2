//! What every optimizer shares (Keras's `BaseOptimizer`): the learning rate or schedule,
//! gradient clipping, decoupled weight decay, the step counter, per-variable slots, and
//! the checks on gradients and variables.

use std::collections::HashMap;
use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub, SubAssign};

use kiln_tensor::{DType, Tensor, Variable};
use serde_json::{json, Map, Value};

use crate::optimizers::ema::Ema;
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
    /// The smaller of two values.
    fn min(self, o: Self) -> Self;
    /// `self` to the power `e`.
    fn powf(self, e: Self) -> Self;
    /// To f64 (for reductions accumulated in f64).
    fn f64(self) -> f64;
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
    fn min(self, o: Self) -> Self {
        f32::min(self, o)
    }
    fn powf(self, e: Self) -> Self {
        f32::powf(self, e)
    }
    fn f64(self) -> f64 {
        self as f64
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
    fn min(self, o: Self) -> Self {
        f64::min(self, o)
    }
    fn powf(self, e: Self) -> Self {
        f64::powf(self, e)
    }
    fn f64(self) -> f64 {
        self
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

/// Per-step values an update rule may need, and the variable being updated.
#[derive(Debug, Clone, Copy)]
pub struct StepInfo<'a> {
    /// The learning rate of this step.
    pub lr: f64,
    /// `iterations + 1` (Keras's `local_step`).
    pub step: u64,
    /// Whether the learning rate comes from a schedule (Keras's `callable(learning_rate)`).
    pub lr_is_schedule: bool,
    /// The variable's shape (empty in [`UpdateRule::begin_step`]).
    pub shape: &'a [usize],
    /// The variable's name, its Keras path (`"dense/kernel"`; empty in `begin_step`).
    pub name: &'a str,
}

/// One optimizer's update of one variable, written once for f32 and f64.
pub trait UpdateRule {
    /// Number of slot arrays per variable.
    fn num_slots(&self) -> usize;
    /// Initial value of slot `i`.
    fn slot_init(&self, _i: usize) -> f64 {
        0.0
    }
    /// Whether slot `i` starts as a copy of the variable (ScheduleFreeAdamW's momentum)
    /// instead of [`UpdateRule::slot_init`].
    fn slot_copies_variable(&self, _i: usize) -> bool {
        false
    }
    /// The shape of slot `i` for a variable of `shape` (Adafactor's factored rows and
    /// columns); the variable's shape by default.
    fn slot_shape(&self, _i: usize, shape: &[usize]) -> Vec<usize> {
        shape.to_vec()
    }
    /// Whether Keras creates (and saves) slot `i` for the variable `name` of `shape`
    /// (Muon keeps a velocity only for the variables it trains with AdamW).
    fn keras_has_slot(&self, _i: usize, _shape: &[usize], _name: &str) -> bool {
        true
    }
    /// The decoupled weight decay for one variable, given the optimizer's
    /// `weight_decay` (Muon decays its AdamW variables by `adam_weight_decay`).
    fn weight_decay_for(&self, weight_decay: Option<f64>, _info: &StepInfo) -> Option<f64> {
        weight_decay
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
    /// `use_ema` and the moving averages.
    pub(crate) ema: Ema,
    pub(crate) iterations: u64,
    slots: HashMap<u64, Slots>,
    /// Shape and name of every variable stepped so far, by id.
    var_info: HashMap<u64, (Vec<usize>, String)>,
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
            var_info: HashMap::new(),
            ema: Ema::default(),
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
            .var_info
            .values()
            .map(|(shape, name)| {
                keras_slot_shapes(rule, shape, name)
                    .iter()
                    .map(|(_, s)| numel(s))
                    .sum::<usize>()
            })
            .sum();
        let averages: usize = if self.ema.enabled {
            self.var_info.values().map(|(shape, _)| numel(shape)).sum()
        } else {
            0
        };
        let slots = slots + averages;
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
        // Keras's BaseOptimizer.build adds the averages before the subclass's slots.
        out.extend(self.ema.export(vars)?);
        for group in rule.keras_layout() {
            for v in vars {
                let shape = v.shape();
                for &k in &group {
                    if !rule.keras_has_slot(k, &shape, v.name()) {
                        continue;
                    }
                    let sshape = rule.slot_shape(k, &shape);
                    let t = match self.slots.get(&v.id()) {
                        Some(Slots::F32(s)) => Tensor::from_vec(s[k].clone(), &sshape).ok()?,
                        Some(Slots::F64(s)) => Tensor::from_vec(s[k].clone(), &sshape).ok()?,
                        None if rule.slot_copies_variable(k) => v.value().cast(DType::F32).ok()?,
                        None => Tensor::from_vec(
                            vec![rule.slot_init(k) as f32; numel(&sshape)],
                            &sshape,
                        )
                        .ok()?,
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
        let n_avg = self.ema.count(vars.len());
        let expected: usize = 2
            + n_avg
            + vars
                .iter()
                .map(|v| keras_slot_shapes(rule, &v.shape(), v.name()).len())
                .sum::<usize>();
        if rule.extra_scalars() > 0 || values.len() != expected {
            return Err(Error::InvalidArgument {
                api,
                msg: format!(
                    "expected {expected} optimizer variables (iterations, learning_rate, then \
                     each model variable's slots), got {}",
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
        let mut at = 2 + n_avg;
        for group in &layout {
            for (v, slots) in vars.iter().zip(per_var.iter_mut()) {
                for &slot in group {
                    if rule.keras_has_slot(slot, &v.shape(), v.name()) {
                        slots[slot] = Some(&values[at]);
                        at += 1;
                    }
                }
            }
        }
        let mut slots = HashMap::new();
        for (v, vals) in vars.iter().zip(&per_var) {
            let shape = v.shape();
            for (i, t) in vals.iter().enumerate() {
                if let Some(t) = t {
                    let want = rule.slot_shape(i, &shape);
                    if t.shape() != want.as_slice() {
                        return Err(Error::InvalidArgument {
                            api,
                            msg: format!(
                                "a slot of '{}' has shape {:?}, expected {:?}",
                                v.name(),
                                t.shape(),
                                want
                            ),
                        });
                    }
                }
            }
            let init = |i: usize| -> kiln_tensor::Result<Vec<f64>> {
                if rule.slot_copies_variable(i) {
                    Ok(v.value().to_f64_vec())
                } else {
                    Ok(vec![rule.slot_init(i); numel(&rule.slot_shape(i, &shape))])
                }
            };
            let entry = if v.dtype() == DType::F64 {
                Slots::F64(
                    vals.iter()
                        .enumerate()
                        .map(|(i, t)| match t {
                            Some(t) => t.cast(DType::F64)?.to_vec::<f64>(),
                            None => init(i),
                        })
                        .collect::<kiln_tensor::Result<_>>()?,
                )
            } else {
                Slots::F32(
                    vals.iter()
                        .enumerate()
                        .map(|(i, t)| match t {
                            Some(t) => t.cast(DType::F32)?.to_vec::<f32>(),
                            None => Ok(init(i)?.into_iter().map(|x| x as f32).collect()),
                        })
                        .collect::<kiln_tensor::Result<_>>()?,
                )
            };
            slots.insert(v.id(), entry);
            self.var_info.insert(v.id(), (shape, v.name().to_string()));
        }
        self.ema.import(vars, &values[2..2 + n_avg])?;
        self.iterations = iterations;
        self.slots = slots;
        Ok(())
    }

    /// Reads the shared entries of a Keras optimizer config (`learning_rate`, clipping,
    /// `weight_decay`); refuses what kiln does not implement.
    pub(crate) fn read_config(&mut self, api: &'static str, c: &Value) -> Result<()> {
        let bad = |msg: String| Error::InvalidArgument { api, msg };
        let opt_num = |k: &str| -> Result<Option<f64>> {
            match c.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_f64()
                    .map(Some)
                    .ok_or_else(|| bad(format!("'{k}' = {v} is not a number"))),
            }
        };
        match c.get("learning_rate") {
            None | Some(Value::Null) => {}
            Some(Value::Number(n)) => {
                self.learning_rate = LearningRate::Constant(n.as_f64().unwrap_or(0.0));
            }
            Some(other) => {
                return Err(bad(format!(
                    "learning_rate {other} (a schedule) is not restored from a config; \
                     expected a number"
                )))
            }
        }
        self.ema.read_config(api, c)?;
        for k in ["loss_scale_factor", "gradient_accumulation_steps"] {
            if let Some(v) = c.get(k).filter(|v| !v.is_null()) {
                return Err(bad(format!("'{k}' = {v} is not implemented")));
            }
        }
        if c.get("weight_decay").is_some() {
            self.weight_decay = opt_num("weight_decay")?;
        }
        self.clipnorm = opt_num("clipnorm")?;
        self.clipvalue = opt_num("clipvalue")?;
        self.global_clipnorm = opt_num("global_clipnorm")?;
        self.validate(api)
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
        self.ema.config(&mut m);
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
            lr_is_schedule: matches!(self.learning_rate, LearningRate::Schedule(_)),
            shape: &[],
            name: "",
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
        for (k, (g, var)) in grads_and_vars.iter().enumerate() {
            let shape = var.shape();
            let info = StepInfo {
                shape: &shape,
                name: var.name(),
                ..info
            };
            self.var_info
                .insert(var.id(), (shape.clone(), var.name().to_string()));
            // Slots are built before the first decay, as Keras builds before it applies.
            if let std::collections::hash_map::Entry::Vacant(slot) = self.slots.entry(var.id()) {
                let init = |i: usize| -> Vec<f64> {
                    if rule.slot_copies_variable(i) {
                        var.value().to_f64_vec()
                    } else {
                        vec![rule.slot_init(i); numel(&rule.slot_shape(i, &shape))]
                    }
                };
                let n_slots = rule.num_slots();
                let entry = match var.dtype() {
                    DType::F32 => Slots::F32(
                        (0..n_slots)
                            .map(|i| init(i).into_iter().map(|x| x as f32).collect())
                            .collect(),
                    ),
                    _ => Slots::F64((0..n_slots).map(init).collect()),
                };
                slot.insert(entry);
            }
            if let Some(wd) = rule.weight_decay_for(self.weight_decay, &info)
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
                    let Some(Slots::F32(slots)) = self.slots.get_mut(&var.id()) else {
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
                    let Some(Slots::F64(slots)) = self.slots.get_mut(&var.id()) else {
                        return Err(dtype_changed(api, var));
                    };
                    let mut w = var.value().to_f64_vec();
                    rule.update(&gv, &mut w, slots, &info);
                    let t = Tensor::from_vec(w, &var.shape())?.cast(var.dtype())?;
                    var.assign(&t)?;
                }
            }
        }
        let stepped: Vec<&Variable> = grads_and_vars.iter().map(|(_, v)| v).collect();
        self.ema.after_step(&stepped, self.iterations)?;
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

fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// The slots Keras saves for one variable, in its order within a group, with their shapes.
fn keras_slot_shapes<R: UpdateRule>(
    rule: &R,
    shape: &[usize],
    name: &str,
) -> Vec<(usize, Vec<usize>)> {
    rule.keras_layout()
        .into_iter()
        .flatten()
        .filter(|&k| rule.keras_has_slot(k, shape, name))
        .map(|k| (k, rule.slot_shape(k, shape)))
        .collect()
}

/// TF's `clip_by_norm`: `g * c / max(||g||, c)`.
fn clip_by_norm(g: &mut [f64], c: f64) {
    let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
    if norm > c {
        let s = c / norm;
        g.iter_mut().for_each(|v| *v *= s);
    }
}
