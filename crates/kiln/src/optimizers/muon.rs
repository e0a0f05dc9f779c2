//! `keras.optimizers.Muon`: momentum orthogonalised by Newton-Schulz iterations for 2-D
//! variables, AdamW for the rest (and for embeddings and excluded layers).

// `a[i] = a[i] + x` rather than `a[i] += x` (generic element type).
#![allow(clippy::assign_op_pattern)]

use regex::Regex;

use crate::optimizers::prelude::*;

/// Muon. Slots: momentum (every variable), velocity (the AdamW variables only; Keras
/// creates no velocity for the Muon ones).
#[derive(Debug, Clone)]
pub struct MuonRule {
    /// AdamW's first-moment decay.
    pub adam_beta_1: f64,
    /// AdamW's second-moment decay.
    pub adam_beta_2: f64,
    /// AdamW's decoupled weight decay (the Muon variables use `weight_decay`).
    pub adam_weight_decay: Option<f64>,
    /// AdamW's denominator fuzz.
    pub epsilon: f64,
    /// Regular expressions: a variable whose path matches one is trained with AdamW.
    pub exclude_layers: Vec<String>,
    /// Train variables whose path contains "embedding" with AdamW.
    pub exclude_embeddings: bool,
    /// Newton-Schulz coefficient `a`.
    pub muon_a: f64,
    /// Newton-Schulz coefficient `b`.
    pub muon_b: f64,
    /// Newton-Schulz coefficient `c`.
    pub muon_c: f64,
    /// AdamW's learning rate as a multiple of the optimizer's.
    pub adam_lr_ratio: f64,
    /// Muon's momentum.
    pub momentum: f64,
    /// Newton-Schulz iterations.
    pub ns_steps: u64,
    /// Nesterov momentum for the Muon variables.
    pub nesterov: bool,
    /// Scales the Muon update by `sqrt(max(rows, cols)) * rms_rate` (none: unscaled).
    pub rms_rate: Option<f64>,
}

impl MuonRule {
    /// Keras's `_should_use_adamw`: not 2-D, an embedding, or a path an exclusion
    /// matches (patterns that do not compile are refused by `validate`).
    fn uses_adamw(&self, shape: &[usize], name: &str) -> bool {
        shape.len() != 2
            || (self.exclude_embeddings && name.to_lowercase().contains("embedding"))
            || self
                .exclude_layers
                .iter()
                .any(|p| Regex::new(p).is_ok_and(|r| r.is_match(name)))
    }

    fn adamw<T: Real>(&self, g: &[T], w: &mut [T], m: &mut [T], v: &mut [T], info: &StepInfo) {
        let lr = info.lr * self.adam_lr_ratio;
        let t = T::c(info.step as f64);
        let one = T::c(1.0);
        let (b1p, b2p) = (
            T::c(self.adam_beta_1).powf(t),
            T::c(self.adam_beta_2).powf(t),
        );
        let alpha = T::c(lr) * (one - b2p).sqrt() / (one - b1p);
        let (ob1, ob2, eps) = (
            T::c(1.0 - self.adam_beta_1),
            T::c(1.0 - self.adam_beta_2),
            T::c(self.epsilon),
        );
        for i in 0..w.len() {
            m[i] = m[i] + (g[i] - m[i]) * ob1;
            v[i] = v[i] + (g[i] * g[i] - v[i]) * ob2;
            w[i] = w[i] - m[i] * alpha / (v[i].sqrt() + eps);
        }
    }

    /// Keras's `zeropower_via_newtonschulz5` of a `rows x cols` matrix.
    fn newton_schulz<T: Real>(&self, x: &[T], rows: usize, cols: usize) -> Vec<T> {
        let tall = rows > cols;
        // Work on the wide orientation (r <= c).
        let (r, c) = if tall { (cols, rows) } else { (rows, cols) };
        let mut x: Vec<T> = if tall {
            transpose(x, rows, cols)
        } else {
            x.to_vec()
        };
        let norm = x.iter().map(|&a| a.f64() * a.f64()).sum::<f64>().sqrt();
        let inv = T::c(1.0) / (T::c(norm) + T::c(1e-7));
        x.iter_mut().for_each(|a| *a = *a * inv);
        let (a, b, cc) = (T::c(self.muon_a), T::c(self.muon_b), T::c(self.muon_c));
        for _ in 0..self.ns_steps {
            let xt = transpose(&x, r, c);
            let ta = matmul(&x, &xt, r, c, r);
            let aa = matmul(&ta, &ta, r, r, r);
            let tb: Vec<T> = ta.iter().zip(&aa).map(|(&p, &q)| b * p + cc * q).collect();
            let bx = matmul(&tb, &x, r, r, c);
            x = x.iter().zip(&bx).map(|(&p, &q)| a * p + q).collect();
        }
        if tall {
            transpose(&x, r, c)
        } else {
            x
        }
    }
}

fn transpose<T: Real>(x: &[T], rows: usize, cols: usize) -> Vec<T> {
    let mut out = vec![T::c(0.0); x.len()];
    for i in 0..rows {
        for j in 0..cols {
            out[j * rows + i] = x[i * cols + j];
        }
    }
    out
}

