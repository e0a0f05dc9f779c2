//! [`Weight`]: a layer's handle on a variable it creates in `build`, and [`ConfigArg`],
//! what a derived builder method accepts.

use kiln_tensor::{Tensor, Variable};

use crate::activations::Activation;
use crate::{Error, Result};

/// A weight a layer creates when it builds (Keras's `self.kernel = self.add_weight(...)`):
/// empty until then, so reading it early is an `Err`, not a panic. `#[derive(Layer)]`
/// starts every `Weight` field empty.
///
/// ```
/// use kiln::layers::{LayerBase, Weight};
/// let mut base = LayerBase::new("doc_weight");
/// let mut kernel = Weight::default();
/// assert!(kernel.value().is_err());
/// kernel.set(base.weight("kernel", &[2, 3]).build()?);
/// assert_eq!(kernel.value()?.shape(), &[2, 3]);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Weight(Option<Variable>);

impl Weight {
    /// Holds `variable` (what `build` does with a new weight).
    pub fn set(&mut self, variable: Variable) {
        self.0 = Some(variable);
    }

    /// The variable, once built.
    pub fn get(&self) -> Option<&Variable> {
        self.0.as_ref()
    }

    /// The variable, or an `Err` when the layer has not built it (or never creates it,
    /// as a bias with `use_bias=false`).
    pub fn variable(&self) -> Result<&Variable> {
        self.0.as_ref().ok_or_else(|| Error::InvalidArgument {
            api: "Layer.call",
            msg: "a weight was read before the layer built it".into(),
        })
    }

    /// The variable's current value (see [`Weight::variable`]).
    pub fn value(&self) -> Result<Tensor> {
        self.variable().map(Variable::value)
    }
}

/// What a derived builder method takes for a config field of type `T`: anything that
/// converts into `T`, and names where Keras takes names (`"relu"` for an activation).
/// A name that does not parse is kept and reported when the layer builds.
///
/// ```
/// use kiln::activations::Activation;
/// use kiln::layers::ConfigArg;
/// assert_eq!(ConfigArg::<Activation>::into_arg("relu")?, Activation::Relu);
/// assert!(ConfigArg::<Activation>::into_arg("no_such").is_err());
/// assert!(ConfigArg::<bool>::into_arg(true)?);
/// # Ok::<(), kiln::Error>(())
/// ```
pub trait ConfigArg<T> {
    /// The value, or why the argument cannot be one.
    fn into_arg(self) -> Result<T>;
}

impl<T, U: From<T>> ConfigArg<U> for T {
    fn into_arg(self) -> Result<U> {
        Ok(U::from(self))
    }
}

impl ConfigArg<Activation> for &str {
    fn into_arg(self) -> Result<Activation> {
        Activation::get(self)
    }
}

impl ConfigArg<Activation> for &String {
    fn into_arg(self) -> Result<Activation> {
        Activation::get(self)
    }
}
