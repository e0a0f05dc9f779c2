//! The seam a data-parallel strategy plugs into `fit`, `evaluate` and `predict`
//! (tf.distribute's cross-replica hooks in Keras's trainer): a [`DistributeHook`]
//! installed with [`Model::set_distribution`] gets each step's gradients between the
//! backward pass and the optimizer (to all-reduce them), each step's logs (to reduce
//! metrics across replicas so every replica logs the same numbers), and says whether
//! this process is the chief (the one that prints the progress bar).
//!
//! The `kiln-distribute` crate implements it over MPI; the trainer knows nothing about
//! the transport.

use kiln_tensor::{Tensor, Variable};

use crate::callbacks::Logs;
use crate::models::Model;
use crate::Result;

/// Cross-replica reduction for the training loop; see the module docs.
///
/// ```
/// use kiln::callbacks::Logs;
/// use kiln::layers::Dense;
/// use kiln::models::{CompileArgs, DistributeHook, FitArgs, Model};
/// use kiln_tensor::{Tensor, Variable};
///
/// /// Halves every gradient (what averaging over two replicas that saw the same
/// /// batch would do).
/// struct Halve;
/// impl DistributeHook for Halve {
///     fn reduce_gradients(&mut self, grads: &mut [Option<Tensor>], _vars: &[Variable]) -> kiln::Result<()> {
///         for g in grads.iter_mut().flatten() {
///             *g = g.mul_scalar(0.5)?;
///         }
///         Ok(())
///     }
///     fn reduce_logs(&mut self, logs: Logs) -> kiln::Result<Logs> { Ok(logs) }
///     fn is_chief(&self) -> bool { true }
/// }
///
/// let mut m = Model::sequential(vec![Dense::new(1).kernel_initializer("zeros").input_shape(&[1]).into()])?;
/// m.compile(CompileArgs::new().optimizer("sgd").loss("mse"))?;
/// m.set_distribution(Halve);
/// let x = Tensor::ones(&[4, 1], kiln_tensor::DType::F32);
/// m.fit(&x, &x, FitArgs::new().epochs(1).batch_size(4).verbose(0))?;
/// // d(mse)/dw = -2 at w = 0; halved, SGD(0.01) moves w to 0.01.
/// assert!((m.get_weights()[0].to_f64_vec()[0] - 0.01).abs() < 1e-6);
/// # Ok::<(), kiln::Error>(())
/// ```
pub trait DistributeHook: Send {
    /// Called by the built-in train step with the gradients of `vars` (`None` where a
    /// variable got no gradient) before the optimizer applies them: replace them with
    /// their cross-replica reduction (usually the mean). Every replica must call it for
    /// the same variables in the same order.
    fn reduce_gradients(&mut self, grads: &mut [Option<Tensor>], vars: &[Variable]) -> Result<()>;

    /// Whether the built-in train step should call [`DistributeHook::gradient_ready`]
    /// during the backward pass (default false).
    fn overlap(&self) -> bool {
        false
    }

    /// With [`DistributeHook::overlap`]: called during the backward pass as soon as the
    /// gradient of `vars[index]` is complete (last layers first), to start its
    /// all-reduce while backward goes on; `reduce_gradients` follows with all of them.
    fn gradient_ready(&mut self, index: usize, grad: &Tensor) -> Result<()> {
        let _ = (index, grad);
        Ok(())
    }

    /// Called after every train and test step with the step's logs (running means over
    /// the epoch so far): return the values every replica should log.
    fn reduce_logs(&mut self, logs: Logs) -> Result<Logs>;

    /// Whether this replica is the chief (prints the progress bar; `fit`'s `verbose` is
    /// treated as 0 elsewhere).
    fn is_chief(&self) -> bool;
}

impl Model {
    /// Installs a cross-replica hook (see [`DistributeHook`]), replacing any earlier one.
    pub fn set_distribution(&mut self, hook: impl DistributeHook + 'static) {
        self.distribution = Some(Box::new(hook));
    }

    /// Removes the cross-replica hook, returning it.
    pub fn take_distribution(&mut self) -> Option<Box<dyn DistributeHook>> {
        self.distribution.take()
    }

    /// The installed cross-replica hook, if any (for custom train steps that reduce
    /// their own gradients).
    pub fn distribution_mut(&mut self) -> Option<&mut (dyn DistributeHook + 'static)> {
        self.distribution.as_deref_mut()
    }

    /// Whether this process is the chief replica (true without a hook).
    pub fn is_chief(&self) -> bool {
        self.distribution.as_ref().is_none_or(|d| d.is_chief())
    }

    /// The logs reduced across replicas by the hook (unchanged without one).
    pub(crate) fn reduce_step_logs(&mut self, logs: Logs) -> Result<Logs> {
        match &mut self.distribution {
            Some(d) => d.reduce_logs(logs),
            None => Ok(logs),
        }
    }
}
