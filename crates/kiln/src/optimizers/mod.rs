//! Optimizers, as `keras.optimizers`, with Keras 3's defaults and update rules.
//!
//! Every optimizer takes a learning rate (a number or a [`schedules`] schedule) and the
//! shared options `clipnorm`, `clipvalue`, `global_clipnorm` (at most one) and
//! `weight_decay` (decoupled: `var -= var * weight_decay * lr` before the update).
//! f32 variables are updated in place in one fused loop.

#[macro_use]
mod macros;
mod adafactor;
mod base;
mod ema;
mod ftrl;
mod lamb;
mod muon;
mod prelude;
mod rules;
mod schedule_free_adamw;
pub mod schedules;

pub use adafactor::{Adafactor, AdafactorRule};
pub use ftrl::{Ftrl, FtrlRule};
pub use lamb::{Lamb, LambRule};
pub use muon::{Muon, MuonRule};
pub use schedule_free_adamw::{ScheduleFreeAdamW, ScheduleFreeAdamWRule};

pub use base::{Real, StepInfo, UpdateRule};
pub use rules::{
    AdadeltaRule, AdagradRule, AdamRule, AdamaxRule, LionRule, NadamRule, RmspropRule, SgdRule,
};

use kiln_tensor::{Tensor, Variable};
use serde_json::{json, Value};

use crate::optimizers::base::Core;
use crate::optimizers::schedules::LearningRate;
use crate::{Error, Result};

/// An optimizer (`keras.optimizers.Optimizer`): applies gradients to variables and keeps
/// per-variable slots and the step counter.
pub trait Optimizer: Send {
    /// The Keras name (`"adam"`, `"sgd"`, ...).
    fn name(&self) -> &str;
    /// `optimizer.apply_gradients(zip(grads, vars))`: one step for every pair.
    fn apply_gradients(&mut self, grads_and_vars: &[(Tensor, Variable)]) -> Result<()>;
    /// Keras 3's `optimizer.apply(grads, trainable_variables)`: `grads` straight from
    /// [`kiln_tensor::GradientTape::gradient`], one per variable; a `None` gradient (a
    /// variable the loss does not reach) is skipped. Different lengths are an `Err`.
    ///
    /// ```
    /// use kiln::optimizers::{Optimizer, SGD};
    /// use kiln_tensor::{GradientTape, Tensor, Variable};
    /// let a = Variable::new(Tensor::scalar(1.0f32), "a", true);
    /// let b = Variable::new(Tensor::scalar(5.0f32), "b", true);
    /// let tape = GradientTape::new();
    /// let loss = a.value().mul(&a.value())?; // b is not used
    /// let vars = [a.clone(), b.clone()];
    /// let grads = tape.gradient(&loss, &vars)?;
    /// drop(tape);
    /// SGD::new(0.5).apply(&grads, &vars)?;
    /// assert_eq!(a.value().item::<f32>()?, 0.0);
    /// assert_eq!(b.value().item::<f32>()?, 5.0);
    /// assert!(SGD::new(0.5).apply(&grads[..1], &vars).is_err());
    /// # Ok::<(), kiln::Error>(())
    /// ```
    fn apply(&mut self, grads: &[Option<Tensor>], vars: &[Variable]) -> Result<()> {
        if grads.len() != vars.len() {
            return Err(Error::InvalidArgument {
                api: "Optimizer.apply",
                msg: format!(
                    "got {} gradients for {} variables; expected one gradient (or None) per \
                     variable",
                    grads.len(),
                    vars.len()
                ),
            });
        }
        let pairs: Vec<(Tensor, Variable)> = grads
            .iter()
            .zip(vars)
            .filter_map(|(g, v)| g.clone().map(|g| (g, v.clone())))
            .collect();
        self.apply_gradients(&pairs)
    }
    /// `apply_gradients(zip(grads, vars))` with gradients that may be `None` (skipped),
    /// as the pairs `zip(tape.gradient(...), vars)` gives.
    fn apply_optional_gradients(
        &mut self,
        grads_and_vars: &[(Option<Tensor>, Variable)],
    ) -> Result<()> {
        let pairs: Vec<(Tensor, Variable)> = grads_and_vars
            .iter()
            .filter_map(|(g, v)| g.clone().map(|g| (g, v.clone())))
            .collect();
        self.apply_gradients(&pairs)
    }
    /// The learning rate the next step will use (a schedule evaluated at `iterations`).
    fn learning_rate(&self) -> f64;
    /// Replaces the learning rate by a constant (what `ReduceLROnPlateau` and
    /// `LearningRateScheduler` do).
    fn set_learning_rate(&mut self, learning_rate: f64);
    /// Number of steps applied so far (`optimizer.iterations`).
    fn iterations(&self) -> u64;
    /// Keras-compatible config.
    fn get_config(&self) -> Value;
    /// `(scalars, bytes)` of the optimizer's variables once it has taken a step, as
    /// `summary()`'s "Optimizer params" line counts them; `None` before.
    fn variables_size(&self) -> Option<(usize, usize)> {
        None
    }
    /// The optimizer's variables for `vars` in Keras's saved order: `iterations` (int64),
    /// `learning_rate` (float32), then each variable's slots in turn (Adam: momentum,
    /// velocity). `None` when the optimizer cannot export its state.
    fn export_state(&self, _vars: &[Variable]) -> Option<Vec<Tensor>> {
        None
    }
    /// Restores what [`Optimizer::export_state`] produced (counts and shapes checked).
    fn import_state(&mut self, _vars: &[Variable], _values: &[Tensor]) -> Result<()> {
        Err(Error::InvalidArgument {
            api: "Optimizer.import_state",
            msg: format!("optimizer '{}' cannot restore a saved state", self.name()),
        })
    }
    /// With `use_ema`: exchanges each of `vars` with its moving average (what the
    /// `SwapEMAWeights` callback does); an `Err` without `use_ema`, as Keras raises.
    fn swap_ema_weights(&mut self, _vars: &[Variable]) -> Result<()> {
        Err(Error::InvalidArgument {
            api: "SwapEMAWeights",
            msg: "SwapEMAWeights must be used when `use_ema=True` is set on the optimizer. \
                  Received: use_ema=False"
                .into(),
        })
    }
    /// With `use_ema`: makes the current values of `vars` their averages too
    /// (`SwapEMAWeights` after the last epoch, Keras's `_finalize_ema_values`).
    fn set_ema_from_variables(&mut self, vars: &[Variable]) -> Result<()> {
        self.swap_ema_weights(&vars[..0])
    }
    /// `optimizer.finalize_variable_values(vars)`, which `fit` calls after its last
    /// epoch: with `use_ema` the variables take their moving averages.
    fn finalize_variable_values(&mut self, _vars: &[Variable]) -> Result<()> {
        Ok(())
    }
}

