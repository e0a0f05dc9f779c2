//! scikit-optimize's `BayesSearchCV` (skopt 0.10): search-space dimensions
//! ([`Dimension::integer`], [`Dimension::real`], [`Dimension::categorical`]) and their
//! normalising transforms, the acquisition functions (`EI`, `PI`, `LCB`, `gp_hedge`),
//! skopt's ask/tell [`Optimizer`] on its Gaussian process
//! ([`GaussianProcessRegressor`]), and the cross-validated search.
//!
//! What is skopt's, step by step: the space is normalised to `[0, 1]` per dimension
//! (log-uniform priors in `log_base` space, categoricals one-hot, or one column for two
//! categories); the first `n_initial_points` (10) points are drawn at random; after that
//! every `tell` fits the GP on the transformed points and the negated mean test scores,
//! samples `n_points` (10000) candidates, and for each acquisition function picks the
//! best candidate (`acq_optimizer="sampling"`) or refines the 5 best with a bounded
//! quasi-Newton run of 20 iterations on the acquisition's gradient (`"lbfgs"`, which
//! `"auto"` means for a GP); `gp_hedge` then draws one of the EI / LCB / PI proposals
//! with probabilities `softmax(eta * gains)`, the gains being minus the GP mean at each
//! proposal. A proposal already evaluated is replaced by another proposal or a random
//! point, with skopt's warning.
//!
//! The random streams are skopt's too: one NumPy `RandomState(random_state)` (kiln's
//! [`RandomState`]) shared by the optimisers, the GP's seed drawn as
//! `randint(0, 2**31 - 1)`, points drawn dimension by dimension as scipy's
//! `uniform(0, nextafter(1, 2))` and `rv_discrete` draw them, `gp_hedge`'s choice as
//! NumPy's legacy `multinomial`, and every `ask` made, as skopt's `ask(n_points)`, by a
//! copy of the optimiser reseeded from the stream. So the initial random candidates are
//! exactly skopt's, and later ones are as long as the GP-guided proposals round to the
//! same point: the fitted hyper-parameters and the acquisition's optimum come from
//! kiln's bounded quasi-Newton method rather than scipy's L-BFGS-B and agree only to
//! the optimisers' tolerance (in the golden integer search, the first 16 of 25
//! candidates are skopt's; with a continuous dimension, the 10 initial ones). Spaces
//! made only of categoricals use the Matern kernel on the one-hot encoding, where skopt
//! uses a Hamming kernel.

use std::collections::BTreeMap;

use crate::error::{LearnError, Result, Warning};
use crate::estimator::{Param, Params, Scorable};
use crate::gaussian_process::{minimize_bounded, GaussianProcessRegressor, GpPosterior};
use crate::matrix::Matrix;
use crate::random::RandomState;

use super::search::{Evaluator, SearchResult};
use super::validation::Cv;

/// A dimension's prior.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prior {
    /// `"uniform"`.
    Uniform,
    /// `"log-uniform"`: uniform in `log_base` space.
    LogUniform,
}

impl Prior {
    fn parse(prior: &str) -> Result<Prior> {
        match prior {
            "uniform" => Ok(Prior::Uniform),
            "log-uniform" => Ok(Prior::LogUniform),
            other => Err(LearnError::Value(format!(
                "prior should be 'uniform' or 'log-uniform' got {other}"
            ))),
        }
    }
}

/// One search dimension (`skopt.space.Integer`, `Real`, `Categorical`), with the
/// `"normalize"` / `"onehot"` transforms skopt's GP optimiser sets.
#[derive(Debug, Clone, PartialEq)]
pub enum Dimension {
    /// `Integer(low, high, prior, base)`: both bounds included.
    Integer {
        /// Lowest value.
        low: i64,
        /// Highest value.
        high: i64,
        /// Prior.
        prior: Prior,
        /// Log base of the log-uniform prior (10).
        base: f64,
    },
    /// `Real(low, high, prior, base)`.
    Real {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
        /// Prior.
        prior: Prior,
        /// Log base of the log-uniform prior (10).
        base: f64,
    },
    /// `Categorical(categories)` with a uniform prior.
    Categorical {
        /// The categories.
        categories: Vec<Param>,
    },
}

fn check_bounds(low: f64, high: f64, prior: Prior, low_s: String, high_s: String) -> Result<()> {
    if high <= low || low.is_nan() || high.is_nan() {
        return Err(LearnError::Value(format!(
            "the lower bound {low_s} has to be less than the upper bound {high_s}"
        )));
    }
    if prior == Prior::LogUniform && low * high <= 0.0 {
        return Err(LearnError::Value(
            "search space should not contain 0 when using log-uniform prior".to_string(),
        ));
    }
    Ok(())
}

