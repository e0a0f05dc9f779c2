//! `Variable`: named, mutable state that tapes can differentiate with respect to.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use crate::dtype::Element;
use crate::shape::fmt_shape;
use crate::tensor::next_id;
use crate::{with_dtype, DType, Error, Result, Tensor};

/// A mutable tensor with a name, as `tf.Variable`.
///
/// Reading it ([`Variable::value`]) gives a tensor that active tapes connect back to the
/// variable; trainable variables are watched automatically. `assign*` write in place when
/// nothing else holds the storage (the common case inside an optimizer step) and copy
/// otherwise, so tensors read earlier never change under the reader.
///
/// Cloning a `Variable` gives another handle to the same state.
///
/// ```
/// use kiln_tensor::{Tensor, Variable};
/// let v = Variable::new(Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap(), "w", true);
/// let before = v.value();
/// v.assign_add(&Tensor::from_vec(vec![1.0f32, 1.0], &[2]).unwrap()).unwrap();
/// assert_eq!(v.value().to_vec::<f32>().unwrap(), vec![2.0, 3.0]);
/// assert_eq!(before.to_vec::<f32>().unwrap(), vec![1.0, 2.0]);
/// ```
#[derive(Clone)]
pub struct Variable {
    inner: Arc<VariableInner>,
}

struct VariableInner {
    id: u64,
    name: String,
    trainable: AtomicBool,
    /// Read in the active [`AutocastScope`](crate::autodiff::AutocastScope)'s dtype.
    autocast: AtomicBool,
    value: RwLock<Tensor>,
}

impl Variable {
    /// A variable holding `initial` (copied into storage of its own).
    ///
    /// ```
    /// let v = kiln_tensor::Variable::new(kiln_tensor::Tensor::scalar(0i64), "step", false);
    /// assert_eq!(v.name(), "step");
    /// assert!(!v.trainable());
    /// ```
    pub fn new(initial: Tensor, name: impl Into<String>, trainable: bool) -> Variable {
        let v = Variable {
            inner: Arc::new(VariableInner {
                id: next_id(),
                name: name.into(),
                trainable: AtomicBool::new(trainable),
                autocast: AtomicBool::new(true),
                value: RwLock::new(owned_copy(&initial)),
            }),
        };
        if crate::autodiff::capture::active() {
            crate::autodiff::capture::on_create(&v);
        }
        v
    }

    /// Puts back a value saved before a trace wrote the variable (no checks, no hooks).
    pub(crate) fn restore_unrecorded(&self, old: &Tensor) {
        *self.write_lock() = old.clone();
    }

    /// Tells an active capture about a write, saving the value it replaces.
    fn capture_write(
        &self,
        kind: crate::autodiff::capture::WriteKind,
        value: &Tensor,
        cur: &Tensor,
    ) {
        if crate::autodiff::capture::active() {
            // The snapshot must not share storage with the value written in place next.
            crate::autodiff::capture::on_write(self, kind, value, &owned_copy(cur));
        }
    }

    /// The variable's name.
    ///
    /// ```
    /// let v = kiln_tensor::Variable::new(kiln_tensor::Tensor::scalar(0.0f32), "bias", true);
    /// assert_eq!(v.name(), "bias");
    /// ```
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Whether tapes watch this variable automatically and optimizers update it.
    ///
    /// ```
    /// let v = kiln_tensor::Variable::new(kiln_tensor::Tensor::scalar(0.0f32), "b", true);
    /// v.set_trainable(false);
    /// assert!(!v.trainable());
    /// ```
    pub fn trainable(&self) -> bool {
        self.inner.trainable.load(Ordering::Relaxed)
    }

    /// Freezes or unfreezes the variable.
    ///
    /// ```
    /// let v = kiln_tensor::Variable::new(kiln_tensor::Tensor::scalar(0.0f32), "b", false);
    /// v.set_trainable(true);
    /// assert!(v.trainable());
    /// ```
    pub fn set_trainable(&self, trainable: bool) {
        self.inner.trainable.store(trainable, Ordering::Relaxed);
    }

    /// The identity tapes record this variable under.
    ///
    /// ```
    /// let v = kiln_tensor::Variable::new(kiln_tensor::Tensor::scalar(0.0f32), "b", true);
    /// assert_eq!(v.id(), v.clone().id());
    /// ```
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// Shape of the value.
    ///
    /// ```
    /// let v = kiln_tensor::Variable::new(kiln_tensor::Tensor::zeros(&[3, 2], kiln_tensor::DType::F32), "k", true);
    /// assert_eq!(v.shape(), vec![3, 2]);
    /// ```
    pub fn shape(&self) -> Vec<usize> {
        self.read_lock().shape().to_vec()
    }

    /// Dtype of the value.
    ///
    /// ```
    /// let v = kiln_tensor::Variable::new(kiln_tensor::Tensor::scalar(0.0f64), "k", true);
    /// assert_eq!(v.dtype(), kiln_tensor::DType::F64);
    /// ```
    pub fn dtype(&self) -> DType {
        self.read_lock().dtype()
    }

