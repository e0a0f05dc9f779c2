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

// Kernels are written once as macros/generics instantiated for f32 and f64: a cast that is
// a no-op for one instantiation, f64-precision constants that round for f32, and the
// NaN-producing `0/0` are intended there; `float_kernel!` borrows a binding that is a
// reference in some arms and an owned upcast tensor in others. Data-movement kernels are
// written once for every stored type (`with_any_dtype!`), where `.clone()` is an
// `Arc<str>` clone for strings and a copy for the number types.
#![allow(
    clippy::clone_on_copy,
    clippy::unnecessary_cast,
    clippy::excessive_precision,
    clippy::eq_op,
    clippy::needless_borrow
)]

pub mod autodiff;
pub mod cpu;
mod device;
mod display;
mod dtype;
mod error;
pub mod function;
pub mod ops;
pub mod random;
pub mod shape;
mod storage;
pub mod strings;
mod tensor;

pub use autodiff::{GradSource, GradientTape, Variable};
pub use cpu::num::Num;
pub use device::Device;
pub use dtype::{DType, Element};
pub use error::{Error, Result};
pub use ops::conv::Padding;
#[doc(hidden)]
pub use storage::Buffer;
pub use tensor::Tensor;

// Re-exported for the dispatch macros.
#[doc(hidden)]
pub use half;
