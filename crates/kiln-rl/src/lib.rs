//! Reinforcement-learning environments with gymnasium's API and dynamics.
//!
//! - [`envs`]: gymnasium's classic-control environments, CartPole-v1, MountainCar-v0,
//!   Acrobot-v1 and Pendulum-v1, with gymnasium's equations, constants, evaluation order and
//!   dtypes, so a seeded episode replays Python's (golden-tested against gymnasium 1.2.2).
//! - [`make`] returns them wrapped as `gymnasium.make` does, in a [`TimeLimit`].
//! - [`spaces`]: `Discrete` and `Box` with gymnasium's seeded `sample()` and `contains()`.
//! - [`rng`]: NumPy's `SeedSequence`, `PCG64` and the `Generator` methods gymnasium uses, bit
//!   for bit, so `reset(Some(seed))` starts where Python starts for the same seed.
//! - [`agent`]: a replay buffer, epsilon-greedy exploration and target-network updates on
//!   plain `f32` vectors.
//! - [`render`]: `rgb_array` frames of each environment, pixel for pixel the frames gymnasium
//!   draws with pygame (Pendulum's torque-arrow bitmap aside), savable as PNG.
//!
//! ```
//! use kiln_rl::{Action, Env, make};
//!
//! let mut env = make("MountainCar-v0")?;
//! env.action_space_mut().seed(Some(0));
//! let (mut obs, _info) = env.reset(Some(0))?;
//! let mut total = 0.0;
//! loop {
//!     let action = env.action_space_mut().sample();
//!     let (next, reward, terminated, truncated, _info) = env.step(action)?;
//!     total += reward;
//!     obs = next;
//!     if terminated || truncated {
//!         break;
//!     }
//! }
//! assert_eq!(total, -200.0); // random actions never reach the flag in 200 steps
//! assert_eq!(obs.len(), 2);
//! assert!(env.step(Action::from(7)).is_err()); // not in Discrete(3)
//! # Ok::<(), kiln_rl::RlError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod agent;
pub mod env;
pub mod envs;
pub mod error;
pub mod render;
pub mod rng;
pub mod spaces;
mod ziggurat;

pub use env::{make, spec, Env, EnvSpec, Info, MadeEnv, Step, TimeLimit, REGISTRY};
pub use error::{Result, RlError};
pub use render::Frame;
pub use spaces::{Action, BoxSpace, Discrete, Space};
