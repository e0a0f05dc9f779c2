//! The layer protocol: the [`Layer`] trait that layer authors implement, the state every
//! layer shares ([`LayerBase`]), and the shared handle users call ([`LayerRef`]).

use std::any::Any;
use std::cell::Cell;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

use kiln_tensor::{DType, Tensor, Variable};
use serde_json::{json, Map, Value};

use crate::constraints::Constraint;
use crate::initializers::Initializer;
use crate::layers::keras_tensor::{KerasTensor, Node, TensorSpec};
use crate::regularizers::Regularizer;
use crate::{Error, Result};

/// A Keras shape: `None` for a dimension unknown until run time (the batch, usually).
pub type Shape = Vec<Option<usize>>;

/// The size of a shape's last axis (Keras's `input_shape[-1]` in `build`); an unknown or
/// missing last axis is an `Err`.
///
/// ```
/// assert_eq!(kiln::layers::last_dim(&vec![None, Some(8)])?, 8);
/// assert!(kiln::layers::last_dim(&vec![Some(2), None]).is_err());
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn last_dim(shape: &Shape) -> Result<usize> {
    shape
        .last()
        .copied()
        .flatten()
        .ok_or_else(|| Error::InvalidArgument {
            api: "Layer.build",
            msg: format!(
                "the last axis of input shape {} must be known",
                fmt_shape(shape)
            ),
        })
}

/// The concrete shape of a tensor as a [`Shape`].
///
/// ```
/// let t = kiln_tensor::Tensor::zeros(&[2, 3], kiln_tensor::DType::F32);
/// assert_eq!(kiln::layers::shape_of(&t), vec![Some(2), Some(3)]);
/// ```
pub fn shape_of(t: &Tensor) -> Shape {
    t.shape().iter().map(|&d| Some(d)).collect()
}

/// Formats a shape as Keras prints it: `(None, 28, 28)`, `(10,)`.
///
/// ```
/// assert_eq!(kiln::layers::fmt_shape(&[None, Some(10)]), "(None, 10)");
/// assert_eq!(kiln::layers::fmt_shape(&[Some(3)]), "(3,)");
/// ```
pub fn fmt_shape(shape: &[Option<usize>]) -> String {
    let parts: Vec<String> = shape
        .iter()
        .map(|d| d.map(|v| v.to_string()).unwrap_or_else(|| "None".into()))
        .collect();
    if parts.len() == 1 {
        format!("({},)", parts[0])
    } else {
        format!("({})", parts.join(", "))
    }
}

/// What a layer requires of an input, checked on every call (Keras's `InputSpec`).
///
/// ```
/// let spec = kiln::layers::InputSpec::min_ndim(2).with_axis(-1, 784);
/// assert_eq!(spec.axes, vec![(-1, 784)]);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InputSpec {
    /// Exact rank.
    pub ndim: Option<usize>,
    /// Smallest rank.
    pub min_ndim: Option<usize>,
    /// Required sizes of given axes (negative axes count from the end).
    pub axes: Vec<(isize, usize)>,
}

impl InputSpec {
    /// A spec requiring rank `ndim`.
    ///
    /// ```
    /// assert_eq!(kiln::layers::InputSpec::ndim(4).ndim, Some(4));
    /// ```
    pub fn ndim(ndim: usize) -> InputSpec {
        InputSpec {
            ndim: Some(ndim),
            ..Default::default()
        }
    }

    /// A spec requiring rank at least `min_ndim`.
    ///
    /// ```
    /// assert_eq!(kiln::layers::InputSpec::min_ndim(2).min_ndim, Some(2));
    /// ```
    pub fn min_ndim(min_ndim: usize) -> InputSpec {
        InputSpec {
            min_ndim: Some(min_ndim),
            ..Default::default()
        }
    }

    /// Adds a required axis size.
    ///
    /// ```
    /// let s = kiln::layers::InputSpec::ndim(2).with_axis(1, 3);
    /// assert_eq!(s.axes, vec![(1, 3)]);
    /// ```
    pub fn with_axis(mut self, axis: isize, size: usize) -> InputSpec {
        self.axes.push((axis, size));
        self
    }

