//! Magnitude pruning as TensorFlow Model Optimization's `tfmot.sparsity.keras`:
//! [`prune_low_magnitude`] wraps layers in [`PruneLowMagnitude`], whose training calls
//! zero the smallest weights along a [`PruningSchedule`] ([`PolynomialDecay`],
//! [`ConstantSparsity`]); [`UpdatePruningStep`] drives the step during `fit`,
//! [`PruningSummaries`] logs the sparsity to TensorBoard, and [`strip_pruning`] returns
//! the plain model with its sparse weights. Golden-tested against TFMOT 0.8.1 on tf_keras
//! (`tools/golden/gen_pruning.py`).
//!
//! ```
//! use kiln::layers::Dense;
//! use kiln::models::{CompileArgs, FitArgs, Model};
//! use kiln_lite::sparsity::{
//!     prune_low_magnitude, strip_pruning, PolynomialDecay, PruningParams, UpdatePruningStep,
//! };
//! use kiln_tensor::Tensor;
//!
//! let model = Model::sequential(vec![
//!     Dense::new(16).activation("relu").input_shape(&[4]).into(),
//!     Dense::new(1).into(),
//! ])?;
//! let schedule = PolynomialDecay::with_options(0.0, 0.5, 0, 4, 3.0, 1)?;
//! let mut pruned = prune_low_magnitude(&model, PruningParams::new(schedule))?.into_model()?;
//! pruned.compile(CompileArgs::new().optimizer("sgd").loss("mse"))?;
//! let x = Tensor::from_vec((0..32).map(|i| i as f32 / 32.0).collect(), &[8, 4])?;
//! let y = Tensor::from_vec(vec![1.0f32; 8], &[8, 1])?;
//! pruned.fit(&x, &y, FitArgs::new().epochs(3).batch_size(2).verbose(0).callback(UpdatePruningStep::new()))?;
//! let plain = strip_pruning(&pruned)?;
//! let kernel = plain.layers()[0].weights()[0].value().to_vec::<f32>()?;
//! assert_eq!(kernel.iter().filter(|&&w| w == 0.0).count(), 32); // 50% of 64
//! # Ok::<(), kiln::Error>(())
//! ```

pub mod callbacks;
pub mod mask;
pub mod prune;
pub mod registry;
pub mod schedule;
pub mod wrapper;

pub use callbacks::{collect_prunable_layers, PruningSummaries, UpdatePruningStep};
pub use mask::{block_mask, magnitude_mask, BlockPooling};
pub use prune::{prune_low_magnitude, strip_pruning, Prunable, Pruned};
pub use registry::prunable_weight_names;
pub use schedule::{schedule_from_config, ConstantSparsity, PolynomialDecay, PruningSchedule};
pub use wrapper::{
    prune_scope, wrapper_from_config, PruneLowMagnitude, PruningParams, PRUNE_CALLBACK_ERROR_MSG,
};