/// `[n, k] @ [k, m]`, row-major.
fn matmul<T: Real>(a: &[T], b: &[T], n: usize, k: usize, m: usize) -> Vec<T> {
    let mut out = vec![T::c(0.0); n * m];
    for i in 0..n {
        for p in 0..k {
            let aip = a[i * k + p];
            let row = &b[p * m..(p + 1) * m];
            for (o, &bv) in out[i * m..(i + 1) * m].iter_mut().zip(row) {
                *o += aip * bv;
            }
        }
    }
    out
}

impl UpdateRule for MuonRule {
    fn num_slots(&self) -> usize {
        2
    }
    fn keras_has_slot(&self, i: usize, shape: &[usize], name: &str) -> bool {
        i == 0 || self.uses_adamw(shape, name)
    }
    fn weight_decay_for(&self, weight_decay: Option<f64>, info: &StepInfo) -> Option<f64> {
        if self.uses_adamw(info.shape, info.name) {
            self.adam_weight_decay
        } else {
            weight_decay
        }
    }
    fn update<T: Real>(&self, g: &[T], w: &mut [T], s: &mut [Vec<T>], info: &StepInfo) {
        let [m, v] = s else { return };
        if self.uses_adamw(info.shape, info.name) {
            return self.adamw(g, w, m, v, info);
        }
        let (rows, cols) = (info.shape[0], info.shape[1]);
        let mom = T::c(self.momentum);
        for i in 0..w.len() {
            m[i] = m[i] + (g[i] + m[i] * (mom - T::c(1.0)));
        }
        let dir: Vec<T> = if self.nesterov {
            g.iter()
                .zip(m.iter())
                .map(|(&gi, &mi)| gi + mom * mi)
                .collect()
        } else {
            m.clone()
        };
        let update = self.newton_schulz(&dir, rows, cols);
        let lr = T::c(info.lr);
        let adjust = match self.rms_rate {
            Some(rate) => T::c((rows.max(cols) as f64).sqrt() * rate),
            None => T::c(1.0),
        };
        for (wi, &u) in w.iter_mut().zip(&update) {
            *wi = *wi - (lr * u) * adjust;
        }
    }
}

optimizer!(
    /// `keras.optimizers.Muon(learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999,
    /// adam_weight_decay=0.004, epsilon=1e-7, weight_decay=0.004, exclude_layers=None,
    /// exclude_embeddings=True, muon_a=3.4445, muon_b=-4.7750, muon_c=2.0315,
    /// adam_lr_ratio=1, momentum=0.95, ns_steps=5, nesterov=True, rms_rate=0.2)`.
    ///
    /// 2-D variables follow Muon; the others (biases, embeddings, paths matching
    /// `exclude_layers`) follow AdamW.
    ///
    /// ```
    /// use kiln::optimizers::{Muon, Optimizer};
    /// use kiln_tensor::{Tensor, Variable};
    /// let k = Variable::new(Tensor::from_vec(vec![1.0f32, 0.0, 0.0, 1.0], &[2, 2])?, "dense/kernel", true);
    /// let b = Variable::new(Tensor::from_vec(vec![0.5f32, 0.5], &[2])?, "dense/bias", true);
    /// let mut opt = Muon::new(0.01);
    /// let g = |v: Vec<f32>, s: &[usize]| Tensor::from_vec(v, s);
    /// opt.apply_gradients(&[(g(vec![0.1, 0.2, 0.3, 0.4], &[2, 2])?, k.clone()), (g(vec![1.0, -1.0], &[2])?, b.clone())])?;
    /// // Keras's saved slots: the kernel's momentum; the bias's momentum and velocity.
    /// assert_eq!(opt.export_state(&[k, b]).unwrap().len(), 2 + 1 + 2);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    Muon, "muon", MuonRule, default_lr = 0.001,
    {
        adam_beta_1: f64 = 0.9, "AdamW's first-moment decay.";
        adam_beta_2: f64 = 0.999, "AdamW's second-moment decay.";
        adam_weight_decay: Option<f64> = Some(0.004), "AdamW's weight decay.";
        epsilon: f64 = 1e-7, "AdamW's denominator fuzz.";
        exclude_layers: Vec<String> = Vec::new(), "Path patterns trained with AdamW.";
        exclude_embeddings: bool = true, "Train embeddings with AdamW.";
        muon_a: f64 = 3.4445, "Newton-Schulz coefficient `a`.";
        muon_b: f64 = -4.7750, "Newton-Schulz coefficient `b`.";
        muon_c: f64 = 2.0315, "Newton-Schulz coefficient `c`.";
        adam_lr_ratio: f64 = 1.0, "AdamW's learning rate over the optimizer's.";
        momentum: f64 = 0.95, "Muon's momentum.";
        ns_steps: u64 = 5, "Newton-Schulz iterations.";
        nesterov: bool = true, "Nesterov momentum.";
        rms_rate: Option<f64> = Some(0.2), "Update RMS scaling (None: off).";
    }
);

impl Muon {
    fn init(&mut self) {
        self.core.weight_decay = Some(0.004);
    }
    fn validate(&self) -> Result<()> {
        for p in &self.rule.exclude_layers {
            if let Err(e) = Regex::new(p) {
                return invalid(
                    "Muon",
                    format!("exclude_layers entry '{p}' is not a regular expression: {e}"),
                );
            }
        }
        Ok(())
    }
}
