//! scikit-optimize's Gaussian process (`cook_estimator("GP")`), see the
//! [module docs](super).

use crate::error::{LearnError, Result};
use crate::numeric::pairwise_sum;
use crate::random::RandomState;

use super::{cholesky, minimize_bounded, solve_lower, solve_upper_t};

const SQRT5: f64 = 2.23606797749979;

/// The kernel's hyper-parameters: `constant * Matern(length_scale) + White(noise_level)`.
#[derive(Debug, Clone, PartialEq)]
pub struct KernelParams {
    /// `ConstantKernel.constant_value` (bounds `[0.01, 1000]`).
    pub constant: f64,
    /// `Matern.length_scale`, one per dimension (bounds `[0.01, 100]`).
    pub length_scale: Vec<f64>,
    /// `WhiteKernel.noise_level` (bounds `[1e-5, 1e5]`).
    pub noise_level: f64,
}

impl KernelParams {
    /// The starting point: every value 1.
    pub fn initial(n_dims: usize) -> KernelParams {
        KernelParams {
            constant: 1.0,
            length_scale: vec![1.0; n_dims],
            noise_level: 1.0,
        }
    }

    /// scikit-learn's `kernel.theta`: the logs, `[constant, length_scale..., noise]`.
    pub fn theta(&self) -> Vec<f64> {
        let mut t = Vec::with_capacity(self.length_scale.len() + 2);
        t.push(self.constant.ln());
        t.extend(self.length_scale.iter().map(|l| l.ln()));
        t.push(self.noise_level.ln());
        t
    }

    /// The parameters of a `theta` vector.
    pub fn from_theta(theta: &[f64]) -> KernelParams {
        let d = theta.len() - 2;
        KernelParams {
            constant: theta[0].exp(),
            length_scale: theta[1..=d].iter().map(|t| t.exp()).collect(),
            noise_level: theta[d + 1].exp(),
        }
    }

    /// `kernel.bounds` (log space) for `n_dims` dimensions.
    pub fn bounds(n_dims: usize) -> Vec<(f64, f64)> {
        let mut b = Vec::with_capacity(n_dims + 2);
        b.push((0.01f64.ln(), 1000f64.ln()));
        b.extend(std::iter::repeat_n((0.01f64.ln(), 100f64.ln()), n_dims));
        b.push((1e-5f64.ln(), 1e5f64.ln()));
        b
    }
}

/// scikit-optimize's `GaussianProcessRegressor` as its Bayesian optimiser configures it.
///
/// ```
/// use kiln_learn::gaussian_process::GaussianProcessRegressor;
///
/// let x: Vec<Vec<f64>> = vec![vec![0.0], vec![0.25], vec![0.5], vec![0.75], vec![1.0]];
/// let y: Vec<f64> = x.iter().map(|p| (6.0 * p[0]).sin()).collect();
/// let gp = GaussianProcessRegressor { random_state: Some(0), ..Default::default() }.fit(&x, &y)?;
/// let (mean, std) = gp.predict(&[0.5]);
/// assert!((mean - y[2]).abs() < 0.05 && std < 0.2);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianProcessRegressor {
    /// Random restarts of the hyper-parameter search beyond the start at 1 (2).
    pub n_restarts_optimizer: usize,
    /// Added to the kernel's diagonal (1e-10).
    pub alpha: f64,
    /// Seeds the restarts' starting points (`None`: entropy).
    pub random_state: Option<u32>,
    /// Fit the hyper-parameters (`optimizer="fmin_l_bfgs_b"`); `false` keeps
    /// [`GaussianProcessRegressor::kernel`] (`optimizer=None`).
    pub optimize: bool,
    /// The starting (or, without `optimize`, fixed) hyper-parameters; `None`: all 1.
    pub kernel: Option<KernelParams>,
}

impl Default for GaussianProcessRegressor {
    fn default() -> Self {
        GaussianProcessRegressor {
            n_restarts_optimizer: 2,
            alpha: 1e-10,
            random_state: None,
            optimize: true,
            kernel: None,
        }
    }
}

