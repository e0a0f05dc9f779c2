//! The update rules of Keras 3's optimizers, written once for f32 and f64.

// `a[i] = a[i] + x` rather than `a[i] += x`: with a generic element type the compound
// form borrows `a` mutably while `x` still reads it.
#![allow(clippy::assign_op_pattern)]

use crate::optimizers::base::{Real, StepInfo, UpdateRule};

/// SGD with optional (Nesterov) momentum. Slot: momentum.
#[derive(Debug, Clone)]
pub struct SgdRule {
    /// Momentum factor (0 = plain SGD).
    pub momentum: f64,
    /// Nesterov momentum.
    pub nesterov: bool,
}

impl UpdateRule for SgdRule {
    fn num_slots(&self) -> usize {
        usize::from(self.momentum != 0.0)
    }
    fn update<T: Real>(&self, g: &[T], w: &mut [T], s: &mut [Vec<T>], info: &StepInfo) {
        let lr = T::c(info.lr);
        if self.momentum == 0.0 {
            for i in 0..w.len() {
                w[i] = w[i] - (g[i] * lr);
            }
            return;
        }
        let mom = T::c(self.momentum);
        let m = &mut s[0];
        for i in 0..w.len() {
            m[i] = -g[i] * lr + m[i] * mom;
            if self.nesterov {
                w[i] = w[i] + (-g[i] * lr + m[i] * mom);
            } else {
                w[i] = w[i] + (m[i]);
            }
        }
    }
}

/// Adam / AdamW (the decay is the base's). Slots: m, v (and v_hat with AMSGrad).
#[derive(Debug, Clone)]
pub struct AdamRule {
    /// First-moment decay.
    pub beta_1: f64,
    /// Second-moment decay.
    pub beta_2: f64,
    /// Denominator fuzz.
    pub epsilon: f64,
    /// Keep the maximum of past second moments.
    pub amsgrad: bool,
}

impl AdamRule {
    /// The bias-corrected step size `lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)`.
    fn alpha(&self, info: &StepInfo) -> f64 {
        let t = info.step as f64;
        info.lr * (1.0 - self.beta_2.powf(t)).sqrt() / (1.0 - self.beta_1.powf(t))
    }
}

impl UpdateRule for AdamRule {
    fn num_slots(&self) -> usize {
        if self.amsgrad {
            3
        } else {
            2
        }
    }
    fn keras_layout(&self) -> Vec<Vec<usize>> {
        // Momentums and velocities interleaved, then the velocity maxima (AMSGrad).
        if self.amsgrad {
            vec![vec![0, 1], vec![2]]
        } else {
            vec![vec![0, 1]]
        }
    }
    fn update_f32(&self, g: &[f32], w: &mut [f32], s: &mut [Vec<f32>], info: &StepInfo) {
        if self.amsgrad || s.len() < 2 {
            return self.update(g, w, s, info);
        }
        let (ms, vs) = s.split_at_mut(1);
        let c = kiln_tensor::cpu::optim::AdamCoefs {
            one_minus_beta_1: (1.0 - self.beta_1) as f32,
            one_minus_beta_2: (1.0 - self.beta_2) as f32,
            epsilon: self.epsilon as f32,
            alpha: self.alpha(info) as f32,
        };
        if kiln_tensor::cpu::optim::adam_f32(w, g, &mut ms[0], &mut vs[0], c).is_err() {
            // Lengths that differ cannot come from the optimizer (it sizes the slots from
            // the gradient); fall back to the generic loop, which stops at the shortest.
            self.update(g, w, s, info);
        }
    }
    fn update<T: Real>(&self, g: &[T], w: &mut [T], s: &mut [Vec<T>], info: &StepInfo) {
        let alpha = self.alpha(info);
        let (b1, b2, eps, alpha) = (
            T::c(1.0 - self.beta_1),
            T::c(1.0 - self.beta_2),
            T::c(self.epsilon),
            T::c(alpha),
        );
        let (ms, rest) = s.split_at_mut(1);
        let (vs, vh) = rest.split_at_mut(1);
        let (m, v) = (&mut ms[0], &mut vs[0]);
        if self.amsgrad {
            let h = &mut vh[0];
            for i in 0..w.len() {
                let gi = g[i];
                m[i] = m[i] + (gi - m[i]) * b1;
                v[i] = v[i] + (gi * gi - v[i]) * b2;
                h[i] = h[i].max(v[i]);
                w[i] = w[i] - m[i] * alpha / (h[i].sqrt() + eps);
            }
            return;
        }
        // Zipped iterators: no bounds checks, so the loop vectorises.
        for (((wi, &gi), mi), vi) in w.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
            let mn = *mi + (gi - *mi) * b1;
            let vn = *vi + (gi * gi - *vi) * b2;
            *mi = mn;
            *vi = vn;
            *wi = *wi - mn * alpha / (vn.sqrt() + eps);
        }
    }
}

