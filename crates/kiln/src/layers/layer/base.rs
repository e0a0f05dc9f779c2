//! [`LayerBase`]: the state every layer embeds (name, `trainable`, built flag, its
//! weights, call losses, input spec), and [`WeightBuilder`] (Keras's `add_weight`).

use std::sync::{OnceLock, Weak};

use kiln_tensor::{DType, Tensor, Variable};
use serde_json::{json, Map, Value};

use super::{InputSpec, Shape};
use crate::constraints::Constraint;
use crate::initializers::Initializer;
use crate::layers::keras_tensor::Node;
use crate::regularizers::Regularizer;
use crate::{Error, Result};

/// A variable a layer owns, with what the layer attached to it.
#[derive(Clone)]
pub(crate) struct WeightEntry {
    pub(crate) var: Variable,
    /// Whether the layer created it trainable (moving statistics are not).
    pub(crate) declared_trainable: bool,
    pub(crate) regularizer: Option<Regularizer>,
    pub(crate) constraint: Option<Constraint>,
}

/// The state every layer has: name, `trainable`, built flag, its own weights, the losses
/// added during the last call, and its input spec. Layer types embed one and expose it
/// through [`Layer::base`].
///
/// ```
/// let base = kiln::layers::LayerBase::new("my_layer");
/// assert!(base.trainable());
/// assert!(!base.built());
/// ```
pub struct LayerBase {
    pub(crate) prefix: String,
    pub(crate) name: OnceLock<String>,
    pub(crate) trainable: bool,
    pub(crate) built: bool,
    pub(crate) weights: Vec<WeightEntry>,
    pub(crate) call_losses: Vec<Tensor>,
    /// Penalty on the layer's outputs, added to the model's losses on every call.
    pub activity_regularizer: Option<Regularizer>,
    /// Checked against the inputs of every call once built.
    pub input_spec: Option<Vec<InputSpec>>,
    /// `input_shape=` given at construction (the shape without the batch axis), which lets
    /// a `Sequential` build before seeing data.
    pub(crate) input_shape: Option<Shape>,
    pub(crate) inbound_nodes: Vec<Weak<Node>>,
    pub(crate) build_shapes: Option<Vec<Shape>>,
    /// The dtype of the layer's weights (its policy's variable dtype; also its compute
    /// dtype unless the policy is mixed).
    pub dtype: DType,
    /// The layer's dtype policy ([`crate::dtype_policies`]): the global one when the
    /// layer was constructed, unless set.
    pub(crate) policy: crate::dtype_policies::DTypePolicy,
    /// Set when the layer is a model's top layer ([`crate::models::Model::from_layer`]):
    /// Keras's saving walk then also sees the model's `layers` list.
    pub(crate) is_model: bool,
    /// A builder argument that could not be used (an unknown activation name, ...),
    /// reported when the layer builds.
    pub(crate) config_error: Option<String>,
}

impl std::fmt::Debug for LayerBase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LayerBase")
            .field("name", &self.name())
            .field("trainable", &self.trainable)
            .field("built", &self.built)
            .finish()
    }
}

impl LayerBase {
    /// A base whose auto-name (assigned on first use) starts with `prefix`
    /// (`dense`, `dense_1`, ...).
    ///
    /// ```
    /// let b = kiln::layers::LayerBase::new("doc_base");
    /// assert!(b.name().starts_with("doc_base"));
    /// ```
    pub fn new(prefix: &str) -> LayerBase {
        LayerBase {
            prefix: prefix.to_string(),
            name: OnceLock::new(),
            trainable: true,
            built: false,
            weights: Vec::new(),
            call_losses: Vec::new(),
            activity_regularizer: None,
            input_spec: None,
            input_shape: None,
            inbound_nodes: Vec::new(),
            build_shapes: None,
            dtype: crate::dtype_policies::dtype_policy().variable_dtype(),
            policy: crate::dtype_policies::dtype_policy(),
            is_model: false,
            config_error: None,
        }
    }

