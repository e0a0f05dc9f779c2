//! `EinsumDense`: a dense layer whose contraction is an einsum equation.

use kiln_tensor::{Tensor, Variable};
use serde_json::{json, Value};

use crate::activations::Activation;
use crate::constraints::Constraint;
use crate::initializers::Initializer;
use crate::layers::layer::{fmt_shape, one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::regularizers::Regularizer;
use crate::{Error, Result};

/// `keras.layers.EinsumDense(equation, output_shape, activation, bias_axes)`: computes
/// `einsum(equation, inputs, kernel) (+ bias)`, with the kernel shape read off the
/// equation (`"ab,bc->ac"` is `Dense`). `output_shape` omits the batch axis; `None`
/// entries are taken from the input. Equations with `...` are not supported yet (an
/// error at build time).
///
/// ```
/// use kiln::layers::{EinsumDense, LayerRef};
/// use kiln_tensor::{DType, Tensor};
/// // Project [batch, time, 16] to [batch, time, heads=2, 8], bias over the last two axes.
/// let l = LayerRef::new(EinsumDense::new("abc,cde->abde", &[None, Some(2), Some(8)]).bias_axes("de"));
/// let y = l.call(&Tensor::ones(&[3, 5, 16], DType::F32))?;
/// assert_eq!(y.shape(), &[3, 5, 2, 8]);
/// assert_eq!(l.count_params(), 16 * 16 + 16);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct EinsumDense {
    base: LayerBase,
    equation: String,
    partial_output_shape: Vec<Option<usize>>,
    activation: std::result::Result<Activation, String>,
    bias_axes: Option<String>,
    kernel_initializer: Initializer,
    bias_initializer: Initializer,
    kernel_regularizer: Option<Regularizer>,
    bias_regularizer: Option<Regularizer>,
    kernel_constraint: Option<Constraint>,
    bias_constraint: Option<Constraint>,
    kernel: Option<Variable>,
    bias: Option<Variable>,
    full_output_shape: Shape,
}

/// The three specs of `"in,kernel->out"`.
fn split_equation(eq: &str) -> Result<(String, String, String)> {
    let bad = || Error::InvalidArgument {
        api: "EinsumDense",
        msg: format!("equation must look like 'ab,bc->ac' (letters only, no '...'), got '{eq}'"),
    };
    let (lhs, out) = eq.split_once("->").ok_or_else(bad)?;
    let (inp, ker) = lhs.split_once(',').ok_or_else(bad)?;
    let ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase());
    if !(ok(inp) && ok(ker) && ok(out)) {
        return Err(bad());
    }
    Ok((inp.to_string(), ker.to_string(), out.to_string()))
}

