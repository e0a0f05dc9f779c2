//! skopt's acquisition functions (`EI`, `PI`, `LCB`, `gp_hedge`) with their gradients,
//! and the standard normal density and distribution they use.

use crate::gaussian_process::GpPosterior;

/// An acquisition function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acquisition {
    /// Expected improvement (negated, so lower is better).
    EI,
    /// Probability of improvement (negated).
    PI,
    /// Lower confidence bound `mu - kappa * std`.
    LCB,
}

/// skopt's `_gaussian_acquisition` on one posterior `(mu, std)` with gradients
/// `(dmu, dstd)`: the value minimised (`-EI`, `-PI`, `LCB`) and its gradient.
///
/// ```
/// use kiln_learn::model_selection::{acquisition_value, Acquisition};
/// // LCB = mu - 1.96 std
/// let (v, g) = acquisition_value(Acquisition::LCB, 1.0, 0.5, &[0.1], &[0.2], 0.0, 0.01, 1.96);
/// assert!((v - 0.02).abs() < 1e-12 && (g[0] - (0.1 - 1.96 * 0.2)).abs() < 1e-12);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn acquisition_value(
    acq: Acquisition,
    mu: f64,
    std: f64,
    dmu: &[f64],
    dstd: &[f64],
    y_opt: f64,
    xi: f64,
    kappa: f64,
) -> (f64, Vec<f64>) {
    let d = dmu.len();
    match acq {
        Acquisition::LCB => (
            mu - kappa * std,
            (0..d).map(|i| dmu[i] - kappa * dstd[i]).collect(),
        ),
        Acquisition::EI | Acquisition::PI => {
            if std <= 0.0 {
                return (0.0, vec![0.0; d]);
            }
            let improve = y_opt - xi - mu;
            let scaled = improve / std;
            let cdf = norm_cdf(scaled);
            let pdf = norm_pdf(scaled);
            let improve_grad: Vec<f64> = (0..d)
                .map(|i| (-dmu[i] * std - dstd[i] * improve) / (std * std))
                .collect();
            if acq == Acquisition::PI {
                return (-cdf, improve_grad.iter().map(|g| -(g * pdf)).collect());
            }
            let value = improve * cdf + std * pdf;
            let grad = (0..d)
                .map(|i| {
                    let cdf_grad = improve_grad[i] * pdf;
                    let pdf_grad = -improve * cdf_grad;
                    let exploit_grad = -dmu[i] * cdf - pdf_grad;
                    let explore_grad = dstd[i] * pdf + pdf_grad;
                    -(exploit_grad + explore_grad)
                })
                .collect();
            (-value, grad)
        }
    }
}

/// The standard normal density.
pub(super) fn norm_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// The standard normal distribution function (scipy's `ndtr`), from [`erfc_pos`] so
/// that the lower tail keeps its relative accuracy.
pub(super) fn norm_cdf(x: f64) -> f64 {
    let t = x.abs() / std::f64::consts::SQRT_2;
    let tail = 0.5 * erfc_pos(t);
    if x >= 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// `erfc(t)` for `t >= 0`: `1 - erf(t)` from erf's all-positive series
/// `erf(t) = 2/sqrt(pi) exp(-t^2) sum_n (2t^2)^n t / (1 * 3 * ... * (2n + 1))` below 2,
/// the continued fraction `exp(-t^2)/sqrt(pi) / (t + (1/2)/(t + 1/(t + (3/2)/(t + ...))))`
/// (Lentz's method) above; both to a few ulps.
pub(super) fn erfc_pos(t: f64) -> f64 {
    if t.is_nan() {
        return f64::NAN;
    }
    let inv_sqrt_pi = 0.564_189_583_547_756_3;
    if t < 1.0 {
        let two_t2 = 2.0 * t * t;
        let (mut term, mut sum) = (t, t);
        for n in 1..200 {
            term *= two_t2 / (2 * n + 1) as f64;
            sum += term;
            if term < 1e-17 * sum {
                break;
            }
        }
        return 1.0 - 2.0 * inv_sqrt_pi * (-t * t).exp() * sum;
    }
    if t > 27.3 {
        return 0.0;
    }
    // modified Lentz for f = t + a1/(t + a2/(t + ...)), a_k = k/2
    let tiny = 1e-300;
    let mut f = t;
    let (mut c, mut d) = (t, 0.0);
    for k in 1..5000 {
        let a = k as f64 / 2.0;
        d = t + a * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = t + a / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    inv_sqrt_pi * (-t * t).exp() / f
}

pub(super) fn acq_with_grad(
    gp: &GpPosterior,
    acq: Acquisition,
    t: &[f64],
    y_opt: f64,
    xi: f64,
    kappa: f64,
) -> (f64, Vec<f64>) {
    let (m, s, dm, ds) = gp.predict_grad(t);
    acquisition_value(acq, m, s, &dm, &ds, y_opt, xi, kappa)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_matches_known_values() {
        assert!((norm_cdf(0.0) - 0.5).abs() < 1e-16);
        assert!((norm_cdf(1.0) - 0.841_344_746_068_542_9).abs() < 1e-15);
        assert!((norm_cdf(-3.0) / 0.001_349_898_031_630_093_3 - 1.0).abs() < 1e-14);
        assert!((norm_cdf(-2.5) / 0.006_209_665_325_776_132 - 1.0).abs() < 1e-14);
        assert!((norm_cdf(-10.0) / 7.619_853_024_160_47e-24 - 1.0).abs() < 1e-13);
        assert!((norm_cdf(0.3) - 0.617_911_422_188_952_6).abs() < 1e-15);
    }

    #[test]
    fn acquisition_gradients_match_finite_differences() {
        // mu(t) = t^2, std(t) = 0.5 + t
        for acq in [Acquisition::EI, Acquisition::PI, Acquisition::LCB] {
            let at = |t: f64| {
                acquisition_value(acq, t * t, 0.5 + t, &[2.0 * t], &[1.0], 0.3, 0.01, 1.96)
            };
            let t = 0.4;
            let (_, g) = at(t);
            let fd = (at(t + 1e-6).0 - at(t - 1e-6).0) / 2e-6;
            assert!((g[0] - fd).abs() < 1e-6, "{acq:?}: {} vs {fd}", g[0]);
        }
    }
}
