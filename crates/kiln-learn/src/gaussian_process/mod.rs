//! Gaussian-process regression for Bayesian optimisation, shared by kiln-tuner's
//! `BayesianOptimizationOracle` and [`BayesSearchCV`](crate::model_selection::BayesSearchCV):
//!
//! - [`IsotropicMaternGp`]: Keras Tuner's configuration of scikit-learn's
//!   `GaussianProcessRegressor` (one Matern 5/2 length scale, fixed amplitude);
//! - [`GaussianProcessRegressor`]: scikit-optimize's `GaussianProcessRegressor` as
//!   `cook_estimator("GP")` builds it: `ConstantKernel(1.0, (0.01, 1000.0)) *
//!   Matern(length_scale=[1.0]*d, length_scale_bounds=[(0.01, 100)]*d, nu=2.5) +
//!   WhiteKernel()`, `normalize_y=True`, `alpha=1e-10`, `n_restarts_optimizer=2`, the
//!   kernel's hyper-parameters fitted by maximising the log marginal likelihood, and
//!   predictions with the white noise removed (skopt's `predict`, with the mean and
//!   standard-deviation gradients its acquisition optimiser uses);
//! - [`minimize_bounded`]: the box-constrained quasi-Newton minimiser both use in place
//!   of scipy's L-BFGS-B.

mod isotropic;
mod regressor;

pub use isotropic::IsotropicMaternGp;
pub(crate) use isotropic::{cholesky, solve_lower, solve_upper_t};
pub use regressor::{GaussianProcessRegressor, GpPosterior, KernelParams};

/// A function returning its value and gradient.
pub type Objective<'a> = dyn Fn(&[f64]) -> (f64, Vec<f64>) + 'a;

/// Minimises `f` (value and gradient) over the box `[lo, hi]^d` from `x0` by a projected
/// limited-memory quasi-Newton method: the L-BFGS direction on the variables not held at
/// a bound, a projected backtracking (Armijo) line search, and scipy's L-BFGS-B stopping
/// rules (projected gradient below `pgtol = 1e-5`, or a relative decrease below
/// `factr * eps` with `factr = 1e7`). Unlike L-BFGS-B it does not compute the
/// generalised Cauchy point, so on problems where many bounds become active its path
/// (not its stopping criteria) differs.
pub fn minimize_box(
    f: &Objective<'_>,
    x0: &[f64],
    lo: f64,
    hi: f64,
    max_iter: usize,
) -> (Vec<f64>, f64) {
    minimize_bounded(f, x0, &vec![(lo, hi); x0.len()], max_iter)
}

/// [`minimize_box`] with its own `(low, high)` bounds per variable.
pub fn minimize_bounded(
    f: &Objective<'_>,
    x0: &[f64],
    bounds: &[(f64, f64)],
    max_iter: usize,
) -> (Vec<f64>, f64) {
    let dim = x0.len();
    let proj = |x: &mut [f64]| {
        for (v, &(lo, hi)) in x.iter_mut().zip(bounds) {
            *v = v.clamp(lo, hi);
        }
    };
    let mut x = x0.to_vec();
    proj(&mut x);
    let (mut fx, mut g) = f(&x);
    let m = 10;
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    let factr_eps = 1e7 * f64::EPSILON;
    for _ in 0..max_iter {
        // projected gradient norm
        let pg = (0..dim)
            .map(|i| {
                let step = (x[i] - g[i]).clamp(bounds[i].0, bounds[i].1) - x[i];
                step.abs()
            })
            .fold(0.0, f64::max);
        if pg <= 1e-5 || !fx.is_finite() {
            break;
        }
        // free variables: not at a bound with the gradient pushing outwards
        let free: Vec<bool> = (0..dim)
            .map(|i| {
                let (lo, hi) = bounds[i];
                !((x[i] <= lo && g[i] > 0.0) || (x[i] >= hi && g[i] < 0.0))
            })
            .collect();
        let mut q: Vec<f64> = (0..dim).map(|i| if free[i] { g[i] } else { 0.0 }).collect();
        let k = s_hist.len();
        let mut alphas = vec![0.0; k];
        for j in (0..k).rev() {
            let rho = 1.0 / dot(&y_hist[j], &s_hist[j]);
            alphas[j] = rho * dot(&s_hist[j], &q);
            for i in 0..dim {
                q[i] -= alphas[j] * y_hist[j][i];
            }
        }
        if k > 0 {
            let gamma = dot(&s_hist[k - 1], &y_hist[k - 1]) / dot(&y_hist[k - 1], &y_hist[k - 1]);
            for v in q.iter_mut() {
                *v *= gamma;
            }
        } else {
            let gn = dot(&q, &q).sqrt().max(1e-12);
            for v in q.iter_mut() {
                *v /= gn;
            }
        }
        for j in 0..k {
            let rho = 1.0 / dot(&y_hist[j], &s_hist[j]);
            let beta = rho * dot(&y_hist[j], &q);
            for i in 0..dim {
                q[i] += s_hist[j][i] * (alphas[j] - beta);
            }
        }
        let mut dir: Vec<f64> = (0..dim)
            .map(|i| if free[i] { -q[i] } else { 0.0 })
            .collect();
        if dot(&dir, &g) >= 0.0 {
            // not a descent direction: fall back to steepest descent
            dir = (0..dim)
                .map(|i| if free[i] { -g[i] } else { 0.0 })
                .collect();
            s_hist.clear();
            y_hist.clear();
        }
        let mut t = 1.0;
        let mut accepted = None;
        for _ in 0..40 {
            let mut xn: Vec<f64> = (0..dim).map(|i| x[i] + t * dir[i]).collect();
            proj(&mut xn);
            let (fn_, gn) = f(&xn);
            let decrease: f64 = (0..dim).map(|i| g[i] * (xn[i] - x[i])).sum();
            if fn_.is_finite() && fn_ <= fx + 1e-4 * decrease {
                accepted = Some((xn, fn_, gn));
                break;
            }
            t *= 0.5;
        }
        let Some((xn, fnew, gnew)) = accepted else {
            break;
        };
        let s: Vec<f64> = (0..dim).map(|i| xn[i] - x[i]).collect();
        let yv: Vec<f64> = (0..dim).map(|i| gnew[i] - g[i]).collect();
        let rel = (fx - fnew) / fx.abs().max(fnew.abs()).max(1.0);
        x = xn;
        let done = rel <= factr_eps;
        fx = fnew;
        g = gnew;
        if dot(&s, &yv) > 1e-10 {
            s_hist.push(s);
            y_hist.push(yv);
            if s_hist.len() > m {
                s_hist.remove(0);
                y_hist.remove(0);
            }
        }
        if done {
            break;
        }
    }
    (x, fx)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_minimiser_finds_a_bounded_minimum() {
        let f = |x: &[f64]| {
            let v = (x[0] - 2.0).powi(2) + (x[1] - 0.3).powi(2);
            (v, vec![2.0 * (x[0] - 2.0), 2.0 * (x[1] - 0.3)])
        };
        let (x, _) = minimize_box(&f, &[0.5, 0.5], 0.0, 1.0, 1000);
        assert!((x[0] - 1.0).abs() < 1e-9 && (x[1] - 0.3).abs() < 1e-5);
        let (x, _) = minimize_bounded(&f, &[0.5, 0.5], &[(0.0, 3.0), (0.5, 1.0)], 1000);
        assert!((x[0] - 2.0).abs() < 1e-5 && (x[1] - 0.5).abs() < 1e-12);
    }
}
