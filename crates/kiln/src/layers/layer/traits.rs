//! The traits a layer author reads: [`Layer`] (build, call, shapes, masks, config),
//! [`LayerState`] (what `#[derive(Layer)]` writes), [`FromConfig`].

use std::any::Any;

use kiln_tensor::{DType, Tensor};
use serde_json::{Map, Value};

use super::{
    attribute_children, container_names, Attribute, CallArgs, CallContext, LayerBase, LayerRef,
    Shape,
};
use crate::{Error, Result};

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
    /// How a functional call of this layer is saved ([`CallArgs`]); layers with another
    /// convention than `layer(x)` / `layer([a, b])` say so here.
    fn call_args(&self) -> CallArgs {
        CallArgs::Default
    }
    /// Keras's `build_config` for the shapes the layer was built with: by default
    /// `{"input_shape": shape}` (a list of shapes for several inputs).
    fn build_config(&self, shapes: &[Shape]) -> Value {
        let json = |s: &Shape| -> Value {
            Value::Array(
                s.iter()
                    .map(|d| d.map_or(Value::Null, Value::from))
                    .collect(),
            )
        };
        let input_shape = match shapes {
            [one] => json(one),
            many => Value::Array(many.iter().map(json).collect()),
        };
        serde_json::json!({ "input_shape": input_shape })
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