    /// The layer's name (auto-assigned on first use when none was set).
    ///
    /// ```
    /// let mut b = kiln::layers::LayerBase::new("x");
    /// b.set_name("encoder");
    /// assert_eq!(b.name(), "encoder");
    /// ```
    pub fn name(&self) -> &str {
        self.name
            .get_or_init(|| crate::utils::unique_name(&self.prefix))
    }

    /// Sets the name.
    ///
    /// ```
    /// let mut b = kiln::layers::LayerBase::new("x");
    /// b.set_name("y");
    /// assert_eq!(b.name(), "y");
    /// ```
    pub fn set_name(&mut self, name: &str) {
        self.name = OnceLock::new();
        let _ = self.name.set(name.to_string());
    }

    /// Whether the layer's weights train.
    ///
    /// ```
    /// assert!(kiln::layers::LayerBase::new("x").trainable());
    /// ```
    pub fn trainable(&self) -> bool {
        self.trainable
    }

    /// Whether `build` has run.
    ///
    /// ```
    /// assert!(!kiln::layers::LayerBase::new("x").built());
    /// ```
    pub fn built(&self) -> bool {
        self.built
    }

    /// Marks the layer built (for layers that build without calling [`Layer::build`]).
    ///
    /// ```
    /// let mut b = kiln::layers::LayerBase::new("x");
    /// b.set_built(true);
    /// assert!(b.built());
    /// ```
    pub fn set_built(&mut self, built: bool) {
        self.built = built;
    }

    /// Starts a weight with Keras's `add_weight` defaults (glorot-uniform for floats,
    /// trainable, no regularizer or constraint); set what differs, then
    /// [`WeightBuilder::build`].
    ///
    /// ```
    /// use kiln::initializers::Initializer;
    /// let mut b = kiln::layers::LayerBase::new("doc_wb");
    /// let w = b.weight("kernel", &[3, 2]).build()?;
    /// let bias = b.weight("bias", &[2]).initializer(Initializer::Zeros).build()?;
    /// let steps = b.weight("steps", &[]).initializer("zeros").trainable(false).build()?;
    /// assert_eq!(w.shape(), vec![3, 2]);
    /// assert!(bias.name().ends_with("/bias") && !steps.trainable());
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn weight<'a>(&'a mut self, name: &'a str, shape: &[usize]) -> WeightBuilder<'a> {
        WeightBuilder {
            base: self,
            name,
            shape: shape.to_vec(),
            initializer: Initializer::GlorotUniform(None),
            trainable: true,
            regularizer: None,
            constraint: None,
        }
    }

    /// Creates a weight, as Keras's `add_weight`: initialised by `initializer`, named
    /// `"<layer>/<name>"`, optionally regularised (the penalty joins the model's losses)
    /// and constrained (projected after each optimizer step).
    ///
    /// ```
    /// use kiln::initializers::Initializer;
    /// let mut b = kiln::layers::LayerBase::new("doc_w");
    /// let w = b.add_weight("kernel", &[3, 2], &Initializer::Ones, true, None, None)?;
    /// assert_eq!(w.shape(), vec![3, 2]);
    /// assert!(w.name().ends_with("/kernel"));
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn add_weight(
        &mut self,
        name: &str,
        shape: &[usize],
        initializer: &Initializer,
        trainable: bool,
        regularizer: Option<Regularizer>,
        constraint: Option<Constraint>,
    ) -> Result<Variable> {
        // A corrupt or hostile config (units = 10^12) must fail, not exhaust memory.
        const MAX_ELEMENTS: usize = 1 << 31;
        let n = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        if n.is_none_or(|n| n > MAX_ELEMENTS) {
            return Err(Error::InvalidArgument {
                api: "add_weight",
                msg: format!(
                    "layer '{}': weight '{name}' of shape {shape:?} has more than 2^31 elements",
                    self.name()
                ),
            });
        }
        // While a file is being loaded, its variables share the load's memory limit.
        let bytes = n.unwrap_or(0) as u64 * self.dtype.size_in_bytes() as u64;
        crate::saving::limits::charge_variable(bytes, || {
            format!(
                "layer '{}': weight '{name}' of shape {shape:?}",
                self.name()
            )
        })?;
        let value = initializer.call(shape, self.dtype)?;
        let full = format!("{}/{}", self.name(), name);
        let var = Variable::new(value, full, trainable && self.trainable);
        self.weights.push(WeightEntry {
            var: var.clone(),
            declared_trainable: trainable,
            regularizer,
            constraint,
        });
        Ok(var)
    }