    /// Checks `shape` against the spec; the error names the layer, what was expected and
    /// what was received, as Keras's message does.
    ///
    /// ```
    /// let s = kiln::layers::InputSpec::min_ndim(2).with_axis(-1, 4);
    /// assert!(s.check("dense", 0, &[None, Some(4)]).is_ok());
    /// let e = s.check("dense", 0, &[Some(8), Some(3)]).unwrap_err().to_string();
    /// assert!(e.contains("expected axis -1 of input shape to have value 4"), "{e}");
    /// ```
    pub fn check(&self, layer: &str, index: usize, shape: &[Option<usize>]) -> Result<()> {
        let fail = |what: String| {
            Err(Error::InvalidArgument {
                api: "Layer.call",
                msg: format!(
                    "Input {index} of layer '{layer}' is incompatible with the layer: {what}, \
                     but received input with shape {}",
                    fmt_shape(shape)
                ),
            })
        };
        if let Some(n) = self.ndim
            && shape.len() != n
        {
            return fail(format!("expected ndim={n}, found ndim={}", shape.len()));
        }
        if let Some(n) = self.min_ndim
            && shape.len() < n
        {
            return fail(format!("expected min_ndim={n}, found ndim={}", shape.len()));
        }
        for &(axis, size) in &self.axes {
            let a = if axis < 0 {
                shape.len() as isize + axis
            } else {
                axis
            };
            if a < 0 || a as usize >= shape.len() {
                return fail(format!("expected axis {axis} to exist"));
            }
            if let Some(d) = shape[a as usize]
                && d != size
            {
                return fail(format!(
                    "expected axis {axis} of input shape to have value {size}"
                ));
            }
        }
        Ok(())
    }
}

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
    prefix: String,
    name: OnceLock<String>,
    trainable: bool,
    built: bool,
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
    /// The dtype of the layer's weights and computation.
    pub dtype: DType,
    /// Set when the layer is a model's top layer ([`crate::models::Model::from_layer`]):
    /// Keras's saving walk then also sees the model's `layers` list.
    pub(crate) is_model: bool,
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
            dtype: DType::F32,
            is_model: false,
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
    pub fn weight<'a>(&'a mut self, name: &'a str, shape: &'a [usize]) -> WeightBuilder<'a> {
        WeightBuilder {
            base: self,
            name,
            shape,
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
        m.insert("dtype".into(), json!(dtype_name(self.dtype)));
        if let Some(s) = &self.input_shape {
            let mut b: Vec<Value> = vec![Value::Null];
            b.extend(s.iter().map(|d| d.map(Value::from).unwrap_or(Value::Null)));
            m.insert("batch_input_shape".into(), Value::Array(b));
        }
        m
    }
}

/// Keras's dtype strings (`"float32"`, ...).
pub(crate) fn dtype_name(d: DType) -> &'static str {
    match d {
        DType::F32 => "float32",
        DType::F64 => "float64",
        DType::F16 => "float16",
        DType::BF16 => "bfloat16",
        DType::I32 => "int32",
        DType::I64 => "int64",
        DType::U8 => "uint8",
        DType::Bool => "bool",
        DType::String => "string",
    }
}

