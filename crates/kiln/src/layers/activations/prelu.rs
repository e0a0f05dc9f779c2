//! `PReLU` layer.

use kiln_tensor::{Tensor, Variable};
use serde_json::{json, Value};

use crate::constraints::Constraint;
use crate::initializers::Initializer;
use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::regularizers::Regularizer;
use crate::{Error, Result};

/// `keras.layers.PReLU`: `relu(x) - alpha * relu(-x)` with a learned `alpha` of the input
/// shape (without the batch axis), shared (size 1) along `shared_axes` (1-based).
///
/// ```
/// use kiln::layers::{LayerRef, PReLU};
/// use kiln_tensor::{DType, Tensor};
/// let p = LayerRef::new(PReLU::new());
/// let y = p.call(&Tensor::from_vec(vec![-1.0f32, 2.0], &[1, 2])?)?;
/// assert_eq!(y.to_vec::<f32>()?, vec![0.0, 2.0]); // alpha starts at zero
/// assert_eq!(p.count_params(), 2);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct PReLU {
    base: LayerBase,
    alpha_initializer: Initializer,
    alpha_regularizer: Option<Regularizer>,
    alpha_constraint: Option<Constraint>,
    shared_axes: Vec<usize>,
    alpha: Option<Variable>,
}

impl PReLU {
    /// Alpha initialised to zeros, not shared.
    pub fn new() -> PReLU {
        PReLU {
            base: LayerBase::new("p_re_lu"),
            alpha_initializer: Initializer::Zeros,
            alpha_regularizer: None,
            alpha_constraint: None,
            shared_axes: Vec::new(),
            alpha: None,
        }
    }
    /// Alpha initializer.
    pub fn alpha_initializer(mut self, i: impl Into<Initializer>) -> PReLU {
        self.alpha_initializer = i.into();
        self
    }
    /// Alpha regularizer.
    pub fn alpha_regularizer(mut self, r: Regularizer) -> PReLU {
        self.alpha_regularizer = Some(r);
        self
    }
    /// Alpha constraint.
    pub fn alpha_constraint(mut self, c: Constraint) -> PReLU {
        self.alpha_constraint = Some(c);
        self
    }
    /// Axes (1-based, batch excluded) along which alpha is shared.
    pub fn shared_axes(mut self, axes: &[usize]) -> PReLU {
        self.shared_axes = axes.to_vec();
        self
    }
}

impl Default for PReLU {
    fn default() -> Self {
        PReLU::new()
    }
}

common_builders!(PReLU);

layer_state!(PReLU, "PReLU");

impl Layer for PReLU {
    fn supports_masking(&self) -> bool {
        true
    }
    fn build(&mut self, shapes: &[Shape]) -> Result<()> {
        let s = &shapes[0];
        let mut param = Vec::with_capacity(s.len().saturating_sub(1));
        for (i, d) in s.iter().enumerate().skip(1) {
            if self.shared_axes.contains(&i) {
                param.push(1);
            } else {
                param.push(d.ok_or_else(|| Error::InvalidArgument {
                    api: "PReLU.build",
                    msg: format!(
                        "axis {i} has unknown size; share it with shared_axes or give a full input shape"
                    ),
                })?);
            }
        }
        self.alpha = Some(self.base.add_weight(
            "alpha",
            &param,
            &self.alpha_initializer,
            true,
            self.alpha_regularizer.clone(),
            self.alpha_constraint.clone(),
        )?);
        Ok(())
    }
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = one_input(inputs, "PReLU")?;
        let alpha = self.alpha.as_ref().ok_or_else(|| Error::InvalidArgument {
            api: "PReLU.call",
            msg: "layer is not built".into(),
        })?;
        let pos = x.relu()?;
        let neg = x.neg()?.relu()?.mul(&alpha.value())?;
        Ok(vec![pos.sub(&neg)?])
    }
    fn compute_output_shape(&self, s: &[Shape]) -> Option<Result<Vec<Shape>>> {
        Some(Ok(s.to_vec()))
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.insert(
            "alpha_initializer".into(),
            self.alpha_initializer.get_config(),
        );
        c.insert(
            "shared_axes".into(),
            json!(if self.shared_axes.is_empty() {
                None
            } else {
                Some(self.shared_axes.clone())
            }),
        );
        Value::Object(c)
    }
}