fn round_half_even(v: f64) -> f64 {
    v.round_ties_even()
}

impl Dimension {
    /// `Integer(low, high)` (uniform prior).
    ///
    /// ```
    /// use kiln_learn::model_selection::Dimension;
    /// assert!(Dimension::integer(2, 11).is_ok());
    /// assert_eq!(
    ///     Dimension::integer(5, 2).unwrap_err().to_string(),
    ///     "the lower bound 5 has to be less than the upper bound 2"
    /// );
    /// ```
    pub fn integer(low: i64, high: i64) -> Result<Dimension> {
        Dimension::integer_with_prior(low, high, "uniform")
    }

    /// `Integer(low, high, prior)`; `prior` is `"uniform"` or `"log-uniform"`.
    pub fn integer_with_prior(low: i64, high: i64, prior: &str) -> Result<Dimension> {
        let prior = Prior::parse(prior)?;
        check_bounds(
            low as f64,
            high as f64,
            prior,
            low.to_string(),
            high.to_string(),
        )?;
        Ok(Dimension::Integer {
            low,
            high,
            prior,
            base: 10.0,
        })
    }

    /// `Real(low, high)` (uniform prior).
    pub fn real(low: f64, high: f64) -> Result<Dimension> {
        Dimension::real_with_prior(low, high, "uniform")
    }

    /// `Real(low, high, prior)`; `prior` is `"uniform"` or `"log-uniform"`.
    ///
    /// ```
    /// use kiln_learn::model_selection::Dimension;
    /// assert_eq!(
    ///     Dimension::real_with_prior(0.0, 1.0, "log-uniform").unwrap_err().to_string(),
    ///     "search space should not contain 0 when using log-uniform prior"
    /// );
    /// assert!(Dimension::real_with_prior(1e-4, 1.0, "normal").is_err());
    /// ```
    pub fn real_with_prior(low: f64, high: f64, prior: &str) -> Result<Dimension> {
        let prior = Prior::parse(prior)?;
        let f = crate::pyfmt::py_float_repr;
        check_bounds(low, high, prior, f(low), f(high))?;
        Ok(Dimension::Real {
            low,
            high,
            prior,
            base: 10.0,
        })
    }

    /// `Categorical(categories)`.
    pub fn categorical(categories: Vec<Param>) -> Result<Dimension> {
        if categories.is_empty() {
            return Err(LearnError::Value(
                "Categorical needs at least one category (skopt fails with ZeroDivisionError: float division by zero)"
                    .to_string(),
            ));
        }
        Ok(Dimension::Categorical { categories })
    }

    /// Columns of the transformed value (`transformed_size`): 1, or one per category
    /// beyond two.
    pub fn transformed_size(&self) -> usize {
        match self {
            Dimension::Categorical { categories } if categories.len() > 2 => categories.len(),
            _ => 1,
        }
    }

    fn log_bounds(low: f64, high: f64, base: f64) -> (f64, f64) {
        let lb = base.log10();
        (low.log10() / lb, high.log10() / lb)
    }

    /// The normalised coordinates of `value` (`dim.transform([value])`).
    pub fn transform(&self, value: &Param) -> Result<Vec<f64>> {
        let not_in = || {
            LearnError::Value(format!(
                "Point {} is not within the bounds of the space {self:?}",
                value.py_repr()
            ))
        };
        match self {
            Dimension::Integer {
                low,
                high,
                prior,
                base,
            } => {
                let v = value.as_f64().ok_or_else(not_in)?;
                let (l, h) = (*low as f64, *high as f64);
                if round_half_even(v) > h || round_half_even(v) < l {
                    return Err(not_in());
                }
                Ok(vec![match prior {
                    Prior::Uniform => (round_half_even(v) - l) / (h - l),
                    Prior::LogUniform => {
                        let (lo, hi) = Self::log_bounds(l, h, *base);
                        (v.log10() / base.log10() - lo) / (hi - lo)
                    }
                }])
            }
            Dimension::Real {
                low,
                high,
                prior,
                base,
            } => {
                let v = value.as_f64().ok_or_else(not_in)?;
                if v > high + 1e-8 || v < low - 1e-8 {
                    return Err(not_in());
                }
                Ok(vec![match prior {
                    Prior::Uniform => (v - low) / (high - low),
                    Prior::LogUniform => {
                        let (lo, hi) = Self::log_bounds(*low, *high, *base);
                        (v.log10() / base.log10() - lo) / (hi - lo)
                    }
                }])
            }
            Dimension::Categorical { categories } => {
                let idx = categories
                    .iter()
                    .position(|c| c == value)
                    .ok_or_else(not_in)?;
                Ok(match categories.len() {
                    1 => vec![0.0],
                    2 => vec![idx as f64],
                    k => (0..k).map(|i| f64::from(u8::from(i == idx))).collect(),
                })
            }
        }
    }