/// Lets `LayerRef` hand out the concrete layer type.
pub trait AsAny: Any {
    /// `self` as `&dyn Any`.
    fn as_any(&self) -> &dyn Any;
    /// `self` as `&mut dyn Any`.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: Any> AsAny for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// The bookkeeping half of a layer: its [`LayerBase`], Keras class name and nested layers.
/// `#[derive(Layer)]` implements it from the struct's fields (a `LayerBase` field; fields
/// of type `LayerRef`, `Vec<LayerRef>`, `Option<LayerRef>` or `Model` are sub-layers), so
/// a subclassed layer or model only writes [`Layer::call`].
///
/// ```
/// use kiln::layers::{CallContext, Dense, Layer, LayerBase, LayerRef, LayerState};
/// use kiln::models::Model;
/// use kiln_tensor::{DType, Tensor};
///
/// #[derive(kiln::layers::Layer)]
/// struct TwoLayers { base: LayerBase, hidden: LayerRef, out: LayerRef }
///
/// impl Layer for TwoLayers {
///     fn call(&mut self, x: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
///         let h = self.hidden.call(&x[0])?;
///         Ok(vec![self.out.call(&h)?])
///     }
/// }
///
/// let model = Model::from_layer(TwoLayers {
///     base: LayerBase::new("two_layers"),
///     hidden: Dense::new(4).activation("relu").into(),
///     out: Dense::new(1).into(),
/// });
/// model.call(&Tensor::ones(&[2, 3], DType::F32))?;
/// assert_eq!(model.weights().len(), 4); // tracked through the derived sublayers()
/// # Ok::<(), kiln::Error>(())
/// ```
pub trait LayerState {
    /// The shared layer state.
    fn base(&self) -> &LayerBase;
    /// The shared layer state, mutably.
    fn base_mut(&mut self) -> &mut LayerBase;
    /// Keras's class name (`"Dense"`), shown by `summary()` and saved in configs.
    fn class_name(&self) -> &'static str;
    /// Nested layers whose weights and losses belong to this layer.
    fn sublayers(&self) -> Vec<LayerRef> {
        Vec::new()
    }
    /// The fields holding layers, by field name, as Keras's saving walk sees a Python
    /// object's attributes (`#[derive(Layer)]` writes it; `None` for hand-written state).
    fn attributes(&self) -> Option<Vec<(&'static str, Attribute)>> {
        None
    }
    /// The config fields of a `#[derive(Layer)] #[layer(config)]` struct, which the
    /// default [`Layer::get_config`] adds to the base config.
    fn config_fields(&self) -> Option<Map<String, Value>> {
        None
    }
}

/// A layer type rebuilt from its config (Keras's `from_config` classmethod);
/// `#[derive(Layer)]` with `#[layer(config)]` implements it.
pub trait FromConfig: Sized {
    /// The class name saved in configs.
    const CLASS_NAME: &'static str;
    /// The layer rebuilt from the config its `get_config` wrote.
    fn from_config(config: &Value) -> Result<Self>;
}

/// A layer-holding field of a derived layer, as [`LayerState::attributes`] lists it.
pub enum Attribute {
    /// A `LayerRef`, `Option<LayerRef>` (when set) or `Model` field.
    Layer(LayerRef),
    /// A `Vec<LayerRef>` field (a Python list attribute).
    List(Vec<LayerRef>),
}

/// Keras 3's `_save_state` walk over an object's attributes: in sorted name order, a
/// layer attribute at its name, a list attribute's items at `name/<snake_class>[_n]`;
/// a model also has its `layers` list (its direct sublayers in tracking order), so a
/// layer held by an attribute sorting after `layers` is saved at `layers/...`. Layers
/// met twice keep their first path (the caller's walk skips repeats).
pub fn attribute_children(
    mut attrs: Vec<(&'static str, Attribute)>,
    is_model: bool,
    sublayers: &[LayerRef],
) -> Vec<(String, LayerRef)> {
    if is_model {
        attrs.push(("layers", Attribute::List(sublayers.to_vec())));
    }
    attrs.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = Vec::new();
    for (name, a) in attrs {
        match a {
            Attribute::Layer(l) => out.push((name.to_string(), l)),
            Attribute::List(ls) => out.extend(container_names(name, &ls)),
        }
    }
    out
}

/// A Keras layer. Implement this for a custom layer (or a subclassed model) together with
/// [`LayerState`] (usually `#[derive(Layer)]`): create weights in `build` with
/// [`LayerBase::add_weight`] and compute in `call`.
///
/// Users call layers through [`LayerRef`], which runs Keras's `__call__` logic: lazy
/// build, input checks, `training` propagation, symbolic (functional) calls.
///
/// ```
/// use kiln::layers::{CallContext, Layer, LayerBase, LayerRef, Shape};
/// use kiln::initializers::Initializer;
/// use kiln_tensor::{Tensor, Variable};
///
/// #[derive(kiln::layers::Layer)]
/// struct Scale { base: LayerBase, w: Option<Variable> }
/// impl Layer for Scale {
///     fn build(&mut self, shapes: &[Shape]) -> kiln::Result<()> {
///         let d = shapes[0].last().copied().flatten().unwrap_or(1);
///         self.w = Some(self.base.add_weight("w", &[d], &Initializer::Ones, true, None, None)?);
///         Ok(())
///     }
///     fn call(&mut self, x: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
///         Ok(vec![x[0].mul(&self.w.as_ref().unwrap().value())?])
///     }
/// }
/// let layer = LayerRef::new(Scale { base: LayerBase::new("scale"), w: None });
/// let y = layer.call(&Tensor::from_vec(vec![1.0f32, 2.0], &[1, 2])?)?;
/// assert_eq!(y.to_vec::<f32>()?, vec![1.0, 2.0]);
/// assert_eq!(layer.count_params(), 2);
/// # Ok::<(), kiln::Error>(())
/// ```
pub trait Layer: LayerState + AsAny + Send {
    /// Creates weights once the input shapes are known (batch axis `None` when unknown).
    fn build(&mut self, _input_shapes: &[Shape]) -> Result<()> {
        Ok(())
    }
    /// The computation. Most layers take and return one tensor.
    fn call(&mut self, inputs: &[Tensor], ctx: &CallContext) -> Result<Vec<Tensor>>;
    /// Output shapes for input shapes, without computing. `None` means "not implemented":
    /// symbolic calls then run the layer on small zero tensors to find out.
    fn compute_output_shape(&self, _input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        None
    }
    /// Output dtypes for input dtypes, without computing; `None` (the default) means the
    /// outputs have the first input's dtype when every input is a float, and are found by
    /// probing otherwise. Layers whose outputs have another dtype than their inputs (text
    /// layers: strings in, integers out) say so here, so that a functional model builds
    /// from [`Layer::compute_output_shape`] without running them.
    fn compute_output_dtype(&self, _input_dtypes: &[DType]) -> Option<Vec<DType>> {
        None
    }
    /// The layer's config (Keras's `get_config`).
    fn get_config(&self) -> Value {
        let mut m = self.base().base_config();
        if let Some(extra) = self.config_fields() {
            m.extend(extra);
        }
        Value::Object(m)
    }
    /// Sub-layers as Keras's saving walks them: `(path, layer)` with paths relative to
    /// this layer (`"query_dense"`, `"layers/dense_1"`). The default walks a derived
    /// layer's fields as Keras walks attributes ([`attribute_children`]); for hand-written
    /// state it names the [`LayerState::sublayers`] like Keras names a list attribute's
    /// items: by snake-cased class name, numbered from the second of a class on.
    fn saveable_children(&self) -> Vec<(String, LayerRef)> {
        match self.attributes() {
            Some(attrs) => attribute_children(attrs, self.base().is_model, &self.sublayers()),
            None => container_names("", &self.sublayers()),
        }
    }
    /// Whether the layer accepts input masks (Keras's `supports_masking`). Layers that do
    /// not drop incoming masks, as Keras does.
    fn supports_masking(&self) -> bool {
        false
    }
    /// The output masks for inputs with `masks` (Keras's `compute_mask`). Called only when
    /// [`Layer::supports_masking`] is true or the layer creates masks; the default passes
    /// the first input's mask to every output.
    fn compute_mask(
        &self,
        _inputs: &[Tensor],
        masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        Ok(vec![masks.first().cloned().flatten()])
    }
    /// Calls the layer and returns its outputs with their masks. Containers (models)
    /// override it to propagate masks through their graph.
    fn call_masked(
        &mut self,
        inputs: &[Tensor],
        ctx: &CallContext,
    ) -> Result<(Vec<Tensor>, Vec<Option<Tensor>>)> {
        let outputs = self.call(inputs, ctx)?;
        let mut masks = self.compute_mask(inputs, &ctx.masks)?;
        masks.resize(outputs.len(), None);
        Ok((outputs, masks))
    }
}

/// Keras's `to_snake_case` of a class name (`"MaxPooling2D"` -> `"max_pooling2d"`).
///
/// ```
/// assert_eq!(kiln::layers::to_snake_case("BatchNormalization"), "batch_normalization");
/// assert_eq!(kiln::layers::to_snake_case("Conv2D"), "conv2d");
/// assert_eq!(kiln::layers::to_snake_case("PReLU"), "p_re_lu");
/// ```
pub fn to_snake_case(name: &str) -> String {
    let chars: Vec<char> = name
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    // (.)([A-Z][a-z]+) -> \1_\2
    let mut a: Vec<char> = Vec::with_capacity(chars.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if i > 0
            && c.is_ascii_uppercase()
            && chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase())
        {
            a.push('_');
        }
        a.push(c);
        i += 1;
    }
    // ([a-z])([A-Z]) -> \1_\2, then lower-case.
    let mut out = String::with_capacity(a.len() + 8);
    for (k, &c) in a.iter().enumerate() {
        if k > 0 && c.is_ascii_uppercase() && a[k - 1].is_ascii_lowercase() {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// Keras's names for the items of a list attribute: snake-cased class names, the second
/// of a class `_1`, and so on; `prefix` (e.g. `"layers"`) is joined in front.
pub fn container_names(prefix: &str, layers: &[LayerRef]) -> Vec<(String, LayerRef)> {
    let mut used: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    layers
        .iter()
        .map(|l| {
            let base = to_snake_case(l.class_name());
            let name = match used.get_mut(&base) {
                Some(n) => {
                    *n += 1;
                    format!("{base}_{n}")
                }
                None => {
                    used.insert(base.clone(), 0);
                    base
                }
            };
            let path = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            (path, l.clone())
        })
        .collect()
}

/// How many symbolic calls on this thread found their output shapes by running a layer
/// on zeros because it could not run on the meta device (it read its input's values).
/// Every built-in layer runs on the meta device; tests check this stays 0.
pub fn meta_shape_fallbacks() -> usize {
    META_FALLBACKS.with(|c| c.get())
}

thread_local! {
    /// Training flag of the enclosing call, inherited by nested calls (Keras's call context).
    static TRAINING: Cell<Option<bool>> = const { Cell::new(None) };
    /// Depth of nested `LayerRef` calls: losses are cleared at depth 0.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// Symbolic calls that fell back from the meta device to zeros.
    static META_FALLBACKS: Cell<usize> = const { Cell::new(0) };
}

/// Restores the call context when a call returns (also on error).
struct CallScope {
    training: Option<bool>,
}

impl CallScope {
    fn enter(training: bool) -> CallScope {
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

    fn clear_losses(&self) {
        let subs = {
            let mut g = self.lock();
            g.base_mut().call_losses.clear();
            g.sublayers()
        };
        for s in subs {
            s.clear_losses();
        }
    }

    fn maybe_build(&self, layer: &mut (dyn Layer + 'static), shapes: &[Shape]) -> Result<()> {
        if !layer.base().built() {
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
    fn probe_output_specs(&self, specs: &[TensorSpec]) -> Result<Vec<TensorSpec>> {
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

    /// See [`Layer::saveable_children`].
    pub fn saveable_children(&self) -> Vec<(String, LayerRef)> {
        self.lock().saveable_children()
    }

    /// The layer's own variables in Keras's saving order (trainable ones, then the
    /// others), without those of sub-layers.
    pub fn own_variables(&self) -> Vec<Variable> {
        let g = self.lock();
        let entries = &g.base().weights;
        let mut out: Vec<Variable> = entries
            .iter()
            .filter(|e| e.declared_trainable)
            .map(|e| e.var.clone())
            .collect();
        out.extend(
            entries
                .iter()
                .filter(|e| !e.declared_trainable)
                .map(|e| e.var.clone()),
        );
        out
    }

    /// Builds the layer for input shapes (no-op when built).
    ///
    /// ```
    /// let d = kiln::layers::LayerRef::new(kiln::layers::Dense::new(2));
    /// d.build(&[vec![None, Some(5)]])?;
    /// assert_eq!(d.count_params(), 12);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn build(&self, input_shapes: &[Shape]) -> Result<()> {
        let mut layer = self.lock();
        self.maybe_build(&mut *layer, input_shapes)
    }

    /// Whether the layer is built.
    ///
    /// ```
    /// assert!(!kiln::layers::LayerRef::new(kiln::layers::Dense::new(2)).built());
    /// ```
    pub fn built(&self) -> bool {
        self.lock().base().built()
    }

    /// Output shapes for input shapes (Keras's `compute_output_shape`), falling back to a
    /// probe run.
    ///
    /// ```
    /// let d = kiln::layers::LayerRef::new(kiln::layers::Dense::new(2));
    /// let s = d.compute_output_shape(&[vec![None, Some(5)]])?;
    /// assert_eq!(s[0], vec![None, Some(2)]);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn compute_output_shape(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        {
            let mut layer = self.lock();
            self.maybe_build(&mut *layer, input_shapes)?;
            if let Some(r) = layer.compute_output_shape(input_shapes) {
                return r;
            }
        }
        let specs: Vec<TensorSpec> = input_shapes
            .iter()
            .map(|s| TensorSpec {
                shape: s.clone(),
                dtype: DType::F32,
            })
            .collect();
        Ok(self
            .probe_output_specs(&specs)?
            .into_iter()
            .map(|s| s.shape)
            .collect())
    }

    /// The nested layers.
    pub fn sublayers(&self) -> Vec<LayerRef> {
        self.lock().sublayers()
    }

    fn collect_entries(&self, parent_trainable: bool, out: &mut Vec<(WeightEntry, bool)>) {
        let (entries, subs, trainable) = {
            let g = self.lock();
            (g.base().weights.clone(), g.sublayers(), g.base().trainable)
        };
        let t = parent_trainable && trainable;
        for e in entries {
            if !out.iter().any(|(o, _)| o.var.id() == e.var.id()) {
                let eff = t && e.declared_trainable;
                out.push((e, eff));
            }
        }
        for s in subs {
            s.collect_entries(t, out);
        }
    }

    pub(crate) fn weight_entries(&self) -> Vec<(WeightEntry, bool)> {
        let mut out = Vec::new();
        self.collect_entries(true, &mut out);
        out
    }

    /// All variables (own first, then sub-layers', each once), as `layer.weights`.
    ///
    /// ```
    /// use kiln::layers::{Dense, LayerRef};
    /// let d = LayerRef::new(Dense::new(2));
    /// d.build(&[vec![None, Some(3)]])?;
    /// assert_eq!(d.weights().len(), 2);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn weights(&self) -> Vec<Variable> {
        self.weight_entries()
            .into_iter()
            .map(|(e, _)| e.var)
            .collect()
    }

    /// The variables training updates (empty when the layer is frozen).
    ///
    /// ```
    /// use kiln::layers::{Dense, LayerRef};
    /// let d = LayerRef::new(Dense::new(2));
    /// d.build(&[vec![None, Some(3)]])?;
    /// d.set_trainable(false);
    /// assert!(d.trainable_weights().is_empty());
    /// assert_eq!(d.non_trainable_weights().len(), 2);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn trainable_weights(&self) -> Vec<Variable> {
        self.weight_entries()
            .into_iter()
            .filter(|(_, t)| *t)
            .map(|(e, _)| e.var)
            .collect()
    }

    /// The variables training does not update.
    pub fn non_trainable_weights(&self) -> Vec<Variable> {
        self.weight_entries()
            .into_iter()
            .filter(|(_, t)| !*t)
            .map(|(e, _)| e.var)
            .collect()
    }

    /// Whether the layer trains.
    pub fn trainable(&self) -> bool {
        self.lock().base().trainable
    }

    /// Freezes (`false`) or unfreezes the layer and everything nested in it, as setting
    /// `layer.trainable` in Keras 3.
    ///
    /// What a frozen layer does:
    /// * its weights leave `trainable_weights` (of the layer and of every model holding
    ///   it) and join `non_trainable_weights`;
    /// * a frozen `BatchNormalization` runs in inference mode even inside a training step:
    ///   it normalises with its moving statistics and does not update them.
    ///
    /// When a compiled model sees the change (Keras 3 semantics, TensorFlow backend): the
    /// built-in train step reads `trainable_weights` when it meets a batch signature for
    /// the first time since `compile` (Keras traces its train function then), after the
    /// forward pass, and keeps that list for the signature. So freezing a layer *after*
    /// a model's first `fit`/`train_on_batch` is not seen until the model is compiled
    /// again, or a batch of a new signature (another batch size the first time, or the
    /// first `fit` after `train_on_batch`) makes it read the list again. Freeze, then
    /// `compile`, as the Keras guides say. Custom train steps ([`crate::models::TrainStep`])
    /// read the live list every step.
    ///
    /// The tf.keras 2 GAN recipe (compile the discriminator, set it untrainable, compile
    /// the combined model) relies on tf.keras 2 taking the list at `compile`. Under
    /// Keras 3 (and kiln) the discriminator is already frozen at its own first step, so it
    /// never trains (seed defect 17); set it trainable around its own `train_on_batch`
    /// calls and untrainable around the combined model's (as the S001-3 and S003-35
    /// examples do), which trains it under both.
    ///
    /// ```
    /// use kiln::layers::{Dense, LayerRef};
    /// use kiln::models::{CompileArgs, Model};
    /// use kiln_tensor::{DType, Tensor};
    /// let inner = LayerRef::new(Dense::new(2));
    /// let mut m = Model::sequential(vec![
    ///     Dense::new(3).input_shape(&[2]).into(),
    ///     inner.clone(),
    /// ])?;
    /// m.compile(CompileArgs::new().optimizer("sgd").loss("mse"))?;
    /// let (x, y) = (Tensor::ones(&[4, 2], DType::F32), Tensor::zeros(&[4, 2], DType::F32));
    /// m.train_on_batch(&x, &y, None)?;
    /// inner.set_trainable(false);
    /// let before = inner.get_weights()[0].to_vec::<f32>()?;
    /// // The list read at the first step is kept: the frozen layer still trains...
    /// m.train_on_batch(&x, &y, None)?;
    /// assert_ne!(inner.get_weights()[0].to_vec::<f32>()?, before);
    /// // ...until the model is compiled again.
    /// m.compile(CompileArgs::new().optimizer("sgd").loss("mse"))?;
    /// let before = inner.get_weights()[0].to_vec::<f32>()?;
    /// m.train_on_batch(&x, &y, None)?;
    /// assert_eq!(inner.get_weights()[0].to_vec::<f32>()?, before);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn set_trainable(&self, trainable: bool) {
        let subs = {
            let mut g = self.lock();
            g.base_mut().trainable = trainable;
            for e in &g.base().weights {
                e.var.set_trainable(trainable && e.declared_trainable);
            }
            g.sublayers()
        };
        for s in subs {
            s.set_trainable(trainable);
        }
    }

    /// Number of scalars in all weights.
    ///
    /// ```
    /// let d = kiln::layers::LayerRef::new(kiln::layers::Dense::new(10));
    /// d.build(&[vec![None, Some(784)]])?;
    /// assert_eq!(d.count_params(), 7850);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn count_params(&self) -> usize {
        self.weights()
            .iter()
            .map(|v| v.shape().iter().product::<usize>())
            .sum()
    }

    /// Losses from the last call (`add_loss`, activity regularizers) plus the weight
    /// regularization penalties, over this layer and its sub-layers (`layer.losses`).
    ///
    /// ```
    /// use kiln::layers::{Dense, LayerRef};
    /// use kiln::regularizers::Regularizer;
    /// let d = LayerRef::new(Dense::new(2).kernel_regularizer(Regularizer::L2(0.1)));
    /// d.build(&[vec![None, Some(3)]])?;
    /// assert_eq!(d.losses()?.len(), 1);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn losses(&self) -> Result<Vec<Tensor>> {
        let mut out = Vec::new();
        let mut seen = Vec::new();
        self.collect_losses(&mut out, &mut seen)?;
        Ok(out)
    }

    fn collect_losses(&self, out: &mut Vec<Tensor>, seen: &mut Vec<usize>) -> Result<()> {
        if seen.contains(&self.key()) {
            return Ok(());
        }
        seen.push(self.key());
        let (call_losses, regs, subs) = {
            let g = self.lock();
            let regs: Vec<(Variable, Regularizer)> = g
                .base()
                .weights
                .iter()
                .filter_map(|e| e.regularizer.clone().map(|r| (e.var.clone(), r)))
                .collect();
            (g.base().call_losses.clone(), regs, g.sublayers())
        };
        out.extend(call_losses);
        for (v, r) in regs {
            out.push(r.call(&v.value())?);
        }
        for s in subs {
            s.collect_losses(out, seen)?;
        }
        Ok(())
    }

    /// Applies the weight constraints (after an optimizer step).
    pub(crate) fn apply_constraints(&self) -> Result<()> {
        for (e, _) in self.weight_entries() {
            if let Some(c) = &e.constraint {
                let v = c.call(&e.var.value())?;
                e.var.assign(&v)?;
            }
        }
        Ok(())
    }

    /// The weights' values, in `weights()` order (`layer.get_weights()`).
    ///
    /// ```
    /// let d = kiln::layers::LayerRef::new(kiln::layers::Dense::new(2));
    /// d.build(&[vec![None, Some(3)]])?;
    /// assert_eq!(d.get_weights()[0].shape(), &[3, 2]);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn get_weights(&self) -> Vec<Tensor> {
        self.weights().iter().map(|v| v.value()).collect()
    }