    fn read_lock(&self) -> std::sync::RwLockReadGuard<'_, Tensor> {
        // A panic while holding the lock cannot leave a half-written tensor (writes swap
        // whole values or finish an elementwise loop), so a poisoned lock is still usable.
        self.inner.value.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_lock(&self) -> std::sync::RwLockWriteGuard<'_, Tensor> {
        self.inner.value.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The current value; recorded by active tapes that watch this variable.
    ///
    /// ```
    /// let v = kiln_tensor::Variable::new(kiln_tensor::Tensor::scalar(2.0f32), "x", true);
    /// assert_eq!(v.value().item::<f32>().unwrap(), 2.0);
    /// ```
    ///
    /// Inside an [`AutocastScope`](crate::autodiff::AutocastScope) a float variable with
    /// autocast on is returned cast to the scope's dtype (a recorded cast, so gradients
    /// flow back to the variable in its own dtype).
    pub fn value(&self) -> Tensor {
        let t = self.read_lock().alias();
        crate::autodiff::tape::record_variable_read(self, &t);
        match crate::autodiff::autocast::autocast_dtype() {
            Some(d) if d != t.dtype() && t.dtype().is_float() && self.autocast() => {
                // Casting between float dtypes cannot fail.
                t.cast(d).unwrap_or(t)
            }
            _ => t,
        }
    }

    /// Whether reads inside an autocast scope are cast (true unless turned off).
    pub fn autocast(&self) -> bool {
        self.inner.autocast.load(Ordering::Relaxed)
    }

    /// Turns autocasting of this variable's reads on or off (Keras's
    /// `add_weight(autocast=False)`, as batch-normalization statistics use).
    ///
    /// ```
    /// use kiln_tensor::autodiff::AutocastScope;
    /// use kiln_tensor::{DType, Tensor, Variable};
    /// let v = Variable::new(Tensor::scalar(1.0f32), "moving_mean", false);
    /// v.set_autocast(false);
    /// let _scope = AutocastScope::enter(Some(DType::BF16));
    /// assert_eq!(v.value().dtype(), DType::F32);
    /// ```
    pub fn set_autocast(&self, on: bool) {
        self.inner.autocast.store(on, Ordering::Relaxed);
    }

    /// Same as [`Variable::value`] (TF's name).
    ///
    /// ```
    /// let v = kiln_tensor::Variable::new(kiln_tensor::Tensor::scalar(2.0f32), "x", true);
    /// assert_eq!(v.read_value().item::<f32>().unwrap(), 2.0);
    /// ```
    pub fn read_value(&self) -> Tensor {
        self.value()
    }

    fn check_same(&self, op: &'static str, current: &Tensor, new: &Tensor) -> Result<()> {
        if new.is_meta() {
            return Err(Error::Meta(format!(
                "{op} of a meta tensor into variable '{}': a meta tensor has no values to store (a layer updating state while its shapes are inferred needs real inputs)",
                self.name()
            )));
        }
        if current.shape() != new.shape() {
            return Err(Error::shape(
                op,
                format!(
                    "variable '{}' has shape {} but the value has shape {}",
                    self.name(),
                    fmt_shape(current.shape()),
                    fmt_shape(new.shape())
                ),
            ));
        }
        if current.dtype() != new.dtype() {
            return Err(Error::dtype(
                op,
                format!(
                    "variable '{}' has dtype {} but the value has dtype {}",
                    self.name(),
                    current.dtype().name(),
                    new.dtype().name()
                ),
            ));
        }
        Ok(())
    }

    /// Replaces the value; shape and dtype must match.
    ///
    /// ```
    /// use kiln_tensor::{Tensor, Variable};
    /// let v = Variable::new(Tensor::scalar(1.0f32), "x", true);
    /// v.assign(&Tensor::scalar(5.0f32)).unwrap();
    /// assert_eq!(v.value().item::<f32>().unwrap(), 5.0);
    /// assert!(v.assign(&Tensor::scalar(5.0f64)).is_err());
    /// ```
    pub fn assign(&self, value: &Tensor) -> Result<()> {
        let mut cur = self.write_lock();
        self.check_same("assign", &cur, value)?;
        self.capture_write(crate::autodiff::capture::WriteKind::Assign, value, &cur);
        let done = with_dtype!(value.dtype(), T => {
            let src = value.data::<T>();
            match cur.unique_slice_mut::<T>() {
                Some(dst) => { dst.copy_from_slice(&src); true }
                None => false,
            }
        }, string => false);
        if !done {
            *cur = owned_copy(value);
        }
        Ok(())
    }

    /// `value += delta` (delta broadcast to the variable's shape is not allowed: shapes
    /// must match, as in TF).
    ///
    /// ```
    /// use kiln_tensor::{Tensor, Variable};
    /// let v = Variable::new(Tensor::scalar(1.0f32), "x", true);
    /// v.assign_add(&Tensor::scalar(2.0f32)).unwrap();
    /// assert_eq!(v.value().item::<f32>().unwrap(), 3.0);
    /// ```
    pub fn assign_add(&self, delta: &Tensor) -> Result<()> {
        self.update("assign_add", delta, false)
    }

