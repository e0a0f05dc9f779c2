//! What an optimizer file built with `optimizer!` needs in scope.

pub(crate) use kiln_tensor::{Tensor, Variable};
pub(crate) use serde_json::{json, Value};

pub(crate) use crate::optimizers::base::{Core, Real, StepInfo, UpdateRule};
pub(crate) use crate::optimizers::schedules::LearningRate;
pub(crate) use crate::optimizers::Optimizer;
pub(crate) use crate::{Error, Result};

/// Keras's `ValueError` for an argument out of its range.
pub(crate) fn invalid(api: &'static str, msg: String) -> Result<()> {
    Err(Error::InvalidArgument { api, msg })
}
