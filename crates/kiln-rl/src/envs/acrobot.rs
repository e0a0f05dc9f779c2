//! Acrobot (gymnasium `AcrobotEnv`, registered as `Acrobot-v1` with a 500-step limit).

use std::f64::consts::PI;

use crate::env::{reseed, Env, Info, Step};
use crate::envs::{discrete_action, pow2};
use crate::error::{Result, RlError};
use crate::render::{self, Frame};
use crate::rng::Generator;
use crate::spaces::{Action, BoxSpace, Discrete, Space};

const DT: f64 = 0.2;
const LINK_LENGTH_1: f64 = 1.0;
const LINK_LENGTH_2: f64 = 1.0;
const LINK_MASS_1: f64 = 1.0;
const LINK_MASS_2: f64 = 1.0;
const LINK_COM_POS_1: f64 = 0.5;
const LINK_COM_POS_2: f64 = 0.5;
const LINK_MOI: f64 = 1.0;
const AVAIL_TORQUE: [f64; 3] = [-1.0, 0.0, 1.0];

fn max_vel_1() -> f64 {
    4.0 * PI
}

fn max_vel_2() -> f64 {
    9.0 * PI
}

/// Sutton's two-link acrobot, as gymnasium's `AcrobotEnv` with `book_or_nips = "book"` and
/// no torque noise.
///
/// Actions `0, 1, 2` apply a torque of `-1, 0, +1` to the joint between the links. The
/// float64 state `(theta1, theta2, dtheta1, dtheta2)` is integrated over 0.2 s with one
/// classical Runge-Kutta step (gymnasium's `rk4` over `t = [0, dt]`); the angles are then
/// wrapped into `[-π, π]` and the velocities bounded to `±4π` and `±9π`. Observations are
/// `(cos θ1, sin θ1, cos θ2, sin θ2, dθ1, dθ2)` in float32. The reward is `-1.0` per step and
/// `0.0` on the step that terminates, which is when the free end rises above the bar:
/// `-cos θ1 - cos(θ2 + θ1) > 1`. Reset draws the four state variables from `U(-0.1, 0.1)`
/// and, as gymnasium does, keeps them as float32.
///
/// ```
/// use kiln_rl::{Action, Env, envs::Acrobot};
///
/// let mut env = Acrobot::new();
/// let (obs, _) = env.reset(Some(0)).unwrap();
/// assert_eq!(obs.len(), 6);
/// assert_eq!(obs[4], -0.091805294); // gymnasium: env.reset(seed=0)[0][4]
/// let (_, reward, _, _, _) = env.step(Action::from(2)).unwrap();
/// assert_eq!(reward, -1.0);
/// ```
#[derive(Debug, Clone)]
pub struct Acrobot {
    state: Option<[f64; 4]>,
    rng: Option<Generator>,
    action_space: Space,
    observation_space: BoxSpace,
}

impl Default for Acrobot {
    fn default() -> Self {
        Self::new()
    }
}

impl Acrobot {
    /// `AcrobotEnv()`.
    pub fn new() -> Self {
        let high = vec![1.0, 1.0, 1.0, 1.0, max_vel_1() as f32, max_vel_2() as f32];
        let low = high.iter().map(|h| -h).collect();
        Self {
            state: None,
            rng: None,
            action_space: Space::Discrete(Discrete::new(3).expect("3 > 0")),
            observation_space: BoxSpace::new(low, high, &[6]).expect("finite symmetric bounds"),
        }
    }

    /// The state `(theta1, theta2, dtheta1, dtheta2)`, once reset (float32 values right
    /// after a reset, float64 after a step, as in gymnasium).
    pub fn state(&self) -> Option<[f64; 4]> {
        self.state
    }
}

/// gymnasium's `AcrobotEnv._dsdt` ("book" dynamics) on the state augmented with the torque.
fn dsdt(s: &[f64; 5]) -> [f64; 5] {
    let m1 = LINK_MASS_1;
    let m2 = LINK_MASS_2;
    let l1 = LINK_LENGTH_1;
    let lc1 = LINK_COM_POS_1;
    let lc2 = LINK_COM_POS_2;
    let i1 = LINK_MOI;
    let i2 = LINK_MOI;
    let g = 9.8;
    let a = s[4];
    let [theta1, theta2, dtheta1, dtheta2] = [s[0], s[1], s[2], s[3]];
    // Python evaluates `lc1**2` etc. on floats: exact here (0.25, 1.0).
    let d1 =
        m1 * (lc1 * lc1) + m2 * ((l1 * l1) + (lc2 * lc2) + 2.0 * l1 * lc2 * theta2.cos()) + i1 + i2;
    let d2 = m2 * ((lc2 * lc2) + l1 * lc2 * theta2.cos()) + i2;
    let phi2 = m2 * lc2 * g * (theta1 + theta2 - PI / 2.0).cos();
    let phi1 = -m2 * l1 * lc2 * pow2(dtheta2) * theta2.sin()
        - 2.0 * m2 * l1 * lc2 * dtheta2 * dtheta1 * theta2.sin()
        + (m1 * lc1 + m2 * l1) * g * (theta1 - PI / 2.0).cos()
        + phi2;
    let ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * pow2(dtheta1) * theta2.sin() - phi2)
        / (m2 * (lc2 * lc2) + i2 - pow2(d2) / d1);
    let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    [dtheta1, dtheta2, ddtheta1, ddtheta2, 0.0]
}

