//! [`LayerRef`]: the shared handle users call, which runs Keras's `__call__` logic
//! (lazy build, input checks, training propagation, masks, symbolic calls).

use std::sync::{Arc, Mutex, MutexGuard};

use kiln_tensor::{DType, Tensor};

use super::context::{CallScope, DEPTH, META_FALLBACKS};
use super::*;
use crate::layers::keras_tensor::{KerasTensor, Node, TensorSpec};
use crate::{Error, Result};

/// A shared handle to a layer: what models hold and users call. Cloning it shares the
/// layer (and its weights), which is how a layer is reused.
///
/// ```
/// use kiln::layers::{Dense, LayerRef};
/// use kiln_tensor::{DType, Tensor};
/// let dense = LayerRef::new(Dense::new(4));
/// let y = dense.call(&Tensor::ones(&[2, 3], DType::F32))?;
/// assert_eq!(y.shape(), &[2, 4]);
/// assert_eq!(dense.count_params(), 16);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Clone)]
pub struct LayerRef {
    inner: Arc<Mutex<dyn Layer>>,
}

impl std::fmt::Debug for LayerRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} name={}>", self.class_name(), self.name())
    }
}

impl<L: Layer> From<L> for LayerRef {
    fn from(layer: L) -> LayerRef {
        LayerRef::new(layer)
    }
}

/// What [`LayerRef::call`] accepts: one tensor or several, concrete or symbolic.
pub trait LayerInput {
    /// The result type: a `Tensor` for concrete inputs, a [`KerasTensor`] for symbolic.
    type Output;
    /// Runs `layer` on `self`.
    fn call_layer(self, layer: &LayerRef, training: Option<bool>) -> Result<Self::Output>;
}

fn single<T>(mut v: Vec<T>, layer: &LayerRef) -> Result<T> {
    if v.len() != 1 {
        return Err(Error::InvalidArgument {
            api: "Layer.call",
            msg: format!(
                "layer '{}' returned {} outputs; use call_multi for multi-output layers",
                layer.name(),
                v.len()
            ),
        });
    }
    Ok(v.remove(0))
}

impl LayerInput for &Tensor {
    type Output = Tensor;
    fn call_layer(self, layer: &LayerRef, training: Option<bool>) -> Result<Tensor> {
        single(
            layer.call_tensors(std::slice::from_ref(self), training)?,
            layer,
        )
    }
}

impl LayerInput for &[Tensor] {
    type Output = Tensor;
    fn call_layer(self, layer: &LayerRef, training: Option<bool>) -> Result<Tensor> {
        single(layer.call_tensors(self, training)?, layer)
    }
}

impl<const N: usize> LayerInput for &[Tensor; N] {
    type Output = Tensor;
    fn call_layer(self, layer: &LayerRef, training: Option<bool>) -> Result<Tensor> {
        single(layer.call_tensors(self, training)?, layer)
    }
}

impl LayerInput for &Vec<Tensor> {
    type Output = Tensor;
    fn call_layer(self, layer: &LayerRef, training: Option<bool>) -> Result<Tensor> {
        single(layer.call_tensors(self, training)?, layer)
    }
}

impl LayerInput for &KerasTensor {
    type Output = KerasTensor;
    fn call_layer(self, layer: &LayerRef, _training: Option<bool>) -> Result<KerasTensor> {
        single(layer.call_symbolic(std::slice::from_ref(self))?, layer)
    }
}

impl LayerInput for &[KerasTensor] {
    type Output = KerasTensor;
    fn call_layer(self, layer: &LayerRef, _training: Option<bool>) -> Result<KerasTensor> {
        single(layer.call_symbolic(self)?, layer)
    }
}

impl<const N: usize> LayerInput for &[KerasTensor; N] {
    type Output = KerasTensor;
    fn call_layer(self, layer: &LayerRef, _training: Option<bool>) -> Result<KerasTensor> {
        single(layer.call_symbolic(self)?, layer)
    }
}

impl LayerInput for &Vec<KerasTensor> {
    type Output = KerasTensor;
    fn call_layer(self, layer: &LayerRef, _training: Option<bool>) -> Result<KerasTensor> {
        single(layer.call_symbolic(self)?, layer)
    }
}

/// Calling a concrete layer value directly (the functional one-liner
/// `Dense::new(64).apply(&x)`): wraps it in a [`LayerRef`] first.
pub trait LayerApply {
    /// Wraps the layer and calls it on `x`.
    fn apply<X: LayerInput>(self, x: X) -> Result<X::Output>;
}

