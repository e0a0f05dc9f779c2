//! Models, as `keras.Model` / `keras.Sequential`, and the trainer.

mod compile_args;
pub(crate) mod compiled_steps;
mod fit_dataset;
pub(crate) mod functional;
mod model;
pub(crate) mod sequential;
mod summary;
mod trainer;

pub use compile_args::{
    CompileArgs, EvaluateArgs, FitArgs, LossArg, MetricArg, OptimizerArg, PredictArgs, Tensors,
};
pub use functional::Functional;
pub use model::Model;
pub use sequential::SequentialNet;
