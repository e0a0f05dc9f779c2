//! `Tensor`: a shared, strided, dynamically typed n-d array.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::dtype::{DType, Element, Storable};
use crate::shape::{contiguous_strides, fmt_shape, numel};
use crate::storage::with_any_dtype;
use crate::storage::Buffer;
use crate::{with_dtype, Device, Error, Result};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh identity for a tensor or variable, the key autodiff records gradients under.
pub(crate) fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// An n-dimensional array with a runtime dtype, living on a [`Device`].
///
/// Cloning is cheap: clones share storage. Views (reshape, transpose, slice, broadcast)
/// share storage too and differ only in shape, strides and offset. Every op returns a new
/// tensor; the only in-place writes are through [`crate::Variable`].
///
/// ```
/// use kiln_tensor::Tensor;
/// let a = Tensor::from_vec(vec![1i32, 2, 3], &[3]).unwrap();
/// let b = Tensor::from_vec(vec![4i32, 5, 6], &[3]).unwrap();
/// let c = a.add(&b).unwrap();
/// assert_eq!(c.to_vec::<i32>().unwrap(), vec![5, 7, 9]);
/// assert_eq!(c.to_string(), "Tensor([5, 7, 9], shape=(3,), dtype=i32)");
/// ```
#[derive(Clone)]
pub struct Tensor {
    pub(crate) inner: Arc<TensorInner>,
}

pub(crate) struct TensorInner {
    pub(crate) buffer: Arc<Buffer>,
    pub(crate) shape: Vec<usize>,
    pub(crate) strides: Vec<isize>,
    pub(crate) offset: usize,
    pub(crate) id: u64,
}

impl Tensor {
    // ----- construction -------------------------------------------------------------

    pub(crate) fn from_buffer(buffer: Buffer, shape: Vec<usize>) -> Tensor {
        debug_assert_eq!(buffer.len(), numel(&shape));
        let strides = contiguous_strides(&shape);
        Tensor {
            inner: Arc::new(TensorInner {
                buffer: Arc::new(buffer),
                shape,
                strides,
                offset: 0,
                id: next_id(),
            }),
        }
    }

    /// Builds a tensor from a vector of elements laid out row-major for `shape`.
    /// Kernels use this; it trusts that `v.len()` matches `shape`.
    pub(crate) fn from_vec_unchecked<T: Element>(v: Vec<T>, shape: Vec<usize>) -> Tensor {
        crate::cpu::alloc::tune_heap();
        Tensor::from_buffer(T::wrap(v), shape)
    }

    /// [`Tensor::from_vec_unchecked`] for any stored type (strings included).
    pub(crate) fn from_stored<T: Storable>(v: Vec<T>, shape: Vec<usize>) -> Tensor {
        crate::cpu::alloc::tune_heap();
        Tensor::from_buffer(T::wrap_vec(v), shape)
    }

    /// A string tensor (dtype [`DType::String`]) from row-major strings and a shape, as
    /// `tf.constant([...], dtype=tf.string)`.
    ///
    /// ```
    /// use kiln_tensor::{DType, Tensor};
    /// let t = Tensor::from_strings(vec!["the cat", "a dog"], &[2, 1]).unwrap();
    /// assert_eq!(t.dtype(), DType::String);
    /// assert_eq!(t.shape(), &[2, 1]);
    /// assert_eq!(t.to_strings().unwrap(), vec!["the cat", "a dog"]);
    /// assert!(Tensor::from_strings(vec!["x"], &[2]).is_err());
    /// ```
    pub fn from_strings<S: Into<String>>(data: Vec<S>, shape: &[usize]) -> Result<Tensor> {
        if data.len() != numel(shape) {
            return Err(Error::shape(
                "from_strings",
                format!(
                    "{} strings cannot fill shape {} ({} elements)",
                    data.len(),
                    fmt_shape(shape),
                    numel(shape)
                ),
            ));
        }
        let v: Vec<Arc<str>> = data
            .into_iter()
            .map(|s| Arc::from(s.into().into_boxed_str()))
            .collect();
        Ok(constant(Tensor::from_stored(v, shape.to_vec())))
    }