/// RMSprop. Slots: velocity, momentum (if any), average gradient (if centered).
#[derive(Debug, Clone)]
pub struct RmspropRule {
    /// Decay of the squared-gradient average.
    pub rho: f64,
    /// Momentum factor.
    pub momentum: f64,
    /// Denominator fuzz.
    pub epsilon: f64,
    /// Normalise by the gradient's variance instead of its second moment.
    pub centered: bool,
}

impl UpdateRule for RmspropRule {
    fn num_slots(&self) -> usize {
        3
    }
    fn keras_layout(&self) -> Vec<Vec<usize>> {
        // Three `add_optimizer_variables` calls: velocity; momentum if any; average
        // gradient if centered.
        let mut l = vec![vec![0]];
        if self.momentum > 0.0 {
            l.push(vec![1]);
        }
        if self.centered {
            l.push(vec![2]);
        }
        l
    }
    fn update<T: Real>(&self, g: &[T], w: &mut [T], s: &mut [Vec<T>], info: &StepInfo) {
        let (lr, rho, one_rho, eps, mom) = (
            T::c(info.lr),
            T::c(self.rho),
            T::c(1.0 - self.rho),
            T::c(self.epsilon),
            T::c(self.momentum),
        );
        let [vel, mo, avg] = s else { return };
        for i in 0..w.len() {
            let gi = g[i];
            vel[i] = rho * vel[i] + one_rho * gi * gi;
            let denom = if self.centered {
                avg[i] = rho * avg[i] + one_rho * gi;
                vel[i] - avg[i] * avg[i] + eps
            } else {
                vel[i] + eps
            };
            let inc = lr * gi / denom.sqrt();
            if self.momentum > 0.0 {
                mo[i] = mom * mo[i] + inc;
                w[i] = w[i] - (mo[i]);
            } else {
                w[i] = w[i] - (inc);
            }
        }
    }
}

/// Adagrad. Slot: accumulator (starts at `initial_accumulator_value`).
#[derive(Debug, Clone)]
pub struct AdagradRule {
    /// Starting value of the accumulator.
    pub initial_accumulator_value: f64,
    /// Denominator fuzz.
    pub epsilon: f64,
}

impl UpdateRule for AdagradRule {
    fn num_slots(&self) -> usize {
        1
    }
    fn slot_init(&self, _i: usize) -> f64 {
        self.initial_accumulator_value
    }
    fn update<T: Real>(&self, g: &[T], w: &mut [T], s: &mut [Vec<T>], info: &StepInfo) {
        let (lr, eps) = (T::c(info.lr), T::c(self.epsilon));
        let acc = &mut s[0];
        for i in 0..w.len() {
            acc[i] = acc[i] + (g[i] * g[i]);
            w[i] = w[i] - (lr * g[i] / (acc[i] + eps).sqrt());
        }
    }
}

/// Adadelta. Slots: accumulated gradient, accumulated update.
#[derive(Debug, Clone)]
pub struct AdadeltaRule {
    /// Decay rate.
    pub rho: f64,
    /// Fuzz inside the square roots.
    pub epsilon: f64,
}

impl UpdateRule for AdadeltaRule {
    fn num_slots(&self) -> usize {
        2
    }
    fn update<T: Real>(&self, g: &[T], w: &mut [T], s: &mut [Vec<T>], info: &StepInfo) {
        let (lr, rho, one_rho, eps) = (
            T::c(info.lr),
            T::c(self.rho),
            T::c(1.0 - self.rho),
            T::c(self.epsilon),
        );
        let [ag, ad] = s else { return };
        for i in 0..w.len() {
            ag[i] = rho * ag[i] + one_rho * g[i] * g[i];
            let delta = -(ad[i] + eps).sqrt() * g[i] / (ag[i] + eps).sqrt();
            ad[i] = rho * ad[i] + one_rho * delta * delta;
            w[i] = w[i] + (lr * delta);
        }
    }
}

