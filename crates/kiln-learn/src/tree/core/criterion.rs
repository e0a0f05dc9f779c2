//! The impurity criteria (`_criterion.pyx`): `gini`, `entropy`/`log_loss` and
//! `squared_error`, their running sums and the proxy improvement.

use super::{CriterionKind, Targets};

pub(super) struct Criterion<'a> {
    pub(super) kind: CriterionKind,
    pub(super) targets: Targets<'a>,
    pub(super) sample_weight: Option<&'a [f64]>,
    pub(super) weighted_n_samples: f64,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) pos: usize,
    /// per class (classification) or one slot (regression)
    pub(super) sum_total: Vec<f64>,
    pub(super) sum_left: Vec<f64>,
    pub(super) sum_right: Vec<f64>,
    pub(super) sq_sum_total: f64,
    pub(super) weighted_n_node_samples: f64,
    pub(super) weighted_n_left: f64,
    pub(super) weighted_n_right: f64,
}

impl<'a> Criterion<'a> {
    pub(super) fn new(
        kind: CriterionKind,
        targets: Targets<'a>,
        sample_weight: Option<&'a [f64]>,
        weighted_n_samples: f64,
    ) -> Self {
        let width = match targets {
            Targets::Classes { n_classes, .. } => n_classes,
            Targets::Values(_) => 1,
        };
        Criterion {
            kind,
            targets,
            sample_weight,
            weighted_n_samples,
            start: 0,
            end: 0,
            pos: 0,
            sum_total: vec![0.0; width],
            sum_left: vec![0.0; width],
            sum_right: vec![0.0; width],
            sq_sum_total: 0.0,
            weighted_n_node_samples: 0.0,
            weighted_n_left: 0.0,
            weighted_n_right: 0.0,
        }
    }

    #[inline]
    pub(super) fn w(&self, i: usize) -> f64 {
        self.sample_weight.map_or(1.0, |w| w[i])
    }

    pub(super) fn init(&mut self, samples: &[usize], start: usize, end: usize) {
        self.start = start;
        self.end = end;
        self.weighted_n_node_samples = 0.0;
        self.sum_total.iter_mut().for_each(|v| *v = 0.0);
        self.sq_sum_total = 0.0;
        match self.targets {
            Targets::Classes { y, .. } => {
                for &i in &samples[start..end] {
                    let w = self.w(i);
                    self.sum_total[y[i]] += w;
                    self.weighted_n_node_samples += w;
                }
            }
            Targets::Values(y) => {
                for &i in &samples[start..end] {
                    let w = self.w(i);
                    let wy = w * y[i];
                    self.sum_total[0] += wy;
                    self.sq_sum_total += wy * y[i];
                    self.weighted_n_node_samples += w;
                }
            }
        }
        self.reset();
    }

    pub(super) fn reset(&mut self) {
        self.pos = self.start;
        self.sum_left.iter_mut().for_each(|v| *v = 0.0);
        self.sum_right.copy_from_slice(&self.sum_total);
        self.weighted_n_left = 0.0;
        self.weighted_n_right = self.weighted_n_node_samples;
    }

    pub(super) fn reverse_reset(&mut self) {
        self.pos = self.end;
        self.sum_right.iter_mut().for_each(|v| *v = 0.0);
        self.sum_left.copy_from_slice(&self.sum_total);
        self.weighted_n_right = 0.0;
        self.weighted_n_left = self.weighted_n_node_samples;
    }