    /// The value of normalised coordinates (`dim.inverse_transform`), clipped to the
    /// bounds; integers rounded half to even as NumPy rounds.
    pub fn inverse_transform(&self, t: &[f64]) -> Param {
        match self {
            Dimension::Integer {
                low,
                high,
                prior,
                base,
            } => {
                let (l, h) = (*low as f64, *high as f64);
                let v = match prior {
                    Prior::Uniform => round_half_even(t[0] * (h - l) + l),
                    Prior::LogUniform => {
                        let (lo, hi) = Self::log_bounds(l, h, *base);
                        base.powf(t[0] * (hi - lo) + lo)
                    }
                };
                Param::Int(round_half_even(v.clamp(l, h)) as i64)
            }
            Dimension::Real {
                low,
                high,
                prior,
                base,
            } => {
                let v = match prior {
                    Prior::Uniform => t[0] * (high - low) + low,
                    Prior::LogUniform => {
                        let (lo, hi) = Self::log_bounds(*low, *high, *base);
                        base.powf(t[0] * (hi - lo) + lo)
                    }
                };
                Param::Float(v.clamp(*low, *high))
            }
            Dimension::Categorical { categories } => {
                let idx = match categories.len() {
                    1 => 0,
                    2 => usize::from(t[0] > 0.5),
                    _ => {
                        let mut best = 0;
                        for (i, &v) in t.iter().enumerate() {
                            if v > t[best] {
                                best = i;
                            }
                        }
                        best
                    }
                };
                categories[idx].clone()
            }
        }
    }

    /// `dim.distance(a, b)`: `|a - b|` for numbers, 0 or 1 for categories.
    fn distance(&self, a: &Param, b: &Param) -> f64 {
        match self {
            Dimension::Categorical { .. } => f64::from(u8::from(a != b)),
            _ => match (a.as_f64(), b.as_f64()) {
                (Some(x), Some(y)) => (x - y).abs(),
                _ => f64::INFINITY,
            },
        }
    }

    /// `n` random values (`dim.rvs(n_samples=n, random_state=rng)`): scipy's
    /// `uniform(0, nextafter(1, 2))` in the normalised space, inverse-transformed, or a
    /// category by `rv_discrete`'s inversion of the cumulative uniform prior.
    fn rvs(&self, n: usize, rng: &mut RandomState) -> Vec<Param> {
        match self {
            Dimension::Categorical { categories } => {
                let k = categories.len();
                let mut cum = Vec::with_capacity(k);
                let mut acc = 0.0;
                for _ in 0..k {
                    acc += 1.0 / k as f64;
                    cum.push(acc);
                }
                (0..n)
                    .map(|_| {
                        let u = rng.random_sample();
                        let i = cum.iter().position(|&c| c >= u).unwrap_or(0);
                        categories[i].clone()
                    })
                    .collect()
            }
            _ => {
                let scale = 1.0f64.next_up();
                (0..n)
                    .map(|_| self.inverse_transform(&[rng.random_sample() * scale]))
                    .collect()
            }
        }
    }
}

/// A search space: dimensions by parameter name (the names sorted, as skopt's
/// `dimensions_aslist`).
pub type SearchSpace = BTreeMap<String, Dimension>;

/// A normalised `skopt.space.Space`.
#[derive(Debug, Clone, PartialEq)]
pub struct Space {
    /// The parameter names, sorted.
    pub names: Vec<String>,
    /// The dimensions, in name order.
    pub dimensions: Vec<Dimension>,
}

impl Space {
    /// The space of a [`SearchSpace`].
    pub fn new(space: &SearchSpace) -> Result<Space> {
        if space.is_empty() {
            return Err(LearnError::Value(
                "The search_spaces parameter should contain at least onenon-empty search space, got {}"
                    .to_string(),
            ));
        }
        Ok(Space {
            names: space.keys().cloned().collect(),
            dimensions: space.values().cloned().collect(),
        })
    }

    /// `transformed_n_dims`.
    pub fn transformed_n_dims(&self) -> usize {
        self.dimensions
            .iter()
            .map(Dimension::transformed_size)
            .sum()
    }

