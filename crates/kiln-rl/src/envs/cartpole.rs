//! CartPole (gymnasium `CartPoleEnv`, registered as `CartPole-v1` with a 500-step limit).

use std::f64::consts::PI;

use crate::env::{reseed, Env, Info, Step};
use crate::envs::discrete_action;
use crate::error::{Result, RlError};
use crate::render::{self, Frame};
use crate::rng::Generator;
use crate::spaces::{Action, BoxSpace, Discrete, Space};

const GRAVITY: f64 = 9.8;
const MASSCART: f64 = 1.0;
const MASSPOLE: f64 = 0.1;
/// Half the pole's length.
const LENGTH: f64 = 0.5;
const FORCE_MAG: f64 = 10.0;
/// Seconds between state updates.
const TAU: f64 = 0.02;
const X_THRESHOLD: f64 = 2.4;

/// The cart-pole balancing task of Barto, Sutton & Anderson, as gymnasium's `CartPoleEnv`.
///
/// Actions: `0` pushes the cart left, `1` right, with a force of 10 N. The state
/// `(x, x_dot, theta, theta_dot)` is float64 and integrated with explicit Euler steps of
/// 0.02 s; observations are its float32 cast. The episode terminates when
/// `|x| > 2.4` or `|theta| > 12°`. The reward is `1.0` every step up to and including the
/// terminating one, and `0.0` for steps taken after it (gymnasium's
/// `steps_beyond_terminated`); with `sutton_barto_reward` it is `0.0` per step and `-1.0` at
/// and after termination. Reset draws every state variable from `U(-0.05, 0.05)`.
///
/// ```
/// use kiln_rl::{Action, Env, envs::CartPole};
///
/// let mut env = CartPole::new();
/// // gymnasium: env.reset(seed=123)[0], which NumPy prints as
/// // [ 0.01823519 -0.0446179  -0.02796401 -0.03156282]
/// let (obs, _) = env.reset(Some(123)).unwrap();
/// assert_eq!(obs, [0.018235186, -0.0446179, -0.027964013, -0.03156282]);
/// let (_, reward, terminated, truncated, _) = env.step(Action::from(0)).unwrap();
/// assert_eq!((reward, terminated, truncated), (1.0, false, false));
/// ```
#[derive(Debug, Clone)]
pub struct CartPole {
    sutton_barto_reward: bool,
    state: Option<[f64; 4]>,
    steps_beyond_terminated: Option<u32>,
    rng: Option<Generator>,
    action_space: Space,
    observation_space: BoxSpace,
}

impl Default for CartPole {
    fn default() -> Self {
        Self::new()
    }
}

impl CartPole {
    /// `CartPoleEnv()`.
    pub fn new() -> Self {
        Self::with_sutton_barto_reward(false)
    }

    /// `CartPoleEnv(sutton_barto_reward=...)`.
    pub fn with_sutton_barto_reward(sutton_barto_reward: bool) -> Self {
        let theta = theta_threshold_radians();
        let high = [
            (X_THRESHOLD * 2.0) as f32,
            f32::INFINITY,
            (theta * 2.0) as f32,
            f32::INFINITY,
        ];
        let low = high.map(|h| -h);
        Self {
            sutton_barto_reward,
            state: None,
            steps_beyond_terminated: None,
            rng: None,
            action_space: Space::Discrete(Discrete::new(2).expect("2 > 0")),
            observation_space: BoxSpace::new(low.to_vec(), high.to_vec(), &[4])
                .expect("finite symmetric bounds"),
        }
    }

    /// The float64 state `(x, x_dot, theta, theta_dot)`, once reset.
    pub fn state(&self) -> Option<[f64; 4]> {
        self.state
    }
}

/// `12 * 2 * math.pi / 360`, evaluated in Python's order.
fn theta_threshold_radians() -> f64 {
    24.0 * PI / 360.0
}

fn observation(state: &[f64; 4]) -> Vec<f32> {
    state.iter().map(|&v| v as f32).collect()
}

