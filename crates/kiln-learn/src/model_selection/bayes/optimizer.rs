//! skopt's ask/tell [`Optimizer`] on its Gaussian process, with its options and result.

use super::acquisition::{acq_with_grad, acquisition_value, Acquisition};
use super::space::{SearchSpace, Space};
use crate::error::{LearnError, Result, Warning};
use crate::estimator::Param;
use crate::gaussian_process::{minimize_bounded, GaussianProcessRegressor};
use crate::random::RandomState;

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
    pub(super) space: Space,
    pub(super) kwargs: OptimizerKwargs,
    pub(super) acq_funcs: Vec<Acquisition>,
    pub(super) hedge: bool,
    pub(super) lbfgs: bool,
    pub(super) rng: RandomState,
    pub(super) gp_seed: u32,
    pub(super) x_iters: Vec<Vec<Param>>,
    pub(super) y_iters: Vec<f64>,
    pub(super) n_initial_left: i64,
    pub(super) gains: Vec<f64>,
    pub(super) next_xs: Vec<Vec<f64>>,
    pub(super) next_x: Option<Vec<Param>>,
    pub(super) warnings: Vec<Warning>,
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

    pub(super) fn with_rng(
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

    pub(super) fn take_rng(&mut self) -> RandomState {
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

    pub(super) fn fit_and_propose(&mut self) -> Result<()> {
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
pub(super) fn multinomial_one(rng: &mut RandomState, p: &[f64]) -> usize {
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
pub(super) fn binomial_one(rng: &mut RandomState, p: f64) -> u8 {
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

pub(super) fn point_repr(p: &[Param]) -> String {
    format!(
        "[{}]",
        p.iter().map(Param::py_repr).collect::<Vec<_>>().join(", ")
    )
}
