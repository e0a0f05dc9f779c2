//! `prune_low_magnitude` and `strip_pruning`: wrapping a layer or every layer of a model
//! in [`PruneLowMagnitude`], and taking the wrappers off again.

use std::collections::HashMap;
use std::sync::Arc;

use kiln::layers::{KerasTensor, LayerRef, Node};
use kiln::models::Model;
use kiln::{Error, Result};

use super::wrapper::{prune_scope, PruneLowMagnitude, PruningParams};

/// What [`prune_low_magnitude`] prunes: one layer or a whole model.
pub enum Prunable {
    /// A single layer, wrapped.
    Layer(LayerRef),
    /// A `Sequential` or functional model, rebuilt with every layer wrapped.
    Model(Box<Model>),
}

impl From<LayerRef> for Prunable {
    fn from(l: LayerRef) -> Self {
        Prunable::Layer(l)
    }
}

impl From<Model> for Prunable {
    fn from(m: Model) -> Self {
        Prunable::Model(Box::new(m))
    }
}

impl From<&Model> for Prunable {
    fn from(m: &Model) -> Self {
        Prunable::Model(Box::new(Model::from_layer_ref(m.as_layer())))
    }
}

/// What [`prune_low_magnitude`] returns: the wrapped layer or the rebuilt model.
pub enum Pruned {
    /// The wrapper around the layer.
    Layer(LayerRef),
    /// The model whose layers are wrapped.
    Model(Box<Model>),
}

impl Pruned {
    /// The model, or an `Err` when a layer was pruned.
    pub fn into_model(self) -> Result<Model> {
        match self {
            Pruned::Model(m) => Ok(*m),
            Pruned::Layer(l) => Err(Error::InvalidArgument {
                api: "prune_low_magnitude",
                msg: format!("pruned a layer ('{}'), not a model", l.name()),
            }),
        }
    }

    /// The wrapper layer, or an `Err` when a model was pruned.
    pub fn into_layer(self) -> Result<LayerRef> {
        match self {
            Pruned::Layer(l) => Ok(l),
            Pruned::Model(m) => Err(Error::InvalidArgument {
                api: "prune_low_magnitude",
                msg: format!("pruned a model ('{}'), not a layer", m.name()),
            }),
        }
    }
}

/// Wraps a layer, or every layer of a `Sequential` or functional model, in
/// [`PruneLowMagnitude`] (`tfmot.sparsity.keras.prune_low_magnitude`). A model is rebuilt
/// around the same layer objects (weights are shared with the original, as TFMOT's
/// `clone_model` with its wrapping `clone_function` shares them); input layers stay
/// unwrapped, nested models are pruned in turn, layers already wrapped are kept. A layer
/// with no pruned form (an LSTM, say) is an `Err` naming it; a subclassed model is
/// TFMOT's "Subclassed models are not supported currently." error.
///
/// Train the result with [`super::UpdatePruningStep`] among the callbacks.
///
/// ```
/// use kiln::layers::Dense;
/// use kiln::models::Model;
/// use kiln_lite::sparsity::{prune_low_magnitude, PolynomialDecay, PruningParams};
/// let model = Model::sequential(vec![
///     Dense::new(8).activation("relu").input_shape(&[4]).into(),
///     Dense::new(2).into(),
/// ])?;
/// let params = PruningParams::new(PolynomialDecay::new(0.0, 0.5, 0, 2000)?);
/// let pruned = prune_low_magnitude(&model, params)?.into_model()?;
/// assert_eq!(pruned.layers()[0].class_name(), "PruneLowMagnitude");
/// assert_eq!(pruned.count_params(), model.count_params() + 32 + 1 + 1 + 16 + 1 + 1);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn prune_low_magnitude(to_prune: impl Into<Prunable>, params: PruningParams) -> Result<Pruned> {
    prune_scope();
    match to_prune.into() {
        Prunable::Layer(l) => {
            if is_model_layer(&l) {
                return prune_model(&Model::from_layer_ref(l), &params)
                    .map(|m| Pruned::Model(Box::new(m)));
            }
            Ok(Pruned::Layer(wrap(&l, &params)?))
        }
        Prunable::Model(m) => prune_model(&m, &params).map(|m| Pruned::Model(Box::new(m))),
    }
}

fn is_model_layer(l: &LayerRef) -> bool {
    matches!(l.class_name(), "Sequential" | "Functional")
}

fn wrap(l: &LayerRef, params: &PruningParams) -> Result<LayerRef> {
    if l.class_name() == "PruneLowMagnitude" || l.class_name() == "InputLayer" {
        return Ok(l.clone());
    }
    Ok(LayerRef::new(PruneLowMagnitude::new(
        l.clone(),
        params.clone(),
    )?))
}