fn axpy(y: &[f64; 5], a: f64, k: &[f64; 5]) -> [f64; 5] {
    std::array::from_fn(|j| y[j] + a * k[j])
}

/// gymnasium's `rk4(derivs, y0, [0, dt])`: one Runge-Kutta step, the first four components.
fn rk4(y0: &[f64; 5], dt: f64) -> [f64; 4] {
    let dt2 = dt / 2.0;
    let k1 = dsdt(y0);
    let k2 = dsdt(&axpy(y0, dt2, &k1));
    let k3 = dsdt(&axpy(y0, dt2, &k2));
    let k4 = dsdt(&axpy(y0, dt, &k3));
    let w = dt / 6.0;
    std::array::from_fn(|j| y0[j] + w * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j]))
}

/// gymnasium's `wrap(x, m, M)`.
fn wrap(mut x: f64, m: f64, big_m: f64) -> f64 {
    let diff = big_m - m;
    while x > big_m {
        x -= diff;
    }
    while x < m {
        x += diff;
    }
    x
}

/// gymnasium's `bound(x, m, M)`: Python's `min(max(x, m), M)`.
fn bound(x: f64, m: f64, big_m: f64) -> f64 {
    let lo = if m > x { m } else { x };
    if big_m < lo {
        big_m
    } else {
        lo
    }
}

/// `cos`/`sin` of a float32 scalar, rounded to float32. NumPy's own float32 kernels can
/// differ from this correctly rounded value by one unit in the last place.
fn cos_f32(x: f64) -> f32 {
    x.cos() as f32
}

fn sin_f32(x: f64) -> f32 {
    x.sin() as f32
}

impl Env for Acrobot {
    fn name(&self) -> &'static str {
        "AcrobotEnv"
    }

    fn reset(&mut self, seed: Option<u64>) -> Result<(Vec<f32>, Info)> {
        let v = reseed(&mut self.rng, seed).uniform_n(-0.1, 0.1, 4)?;
        // `.astype(np.float32)`
        let s: [f64; 4] = std::array::from_fn(|i| f64::from(v[i] as f32));
        self.state = Some(s);
        let obs = vec![
            cos_f32(s[0]),
            sin_f32(s[0]),
            cos_f32(s[1]),
            sin_f32(s[1]),
            s[2] as f32,
            s[3] as f32,
        ];
        Ok((obs, Info::new()))
    }

    fn step(&mut self, action: Action) -> Result<Step> {
        let a = discrete_action(&self.action_space, &action)?;
        let s = self.state.ok_or(RlError::StepBeforeReset)?;
        // the action was checked to be 0, 1 or 2
        let torque = AVAIL_TORQUE[usize::try_from(a).unwrap_or(1)];
        let augmented = [s[0], s[1], s[2], s[3], torque];
        let mut ns = rk4(&augmented, DT);
        ns[0] = wrap(ns[0], -PI, PI);
        ns[1] = wrap(ns[1], -PI, PI);
        ns[2] = bound(ns[2], -max_vel_1(), max_vel_1());
        ns[3] = bound(ns[3], -max_vel_2(), max_vel_2());
        self.state = Some(ns);
        let terminated = -ns[0].cos() - (ns[1] + ns[0]).cos() > 1.0;
        let reward = if terminated { 0.0 } else { -1.0 };
        let obs = ns_observation(&ns);
        Ok((obs, reward, terminated, false, Info::new()))
    }

    fn action_space(&self) -> &Space {
        &self.action_space
    }

    fn action_space_mut(&mut self) -> &mut Space {
        &mut self.action_space
    }

    fn observation_space(&self) -> &BoxSpace {
        &self.observation_space
    }

    fn render(&mut self) -> Result<Frame> {
        let s = self.state.ok_or(RlError::RenderBeforeReset)?;
        Ok(render::acrobot(&s, LINK_LENGTH_1, LINK_LENGTH_2))
    }
}

fn ns_observation(s: &[f64; 4]) -> Vec<f32> {
    vec![
        s[0].cos() as f32,
        s[0].sin() as f32,
        s[1].cos() as f32,
        s[1].sin() as f32,
        s[2] as f32,
        s[3] as f32,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_and_bound_follow_gymnasium() {
        assert_eq!(wrap(3.0 * PI, -PI, PI), PI);
        assert_eq!(wrap(-3.5 * PI, -PI, PI), -3.5 * PI + 4.0 * PI);
        assert_eq!(bound(5.0, -1.0, 1.0), 1.0);
        assert_eq!(bound(-5.0, -1.0, 1.0), -1.0);
        assert_eq!(bound(0.5, -1.0, 1.0), 0.5);
    }

    #[test]
    fn reset_state_is_float32() {
        let mut env = Acrobot::new();
        env.reset(Some(7)).unwrap();
        let s = env.state().unwrap();
        assert!(s
            .iter()
            .all(|&v| f64::from(v as f32) == v && v.abs() <= 0.1));
        env.step(Action::from(0)).unwrap();
        assert!(env
            .state()
            .unwrap()
            .iter()
            .any(|&v| f64::from(v as f32) != v));
    }

    #[test]
    fn terminates_when_the_tip_is_above_the_bar() {
        let mut env = Acrobot::new();
        env.reset(Some(0)).unwrap();
        env.state = Some([PI - 0.01, 0.0, 0.0, 0.0]);
        let (_, reward, terminated, _, _) = env.step(Action::from(1)).unwrap();
        assert!(terminated);
        assert_eq!(reward, 0.0);
        assert!(env.step(Action::from(3)).is_err());
    }
}
