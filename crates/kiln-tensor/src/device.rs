//! Where a tensor's data lives.

/// The device holding a tensor's storage. Only the CPU exists today; CUDA kernels will be
/// added as a new variant behind the same op functions.
///
/// ```
/// use kiln_tensor::{Device, Tensor};
/// assert_eq!(Tensor::scalar(1.0f32).device(), Device::Cpu);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Device {
    /// Host memory, computed by kiln's CPU kernels.
    #[default]
    Cpu,
    /// Shapes and dtypes only, no values ([`crate::meta`]): shape inference and tracing.
    Meta,
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Device::Cpu => write!(f, "/device:CPU:0"),
            Device::Meta => write!(f, "/device:META:0"),
        }
    }
}
