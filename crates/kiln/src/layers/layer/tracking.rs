//! What a [`LayerRef`] tracks: its weights (with trainability, constraints and
//! regularizers), losses, config, and its place in a functional graph.

use std::sync::Arc;

use kiln_tensor::{DType, Tensor, Variable};
use serde_json::Value;

use super::*;
use crate::layers::keras_tensor::{KerasTensor, Node, TensorSpec};
use crate::regularizers::Regularizer;
use crate::{Error, Result};

impl LayerRef {
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