    /// Moves `samples[pos..new_pos]` to the left child, from whichever end is nearer.
    pub(super) fn update(&mut self, samples: &[usize], new_pos: usize) {
        let pos = self.pos;
        let forward = new_pos - pos <= self.end - new_pos;
        if !forward {
            self.reverse_reset();
        }
        match self.targets {
            Targets::Classes { y, .. } => {
                if forward {
                    for &i in &samples[pos..new_pos] {
                        let w = self.w(i);
                        self.sum_left[y[i]] += w;
                        self.weighted_n_left += w;
                    }
                } else {
                    for &i in samples[new_pos..self.end].iter().rev() {
                        let w = self.w(i);
                        self.sum_left[y[i]] -= w;
                        self.weighted_n_left -= w;
                    }
                }
            }
            Targets::Values(y) => {
                if forward {
                    for &i in &samples[pos..new_pos] {
                        let w = self.w(i);
                        self.sum_left[0] += w * y[i];
                        self.weighted_n_left += w;
                    }
                } else {
                    for &i in samples[new_pos..self.end].iter().rev() {
                        let w = self.w(i);
                        self.sum_left[0] -= w * y[i];
                        self.weighted_n_left -= w;
                    }
                }
            }
        }
        self.weighted_n_right = self.weighted_n_node_samples - self.weighted_n_left;
        for c in 0..self.sum_total.len() {
            self.sum_right[c] = self.sum_total[c] - self.sum_left[c];
        }
        self.pos = new_pos;
    }

    pub(super) fn class_impurity(&self, sums: &[f64], weight: f64) -> f64 {
        match self.kind {
            CriterionKind::Gini => {
                let mut sq = 0.0;
                for &c in sums {
                    sq += c * c;
                }
                1.0 - sq / (weight * weight)
            }
            _ => {
                let mut entropy = 0.0;
                for &c in sums {
                    if c > 0.0 {
                        let p = c / weight;
                        entropy -= p * (p.ln() / std::f64::consts::LN_2);
                    }
                }
                entropy
            }
        }
    }

    pub(super) fn node_impurity(&self) -> f64 {
        match self.targets {
            Targets::Classes { .. } => {
                self.class_impurity(&self.sum_total, self.weighted_n_node_samples)
            }
            Targets::Values(_) => {
                let w = self.weighted_n_node_samples;
                let mean = self.sum_total[0] / w;
                self.sq_sum_total / w - mean.powi(2)
            }
        }
    }

    pub(super) fn children_impurity(&self, samples: &[usize]) -> (f64, f64) {
        match self.targets {
            Targets::Classes { .. } => (
                self.class_impurity(&self.sum_left, self.weighted_n_left),
                self.class_impurity(&self.sum_right, self.weighted_n_right),
            ),
            Targets::Values(y) => {
                let mut sq_left = 0.0;
                for &i in &samples[self.start..self.pos] {
                    let w = self.w(i);
                    sq_left += w * y[i] * y[i];
                }
                let sq_right = self.sq_sum_total - sq_left;
                let (wl, wr) = (self.weighted_n_left, self.weighted_n_right);
                (
                    sq_left / wl - (self.sum_left[0] / wl).powi(2),
                    sq_right / wr - (self.sum_right[0] / wr).powi(2),
                )
            }
        }
    }

    pub(super) fn proxy_impurity_improvement(&self, samples: &[usize]) -> f64 {
        match self.targets {
            Targets::Classes { .. } => {
                let (l, r) = self.children_impurity(samples);
                -self.weighted_n_right * r - self.weighted_n_left * l
            }
            Targets::Values(_) => {
                let (sl, sr) = (self.sum_left[0], self.sum_right[0]);
                sl * sl / self.weighted_n_left + sr * sr / self.weighted_n_right
            }
        }
    }

    pub(super) fn impurity_improvement(&self, parent: f64, left: f64, right: f64) -> f64 {
        let wn = self.weighted_n_node_samples;
        (wn / self.weighted_n_samples)
            * (parent - self.weighted_n_right / wn * right - self.weighted_n_left / wn * left)
    }

    pub(super) fn node_value(&self, out: &mut [f64]) {
        for (o, s) in out.iter_mut().zip(&self.sum_total) {
            *o = s / self.weighted_n_node_samples;
        }
    }
}

// ---------------------------------------------------------------------------------------
// sorting (scikit-learn's `simultaneous_sort` with the 3-way introsort)
