//! skopt's search-space dimensions (`Integer`, `Real`, `Categorical`, with their priors
//! and normalising transforms) and the [`Space`] they make up.

use std::collections::BTreeMap;

use crate::error::{LearnError, Result};
use crate::estimator::{Param, Params};
use crate::random::RandomState;

/// A dimension's prior.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prior {
    /// `"uniform"`.
    Uniform,
    /// `"log-uniform"`: uniform in `log_base` space.
    LogUniform,
}

impl Prior {
    pub(super) fn parse(prior: &str) -> Result<Prior> {
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

pub(super) fn check_bounds(
    low: f64,
    high: f64,
    prior: Prior,
    low_s: String,
    high_s: String,
) -> Result<()> {
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

pub(super) fn round_half_even(v: f64) -> f64 {
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

    pub(super) fn log_bounds(low: f64, high: f64, base: f64) -> (f64, f64) {
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
    pub(super) fn distance(&self, a: &Param, b: &Param) -> f64 {
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
    pub(super) fn rvs(&self, n: usize, rng: &mut RandomState) -> Vec<Param> {
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