fn prune_model(model: &Model, params: &PruningParams) -> Result<Model> {
    let f = |l: &LayerRef| -> Result<LayerRef> {
        if is_model_layer(l) {
            return Ok(prune_model(&Model::from_layer_ref(l.clone()), params)?.as_layer());
        }
        wrap(l, params)
    };
    clone_with(model, "prune_low_magnitude", &f)
}

/// The model without its pruning wrappers (`tfmot.sparsity.keras.strip_pruning`): each
/// wrapper is replaced by its layer, whose pruned weights are multiplied by the mask
/// first, so the returned model has the sparse weights and no pruning state. The layers
/// are the pruned model's own (shared, not copied).
///
/// ```
/// use kiln::layers::Dense;
/// use kiln::models::Model;
/// use kiln_lite::sparsity::{prune_low_magnitude, strip_pruning, PruningParams};
/// let model = Model::sequential(vec![Dense::new(2).input_shape(&[3]).into()])?;
/// let pruned = prune_low_magnitude(&model, PruningParams::default())?.into_model()?;
/// let plain = strip_pruning(&pruned)?;
/// assert_eq!(plain.layers()[0].class_name(), "Dense");
/// assert_eq!(plain.count_params(), 8);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn strip_pruning(model: &Model) -> Result<Model> {
    let f = |l: &LayerRef| -> Result<LayerRef> {
        if is_model_layer(l) {
            return Ok(strip_pruning(&Model::from_layer_ref(l.clone()))?.as_layer());
        }
        let inner = l.downcast(|w: &mut PruneLowMagnitude| -> Result<LayerRef> {
            w.apply_masks()?;
            Ok(w.layer().clone())
        });
        match inner {
            Some(r) => r,
            None => Ok(l.clone()),
        }
    };
    clone_with(model, "strip_pruning", &f)
}

/// Rebuilds a `Sequential` or functional model with each layer replaced by `f(layer)`
/// (Keras's `clone_model` with a `clone_function`, keeping the layer objects `f` returns).
fn clone_with(
    model: &Model,
    api: &'static str,
    f: &dyn Fn(&LayerRef) -> Result<LayerRef>,
) -> Result<Model> {
    if model.is_sequential() {
        let layers = model.layers().iter().map(f).collect::<Result<Vec<_>>>()?;
        let out = Model::sequential(layers)?;
        out.as_layer().lock().base_mut().set_name(&model.name());
        return Ok(out);
    }
    let inputs = model.inputs();
    let outputs = model.outputs();
    if inputs.is_empty() || model.as_layer().class_name() != "Functional" {
        return Err(Error::InvalidArgument {
            api,
            msg: format!(
                "model '{}' is not a Sequential or functional model: Subclassed models are \
                 not supported currently.",
                model.name()
            ),
        });
    }
    let mut state = CloneState {
        tensors: inputs.iter().map(|t| (t.id(), t.clone())).collect(),
        nodes: HashMap::new(),
        layers: Vec::new(),
        f,
    };
    let new_outputs = outputs
        .iter()
        .map(|t| state.tensor(t))
        .collect::<Result<Vec<_>>>()?;
    Model::new_named(&inputs, &new_outputs, &model.name())
}

struct CloneState<'a> {
    /// Original tensor id to its counterpart in the new graph.
    tensors: HashMap<u64, KerasTensor>,
    /// Original node to the outputs of its counterpart.
    nodes: HashMap<usize, Vec<KerasTensor>>,
    /// Original layer to its replacement (a shared layer maps to one replacement).
    layers: Vec<(LayerRef, LayerRef)>,
    f: &'a dyn Fn(&LayerRef) -> Result<LayerRef>,
}

impl CloneState<'_> {
    fn layer(&mut self, l: &LayerRef) -> Result<LayerRef> {
        if let Some((_, n)) = self.layers.iter().find(|(o, _)| o.ptr_eq(l)) {
            return Ok(n.clone());
        }
        let n = (self.f)(l)?;
        self.layers.push((l.clone(), n.clone()));
        Ok(n)
    }

    fn tensor(&mut self, t: &KerasTensor) -> Result<KerasTensor> {
        if let Some(n) = self.tensors.get(&t.id()) {
            return Ok(n.clone());
        }
        let node: &Arc<Node> = t.node();
        let key = Arc::as_ptr(node) as usize;
        if !self.nodes.contains_key(&key) {
            let ins = node
                .inputs()
                .iter()
                .map(|i| self.tensor(i))
                .collect::<Result<Vec<_>>>()?;
            let layer = self.layer(node.layer())?;
            let outs = layer.call_symbolic(&ins)?;
            self.nodes.insert(key, outs);
        }
        let out =
            self.nodes[&key]
                .get(t.index())
                .cloned()
                .ok_or_else(|| Error::InvalidArgument {
                    api: "clone_model",
                    msg: format!(
                        "layer '{}' gave fewer outputs than the original",
                        node.layer().name()
                    ),
                })?;
        self.tensors.insert(t.id(), out.clone());
        Ok(out)
    }
}