    /// Adds a state variable with an explicit value and dtype (e.g. an integer counter),
    /// tracked like [`LayerBase::add_weight`]'s.
    pub(crate) fn add_variable(&mut self, name: &str, value: Tensor, trainable: bool) -> Variable {
        let full = format!("{}/{}", self.name(), name);
        let var = Variable::new(value, full, trainable && self.trainable);
        self.weights.push(WeightEntry {
            var: var.clone(),
            declared_trainable: trainable,
            regularizer: None,
            constraint: None,
        });
        var
    }

    /// Adds a loss from inside `call` (Keras's `add_loss`); cleared at the start of the
    /// next outermost call, summed into the training loss by the trainer.
    ///
    /// ```
    /// let mut b = kiln::layers::LayerBase::new("x");
    /// b.add_loss(kiln_tensor::Tensor::scalar(1.0f32));
    /// ```
    pub fn add_loss(&mut self, loss: Tensor) {
        self.call_losses.push(loss);
    }

    /// This layer's own variables (not its sub-layers').
    ///
    /// ```
    /// assert!(kiln::layers::LayerBase::new("x").own_weights().is_empty());
    /// ```
    pub fn own_weights(&self) -> Vec<Variable> {
        self.weights.iter().map(|w| w.var.clone()).collect()
    }

    /// Records the constructor's `input_shape` (without the batch axis).
    pub(crate) fn set_input_shape(&mut self, shape: &[usize]) {
        self.input_shape = Some(shape.iter().map(|&d| Some(d)).collect());
    }

    /// Declares the input shape without the batch axis (Keras's `input_shape=`), which
    /// lets a `Sequential` starting with the layer build before it sees data; the derived
    /// `input_shape` builder calls it.
    ///
    /// ```
    /// let mut b = kiln::layers::LayerBase::new("doc_shape");
    /// b.declare_input_shape(&[28, 28]);
    /// assert_eq!(b.base_config()["batch_input_shape"], serde_json::json!([null, 28, 28]));
    /// ```
    pub fn declare_input_shape(&mut self, shape: &[usize]) {
        self.set_input_shape(shape);
    }

    /// Keeps a builder argument's error (an unknown activation name, say) to report when
    /// the layer builds, as the derived builders do; the first one is kept.
    ///
    /// ```
    /// use kiln::layers::{Dense, LayerRef};
    /// use kiln_tensor::{DType, Tensor};
    /// let d = LayerRef::new(Dense::new(2).activation("no_such_activation"));
    /// let err = d.call(&Tensor::ones(&[1, 3], DType::F32)).unwrap_err();
    /// assert!(err.to_string().contains("unknown activation 'no_such_activation'"));
    /// ```
    pub fn record_config_error(&mut self, error: Error) {
        if self.config_error.is_none() {
            self.config_error = Some(error.to_string());
        }
    }
    /// The layer's own weight called `name` (as given to [`LayerBase::weight`]); a name
    /// the layer has no weight of (or a layer not built yet) is an `Err` listing the
    /// weights it has.
    ///
    /// ```
    /// let mut b = kiln::layers::LayerBase::new("doc_var");
    /// b.weight("w", &[2]).initializer("ones").add()?;
    /// assert_eq!(b.variable("w")?.shape(), vec![2]);
    /// assert!(b.variable("kernel").is_err());
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn variable(&self, name: &str) -> Result<Variable> {
        let suffix = format!("/{name}");
        self.weights
            .iter()
            .map(|w| &w.var)
            .find(|v| v.name() == name || v.name().ends_with(&suffix))
            .cloned()
            .ok_or_else(|| Error::InvalidArgument {
                api: "Layer.variable",
                msg: format!(
                    "layer '{}' has no weight '{name}' (it has {:?}; weights are created in build)",
                    self.name(),
                    self.weights
                        .iter()
                        .map(|w| w.var.name())
                        .collect::<Vec<_>>()
                ),
            })
    }