    /// A rank-0 string tensor, as `tf.constant("text")`.
    ///
    /// ```
    /// let t = kiln_tensor::Tensor::scalar_str("hello");
    /// assert_eq!(t.rank(), 0);
    /// assert_eq!(t.item_str().unwrap(), "hello");
    /// ```
    pub fn scalar_str(value: impl Into<String>) -> Tensor {
        let v: Arc<str> = Arc::from(value.into().into_boxed_str());
        constant(Tensor::from_stored(vec![v], vec![]))
    }

    /// The strings of a string tensor, row-major; an `Err` for other dtypes.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let t = Tensor::from_strings(vec!["a", "b", "c", "d"], &[2, 2]).unwrap();
    /// assert_eq!(t.transpose(None).unwrap().to_strings().unwrap(), vec!["a", "c", "b", "d"]);
    /// assert!(Tensor::scalar(1.0f32).to_strings().is_err());
    /// ```
    pub fn to_strings(&self) -> Result<Vec<String>> {
        Ok(self
            .str_slice("to_strings")?
            .iter()
            .map(|s| s.to_string())
            .collect())
    }

    /// The strings of a string tensor, row-major, as shared `Arc<str>` handles (no copy
    /// of the text; borrowed when the tensor is contiguous).
    ///
    /// ```
    /// let t = kiln_tensor::Tensor::from_strings(vec!["a", "b"], &[2]).unwrap();
    /// assert_eq!(&*t.as_strs().unwrap()[1], "b");
    /// ```
    pub fn as_strs(&self) -> Result<Cow<'_, [Arc<str>]>> {
        self.str_slice("as_strs")
    }

    /// The single string of a one-element string tensor.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let t = Tensor::from_strings(vec!["only"], &[1, 1]).unwrap();
    /// assert_eq!(t.item_str().unwrap(), "only");
    /// assert!(Tensor::from_strings(vec!["a", "b"], &[2]).unwrap().item_str().is_err());
    /// ```
    pub fn item_str(&self) -> Result<String> {
        let v = self.str_slice("item_str")?;
        if v.len() != 1 {
            return Err(Error::shape(
                "item_str",
                format!(
                    "expected a tensor with exactly one element, got shape {}",
                    fmt_shape(self.shape())
                ),
            ));
        }
        Ok(v[0].to_string())
    }

    fn str_slice(&self, op: &'static str) -> Result<Cow<'_, [Arc<str>]>> {
        if self.dtype() != DType::String {
            return Err(Error::dtype(
                op,
                format!(
                    "expected a string tensor, got dtype {}",
                    self.dtype().name()
                ),
            ));
        }
        crate::autodiff::capture::on_value_read(self, op)?;
        Ok(self.stored::<Arc<str>>())
    }

    /// A tensor from row-major data and a shape.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
    /// assert_eq!(t.shape(), &[2, 3]);
    /// assert!(Tensor::from_vec(vec![1.0f32, 2.0], &[3]).is_err());
    /// ```
    pub fn from_vec<T: Element>(data: Vec<T>, shape: &[usize]) -> Result<Tensor> {
        if data.len() != numel(shape) {
            return Err(Error::shape(
                "from_vec",
                format!(
                    "{} elements cannot fill shape {} ({} elements)",
                    data.len(),
                    fmt_shape(shape),
                    numel(shape)
                ),
            ));
        }
        Ok(constant(Tensor::from_vec_unchecked(data, shape.to_vec())))
    }

    /// Like [`Tensor::from_vec`] but copies from a slice.
    ///
    /// ```
    /// let t = kiln_tensor::Tensor::from_slice(&[1u8, 2, 3, 4], &[2, 2]).unwrap();
    /// assert_eq!(t.numel(), 4);
    /// ```
    pub fn from_slice<T: Element>(data: &[T], shape: &[usize]) -> Result<Tensor> {
        Tensor::from_vec(data.to_vec(), shape)
    }

    /// A rank-0 tensor holding `value`; its dtype comes from the Rust type.
    ///
    /// ```
    /// let t = kiln_tensor::Tensor::scalar(2.5f64);
    /// assert_eq!(t.rank(), 0);
    /// assert_eq!(t.item::<f64>().unwrap(), 2.5);
    /// ```
    pub fn scalar<T: Element>(value: T) -> Tensor {
        constant(Tensor::from_vec_unchecked(vec![value], vec![]))
    }

    /// A rank-0 tensor of `dtype` holding `value` converted as `tf.cast` would.
    ///
    /// ```
    /// use kiln_tensor::{DType, Tensor};
    /// let t = Tensor::scalar_of(3.0, DType::I64);
    /// assert_eq!(t.item::<i64>().unwrap(), 3);
    /// ```
    pub fn scalar_of(value: f64, dtype: DType) -> Tensor {
        Tensor::full(&[], value, dtype)
    }

    /// A tensor of `shape` filled with `value` (converted to `dtype`). A string tensor
    /// has no numeric fill: every element is the empty string, whatever `value` is (as
    /// `tf.zeros(shape, tf.string)`).
    ///
    /// ```
    /// use kiln_tensor::{DType, Tensor};
    /// let t = Tensor::full(&[2, 2], 7.0, DType::I32);
    /// assert_eq!(t.to_vec::<i32>().unwrap(), vec![7, 7, 7, 7]);
    /// ```
    pub fn full(shape: &[usize], value: f64, dtype: DType) -> Tensor {
        constant(
            with_any_dtype!(dtype, T => Tensor::from_stored(vec![<T as Storable>::fill(value); numel(shape)], shape.to_vec())),
        )
    }

    /// Zeros of `shape` and `dtype`.
    ///
    /// ```
    /// use kiln_tensor::{DType, Tensor};
    /// assert_eq!(Tensor::zeros(&[3], DType::F32).to_vec::<f32>().unwrap(), vec![0.0; 3]);
    /// ```
    pub fn zeros(shape: &[usize], dtype: DType) -> Tensor {
        Tensor::full(shape, 0.0, dtype)
    }

    /// Ones of `shape` and `dtype`.
    ///
    /// ```
    /// use kiln_tensor::{DType, Tensor};
    /// assert_eq!(Tensor::ones(&[2], DType::I64).to_vec::<i64>().unwrap(), vec![1, 1]);
    /// ```
    pub fn ones(shape: &[usize], dtype: DType) -> Tensor {
        Tensor::full(shape, 1.0, dtype)
    }

    /// Zeros with this tensor's shape and dtype.
    ///
    /// ```
    /// let t = kiln_tensor::Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
    /// assert_eq!(t.zeros_like().to_vec::<f32>().unwrap(), vec![0.0, 0.0]);
    /// ```
    pub fn zeros_like(&self) -> Tensor {
        self.full_like(0.0)
    }

    /// Ones with this tensor's shape and dtype.
    ///
    /// ```
    /// let t = kiln_tensor::Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
    /// assert_eq!(t.ones_like().to_vec::<f32>().unwrap(), vec![1.0, 1.0]);
    /// ```
    pub fn ones_like(&self) -> Tensor {
        self.full_like(1.0)
    }

    /// `value` with this tensor's shape and dtype (empty strings for a string tensor).
    ///
    /// ```
    /// let t = kiln_tensor::Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
    /// assert_eq!(t.full_like(0.5).to_vec::<f32>().unwrap(), vec![0.5, 0.5]);
    /// ```
    pub fn full_like(&self, value: f64) -> Tensor {
        let out = with_any_dtype!(self.dtype(), T => Tensor::from_stored(vec![<T as Storable>::fill(value); self.numel()], self.shape().to_vec()));
        // Recorded with `self` as input, so a traced function replays it at the shape of
        // the call (not of the trace).
        crate::ops::record(
            || crate::autodiff::Op::new("full_like").attr("value", value),
            &[self],
            out,
            |_| Ok(vec![None]),
        )
    }

    /// `[start, start+step, ...)` up to (not including) `limit`, as `tf.range`.
    ///
    /// ```
    /// use kiln_tensor::{DType, Tensor};
    /// let t = Tensor::arange(0.0, 5.0, 2.0, DType::I32).unwrap();
    /// assert_eq!(t.to_vec::<i32>().unwrap(), vec![0, 2, 4]);
    /// assert!(Tensor::arange(0.0, 1.0, 0.0, DType::F32).is_err());
    /// ```
    pub fn arange(start: f64, limit: f64, step: f64, dtype: DType) -> Result<Tensor> {
        if dtype == DType::String {
            return Err(Error::dtype(
                "arange",
                "expected a numeric dtype, got string",
            ));
        }
        if step == 0.0 || !step.is_finite() || !start.is_finite() || !limit.is_finite() {
            return Err(Error::arg(
                "arange",
                format!(
                    "start={start}, limit={limit}, step={step}: step must be finite and non-zero"
                ),
            ));
        }
        let n = ((limit - start) / step).ceil().max(0.0) as usize;
        let v: Vec<f64> = (0..n).map(|i| start + i as f64 * step).collect();
        Ok(constant(
            Tensor::from_vec_unchecked(v, vec![n]).cast_unrecorded(dtype),
        ))
    }

    /// `num` evenly spaced values from `start` to `stop` inclusive, as `tf.linspace`.
    ///
    /// ```
    /// use kiln_tensor::{DType, Tensor};
    /// let t = Tensor::linspace(0.0, 1.0, 5, DType::F32).unwrap();
    /// assert_eq!(t.to_vec::<f32>().unwrap(), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
    /// ```
    pub fn linspace(start: f64, stop: f64, num: usize, dtype: DType) -> Result<Tensor> {
        if !dtype.is_float() {
            return Err(Error::dtype(
                "linspace",
                format!("dtype {} is not a float dtype", dtype.name()),
            ));
        }
        let v: Vec<f64> = match num {
            0 => vec![],
            1 => vec![start],
            _ => {
                let step = (stop - start) / (num - 1) as f64;
                (0..num)
                    .map(|i| {
                        if i == num - 1 {
                            stop
                        } else {
                            start + i as f64 * step
                        }
                    })
                    .collect()
            }
        };
        Ok(constant(
            Tensor::from_vec_unchecked(v, vec![num]).cast_unrecorded(dtype),
        ))
    }

    /// An `n x m` matrix with ones on the main diagonal (`m = n` when `None`), as `tf.eye`.
    /// (A string `dtype` gives empty strings: strings have no one.)
    ///
    /// ```
    /// use kiln_tensor::{DType, Tensor};
    /// let t = Tensor::eye(2, None, DType::F32);
    /// assert_eq!(t.to_vec::<f32>().unwrap(), vec![1.0, 0.0, 0.0, 1.0]);
    /// ```
    pub fn eye(n: usize, m: Option<usize>, dtype: DType) -> Tensor {
        let m = m.unwrap_or(n);
        let mut v = vec![0.0f64; n * m];
        for i in 0..n.min(m) {
            v[i * m + i] = 1.0;
        }
        constant(Tensor::from_vec_unchecked(v, vec![n, m]).cast_unrecorded(dtype))
    }

    // ----- metadata ------------------------------------------------------------------

    /// The dimensions.
    ///
    /// ```
    /// let t = kiln_tensor::Tensor::zeros(&[2, 3], kiln_tensor::DType::F32);
    /// assert_eq!(t.shape(), &[2, 3]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        &self.inner.shape
    }

    /// Number of dimensions.
    ///
    /// ```
    /// assert_eq!(kiln_tensor::Tensor::scalar(1i32).rank(), 0);
    /// ```
    pub fn rank(&self) -> usize {
        self.inner.shape.len()
    }

    /// Number of elements.
    ///
    /// ```
    /// assert_eq!(kiln_tensor::Tensor::zeros(&[2, 3], kiln_tensor::DType::U8).numel(), 6);
    /// ```
    pub fn numel(&self) -> usize {
        numel(&self.inner.shape)
    }

    /// The element type.
    ///
    /// ```
    /// assert_eq!(kiln_tensor::Tensor::scalar(true).dtype(), kiln_tensor::DType::Bool);
    /// ```
    pub fn dtype(&self) -> DType {
        self.inner.buffer.dtype()
    }

    /// The device holding the data.
    ///
    /// ```
    /// assert_eq!(kiln_tensor::Tensor::scalar(1u8).device(), kiln_tensor::Device::Cpu);
    /// ```
    pub fn device(&self) -> Device {
        Device::Cpu
    }

    /// Element strides of the view (may be 0 for broadcast dimensions, negative never).
    ///
    /// ```
    /// let t = kiln_tensor::Tensor::zeros(&[2, 3], kiln_tensor::DType::F32);
    /// assert_eq!(t.strides(), &[3, 1]);
    /// assert_eq!(t.transpose(None).unwrap().strides(), &[1, 3]);
    /// ```
    pub fn strides(&self) -> &[isize] {
        &self.inner.strides
    }

    /// Unique identity of this tensor value (what a `GradientTape` records it under).
    ///
    /// ```
    /// let a = kiln_tensor::Tensor::scalar(1.0f32);
    /// assert_eq!(a.id(), a.clone().id());
    /// ```
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    pub(crate) fn offset(&self) -> usize {
        self.inner.offset
    }

    /// True when the elements are laid out row-major without gaps.
    ///
    /// ```
    /// let t = kiln_tensor::Tensor::zeros(&[2, 3], kiln_tensor::DType::F32);
    /// assert!(t.is_contiguous());
    /// assert!(!t.transpose(None).unwrap().is_contiguous());
    /// ```
    pub fn is_contiguous(&self) -> bool {
        let mut expected = 1isize;
        for (&d, &s) in self.inner.shape.iter().zip(&self.inner.strides).rev() {
            if d != 1 && s != expected {
                return false;
            }
            expected *= d as isize;
        }
        true
    }

    // ----- views (crate-internal building block) -----------------------------------

    /// A view sharing storage with new layout and a fresh id. Callers guarantee that the
    /// layout stays within the buffer.
    pub(crate) fn view(&self, shape: Vec<usize>, strides: Vec<isize>, offset: usize) -> Tensor {
        Tensor {
            inner: Arc::new(TensorInner {
                buffer: self.inner.buffer.clone(),
                shape,
                strides,
                offset,
                id: next_id(),
            }),
        }
    }

    /// Same data, same layout, new identity (the output of an identity op).
    pub(crate) fn alias(&self) -> Tensor {
        self.view(
            self.inner.shape.clone(),
            self.inner.strides.clone(),
            self.inner.offset,
        )
    }

    // ----- element access --------------------------------------------------------------

    pub(crate) fn buffer(&self) -> &Buffer {
        &self.inner.buffer
    }

    /// The elements as a row-major slice when the layout is contiguous, else `None`.
    pub(crate) fn contiguous_slice<T: Element>(&self) -> Option<&[T]> {
        if !self.is_contiguous() {
            return None;
        }
        let all = T::slice(&self.inner.buffer)?;
        Some(&all[self.inner.offset..self.inner.offset + self.numel()])
    }

    /// The elements row-major: borrowed when contiguous, gathered otherwise.
    /// Panics only on an internal dtype mix-up (callers dispatch on `dtype()` first).
    pub(crate) fn data<T: Element>(&self) -> Cow<'_, [T]> {
        self.stored::<T>()
    }

    /// [`Tensor::data`] for any stored type, strings (`Arc<str>`) included.
    pub(crate) fn stored<T: Storable>(&self) -> Cow<'_, [T]> {
        let all = T::view(&self.inner.buffer).expect("kiln internal: dtype dispatch mismatch");
        if self.is_contiguous() {
            return Cow::Borrowed(&all[self.inner.offset..self.inner.offset + self.numel()]);
        }
        Cow::Owned(crate::cpu::copy::gather_strided(
            all,
            &self.inner.shape,
            &self.inner.strides,
            self.inner.offset,
        ))
    }

    /// A mutable row-major slice when this tensor is the sole owner of contiguous storage
    /// covering exactly its elements (the in-place fast path for variable updates).
    pub(crate) fn unique_slice_mut<T: Element>(&mut self) -> Option<&mut [T]> {
        let n = self.numel();
        if !self.is_contiguous() || self.inner.offset != 0 || self.inner.buffer.len() != n {
            return None;
        }
        let inner = Arc::get_mut(&mut self.inner)?;
        let buf = Arc::get_mut(&mut inner.buffer)?;
        T::slice_mut(buf)
    }

    /// A contiguous copy of the data as a new tensor (not recorded: same values, used by
    /// kernels that need a row-major operand).
    pub(crate) fn contiguous_unrecorded(&self) -> Tensor {
        if self.is_contiguous() && self.inner.offset == 0 && self.inner.buffer.len() == self.numel()
        {
            return self.clone();
        }
        with_any_dtype!(self.dtype(), T => Tensor::from_stored(self.stored::<T>().into_owned(), self.shape().to_vec()))
    }

    /// The elements, row-major, as a `Vec<T>`; `T` must match the dtype.
    ///
    /// ```
    /// let t = kiln_tensor::Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
    /// assert_eq!(t.transpose(None).unwrap().to_vec::<f32>().unwrap(), vec![1.0, 3.0, 2.0, 4.0]);
    /// assert!(t.to_vec::<f64>().is_err());
    /// ```
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        self.check_element::<T>("to_vec")?;
        crate::autodiff::capture::on_value_read(self, "to_vec")?;
        Ok(self.data::<T>().into_owned())
    }

    /// The elements, row-major, borrowed when the tensor is contiguous (no copy) and
    /// gathered otherwise; `T` must match the dtype.
    ///
    /// ```
    /// let t = kiln_tensor::Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
    /// assert_eq!(&*t.as_slice::<f32>().unwrap(), &[1.0, 2.0]);
    /// assert!(t.as_slice::<i32>().is_err());
    /// ```
    pub fn as_slice<T: Element>(&self) -> Result<Cow<'_, [T]>> {
        self.check_element::<T>("as_slice")?;
        crate::autodiff::capture::on_value_read(self, "as_slice")?;
        Ok(self.data::<T>())
    }

    /// [`Tensor::to_f64_vec`] without the traced-value check (for graph ops that print).
    pub(crate) fn to_f64_vec_unchecked(&self) -> Vec<f64> {
        with_dtype!(self.dtype(), T => self.data::<T>().iter().map(|v| v.to_f64()).collect(),
            string => vec![f64::NAN; self.numel()])
    }

    /// The elements converted to f64, whatever the dtype (handy for tests and printing).
    /// Strings are not numbers: a string tensor gives NaN for every element (use
    /// [`Tensor::to_strings`]).
    ///
    /// ```
    /// let t = kiln_tensor::Tensor::from_vec(vec![1i32, 2], &[2]).unwrap();
    /// assert_eq!(t.to_f64_vec(), vec![1.0, 2.0]);
    /// ```
    pub fn to_f64_vec(&self) -> Vec<f64> {
        // Cannot fail; a symbolic read still fails the trace.
        let _ = crate::autodiff::capture::on_value_read(self, "to_f64_vec");
        self.to_f64_vec_unchecked()
    }

    /// The single element of a one-element tensor; `T` must match the dtype.
    ///
    /// ```
    /// let t = kiln_tensor::Tensor::from_vec(vec![4i64], &[1, 1]).unwrap();
    /// assert_eq!(t.item::<i64>().unwrap(), 4);
    /// ```
    pub fn item<T: Element>(&self) -> Result<T> {
        self.check_element::<T>("item")?;
        crate::autodiff::capture::on_value_read(self, "item")?;
        if self.numel() != 1 {
            return Err(Error::shape(
                "item",
                format!(
                    "expected a tensor with exactly one element, got shape {}",
                    fmt_shape(self.shape())
                ),
            ));
        }
        Ok(self.data::<T>()[0])
    }

    fn check_element<T: Element>(&self, op: &'static str) -> Result<()> {
        if T::DTYPE != self.dtype() {
            if self.dtype() == DType::String {
                return Err(Error::dtype(
                    op,
                    format!(
                        "tensor has dtype string but {} was requested; read strings with to_strings / item_str",
                        T::DTYPE.name()
                    ),
                ));
            }
            return Err(Error::dtype(
                op,
                format!(
                    "tensor has dtype {} but {} was requested; cast first",
                    self.dtype().name(),
                    T::DTYPE.name()
                ),
            ));
        }
        Ok(())
    }

    /// Converts to `dtype` without recording (used by creation functions).
    pub(crate) fn cast_unrecorded(&self, dtype: DType) -> Tensor {
        if dtype == self.dtype() {
            return self.clone();
        }
        crate::cpu::cast::cast_tensor(self, dtype)
    }
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// Notes a tensor made by a public constructor as a constant of an active trace.
#[inline]
fn constant(t: Tensor) -> Tensor {
    crate::autodiff::capture::on_constant(&t);
    t
}