impl Env for CartPole {
    fn name(&self) -> &'static str {
        "CartPoleEnv"
    }

    fn reset(&mut self, seed: Option<u64>) -> Result<(Vec<f32>, Info)> {
        let v = reseed(&mut self.rng, seed).uniform_n(-0.05, 0.05, 4)?;
        let state = [v[0], v[1], v[2], v[3]];
        self.state = Some(state);
        self.steps_beyond_terminated = None;
        Ok((observation(&state), Info::new()))
    }

    fn step(&mut self, action: Action) -> Result<Step> {
        let a = discrete_action(&self.action_space, &action)?;
        let [x, x_dot, theta, theta_dot] = self.state.ok_or(RlError::StepBeforeReset)?;

        let total_mass = MASSPOLE + MASSCART;
        let polemass_length = MASSPOLE * LENGTH;
        let force = if a == 1 { FORCE_MAG } else { -FORCE_MAG };
        let costheta = theta.cos();
        let sintheta = theta.sin();
        let temp = (force + polemass_length * (theta_dot * theta_dot) * sintheta) / total_mass;
        let thetaacc = (GRAVITY * sintheta - costheta * temp)
            / (LENGTH * (4.0 / 3.0 - MASSPOLE * (costheta * costheta) / total_mass));
        let xacc = temp - polemass_length * thetaacc * costheta / total_mass;
        // kinematics_integrator == "euler"
        let x = x + TAU * x_dot;
        let x_dot = x_dot + TAU * xacc;
        let theta = theta + TAU * theta_dot;
        let theta_dot = theta_dot + TAU * thetaacc;
        let state = [x, x_dot, theta, theta_dot];
        self.state = Some(state);

        let threshold = theta_threshold_radians();
        // gymnasium's comparisons, kept as written: a NaN state does not terminate, where
        // `!range.contains` would
        #[allow(clippy::manual_range_contains)]
        let terminated =
            x < -X_THRESHOLD || x > X_THRESHOLD || theta < -threshold || theta > threshold;
        let reward = if !terminated {
            if self.sutton_barto_reward {
                0.0
            } else {
                1.0
            }
        } else if self.steps_beyond_terminated.is_none() {
            // the pole just fell
            self.steps_beyond_terminated = Some(0);
            if self.sutton_barto_reward {
                -1.0
            } else {
                1.0
            }
        } else {
            // gymnasium warns here: stepping after termination is undefined behaviour
            self.steps_beyond_terminated = self.steps_beyond_terminated.map(|n| n + 1);
            if self.sutton_barto_reward {
                -1.0
            } else {
                0.0
            }
        };
        Ok((observation(&state), reward, terminated, false, Info::new()))
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
        let state = self.state.ok_or(RlError::RenderBeforeReset)?;
        Ok(render::cartpole(&state, X_THRESHOLD, LENGTH))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_before_reset_and_bad_actions_are_errors() {
        let mut env = CartPole::new();
        assert_eq!(env.step(Action::from(0)), Err(RlError::StepBeforeReset));
        assert_eq!(env.render().unwrap_err(), RlError::RenderBeforeReset);
        env.reset(Some(0)).unwrap();
        let err = env.step(Action::from(2)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "action 2 is outside the action space Discrete(2)"
        );
        assert!(env.step(Action::from(vec![1.0])).is_err());
        assert!(env.step(Action::from(-1)).is_err());
    }

    #[test]
    fn rewards_after_termination() {
        for (sb, live, fall, after) in [(false, 1.0, 1.0, 0.0), (true, 0.0, -1.0, -1.0)] {
            let mut env = CartPole::with_sutton_barto_reward(sb);
            env.reset(Some(3)).unwrap();
            let mut rewards = Vec::new();
            loop {
                let (_, r, term, _, _) = env.step(Action::from(1)).unwrap();
                rewards.push(r);
                if term {
                    break;
                }
            }
            let (_, r1, t1, _, _) = env.step(Action::from(1)).unwrap();
            let (_, r2, t2, _, _) = env.step(Action::from(1)).unwrap();
            assert!(rewards[..rewards.len() - 1].iter().all(|&r| r == live));
            assert_eq!(*rewards.last().unwrap(), fall);
            assert_eq!((r1, t1, r2, t2), (after, true, after, true));
            assert_eq!(env.steps_beyond_terminated, Some(2));
            env.reset(None).unwrap();
            assert_eq!(env.steps_beyond_terminated, None);
        }
    }

    #[test]
    fn spaces_match_gymnasium() {
        let env = CartPole::new();
        assert_eq!(env.action_space().to_string(), "Discrete(2)");
        assert_eq!(
            env.observation_space().high(),
            [4.8, f32::INFINITY, 0.41887903, f32::INFINITY]
        );
    }
}
