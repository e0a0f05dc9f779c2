//! Pieces the normalization layers share: the gamma/beta options and axis handling.

use serde_json::Value;

use crate::constraints::Constraint;
use crate::initializers::Initializer;
use crate::layers::fmt_shape;
use crate::layers::layer::{LayerBase, Shape};
use crate::regularizers::Regularizer;
use crate::{Error, Result};
use kiln_tensor::Variable;

/// `center`/`scale` and the initializers, regularizers and constraints of `beta`/`gamma`.
#[derive(Clone)]
pub(crate) struct AffineOptions {
    pub center: bool,
    pub scale: bool,
    pub beta_initializer: Initializer,
    pub gamma_initializer: Initializer,
    pub beta_regularizer: Option<Regularizer>,
    pub gamma_regularizer: Option<Regularizer>,
    pub beta_constraint: Option<Constraint>,
    pub gamma_constraint: Option<Constraint>,
}

impl Default for AffineOptions {
    fn default() -> Self {
        AffineOptions {
            center: true,
            scale: true,
            beta_initializer: Initializer::Zeros,
            gamma_initializer: Initializer::Ones,
            beta_regularizer: None,
            gamma_regularizer: None,
            beta_constraint: None,
            gamma_constraint: None,
        }
    }
}

impl AffineOptions {
    /// Adds `gamma` (if `scale`) then `beta` (if `center`), Keras's weight order.
    pub fn add_weights(
        &self,
        base: &mut LayerBase,
        shape: &[usize],
        with_beta: bool,
    ) -> Result<(Option<Variable>, Option<Variable>)> {
        let gamma = if self.scale {
            Some(base.add_weight(
                "gamma",
                shape,
                &self.gamma_initializer,
                true,
                self.gamma_regularizer.clone(),
                self.gamma_constraint.clone(),
            )?)
        } else {
            None
        };
        let beta = if self.center && with_beta {
            Some(base.add_weight(
                "beta",
                shape,
                &self.beta_initializer,
                true,
                self.beta_regularizer.clone(),
                self.beta_constraint.clone(),
            )?)
        } else {
            None
        };
        Ok((gamma, beta))
    }

    /// Writes the options into a config map.
    pub fn config(&self, c: &mut serde_json::Map<String, Value>) {
        let reg =
            |r: &Option<Regularizer>| r.as_ref().map(|r| r.get_config()).unwrap_or(Value::Null);
        let con =
            |r: &Option<Constraint>| r.as_ref().map(|r| r.get_config()).unwrap_or(Value::Null);
        c.insert("center".into(), Value::Bool(self.center));
        c.insert("scale".into(), Value::Bool(self.scale));
        c.insert(
            "beta_initializer".into(),
            self.beta_initializer.get_config(),
        );
        c.insert(
            "gamma_initializer".into(),
            self.gamma_initializer.get_config(),
        );
        c.insert("beta_regularizer".into(), reg(&self.beta_regularizer));
        c.insert("gamma_regularizer".into(), reg(&self.gamma_regularizer));
        c.insert("beta_constraint".into(), con(&self.beta_constraint));
        c.insert("gamma_constraint".into(), con(&self.gamma_constraint));
    }

    /// Reads the options from a config (missing keys keep the defaults).
    pub fn from_config(class: &str, c: &Value) -> Result<AffineOptions> {
        use crate::layers::registry::{constraint, get_bool, initializer, regularizer};
        Ok(AffineOptions {
            center: get_bool(class, c, "center", true)?,
            scale: get_bool(class, c, "scale", true)?,
            beta_initializer: initializer(class, c, "beta_initializer", Initializer::Zeros)?,
            gamma_initializer: initializer(class, c, "gamma_initializer", Initializer::Ones)?,
            beta_regularizer: regularizer(class, c, "beta_regularizer")?,
            gamma_regularizer: regularizer(class, c, "gamma_regularizer")?,
            beta_constraint: constraint(class, c, "beta_constraint")?,
            gamma_constraint: constraint(class, c, "gamma_constraint")?,
        })
    }
}

/// The builder methods for [`AffineOptions`] on a layer with an `affine` field.
macro_rules! affine_builders {
    ($t:ty) => {
        impl $t {
            /// Whether to add the learned offset `beta` (default true).
            pub fn center(mut self, center: bool) -> Self {
                self.affine.center = center;
                self
            }
            /// Whether to multiply by the learned scale `gamma` (default true).
            pub fn scale(mut self, scale: bool) -> Self {
                self.affine.scale = scale;
                self
            }
            /// Initializer of `beta` (default zeros).
            pub fn beta_initializer(
                mut self,
                init: impl Into<$crate::initializers::Initializer>,
            ) -> Self {
                self.affine.beta_initializer = init.into();
                self
            }
            /// Initializer of `gamma` (default ones).
            pub fn gamma_initializer(
                mut self,
                init: impl Into<$crate::initializers::Initializer>,
            ) -> Self {
                self.affine.gamma_initializer = init.into();
                self
            }
            /// Regularizer of `beta`.
            pub fn beta_regularizer(mut self, r: $crate::regularizers::Regularizer) -> Self {
                self.affine.beta_regularizer = Some(r);
                self
            }
            /// Regularizer of `gamma`.
            pub fn gamma_regularizer(mut self, r: $crate::regularizers::Regularizer) -> Self {
                self.affine.gamma_regularizer = Some(r);
                self
            }
            /// Constraint of `beta`.
            pub fn beta_constraint(mut self, c: $crate::constraints::Constraint) -> Self {
                self.affine.beta_constraint = Some(c);
                self
            }
            /// Constraint of `gamma`.
            pub fn gamma_constraint(mut self, c: $crate::constraints::Constraint) -> Self {
                self.affine.gamma_constraint = Some(c);
                self
            }
        }
    };
}
pub(crate) use affine_builders;

/// Resolves a possibly negative axis against a rank, or an error naming the layer.
pub(crate) fn resolve_axis(api: &'static str, axis: isize, shape: &Shape) -> Result<usize> {
    let rank = shape.len() as isize;
    let a = if axis < 0 { axis + rank } else { axis };
    if a < 0 || a >= rank {
        return Err(Error::InvalidArgument {
            api,
            msg: format!(
                "axis {axis} is out of bounds for input shape {}",
                fmt_shape(shape)
            ),
        });
    }
    Ok(a as usize)
}

/// The size of `axis`, which must be known.
pub(crate) fn known_dim(api: &'static str, shape: &Shape, axis: usize) -> Result<usize> {
    shape[axis].ok_or_else(|| Error::InvalidArgument {
        api,
        msg: format!(
            "axis {axis} of the input must have a defined size, got shape {}",
            fmt_shape(shape)
        ),
    })
}

/// A shape of ones of `rank` with `dims` at `axes`: how per-feature weights broadcast.
pub(crate) fn broadcast_shape(rank: usize, axes: &[usize], dims: &[usize]) -> Vec<isize> {
    let mut s = vec![1isize; rank];
    for (&a, &d) in axes.iter().zip(dims) {
        s[a] = d as isize;
    }
    s
}

/// An error for a layer called before it was built.
pub(crate) fn not_built(api: &'static str) -> Error {
    Error::InvalidArgument {
        api,
        msg: "layer is not built".into(),
    }
}