/// A fitted GP: the training data, hyper-parameters and factors.
#[derive(Debug, Clone)]
pub struct GpPosterior {
    x: Vec<Vec<f64>>,
    /// The fitted hyper-parameters (`kernel_`).
    pub kernel: KernelParams,
    /// `log_marginal_likelihood_value_`.
    pub log_marginal_likelihood: f64,
    y_mean: f64,
    y_std: f64,
    y_norm: Vec<f64>,
    noise_alpha: f64,
    alpha: Vec<f64>,
    k_inv: Vec<f64>,
}

/// `pdist(X / ls)`-style scaled coordinates.
fn scaled(x: &[f64], ls: &[f64]) -> Vec<f64> {
    x.iter().zip(ls).map(|(v, l)| v / l).collect()
}

fn euclid(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(p, q)| (p - q) * (p - q))
        .sum::<f64>()
        .sqrt()
}

fn matern(d: f64) -> f64 {
    let k = d * SQRT5;
    (1.0 + k + k * k / 3.0) * (-k).exp()
}

/// `K(X)` with the white noise and `alpha` on the diagonal, and (when `grad`) its
/// derivatives with respect to `theta`.
fn kernel_matrix(
    x: &[Vec<f64>],
    p: &KernelParams,
    alpha: f64,
    grad: bool,
) -> (Vec<f64>, Vec<Vec<f64>>) {
    let n = x.len();
    let d = p.length_scale.len();
    let xs: Vec<Vec<f64>> = x.iter().map(|r| scaled(r, &p.length_scale)).collect();
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        m[i * n + i] = 1.0;
        for j in i + 1..n {
            let v = matern(euclid(&xs[i], &xs[j]));
            m[i * n + j] = v;
            m[j * n + i] = v;
        }
    }
    let mut k: Vec<f64> = m.iter().map(|v| p.constant * v).collect();
    for i in 0..n {
        k[i * n + i] += p.noise_level;
        k[i * n + i] += alpha;
    }
    if !grad {
        return (k, Vec::new());
    }
    let mut grads = Vec::with_capacity(d + 2);
    grads.push(m.iter().map(|v| p.constant * v).collect::<Vec<_>>());
    // Matern(nu=2.5).__call__(eval_gradient=True): D = (x_i - x_j)^2 / ls^2 per dimension
    let mut dims = vec![vec![0.0; n * n]; d];
    for i in 0..n {
        for j in 0..n {
            if i == j {
                continue;
            }
            let dd: Vec<f64> = (0..d)
                .map(|q| (x[i][q] - x[j][q]).powi(2) / (p.length_scale[q] * p.length_scale[q]))
                .collect();
            let tmp = (5.0 * dd.iter().sum::<f64>()).sqrt();
            let e = (tmp + 1.0) * (-tmp).exp();
            for q in 0..d {
                dims[q][i * n + j] = p.constant * (5.0 / 3.0 * dd[q] * e);
            }
        }
    }
    grads.extend(dims);
    let mut white = vec![0.0; n * n];
    for i in 0..n {
        white[i * n + i] = p.noise_level;
    }
    grads.push(white);
    (k, grads)
}

/// `cho_solve((L, True), I)`.
fn inverse_from_cholesky(l: &[f64], n: usize) -> Vec<f64> {
    let mut inv = vec![0.0; n * n];
    for c in 0..n {
        let mut e = vec![0.0; n];
        e[c] = 1.0;
        let col = solve_upper_t(l, n, &solve_lower(l, n, &e));
        for r in 0..n {
            inv[r * n + c] = col[r];
        }
    }
    inv
}

/// The log marginal likelihood of normalised targets `y` at `p`, and its gradient with
/// respect to `theta` (`GaussianProcessRegressor.log_marginal_likelihood(theta,
/// eval_gradient=True)`); `(-inf, 0)` when `K` is not positive definite.
fn log_marginal_likelihood(
    x: &[Vec<f64>],
    y: &[f64],
    p: &KernelParams,
    alpha: f64,
) -> (f64, Vec<f64>) {
    let n = x.len();
    let (k, grads) = kernel_matrix(x, p, alpha, true);
    let Some(l) = cholesky(&k, n) else {
        return (f64::NEG_INFINITY, vec![0.0; grads.len()]);
    };
    let a = solve_upper_t(&l, n, &solve_lower(&l, n, y));
    let fit: f64 = y.iter().zip(&a).map(|(u, v)| u * v).sum();
    let logdet: f64 = (0..n).map(|i| l[i * n + i].ln()).sum();
    let lml = -0.5 * fit - logdet - n as f64 / 2.0 * (2.0 * std::f64::consts::PI).ln();
    let k_inv = inverse_from_cholesky(&l, n);
    let grad = grads
        .iter()
        .map(|g| {
            let mut s = 0.0;
            for i in 0..n {
                for j in 0..n {
                    s += (a[i] * a[j] - k_inv[i * n + j]) * g[j * n + i];
                }
            }
            0.5 * s
        })
        .collect();
    (lml, grad)
}

