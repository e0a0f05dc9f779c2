//! Pendulum (gymnasium `PendulumEnv`, registered as `Pendulum-v1` with a 200-step limit).

use std::f64::consts::PI;

use crate::env::{reseed, Env, Info, Step};
use crate::envs::{pow2, pow2_f32};
use crate::error::{Result, RlError};
use crate::render::{self, Frame};
use crate::rng::Generator;
use crate::spaces::{Action, BoxSpace, Space};

const MAX_SPEED: f64 = 8.0;
const MAX_TORQUE: f32 = 2.0;
const DT: f64 = 0.05;
const MASS: f64 = 1.0;
const LENGTH: f64 = 1.0;

/// The inverted-pendulum swing-up, as gymnasium's `PendulumEnv`.
///
/// The action is a torque in `Box(-2.0, 2.0, (1,), float32)`. The float64 state is
/// `(theta, theta_dot)`; a step applies
/// `theta_dot += (3g / 2l · sin θ + 3 / (m l²) · u) · dt`, clips it to `±8`, then
/// `theta += theta_dot · dt`, with `dt = 0.05`. The reward is
/// `-(angle_normalize(θ)² + 0.1 θ̇² + 0.001 u²)` for the state before the step, with the
/// torque terms in float32 as gymnasium computes them. It never terminates (the 200-step
/// `TimeLimit` of `make("Pendulum-v1")` truncates). Observations are
/// `(cos θ, sin θ, θ̇)` in float32. Reset draws `θ ~ U(-π, π)` and `θ̇ ~ U(-1, 1)`.
///
/// gymnasium's `PendulumEnv.step` clips an out-of-range torque without complaint; here, as
/// for the other environments, an action outside the action space is an
/// [`RlError::InvalidAction`]. (The clip is kept, so in-range torques are unaffected.)
///
/// ```
/// use kiln_rl::{Action, Env, envs::Pendulum};
///
/// let mut env = Pendulum::new();
/// let (obs, _) = env.reset(Some(0)).unwrap();
/// assert_eq!(obs, [0.6520163, 0.758205, -0.46042657]); // gymnasium: env.reset(seed=0)[0]
/// let (_, reward, terminated, _, _) = env.step(Action::from(1.5f32)).unwrap();
/// assert!(reward < 0.0 && !terminated);
/// assert!(env.step(Action::from(2.5f32)).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct Pendulum {
    g: f64,
    state: Option<[f64; 2]>,
    last_u: Option<f32>,
    rng: Option<Generator>,
    action_space: Space,
    observation_space: BoxSpace,
}

impl Default for Pendulum {
    fn default() -> Self {
        Self::new()
    }
}

impl Pendulum {
    /// `PendulumEnv()` (`g = 10.0`).
    pub fn new() -> Self {
        Self::with_gravity(10.0)
    }

    /// `PendulumEnv(g=...)`.
    pub fn with_gravity(g: f64) -> Self {
        let high = vec![1.0, 1.0, MAX_SPEED as f32];
        let low = high.iter().map(|h| -h).collect();
        Self {
            g,
            state: None,
            last_u: None,
            rng: None,
            action_space: Space::Box(
                BoxSpace::uniform(-MAX_TORQUE, MAX_TORQUE, &[1]).expect("ordered bounds"),
            ),
            observation_space: BoxSpace::new(low, high, &[3]).expect("finite symmetric bounds"),
        }
    }

    /// The float64 state `(theta, theta_dot)`, once reset.
    pub fn state(&self) -> Option<[f64; 2]> {
        self.state
    }
}

/// gymnasium's `angle_normalize`: `((x + π) % (2π)) - π` with NumPy's floored modulo.
fn angle_normalize(x: f64) -> f64 {
    let a = x + PI;
    let b = 2.0 * PI;
    let mut m = a % b;
    if m != 0.0 {
        if (b < 0.0) != (m < 0.0) {
            m += b;
        }
    } else {
        m = 0.0f64.copysign(b);
    }
    m - PI
}

fn observation(state: &[f64; 2]) -> Vec<f32> {
    let [theta, theta_dot] = *state;
    vec![theta.cos() as f32, theta.sin() as f32, theta_dot as f32]
}

impl Env for Pendulum {
    fn name(&self) -> &'static str {
        "PendulumEnv"
    }

    fn reset(&mut self, seed: Option<u64>) -> Result<(Vec<f32>, Info)> {
        let high = [PI, 1.0];
        let low = [-PI, -1.0];
        let v = reseed(&mut self.rng, seed).uniform_each(&low, &high)?;
        let state = [v[0], v[1]];
        self.state = Some(state);
        self.last_u = None;
        Ok((observation(&state), Info::new()))
    }

    fn step(&mut self, action: Action) -> Result<Step> {
        self.action_space.check(&action)?;
        let u = match &action {
            Action::Continuous(v) => v[0],
            // the check above admits only a one-element continuous action
            Action::Discrete(_) => 0.0,
        };
        let [th, thdot] = self.state.ok_or(RlError::StepBeforeReset)?;
        let (g, m, l, dt) = (self.g, MASS, LENGTH, DT);

        let u = u.clamp(-MAX_TORQUE, MAX_TORQUE);
        self.last_u = Some(u);
        // `0.001 * (u**2)` and `3.0 / (m * l**2) * u` are float32 products in NumPy
        // (a Python float times a float32 scalar stays float32).
        let torque_cost = 0.001f32 * pow2_f32(u);
        let costs = pow2(angle_normalize(th)) + 0.1 * pow2(thdot) + f64::from(torque_cost);
        let torque_acc = (3.0 / (m * (l * l))) as f32 * u;
        let newthdot = thdot + (3.0 * g / (2.0 * l) * th.sin() + f64::from(torque_acc)) * dt;
        let newthdot = newthdot.clamp(-MAX_SPEED, MAX_SPEED);
        let newth = th + newthdot * dt;
        let state = [newth, newthdot];
        self.state = Some(state);
        Ok((observation(&state), -costs, false, false, Info::new()))
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
        let [theta, _] = self.state.ok_or(RlError::RenderBeforeReset)?;
        Ok(render::pendulum(theta, self.last_u))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angle_normalize_is_floored() {
        assert!((angle_normalize(3.0 * PI / 2.0) + PI / 2.0).abs() < 1e-15);
        assert!((angle_normalize(-3.0 * PI / 2.0) - PI / 2.0).abs() < 1e-15);
        assert_eq!(angle_normalize(-PI), -PI);
        assert!((angle_normalize(0.25) - 0.25).abs() < 1e-15);
    }

    #[test]
    fn speed_is_clipped() {
        let mut env = Pendulum::new();
        env.reset(Some(0)).unwrap();
        env.state = Some([PI / 2.0, 7.9]);
        let (obs, _, _, _, _) = env.step(Action::from(2.0f32)).unwrap();
        assert_eq!(obs[2], 8.0);
        assert_eq!(env.state().unwrap()[1], 8.0);
    }

    #[test]
    fn actions_outside_the_box_are_errors() {
        let mut env = Pendulum::new();
        assert_eq!(
            env.step(Action::from(0.0f32)),
            Err(RlError::StepBeforeReset)
        );
        env.reset(Some(1)).unwrap();
        for bad in [
            Action::from(2.01f32),
            Action::from(f32::NAN),
            Action::from(vec![0.0, 0.0]),
            Action::from(1),
        ] {
            let err = env.step(bad).unwrap_err();
            assert!(
                err.to_string().contains("Box(-2.0, 2.0, (1,), float32)"),
                "{err}"
            );
        }
        assert!(env.step(Action::from(-2.0f32)).is_ok());
    }
}