    /// Replaces the weights' values (`layer.set_weights`); the count, shapes and dtypes
    /// must match `weights()`.
    ///
    /// ```
    /// use kiln_tensor::{DType, Tensor};
    /// let d = kiln::layers::LayerRef::new(kiln::layers::Dense::new(2));
    /// d.build(&[vec![None, Some(3)]])?;
    /// d.set_weights(&[Tensor::ones(&[3, 2], DType::F32), Tensor::zeros(&[2], DType::F32)])?;
    /// assert!(d.set_weights(&[Tensor::ones(&[2, 2], DType::F32)]).is_err());
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn set_weights(&self, values: &[Tensor]) -> Result<()> {
        let vars = self.weights();
        if vars.len() != values.len() {
            return Err(Error::InvalidArgument {
                api: "set_weights",
                msg: format!(
                    "layer '{}' has {} weights, but {} values were given",
                    self.name(),
                    vars.len(),
                    values.len()
                ),
            });
        }
        for (v, t) in vars.iter().zip(values) {
            if v.shape() != t.shape() {
                return Err(Error::InvalidArgument {
                    api: "set_weights",
                    msg: format!(
                        "weight '{}' has shape {:?}, but the value has shape {:?}",
                        v.name(),
                        v.shape(),
                        t.shape()
                    ),
                });
            }
        }
        for (v, t) in vars.iter().zip(values) {
            let t = if t.dtype() == v.dtype() {
                t.clone()
            } else {
                t.cast(v.dtype())?
            };
            v.assign(&t)?;
        }
        Ok(())
    }