    /// `space.transform([point])[0]`.
    pub fn transform(&self, point: &[Param]) -> Result<Vec<f64>> {
        let mut out = Vec::with_capacity(self.transformed_n_dims());
        for (d, v) in self.dimensions.iter().zip(point) {
            out.extend(d.transform(v)?);
        }
        Ok(out)
    }

    /// `space.inverse_transform([t])[0]`.
    pub fn inverse_transform(&self, t: &[f64]) -> Vec<Param> {
        let mut start = 0;
        self.dimensions
            .iter()
            .map(|d| {
                let k = d.transformed_size();
                let v = d.inverse_transform(&t[start..start + k]);
                start += k;
                v
            })
            .collect()
    }

    /// `space.distance(a, b)`.
    pub fn distance(&self, a: &[Param], b: &[Param]) -> f64 {
        self.dimensions
            .iter()
            .zip(a.iter().zip(b))
            .map(|(d, (x, y))| d.distance(x, y))
            .sum()
    }

    /// One random point (`space.rvs(random_state=rng)[0]`).
    pub fn rvs(&self, rng: &mut RandomState) -> Vec<Param> {
        self.rvs_many(1, rng).remove(0)
    }

    /// `n` random points, drawn dimension by dimension as skopt draws them.
    pub fn rvs_many(&self, n: usize, rng: &mut RandomState) -> Vec<Vec<Param>> {
        let columns: Vec<Vec<Param>> = self.dimensions.iter().map(|d| d.rvs(n, rng)).collect();
        (0..n)
            .map(|i| columns.iter().map(|c| c[i].clone()).collect())
            .collect()
    }

