//! Saving and loading in Keras's formats: model configs (`config.json`) now; the `.keras`
//! archive, weights files and legacy `.h5` build on them.

mod config;

pub use config::{model_from_config, model_to_config, serialize_layer};