optimizer!(
    /// `keras.optimizers.SGD(learning_rate=0.01, momentum=0.0, nesterov=False)`.
    ///
    /// ```
    /// use kiln::optimizers::{Optimizer, SGD};
    /// use kiln_tensor::{Tensor, Variable};
    /// let w = Variable::new(Tensor::from_vec(vec![1.0f32], &[1])?, "w", true);
    /// let mut opt = SGD::new(0.1);
    /// opt.apply_gradients(&[(Tensor::from_vec(vec![2.0f32], &[1])?, w.clone())])?;
    /// assert!((w.value().to_vec::<f32>()?[0] - 0.8).abs() < 1e-6);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    SGD, "SGD", SgdRule, default_lr = 0.01,
    {
        momentum: f64 = 0.0, "Momentum factor in `[0, 1]`.";
        nesterov: bool = false, "Nesterov momentum.";
    }
);

optimizer!(
    /// `keras.optimizers.Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
    /// amsgrad=False)`.
    ///
    /// ```
    /// use kiln::optimizers::{Adam, Optimizer};
    /// let opt = Adam::default();
    /// assert_eq!(opt.learning_rate(), 0.001);
    /// assert_eq!(opt.rule().epsilon, 1e-7);
    /// ```
    Adam, "adam", AdamRule, default_lr = 0.001,
    {
        beta_1: f64 = 0.9, "First-moment decay.";
        beta_2: f64 = 0.999, "Second-moment decay.";
        epsilon: f64 = 1e-7, "Denominator fuzz.";
        amsgrad: bool = false, "Use AMSGrad.";
    }
);

