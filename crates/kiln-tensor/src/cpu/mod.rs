//! CPU kernels. Ops in `crate::ops` validate arguments and record gradients; the
//! functions here only compute, on row-major or strided buffers.

pub(crate) mod alloc;
pub(crate) mod attention;
pub(crate) mod cast;
pub(crate) mod conv;
pub(crate) mod conv_direct;
pub(crate) mod copy;
pub mod dispatch;
pub(crate) mod gemm;
pub(crate) mod layer_norm;
pub(crate) mod map;
pub mod num;
pub mod optim;
pub(crate) mod parallel;
pub(crate) mod pool;
pub(crate) mod reduce;
pub(crate) mod rnn;
pub(crate) mod simd_math;
pub(crate) mod softmax;
pub(crate) mod special;
