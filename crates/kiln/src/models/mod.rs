//! Models, as `keras.Model` / `keras.Sequential`, and the trainer.

mod compile_args;
mod compile_config;
pub(crate) mod compile_utils;
pub(crate) mod compiled_steps;
mod custom_step;
mod data_adapter;
mod distribution;
mod fit_dataset;
pub(crate) mod functional;
mod model;
pub(crate) mod sequential;
mod summary;
mod trainer;

pub use compile_args::{
    CompileArgs, EvaluateArgs, FitArgs, LossArg, MetricArg, OptimizerArg, PredictArgs, Tensors,
};
pub use custom_step::{LogValue, StepData, StepLogs, TrainStep};
pub use distribution::DistributeHook;
pub use functional::Functional;
pub use model::Model;
pub use sequential::SequentialNet;