    /// The layer's config, wrapped as Keras serialises a layer
    /// (`{"module", "class_name", "config", ...}`).
    ///
    /// ```
    /// let d = kiln::layers::LayerRef::new(kiln::layers::Dense::new(3));
    /// assert_eq!(d.get_config()["units"], 3);
    /// ```
    pub fn get_config(&self) -> Value {
        self.lock().get_config()
    }

    /// The output of the layer's first call on symbolic tensors (`layer.output`).
    ///
    /// ```
    /// use kiln::layers::{Dense, Input, LayerRef};
    /// let d = LayerRef::new(Dense::new(2));
    /// assert!(d.output().is_err());
    /// let y = d.call(&Input::shape(&[3]))?;
    /// assert_eq!(d.output()?.id(), y.id());
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn output(&self) -> Result<KerasTensor> {
        let node = self.first_node()?;
        if node.outputs.len() != 1 {
            return Err(Error::InvalidArgument {
                api: "Layer.output",
                msg: format!("layer '{}' has several outputs", self.name()),
            });
        }
        Ok(KerasTensor::from_node(node, 0))
    }

    /// The input of the layer's first symbolic call (`layer.input`).
    pub fn input(&self) -> Result<KerasTensor> {
        let node = self.first_node()?;
        if let Some(t) = node.inputs.first() {
            return Ok(t.clone());
        }
        // An input layer's own tensor.
        Ok(KerasTensor::from_node(node, 0))
    }

