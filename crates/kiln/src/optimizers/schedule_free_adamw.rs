//! `keras.optimizers.ScheduleFreeAdamW`: AdamW without a learning-rate schedule, the
//! weights an interpolation of the iterate and its running average.

use crate::optimizers::prelude::*;

/// Schedule-free AdamW. Slots: momentum (the iterate `z`, starting as a copy of the
/// variable), velocity.
#[derive(Debug, Clone)]
pub struct ScheduleFreeAdamWRule {
    /// Interpolation between the iterate and the average.
    pub beta_1: f64,
    /// Second-moment decay.
    pub beta_2: f64,
    /// Denominator fuzz.
    pub epsilon: f64,
    /// Linear warm-up of the learning rate over this many steps (0: none).
    pub warmup_steps: u64,
}

impl UpdateRule for ScheduleFreeAdamWRule {
    fn num_slots(&self) -> usize {
        2
    }
    fn slot_copies_variable(&self, i: usize) -> bool {
        i == 0
    }
    fn update<T: Real>(&self, g: &[T], w: &mut [T], s: &mut [Vec<T>], info: &StepInfo) {
        let t = T::c(info.step as f64);
        let one = T::c(1.0);
        let mut lr = T::c(info.lr);
        if self.warmup_steps > 0 {
            lr = lr * (t / T::c(self.warmup_steps as f64)).min(one);
        }
        let (b1, b2, eps) = (T::c(self.beta_1), T::c(self.beta_2), T::c(self.epsilon));
        let bias_2 = one - b2.powf(t);
        let weight = one / t;
        let [z, v] = s else { return };
        for i in 0..w.len() {
            let vi = v[i];
            v[i] = vi + (g[i] * g[i] - vi) * (one - b2);
            let denom = (v[i] / bias_2).sqrt() + eps;
            z[i] -= lr * g[i] / denom;
            // Keras keeps `momentum_old = momentum.value`, which with the TensorFlow
            // backend is the variable itself, read after `assign_sub`: x_old is recovered
            // from the updated momentum (checked against Keras 3.15's trajectories; it
            // matters from step 2 on, as step 1's average weight is 1).
            let x_old = (w[i] - (one - b1) * z[i]) / b1;
            let x_new = (one - weight) * x_old + weight * z[i];
            w[i] = (one - b1) * z[i] + b1 * x_new;
        }
    }
}

optimizer!(
    /// `keras.optimizers.ScheduleFreeAdamW(learning_rate=0.0025, beta_1=0.9,
    /// beta_2=0.999, epsilon=1e-8, warmup_steps=0)`.
    ///
    /// ```
    /// use kiln::optimizers::{Optimizer, ScheduleFreeAdamW};
    /// let opt = ScheduleFreeAdamW::default();
    /// assert_eq!(opt.learning_rate(), 0.0025);
    /// assert_eq!(opt.get_config()["class_name"], "ScheduleFreeAdamW");
    /// ```
    ScheduleFreeAdamW, "schedule_free_adam_w", ScheduleFreeAdamWRule, default_lr = 0.0025,
    {
        beta_1: f64 = 0.9, "Interpolation between iterate and average.";
        beta_2: f64 = 0.999, "Second-moment decay.";
        epsilon: f64 = 1e-8, "Denominator fuzz.";
        warmup_steps: u64 = 0, "Linear learning-rate warm-up steps.";
    }
);

impl ScheduleFreeAdamW {
    fn init(&mut self) {}
    fn validate(&self) -> Result<()> {
        if self.rule.beta_1.is_nan() || self.rule.beta_1 <= 0.0 {
            return invalid(
                "ScheduleFreeAdamW",
                format!(
                    "beta_1 must be positive (the average is recovered by dividing by it), \
                     got {}",
                    self.rule.beta_1
                ),
            );
        }
        Ok(())
    }
}