impl GaussianProcessRegressor {
    /// Fits on `x` (n points of d coordinates, the normalised space) and `y`.
    pub fn fit(&self, x: &[Vec<f64>], y: &[f64]) -> Result<GpPosterior> {
        if x.is_empty() || x.len() != y.len() {
            return Err(LearnError::InconsistentLength {
                lengths: vec![x.len(), y.len()],
            });
        }
        let d = x[0].len();
        if x.iter().any(|r| r.len() != d) {
            return Err(LearnError::Value(
                "every point must have the same number of coordinates".to_string(),
            ));
        }
        let n = y.len() as f64;
        let y_mean = pairwise_sum(y) / n;
        let var = pairwise_sum(&y.iter().map(|v| (v - y_mean).powi(2)).collect::<Vec<_>>()) / n;
        let mut y_std = var.sqrt();
        if y_std < 10.0 * f64::EPSILON {
            y_std = 1.0;
        }
        let yn: Vec<f64> = y.iter().map(|v| (v - y_mean) / y_std).collect();
        let start = self
            .kernel
            .clone()
            .unwrap_or_else(|| KernelParams::initial(d));
        if start.length_scale.len() != d {
            return Err(LearnError::Value(format!(
                "the kernel has {} length scales for {d} dimensions",
                start.length_scale.len()
            )));
        }
        let kernel = if self.optimize {
            let bounds = KernelParams::bounds(d);
            let obj = |theta: &[f64]| {
                let (lml, g) =
                    log_marginal_likelihood(x, &yn, &KernelParams::from_theta(theta), self.alpha);
                (-lml, g.iter().map(|v| -v).collect())
            };
            let mut starts = vec![start.theta()];
            let mut rng = self
                .random_state
                .map_or_else(RandomState::from_entropy, RandomState::new);
            for _ in 0..self.n_restarts_optimizer {
                starts.push(
                    bounds
                        .iter()
                        .map(|&(lo, hi)| lo + (hi - lo) * rng.random_sample())
                        .collect(),
                );
            }
            let mut best: Option<(Vec<f64>, f64)> = None;
            for s in starts {
                let (t, f) = minimize_bounded(&obj, &s, &bounds, 15000);
                if best.as_ref().is_none_or(|(_, bf)| f < *bf) {
                    best = Some((t, f));
                }
            }
            let (theta, _) = best.ok_or_else(|| LearnError::Value("no optimum".into()))?;
            KernelParams::from_theta(&theta)
        } else {
            start
        };
        let nn = x.len();
        let (k, _) = kernel_matrix(x, &kernel, self.alpha, false);
        let l = cholesky(&k, nn).ok_or_else(|| {
            LearnError::Value(format!(
                "The kernel, {kernel:?}, is not returning a positive definite matrix. Try gradually increasing the 'alpha' parameter of your GaussianProcessRegressor estimator."
            ))
        })?;
        let alpha = solve_upper_t(&l, nn, &solve_lower(&l, nn, &yn));
        let (lml, _) = log_marginal_likelihood(x, &yn, &kernel, self.alpha);
        // skopt: K_inv = L^-T L^-1
        let mut l_inv_t = vec![0.0; nn * nn]; // columns of L^-T
        for c in 0..nn {
            let mut e = vec![0.0; nn];
            e[c] = 1.0;
            let col = solve_upper_t(&l, nn, &e);
            for r in 0..nn {
                l_inv_t[r * nn + c] = col[r];
            }
        }
        let mut k_inv = vec![0.0; nn * nn];
        for i in 0..nn {
            for j in 0..nn {
                let mut s = 0.0;
                for q in 0..nn {
                    s += l_inv_t[i * nn + q] * l_inv_t[j * nn + q];
                }
                k_inv[i * nn + j] = s;
            }
        }
        Ok(GpPosterior {
            x: x.to_vec(),
            kernel,
            log_marginal_likelihood: lml,
            y_mean,
            y_std,
            y_norm: yn,
            noise_alpha: self.alpha,
            alpha,
            k_inv,
        })
    }
}