/// Keras's shape analysis: kernel shape, bias shape and full output shape.
pub(crate) fn analyze_einsum(
    equation: &str,
    bias_axes: Option<&str>,
    input_shape: &[Option<usize>],
    partial_output: &[Option<usize>],
) -> Result<(Vec<usize>, Option<Vec<usize>>, Shape)> {
    let fail = |msg: String| Error::InvalidArgument {
        api: "EinsumDense",
        msg,
    };
    let (inp, ker, out) = split_equation(equation)?;
    if inp.len() != input_shape.len() {
        return Err(fail(format!(
            "equation '{equation}' expects an input of rank {}, got shape {}",
            inp.len(),
            fmt_shape(input_shape)
        )));
    }
    let mut output: Shape = Vec::with_capacity(out.len());
    output.push(input_shape.first().copied().flatten());
    output.extend_from_slice(partial_output);
    if output.len() != out.len() {
        return Err(fail(format!(
            "output_shape {} (without the batch axis) does not match the output spec '{out}'",
            fmt_shape(partial_output)
        )));
    }
    let in_pos = |c: char| inp.find(c);
    let out_pos = |c: char| out.find(c);
    for (i, c) in inp.chars().enumerate() {
        if let Some(o) = out_pos(c) {
            match (output[o], input_shape[i]) {
                (Some(a), Some(b)) if a != b => {
                    return Err(fail(format!(
                        "input and output shapes differ at shared dimension '{c}': input {b}, output {a}"
                    )))
                }
                (None, d) => output[o] = d,
                _ => {}
            }
        }
    }
    for c in out.chars() {
        if in_pos(c).is_none() && !ker.contains(c) {
            return Err(fail(format!(
                "dimension '{c}' of the output spec '{out}' is in neither the input nor the kernel spec"
            )));
        }
    }
    let mut kernel = Vec::with_capacity(ker.len());
    for c in ker.chars() {
        let d = if let Some(o) = out_pos(c) {
            output[o]
        } else if let Some(i) = in_pos(c) {
            input_shape[i]
        } else {
            return Err(fail(format!(
                "kernel dimension '{c}' is in neither the input nor the output spec"
            )));
        };
        kernel.push(d.ok_or_else(|| {
            fail(format!(
                "kernel dimension '{c}' must be known; input shape {}, output shape {}",
                fmt_shape(input_shape),
                fmt_shape(&output)
            ))
        })?);
    }
    let bias = match bias_axes {
        None | Some("") => None,
        Some(axes) => {
            let mut first = out.len();
            for c in axes.chars() {
                let p = out_pos(c).ok_or_else(|| {
                    fail(format!("bias axis '{c}' is not in the output spec '{out}'"))
                })?;
                first = first.min(p);
            }
            let mut shape = Vec::new();
            for (k, c) in out.chars().enumerate().skip(first) {
                shape.push(if axes.contains(c) {
                    output[k].ok_or_else(|| fail(format!("bias dimension '{c}' must be known")))?
                } else {
                    1
                });
            }
            Some(shape)
        }
    };
    Ok((kernel, bias, output))
}

impl EinsumDense {
    /// A layer for `equation` producing `output_shape` (without the batch axis).
    pub fn new(equation: &str, output_shape: &[Option<usize>]) -> EinsumDense {
        EinsumDense {
            base: LayerBase::new("einsum_dense"),
            equation: equation.to_string(),
            partial_output_shape: output_shape.to_vec(),
            activation: Ok(Activation::Linear),
            bias_axes: None,
            kernel_initializer: Initializer::GlorotUniform(None),
            bias_initializer: Initializer::Zeros,
            kernel_regularizer: None,
            bias_regularizer: None,
            kernel_constraint: None,
            bias_constraint: None,
            kernel: None,
            bias: None,
            full_output_shape: Vec::new(),
        }
    }
    /// Output axes (letters of the output spec) that get a bias; none by default.
    pub fn bias_axes(mut self, axes: &str) -> EinsumDense {
        self.bias_axes = Some(axes.to_string());
        self
    }
    /// Activation by Keras name.
    pub fn activation(mut self, name: &str) -> EinsumDense {
        self.activation = Activation::get(name).map_err(|e| e.to_string());
        self
    }
    /// Kernel initializer (default glorot_uniform).
    pub fn kernel_initializer(mut self, init: impl Into<Initializer>) -> EinsumDense {
        self.kernel_initializer = init.into();
        self
    }
    /// Bias initializer (default zeros).
    pub fn bias_initializer(mut self, init: impl Into<Initializer>) -> EinsumDense {
        self.bias_initializer = init.into();
        self
    }
    /// Penalty on the kernel.
    pub fn kernel_regularizer(mut self, r: Option<Regularizer>) -> EinsumDense {
        self.kernel_regularizer = r;
        self
    }
    /// Penalty on the bias.
    pub fn bias_regularizer(mut self, r: Option<Regularizer>) -> EinsumDense {
        self.bias_regularizer = r;
        self
    }
    /// Constraint on the kernel.
    pub fn kernel_constraint(mut self, c: Option<Constraint>) -> EinsumDense {
        self.kernel_constraint = c;
        self
    }
    /// Constraint on the bias.
    pub fn bias_constraint(mut self, c: Option<Constraint>) -> EinsumDense {
        self.bias_constraint = c;
        self
    }
    /// The kernel variable, once built.
    pub fn kernel(&self) -> Option<&Variable> {
        self.kernel.as_ref()
    }
    /// The bias variable, once built with bias axes.
    pub fn bias(&self) -> Option<&Variable> {
        self.bias.as_ref()
    }
}