    /// `value -= delta`.
    ///
    /// ```
    /// use kiln_tensor::{Tensor, Variable};
    /// let v = Variable::new(Tensor::scalar(1.0f32), "x", true);
    /// v.assign_sub(&Tensor::scalar(2.0f32)).unwrap();
    /// assert_eq!(v.value().item::<f32>().unwrap(), -1.0);
    /// ```
    pub fn assign_sub(&self, delta: &Tensor) -> Result<()> {
        self.update("assign_sub", delta, true)
    }

    fn update(&self, op: &'static str, delta: &Tensor, subtract: bool) -> Result<()> {
        let mut cur = self.write_lock();
        self.check_same(op, &cur, delta)?;
        if matches!(cur.dtype(), DType::Bool | DType::String) {
            return Err(Error::dtype(
                op,
                format!(
                    "variable '{}' is {}; {op} needs a numeric dtype",
                    self.name(),
                    cur.dtype().name()
                ),
            ));
        }
        let kind = if subtract {
            crate::autodiff::capture::WriteKind::Sub
        } else {
            crate::autodiff::capture::WriteKind::Add
        };
        self.capture_write(kind, delta, &cur);
        with_dtype!(delta.dtype(), T => {
            let d = delta.data::<T>();
            if let Some(dst) = cur.unique_slice_mut::<T>() {
                in_place(dst, &d, subtract);
            } else {
                let mut v = cur.data::<T>().into_owned();
                in_place(&mut v, &d, subtract);
                *cur = Tensor::from_vec_unchecked(v, cur.shape().to_vec());
            }
        }, string => ());
        Ok(())
    }

    /// Runs `f` on the variable's elements in place (copying first if the storage is
    /// shared). Optimizers use this for fused updates. `T` must match the dtype.
    ///
    /// ```
    /// use kiln_tensor::{Tensor, Variable};
    /// let v = Variable::new(Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap(), "x", true);
    /// v.update_in_place::<f32>(|w| w.iter_mut().for_each(|x| *x *= 10.0)).unwrap();
    /// assert_eq!(v.value().to_vec::<f32>().unwrap(), vec![10.0, 20.0]);
    /// ```
    pub fn update_in_place<T: Element>(&self, f: impl FnOnce(&mut [T])) -> Result<()> {
        if crate::autodiff::capture::active()
            && let Some(e) = crate::autodiff::capture::on_opaque_write(self)
        {
            return Err(e);
        }
        let mut cur = self.write_lock();
        if cur.dtype() != T::DTYPE {
            return Err(Error::dtype(
                "update_in_place",
                format!(
                    "variable '{}' has dtype {}, not {}",
                    self.name(),
                    cur.dtype().name(),
                    T::DTYPE.name()
                ),
            ));
        }
        if cur.unique_slice_mut::<T>().is_none() {
            *cur = owned_copy(&cur);
        }
        let dst = cur.unique_slice_mut::<T>().expect("owned copy is unique");
        f(dst);
        Ok(())
    }
}

fn in_place<T: Element>(dst: &mut [T], delta: &[T], subtract: bool) {
    // A vectorisable loop for f32 (what optimizers use); an f64 round trip elsewhere.
    if let (Some(d), Some(s)) = (as_f32_mut(dst), as_f32(delta)) {
        if subtract {
            d.iter_mut().zip(s).for_each(|(a, b)| *a -= *b);
        } else {
            d.iter_mut().zip(s).for_each(|(a, b)| *a += *b);
        }
        return;
    }
    let sign = if subtract { -1.0 } else { 1.0 };
    for (a, b) in dst.iter_mut().zip(delta) {
        *a = T::from_f64(a.to_f64() + sign * b.to_f64());
    }
}

fn as_f32_mut<T: Element>(s: &mut [T]) -> Option<&mut [f32]> {
    if T::DTYPE == DType::F32 {
        // SAFETY: T is f32 (checked through its DTYPE constant, which is unique per type).
        Some(unsafe { std::slice::from_raw_parts_mut(s.as_mut_ptr() as *mut f32, s.len()) })
    } else {
        None
    }
}

fn as_f32<T: Element>(s: &[T]) -> Option<&[f32]> {
    if T::DTYPE == DType::F32 {
        // SAFETY: as above.
        Some(unsafe { std::slice::from_raw_parts(s.as_ptr() as *const f32, s.len()) })
    } else {
        None
    }
}

/// A copy of `t` in storage of its own (so in-place updates never touch other tensors).
fn owned_copy(t: &Tensor) -> Tensor {
    crate::storage::with_any_dtype!(t.dtype(), T => Tensor::from_stored(t.stored::<T>().into_owned(), t.shape().to_vec()))
}

impl std::fmt::Debug for Variable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.read_lock();
        write!(
            f,
            "<Variable '{}' shape={} dtype={}>",
            self.name(),
            fmt_shape(v.shape()),
            v.dtype()
        )
    }
}
