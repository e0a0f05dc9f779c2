//! The meta backend: tensors that carry a shape and a dtype and no values
//! ([`crate::Device::Meta`]), the second backend behind kiln's op surface.
//!
//! Every op accepts meta operands: it validates shapes and dtypes exactly as on the CPU
//! (so a shape mistake is the same `Err`), and its output is a meta tensor of the shape
//! and dtype the CPU kernel would have produced. Ops with a meta rule (applied after
//! validation and before the kernel: elementwise maps, matmul, convolution, pooling,
//! reductions, softmax, normalization, attention, recurrent sequences, data movement,
//! and every view) allocate nothing. An op without one runs its CPU kernel on zeros,
//! made once per meta buffer on the first read and counted by [`materialized`], and its
//! output is turned back into a meta tensor where the op is recorded; so the result is
//! always meta and never carries a value.
//!
//! Reading a meta tensor's values from Rust (`to_vec`, `item`, `as_slice`, printing the
//! elements) is an `Err` ([`crate::Error::Meta`]), as is assigning one to a variable:
//! code whose control flow depends on values cannot run symbolically.
//!
//! kiln uses it for Keras's shape inference: a Functional model learns every layer's
//! output shapes by calling the layers on meta inputs (Keras's `compute_output_spec`),
//! without computing anything.
//!
//! ```
//! use kiln_tensor::{meta, DType, Device, Tensor};
//! let x = Tensor::meta(&[64, 784], DType::F32);
//! let w = Tensor::ones(&[784, 128], DType::F32);
//! let before = meta::materialized();
//! let y = x.matmul(&w).unwrap().relu().unwrap().sum(&[1], false).unwrap();
//! assert_eq!((y.shape(), y.dtype(), y.device()), (&[64usize][..], DType::F32, Device::Meta));
//! assert_eq!(meta::materialized(), before); // nothing was computed
//! assert!(y.to_vec::<f32>().is_err());
//! assert!(x.matmul(&Tensor::ones(&[10, 2], DType::F32)).is_err()); // same shape checks
//! ```

use std::cell::Cell;

use crate::storage::{Buffer, MetaBuffer};
use crate::{DType, Tensor};

thread_local! {
    static MATERIALIZED: Cell<usize> = const { Cell::new(0) };
}

/// How many meta elements this thread's kernels have read as zeros so far (ops without a
/// meta rule). Tests use it to check that a computation stayed symbolic; with the
/// environment variable `KILN_META_TRACE` set, each such read prints the kiln frames of
/// the op that made it to stderr.
pub fn materialized() -> usize {
    MATERIALIZED.with(|m| m.get())
}

pub(crate) fn count_materialized(n: usize) {
    MATERIALIZED.with(|m| m.set(m.get() + n.max(1)));
    if std::env::var_os("KILN_META_TRACE").is_some() {
        let bt = std::backtrace::Backtrace::force_capture().to_string();
        let frames: Vec<&str> = bt
            .lines()
            .filter(|l| l.contains("kiln") && !l.contains("meta::") && !l.contains("at "))
            .take(6)
            .collect();
        eprintln!("META {n}: {}", frames.join(" <- "));
    }
}

/// A meta output of `shape` and `dtype` when any of `inputs` is meta (the op's meta
/// rule), else `None` (run the CPU kernel).
#[inline]
pub(crate) fn rule(inputs: &[&Tensor], shape: &[usize], dtype: DType) -> Option<Tensor> {
    if inputs.iter().any(|t| t.is_meta()) {
        Some(Tensor::meta(shape, dtype))
    } else {
        None
    }
}

impl Tensor {
    /// A tensor on the meta device: `shape` and `dtype`, no values (see [`crate::meta`]).
    ///
    /// ```
    /// use kiln_tensor::{DType, Device, Tensor};
    /// let t = Tensor::meta(&[2, 3], DType::F32);
    /// assert_eq!((t.shape(), t.device()), (&[2usize, 3][..], Device::Meta));
    /// assert_eq!(t.to_string(), "Tensor(<meta>, shape=(2, 3), dtype=f32)");
    /// ```
    pub fn meta(shape: &[usize], dtype: DType) -> Tensor {
        let len = crate::shape::numel(shape);
        Tensor::from_buffer(
            Buffer::Meta(MetaBuffer {
                dtype,
                len,
                zeros: std::sync::OnceLock::new(),
            }),
            shape.to_vec(),
        )
    }

    /// True for a tensor on the meta device.
    #[inline]
    pub fn is_meta(&self) -> bool {
        matches!(*self.inner.buffer, Buffer::Meta(_))
    }

    /// This tensor's shape and dtype as a fresh meta tensor (`self` when already meta).
    pub(crate) fn to_meta(&self) -> Tensor {
        if self.is_meta() {
            self.clone()
        } else {
            Tensor::meta(self.shape(), self.dtype())
        }
    }
}