    /// A point as a params dict (`point_asdict`).
    pub fn as_params(&self, point: &[Param]) -> Params {
        self.names
            .iter()
            .cloned()
            .zip(point.iter().cloned())
            .collect()
    }
}

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
fn norm_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// The standard normal distribution function (scipy's `ndtr`), from [`erfc_pos`] so
/// that the lower tail keeps its relative accuracy.
fn norm_cdf(x: f64) -> f64 {
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
fn erfc_pos(t: f64) -> f64 {
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

/// skopt's `Optimizer` arguments (`optimizer_kwargs`), with its defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizerKwargs {
    /// `base_estimator`: only `"GP"` (case-insensitive).
    pub base_estimator: String,
    /// Random points before the GP is used (10).
    pub n_initial_points: usize,
    /// `"gp_hedge"` (default), `"EI"`, `"PI"` or `"LCB"`.
    pub acq_func: String,
    /// `"auto"` (default; `"lbfgs"` for a GP), `"lbfgs"` or `"sampling"`.
    pub acq_optimizer: String,
    /// `acq_func_kwargs["xi"]` (0.01).
    pub xi: f64,
    /// `acq_func_kwargs["kappa"]` (1.96).
    pub kappa: f64,
    /// `acq_func_kwargs["eta"]`: gp_hedge's learning rate (1.0).
    pub eta: f64,
    /// `acq_optimizer_kwargs["n_points"]`: candidates sampled per step (10000).
    pub n_points: usize,
    /// `acq_optimizer_kwargs["n_restarts_optimizer"]`: candidates refined by lbfgs (5).
    pub n_restarts_optimizer: usize,
}

impl Default for OptimizerKwargs {
    fn default() -> Self {
        OptimizerKwargs {
            base_estimator: "GP".to_string(),
            n_initial_points: 10,
            acq_func: "gp_hedge".to_string(),
            acq_optimizer: "auto".to_string(),
            xi: 0.01,
            kappa: 1.96,
            eta: 1.0,
            n_points: 10000,
            n_restarts_optimizer: 5,
        }
    }
}

/// The points and values an optimiser saw (skopt's `OptimizeResult`).
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizeResult {
    /// The best point (lowest value).
    pub x: Vec<Param>,
    /// Its value.
    pub fun: f64,
    /// Every point told, in order.
    pub x_iters: Vec<Vec<Param>>,
    /// Their values (minus the mean test scores).
    pub func_vals: Vec<f64>,
}

/// skopt's ask/tell `Optimizer` with a GP base estimator.
///
/// ```
/// use kiln_learn::model_selection::{Dimension, Optimizer, OptimizerKwargs, SearchSpace};
///
/// let mut space = SearchSpace::new();
/// space.insert("x".into(), Dimension::real(-2.0, 2.0)?);
/// let kwargs = OptimizerKwargs { n_initial_points: 5, n_points: 500, ..Default::default() };
/// let mut opt = Optimizer::new(&space, &kwargs, Some(0))?;
/// for _ in 0..15 {
///     let p = opt.ask()?;
///     let x = p[0].as_f64().unwrap();
///     opt.tell(p, (x - 0.7).powi(2))?;
/// }
/// let best = opt.result().x[0].as_f64().unwrap();
/// assert!((best - 0.7).abs() < 0.1, "{best}");
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Optimizer {
    space: Space,
    kwargs: OptimizerKwargs,
    acq_funcs: Vec<Acquisition>,
    hedge: bool,
    lbfgs: bool,
    rng: RandomState,
    gp_seed: u32,
    x_iters: Vec<Vec<Param>>,
    y_iters: Vec<f64>,
    n_initial_left: i64,
    gains: Vec<f64>,
    next_xs: Vec<Vec<f64>>,
    next_x: Option<Vec<Param>>,
    warnings: Vec<Warning>,
}

impl Optimizer {
    /// An optimiser over `space` (skopt's `Optimizer(dimensions, **kwargs)`).
    pub fn new(
        space: &SearchSpace,
        kwargs: &OptimizerKwargs,
        random_state: Option<u32>,
    ) -> Result<Self> {
        let rng = random_state.map_or_else(RandomState::from_entropy, RandomState::new);
        Optimizer::with_rng(space, kwargs, rng)
    }

    fn with_rng(
        space: &SearchSpace,
        kwargs: &OptimizerKwargs,
        mut rng: RandomState,
    ) -> Result<Self> {
        let space = Space::new(space)?;
        let hedge = kwargs.acq_func == "gp_hedge";
        let acq_funcs = match kwargs.acq_func.as_str() {
            "gp_hedge" => vec![Acquisition::EI, Acquisition::LCB, Acquisition::PI],
            "EI" => vec![Acquisition::EI],
            "PI" => vec![Acquisition::PI],
            "LCB" => vec![Acquisition::LCB],
            "MES" | "PVRS" | "EIps" | "PIps" => {
                return Err(LearnError::Value(format!(
                    "acq_func {} is not supported by kiln; use gp_hedge, EI, PI or LCB",
                    kwargs.acq_func
                )))
            }
            other => {
                return Err(LearnError::Value(format!(
                    "expected acq_func to be in gp_hedge,EI,LCB,MES,PVRS,PI,EIps,PIps, got {other}"
                )))
            }
        };
        let lbfgs = match kwargs.acq_optimizer.as_str() {
            "auto" | "lbfgs" => true,
            "sampling" => false,
            other => {
                return Err(LearnError::Value(format!(
                    "Expected acq_optimizer to be 'lbfgs' or 'sampling', got {other}"
                )))
            }
        };
        match kwargs.base_estimator.to_ascii_uppercase().as_str() {
            "GP" => {}
            "RF" | "ET" | "GBRT" | "DUMMY" => {
                return Err(LearnError::Value(format!(
                    "base_estimator={} is not supported by kiln; only 'GP' is",
                    kwargs.base_estimator
                )))
            }
            other => {
                return Err(LearnError::Value(format!(
                    "Valid strings for the base_estimator parameter  are: 'RF', 'ET', 'GP', 'GBRT' or 'DUMMY' not {other}."
                )))
            }
        }
        if kwargs.n_points == 0 {
            return Err(LearnError::Value(
                "n_points should be int > 0, got 0".to_string(),
            ));
        }
        // cook_estimator(random_state=rng.randint(0, iinfo(int32).max))
        let gp_seed = rng.random_interval(i32::MAX as u64 - 1) as u32;
        Ok(Optimizer {
            space,
            kwargs: kwargs.clone(),
            acq_funcs,
            hedge,
            lbfgs,
            rng,
            gp_seed,
            x_iters: Vec::new(),
            y_iters: Vec::new(),
            n_initial_left: kwargs.n_initial_points as i64,
            gains: vec![0.0; 3],
            next_xs: Vec::new(),
            next_x: None,
            warnings: Vec::new(),
        })
    }

    fn take_rng(&mut self) -> RandomState {
        std::mem::replace(&mut self.rng, RandomState::new(0))
    }

    /// The normalised space.
    pub fn space(&self) -> &Space {
        &self.space
    }

    /// Warnings so far (repeated proposals replaced).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// The next point to evaluate.
    pub fn ask(&mut self) -> Result<Vec<Param>> {
        if self.n_initial_left > 0 {
            return Ok(self.space.rvs(&mut self.rng));
        }
        let next = self.next_x.clone().ok_or_else(|| {
            LearnError::Value("Random evaluations exhausted and no model has been fit.".to_string())
        })?;
        let min_delta = self
            .x_iters
            .iter()
            .map(|xi| self.space.distance(&next, xi))
            .fold(f64::INFINITY, f64::min);
        if min_delta.abs() > 1e-8 {
            return Ok(next);
        }
        let mut new = next.clone();
        for t in &self.next_xs {
            let cand = self.space.inverse_transform(t);
            if cand != next {
                if self.x_iters.contains(&cand) {
                    continue;
                }
                new = cand;
                break;
            }
        }
        if new == next {
            new = self.space.rvs(&mut self.rng);
            self.warnings.push(Warning::user(format!(
                "The objective has been evaluated at point {} before, using random point {}",
                point_repr(&next),
                point_repr(&new)
            )));
        }
        Ok(new)
    }

    /// `n` points at once by the constant liar (`ask(n_points=n, strategy="cl_min")`,
    /// what `BayesSearchCV` calls, also for `n = 1`): a copy of the optimiser, seeded
    /// from this one's stream and refitted, proposes each point and is told it with the
    /// lowest value seen so far.
    pub fn ask_many(&mut self, n: usize) -> Result<Vec<Vec<Param>>> {
        if n == 0 {
            return Err(LearnError::Value(
                "n_points should be int > 0, got 0".to_string(),
            ));
        }
        let seed = self.rng.random_interval(i32::MAX as u64 - 1) as u32;
        let mut copy = self.clone();
        copy.rng = RandomState::new(seed);
        // skopt's `copy` is a fresh optimiser told the points so far: the model is
        // refitted from the copy's own stream, without a gains update
        copy.next_xs.clear();
        if copy.n_initial_left <= 0 && !copy.x_iters.is_empty() {
            copy.fit_and_propose()?;
        }
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let x = copy.ask()?;
            let lie = copy.y_iters.iter().copied().fold(f64::INFINITY, f64::min);
            let lie = if lie.is_finite() { lie } else { 0.0 };
            out.push(x.clone());
            copy.tell(x, lie)?;
        }
        self.warnings
            .extend(copy.warnings.drain(self.warnings.len()..));
        Ok(out)
    }

    /// Records `y` at `x`, refitting the GP and choosing the next point once the initial
    /// points are spent.
    pub fn tell(&mut self, x: Vec<Param>, y: f64) -> Result<()> {
        if x.len() != self.space.dimensions.len() {
            return Err(LearnError::Value(format!(
                "Dimensions of point {} and space ({}) do not match",
                point_repr(&x),
                self.space.dimensions.len()
            )));
        }
        self.space.transform(&x)?;
        if !y.is_finite() {
            return Err(LearnError::Value(format!(
                "expected y to be a finite scalar, got {y}"
            )));
        }
        self.x_iters.push(x);
        self.y_iters.push(y);
        self.n_initial_left -= 1;
        if self.n_initial_left <= 0 {
            self.fit_and_propose()?;
        }
        Ok(())
    }

    fn fit_and_propose(&mut self) -> Result<()> {
        let xt: Vec<Vec<f64>> = self
            .x_iters
            .iter()
            .map(|p| self.space.transform(p))
            .collect::<Result<_>>()?;
        let gp = GaussianProcessRegressor {
            random_state: Some(self.gp_seed),
            ..Default::default()
        }
        .fit(&xt, &self.y_iters)?;
        if self.hedge && !self.next_xs.is_empty() {
            for (g, p) in self.gains.iter_mut().zip(&self.next_xs) {
                *g -= gp.predict(p).0;
            }
        }
        let y_opt = self.y_iters.iter().copied().fold(f64::INFINITY, f64::min);
        let cands: Vec<Vec<f64>> = self
            .space
            .rvs_many(self.kwargs.n_points, &mut self.rng)
            .iter()
            .map(|p| self.space.transform(p))
            .collect::<Result<_>>()?;
        let posts: Vec<(f64, f64)> = cands.iter().map(|c| gp.predict(c)).collect();
        let (xi, kappa) = (self.kwargs.xi, self.kwargs.kappa);
        let dims = self.space.transformed_n_dims();
        let bounds = vec![(0.0, 1.0); dims];
        let mut next_xs = Vec::with_capacity(self.acq_funcs.len());
        for &acq in &self.acq_funcs {
            let values: Vec<f64> = posts
                .iter()
                .map(|&(m, s)| acquisition_value(acq, m, s, &[], &[], y_opt, xi, kappa).0)
                .collect();
            let mut order: Vec<usize> = (0..values.len()).collect();
            order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
            let next = if self.lbfgs {
                let f = |t: &[f64]| acq_with_grad(&gp, acq, t, y_opt, xi, kappa);
                let mut best: Option<(Vec<f64>, f64)> = None;
                for &i in order.iter().take(self.kwargs.n_restarts_optimizer.max(1)) {
                    let (t, v) = minimize_bounded(&f, &cands[i], &bounds, 20);
                    if best.as_ref().is_none_or(|(_, bv)| v < *bv) {
                        best = Some((t, v));
                    }
                }
                best.map(|b| b.0).unwrap_or_else(|| cands[order[0]].clone())
            } else {
                cands[order[0]].clone()
            };
            next_xs.push(next.iter().map(|v| v.clamp(0.0, 1.0)).collect::<Vec<f64>>());
        }
        let chosen = if self.hedge {
            let max = self.gains.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = self
                .gains
                .iter()
                .map(|g| (self.kwargs.eta * (g - max)).exp())
                .collect();
            let total: f64 = e.iter().sum();
            let probs: Vec<f64> = e.iter().map(|v| v / total).collect();
            multinomial_one(&mut self.rng, &probs)
        } else {
            0
        };
        self.next_x = Some(self.space.inverse_transform(&next_xs[chosen]));
        self.next_xs = next_xs;
        Ok(())
    }

    /// The points and values told so far.
    pub fn result(&self) -> OptimizeResult {
        let mut best = 0;
        for (i, &v) in self.y_iters.iter().enumerate() {
            if v < self.y_iters[best] {
                best = i;
            }
        }
        OptimizeResult {
            x: self.x_iters.get(best).cloned().unwrap_or_default(),
            fun: self.y_iters.get(best).copied().unwrap_or(f64::NAN),
            x_iters: self.x_iters.clone(),
            func_vals: self.y_iters.clone(),
        }
    }
}

