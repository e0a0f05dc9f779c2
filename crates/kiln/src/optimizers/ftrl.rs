//! `keras.optimizers.Ftrl`: follow-the-regularized-leader with L1, L2 and L2-shrinkage
//! regularization.

// `a[i] = a[i] + x` rather than `a[i] += x`: with a generic element type the compound
// form borrows `a` mutably while `x` still reads it.
#![allow(clippy::assign_op_pattern)]

use crate::optimizers::prelude::*;

/// FTRL. Slots: accumulator (starts at `initial_accumulator_value`), linear.
#[derive(Debug, Clone)]
pub struct FtrlRule {
    /// Power of the accumulator in the step size (`<= 0`).
    pub learning_rate_power: f64,
    /// Starting accumulator value (`>= 0`).
    pub initial_accumulator_value: f64,
    /// L1 strength (`>= 0`).
    pub l1_regularization_strength: f64,
    /// L2 strength (`>= 0`).
    pub l2_regularization_strength: f64,
    /// L2 shrinkage strength, applied to the gradient (`>= 0`).
    pub l2_shrinkage_regularization_strength: f64,
    /// Keras's `beta` (added to L2 as `beta / (2 lr)`).
    pub beta: f64,
}

impl UpdateRule for FtrlRule {
    fn num_slots(&self) -> usize {
        2
    }
    fn slot_init(&self, i: usize) -> f64 {
        if i == 0 {
            self.initial_accumulator_value
        } else {
            0.0
        }
    }
    fn update<T: Real>(&self, g: &[T], w: &mut [T], s: &mut [Vec<T>], info: &StepInfo) {
        let lr = T::c(info.lr);
        let p = T::c(-self.learning_rate_power);
        let l1 = T::c(self.l1_regularization_strength);
        let l2 = T::c(self.l2_regularization_strength + self.beta / (2.0 * info.lr));
        let shrink = T::c(2.0 * self.l2_shrinkage_regularization_strength);
        let two = T::c(2.0);
        let [acc, lin] = s else { return };
        for i in 0..w.len() {
            let grad_to_use = g[i] + shrink * w[i];
            let new_acc = acc[i] + g[i] * g[i];
            lin[i] = lin[i] + (grad_to_use - (new_acc.powf(p) - acc[i].powf(p)) / lr * w[i]);
            let quadratic = new_acc.powf(p) / lr + two * l2;
            let clipped = lin[i].max(-l1).min(l1);
            w[i] = (clipped - lin[i]) / quadratic;
            acc[i] = new_acc;
        }
    }
}

optimizer!(
    /// `keras.optimizers.Ftrl(learning_rate=0.001, learning_rate_power=-0.5,
    /// initial_accumulator_value=0.1, l1_regularization_strength=0.0,
    /// l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
    /// beta=0.0)`.
    ///
    /// ```
    /// use kiln::optimizers::{Ftrl, Optimizer};
    /// use kiln_tensor::{Tensor, Variable};
    /// let w = Variable::new(Tensor::from_vec(vec![1.0f32, -2.0], &[2])?, "w", true);
    /// let mut opt = Ftrl::new(0.1).l1_regularization_strength(0.01);
    /// opt.apply_gradients(&[(Tensor::from_vec(vec![0.5f32, -0.5], &[2])?, w.clone())])?;
    /// assert_eq!(opt.get_config()["config"]["learning_rate_power"], -0.5);
    /// assert!(Ftrl::new(0.1).learning_rate_power(0.5).apply_gradients(&[]).is_err());
    /// # Ok::<(), kiln::Error>(())
    /// ```
    Ftrl, "ftrl", FtrlRule, default_lr = 0.001,
    {
        learning_rate_power: f64 = -0.5, "Power of the accumulator (`<= 0`).";
        initial_accumulator_value: f64 = 0.1, "Starting accumulator value (`>= 0`).";
        l1_regularization_strength: f64 = 0.0, "L1 strength (`>= 0`).";
        l2_regularization_strength: f64 = 0.0, "L2 strength (`>= 0`).";
        l2_shrinkage_regularization_strength: f64 = 0.0, "L2 shrinkage strength (`>= 0`).";
        beta: f64 = 0.0, "Keras's `beta`.";
    }
);

impl Ftrl {
    fn init(&mut self) {}
    fn validate(&self) -> Result<()> {
        let r = &self.rule;
        if r.initial_accumulator_value < 0.0 {
            return invalid(
                "Ftrl",
                format!(
                    "`initial_accumulator_value` needs to be positive or zero. Received: \
                     initial_accumulator_value={}.",
                    r.initial_accumulator_value
                ),
            );
        }
        if r.learning_rate_power > 0.0 {
            return invalid(
                "Ftrl",
                format!(
                    "`learning_rate_power` needs to be negative or zero. Received: \
                     learning_rate_power={}.",
                    r.learning_rate_power
                ),
            );
        }
        for (name, v) in [
            ("l1_regularization_strength", r.l1_regularization_strength),
            ("l2_regularization_strength", r.l2_regularization_strength),
            (
                "l2_shrinkage_regularization_strength",
                r.l2_shrinkage_regularization_strength,
            ),
        ] {
            if v < 0.0 {
                return invalid(
                    "Ftrl",
                    format!("`{name}` needs to be positive or zero. Received: {name}={v}."),
                );
            }
        }
        Ok(())
    }
}
