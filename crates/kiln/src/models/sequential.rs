//! `Sequential`: a stack of single-input, single-output layers.

use kiln_tensor::{DType, Tensor};
use serde_json::{json, Value};

use crate::layers::{CallContext, Input, Layer, LayerBase, LayerRef, LayerState, Shape};
use crate::models::functional::Functional;
use crate::{Error, Result};

/// The layer behind a sequential model. Once its input shape is known (an `Input`, an
/// `input_shape` on the first layer, or the first call), it runs as a functional graph,
/// which gives output shapes to `summary()` and checks inputs, as Keras 3 does.
pub struct SequentialNet {
    base: LayerBase,
    pub(crate) layers: Vec<LayerRef>,
    input: Option<(Shape, DType, Option<String>)>,
    pub(crate) graph: Option<Functional>,
}

impl SequentialNet {
    pub(crate) fn new() -> SequentialNet {
        let mut base = LayerBase::new("sequential");
        base.set_built(false);
        SequentialNet {
            base,
            layers: Vec::new(),
            input: None,
            graph: None,
        }
    }

    /// Appends a layer (an `InputLayer` first sets the input shape instead).
    pub(crate) fn add(&mut self, layer: LayerRef, rebuild: bool) -> Result<()> {
        if layer.class_name() == "InputLayer" {
            if !self.layers.is_empty() || self.input.is_some() {
                return Err(Error::InvalidArgument {
                    api: "Sequential.add",
                    msg: "an Input can only be the first entry of a Sequential model".into(),
                });
            }
            let spec = layer
                .downcast(|l: &mut crate::layers::InputLayer| l.batch_shape().clone())
                .unwrap_or_default();
            let dtype = layer.output().map(|t| t.dtype()).unwrap_or(DType::F32);
            self.input = Some((spec, dtype, Some(layer.name())));
        } else {
            if self.layers.iter().any(|l| l.name() == layer.name()) {
                return Err(Error::InvalidArgument {
                    api: "Sequential.add",
                    msg: format!(
                        "all layers added to a Sequential model should have unique names; \
                         name '{}' is already used",
                        layer.name()
                    ),
                });
            }
            if self.layers.is_empty() && self.input.is_none() {
                let declared = layer.lock().base().input_shape.clone();
                if let Some(s) = declared {
                    let mut b = vec![None];
                    b.extend(s);
                    self.input = Some((b, DType::F32, None));
                } else if let Some((shape, dtype)) = model_input_spec(&layer) {
                    // A built model as the first layer lends its input shape.
                    self.input = Some((shape, dtype, None));
                }
            }
            self.layers.push(layer);
        }
        if rebuild && self.input.is_some() {
            self.rebuild()?;
        }
        Ok(())
    }

    /// Builds the graph once all layers are added (Keras's `_maybe_rebuild`).
    pub(crate) fn maybe_rebuild(&mut self) -> Result<()> {
        if self.input.is_some() {
            self.rebuild()?;
        }
        Ok(())
    }

    /// Removes the last layer (`model.pop()`).
    pub(crate) fn pop(&mut self) -> Result<LayerRef> {
        let l = self.layers.pop().ok_or_else(|| Error::InvalidArgument {
            api: "Sequential.pop",
            msg: "there are no layers in the model".into(),
        })?;
        self.graph = None;
        if self.input.is_some() && !self.layers.is_empty() {
            self.rebuild()?;
        }
        Ok(l)
    }

    /// Builds the functional graph for the known input shape.
    fn rebuild(&mut self) -> Result<()> {
        let Some((shape, dtype, name)) = self.input.clone() else {
            return Ok(());
        };
        if self.layers.is_empty() {
            return Ok(());
        }
        let mut input = Input::new(&shape[1..]).dtype(dtype);
        if let Some(b) = shape[0] {
            input = input.batch_size(b);
        }
        if let Some(n) = name {
            input = input.name(&n);
        }
        let x0 = input.build();
        let mut x = x0.clone();
        for l in &self.layers {
            x = l.call(&x)?;
        }
        // Keras builds an auto-named Functional here, which uses up a "functional" name.
        let mut f = Functional::with_class(&[x0], &[x], "functional", "Sequential")?;
        let _ = f.base().name();
        f.set_class("Sequential");
        f.base_mut().set_name(self.base.name());
        self.graph = Some(f);
        self.base.set_built(true);
        Ok(())
    }