    /// [`LayerBase::base_config`] with `extra`'s keys added (Keras's
    /// `{**super().get_config(), "units": self.units}`); `extra` must be a JSON object
    /// (anything else is ignored).
    ///
    /// ```
    /// let b = kiln::layers::LayerBase::new("doc_cfg");
    /// let c = b.config_with(serde_json::json!({"units": 3}));
    /// assert_eq!(c["units"], 3);
    /// assert_eq!(c["trainable"], true);
    /// ```
    pub fn config_with(&self, extra: Value) -> Value {
        let mut m = self.base_config();
        if let Value::Object(e) = extra {
            m.extend(e);
        }
        Value::Object(m)
    }

    /// The layer's dtype policy.
    pub fn dtype_policy(&self) -> &crate::dtype_policies::DTypePolicy {
        &self.policy
    }

    /// Sets the dtype policy (before the layer builds: its variables are created in the
    /// policy's variable dtype).
    ///
    /// ```
    /// use kiln::dtype_policies::DTypePolicy;
    /// let mut b = kiln::layers::LayerBase::new("x");
    /// b.set_dtype_policy(DTypePolicy::new("mixed_bfloat16")?);
    /// assert_eq!(b.compute_dtype(), kiln::DType::BF16);
    /// assert_eq!(b.variable_dtype(), kiln::DType::F32);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn set_dtype_policy(&mut self, policy: crate::dtype_policies::DTypePolicy) {
        self.dtype = policy.variable_dtype();
        self.policy = policy;
    }

    /// Sets the dtype policy by name; an unknown name is kept as the layer's config
    /// error, reported when it builds (as the other builders' arguments are).
    pub fn set_dtype_policy_name(&mut self, name: &str) {
        match crate::dtype_policies::DTypePolicy::new(name) {
            Ok(p) => self.set_dtype_policy(p),
            Err(e) => self.record_config_error(e),
        }
    }

    /// Whether `dtype` was set directly, apart from the policy (a layer made for f64,
    /// say): then `dtype` is both the compute and the variable dtype.
    fn dtype_overrides_policy(&self) -> bool {
        self.dtype != self.policy.variable_dtype()
    }

    /// The dtype of the layer's inputs, computations and outputs.
    pub fn compute_dtype(&self) -> DType {
        if self.dtype_overrides_policy() {
            self.dtype
        } else {
            self.policy.compute_dtype()
        }
    }

    /// The dtype the layer's variables are created in.
    pub fn variable_dtype(&self) -> DType {
        self.dtype
    }

    /// The dtype an input of dtype `input` is cast to before the call, as Keras's
    /// `DTypePolicy.convert_input`: floating inputs go to the compute dtype. Under the
    /// float32 policy only float16/bfloat16 inputs are cast (a float32 layer after mixed
    /// precision ones, Keras's recipe for the output softmax); float64 inputs keep their
    /// dtype there, as kiln's float32 layers always have (Keras would cast them).
    pub(crate) fn input_cast(&self, input: DType) -> Option<DType> {
        let compute = self.compute_dtype();
        let wanted = !self.dtype_overrides_policy()
            && compute.is_float()
            && input.is_float()
            && input != compute
            && (self.policy.name() != "float32" || matches!(input, DType::F16 | DType::BF16));
        wanted.then_some(compute)
    }

    /// The autocast scope a call enters (`Some(None)` clears an outer one), as Keras's
    /// `Layer.__call__` decides it: a mixed policy reads its float variables in the
    /// compute dtype; inside an outer scope a layer switches it to its own compute dtype.
    pub(crate) fn autocast_scope(&self) -> Option<Option<DType>> {
        let compute = self.compute_dtype();
        match kiln_tensor::autodiff::autocast_dtype() {
            Some(_) if !compute.is_float() => Some(None),
            Some(current) if current != compute => Some(Some(compute)),
            Some(_) => None,
            None if compute != self.dtype => Some(Some(compute)),
            None => None,
        }
    }

    /// The config entries every layer has (`name`, `trainable`, `dtype`).
    ///
    /// ```
    /// let c = kiln::layers::LayerBase::new("doc_cfg").base_config();
    /// assert_eq!(c["trainable"], true);
    /// ```
    pub fn base_config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("name".into(), json!(self.name()));
        m.insert("trainable".into(), json!(self.trainable));
        let dtype = if self.dtype_overrides_policy() {
            self.dtype.name()
        } else {
            self.policy.name()
        };
        m.insert("dtype".into(), json!(dtype));
        if let Some(s) = &self.input_shape {
            let mut b: Vec<Value> = vec![Value::Null];
            b.extend(s.iter().map(|d| d.map(Value::from).unwrap_or(Value::Null)));
            m.insert("batch_input_shape".into(), Value::Array(b));
        }
        m
    }
}

