//! `keras.optimizers.Lamb`: Adam's direction scaled per variable by the trust ratio
//! `||w|| / ||update||`.

// `a[i] = a[i] + x` rather than `a[i] += x` (generic element type).
#![allow(clippy::assign_op_pattern)]

use crate::optimizers::prelude::*;

/// LAMB. Slots: m, v.
#[derive(Debug, Clone)]
pub struct LambRule {
    /// First-moment decay.
    pub beta_1: f64,
    /// Second-moment decay.
    pub beta_2: f64,
    /// Denominator fuzz.
    pub epsilon: f64,
}

impl UpdateRule for LambRule {
    fn num_slots(&self) -> usize {
        2
    }
    fn update<T: Real>(&self, g: &[T], w: &mut [T], s: &mut [Vec<T>], info: &StepInfo) {
        let t = T::c(info.step as f64);
        // Keras raises the betas to the step in the variable's dtype.
        let (b1p, b2p) = (T::c(self.beta_1).powf(t), T::c(self.beta_2).powf(t));
        let (ob1, ob2, eps, one) = (
            T::c(1.0 - self.beta_1),
            T::c(1.0 - self.beta_2),
            T::c(self.epsilon),
            T::c(1.0),
        );
        let [m, v] = s else { return };
        let mut update = vec![T::c(0.0); w.len()];
        for i in 0..w.len() {
            m[i] = m[i] + (g[i] - m[i]) * ob1;
            v[i] = v[i] + (g[i] * g[i] - v[i]) * ob2;
            update[i] = (m[i] / (one - b1p)) / ((v[i] / (one - b2p)).sqrt() + eps);
        }
        let norm = |x: &[T]| x.iter().map(|&a| a.f64() * a.f64()).sum::<f64>().sqrt();
        let (w_norm, u_norm) = (norm(w), norm(&update));
        let ratio = if w_norm > 0.0 && u_norm > 0.0 {
            w_norm / u_norm
        } else {
            1.0
        };
        let step = T::c(ratio) * T::c(info.lr);
        for (wi, &u) in w.iter_mut().zip(&update) {
            *wi = *wi - step * u;
        }
    }
}

optimizer!(
    /// `keras.optimizers.Lamb(learning_rate=0.001, beta_1=0.9, beta_2=0.999,
    /// epsilon=1e-7)`.
    ///
    /// ```
    /// use kiln::optimizers::{Lamb, Optimizer};
    /// use kiln_tensor::{Tensor, Variable};
    /// let w = Variable::new(Tensor::from_vec(vec![3.0f32, 4.0], &[2])?, "w", true);
    /// let mut opt = Lamb::new(0.1);
    /// opt.apply_gradients(&[(Tensor::from_vec(vec![1.0f32, 1.0], &[2])?, w.clone())])?;
    /// // The step is lr * ||w|| in norm: each coordinate moves by 0.1 * 5 / sqrt(2).
    /// let v = w.value().to_vec::<f32>()?;
    /// assert!((v[0] - (3.0 - 0.5 / 2f32.sqrt())).abs() < 1e-5);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    Lamb, "lamb", LambRule, default_lr = 0.001,
    {
        beta_1: f64 = 0.9, "First-moment decay.";
        beta_2: f64 = 0.999, "Second-moment decay.";
        epsilon: f64 = 1e-7, "Denominator fuzz.";
    }
);

impl Lamb {
    fn init(&mut self) {}
    fn validate(&self) -> Result<()> {
        Ok(())
    }
}