impl<L: Layer> LayerApply for L {
    fn apply<X: LayerInput>(self, x: X) -> Result<X::Output> {
        LayerRef::new(self).call(x)
    }
}

impl LayerRef {
    /// Wraps a layer (assigning its auto-name now, so names follow creation order).
    ///
    /// ```
    /// let d = kiln::layers::LayerRef::new(kiln::layers::Dense::new(2));
    /// assert!(d.name().starts_with("dense"));
    /// ```
    pub fn new<L: Layer>(layer: L) -> LayerRef {
        let _ = layer.base().name();
        LayerRef {
            inner: Arc::new(Mutex::new(layer)),
        }
    }

    /// Locks the layer for direct access.
    pub fn lock(&self) -> MutexGuard<'_, dyn Layer + 'static> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// True when both handles share one layer.
    ///
    /// ```
    /// let a = kiln::layers::LayerRef::new(kiln::layers::Dense::new(2));
    /// assert!(a.ptr_eq(&a.clone()));
    /// ```
    pub fn ptr_eq(&self, other: &LayerRef) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// A stable identity for the shared layer.
    pub(crate) fn key(&self) -> usize {
        Arc::as_ptr(&self.inner) as *const () as usize
    }

    /// The layer's name.
    ///
    /// ```
    /// let d = kiln::layers::LayerRef::new(kiln::layers::Dense::new(2).name("out"));
    /// assert_eq!(d.name(), "out");
    /// ```
    pub fn name(&self) -> String {
        self.lock().base().name().to_string()
    }