impl GpPosterior {
    fn k_trans(&self, x: &[f64]) -> Vec<f64> {
        let xs = scaled(x, &self.kernel.length_scale);
        self.x
            .iter()
            .map(|r| {
                self.kernel.constant * matern(euclid(&xs, &scaled(r, &self.kernel.length_scale)))
            })
            .collect()
    }

    /// Posterior mean and standard deviation at `x`, the white noise removed (skopt's
    /// `predict(X, return_std=True)`).
    pub fn predict(&self, x: &[f64]) -> (f64, f64) {
        let (m, s, _, _) = self.predict_inner(x, false);
        (m, s)
    }

    /// Mean, standard deviation and their gradients with respect to `x`
    /// (`return_mean_grad=True, return_std_grad=True`).
    pub fn predict_grad(&self, x: &[f64]) -> (f64, f64, Vec<f64>, Vec<f64>) {
        self.predict_inner(x, true)
    }

    fn predict_inner(&self, x: &[f64], grad: bool) -> (f64, f64, Vec<f64>, Vec<f64>) {
        let n = self.x.len();
        let kt = self.k_trans(x);
        let mean =
            self.y_std * kt.iter().zip(&self.alpha).map(|(a, b)| a * b).sum::<f64>() + self.y_mean;
        let kinv_kt: Vec<f64> = self
            .k_inv
            .chunks_exact(n)
            .map(|row| row.iter().zip(&kt).map(|(a, b)| a * b).sum())
            .collect();
        let mut var =
            self.kernel.constant - kt.iter().zip(&kinv_kt).map(|(a, b)| a * b).sum::<f64>();
        if var < 0.0 {
            var = 0.0;
        }
        let std = (var * self.y_std * self.y_std).sqrt();
        if !grad {
            return (mean, std, Vec::new(), Vec::new());
        }
        let d = x.len();
        let ls = &self.kernel.length_scale;
        // Matern(nu=2.5).gradient_x, times the constant (skopt's Product.gradient_x)
        let mut g = vec![vec![0.0; d]; n];
        for (i, xi) in self.x.iter().enumerate() {
            let diff: Vec<f64> = (0..d).map(|q| (x[q] - xi[q]) / ls[q]).collect();
            let dist_sq: f64 = diff.iter().map(|v| v * v).sum();
            let dist = dist_sq.sqrt();
            let s5 = SQRT5 * dist;
            let f = 5.0 / 3.0 * dist_sq + s5 + 1.0;
            let inv = if dist != 0.0 { SQRT5 / dist } else { 0.0 };
            let e = (-s5).exp();
            for q in 0..d {
                let diff2 = diff[q] / ls[q];
                let f1 = inv * diff2;
                let f2 = 10.0 / 3.0 * diff2;
                let g_grad = -e * f1;
                g[i][q] = self.kernel.constant * (f * g_grad + e * (f1 + f2));
            }
        }
        let dmean: Vec<f64> = (0..d)
            .map(|q| (0..n).map(|i| g[i][q] * self.alpha[i]).sum::<f64>() * self.y_std)
            .collect();
        let dstd = if std.abs() <= 1e-8 {
            vec![0.0; d]
        } else {
            (0..d)
                .map(|q| {
                    let s: f64 = (0..n).map(|i| kinv_kt[i] * g[i][q]).sum();
                    -s / std * self.y_std * self.y_std
                })
                .collect()
        };
        (mean, std, dmean, dstd)
    }

    /// The log marginal likelihood of the (normalised) training targets under other
    /// hyper-parameters, and its gradient with respect to their `theta`
    /// (`log_marginal_likelihood(theta, eval_gradient=True)`).
    pub fn log_marginal_likelihood_at(&self, kernel: &KernelParams) -> (f64, Vec<f64>) {
        log_marginal_likelihood(&self.x, &self.y_norm, kernel, self.noise_alpha)
    }

    /// The training points (`X_train_`).
    pub fn x_train(&self) -> &[Vec<f64>] {
        &self.x
    }
}
