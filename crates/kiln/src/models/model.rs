//! `Model`: a network (sequential, functional or user-written) plus the trainer state.

use kiln_tensor::{Tensor, Variable};

use crate::layers::{KerasTensor, Layer, LayerRef, Shape};
use crate::models::compile_utils::Compiled;
use crate::models::functional::Functional;
use crate::models::sequential::SequentialNet;
use crate::optimizers::Optimizer;
use crate::{Error, Result};

/// A Keras model: `Sequential`, functional (`Model::new(inputs, outputs)`) or subclassed
/// (any [`Layer`] with a user-written `call`, through [`Model::from_layer`]), with
/// `compile`/`fit`/`evaluate`/`predict`.
///
/// ```
/// use kiln::layers::{Dense, Flatten};
/// use kiln::models::Model;
/// use kiln_tensor::{DType, Tensor};
/// let mut model = Model::sequential(vec![
///     Flatten::new().input_shape(&[28, 28]).into(),
///     Dense::new(128).activation("relu").into(),
///     Dense::new(10).into(),
/// ])?;
/// assert_eq!(model.count_params(), 101_770);
/// let y = model.call(&Tensor::zeros(&[2, 28, 28], DType::F32))?;
/// assert_eq!(y.shape(), &[2, 10]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct Model {
    pub(crate) net: LayerRef,
    pub(crate) compiled: Option<Compiled>,
    /// Set by a callback to end `fit` after the current batch/epoch (Keras's
    /// `model.stop_training`).
    pub stop_training: bool,
    /// Set by a callback in `on_train_begin` (BackupAndRestore) to start `fit` at a
    /// later epoch than its `initial_epoch`.
    pub(crate) resume_at_epoch: Option<usize>,
    /// A subclassed model's own steps ([`Model::set_train_step`]).
    pub(crate) custom_steps: Option<Box<dyn crate::models::TrainStep>>,
    /// How the running loop feeds the train step (`fit` or `train_on_batch`), which
    /// decides the step's input signature ([`Model::step_trainable_weights`]).
    pub(crate) step_feed: crate::models::compiled_steps::StepFeed,
    /// A data-parallel strategy's hook ([`Model::set_distribution`]).
    pub(crate) distribution: Option<Box<dyn crate::models::DistributeHook>>,
}

impl Model {
    /// A `Sequential` model from a list of layers (the first may be an `Input`'s layer,
    /// or declare `input_shape`).
    pub fn sequential(layers: Vec<LayerRef>) -> Result<Model> {
        let mut net = SequentialNet::new();
        for l in layers {
            net.add(l, false)?;
        }
        net.maybe_rebuild()?;
        Ok(Model::wrap(LayerRef::new(net)))
    }