optimizer!(
    /// `keras.optimizers.AdamW`: Adam with decoupled weight decay 0.004 by default.
    ///
    /// ```
    /// use kiln::optimizers::{AdamW, Optimizer};
    /// assert_eq!(AdamW::default().get_config()["config"]["weight_decay"], 0.004);
    /// ```
    AdamW, "adamw", AdamRule, default_lr = 0.001,
    {
        beta_1: f64 = 0.9, "First-moment decay.";
        beta_2: f64 = 0.999, "Second-moment decay.";
        epsilon: f64 = 1e-7, "Denominator fuzz.";
        amsgrad: bool = false, "Use AMSGrad.";
    }
);

optimizer!(
    /// `keras.optimizers.RMSprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
    /// centered=False)`.
    ///
    /// ```
    /// use kiln::optimizers::{Optimizer, RMSprop};
    /// assert_eq!(RMSprop::default().rule().rho, 0.9);
    /// ```
    RMSprop, "rmsprop", RmspropRule, default_lr = 0.001,
    {
        rho: f64 = 0.9, "Decay of the squared-gradient average.";
        momentum: f64 = 0.0, "Momentum factor.";
        epsilon: f64 = 1e-7, "Denominator fuzz.";
        centered: bool = false, "Centered variant.";
    }
);

optimizer!(
    /// `keras.optimizers.Adagrad(learning_rate=0.001, initial_accumulator_value=0.1,
    /// epsilon=1e-7)`.
    ///
    /// ```
    /// use kiln::optimizers::{Adagrad, Optimizer};
    /// assert_eq!(Adagrad::default().rule().initial_accumulator_value, 0.1);
    /// ```
    Adagrad, "adagrad", AdagradRule, default_lr = 0.001,
    {
        initial_accumulator_value: f64 = 0.1, "Starting accumulator value.";
        epsilon: f64 = 1e-7, "Denominator fuzz.";
    }
);

optimizer!(
    /// `keras.optimizers.Adadelta(learning_rate=0.001, rho=0.95, epsilon=1e-7)`.
    ///
    /// ```
    /// use kiln::optimizers::{Adadelta, Optimizer};
    /// assert_eq!(Adadelta::default().rule().rho, 0.95);
    /// ```
    Adadelta, "adadelta", AdadeltaRule, default_lr = 0.001,
    {
        rho: f64 = 0.95, "Decay rate.";
        epsilon: f64 = 1e-7, "Fuzz.";
    }
);

optimizer!(
    /// `keras.optimizers.Adamax(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)`.
    ///
    /// ```
    /// use kiln::optimizers::{Adamax, Optimizer};
    /// assert_eq!(Adamax::default().rule().beta_2, 0.999);
    /// ```
    Adamax, "adamax", AdamaxRule, default_lr = 0.001,
    {
        beta_1: f64 = 0.9, "First-moment decay.";
        beta_2: f64 = 0.999, "Infinity-norm decay.";
        epsilon: f64 = 1e-7, "Denominator fuzz.";
    }
);

optimizer!(
    /// `keras.optimizers.Nadam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)`.
    ///
    /// ```
    /// use kiln::optimizers::{Nadam, Optimizer};
    /// assert_eq!(Nadam::default().rule().beta_1, 0.9);
    /// ```
    Nadam, "nadam", NadamRule, default_lr = 0.001,
    {
        beta_1: f64 = 0.9, "First-moment decay.";
        beta_2: f64 = 0.999, "Second-moment decay.";
        epsilon: f64 = 1e-7, "Denominator fuzz.";
    },
    extra_init = NadamRule { beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, u_product: 1.0 }
);

optimizer!(
    /// `keras.optimizers.Lion(learning_rate=0.001, beta_1=0.9, beta_2=0.99)`.
    ///
    /// ```
    /// use kiln::optimizers::{Lion, Optimizer};
    /// assert_eq!(Lion::default().rule().beta_2, 0.99);
    /// ```
    Lion, "lion", LionRule, default_lr = 0.001,
    {
        beta_1: f64 = 0.9, "Interpolation for the update direction.";
        beta_2: f64 = 0.99, "Momentum decay.";
    }
);

use prelude::invalid;

impl SGD {
    fn init(&mut self) {}
    fn validate(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.rule.momentum) {
            return invalid(
                "SGD",
                format!("momentum must be in [0, 1], got {}", self.rule.momentum),
            );
        }
        Ok(())
    }
}

