//! The search strategies' own state and `populate_space`.

pub(crate) mod bayesian;
pub(crate) mod grid;
pub(crate) mod hyperband;