/// `np.argmax(rng.multinomial(1, p))` with NumPy's legacy binomial draws.
fn multinomial_one(rng: &mut RandomState, p: &[f64]) -> usize {
    let d = p.len();
    let mut remaining = 1.0;
    for (j, &pj) in p.iter().enumerate().take(d.saturating_sub(1)) {
        if binomial_one(rng, pj / remaining) == 1 {
            return j;
        }
        remaining -= pj;
    }
    d.saturating_sub(1)
}

/// NumPy's `random_binomial(p, n=1)`: inversion on the smaller of `p` and `1 - p`.
fn binomial_one(rng: &mut RandomState, p: f64) -> u8 {
    if p <= 0.0 {
        return 0;
    }
    let inversion = |rng: &mut RandomState, p: f64| -> u8 {
        let q = 1.0 - p;
        let qn = q.ln().exp();
        let bound = (p + 10.0 * (p * q + 1.0).sqrt()).min(1.0);
        let mut x = 0u8;
        let mut px = qn;
        let mut u = rng.random_sample();
        while u > px {
            x += 1;
            if f64::from(x) > bound {
                x = 0;
                px = qn;
                u = rng.random_sample();
            } else {
                u -= px;
                px = (f64::from(2 - x) * p * px) / (f64::from(x) * q);
            }
        }
        x
    };
    if p <= 0.5 {
        inversion(rng, p)
    } else {
        1 - inversion(rng, 1.0 - p)
    }
}

