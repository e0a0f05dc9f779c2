//! Optimizers, as `keras.optimizers`.

mod adam;

pub use adam::Adam;

use kiln_tensor::{Tensor, Variable};

use crate::Result;

/// An optimizer (`keras.optimizers.Optimizer`): applies gradients to variables and keeps
/// per-variable slots and the step counter.
pub trait Optimizer: Send {
    /// The Keras name (`"adam"`, `"sgd"`, ...).
    fn name(&self) -> &str;
    /// `optimizer.apply_gradients(zip(grads, vars))`: one step for every pair.
    fn apply_gradients(&mut self, grads_and_vars: &[(Tensor, Variable)]) -> Result<()>;
    /// The learning rate the next step will use (a schedule evaluated at `iterations`).
    fn learning_rate(&self) -> f64;
    /// Replaces the learning rate by a constant (what `ReduceLROnPlateau` and
    /// `LearningRateScheduler` do).
    fn set_learning_rate(&mut self, learning_rate: f64);
    /// Number of steps applied so far (`optimizer.iterations`).
    fn iterations(&self) -> u64;
    /// Keras-compatible config.
    fn get_config(&self) -> serde_json::Value;
}

impl Optimizer for Adam {
    fn name(&self) -> &str {
        "adam"
    }
    fn apply_gradients(&mut self, grads_and_vars: &[(Tensor, Variable)]) -> Result<()> {
        Adam::apply_gradients(self, grads_and_vars)
    }
    fn learning_rate(&self) -> f64 {
        self.learning_rate
    }
    fn set_learning_rate(&mut self, learning_rate: f64) {
        self.learning_rate = learning_rate;
    }
    fn iterations(&self) -> u64 {
        Adam::iterations(self)
    }
    fn get_config(&self) -> serde_json::Value {
        serde_json::json!({
            "name": "adam",
            "learning_rate": self.learning_rate,
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        })
    }
}

/// Resolves an optimizer identifier as `keras.optimizers.get` does (`"adam"`, ...), with
/// Keras's default arguments.
///
/// ```
/// let opt = kiln::optimizers::get("adam").unwrap();
/// assert_eq!(opt.learning_rate(), 0.001);
/// assert!(kiln::optimizers::get("adamm").is_err());
/// ```
pub fn get(identifier: &str) -> Result<Box<dyn Optimizer>> {
    match identifier.to_ascii_lowercase().as_str() {
        "adam" => Ok(Box::new(Adam::default())),
        _ => Err(crate::Error::InvalidArgument {
            api: "optimizers.get",
            msg: format!("unknown optimizer '{identifier}'; expected one of: adam"),
        }),
    }
}
