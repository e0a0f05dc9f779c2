//! t-SNE's gradient descent (`_gradient_descent`) and its exact and Barnes-Hut
//! (`_barnes_hut_tsne.pyx`) gradients.

use rayon::prelude::*;

use super::affinities::condensed;
use super::{Affinities, CHUNK, MACHINE_EPSILON, N_ITER_CHECK, PARALLEL_SAMPLES};
use crate::manifold::quad_tree::QuadTree;
use crate::numeric::np_sum;

/// `_gradient_descent`'s fixed arguments.
pub(super) struct Optimizer {
    pub(super) learning_rate: f64,
    pub(super) min_grad_norm: f64,
}

impl Optimizer {
    /// `_gradient_descent` from iteration `it` to `max_iter` (exclusive): momentum and
    /// per-parameter gains (`+0.2` where the update and the gradient disagree in sign,
    /// `×0.8` elsewhere, at least `0.01`), the error computed every 50 iterations and
    /// at the last; stops when the error has not improved for
    /// `n_iter_without_progress` iterations or the gradient norm is at most
    /// `min_grad_norm`. Returns the parameters, the last error and the last iteration.
    pub(super) fn descend(
        &self,
        mut p: Vec<f32>,
        it: usize,
        max_iter: usize,
        momentum: f64,
        n_iter_without_progress: i64,
        mut objective: impl FnMut(&[f32], bool) -> (f64, Vec<f32>),
    ) -> (Vec<f32>, f64, usize) {
        let mut update = vec![0.0f64; p.len()];
        let mut gains = vec![1.0f32; p.len()];
        let mut error = f64::MAX;
        let mut best_error = f64::MAX;
        let mut best_iter = it;
        let mut i = it;
        for iter in it..max_iter {
            i = iter;
            let check = (iter + 1) % N_ITER_CHECK == 0;
            let (err, mut grad) = objective(&p, check || iter == max_iter - 1);
            error = err;
            for t in 0..p.len() {
                let inc = update[t] * f64::from(grad[t]) < 0.0;
                if inc {
                    gains[t] += 0.2f32;
                } else {
                    gains[t] *= 0.8f32;
                }
                if gains[t] < 0.01f32 {
                    gains[t] = 0.01f32;
                }
                grad[t] *= gains[t];
                update[t] = momentum * update[t] - self.learning_rate * f64::from(grad[t]);
                p[t] = (f64::from(p[t]) + update[t]) as f32;
            }
            if check {
                let grad_norm = grad
                    .iter()
                    .map(|&g| f64::from(g) * f64::from(g))
                    .sum::<f64>()
                    .sqrt();
                if error < best_error {
                    best_error = error;
                    best_iter = iter;
                } else if iter as i64 - best_iter as i64 > n_iter_without_progress {
                    break;
                }
                if grad_norm <= self.min_grad_norm {
                    break;
                }
            }
        }
        (p, error, i)
    }
}

/// `_kl_divergence`: the exact error and gradient over all pairs, from the condensed
/// `P`.
pub(super) fn exact_gradient(
    p: &[f64],
    y: &[f32],
    n: usize,
    c: usize,
    dof: f64,
    compute_error: bool,
) -> (f64, Vec<f32>) {
    let mut dist = Vec::with_capacity(p.len());
    for i in 0..n {
        for j in i + 1..n {
            let mut s = 0.0;
            for a in 0..c {
                let t = f64::from(y[i * c + a]) - f64::from(y[j * c + a]);
                s += t * t;
            }
            let mut v = s / dof + 1.0;
            let e = (dof + 1.0) / -2.0;
            v = if e == -1.0 { 1.0 / v } else { v.powf(e) };
            dist.push(v);
        }
    }
    let total = 2.0 * np_sum(&dist);
    let q: Vec<f64> = dist
        .iter()
        .map(|d| (d / total).max(MACHINE_EPSILON))
        .collect();
    let kl = if compute_error {
        2.0 * p
            .iter()
            .zip(&q)
            .map(|(pv, qv)| pv * (pv.max(MACHINE_EPSILON) / qv).ln())
            .sum::<f64>()
    } else {
        f64::NAN
    };
    let pqd: Vec<f64> = p
        .iter()
        .zip(&q)
        .zip(&dist)
        .map(|((pv, qv), d)| (pv - qv) * d)
        .collect();
    let coef = (2.0 * (dof + 1.0) / dof) as f32;
    let mut grad = vec![0.0f32; n * c];
    for i in 0..n {
        for a in 0..c {
            let yi = y[i * c + a];
            let mut s = 0.0f64;
            for j in 0..n {
                if j != i {
                    let (lo, hi) = if i < j { (i, j) } else { (j, i) };
                    s += pqd[condensed(n, lo, hi)] * f64::from(yi - y[j * c + a]);
                }
            }
            grad[i * c + a] = (s as f32) * coef;
        }
    }
    (kl, grad)
}