/// A weight being declared with [`LayerBase::weight`]; Keras's `add_weight` arguments
/// with their defaults.
pub struct WeightBuilder<'a> {
    base: &'a mut LayerBase,
    name: &'a str,
    shape: Vec<usize>,
    initializer: Initializer,
    pub(crate) trainable: bool,
    regularizer: Option<Regularizer>,
    constraint: Option<Constraint>,
}

impl WeightBuilder<'_> {
    /// The initializer (default glorot-uniform); a name such as `"zeros"` works too.
    pub fn initializer(mut self, initializer: impl Into<Initializer>) -> Self {
        self.initializer = initializer.into();
        self
    }

    /// Whether the optimizer updates it (default true).
    pub fn trainable(mut self, trainable: bool) -> Self {
        self.trainable = trainable;
        self
    }

    /// A penalty added to the model's losses.
    pub fn regularizer(mut self, regularizer: Regularizer) -> Self {
        self.regularizer = Some(regularizer);
        self
    }

    /// A projection applied after each optimizer step.
    pub fn constraint(mut self, constraint: Constraint) -> Self {
        self.constraint = Some(constraint);
        self
    }

    /// A penalty when `Some` (a layer's optional `kernel_regularizer`, say).
    pub fn regularizer_opt(mut self, regularizer: Option<Regularizer>) -> Self {
        self.regularizer = regularizer;
        self
    }

    /// A projection when `Some` (a layer's optional `kernel_constraint`, say).
    pub fn constraint_opt(mut self, constraint: Option<Constraint>) -> Self {
        self.constraint = constraint;
        self
    }

    /// Creates the weight ([`LayerBase::add_weight`]).
    pub fn build(self) -> Result<Variable> {
        self.base.add_weight(
            self.name,
            &self.shape,
            &self.initializer,
            self.trainable,
            self.regularizer,
            self.constraint,
        )
    }

    /// [`WeightBuilder::build`] keeping the weight only in the layer, to be read back by
    /// name with [`LayerBase::variable`] (Keras's `self.add_weight(...)` with no field).
    pub fn add(self) -> Result<()> {
        self.build().map(drop)
    }
}
