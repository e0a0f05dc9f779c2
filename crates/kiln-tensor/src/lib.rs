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
//!
//! ## Backends: where the seam is
//!
//! A tensor's storage is a [`Buffer`], one variant per backend, and its [`Device`] is read
//! off that variant. Two backends exist: the CPU (typed host vectors, kernels in
//! [`cpu`]) and the meta backend ([`meta`]: a dtype and an element count, no values), which
//! proves the seam and serves shape inference. Every op in [`ops`] does the same three
//! things in order: validate its operands and compute the output's shape and dtype (one
//! code path for every backend, so errors are identical), dispatch on the operands'
//! storage (`meta::rule` for meta tensors, the CPU kernel otherwise), and record itself on
//! the tape as a named [`autodiff::Op`] whose gradient is built from other ops (so no
//! backend writes backward code of its own). The dispatch points are the kernel drivers:
//! `cpu/map.rs` (`unary_map`, `binary_map`), `cpu/gemm.rs` (`matmul_kernel`),
//! `ops/conv.rs` (`compute`: convolution and pooling), `ops/reduce.rs`, `ops/softmax.rs`,
//! `ops/layer_norm.rs`, `ops/attention.rs`, `ops/rnn.rs`, `ops/gather_map.rs`
//! (`take_kernel`: gather, pad, repeat, tile) and `ops/manip.rs` (`concat`); views
//! (reshape, transpose, slice, broadcast) share the buffer and need no dispatch.
//!
//! The seam is an enum, not a trait object: the set of backends is closed and small, an
//! exhaustive `match` makes the compiler list every place a new backend must handle, the
//! kernels are generic over the element type (which a `dyn` trait cannot express), and
//! the eager hot path pays one discriminant test instead of a virtual call.
//!
//! ### What a CUDA backend adds and touches
//! - **Adds** `src/cuda/`: `mod.rs` (device, context and stream, through the `cudarc`
//!   crate), `alloc.rs` (a caching allocator, as `cpu/alloc.rs` recycles host buffers),
//!   `gemm.rs` (cuBLAS GEMM and strided-batched GEMM behind `matmul_kernel`'s
//!   `MatmulPlan`), `conv.rs` (cuDNN convolution and pooling for `ops/conv.rs`'s
//!   geometries), `map.rs`, `reduce.rs`, `softmax.rs`, `layer_norm.rs`, `attention.rs`
//!   and `rnn.rs` (kernels compiled at run time with NVRTC from the same op names and
//!   attributes that [`autodiff::Op`] records), and `copy.rs` (host/device transfers).
//! - **Touches** `storage.rs` (a `Buffer::Cuda` variant holding a device allocation),
//!   `device.rs` (`Device::Cuda(ordinal)`), `dtype.rs` (host reads of a device buffer copy
//!   to the host, as a meta buffer materialises zeros), `tensor.rs` (`to_device`), each
//!   dispatch point listed above (a CUDA arm beside the meta rule), `function/passes/fuse.rs`
//!   (a fused elementwise chain becomes one generated CUDA kernel instead of a CPU loop),
//!   and `autodiff/variable.rs` (`update_in_place` runs a device kernel). In `kiln`:
//!   `optimizers/base.rs` (the fused update rules as device kernels) and the training
//!   loop's data adapter (host batches copied to the device once per step). Nothing in
//!   `autodiff/tape.rs`, the layers or the losses changes: they only call ops.

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
pub mod meta;
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