    fn first_node(&self) -> Result<Arc<Node>> {
        let g = self.lock();
        g.base()
            .inbound_nodes
            .iter()
            .find_map(|w| w.upgrade())
            .ok_or_else(|| Error::InvalidArgument {
                api: "Layer.output",
                msg: format!(
                    "layer '{}' has never been called on symbolic inputs, so it has no \
                     defined output",
                    g.base().name()
                ),
            })
    }

    /// The input shapes the layer was built with.
    pub(crate) fn build_shapes(&self) -> Option<Vec<Shape>> {
        self.lock().base().build_shapes.clone()
    }
}

/// The single input of a one-input layer, or an error naming the layer.
///
/// ```
/// use kiln_tensor::{DType, Tensor};
/// let t = Tensor::zeros(&[1], DType::F32);
/// assert!(kiln::layers::one_input(&[t.clone()], "Dense").is_ok());
/// assert!(kiln::layers::one_input(&[t.clone(), t], "Dense").is_err());
/// ```
pub fn one_input<'a>(inputs: &'a [Tensor], layer: &str) -> Result<&'a Tensor> {
    match inputs {
        [x] => Ok(x),
        _ => Err(Error::InvalidArgument {
            api: "Layer.call",
            msg: format!("layer {layer} expects 1 input, got {}", inputs.len()),
        }),
    }
}

/// A weight being declared with [`LayerBase::weight`]; Keras's `add_weight` arguments
/// with their defaults.
pub struct WeightBuilder<'a> {
    base: &'a mut LayerBase,
    name: &'a str,
    shape: &'a [usize],
    initializer: Initializer,
    trainable: bool,
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

    /// Creates the weight ([`LayerBase::add_weight`]).
    pub fn build(self) -> Result<Variable> {
        self.base.add_weight(
            self.name,
            self.shape,
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
