//! `Dense`: `activation(inputs @ kernel + bias)` on the last axis.

use kiln_tensor::{Tensor, Variable};
use serde_json::{json, Value};

use crate::activations::Activation;
use crate::constraints::Constraint;
use crate::initializers::Initializer;
use crate::layers::layer::{
    one_input, CallContext, InputSpec, Layer, LayerBase, LayerState, Shape,
};
use crate::regularizers::Regularizer;
use crate::{Error, Result};

/// Densely connected layer (`keras.layers.Dense`): kernel `(input_dim, units)`
/// (glorot_uniform), bias `(units,)` (zeros). Inputs of rank > 2 are contracted on their
/// last axis.
///
/// ```
/// use kiln::layers::{Dense, LayerRef};
/// use kiln_tensor::{DType, Tensor};
/// let d = LayerRef::new(Dense::new(3).activation("relu"));
/// let y = d.call(&Tensor::ones(&[4, 5, 2], DType::F32))?;
/// assert_eq!(y.shape(), &[4, 5, 3]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct Dense {
    base: LayerBase,
    /// Number of output units.
    pub units: usize,
    activation: std::result::Result<Activation, String>,
    use_bias: bool,
    kernel_initializer: Initializer,
    bias_initializer: Initializer,
    kernel_regularizer: Option<Regularizer>,
    bias_regularizer: Option<Regularizer>,
    kernel_constraint: Option<Constraint>,
    bias_constraint: Option<Constraint>,
    kernel: Option<Variable>,
    bias: Option<Variable>,
}

impl Dense {
    /// A `Dense` layer with `units` outputs and Keras's defaults (no activation).
    pub fn new(units: usize) -> Dense {
        Dense {
            base: LayerBase::new("dense"),
            units,
            activation: Ok(Activation::Linear),
            use_bias: true,
            kernel_initializer: Initializer::GlorotUniform(None),
            bias_initializer: Initializer::Zeros,
            kernel_regularizer: None,
            bias_regularizer: None,
            kernel_constraint: None,
            bias_constraint: None,
            kernel: None,
            bias: None,
        }
    }

    /// Sets the activation by Keras name (an unknown name fails when the layer builds).
    pub fn activation(mut self, name: &str) -> Dense {
        self.activation = Activation::get(name).map_err(|e| e.to_string());
        self
    }

    /// Sets the activation.
    pub fn activation_fn(mut self, activation: Activation) -> Dense {
        self.activation = Ok(activation);
        self
    }

    /// Whether to add a bias (default true).
    pub fn use_bias(mut self, use_bias: bool) -> Dense {
        self.use_bias = use_bias;
        self
    }

    /// Kernel initializer (default glorot_uniform).
    pub fn kernel_initializer(mut self, init: impl Into<Initializer>) -> Dense {
        self.kernel_initializer = init.into();
        self
    }

    /// Bias initializer (default zeros).
    pub fn bias_initializer(mut self, init: impl Into<Initializer>) -> Dense {
        self.bias_initializer = init.into();
        self
    }

    /// Penalty on the kernel.
    pub fn kernel_regularizer(mut self, r: Regularizer) -> Dense {
        self.kernel_regularizer = Some(r);
        self
    }

    /// Penalty on the bias.
    pub fn bias_regularizer(mut self, r: Regularizer) -> Dense {
        self.bias_regularizer = Some(r);
        self
    }

    /// Penalty on the output.
    pub fn activity_regularizer(mut self, r: Regularizer) -> Dense {
        self.base.activity_regularizer = Some(r);
        self
    }

    /// Constraint on the kernel.
    pub fn kernel_constraint(mut self, c: Constraint) -> Dense {
        self.kernel_constraint = Some(c);
        self
    }

    /// Constraint on the bias.
    pub fn bias_constraint(mut self, c: Constraint) -> Dense {
        self.bias_constraint = Some(c);
        self
    }

    /// Sets the layer name.
    pub fn name(mut self, name: &str) -> Dense {
        self.base.set_name(name);
        self
    }

    /// Declares the input shape (without the batch axis), so a `Sequential` can build
    /// before it sees data (Keras's `input_shape=`).
    pub fn input_shape(mut self, shape: &[usize]) -> Dense {
        self.base.set_input_shape(shape);
        self
    }