    /// Builds for `input_shape` (batch axis included, usually `None`).
    pub(crate) fn build_for(&mut self, input_shape: &Shape, dtype: DType) -> Result<()> {
        if self.layers.is_empty() {
            return Err(Error::InvalidArgument {
                api: "Sequential.build",
                msg: format!(
                    "Sequential model '{}' cannot be built because it has no layers; call add(layer)",
                    self.base.name()
                ),
            });
        }
        self.input = Some((input_shape.clone(), dtype, None));
        self.rebuild()
    }
}

/// The single input's shape and dtype of a (built) model used as a layer.
fn model_input_spec(layer: &LayerRef) -> Option<(Shape, DType)> {
    let from_graph = |f: &Functional| match f.inputs() {
        [one] => Some((one.shape().to_vec(), one.dtype())),
        _ => None,
    };
    if let Some(s) = layer.downcast(|f: &mut Functional| from_graph(f)) {
        return s;
    }
    layer
        .downcast(|s: &mut SequentialNet| s.graph.as_ref().and_then(from_graph))
        .flatten()
}

impl LayerState for SequentialNet {
    fn base(&self) -> &LayerBase {
        &self.base
    }
    fn base_mut(&mut self) -> &mut LayerBase {
        &mut self.base
    }
    fn class_name(&self) -> &'static str {
        "Sequential"
    }
    fn sublayers(&self) -> Vec<LayerRef> {
        self.layers.clone()
    }
}

impl Layer for SequentialNet {
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        if self.graph.is_none() {
            let mut s = input_shapes.first().cloned().unwrap_or_default();
            if let Some(b) = s.first_mut() {
                *b = None;
            }
            self.build_for(&s, DType::F32)?;
        }
        Ok(())
    }
    fn call(&mut self, inputs: &[Tensor], ctx: &CallContext) -> Result<Vec<Tensor>> {
        Ok(self.call_masked(inputs, ctx)?.0)
    }
    fn supports_masking(&self) -> bool {
        true
    }
    fn saveable_children(&self) -> Vec<(String, LayerRef)> {
        let layers: Vec<LayerRef> = self
            .layers
            .iter()
            .filter(|l| l.class_name() != "InputLayer")
            .cloned()
            .collect();
        crate::layers::container_names("layers", &layers)
    }
    fn call_masked(
        &mut self,
        inputs: &[Tensor],
        ctx: &CallContext,
    ) -> Result<(Vec<Tensor>, Vec<Option<Tensor>>)> {
        if self.graph.is_none() {
            let x = inputs.first().ok_or_else(|| Error::InvalidArgument {
                api: "Sequential.call",
                msg: "no input".into(),
            })?;
            let mut s: Shape = x.shape().iter().map(|&d| Some(d)).collect();
            if let Some(b) = s.first_mut() {
                *b = None;
            }
            self.build_for(&s, x.dtype())?;
        }
        match &self.graph {
            Some(g) => g.run_masked(inputs, &ctx.masks, ctx.training),
            None => Err(Error::InvalidArgument {
                api: "Sequential.call",
                msg: "the model could not be built".into(),
            }),
        }
    }
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        self.graph.as_ref()?.compute_output_shape(input_shapes)
    }
    fn get_config(&self) -> Value {
        let layers: Vec<Value> = self
            .layers
            .iter()
            .map(|l| json!({ "class_name": l.class_name(), "config": l.get_config() }))
            .collect();
        json!({ "name": self.base.name(), "trainable": self.base.trainable(), "layers": layers })
    }
}
