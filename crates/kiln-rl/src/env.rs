//! The environment API (gymnasium 1.x), the `TimeLimit` wrapper and `make`.
//!
//! ```
//! use kiln_rl::{Action, Env, make};
//!
//! let mut env = make("CartPole-v1").unwrap();
//! let (obs, _info) = env.reset(Some(42)).unwrap();
//! assert_eq!(obs.len(), 4);
//! let mut steps = 0;
//! loop {
//!     let (obs, reward, terminated, truncated, _info) = env.step(Action::from(1)).unwrap();
//!     assert_eq!((obs.len(), reward), (4, 1.0));
//!     steps += 1;
//!     if terminated || truncated {
//!         break;
//!     }
//! }
//! assert!(steps < 500); // always pushing right topples the pole
//! ```

use std::collections::BTreeMap;

use crate::envs::{Acrobot, CartPole, MountainCar, Pendulum};
use crate::error::{Result, RlError};
use crate::render::Frame;
use crate::rng::{np_random, Generator};
use crate::spaces::{Action, BoxSpace, Space};

/// The `info` dictionary `reset` and `step` return. The classic-control environments always
/// return it empty, as gymnasium's do; wrappers may add entries.
pub type Info = BTreeMap<String, f64>;

/// What `step` returns: `(observation, reward, terminated, truncated, info)`.
pub type Step = (Vec<f32>, f64, bool, bool, Info);

/// An environment with gymnasium 1.x's API.
///
/// Observations are `float32` vectors, as gymnasium returns them; rewards are `f64` (Python
/// floats). The checks gymnasium's `make` adds around an environment are part of every
/// implementation here rather than separate wrappers: `step` or `render` before the first
/// `reset` is [`RlError::StepBeforeReset`] / [`RlError::RenderBeforeReset`] (gymnasium's
/// `OrderEnforcing`), and an action outside the action space is [`RlError::InvalidAction`]
/// naming the space (the environments' own `assert action_space.contains(action)`). Stepping
/// on after `terminated` is allowed, as in gymnasium.
pub trait Env: std::fmt::Debug {
    /// The environment's gymnasium class name (`"CartPoleEnv"`, ...).
    fn name(&self) -> &'static str;

    /// Starts an episode. With `Some(seed)` the environment's generator is reseeded with
    /// gymnasium's `np_random(seed)`; with `None` it carries on (and is seeded from fresh
    /// entropy on first use).
    fn reset(&mut self, seed: Option<u64>) -> Result<(Vec<f32>, Info)>;

    /// Advances one step with `action`.
    fn step(&mut self, action: Action) -> Result<Step>;

    /// The space actions are drawn from.
    fn action_space(&self) -> &Space;

    /// The action space, mutably, to seed it or sample from it
    /// (`env.action_space.seed(...)`, `env.action_space.sample()`).
    fn action_space_mut(&mut self) -> &mut Space;

    /// The space observations belong to.
    fn observation_space(&self) -> &BoxSpace;

    /// The current state as an `rgb_array` frame (gymnasium's `render_mode="rgb_array"`).
    fn render(&mut self) -> Result<Frame>;
}

impl<E: Env + ?Sized> Env for Box<E> {
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn reset(&mut self, seed: Option<u64>) -> Result<(Vec<f32>, Info)> {
        (**self).reset(seed)
    }
    fn step(&mut self, action: Action) -> Result<Step> {
        (**self).step(action)
    }
    fn action_space(&self) -> &Space {
        (**self).action_space()
    }
    fn action_space_mut(&mut self) -> &mut Space {
        (**self).action_space_mut()
    }
    fn observation_space(&self) -> &BoxSpace {
        (**self).observation_space()
    }
    fn render(&mut self) -> Result<Frame> {
        (**self).render()
    }
}

/// gymnasium's `Env.reset(seed=...)` seeding rule for an environment's generator.
pub(crate) fn reseed(rng: &mut Option<Generator>, seed: Option<u64>) -> &mut Generator {
    if let Some(s) = seed {
        *rng = Some(np_random(Some(s)).0);
    }
    rng.get_or_insert_with(Generator::from_os_entropy)
}

/// gymnasium's `TimeLimit` wrapper: `truncated` becomes true once `max_episode_steps` steps
/// have been taken since the last `reset` (and stays true if stepping goes on).
///
/// ```
/// use kiln_rl::{Action, Env, TimeLimit, envs::Pendulum};
///
/// let mut env = TimeLimit::new(Pendulum::new(), 3).unwrap();
/// env.reset(Some(0)).unwrap();
/// let flags: Vec<bool> = (0..4)
///     .map(|_| env.step(Action::from(0.0f32)).unwrap().3)
///     .collect();
/// assert_eq!(flags, [false, false, true, true]);
/// ```
#[derive(Debug, Clone)]
pub struct TimeLimit<E> {
    env: E,
    max_episode_steps: u32,
    elapsed_steps: Option<u32>,
}

impl<E: Env> TimeLimit<E> {
    /// Wraps `env`. Errors unless `max_episode_steps > 0` (gymnasium asserts the same).
    pub fn new(env: E, max_episode_steps: u32) -> Result<Self> {
        if max_episode_steps == 0 {
            return Err(RlError::InvalidArgument(
                "TimeLimit needs max_episode_steps > 0".to_string(),
            ));
        }
        Ok(Self {
            env,
            max_episode_steps,
            elapsed_steps: None,
        })
    }

    /// The step count at which episodes are truncated.
    pub fn max_episode_steps(&self) -> u32 {
        self.max_episode_steps
    }

    /// Steps taken since the last `reset` (`None` before the first).
    pub fn elapsed_steps(&self) -> Option<u32> {
        self.elapsed_steps
    }

