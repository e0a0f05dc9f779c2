//! `keras.optimizers.Adafactor`: second moments factored into row and column averages
//! for variables of rank 2 and more, a relative step size and update clipping.

use crate::optimizers::prelude::*;

/// Adafactor. Slots: `r` (row averages, shape `shape[..-1]`), `c` (column averages,
/// `shape[..-2] + [shape[-1]]`) and the velocity `v`; for variables of rank < 2, `r` and
/// `c` are unused scalars (Keras keeps them too) and `v` is accumulated directly.
#[derive(Debug, Clone)]
pub struct AdafactorRule {
    /// Decay rate of `beta_2` (`beta_2_t = 1 - t^beta_2_decay`).
    pub beta_2_decay: f64,
    /// Fuzz added to the squared gradient.
    pub epsilon_1: f64,
    /// Lower bound of the variable's RMS in the step size.
    pub epsilon_2: f64,
    /// Threshold of the update's RMS.
    pub clip_threshold: f64,
    /// With a constant learning rate, use `min(lr, 1/sqrt(t))`.
    pub relative_step: bool,
}

fn rms<T: Real>(x: &[T]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|&a| a.f64() * a.f64()).sum::<f64>() / x.len() as f64).sqrt()
}

impl UpdateRule for AdafactorRule {
    fn num_slots(&self) -> usize {
        3
    }
    fn slot_shape(&self, i: usize, shape: &[usize]) -> Vec<usize> {
        let n = shape.len();
        match i {
            _ if n < 2 && i < 2 => vec![],
            0 => shape[..n - 1].to_vec(),
            1 => {
                let mut s = shape[..n - 2].to_vec();
                s.push(shape[n - 1]);
                s
            }
            _ => shape.to_vec(),
        }
    }
    fn update<T: Real>(&self, g: &[T], w: &mut [T], s: &mut [Vec<T>], info: &StepInfo) {
        let t = info.step as f64;
        let mut lr = info.lr;
        if !info.lr_is_schedule && self.relative_step {
            lr = lr.min(1.0 / t.sqrt());
        }
        let rho_t = lr.min(1.0 / t.sqrt());
        let alpha_t = T::c(self.epsilon_2.max(rms(w)) * rho_t);
        let b2 = T::c(1.0 - t.powf(self.beta_2_decay));
        let ob2 = T::c(1.0) - b2;
        let eps1 = T::c(self.epsilon_1);
        let [r, c, v] = s else { return };
        let shape = info.shape;
        if shape.len() >= 2 {
            let (rows, cols) = (shape[shape.len() - 2], shape[shape.len() - 1]);
            let batch = g.len().checked_div(rows * cols).unwrap_or(0);
            for b in 0..batch {
                let gb = &g[b * rows * cols..(b + 1) * rows * cols];
                let rb = &mut r[b * rows..(b + 1) * rows];
                let cb = &mut c[b * cols..(b + 1) * cols];
                let mut col_sum = vec![T::c(0.0); cols];
                for (i, ri) in rb.iter_mut().enumerate() {
                    let mut row_sum = T::c(0.0);
                    for (j, cs) in col_sum.iter_mut().enumerate() {
                        let q = gb[i * cols + j] * gb[i * cols + j] + eps1;
                        row_sum += q;
                        *cs += q;
                    }
                    *ri = b2 * *ri + ob2 * (row_sum / T::c(cols as f64));
                }
                for (cj, cs) in cb.iter_mut().zip(&col_sum) {
                    *cj = b2 * *cj + ob2 * (*cs / T::c(rows as f64));
                }
                let r_mean = rb.iter().fold(T::c(0.0), |a, &x| a + x) / T::c(rows as f64);
                let vb = &mut v[b * rows * cols..(b + 1) * rows * cols];
                for i in 0..rows {
                    for j in 0..cols {
                        vb[i * cols + j] = (rb[i] / r_mean) * cb[j];
                    }
                }
            }
        } else {
            for (vi, &gi) in v.iter_mut().zip(g) {
                *vi = b2 * *vi + ob2 * (gi * gi + eps1);
            }
        }
        let u: Vec<T> = g
            .iter()
            .zip(v.iter())
            .map(|(&gi, &vi)| gi / vi.sqrt())
            .collect();
        let scale = T::c(1.0f64.max(rms(&u) / self.clip_threshold));
        for (wi, &ui) in w.iter_mut().zip(&u) {
            *wi -= alpha_t * (ui / scale);
        }
    }
}

optimizer!(
    /// `keras.optimizers.Adafactor(learning_rate=0.001, beta_2_decay=-0.8,
    /// epsilon_1=1e-30, epsilon_2=1e-3, clip_threshold=1.0, relative_step=True)`.
    ///
    /// ```
    /// use kiln::optimizers::{Adafactor, Optimizer};
    /// use kiln_tensor::{Tensor, Variable};
    /// let k = Variable::new(Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3])?, "k", true);
    /// let mut opt = Adafactor::new(0.01);
    /// opt.apply_gradients(&[(Tensor::from_vec(vec![0.1f32, -0.2, 0.3, 0.0, 0.5, -0.6], &[2, 3])?, k.clone())])?;
    /// // Factored second moments: one row average per row, one column average per column.
    /// assert_eq!(opt.export_state(&[k.clone()]).unwrap()[2].shape(), &[2]);
    /// assert_eq!(opt.export_state(&[k]).unwrap()[3].shape(), &[3]);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    Adafactor, "adafactor", AdafactorRule, default_lr = 0.001,
    {
        beta_2_decay: f64 = -0.8, "Decay rate of `beta_2`.";
        epsilon_1: f64 = 1e-30, "Fuzz added to the squared gradient.";
        epsilon_2: f64 = 1e-3, "Lower bound of the variable's RMS in the step.";
        clip_threshold: f64 = 1.0, "Threshold of the update's RMS.";
        relative_step: bool = true, "`min(lr, 1/sqrt(t))` with a constant learning rate.";
    }
);

impl Adafactor {
    fn init(&mut self) {}
    fn validate(&self) -> Result<()> {
        if self.rule.clip_threshold <= 0.0 {
            return invalid(
                "Adafactor",
                format!(
                    "clip_threshold must be positive, got {}",
                    self.rule.clip_threshold
                ),
            );
        }
        Ok(())
    }
}