impl Adam {
    fn init(&mut self) {}
    fn validate(&self) -> Result<()> {
        Ok(())
    }
}

impl AdamW {
    fn init(&mut self) {
        self.core.weight_decay = Some(0.004);
    }
    fn validate(&self) -> Result<()> {
        if self.core.weight_decay.is_none() {
            return invalid(
                "AdamW",
                "weight_decay must be set (Keras's default is 0.004)".into(),
            );
        }
        Ok(())
    }
}

impl RMSprop {
    fn init(&mut self) {}
    fn validate(&self) -> Result<()> {
        Ok(())
    }
}

impl Adagrad {
    fn init(&mut self) {}
    fn validate(&self) -> Result<()> {
        Ok(())
    }
}

impl Adadelta {
    fn init(&mut self) {}
    fn validate(&self) -> Result<()> {
        Ok(())
    }
}

impl Adamax {
    fn init(&mut self) {}
    fn validate(&self) -> Result<()> {
        Ok(())
    }
}

impl Nadam {
    fn init(&mut self) {}
    fn validate(&self) -> Result<()> {
        Ok(())
    }
}

impl Lion {
    fn init(&mut self) {}
    fn validate(&self) -> Result<()> {
        if self.rule.beta_1 <= 0.0 || self.rule.beta_1 > 1.0 {
            return invalid(
                "Lion",
                format!("beta_1 must be in (0, 1], got {}", self.rule.beta_1),
            );
        }
        Ok(())
    }
}

const NAMES: &str = "sgd, adam, adamw, rmsprop, adagrad, adadelta, adamax, nadam, lion, \
                     adafactor, ftrl, lamb, muon, schedulefreeadamw";

/// Resolves an optimizer identifier as `keras.optimizers.get` does (the class name in
/// any case: `"adam"`, `"SGD"`, `"Adafactor"`, ...), with Keras's default arguments.
///
/// ```
/// let opt = kiln::optimizers::get("adam").unwrap();
/// assert_eq!(opt.learning_rate(), 0.001);
/// assert_eq!(kiln::optimizers::get("SGD").unwrap().learning_rate(), 0.01);
/// assert_eq!(kiln::optimizers::get("ScheduleFreeAdamW").unwrap().learning_rate(), 0.0025);
/// assert!(kiln::optimizers::get("adamm").is_err());
/// ```
pub fn get(identifier: &str) -> Result<Box<dyn Optimizer>> {
    from_config(identifier, &Value::Object(Default::default()))
}

/// `keras.optimizers.deserialize`: the optimizer `class_name` (any case) built from
/// its Keras `config` (`get_config()["config"]`); unknown classes and options kiln does
/// not implement are `Err`s.
///
/// ```
/// use kiln::optimizers::{from_config, Ftrl, Optimizer};
/// let saved = Ftrl::new(0.05).beta(0.5).get_config();
/// let back = from_config("Ftrl", &saved["config"]).unwrap();
/// assert_eq!(back.get_config(), saved);
/// ```
pub fn from_config(class_name: &str, config: &Value) -> Result<Box<dyn Optimizer>> {
    Ok(match class_name.to_ascii_lowercase().as_str() {
        "sgd" => Box::new(SGD::from_config(config)?),
        "adam" => Box::new(Adam::from_config(config)?),
        "adamw" => Box::new(AdamW::from_config(config)?),
        "rmsprop" => Box::new(RMSprop::from_config(config)?),
        "adagrad" => Box::new(Adagrad::from_config(config)?),
        "adadelta" => Box::new(Adadelta::from_config(config)?),
        "adamax" => Box::new(Adamax::from_config(config)?),
        "nadam" => Box::new(Nadam::from_config(config)?),
        "lion" => Box::new(Lion::from_config(config)?),
        "adafactor" => Box::new(Adafactor::from_config(config)?),
        "ftrl" => Box::new(Ftrl::from_config(config)?),
        "lamb" => Box::new(Lamb::from_config(config)?),
        "muon" => Box::new(Muon::from_config(config)?),
        "schedulefreeadamw" => Box::new(ScheduleFreeAdamW::from_config(config)?),
        _ => {
            return Err(Error::InvalidArgument {
                api: "optimizers.get",
                msg: format!("unknown optimizer '{class_name}'; expected one of: {NAMES}"),
            })
        }
    })
}
