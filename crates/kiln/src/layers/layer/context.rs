//! The call context: what a layer's `call` receives besides its inputs, and the
//! thread-local state nested calls inherit (training mode, call depth).

use std::cell::Cell;

use kiln_tensor::Tensor;

/// What a layer's `call` receives besides its inputs.
#[derive(Debug, Clone, Default)]
pub struct CallContext {
    /// Training mode (dropout active, batch statistics used, ...).
    pub training: bool,
    /// Keras masks of the inputs (boolean `[batch, time]`-like tensors, `true` = keep), one
    /// per input; empty when no input carries a mask or the layer does not support masking.
    pub masks: Vec<Option<Tensor>>,
}

impl CallContext {
    /// A context with a training flag and no masks.
    ///
    /// ```
    /// let ctx = kiln::layers::CallContext::new(true);
    /// assert!(ctx.training && ctx.mask(0).is_none());
    /// ```
    pub fn new(training: bool) -> CallContext {
        CallContext {
            training,
            masks: Vec::new(),
        }
    }

    /// The mask of input `index`, if it has one.
    ///
    /// ```
    /// let ctx = kiln::layers::CallContext::new(false);
    /// assert!(ctx.mask(0).is_none());
    /// ```
    pub fn mask(&self, index: usize) -> Option<&Tensor> {
        self.masks.get(index).and_then(|m| m.as_ref())
    }
}

/// How many symbolic calls on this thread found their output shapes by running a layer
/// on zeros because it could not run on the meta device (it read its input's values).
/// Every built-in layer runs on the meta device; tests check this stays 0.
pub fn meta_shape_fallbacks() -> usize {
    META_FALLBACKS.with(|c| c.get())
}

thread_local! {
    /// Training flag of the enclosing call, inherited by nested calls (Keras's call context).
    pub(super) static TRAINING: Cell<Option<bool>> = const { Cell::new(None) };
    /// Depth of nested `LayerRef` calls: losses are cleared at depth 0.
    pub(super) static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// Symbolic calls that fell back from the meta device to zeros.
    pub(super) static META_FALLBACKS: Cell<usize> = const { Cell::new(0) };
}

/// Restores the call context when a call returns (also on error).
pub(super) struct CallScope {
    training: Option<bool>,
}

impl CallScope {
    pub(super) fn enter(training: bool) -> CallScope {
        let prev = TRAINING.with(|t| t.replace(Some(training)));
        DEPTH.with(|d| d.set(d.get() + 1));
        CallScope { training: prev }
    }
}

impl Drop for CallScope {
    fn drop(&mut self) {
        TRAINING.with(|t| t.set(self.training));
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// The training flag a call without an explicit `training` gets: the enclosing call's.
pub(crate) fn inherited_training() -> bool {
    TRAINING.with(|t| t.get()).unwrap_or(false)
}