common_builders!(EinsumDense);
layer_state!(EinsumDense, "EinsumDense");

impl Layer for EinsumDense {
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        if let Err(e) = &self.activation {
            return Err(Error::InvalidArgument {
                api: "EinsumDense",
                msg: e.clone(),
            });
        }
        let shape = input_shapes.first().ok_or_else(|| Error::InvalidArgument {
            api: "EinsumDense.build",
            msg: "no input shape".into(),
        })?;
        let (kshape, bshape, out) = analyze_einsum(
            &self.equation,
            self.bias_axes.as_deref(),
            shape,
            &self.partial_output_shape,
        )
        .map_err(|e| Error::InvalidArgument {
            api: "EinsumDense.build",
            msg: format!("layer '{}': {e}", self.base.name()),
        })?;
        self.full_output_shape = out;
        self.kernel = Some(self.base.add_weight(
            "kernel",
            &kshape,
            &self.kernel_initializer,
            true,
            self.kernel_regularizer.clone(),
            self.kernel_constraint.clone(),
        )?);
        if let Some(b) = bshape {
            self.bias = Some(self.base.add_weight(
                "bias",
                &b,
                &self.bias_initializer,
                true,
                self.bias_regularizer.clone(),
                self.bias_constraint.clone(),
            )?);
        }
        Ok(())
    }
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = one_input(inputs, "EinsumDense")?;
        let k = self
            .kernel
            .as_ref()
            .ok_or_else(|| Error::InvalidArgument {
                api: "EinsumDense.call",
                msg: "layer is not built".into(),
            })?
            .value();
        let x = if x.dtype() == k.dtype() {
            x.clone()
        } else {
            x.cast(k.dtype())?
        };
        let mut y =
            Tensor::einsum(&self.equation, &[&x, &k]).map_err(|e| Error::InvalidArgument {
                api: "EinsumDense.call",
                msg: format!("layer '{}': {e}", self.base.name()),
            })?;
        if let Some(b) = &self.bias {
            y = y.add(&b.value())?;
        }
        let act = self.activation.clone().unwrap_or(Activation::Linear);
        Ok(vec![act.apply(&y)?])
    }
    fn supports_masking(&self) -> bool {
        true
    }
    fn compute_output_shape(&self, s: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let shape = s.first()?;
        Some(
            analyze_einsum(
                &self.equation,
                self.bias_axes.as_deref(),
                shape,
                &self.partial_output_shape,
            )
            .map(|(_, _, out)| vec![out]),
        )
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        let reg =
            |r: &Option<Regularizer>| r.as_ref().map(|r| r.get_config()).unwrap_or(Value::Null);
        let con =
            |r: &Option<Constraint>| r.as_ref().map(|r| r.get_config()).unwrap_or(Value::Null);
        c.insert("output_shape".into(), json!(self.partial_output_shape));
        c.insert("equation".into(), json!(self.equation));
        c.insert(
            "activation".into(),
            json!(self.activation.clone().unwrap_or_default().name()),
        );
        c.insert("bias_axes".into(), json!(self.bias_axes));
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
        c.insert("activity_regularizer".into(), Value::Null);
        c.insert("kernel_constraint".into(), con(&self.kernel_constraint));
        c.insert("bias_constraint".into(), con(&self.bias_constraint));
        Value::Object(c)
    }
}