    /// Keras's class name.
    ///
    /// ```
    /// assert_eq!(kiln::layers::LayerRef::new(kiln::layers::Dense::new(2)).class_name(), "Dense");
    /// ```
    pub fn class_name(&self) -> &'static str {
        self.lock().class_name()
    }

    /// Runs the concrete layer type `L` through `f`; `None` when the layer is another type.
    ///
    /// ```
    /// use kiln::layers::{Dense, LayerRef};
    /// let d = LayerRef::new(Dense::new(3));
    /// assert_eq!(d.downcast(|l: &mut Dense| l.units), Some(3));
    /// ```
    pub fn downcast<L: Layer, R>(&self, f: impl FnOnce(&mut L) -> R) -> Option<R> {
        let mut g = self.lock();
        let layer: &mut (dyn Layer + 'static) = &mut *g;
        AsAny::as_any_mut(layer).downcast_mut::<L>().map(f)
    }

    /// Calls the layer (Keras's `layer(x)`) in the enclosing call's training mode
    /// (inference at top level). Concrete inputs give a `Tensor`; symbolic inputs
    /// ([`KerasTensor`]) add a node to a functional graph and give a `KerasTensor`.
    ///
    /// ```
    /// use kiln::layers::{Dense, Input, LayerRef};
    /// let x = Input::shape(&[8]);
    /// let y = LayerRef::new(Dense::new(4)).call(&x)?;
    /// assert_eq!(y.shape(), &[None, Some(4)]);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn call<X: LayerInput>(&self, x: X) -> Result<X::Output> {
        x.call_layer(self, None)
    }

    /// Calls the layer with an explicit `training` flag.
    ///
    /// ```
    /// use kiln::layers::{Dropout, LayerRef};
    /// use kiln_tensor::{DType, Tensor};
    /// let d = LayerRef::new(Dropout::new(0.5));
    /// let x = Tensor::ones(&[4, 4], DType::F32);
    /// assert_eq!(d.call_training(&x, false)?.to_vec::<f32>()?, x.to_vec::<f32>()?);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn call_training<X: LayerInput>(&self, x: X, training: bool) -> Result<X::Output> {
        x.call_layer(self, Some(training))
    }

    /// Calls the layer on concrete tensors, returning every output.
    ///
    /// ```
    /// use kiln::layers::{Add, LayerRef};
    /// use kiln_tensor::{DType, Tensor};
    /// let a = Tensor::ones(&[2], DType::F32);
    /// let out = LayerRef::new(Add::new()).call_multi(&[a.clone(), a], None)?;
    /// assert_eq!(out[0].to_vec::<f32>()?, vec![2.0, 2.0]);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn call_multi(&self, inputs: &[Tensor], training: Option<bool>) -> Result<Vec<Tensor>> {
        self.call_tensors(inputs, training)
    }

    pub(super) fn clear_losses(&self) {
        let subs = {
            let mut g = self.lock();
            g.base_mut().call_losses.clear();
            g.sublayers()
        };
        for s in subs {
            s.clear_losses();
        }
    }

    pub(super) fn maybe_build(
        &self,
        layer: &mut (dyn Layer + 'static),
        shapes: &[Shape],
    ) -> Result<()> {
        if !layer.base().built() {
            if let Some(e) = &layer.base().config_error {
                return Err(Error::InvalidArgument {
                    api: "Layer.build",
                    msg: format!("layer '{}': {e}", layer.base().name()),
                });
            }
            layer.build(shapes)?;
            let b = layer.base_mut();
            b.built = true;
            b.build_shapes = Some(shapes.to_vec());
        }
        if let Some(specs) = &layer.base().input_spec {
            let name = layer.base().name().to_string();
            for (i, (spec, s)) in specs.iter().zip(shapes).enumerate() {
                spec.check(&name, i, s)?;
            }
        }
        Ok(())
    }

    pub(crate) fn call_tensors(
        &self,
        inputs: &[Tensor],
        training: Option<bool>,
    ) -> Result<Vec<Tensor>> {
        Ok(self.call_tensors_masked(inputs, &[], training)?.0)
    }

    /// Calls the layer with input masks and returns its outputs and their masks (Keras's
    /// mask propagation). Masks are boolean tensors (`true` = keep), usually `[batch, time]`.
    ///
    /// ```
    /// use kiln::layers::{Embedding, LayerRef};
    /// use kiln_tensor::Tensor;
    /// let emb = LayerRef::new(Embedding::new(10, 4).mask_zero(true));
    /// let ids = Tensor::from_vec(vec![3i32, 5, 0, 0], &[1, 4])?;
    /// let (_, masks) = emb.call_with_masks(&[ids], &[], None)?;
    /// let m = masks[0].as_ref().unwrap();
    /// assert_eq!(m.to_vec::<bool>()?, vec![true, true, false, false]);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn call_with_masks(
        &self,
        inputs: &[Tensor],
        masks: &[Option<Tensor>],
        training: Option<bool>,
    ) -> Result<(Vec<Tensor>, Vec<Option<Tensor>>)> {
        self.call_tensors_masked(inputs, masks, training)
    }

    fn call_tensors_masked(
        &self,
        inputs: &[Tensor],
        masks: &[Option<Tensor>],
        training: Option<bool>,
    ) -> Result<(Vec<Tensor>, Vec<Option<Tensor>>)> {
        let training = training.unwrap_or_else(inherited_training);
        let outermost = DEPTH.with(|d| d.get()) == 0;
        if outermost {
            self.clear_losses();
        }
        let _scope = CallScope::enter(training);
        let mut layer = self.lock();
        let shapes: Vec<Shape> = inputs.iter().map(shape_of).collect();
        self.maybe_build(&mut *layer, &shapes)?;
        let has_mask = masks.iter().any(|m| m.is_some());
        let ctx = CallContext {
            training,
            masks: if has_mask && layer.supports_masking() {
                let mut m = masks.to_vec();
                m.resize(inputs.len(), None);
                m
            } else {
                Vec::new()
            },
        };
        // Keras's dtype policy: floating inputs cast to the compute dtype, float variables
        // read in it while the call runs (see `dtype_policies`).
        let converted: Vec<Tensor>;
        let inputs = if inputs
            .iter()
            .any(|x| layer.base().input_cast(x.dtype()).is_some())
        {
            converted = inputs
                .iter()
                .map(|x| match layer.base().input_cast(x.dtype()) {
                    Some(d) => x.cast(d),
                    None => Ok(x.clone()),
                })
                .collect::<std::result::Result<_, _>>()?;
            &converted[..]
        } else {
            inputs
        };
        let scope = layer.base().autocast_scope();
        let _autocast = scope.map(kiln_tensor::autodiff::AutocastScope::enter);
        let (outputs, out_masks) = layer.call_masked(inputs, &ctx)?;
        if let Some(reg) = layer.base().activity_regularizer.clone() {
            // Keras divides the activity penalty by the batch size.
            for o in &outputs {
                let batch = o.shape().first().copied().unwrap_or(1).max(1);
                let p = reg.call(o)?.div_scalar(batch as f64)?;
                layer.base_mut().call_losses.push(p);
            }
        }
        Ok((outputs, out_masks))
    }

    /// Calls the layer on symbolic tensors: builds it, infers the output shapes, and
    /// records a node of the functional graph.
    ///
    /// ```
    /// use kiln::layers::{Dense, Input, LayerRef};
    /// let x = Input::shape(&[3]);
    /// let y = LayerRef::new(Dense::new(2)).call_symbolic(&[x])?;
    /// assert_eq!(y[0].shape(), &[None, Some(2)]);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn call_symbolic(&self, inputs: &[KerasTensor]) -> Result<Vec<KerasTensor>> {
        let specs: Vec<TensorSpec> = inputs.iter().map(|t| t.spec().clone()).collect();
        let shapes: Vec<Shape> = specs.iter().map(|s| s.shape.clone()).collect();
        let out_specs = {
            let mut layer = self.lock();
            self.maybe_build(&mut *layer, &shapes)?;
            let all_float = specs.iter().all(|s| s.dtype.is_float());
            let dtypes: Vec<DType> = specs.iter().map(|s| s.dtype).collect();
            let declared = layer.compute_output_dtype(&dtypes);
            match layer.compute_output_shape(&shapes) {
                Some(Ok(out)) if declared.as_ref().is_some_and(|d| d.len() == out.len()) => out
                    .into_iter()
                    .zip(declared.unwrap_or_default())
                    .map(|(shape, dtype)| TensorSpec { shape, dtype })
                    .collect(),
                Some(Ok(out)) if all_float && !specs.is_empty() => out
                    .into_iter()
                    .map(|shape| TensorSpec {
                        shape,
                        dtype: specs[0].dtype,
                    })
                    .collect(),
                Some(Err(e)) => return Err(e),
                _ => {
                    drop(layer);
                    self.probe_output_specs(&specs)?
                }
            }
        };
        let node = Node::new(self.clone(), inputs.to_vec(), out_specs);
        self.lock()
            .base_mut()
            .inbound_nodes
            .push(Arc::downgrade(&node));
        Ok((0..node.outputs.len())
            .map(|i| KerasTensor::from_node(node.clone(), i))
            .collect())
    }

    /// Finds output specs by running the layer on the meta device (Keras's
    /// `compute_output_spec`: shapes and dtypes, no values, nothing computed), twice when
    /// some dimension is unknown (sizes 2 and 3): dimensions that change with it are
    /// unknown in the output. A layer that reads its input's values from Rust, or stores
    /// an input into a variable, cannot run on meta tensors; it is run on zeros instead
    /// (counted by [`meta_shape_fallbacks`]).
    pub(super) fn probe_output_specs(&self, specs: &[TensorSpec]) -> Result<Vec<TensorSpec>> {
        let _pause = kiln_tensor::autodiff::no_recording();
        let run_on = |fill: usize, meta: bool| -> Result<Vec<Tensor>> {
            let xs: Vec<Tensor> = specs
                .iter()
                .map(|s| {
                    let dims: Vec<usize> = s.shape.iter().map(|d| d.unwrap_or(fill)).collect();
                    if meta {
                        Tensor::meta(&dims, s.dtype)
                    } else {
                        Tensor::zeros(&dims, s.dtype)
                    }
                })
                .collect();
            let prev = DEPTH.with(|d| d.replace(1));
            let out = self.call_tensors(&xs, Some(false));
            DEPTH.with(|d| d.set(prev));
            out
        };
        let meta_ok = std::cell::Cell::new(true);
        let run = |fill: usize| -> Result<Vec<Tensor>> {
            if meta_ok.get() {
                match run_on(fill, true) {
                    Err(Error::Tensor(kiln_tensor::Error::Meta(_))) => {
                        meta_ok.set(false);
                        META_FALLBACKS.with(|c| c.set(c.get() + 1));
                    }
                    other => return other,
                }
            }
            run_on(fill, false)
        };
        let a = run(2)?;
        let dynamic = specs.iter().any(|s| s.shape.iter().any(|d| d.is_none()));
        let b = if dynamic { Some(run(3)?) } else { None };
        self.lock().base_mut().call_losses.clear();
        Ok(a.iter()
            .enumerate()
            .map(|(i, t)| {
                let shape = t
                    .shape()
                    .iter()
                    .enumerate()
                    .map(|(k, &d)| match &b {
                        Some(b) if b[i].shape().get(k) != Some(&d) => None,
                        _ => Some(d),
                    })
                    .collect();
                TensorSpec {
                    shape,
                    dtype: t.dtype(),
                }
            })
            .collect())
    }
}
