//! gymnasium's classic-control environments, with gymnasium's equations, constants,
//! evaluation order and dtypes, so a seeded episode replays Python's bit for bit.
//!
//! Construct them directly for the unwrapped environment (gymnasium's `env.unwrapped`), or
//! through [`make`](crate::make) for the `TimeLimit`-wrapped one gymnasium's `make` returns.

mod acrobot;
mod cartpole;
mod mountain_car;
mod pendulum;

pub use acrobot::Acrobot;
pub use cartpole::CartPole;
pub use mountain_car::MountainCar;
pub use pendulum::Pendulum;

use std::hint::black_box;

use crate::error::{Result, RlError};
use crate::spaces::{Action, Space};

/// `x ** 2` as NumPy evaluates it on a float64 scalar: libm's `pow(x, 2.0)`, which is not
/// always the correctly rounded `x * x`. `black_box` keeps the optimiser from rewriting the
/// call into a multiplication.
pub(crate) fn pow2(x: f64) -> f64 {
    x.powf(black_box(2.0))
}

/// `x ** 2` on a float32 scalar: libm's `powf(x, 2.0f)`.
pub(crate) fn pow2_f32(x: f32) -> f32 {
    x.powf(black_box(2.0))
}

/// The integer of a discrete action after checking it against the action space.
pub(crate) fn discrete_action(space: &Space, action: &Action) -> Result<i64> {
    space.check(action)?;
    match action {
        Action::Discrete(a) => Ok(*a),
        Action::Continuous(_) => Err(RlError::InvalidAction {
            action: action.to_string(),
            space: space.to_string(),
        }),
    }
}
