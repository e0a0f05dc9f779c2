//! Symbolic tensors for the functional API: `Input`, the `InputLayer` behind it, and the
//! graph nodes that calling a layer on symbolic tensors records.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use kiln_tensor::{DType, Tensor};
use serde_json::{json, Value};

use crate::layers::layer::{fmt_shape, CallContext, Layer, LayerBase, LayerRef, LayerState, Shape};
use crate::{Error, Result};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Shape and dtype of a symbolic tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorSpec {
    /// The shape, `None` where unknown.
    pub shape: Shape,
    /// The dtype.
    pub dtype: DType,
}

/// One call of a layer on symbolic tensors: the edge list of a functional graph.
pub struct Node {
    pub(crate) id: u64,
    pub(crate) layer: LayerRef,
    pub(crate) inputs: Vec<KerasTensor>,
    pub(crate) outputs: Vec<TensorSpec>,
    pub(crate) output_ids: Vec<u64>,
}

impl Node {
    pub(crate) fn new(
        layer: LayerRef,
        inputs: Vec<KerasTensor>,
        outputs: Vec<TensorSpec>,
    ) -> Arc<Node> {
        let output_ids = outputs
            .iter()
            .map(|_| NEXT_ID.fetch_add(1, Ordering::Relaxed))
            .collect();
        Arc::new(Node {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            layer,
            inputs,
            outputs,
            output_ids,
        })
    }

    /// The layer this node calls.
    pub fn layer(&self) -> &LayerRef {
        &self.layer
    }

    /// The node's symbolic inputs.
    pub fn inputs(&self) -> &[KerasTensor] {
        &self.inputs
    }
}

/// A symbolic tensor (Keras's `KerasTensor`): a shape, a dtype and the graph node that
/// produces it. Calling layers on it builds a functional model.
///
/// ```
/// use kiln::layers::{Dense, Input, LayerApply};
/// let inputs = Input::shape(&[784]);
/// let x = Dense::new(64).activation("relu").apply(&inputs)?;
/// assert_eq!(x.shape(), &[None, Some(64)]);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Clone)]
pub struct KerasTensor {
    node: Arc<Node>,
    index: usize,
}

impl std::fmt::Debug for KerasTensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "<KerasTensor shape={}, dtype={}, name={}>",
            fmt_shape(self.shape()),
            self.dtype().name(),
            self.node.layer.name()
        )
    }
}

impl KerasTensor {
    pub(crate) fn from_node(node: Arc<Node>, index: usize) -> KerasTensor {
        KerasTensor { node, index }
    }

    /// The shape (`None` where unknown).
    pub fn shape(&self) -> &[Option<usize>] {
        &self.node.outputs[self.index].shape
    }

    /// The dtype.
    pub fn dtype(&self) -> DType {
        self.node.outputs[self.index].dtype
    }

    /// Shape and dtype.
    pub fn spec(&self) -> &TensorSpec {
        &self.node.outputs[self.index]
    }

    /// A process-unique id.
    pub fn id(&self) -> u64 {
        self.node.output_ids[self.index]
    }

    /// The node that produces this tensor.
    pub fn node(&self) -> &Arc<Node> {
        &self.node
    }

    /// Which output of its node this is.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The layer that produced it (an `InputLayer` for model inputs).
    pub fn layer(&self) -> LayerRef {
        self.node.layer.clone()
    }
}

/// A model input as the first entry of a `Sequential` list (Keras's
/// `Sequential([keras.Input(shape=...), ...])`): its `InputLayer`.
///
/// ```
/// use kiln::layers::{Dense, Input};
/// let m = kiln::models::Model::sequential(vec![Input::shape(&[3]).into(), Dense::new(2).into()])?;
/// assert_eq!(m.count_params(), 8);
/// # Ok::<(), kiln::Error>(())
/// ```
impl From<KerasTensor> for LayerRef {
    fn from(t: KerasTensor) -> LayerRef {
        t.layer()
    }
}

/// The layer behind a model input: it passes its tensor through.
///
/// ```
/// use kiln::layers::{Input, LayerRef};
/// let x = Input::shape(&[28, 28]);
/// assert_eq!(x.layer().class_name(), "InputLayer");
/// ```
pub struct InputLayer {
    base: LayerBase,
    batch_shape: Shape,
    dtype: DType,
}

impl InputLayer {
    /// An input layer for tensors of `batch_shape` (batch axis included, usually `None`).
    pub fn new(batch_shape: Shape, dtype: DType) -> InputLayer {
        let mut base = LayerBase::new("input_layer");
        base.set_built(true);
        InputLayer {
            base,
            batch_shape,
            dtype,
        }
    }

    /// The shape including the batch axis.
    pub fn batch_shape(&self) -> &Shape {
        &self.batch_shape
    }
}

impl LayerState for InputLayer {
    fn base(&self) -> &LayerBase {
        &self.base
    }
    fn base_mut(&mut self) -> &mut LayerBase {
        &mut self.base
    }
    fn class_name(&self) -> &'static str {
        "InputLayer"
    }
}

