//! The Gaussian-process regressor Keras Tuner's `BayesianOptimizationOracle` fits
//! (moved here from kiln-tuner so that kiln-tuner and [`BayesSearchCV`](crate::model_selection::BayesSearchCV)
//! share the GP code): scikit-learn's
//! `GaussianProcessRegressor(kernel=Matern(nu=2.5), alpha=1e-4, normalize_y=True,
//! n_restarts_optimizer=20)`: an isotropic Matern 5/2 kernel whose length scale (bounds
//! `[1e-5, 1e5]`) is fitted by maximising the log marginal likelihood, and a posterior
//! mean and standard deviation with their gradients (for the acquisition optimiser).
//!
//! scikit-learn fits the length scale with L-BFGS-B from 1.0 and 20 random restarts in
//! log space. This port searches the same one-dimensional log-space interval globally (a
//! grid of 401 points, then a golden-section refinement of the best bracket), so it
//! finds the maximum scikit-learn's restarts find; the two agree to the optimisers'
//! tolerance, and exactly when the length scale is given ([`IsotropicMaternGp::fit_with_length_scale`]).

/// A fitted GP.
#[derive(Debug, Clone)]
pub struct IsotropicMaternGp {
    x: Vec<Vec<f64>>,
    length_scale: f64,
    alpha: f64,
    y_mean: f64,
    y_std: f64,
    /// lower Cholesky factor of K + alpha I (row-major n x n)
    l: Vec<f64>,
    /// (K + alpha I)^-1 y (normalised)
    weights: Vec<f64>,
}

const SQRT5: f64 = 2.23606797749979;

/// Matern 5/2 from a scaled distance `d` (as scikit-learn evaluates it).
fn matern52(d: f64) -> f64 {
    let k = d * 5f64.sqrt();
    (1.0 + k + k * k / 3.0) * (-k).exp()
}

fn dist(a: &[f64], b: &[f64], ls: f64) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            let d = x / ls - y / ls;
            d * d
        })
        .sum::<f64>()
        .sqrt()
}

/// Cholesky of a symmetric positive definite n x n matrix (lower, row-major); `None` if
/// not positive definite.
pub(crate) fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if s <= 0.0 || !s.is_finite() {
                    return None;
                }
                l[i * n + i] = s.sqrt();
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    Some(l)
}

pub(crate) fn solve_lower(l: &[f64], n: usize, b: &[f64]) -> Vec<f64> {
    let mut x = b.to_vec();
    for i in 0..n {
        let mut s = x[i];
        for k in 0..i {
            s -= l[i * n + k] * x[k];
        }
        x[i] = s / l[i * n + i];
    }
    x
}

pub(crate) fn solve_upper_t(l: &[f64], n: usize, b: &[f64]) -> Vec<f64> {
    // solves L^T x = b
    let mut x = b.to_vec();
    for i in (0..n).rev() {
        let mut s = x[i];
        for k in i + 1..n {
            s -= l[k * n + i] * x[k];
        }
        x[i] = s / l[i * n + i];
    }
    x
}

struct Factor {
    l: Vec<f64>,
    weights: Vec<f64>,
    lml: f64,
}

fn factor(x: &[Vec<f64>], y: &[f64], ls: f64, alpha: f64) -> Option<Factor> {
    let n = x.len();
    let mut k = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            k[i * n + j] = if i == j {
                1.0
            } else {
                matern52(dist(&x[i], &x[j], ls))
            };
        }
        k[i * n + i] += alpha;
    }
    let l = cholesky(&k, n)?;
    let weights = solve_upper_t(&l, n, &solve_lower(&l, n, y));
    let fit: f64 = y.iter().zip(&weights).map(|(a, b)| a * b).sum();
    let logdet: f64 = (0..n).map(|i| l[i * n + i].ln()).sum();
    let lml = -0.5 * fit - logdet - n as f64 / 2.0 * (2.0 * std::f64::consts::PI).ln();
    Some(Factor { l, weights, lml })
}

