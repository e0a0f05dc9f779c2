//! # kiln
//!
//! The Keras API over `kiln-tensor`. This crate grows with the Keras-core issue; today it
//! has the Adam optimizer and Keras's progress bar, which `kiln train` uses.
//!
//! ```
//! use kiln::optimizers::{Adam, Optimizer};
//! use kiln_tensor::{GradientTape, Tensor, Variable};
//! let w = Variable::new(Tensor::scalar(1.0f32), "w", true);
//! let mut opt = Adam::new(0.1);
//! let tape = GradientTape::new();
//! let loss = w.value().square()?;
//! let g = tape.gradient(&loss, &[&w])?;
//! opt.apply_gradients(&[(g[0].clone().unwrap(), w.clone())])?;
//! assert!((w.value().item::<f32>()? - 0.9).abs() < 1e-6);
//! # Ok::<(), kiln::Error>(())
//! ```
#![forbid(unsafe_code)]

pub mod activations;
pub mod applications;
pub mod callbacks;
pub mod constraints;
mod error;
pub mod initializers;
pub mod layers;
pub mod losses;
pub mod metrics;
pub mod models;
pub mod optimizers;
pub mod regularizers;
pub mod saving;
pub mod utils;

pub use error::{Error, Result};
pub use kiln_tensor as tensor;
/// Traced functions (`tf.function`): see [`kiln_tensor::function`].
pub use kiln_tensor::function;
pub use kiln_tensor::function::executing_eagerly;
pub use kiln_tensor::{DType, GradientTape, Tensor, Variable};
/// serde_json, for `get_config` values and `from_config` factories.
pub use serde_json as json;

/// What a Keras program usually imports, in one `use kiln::prelude::*;`: the layers, the
/// model and its argument builders, and the modules a Keras program names
/// (`callbacks::EarlyStopping`, `losses::...`, `optimizers::Adam`, `saving::load_model`,
/// `random::set_global_seed`, `json::json!`), as `from keras import layers, ...` does.
///
/// ```
/// use kiln::prelude::*;
/// let x = Input::named("x", &[3]);
/// let y = Dense::new(1).apply(&x)?;
/// let mut model = Model::new(&[x], &[y])?;
/// model.compile(CompileArgs::new().optimizer("adam").loss("mse"))?;
/// let logs = model.train_on_batch(&Tensor::ones(&[2, 3], DType::F32), &Tensor::zeros(&[2, 1], DType::F32), None)?;
/// assert!(logs["loss"] >= 0.0);
/// # Ok::<(), kiln::Error>(())
/// ```
pub mod prelude {
    pub use crate::callbacks::{Callback, History, Logs};
    pub use crate::layers::*;
    pub use crate::models::{
        CompileArgs, EvaluateArgs, FitArgs, LossArg, MetricArg, Model, PredictArgs, Tensors,
    };
    pub use crate::{callbacks, json, losses, metrics, optimizers, saving};
    pub use crate::{Error, Result};
    pub use kiln_tensor::{random, DType, GradientTape, Tensor, Variable};
}
