//! # kiln-tensor
//!
//! kiln's core, as TensorFlow's core: a dynamically typed n-d [`Tensor`] with eager ops on
//! the CPU, and [`GradientTape`] automatic differentiation over [`Variable`]s and watched
//! tensors. Everything in `kiln` (layers, losses, optimizers) is written against these ops.
//!
//! ```
//! use kiln_tensor::{GradientTape, Tensor, Variable};
//! let w = Variable::new(Tensor::from_vec(vec![1.0f32, 2.0], &[2, 1])?, "w", true);
//! let x = Tensor::from_vec(vec![3.0f32, 4.0], &[1, 2])?;
//! let tape = GradientTape::new();
//! let y = x.matmul(&w.value())?.sum_all()?; // 3*1 + 4*2 = 11
//! let grads = tape.gradient(&y, &[&w])?;
//! assert_eq!(y.item::<f32>()?, 11.0);
//! assert_eq!(grads[0].as_ref().unwrap().to_vec::<f32>()?, vec![3.0, 4.0]);
//! assert_eq!(grads[0].as_ref().unwrap().shape(), &[2, 1]);
//! # Ok::<(), kiln_tensor::Error>(())
//! ```

pub mod autodiff;
pub mod cpu;
mod device;
mod display;
mod dtype;
mod error;
pub mod ops;
pub mod random;
pub mod shape;
mod storage;
mod tensor;

pub use autodiff::{GradSource, GradientTape, Variable};
pub use cpu::num::Num;
pub use device::Device;
pub use dtype::{DType, Element};
pub use error::{Error, Result};
#[doc(hidden)]
pub use storage::Buffer;
pub use ops::conv::Padding;
pub use tensor::Tensor;

// Re-exported for the dispatch macros.
#[doc(hidden)]
pub use half;
