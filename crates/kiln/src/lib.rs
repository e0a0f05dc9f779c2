//! # kiln
//!
//! Keras 3 in Rust, over the `kiln-tensor` engine: layers, Sequential, Functional and
//! subclassed models, `compile`/`fit`/`evaluate`/`predict` with Keras's losses, metrics,
//! optimizers and callbacks, and `.keras`/`.h5`/`.weights.h5` files that move between
//! kiln and Keras both ways.
//!
//! Where things are, as in `keras/src`: [`layers`] (one layer a file; the protocol in
//! `layers/layer/`), [`models`] (Model, Sequential, Functional, the trainer), [`losses`],
//! [`metrics`], [`optimizers`], [`callbacks`], [`saving`], [`applications`]
//! (keras.applications), [`activations`], [`initializers`], [`regularizers`],
//! [`constraints`], [`utils`]. A new layer is a struct whose fields declare its config
//! (`#[derive(Layer)]`, see [`layers::Dense`]) and an `impl Layer` with `build` and `call`.
//!
//! ```
//! use kiln::prelude::*;
//! let mut model = Model::sequential(vec![
//!     Dense::new(16).activation("relu").input_shape(&[4]).into(),
//!     Dense::new(3).activation("softmax").into(),
//! ])?;
//! model.compile(CompileArgs::new().optimizer("adam").loss("sparse_categorical_crossentropy"))?;
//! let x = Tensor::ones(&[8, 4], DType::F32);
//! let y = Tensor::zeros(&[8], DType::I32);
//! let history = model.fit(&x, &y, FitArgs::new().epochs(2).verbose(0))?;
//! assert_eq!(history.history["loss"].len(), 2);
//! assert_eq!(model.predict(&x, PredictArgs::new().verbose(0))?.shape(), &[8, 3]);
//! # Ok::<(), kiln::Error>(())
//! ```
#![forbid(unsafe_code)]

// The derive macros name `::kiln::...`; this lets the built-in layers use them too.
extern crate self as kiln;

pub mod activations;
pub mod applications;
pub mod callbacks;
pub mod constraints;
pub mod dtype_policies;
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
