//! Callbacks, as `keras.callbacks`: hooks the trainer calls around training, evaluation
//! and prediction, with the logs of the moment. A callback stops training by setting
//! `model.stop_training = true`.

mod backup_and_restore;
mod callback;
mod csv_logger;
mod early_stopping;
mod history;
mod lambda_callback;
mod learning_rate_scheduler;
mod logs;
mod model_checkpoint;
mod monitor;
mod progbar_logger;
mod reduce_lr_on_plateau;
mod remote_monitor;
mod swap_ema_weights;
mod tensorboard;
mod terminate_on_nan;

pub use backup_and_restore::BackupAndRestore;
pub use callback::{Callback, CallbackParams};
pub use csv_logger::CSVLogger;
pub use early_stopping::EarlyStopping;
pub use history::History;
pub use lambda_callback::LambdaCallback;
pub use learning_rate_scheduler::LearningRateScheduler;
pub use logs::Logs;
pub use model_checkpoint::{ModelCheckpoint, SaveFreq};
pub use monitor::{python_float, Mode};
pub use progbar_logger::ProgbarLogger;
pub use reduce_lr_on_plateau::ReduceLROnPlateau;
pub use remote_monitor::RemoteMonitor;
pub use swap_ema_weights::SwapEMAWeights;
pub use tensorboard::{crc32c, histogram_buckets, SummaryWriter, TensorBoard, UpdateFreq};
pub use terminate_on_nan::TerminateOnNaN;
