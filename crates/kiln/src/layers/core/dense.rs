//! `Dense`: `activation(inputs @ kernel + bias)` on the last axis. The example to copy
//! when writing a layer: the config is the fields, the weights are [`Weight`]s.

use kiln_tensor::Tensor;

use crate::activations::Activation;
use crate::constraints::Constraint;
use crate::initializers::Initializer;
use crate::layers::{last_dim, one_input, CallContext, InputSpec, Layer, LayerBase, Shape, Weight};
use crate::regularizers::Regularizer;
use crate::Result;

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
#[derive(crate::layers::Layer)]
#[layer(builders, activity_regularizer)]
pub struct Dense {
    base: LayerBase,
    /// Number of output units.
    pub units: usize,
    /// The activation, by Keras name or value (default: none).
    #[layer(default)]
    activation: Activation,
    /// Whether to add a bias (default true).
    #[layer(default = true)]
    use_bias: bool,
    /// Kernel initializer (default glorot_uniform).
    #[layer(default = Initializer::GlorotUniform(None))]
    kernel_initializer: Initializer,
    /// Bias initializer (default zeros).
    #[layer(default = Initializer::Zeros)]
    bias_initializer: Initializer,
    /// Penalty on the kernel.
    #[layer(default)]
    kernel_regularizer: Option<Regularizer>,
    /// Penalty on the bias.
    #[layer(default)]
    bias_regularizer: Option<Regularizer>,
    /// Constraint on the kernel.
    #[layer(default)]
    kernel_constraint: Option<Constraint>,
    /// Constraint on the bias.
    #[layer(default)]
    bias_constraint: Option<Constraint>,
    kernel: Weight,
    bias: Weight,
}

impl Dense {
    /// Sets the activation (as [`Dense::activation`], kept for callers holding a value).
    pub fn activation_fn(self, activation: Activation) -> Dense {
        self.activation(activation)
    }

    /// The kernel variable, once built.
    pub fn kernel(&self) -> Option<&kiln_tensor::Variable> {
        self.kernel.get()
    }

    /// The bias variable, once built (and when `use_bias`).
    pub fn bias(&self) -> Option<&kiln_tensor::Variable> {
        self.bias.get()
    }
}

impl Layer for Dense {
    fn supports_masking(&self) -> bool {
        true
    }

    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let input_dim = last_dim(input_shapes.first().map_or(&[], |s| s))?;
        let kernel = (self.base.weight("kernel", &[input_dim, self.units]))
            .initializer(self.kernel_initializer.clone())
            .regularizer_opt(self.kernel_regularizer.clone())
            .constraint_opt(self.kernel_constraint.clone())
            .build()?;
        self.kernel.set(kernel);
        if self.use_bias {
            let bias = (self.base.weight("bias", &[self.units]))
                .initializer(self.bias_initializer.clone())
                .regularizer_opt(self.bias_regularizer.clone())
                .constraint_opt(self.bias_constraint.clone())
                .build()?;
            self.bias.set(bias);
        }
        self.base.input_spec = Some(vec![InputSpec::min_ndim(2).with_axis(-1, input_dim)]);
        Ok(())
    }

    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let kernel = self.kernel.value()?;
        let x = one_input(inputs, "Dense")?.cast(kernel.dtype())?;
        let y = match x.rank() {
            2 => x.matmul(&kernel)?,
            _ => x.tensordot(&kernel, 1)?,
        };
        let y = match (self.bias.get(), self.activation) {
            (Some(b), Activation::Relu) => return Ok(vec![y.bias_add_relu(&b.value())?]),
            (Some(b), _) => y.bias_add(&b.value())?,
            (None, _) => y,
        };
        Ok(vec![self.activation.apply(&y)?])
    }

    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let mut s = input_shapes.first()?.clone();
        *s.last_mut()? = Some(self.units);
        Some(Ok(vec![s]))
    }
}