impl IsotropicMaternGp {
    /// Fits on `x` (n x d) and `y` (n), choosing the length scale that maximises the log
    /// marginal likelihood over `[1e-5, 1e5]`.
    pub fn fit(x: &[Vec<f64>], y: &[f64], alpha: f64) -> Option<IsotropicMaternGp> {
        let (ym, ys, yn) = normalize(y);
        let lml =
            |theta: f64| factor(x, &yn, theta.exp(), alpha).map_or(f64::NEG_INFINITY, |f| f.lml);
        let (lo, hi) = (1e-5f64.ln(), 1e5f64.ln());
        let steps = 400;
        let grid: Vec<f64> = (0..=steps)
            .map(|i| lo + (hi - lo) * i as f64 / steps as f64)
            .collect();
        let vals: Vec<f64> = grid.iter().map(|&t| lml(t)).collect();
        let best = (0..vals.len()).max_by(|&a, &b| {
            vals[a]
                .partial_cmp(&vals[b])
                .unwrap_or(std::cmp::Ordering::Equal)
        })?;
        let (mut a, mut b) = (grid[best.saturating_sub(1)], grid[(best + 1).min(steps)]);
        // golden-section search for the maximum in [a, b]
        let g = (5f64.sqrt() - 1.0) / 2.0;
        let mut c = b - g * (b - a);
        let mut d = a + g * (b - a);
        let (mut fc, mut fd) = (lml(c), lml(d));
        for _ in 0..200 {
            if (b - a).abs() < 1e-13 {
                break;
            }
            if fc > fd {
                b = d;
                d = c;
                fd = fc;
                c = b - g * (b - a);
                fc = lml(c);
            } else {
                a = c;
                c = d;
                fc = fd;
                d = a + g * (b - a);
                fd = lml(d);
            }
        }
        let theta = if fc > fd { c } else { d };
        let theta = if lml(theta) >= vals[best] {
            theta
        } else {
            grid[best]
        };
        IsotropicMaternGp::build(x, ym, ys, &yn, theta.exp(), alpha)
    }

    /// Fits with a given length scale (scikit-learn's `optimizer=None`).
    pub fn fit_with_length_scale(
        x: &[Vec<f64>],
        y: &[f64],
        alpha: f64,
        length_scale: f64,
    ) -> Option<IsotropicMaternGp> {
        let (ym, ys, yn) = normalize(y);
        IsotropicMaternGp::build(x, ym, ys, &yn, length_scale, alpha)
    }

    fn build(
        x: &[Vec<f64>],
        ym: f64,
        ys: f64,
        yn: &[f64],
        ls: f64,
        alpha: f64,
    ) -> Option<IsotropicMaternGp> {
        let f = factor(x, yn, ls, alpha)?;
        Some(IsotropicMaternGp {
            x: x.to_vec(),
            length_scale: ls,
            alpha,
            y_mean: ym,
            y_std: ys,
            l: f.l,
            weights: f.weights,
        })
    }

    /// The fitted length scale.
    pub fn length_scale(&self) -> f64 {
        self.length_scale
    }

    /// The noise level `alpha` added to the kernel's diagonal.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The log marginal likelihood of the (normalised) training targets.
    pub fn log_marginal_likelihood(&self) -> f64 {
        let n = self.x.len();
        let yn: Vec<f64> = {
            // y = K w  (recover normalised targets from the weights)
            let mut out = vec![0.0; n];
            for (i, o) in out.iter_mut().enumerate() {
                for j in 0..n {
                    let kij = if i == j {
                        1.0 + self.alpha
                    } else {
                        matern52(dist(&self.x[i], &self.x[j], self.length_scale))
                    };
                    *o += kij * self.weights[j];
                }
            }
            out
        };
        let fit: f64 = yn.iter().zip(&self.weights).map(|(a, b)| a * b).sum();
        let logdet: f64 = (0..n).map(|i| self.l[i * n + i].ln()).sum();
        -0.5 * fit - logdet - n as f64 / 2.0 * (2.0 * std::f64::consts::PI).ln()
    }