impl Layer for InputLayer {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        Ok(inputs.to_vec())
    }
    fn compute_output_shape(&self, _input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        Some(Ok(vec![self.batch_shape.clone()]))
    }
    fn get_config(&self) -> Value {
        let shape: Vec<Value> = self
            .batch_shape
            .iter()
            .map(|d| d.map(Value::from).unwrap_or(Value::Null))
            .collect();
        json!({
            "batch_shape": shape,
            "dtype": self.dtype.name(),
            "sparse": false,
            "name": self.base.name(),
        })
    }
}

/// `keras.Input`: builds a symbolic model input.
///
/// ```
/// use kiln::layers::Input;
/// use kiln_tensor::DType;
/// let img = Input::shape(&[28, 28, 1]);
/// assert_eq!(img.shape(), &[None, Some(28), Some(28), Some(1)]);
/// let tokens = Input::new(&[None]).dtype(DType::I32).name("tokens").build();
/// assert_eq!(tokens.shape(), &[None, None]);
/// // Raw text, as keras.Input(shape=(1,), dtype="string"):
/// let text = Input::new(&[Some(1)]).dtype(DType::parse("string").unwrap()).build();
/// assert_eq!(text.dtype(), DType::String);
/// assert_eq!(tokens.layer().name(), "tokens");
/// ```
#[derive(Debug, Clone)]
pub struct Input {
    shape: Shape,
    batch_size: Option<usize>,
    dtype: DType,
    name: Option<String>,
}

impl Input {
    /// An input of `shape` (without the batch axis); `None` entries are unknown sizes.
    pub fn new(shape: &[Option<usize>]) -> Input {
        Input {
            shape: shape.to_vec(),
            batch_size: None,
            dtype: DType::F32,
            name: None,
        }
    }

    /// A float32 input of a fully known `shape` (without the batch axis).
    pub fn shape(shape: &[usize]) -> KerasTensor {
        Input::new(&shape.iter().map(|&d| Some(d)).collect::<Vec<_>>()).build()
    }

    /// A named float32 input of a fully known `shape`, in one call
    /// (`keras.Input(shape=(4,), name="x")`).
    ///
    /// ```
    /// let x = kiln::layers::Input::named("x", &[4]);
    /// assert_eq!(x.layer().name(), "x");
    /// assert_eq!(x.shape(), &[None, Some(4)]);
    /// ```
    pub fn named(name: &str, shape: &[usize]) -> KerasTensor {
        Input::new(&shape.iter().map(|&d| Some(d)).collect::<Vec<_>>())
            .name(name)
            .build()
    }

    /// Fixes the batch size.
    pub fn batch_size(mut self, batch_size: usize) -> Input {
        self.batch_size = Some(batch_size);
        self
    }

    /// Sets the dtype (float32 by default).
    pub fn dtype(mut self, dtype: DType) -> Input {
        self.dtype = dtype;
        self
    }

    /// Sets the input layer's name.
    pub fn name(mut self, name: &str) -> Input {
        self.name = Some(name.to_string());
        self
    }

    /// Creates the symbolic tensor.
    pub fn build(self) -> KerasTensor {
        let mut batch_shape = vec![self.batch_size];
        batch_shape.extend(self.shape.iter().copied());
        let mut layer = InputLayer::new(batch_shape.clone(), self.dtype);
        if let Some(n) = &self.name {
            layer.base.set_name(n);
        }
        let layer = LayerRef::new(layer);
        let node = Node::new(
            layer.clone(),
            Vec::new(),
            vec![TensorSpec {
                shape: batch_shape,
                dtype: self.dtype,
            }],
        );
        layer
            .lock()
            .base_mut()
            .inbound_nodes
            .push(Arc::downgrade(&node));
        KerasTensor::from_node(node, 0)
    }
}

/// Checks a concrete input against a symbolic input's spec (rank and known sizes except
/// the batch axis), as a functional model does on every call.
pub(crate) fn check_model_input(
    model: &str,
    index: usize,
    spec: &TensorSpec,
    x: &Tensor,
) -> Result<()> {
    // Strings never convert to or from numbers: say so before any cast.
    if (spec.dtype == DType::String) != (x.dtype() == DType::String) {
        return Err(Error::InvalidArgument {
            api: "Model.call",
            msg: format!(
                "input {index} of model '{model}' expects dtype {}, but received a {} tensor of shape {}",
                spec.dtype.name(),
                x.dtype().name(),
                fmt_shape(&x.shape().iter().map(|&d| Some(d)).collect::<Vec<_>>())
            ),
        });
    }
    let ok = x.rank() == spec.shape.len()
        && spec
            .shape
            .iter()
            .zip(x.shape())
            .skip(1)
            .all(|(s, &d)| s.is_none_or(|s| s == d));
    if ok {
        Ok(())
    } else {
        let mut expected = spec.shape.clone();
        if let Some(b) = expected.first_mut() {
            *b = None;
        }
        Err(Error::InvalidArgument {
            api: "Model.call",
            msg: format!(
                "input {index} of model '{model}' is incompatible: expected shape {}, \
                 but received input with shape {}",
                fmt_shape(&expected),
                fmt_shape(&x.shape().iter().map(|&d| Some(d)).collect::<Vec<_>>())
            ),
        })
    }
}