    /// The kernel variable, once built.
    pub fn kernel(&self) -> Option<&Variable> {
        self.kernel.as_ref()
    }

    /// The bias variable, once built (and when `use_bias`).
    pub fn bias(&self) -> Option<&Variable> {
        self.bias.as_ref()
    }
}

impl LayerState for Dense {
    fn base(&self) -> &LayerBase {
        &self.base
    }
    fn base_mut(&mut self) -> &mut LayerBase {
        &mut self.base
    }
    fn class_name(&self) -> &'static str {
        "Dense"
    }
}

impl Layer for Dense {
    fn supports_masking(&self) -> bool {
        true
    }
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        if let Err(e) = &self.activation {
            return Err(Error::InvalidArgument {
                api: "Dense",
                msg: e.clone(),
            });
        }
        let shape = input_shapes.first().ok_or_else(|| Error::InvalidArgument {
            api: "Dense.build",
            msg: "no input shape".into(),
        })?;
        let input_dim = match shape.last() {
            Some(Some(d)) if shape.len() >= 2 || shape.len() == 1 => *d,
            _ => {
                return Err(Error::InvalidArgument {
                    api: "Dense.build",
                    msg: format!(
                        "the last dimension of the input must be known, got shape {}",
                        crate::layers::fmt_shape(shape)
                    ),
                })
            }
        };
        self.kernel = Some(self.base.add_weight(
            "kernel",
            &[input_dim, self.units],
            &self.kernel_initializer,
            true,
            self.kernel_regularizer.clone(),
            self.kernel_constraint.clone(),
        )?);
        if self.use_bias {
            self.bias = Some(self.base.add_weight(
                "bias",
                &[self.units],
                &self.bias_initializer,
                true,
                self.bias_regularizer.clone(),
                self.bias_constraint.clone(),
            )?);
        }
        self.base.input_spec = Some(vec![InputSpec::min_ndim(2).with_axis(-1, input_dim)]);
        Ok(())
    }

    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = one_input(inputs, "Dense")?;
        let kernel = self.kernel.as_ref().ok_or_else(|| Error::InvalidArgument {
            api: "Dense.call",
            msg: "layer is not built".into(),
        })?;
        let k = kernel.value();
        let x = if x.dtype() == k.dtype() {
            x.clone()
        } else {
            x.cast(k.dtype())?
        };
        let mut y = if x.rank() == 2 {
            x.matmul(&k)?
        } else {
            x.tensordot(&k, 1)?
        };
        if let (Some(b), Ok(Activation::Relu)) = (&self.bias, &self.activation) {
            return Ok(vec![y.bias_add_relu(&b.value())?]);
        }
        if let Some(b) = &self.bias {
            y = y.bias_add(&b.value())?;
        }
        let act = self.activation.clone().unwrap_or(Activation::Linear);
        Ok(vec![act.apply(&y)?])
    }

    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let mut s = input_shapes.first()?.clone();
        if let Some(last) = s.last_mut() {
            *last = Some(self.units);
        }
        Some(Ok(vec![s]))
    }

    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        let reg =
            |r: &Option<Regularizer>| r.as_ref().map(|r| r.get_config()).unwrap_or(Value::Null);
        let con =
            |r: &Option<Constraint>| r.as_ref().map(|r| r.get_config()).unwrap_or(Value::Null);
        c.insert("units".into(), json!(self.units));
        c.insert(
            "activation".into(),
            json!(self.activation.clone().unwrap_or_default().name()),
        );
        c.insert("use_bias".into(), json!(self.use_bias));
        c.insert(
            "kernel_initializer".into(),
            self.kernel_initializer.get_config(),
        );
        c.insert(
            "bias_initializer".into(),
            self.bias_initializer.get_config(),
        );
        c.insert("kernel_regularizer".into(), reg(&self.kernel_regularizer));
        c.insert("bias_regularizer".into(), reg(&self.bias_regularizer));
        c.insert(
            "activity_regularizer".into(),
            reg(&self.base.activity_regularizer),
        );
        c.insert("kernel_constraint".into(), con(&self.kernel_constraint));
        c.insert("bias_constraint".into(), con(&self.bias_constraint));
        Value::Object(c)
    }
}