fn acq_with_grad(
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

fn point_repr(p: &[Param]) -> String {
    format!(
        "[{}]",
        p.iter().map(Param::py_repr).collect::<Vec<_>>().join(", ")
    )
}

/// A fitted [`BayesSearchCV`]: the search's results and each space's optimiser record.
#[derive(Debug, Clone)]
pub struct BayesSearchResult<E> {
    /// `cv_results_`, `best_params_`, `best_score_`, `best_estimator_`, ... in
    /// GridSearchCV's format (all candidates, in evaluation order).
    pub search: SearchResult<E>,
    /// `optimizer_results_`: one per search space.
    pub optimizer_results: Vec<OptimizeResult>,
}

impl<E> std::ops::Deref for BayesSearchResult<E> {
    type Target = SearchResult<E>;
    fn deref(&self) -> &SearchResult<E> {
        &self.search
    }
}

/// Bayesian optimisation of hyper-parameters with cross-validation
/// (`skopt.BayesSearchCV`): `n_iter` candidates per space, asked `n_points` at a time
/// from an [`Optimizer`] told minus each candidate's mean test score.
///
/// ```
/// use kiln_learn::estimator::Param;
/// use kiln_learn::model_selection::{BayesSearchCV, Cv, Dimension, OptimizerKwargs, SearchSpace};
/// use kiln_learn::tree::DecisionTreeRegressor;
/// use kiln_learn::Matrix;
///
/// let x = Matrix::from_rows(&(0..30).map(|i| [i as f64]).collect::<Vec<_>>())?;
/// let y: Vec<f64> = (0..30).map(|i| ((i as f64) / 5.0).sin()).collect();
/// let mut space = SearchSpace::new();
/// space.insert("max_depth".into(), Dimension::integer(1, 6)?);
/// let search = BayesSearchCV {
///     search_spaces: vec![(space, None)],
///     n_iter: 8,
///     cv: Cv::Folds(3),
///     random_state: Some(0),
///     optimizer_kwargs: OptimizerKwargs { n_initial_points: 4, n_points: 200, ..Default::default() },
///     ..BayesSearchCV::new(DecisionTreeRegressor { random_state: Some(0), ..Default::default() })
/// };
/// let result = search.fit(&x, &y)?;
/// assert_eq!(result.cv_results.params.len(), 8);
/// assert!(matches!(result.best_params["max_depth"], Param::Int(1..=6)));
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
#[derive(Debug, Clone)]
pub struct BayesSearchCV<E> {
    /// The estimator cloned for each candidate.
    pub estimator: E,
    /// The spaces, each with its own `n_iter` (`None`: [`BayesSearchCV::n_iter`]);
    /// skopt's dict, list of dicts, or list of `(dict, n_iter)`.
    pub search_spaces: Vec<(SearchSpace, Option<usize>)>,
    /// Candidates per space (50).
    pub n_iter: usize,
    /// Candidates asked (and evaluated in parallel) per step (1).
    pub n_points: usize,
    /// The scorer name (`None`: the estimator's `score`).
    pub scoring: Option<String>,
    /// The splitter (5 folds by default).
    pub cv: Cv,
    /// Refit the best candidate on all the data (true).
    pub refit: bool,
    /// Also score the training folds (false).
    pub return_train_score: bool,
    /// Seed of the optimisers (`None`: entropy).
    pub random_state: Option<u32>,
    /// The optimisers' arguments.
    pub optimizer_kwargs: OptimizerKwargs,
}

impl<E: Scorable + Clone> BayesSearchCV<E> {
    /// A search with skopt's defaults and no spaces.
    pub fn new(estimator: E) -> Self {
        BayesSearchCV {
            estimator,
            search_spaces: Vec::new(),
            n_iter: 50,
            n_points: 1,
            scoring: None,
            cv: Cv::default(),
            refit: true,
            return_train_score: false,
            random_state: None,
            optimizer_kwargs: OptimizerKwargs::default(),
        }
    }

    /// Runs the search.
    pub fn fit(&self, x: &Matrix, y: &[E::Target]) -> Result<BayesSearchResult<E>> {
        if self.search_spaces.is_empty() {
            return Err(LearnError::Value(
                "The search_spaces parameter should contain at least onenon-empty search space, got []"
                    .to_string(),
            ));
        }
        if self.n_points == 0 {
            return Err(LearnError::Value(
                "n_points should be int > 0, got 0".to_string(),
            ));
        }
        let mut rng = self
            .random_state
            .map_or_else(RandomState::from_entropy, RandomState::new);
        // skopt hands the one RandomState to every optimiser: each draws its GP's seed
        // when created, then asks from the shared stream in turn
        let mut optimizers = Vec::with_capacity(self.search_spaces.len());
        for (space, _) in &self.search_spaces {
            let mut opt = Optimizer::with_rng(space, &self.optimizer_kwargs, rng)?;
            rng = opt.take_rng();
            optimizers.push(opt);
        }
        let mut ev = Evaluator::new(
            &self.estimator,
            x,
            y,
            &self.cv,
            self.scoring.as_deref(),
            self.return_train_score,
        )?;
        for ((_, n_iter), opt) in self.search_spaces.iter().zip(optimizers.iter_mut()) {
            opt.rng = rng;
            let mut left = n_iter.unwrap_or(self.n_iter);
            while left > 0 {
                let n = left.min(self.n_points);
                let points = opt.ask_many(n)?;
                let params: Vec<Params> = points.iter().map(|p| opt.space().as_params(p)).collect();
                let means = ev.evaluate(&params)?;
                for (p, m) in points.into_iter().zip(means) {
                    opt.tell(p, -m)?;
                }
                left -= n;
            }
            rng = opt.take_rng();
        }
        let warnings = optimizers
            .iter()
            .flat_map(|o| o.warnings().iter().cloned())
            .collect();
        let search = ev.finish(self.refit, warnings)?;
        Ok(BayesSearchResult {
            search,
            optimizer_results: optimizers.iter().map(Optimizer::result).collect(),
        })
    }
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
