//! `BayesianOptimizationOracle`: random trials until `num_initial_points`
//! (default `max(3 * dimensions, 3)`) have completed, then a Gaussian process on the
//! trials' probability vectors and the point minimising the lower confidence bound
//! `mu - beta * sigma` (Keras Tuner calls it `_upper_confidence_bound`) from 50 random
//! starts (`np.random.RandomState(seed).uniform`), each refined by a box-constrained
//! quasi-Newton method ([`crate::gp::minimize_box`]; keras-tuner uses scipy's L-BFGS-B
//! with finite-difference gradients, kiln analytic gradients).

use kiln_data::numpy_random::RandomState;

use crate::error::Result;
use crate::gp::{minimize_box, Gp};
use crate::hyperparameters::{HpKind, HyperParameters};
use crate::oracle::{Oracle, Populate};
use crate::trial::TrialStatus;
use crate::value::Json;

#[derive(Debug, Clone)]
pub(crate) struct BayesianState {
    pub(crate) num_initial_points: Option<usize>,
    pub(crate) alpha: f64,
    pub(crate) beta: f64,
    random_state: Option<RandomState>,
    gp: Option<Gp>,
}

impl BayesianState {
    pub(crate) fn new(num_initial_points: Option<usize>, alpha: f64, beta: f64) -> BayesianState {
        BayesianState {
            num_initial_points,
            alpha,
            beta,
            random_state: None,
            gp: None,
        }
    }

    pub(crate) fn seed_random_state(&mut self, seed: u64) {
        self.random_state = Some(RandomState::new(seed as u32));
    }

    /// `_vectorize_trials`: one probability vector (non-fixed hyperparameters, in space
    /// order) and one score (negated when maximising) per completed trial.
    fn vectorize(&self, oracle: &Oracle) -> (Vec<Vec<f64>>, Vec<f64>) {
        let nonfixed: Vec<_> = oracle
            .hyperparameters
            .space()
            .iter()
            .filter(|h| !matches!(h.kind, HpKind::Fixed { .. }))
            .collect();
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for t in oracle.trials() {
            let thp = &t.hyperparameters;
            let vector: Vec<f64> = nonfixed
                .iter()
                .map(|hp| {
                    let v = match thp.values().get(&hp.name) {
                        Some(v) if thp.is_active(hp) => v.clone(),
                        _ => hp.default_value(),
                    };
                    hp.value_to_prob(&v)
                })
                .collect();
            let ongoing = oracle
                .ongoing_trials
                .iter()
                .any(|(_, id)| *id == t.trial_id);
            let score = if ongoing {
                match &self.gp {
                    Some(gp) => {
                        let (m, v) = gp.predict(&vector);
                        m + v.sqrt()
                    }
                    None => continue,
                }
            } else if t.status == TrialStatus::Completed {
                let s = t.score.unwrap_or(f64::NAN);
                if oracle.objective.direction() == "max" {
                    -s
                } else {
                    s
                }
            } else {
                continue;
            };
            xs.push(vector);
            ys.push(score);
        }
        (xs, ys)
    }

    pub(crate) fn populate(&mut self, oracle: &mut Oracle) -> Result<Populate> {
        let completed = oracle
            .trials()
            .iter()
            .filter(|t| t.status == TrialStatus::Completed)
            .count();
        let dimensions = oracle.hyperparameters.space().len();
        let initial = self
            .num_initial_points
            .filter(|&n| n > 0)
            .unwrap_or((3 * dimensions).max(3));
        if completed < initial {
            return Ok(match oracle.random_values() {
                Some(v) => Populate::Running(v),
                None => Populate::Stopped,
            });
        }
        let (x, y) = self.vectorize(oracle);
        let clean = |v: f64| {
            if v.is_nan() || v.is_infinite() {
                0.0
            } else {
                v
            }
        };
        let x: Vec<Vec<f64>> = x
            .into_iter()
            .map(|r| r.into_iter().map(clean).collect())
            .collect();
        let y: Vec<f64> = y.into_iter().map(clean).collect();
        let Some(gp) = Gp::fit(&x, &y, self.alpha) else {
            return Ok(match oracle.random_values() {
                Some(v) => Populate::Running(v),
                None => Populate::Stopped,
            });
        };
        let beta = self.beta;
        let acq = |p: &[f64]| {
            let (m, v, dm, dv) = gp.predict_grad(p, true);
            let s = v.sqrt();
            let grad = dm
                .iter()
                .zip(&dv)
                .map(|(a, b)| {
                    if s > 0.0 {
                        a - beta * b / (2.0 * s)
                    } else {
                        *a
                    }
                })
                .collect();
            (m - beta * s, grad)
        };
        let dim = oracle.nonfixed_len();
        let rs = self
            .random_state
            .get_or_insert_with(|| RandomState::new(oracle.seed as u32));
        let seeds: Vec<Vec<f64>> = (0..50)
            .map(|_| (0..dim).map(|_| rs.uniform(0.0, 1.0)).collect())
            .collect();
        let mut best_val = f64::INFINITY;
        let mut best_x: Option<Vec<f64>> = None;
        for s in &seeds {
            let (xo, fo) = minimize_box(&acq, s, 0.0, 1.0, 15000);
            if fo < best_val {
                best_val = fo;
                best_x = Some(xo);
            }
        }
        self.gp = Some(gp);
        let Some(best) = best_x else {
            return Ok(Populate::Stopped);
        };
        Ok(Populate::Running(vector_to_values(
            &oracle.hyperparameters,
            &best,
        )))
    }

    pub(crate) fn save(&self, state: Json) -> Json {
        state
            .with("num_initial_points", self.num_initial_points)
            .with("alpha", self.alpha)
            .with("beta", self.beta)
    }

    pub(crate) fn load(&mut self, s: &Json) -> std::result::Result<(), String> {
        self.num_initial_points = s
            .get("num_initial_points")
            .and_then(Json::as_i64)
            .map(|n| n as usize);
        self.alpha = s.get("alpha").and_then(Json::as_f64).ok_or("alpha")?;
        self.beta = s.get("beta").and_then(Json::as_f64).ok_or("beta")?;
        self.gp = None;
        Ok(())
    }
}

/// `_vector_to_values`.
fn vector_to_values(space: &HyperParameters, vector: &[f64]) -> crate::hyperparameters::Values {
    let mut hps = HyperParameters::new();
    let mut i = 0;
    for hp in space.space() {
        hps.merge(std::slice::from_ref(hp), true);
        let value = match &hp.kind {
            HpKind::Fixed { value } => value.clone(),
            _ => {
                let p = vector.get(i).copied().unwrap_or(0.5);
                i += 1;
                hp.prob_to_value(p)
            }
        };
        if hps.is_active(hp) {
            hps.values_mut().insert(&hp.name, value);
        }
    }
    hps.values().clone()
}