    /// The wrapped environment.
    pub fn inner(&self) -> &E {
        &self.env
    }

    /// The wrapped environment, mutably.
    pub fn inner_mut(&mut self) -> &mut E {
        &mut self.env
    }

    /// Unwraps.
    pub fn into_inner(self) -> E {
        self.env
    }
}

impl<E: Env> Env for TimeLimit<E> {
    fn name(&self) -> &'static str {
        self.env.name()
    }

    fn reset(&mut self, seed: Option<u64>) -> Result<(Vec<f32>, Info)> {
        let out = self.env.reset(seed)?;
        self.elapsed_steps = Some(0);
        Ok(out)
    }

    fn step(&mut self, action: Action) -> Result<Step> {
        let (obs, reward, terminated, mut truncated, info) = self.env.step(action)?;
        let elapsed = self.elapsed_steps.unwrap_or(0).saturating_add(1);
        self.elapsed_steps = Some(elapsed);
        if elapsed >= self.max_episode_steps {
            truncated = true;
        }
        Ok((obs, reward, terminated, truncated, info))
    }

    fn action_space(&self) -> &Space {
        self.env.action_space()
    }

    fn action_space_mut(&mut self) -> &mut Space {
        self.env.action_space_mut()
    }

    fn observation_space(&self) -> &BoxSpace {
        self.env.observation_space()
    }

    fn render(&mut self) -> Result<Frame> {
        self.env.render()
    }
}

/// A registered environment: gymnasium's `EnvSpec` fields that matter here.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnvSpec {
    /// The id `make` takes.
    pub id: &'static str,
    /// The `TimeLimit` `make` wraps the environment in.
    pub max_episode_steps: u32,
    /// The return at which the task counts as solved, where gymnasium registers one.
    pub reward_threshold: Option<f64>,
}

/// Every environment `make` knows, with gymnasium's registration values.
pub const REGISTRY: [EnvSpec; 4] = [
    EnvSpec {
        id: "CartPole-v1",
        max_episode_steps: 500,
        reward_threshold: Some(475.0),
    },
    EnvSpec {
        id: "MountainCar-v0",
        max_episode_steps: 200,
        reward_threshold: Some(-110.0),
    },
    EnvSpec {
        id: "Acrobot-v1",
        max_episode_steps: 500,
        reward_threshold: Some(-100.0),
    },
    EnvSpec {
        id: "Pendulum-v1",
        max_episode_steps: 200,
        reward_threshold: None,
    },
];

/// The registration of `id`, if `make` knows it.
pub fn spec(id: &str) -> Option<EnvSpec> {
    REGISTRY.iter().copied().find(|s| s.id == id)
}

/// What [`make`] returns: the environment behind gymnasium's `TimeLimit`.
pub type MadeEnv = TimeLimit<Box<dyn Env + Send>>;

/// `gymnasium.make(id)`: the environment with default arguments, wrapped as gymnasium wraps
/// it, `TimeLimit<OrderEnforcing<PassiveEnvChecker<Env>>>`. `TimeLimit` is the returned
/// wrapper; `OrderEnforcing` and the environment checker are the errors every environment
/// here returns (see [`Env`]).
///
/// Errors with [`RlError::UnknownEnv`], listing the known ids, for any other id.
///
/// ```
/// let err = kiln_rl::make("CartPole-v9").unwrap_err();
/// assert!(err.to_string().contains("CartPole-v1, MountainCar-v0, Acrobot-v1, Pendulum-v1"));
/// ```
pub fn make(id: &str) -> Result<MadeEnv> {
    let Some(spec) = spec(id) else {
        return Err(RlError::UnknownEnv {
            id: id.to_string(),
            known: REGISTRY.iter().map(|s| s.id.to_string()).collect(),
        });
    };
    let env: Box<dyn Env + Send> = match spec.id {
        "CartPole-v1" => Box::new(CartPole::new()),
        "MountainCar-v0" => Box::new(MountainCar::new()),
        "Acrobot-v1" => Box::new(Acrobot::new()),
        _ => Box::new(Pendulum::new()),
    };
    TimeLimit::new(env, spec.max_episode_steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn make_knows_the_four_ids() {
        for s in REGISTRY {
            let env = make(s.id).unwrap();
            assert_eq!(env.max_episode_steps(), s.max_episode_steps);
        }
        assert_eq!(make("Acrobot-v1").unwrap().name(), "AcrobotEnv");
        assert_eq!(make("Pendulum-v1").unwrap().name(), "PendulumEnv");
        match make("LunarLander-v3") {
            Err(RlError::UnknownEnv { id, known }) => {
                assert_eq!(id, "LunarLander-v3");
                assert_eq!(known.len(), 4);
            }
            other => panic!("expected UnknownEnv, got {other:?}"),
        }
    }

    #[test]
    fn time_limit_needs_a_positive_limit() {
        assert!(TimeLimit::new(CartPole::new(), 0).is_err());
    }

    #[test]
    fn time_limit_counts_from_reset_and_not_on_errors() {
        let mut env = TimeLimit::new(CartPole::new(), 2).unwrap();
        assert_eq!(
            env.step(Action::from(0)).unwrap_err(),
            RlError::StepBeforeReset
        );
        assert_eq!(env.elapsed_steps(), None);
        env.reset(Some(1)).unwrap();
        assert!(env.step(Action::from(5)).is_err());
        assert_eq!(env.elapsed_steps(), Some(0));
        assert!(!env.step(Action::from(0)).unwrap().3);
        assert!(env.step(Action::from(1)).unwrap().3);
        env.reset(None).unwrap();
        assert_eq!(env.elapsed_steps(), Some(0));
        assert!(!env.step(Action::from(0)).unwrap().3);
    }
}