    /// An empty `Sequential` model to `add` layers to.
    ///
    /// ```
    /// let mut m = kiln::models::Model::sequential_empty();
    /// m.add(kiln::layers::Dense::new(1).input_shape(&[3]))?;
    /// assert_eq!(m.count_params(), 4);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn sequential_empty() -> Model {
        Model::wrap(LayerRef::new(SequentialNet::new()))
    }

    /// A functional model from symbolic inputs to outputs (`keras.Model(inputs, outputs)`).
    ///
    /// ```
    /// use kiln::layers::{Dense, Input, LayerApply};
    /// use kiln::models::Model;
    /// let x = Input::shape(&[4]);
    /// let y = Dense::new(2).apply(&x)?;
    /// let m = Model::new(&[x], &[y])?;
    /// assert_eq!(m.layers().len(), 2);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn new(inputs: &[KerasTensor], outputs: &[KerasTensor]) -> Result<Model> {
        let f = Functional::new(inputs, outputs, "functional")?;
        Ok(Model::wrap(LayerRef::new(f)))
    }

    /// A functional model with an explicit name (`keras.Model(inputs, outputs, name=...)`).
    ///
    /// ```
    /// use kiln::layers::{Dense, Input, LayerApply};
    /// use kiln::models::Model;
    /// let x = Input::shape(&[4]);
    /// let y = Dense::new(2).apply(&x)?;
    /// assert_eq!(Model::new_named(&[x], &[y], "head")?.name(), "head");
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn new_named(inputs: &[KerasTensor], outputs: &[KerasTensor], name: &str) -> Result<Model> {
        let m = Model::new(inputs, outputs)?;
        m.net.lock().base_mut().set_name(name);
        Ok(m)
    }

    /// A subclassed model: any layer (usually a user struct with sub-layers and a custom
    /// `call`) trained with this model's trainer.
    pub fn from_layer<L: Layer>(layer: L) -> Model {
        Model::wrap(LayerRef::new(layer))
    }

    /// A model around an existing layer handle (shares its weights).
    pub fn from_layer_ref(layer: LayerRef) -> Model {
        Model::wrap(layer)
    }

    fn wrap(net: LayerRef) -> Model {
        net.lock().base_mut().is_model = true;
        Model {
            net,
            compiled: None,
            stop_training: false,
            resume_at_epoch: None,
            custom_steps: None,
            step_feed: Default::default(),
            distribution: None,
        }
    }

    /// The model as a layer, to nest it in another model (weights are shared).
    ///
    /// ```
    /// use kiln::layers::Dense;
    /// use kiln::models::Model;
    /// let inner = Model::sequential(vec![Dense::new(2).input_shape(&[3]).into()])?;
    /// let outer = Model::sequential(vec![inner.as_layer(), Dense::new(1).into()])?;
    /// assert_eq!(outer.count_params(), 8 + 3);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn as_layer(&self) -> LayerRef {
        self.net.clone()
    }

    /// The model's name.
    pub fn name(&self) -> String {
        self.net.name()
    }

    /// Appends a layer to a `Sequential` model.
    pub fn add(&mut self, layer: impl Into<LayerRef>) -> Result<()> {
        let layer = layer.into();
        self.net
            .downcast(|s: &mut SequentialNet| s.add(layer, true))
            .unwrap_or_else(|| {
                Err(Error::InvalidArgument {
                    api: "Model.add",
                    msg: "add() only works on Sequential models".into(),
                })
            })
    }

    /// Removes the last layer of a `Sequential` model.
    pub fn pop(&mut self) -> Result<LayerRef> {
        self.net
            .downcast(|s: &mut SequentialNet| s.pop())
            .unwrap_or_else(|| {
                Err(Error::InvalidArgument {
                    api: "Model.pop",
                    msg: "pop() only works on Sequential models".into(),
                })
            })
    }

    /// Builds the model for an input shape (batch axis included, usually `None`), as
    /// `model.build(input_shape)`.
    pub fn build(&mut self, input_shape: &[Option<usize>]) -> Result<()> {
        self.net.build(&[input_shape.to_vec()])
    }

    /// Whether this is a `Sequential` model.
    ///
    /// ```
    /// use kiln::layers::Dense;
    /// let m = kiln::models::Model::sequential(vec![Dense::new(1).input_shape(&[2]).into()])?;
    /// assert!(m.is_sequential());
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn is_sequential(&self) -> bool {
        self.net.downcast(|_: &mut SequentialNet| ()).is_some()
    }

    /// The layers (for functional models the input layers come first; a `Sequential`
    /// lists only the layers added).
    pub fn layers(&self) -> Vec<LayerRef> {
        if let Some(l) = self.net.downcast(|s: &mut SequentialNet| s.layers.clone()) {
            return l;
        }
        if let Some(l) = self.net.downcast(|f: &mut Functional| f.layers.clone()) {
            return l;
        }
        self.net.sublayers()
    }

    /// The layer called `name` (`model.get_layer`).
    ///
    /// ```
    /// use kiln::layers::Dense;
    /// let m = kiln::models::Model::sequential(vec![Dense::new(2).name("hidden").input_shape(&[3]).into()])?;
    /// assert_eq!(m.get_layer("hidden")?.class_name(), "Dense");
    /// assert!(m.get_layer("nope").is_err());
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn get_layer(&self, name: &str) -> Result<LayerRef> {
        let layers = self.layers();
        layers
            .iter()
            .find(|l| l.name() == name)
            .cloned()
            .ok_or_else(|| Error::InvalidArgument {
                api: "Model.get_layer",
                msg: format!(
                    "no such layer: {name}; existing layers are: {}",
                    layers
                        .iter()
                        .map(|l| l.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
    }

    /// The symbolic inputs (functional models, and sequential ones once built).
    pub fn inputs(&self) -> Vec<KerasTensor> {
        self.graph_io().map(|(i, _)| i).unwrap_or_default()
    }

    /// The symbolic outputs.
    pub fn outputs(&self) -> Vec<KerasTensor> {
        self.graph_io().map(|(_, o)| o).unwrap_or_default()
    }

    fn graph_io(&self) -> Option<(Vec<KerasTensor>, Vec<KerasTensor>)> {
        if let Some(io) = self
            .net
            .downcast(|f: &mut Functional| (f.inputs.clone(), f.outputs.clone()))
        {
            return Some(io);
        }
        self.net
            .downcast(|s: &mut SequentialNet| {
                s.graph
                    .as_ref()
                    .map(|g| (g.inputs.clone(), g.outputs.clone()))
            })
            .flatten()
    }

    /// Number of outputs (1 for sequential and subclassed models).
    pub(crate) fn num_outputs(&self) -> usize {
        self.graph_io().map(|(_, o)| o.len()).unwrap_or(1)
    }

    /// `model.save(path)`: the `.keras` archive ([`crate::saving::save_model`]).
    ///
    /// ```
    /// use kiln::layers::Dense;
    /// use kiln::models::Model;
    /// let m = Model::sequential(vec![Dense::new(2).input_shape(&[3]).into()])?;
    /// let dir = std::env::temp_dir().join(format!("kiln_doc_msave_{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// m.save(dir.join("m.keras"))?;
    /// m.save_weights(dir.join("m.weights.h5"))?;
    /// m.load_weights(dir.join("m.weights.h5"))?;
    /// assert!(m.save(dir.join("m.txt")).is_err());
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        crate::saving::save_model(self, path)
    }

    /// `model.save_weights(path)` ([`crate::saving::save_weights`]).
    pub fn save_weights(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        crate::saving::save_weights(self, path)
    }

    /// `model.load_weights(path)` ([`crate::saving::load_weights`]).
    pub fn load_weights(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        crate::saving::load_weights(self, path)
    }

    /// Input names (the input layers' names), the keys of `x` given as a map.
    pub(crate) fn input_names(&self) -> Vec<String> {
        match self.graph_io() {
            Some((ins, _)) => ins.iter().map(|t| t.layer().name()).collect(),
            None => vec!["input".into()],
        }
    }

    /// Output names as Keras uses them in logs (the output layers' names).
    pub(crate) fn output_names(&self) -> Vec<String> {
        match self.graph_io() {
            Some((_, outs)) => outs.iter().map(|t| t.layer().name()).collect(),
            None => vec![self.name()],
        }
    }

    /// Runs the model (inference mode unless inside a training call).
    pub fn call(&self, x: &Tensor) -> Result<Tensor> {
        self.net.call(x)
    }

    /// Runs the model on several inputs and returns every output.
    pub fn call_multi(&self, inputs: &[Tensor], training: bool) -> Result<Vec<Tensor>> {
        self.net.call_multi(inputs, Some(training))
    }

    /// Calls the model on symbolic tensors (using it as a layer in a functional graph).
    pub fn call_symbolic(&self, x: &KerasTensor) -> Result<KerasTensor> {
        self.net.call(x)
    }

    /// All variables.
    pub fn weights(&self) -> Vec<Variable> {
        self.net.weights()
    }

    /// The variables training updates.
    pub fn trainable_weights(&self) -> Vec<Variable> {
        self.net.trainable_weights()
    }

    /// The variables training leaves alone.
    pub fn non_trainable_weights(&self) -> Vec<Variable> {
        self.net.non_trainable_weights()
    }

    /// Freezes or unfreezes the whole model (`model.trainable = ...`); see
    /// [`LayerRef::set_trainable`](crate::layers::LayerRef::set_trainable) for when a
    /// compiled model sees the change (at the first step after `compile`, as Keras 3),
    /// and the GAN recipe that relies on tf.keras 2's capture at compile time.
    pub fn set_trainable(&self, trainable: bool) {
        self.net.set_trainable(trainable)
    }

    /// Total number of weight scalars.
    pub fn count_params(&self) -> usize {
        self.net.count_params()
    }

    /// Weight values in `weights()` order.
    pub fn get_weights(&self) -> Vec<Tensor> {
        self.net.get_weights()
    }

    /// Replaces the weight values (same count, shapes).
    pub fn set_weights(&self, values: &[Tensor]) -> Result<()> {
        self.net.set_weights(values)
    }

    /// The losses of the last call plus weight penalties (`model.losses`).
    pub fn losses(&self) -> Result<Vec<Tensor>> {
        self.net.losses()
    }

    /// The compiled optimizer, if any (callbacks change its learning rate through it).
    pub fn optimizer_mut(&mut self) -> Option<&mut (dyn Optimizer + 'static)> {
        self.compiled.as_mut().map(|c| &mut *c.optimizer)
    }

    /// The compiled optimizer, if any.
    pub fn optimizer(&self) -> Option<&(dyn Optimizer + 'static)> {
        self.compiled.as_ref().map(|c| &*c.optimizer)
    }

    /// Output shape of a single-output model, once known.
    pub fn output_shape(&self) -> Option<Shape> {
        self.outputs().first().map(|t| t.shape().to_vec())
    }
}

impl From<&Model> for LayerRef {
    fn from(m: &Model) -> LayerRef {
        m.as_layer()
    }
}