/// `_kl_divergence_bh`: the Barnes-Hut gradient (attraction over the sparse `P`,
/// repulsion summarised on the tree) and, when asked, the error.
#[allow(clippy::too_many_arguments)]
pub(super) fn bh_gradient(
    val_p: &[f32],
    p: &Affinities,
    y: &[f32],
    n: usize,
    c: usize,
    dof: f64,
    angle: f32,
    compute_error: bool,
) -> (f64, Vec<f32>) {
    let tree = QuadTree::build(y, c);
    debug_assert_eq!(tree.n_points(), n);
    let dof_f = dof as f32;
    let exponent = ((dof + 1.0) / 2.0) as f32;
    let squared_theta = angle * angle;
    // negative forces and sum_Q, per chunk
    let negative = |start: usize, neg: &mut [f32]| -> f64 {
        let mut s = 0.0;
        for (o, f) in neg.chunks_exact_mut(c).enumerate() {
            let i = start + o;
            s += tree.negative_force(&y[i * c..(i + 1) * c], squared_theta, dof_f, exponent, f);
        }
        s
    };
    let mut neg = vec![0.0f32; n * c];
    let parallel = n >= PARALLEL_SAMPLES;
    let partial: Vec<f64> = if parallel {
        neg.par_chunks_mut(CHUNK * c)
            .enumerate()
            .map(|(t, chunk)| negative(t * CHUNK, chunk))
            .collect()
    } else {
        neg.chunks_mut(CHUNK * c)
            .enumerate()
            .map(|(t, chunk)| negative(t * CHUNK, chunk))
            .collect()
    };
    let sum_q = partial.iter().sum::<f64>().max(f64::EPSILON);
    // positive forces and the error, per chunk
    let positive = |start: usize, pos: &mut [f32]| -> f32 {
        let mut err = 0.0f32;
        let mut buff = [0.0f32; 3];
        for (o, f) in pos.chunks_exact_mut(c).enumerate() {
            let i = start + o;
            let entries = p.indptr[i]..p.indptr[i + 1];
            for (&j, &pij) in p.indices[entries.clone()].iter().zip(&val_p[entries]) {
                let mut dij = 0.0f32;
                for a in 0..c {
                    buff[a] = y[i * c + a] - y[j * c + a];
                    dij += buff[a] * buff[a];
                }
                let mut qij = dof_f / (dof_f + dij);
                if dof_f != 1.0 {
                    qij = qij.powf(exponent);
                }
                let w = pij * qij;
                if compute_error {
                    let q = (f64::from(qij) / sum_q) as f32;
                    let ratio = pij.max(f32::MIN_POSITIVE) / q.max(f32::MIN_POSITIVE);
                    err = (f64::from(err) + f64::from(pij) * f64::from(ratio).ln()) as f32;
                }
                for a in 0..c {
                    f[a] += w * buff[a];
                }
            }
        }
        err
    };
    let mut pos = vec![0.0f32; n * c];
    let errors: Vec<f32> = if parallel {
        pos.par_chunks_mut(CHUNK * c)
            .enumerate()
            .map(|(t, chunk)| positive(t * CHUNK, chunk))
            .collect()
    } else {
        pos.chunks_mut(CHUNK * c)
            .enumerate()
            .map(|(t, chunk)| positive(t * CHUNK, chunk))
            .collect()
    };
    let coef = (2.0 * (dof + 1.0) / dof) as f32;
    let grad: Vec<f32> = pos
        .iter()
        .zip(&neg)
        .map(|(&pf, &nf)| ((f64::from(pf) - f64::from(nf) / sum_q) as f32) * coef)
        .collect();
    let error = if compute_error {
        f64::from(errors.iter().fold(0.0f32, |a, &b| a + b))
    } else {
        f64::NAN
    };
    (error, grad)
}
