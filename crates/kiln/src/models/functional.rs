//! The functional graph: a DAG of layer calls from symbolic inputs to outputs.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::layers::{
    check_model_input, CallContext, KerasTensor, Layer, LayerBase, LayerRef, LayerState, Node,
    Shape,
};
use crate::{Error, Result};

/// A functional model's graph as a layer (Keras's `Functional`). Users normally build it
/// through [`crate::models::Model::new`]; it is also what a `Sequential` runs once its
/// input shape is known.
pub struct Functional {
    base: LayerBase,
    class: &'static str,
    pub(crate) inputs: Vec<KerasTensor>,
    pub(crate) outputs: Vec<KerasTensor>,
    /// The nodes to run, in dependency order (model inputs excluded).
    pub(crate) nodes: Vec<Arc<Node>>,
    /// Every layer once, in the order their first node runs (input layers first).
    pub(crate) layers: Vec<LayerRef>,
}

impl Functional {
    /// Builds the graph from `inputs` to `outputs`; an output that needs a tensor not
    /// derived from `inputs` is an error ("graph disconnected").
    ///
    /// ```
    /// use kiln::layers::{Dense, Input, LayerApply};
    /// use kiln::models::Functional;
    /// let x = Input::shape(&[4]);
    /// let y = Dense::new(2).apply(&x)?;
    /// let f = Functional::new(&[x], &[y], "functional")?;
    /// assert_eq!(f.layers().len(), 2);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn new(
        inputs: &[KerasTensor],
        outputs: &[KerasTensor],
        prefix: &str,
    ) -> Result<Functional> {
        Functional::with_class(inputs, outputs, prefix, "Functional")
    }

    pub(crate) fn with_class(
        inputs: &[KerasTensor],
        outputs: &[KerasTensor],
        prefix: &str,
        class: &'static str,
    ) -> Result<Functional> {
        if inputs.is_empty() || outputs.is_empty() {
            return Err(Error::InvalidArgument {
                api: "Model",
                msg: "a functional model needs at least one input and one output".into(),
            });
        }
        let input_ids: HashSet<u64> = inputs.iter().map(|t| t.id()).collect();
        if input_ids.len() != inputs.len() {
            return Err(Error::InvalidArgument {
                api: "Model",
                msg: "the same input tensor is listed twice".into(),
            });
        }
        let mut order: Vec<Arc<Node>> = Vec::new();
        let mut done: HashSet<usize> = HashSet::new();
        let mut in_progress: HashSet<usize> = HashSet::new();
        for out in outputs {
            visit(
                out,
                &input_ids,
                inputs,
                &mut order,
                &mut done,
                &mut in_progress,
            )?;
        }
        let layers = keras_layer_order(inputs, outputs);
        let mut base = LayerBase::new(prefix);
        base.set_built(true);
        Ok(Functional {
            base,
            class,
            inputs: inputs.to_vec(),
            outputs: outputs.to_vec(),
            nodes: order,
            layers,
        })
    }

    /// The layers, input layers first, in execution order.
    pub fn layers(&self) -> &[LayerRef] {
        &self.layers
    }

    /// The symbolic inputs.
    pub fn inputs(&self) -> &[KerasTensor] {
        &self.inputs
    }

    /// The symbolic outputs.
    pub fn outputs(&self) -> &[KerasTensor] {
        &self.outputs
    }

    /// Runs the graph on concrete inputs (cast to the inputs' dtypes when they differ).
    pub(crate) fn run(&self, inputs: &[Tensor], training: bool) -> Result<Vec<Tensor>> {
        Ok(self.run_masked(inputs, &[], training)?.0)
    }

    /// Runs the graph, propagating Keras masks from `input_masks` and from layers that
    /// create them (Embedding, Masking) to the outputs.
    pub(crate) fn run_masked(
        &self,
        inputs: &[Tensor],
        input_masks: &[Option<Tensor>],
        training: bool,
    ) -> Result<(Vec<Tensor>, Vec<Option<Tensor>>)> {
        if inputs.len() != self.inputs.len() {
            return Err(Error::InvalidArgument {
                api: "Model.call",
                msg: format!(
                    "model '{}' expects {} input(s), but it received {} input tensors",
                    self.base.name(),
                    self.inputs.len(),
                    inputs.len()
                ),
            });
        }
        let mut values: HashMap<u64, Tensor> = HashMap::with_capacity(self.nodes.len() + 4);
        let mut masks: HashMap<u64, Tensor> = HashMap::new();
        for (i, (spec, x)) in self.inputs.iter().zip(inputs).enumerate() {
            check_model_input(self.base.name(), i, spec.spec(), x)?;
            let x = if x.dtype() != spec.dtype() {
                x.cast(spec.dtype())?
            } else {
                x.clone()
            };
            values.insert(spec.id(), x);
            if let Some(Some(m)) = input_masks.get(i) {
                masks.insert(spec.id(), m.clone());
            }
        }
        for node in &self.nodes {
            let args: Vec<Tensor> = node
                .inputs()
                .iter()
                .map(|t| {
                    values
                        .get(&t.id())
                        .cloned()
                        .ok_or_else(|| Error::InvalidArgument {
                            api: "Model.call",
                            msg: format!(
                                "internal: no value for an input of layer '{}'",
                                node.layer().name()
                            ),
                        })
                })
                .collect::<Result<_>>()?;
            let arg_masks: Vec<Option<Tensor>> = node
                .inputs()
                .iter()
                .map(|t| masks.get(&t.id()).cloned())
                .collect();
            let (outs, out_masks) =
                node.layer()
                    .call_with_masks(&args, &arg_masks, Some(training))?;
            if outs.len() != node.output_ids.len() {
                return Err(Error::InvalidArgument {
                    api: "Model.call",
                    msg: format!(
                        "layer '{}' returned {} outputs, but its symbolic call had {}",
                        node.layer().name(),
                        outs.len(),
                        node.output_ids.len()
                    ),
                });
            }
            for (id, t) in node.output_ids.iter().zip(outs) {
                values.insert(*id, t);
            }
            for (id, m) in node.output_ids.iter().zip(out_masks) {
                if let Some(m) = m {
                    masks.insert(*id, m);
                }
            }
        }
        let outs = self
            .outputs
            .iter()
            .map(|t| {
                values
                    .get(&t.id())
                    .cloned()
                    .ok_or_else(|| Error::InvalidArgument {
                        api: "Model.call",
                        msg: "internal: an output was not computed".into(),
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        let out_masks = self
            .outputs
            .iter()
            .map(|t| masks.get(&t.id()).cloned())
            .collect();
        Ok((outs, out_masks))
    }

    /// The output shapes (from the symbolic outputs).
    pub fn output_shapes(&self) -> Vec<Shape> {
        self.outputs.iter().map(|t| t.shape().to_vec()).collect()
    }

    /// Nodes of this graph (used by `summary` to list connections).
    pub(crate) fn node_ids(&self) -> HashSet<u64> {
        let mut s: HashSet<u64> = self.nodes.iter().map(|n| n.id).collect();
        for t in &self.inputs {
            s.insert(t.node().id);
        }
        s
    }

    pub(crate) fn set_class(&mut self, class: &'static str) {
        self.class = class;
    }
}

/// The layers in Keras's order (`Functional._operations`): by depth from the outputs,
/// deepest first, ties broken by first visit in a depth-first walk from the outputs.
/// This order fixes `weights()` order, so it must match Keras for weight files to line up.
fn keras_layer_order(inputs: &[KerasTensor], outputs: &[KerasTensor]) -> Vec<LayerRef> {
    let input_ids: HashSet<u64> = inputs.iter().map(|t| t.id()).collect();
    let mut finished: HashSet<u64> = HashSet::new();
    let mut decreasing: Vec<Arc<Node>> = Vec::new();
    let mut op_index: HashMap<usize, (i64, LayerRef)> = HashMap::new();
    fn walk(
        t: &KerasTensor,
        input_ids: &HashSet<u64>,
        finished: &mut HashSet<u64>,
        decreasing: &mut Vec<Arc<Node>>,
        op_index: &mut HashMap<usize, (i64, LayerRef)>,
    ) {
        let node = t.node().clone();
        if finished.contains(&node.id) {
            return;
        }
        let n = op_index.len() as i64;
        op_index
            .entry(node.layer().key())
            .or_insert((n, node.layer().clone()));
        if !node.inputs().is_empty() && !input_ids.contains(&t.id()) {
            for i in node.inputs() {
                walk(i, input_ids, finished, decreasing, op_index);
            }
        }
        if finished.insert(node.id) {
            decreasing.push(node);
        }
    }
    for o in outputs {
        walk(o, &input_ids, &mut finished, &mut decreasing, &mut op_index);
    }
    let mut node_depth: HashMap<u64, usize> = HashMap::new();
    let mut op_depth: HashMap<usize, usize> = HashMap::new();
    for node in decreasing.iter().rev() {
        let d = *node_depth.entry(node.id).or_insert(0);
        let d = d.max(op_depth.get(&node.layer().key()).copied().unwrap_or(0));
        op_depth.insert(node.layer().key(), d);
        node_depth.insert(node.id, d);
        for parent in node.inputs() {
            let p = parent.node().id;
            let prev = node_depth.get(&p).copied().unwrap_or(0);
            node_depth.insert(p, (d + 1).max(prev));
        }
    }
    for t in inputs {
        let l = t.layer();
        if let std::collections::hash_map::Entry::Vacant(e) = op_depth.entry(l.key()) {
            e.insert(0);
            op_index.insert(l.key(), (-1, l));
        }
    }
    let mut ops: Vec<(usize, i64, LayerRef)> = op_index
        .into_values()
        .map(|(i, l)| (op_depth.get(&l.key()).copied().unwrap_or(0), i, l))
        .collect();
    ops.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    ops.into_iter().map(|(_, _, l)| l).collect()
}

fn visit(
    t: &KerasTensor,
    input_ids: &HashSet<u64>,
    inputs: &[KerasTensor],
    order: &mut Vec<Arc<Node>>,
    done: &mut HashSet<usize>,
    in_progress: &mut HashSet<usize>,
) -> Result<()> {
    if input_ids.contains(&t.id()) {
        return Ok(());
    }
    let node = t.node().clone();
    let key = Arc::as_ptr(&node) as usize;
    if done.contains(&key) {
        return Ok(());
    }
    if node.inputs().is_empty() {
        return Err(Error::InvalidArgument {
            api: "Model",
            msg: format!(
                "graph disconnected: cannot obtain a value for tensor {:?} (from layer '{}'); \
                 the model's inputs are {}",
                t,
                node.layer().name(),
                inputs
                    .iter()
                    .map(|i| format!("'{}'", i.layer().name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    if !in_progress.insert(key) {
        return Err(Error::InvalidArgument {
            api: "Model",
            msg: "the layer graph has a cycle".into(),
        });
    }
    for i in node.inputs() {
        visit(i, input_ids, inputs, order, done, in_progress)?;
    }
    in_progress.remove(&key);
    done.insert(key);
    order.push(node);
    Ok(())
}

impl LayerState for Functional {
    fn base(&self) -> &LayerBase {
        &self.base
    }
    fn base_mut(&mut self) -> &mut LayerBase {
        &mut self.base
    }
    fn class_name(&self) -> &'static str {
        self.class
    }
    fn sublayers(&self) -> Vec<LayerRef> {
        self.layers.clone()
    }
}

impl Layer for Functional {
    fn call(&mut self, inputs: &[Tensor], ctx: &CallContext) -> Result<Vec<Tensor>> {
        self.run(inputs, ctx.training)
    }
    fn supports_masking(&self) -> bool {
        true
    }
    fn saveable_children(&self) -> Vec<(String, LayerRef)> {
        crate::layers::container_names("layers", &self.layers)
    }
    fn call_masked(
        &mut self,
        inputs: &[Tensor],
        ctx: &CallContext,
    ) -> Result<(Vec<Tensor>, Vec<Option<Tensor>>)> {
        self.run_masked(inputs, &ctx.masks, ctx.training)
    }
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        // Exact when the inputs match the graph's; otherwise probe by running it.
        let same = input_shapes.len() == self.inputs.len()
            && input_shapes
                .iter()
                .zip(&self.inputs)
                .all(|(s, t)| s.len() == t.shape().len() && s[1..] == t.shape()[1..]);
        if same {
            Some(Ok(self
                .output_shapes()
                .into_iter()
                .zip(input_shapes.iter().cycle())
                .map(|(mut o, i)| {
                    if let (Some(b), Some(ib)) = (o.first_mut(), i.first()) {
                        *b = *ib;
                    }
                    o
                })
                .collect()))
        } else {
            None
        }
    }
    fn get_config(&self) -> Value {
        let layers: Vec<Value> = self
            .layers
            .iter()
            .map(|l| {
                json!({
                    "class_name": l.class_name(),
                    "name": l.name(),
                    "config": l.get_config(),
                })
            })
            .collect();
        json!({ "name": self.base.name(), "trainable": self.base.trainable(), "layers": layers })
    }
}