/// Adamax. Slots: m, u.
#[derive(Debug, Clone)]
pub struct AdamaxRule {
    /// First-moment decay.
    pub beta_1: f64,
    /// Infinity-norm decay.
    pub beta_2: f64,
    /// Denominator fuzz.
    pub epsilon: f64,
}

impl UpdateRule for AdamaxRule {
    fn num_slots(&self) -> usize {
        2
    }
    fn update<T: Real>(&self, g: &[T], w: &mut [T], s: &mut [Vec<T>], info: &StepInfo) {
        let b1p = self.beta_1.powf(info.step as f64);
        let (lr, b1, b2, eps, denom_f) = (
            T::c(info.lr),
            T::c(1.0 - self.beta_1),
            T::c(self.beta_2),
            T::c(self.epsilon),
            T::c(1.0 - b1p),
        );
        let [m, u] = s else { return };
        for i in 0..w.len() {
            m[i] = m[i] + ((g[i] - m[i]) * b1);
            u[i] = (b2 * u[i]).max(g[i].abs());
            w[i] = w[i] - ((lr * m[i]) / (denom_f * (u[i] + eps)));
        }
    }
}

/// Nadam. Slots: m, v; the momentum-schedule product is shared by all variables.
#[derive(Debug, Clone)]
pub struct NadamRule {
    /// First-moment decay.
    pub beta_1: f64,
    /// Second-moment decay.
    pub beta_2: f64,
    /// Denominator fuzz.
    pub epsilon: f64,
    /// Product of the momentum schedule up to the current step.
    pub u_product: f64,
}

impl UpdateRule for NadamRule {
    fn num_slots(&self) -> usize {
        2
    }
    fn extra_scalars(&self) -> usize {
        1
    }
    fn begin_step(&mut self, info: &StepInfo) {
        // Keras keeps this product in float32.
        let u = (self.u_product as f32)
            * (self.beta_1 as f32)
            * (1.0 - 0.5 * 0.96f32.powf(info.step as f32));
        self.u_product = u as f64;
    }
    fn update<T: Real>(&self, g: &[T], w: &mut [T], s: &mut [Vec<T>], info: &StepInfo) {
        let t = info.step as f64;
        let u_t = self.beta_1 * (1.0 - 0.5 * 0.96f64.powf(t));
        let u_t_1 = self.beta_1 * (1.0 - 0.5 * 0.96f64.powf(t + 1.0));
        let u_prod = self.u_product;
        let u_prod_1 = u_prod * u_t_1;
        let b2p = self.beta_2.powf(t);
        let (lr, b1, b2, eps) = (
            T::c(info.lr),
            T::c(1.0 - self.beta_1),
            T::c(1.0 - self.beta_2),
            T::c(self.epsilon),
        );
        let (c1, c2, c3) = (
            T::c(u_t_1 / (1.0 - u_prod_1)),
            T::c((1.0 - u_t) / (1.0 - u_prod)),
            T::c(1.0 - b2p),
        );
        let [m, v] = s else { return };
        for i in 0..w.len() {
            m[i] = m[i] + ((g[i] - m[i]) * b1);
            v[i] = v[i] + ((g[i] * g[i] - v[i]) * b2);
            let m_hat = c1 * m[i] + c2 * g[i];
            let v_hat = v[i] / c3;
            w[i] = w[i] - ((m_hat * lr) / (v_hat.sqrt() + eps));
        }
    }
}

/// Lion. Slot: m.
#[derive(Debug, Clone)]
pub struct LionRule {
    /// Interpolation for the update direction.
    pub beta_1: f64,
    /// Decay of the momentum.
    pub beta_2: f64,
}

impl UpdateRule for LionRule {
    fn num_slots(&self) -> usize {
        1
    }
    fn update<T: Real>(&self, g: &[T], w: &mut [T], s: &mut [Vec<T>], info: &StepInfo) {
        let (lr, b1, ob1, b2, ob2) = (
            T::c(info.lr),
            T::c(self.beta_1),
            T::c(1.0 - self.beta_1),
            T::c(self.beta_2),
            T::c(1.0 - self.beta_2),
        );
        let m = &mut s[0];
        for i in 0..w.len() {
            w[i] = w[i] - (lr * (m[i] * b1 + g[i] * ob1).sign());
            m[i] = m[i] * b2 + g[i] * ob2;
        }
    }
}
