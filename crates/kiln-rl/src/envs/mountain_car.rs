//! Mountain Car (gymnasium `MountainCarEnv`, registered as `MountainCar-v0` with a 200-step
//! limit).

use crate::env::{reseed, Env, Info, Step};
use crate::envs::discrete_action;
use crate::error::{Result, RlError};
use crate::render::{self, Frame};
use crate::rng::Generator;
use crate::spaces::{Action, BoxSpace, Discrete, Space};

const MIN_POSITION: f64 = -1.2;
const MAX_POSITION: f64 = 0.6;
const MAX_SPEED: f64 = 0.07;
const GOAL_POSITION: f64 = 0.5;
const FORCE: f64 = 0.001;
const GRAVITY: f64 = 0.0025;

/// Andrew Moore's mountain car, as gymnasium's `MountainCarEnv` (discrete actions).
///
/// Actions: `0` accelerates left, `1` not at all, `2` right. The float64 state is
/// `(position, velocity)`:
/// `velocity += (action - 1) * 0.001 + cos(3 * position) * (-0.0025)`, clipped to
/// `[-0.07, 0.07]`; `position += velocity`, clipped to `[-1.2, 0.6]`, with the velocity
/// zeroed when the car hits the left wall moving left. Every step is rewarded `-1.0`; the
/// episode terminates once `position >= 0.5` and `velocity >= goal_velocity`. Reset puts the
/// car at rest at a position drawn from `U(-0.6, -0.4)`.
///
/// ```
/// use kiln_rl::{Action, Env, envs::MountainCar};
///
/// let mut env = MountainCar::new();
/// let (obs, _) = env.reset(Some(0)).unwrap();
/// assert_eq!(obs, [-0.47260767, 0.0]); // gymnasium: env.reset(seed=0)[0]
/// let (_, reward, terminated, _, _) = env.step(Action::from(2)).unwrap();
/// assert_eq!((reward, terminated), (-1.0, false));
/// ```
#[derive(Debug, Clone)]
pub struct MountainCar {
    goal_velocity: f64,
    state: Option<(f64, f64)>,
    rng: Option<Generator>,
    action_space: Space,
    observation_space: BoxSpace,
}

impl Default for MountainCar {
    fn default() -> Self {
        Self::new()
    }
}

impl MountainCar {
    /// `MountainCarEnv()`.
    pub fn new() -> Self {
        Self::with_goal_velocity(0.0)
    }

    /// `MountainCarEnv(goal_velocity=...)`: the velocity the car must also have at the goal.
    pub fn with_goal_velocity(goal_velocity: f64) -> Self {
        let low = vec![MIN_POSITION as f32, -MAX_SPEED as f32];
        let high = vec![MAX_POSITION as f32, MAX_SPEED as f32];
        Self {
            goal_velocity,
            state: None,
            rng: None,
            action_space: Space::Discrete(Discrete::new(3).expect("3 > 0")),
            observation_space: BoxSpace::new(low, high, &[2]).expect("ordered finite bounds"),
        }
    }

    /// The float64 state `(position, velocity)`, once reset.
    pub fn state(&self) -> Option<(f64, f64)> {
        self.state
    }
}

fn observation((position, velocity): (f64, f64)) -> Vec<f32> {
    vec![position as f32, velocity as f32]
}

impl Env for MountainCar {
    fn name(&self) -> &'static str {
        "MountainCarEnv"
    }

    fn reset(&mut self, seed: Option<u64>) -> Result<(Vec<f32>, Info)> {
        let position = reseed(&mut self.rng, seed).uniform(-0.6, -0.4)?;
        let state = (position, 0.0);
        self.state = Some(state);
        Ok((observation(state), Info::new()))
    }

    fn step(&mut self, action: Action) -> Result<Step> {
        let a = discrete_action(&self.action_space, &action)?;
        let (mut position, mut velocity) = self.state.ok_or(RlError::StepBeforeReset)?;
        velocity += (a - 1) as f64 * FORCE + (3.0 * position).cos() * (-GRAVITY);
        velocity = velocity.clamp(-MAX_SPEED, MAX_SPEED);
        position += velocity;
        position = position.clamp(MIN_POSITION, MAX_POSITION);
        if position == MIN_POSITION && velocity < 0.0 {
            velocity = 0.0;
        }
        let terminated = position >= GOAL_POSITION && velocity >= self.goal_velocity;
        self.state = Some((position, velocity));
        Ok((
            observation((position, velocity)),
            -1.0,
            terminated,
            false,
            Info::new(),
        ))
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
        let (position, _) = self.state.ok_or(RlError::RenderBeforeReset)?;
        Ok(render::mountain_car(
            position,
            MIN_POSITION,
            MAX_POSITION,
            GOAL_POSITION,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn left_wall_stops_the_car() {
        let mut env = MountainCar::new();
        env.reset(Some(0)).unwrap();
        env.state = Some((-1.19, -0.05));
        let (obs, _, terminated, _, _) = env.step(Action::from(0)).unwrap();
        assert_eq!(obs, [-1.2, 0.0]);
        assert!(!terminated);
        assert_eq!(env.state(), Some((MIN_POSITION, 0.0)));
    }

    #[test]
    fn speed_is_clipped() {
        let mut env = MountainCar::new();
        env.reset(Some(0)).unwrap();
        // at x = -pi/6 gravity's term is zero: the push alone would exceed 0.07
        env.state = Some((-std::f64::consts::PI / 6.0, 0.0695));
        env.step(Action::from(2)).unwrap();
        assert_eq!(env.state().unwrap().1, MAX_SPEED);
    }

    #[test]
    fn goal_velocity_gates_termination() {
        let mut env = MountainCar::with_goal_velocity(0.05);
        env.reset(Some(0)).unwrap();
        env.state = Some((0.49, 0.02));
        let (_, _, terminated, _, _) = env.step(Action::from(2)).unwrap();
        assert!(!terminated);
        let mut env = MountainCar::new();
        env.reset(Some(0)).unwrap();
        env.state = Some((0.49, 0.02));
        assert!(env.step(Action::from(2)).unwrap().2);
    }

    #[test]
    fn bad_actions_name_the_space() {
        let mut env = MountainCar::new();
        assert_eq!(env.step(Action::from(1)), Err(RlError::StepBeforeReset));
        env.reset(Some(0)).unwrap();
        let err = env.step(Action::from(3)).unwrap_err();
        assert!(err.to_string().contains("Discrete(3)"), "{err}");
    }
}