    /// Posterior mean and variance at `x` (in the units of `y`).
    pub fn predict(&self, x: &[f64]) -> (f64, f64) {
        let (m, v, _, _) = self.predict_grad(x, false);
        (m, v)
    }

    /// Mean, variance, and (when `grad`) their gradients with respect to `x`.
    pub fn predict_grad(&self, x: &[f64], grad: bool) -> (f64, f64, Vec<f64>, Vec<f64>) {
        let n = self.x.len();
        let dim = x.len();
        let ls = self.length_scale;
        let kstar: Vec<f64> = self.x.iter().map(|xi| matern52(dist(x, xi, ls))).collect();
        let mean_n: f64 = kstar.iter().zip(&self.weights).map(|(a, b)| a * b).sum();
        let v = solve_lower(&self.l, n, &kstar);
        let var_n = 1.0 - v.iter().map(|a| a * a).sum::<f64>();
        let var_n_clipped = if var_n < 0.0 { 0.0 } else { var_n };
        let mean = self.y_std * mean_n + self.y_mean;
        let var = var_n_clipped * self.y_std * self.y_std;
        if !grad {
            return (mean, var, Vec::new(), Vec::new());
        }
        // dk/dx for Matern 5/2: -(5/3) (1 + sqrt5 r) exp(-sqrt5 r) (x - xi) / ls^2
        let mut dmean = vec![0.0; dim];
        let mut dvar = vec![0.0; dim];
        let kinv_k = solve_upper_t(&self.l, n, &v);
        for (i, xi) in self.x.iter().enumerate() {
            let r = dist(x, xi, ls);
            let c = -(5.0 / 3.0) * (1.0 + SQRT5 * r) * (-SQRT5 * r).exp() / (ls * ls);
            for d in 0..dim {
                let dk = c * (x[d] - xi[d]);
                dmean[d] += dk * self.weights[i];
                dvar[d] += -2.0 * kinv_k[i] * dk;
            }
        }
        for d in 0..dim {
            dmean[d] *= self.y_std;
            dvar[d] *= if var_n < 0.0 {
                0.0
            } else {
                self.y_std * self.y_std
            };
        }
        (mean, var, dmean, dvar)
    }
}

/// `normalize_y=True`: mean and (population) standard deviation, 1 when it is 0.
fn normalize(y: &[f64]) -> (f64, f64, Vec<f64>) {
    let n = y.len() as f64;
    let mean = crate::numeric::pairwise_sum(y) / n;
    let var = crate::numeric::pairwise_sum(
        &y.iter()
            .map(|v| (v - mean) * (v - mean))
            .collect::<Vec<_>>(),
    ) / n;
    let mut std = var.sqrt();
    if std < 10.0 * f64::EPSILON {
        std = 1.0;
    }
    let yn = y.iter().map(|v| (v - mean) / std).collect();
    (mean, std, yn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradients_match_finite_differences() {
        let x = vec![
            vec![0.1, 0.2],
            vec![0.5, 0.9],
            vec![0.8, 0.3],
            vec![0.4, 0.4],
        ];
        let y = vec![1.0, -0.5, 0.3, 2.0];
        let gp = IsotropicMaternGp::fit(&x, &y, 1e-4).unwrap();
        let p = [0.33, 0.61];
        let (_, _, dm, dv) = gp.predict_grad(&p, true);
        for d in 0..2 {
            let mut a = p;
            let mut b = p;
            a[d] += 1e-6;
            b[d] -= 1e-6;
            let (ma, va) = gp.predict(&a);
            let (mb, vb) = gp.predict(&b);
            assert!(((ma - mb) / 2e-6 - dm[d]).abs() < 1e-5, "mean grad {d}");
            assert!(((va - vb) / 2e-6 - dv[d]).abs() < 1e-5, "var grad {d}");
        }
    }
}
