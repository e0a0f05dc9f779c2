//! Callbacks, as `keras.callbacks`: hooks the trainer calls around training, evaluation
//! and prediction, with the logs of the moment.

mod callback;
mod history;
mod logs;
mod progbar_logger;

pub use callback::{Callback, CallbackParams};
pub use history::History;
pub use logs::Logs;
pub use progbar_logger::ProgbarLogger;
