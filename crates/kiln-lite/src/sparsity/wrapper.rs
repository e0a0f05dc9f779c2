//! `PruneLowMagnitude`: the layer wrapper that masks its layer's prunable weight by
//! magnitude during training (TFMOT's `pruning_wrapper.PruneLowMagnitude`).

use kiln::initializers::Initializer;
use kiln::layers::{CallContext, Layer, LayerBase, LayerRef, LayerState, Shape};
use kiln::{Error, Result};
use kiln_tensor::autodiff::no_recording;
use kiln_tensor::{DType, Tensor, Variable};
use serde_json::{json, Value};

use super::mask::{block_mask, magnitude_mask, BlockPooling};
use super::registry::prunable_weight_names;
use super::schedule::{schedule_from_config, ConstantSparsity, PruningSchedule};

/// TFMOT's message when a pruned layer trains without [`super::UpdatePruningStep`].
pub const PRUNE_CALLBACK_ERROR_MSG: &str = "Prune() wrapper requires the UpdatePruningStep \
     callback to be provided during training. Please add it as a callback to your model.fit call.";

/// The arguments of `prune_low_magnitude` (TFMOT's `pruning_params`): the schedule
/// (default `ConstantSparsity(0.5, begin_step=0)`), `block_size` (default `[1, 1]`) and
/// `block_pooling_type` (default `"AVG"`).
///
/// ```
/// use kiln_lite::sparsity::{PolynomialDecay, PruningParams};
/// let p = PruningParams::new(PolynomialDecay::new(0.0, 0.5, 0, 2000)?)
///     .block_size([1, 4])
///     .block_pooling_type("MAX")?;
/// assert_eq!(p.block_size, [1, 4]);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PruningParams {
    /// When to prune and to what sparsity.
    pub pruning_schedule: Box<dyn PruningSchedule>,
    /// Block shape of block sparsity for 2-D weights (`[1, 1]`: elementwise).
    pub block_size: [usize; 2],
    /// How a block's magnitudes are pooled.
    pub block_pooling_type: BlockPooling,
}

impl Default for PruningParams {
    fn default() -> Self {
        PruningParams {
            pruning_schedule: Box::new(ConstantSparsity {
                target_sparsity: 0.5,
                begin_step: 0,
                end_step: -1,
                frequency: 100,
            }),
            block_size: [1, 1],
            block_pooling_type: BlockPooling::Avg,
        }
    }
}

impl PruningParams {
    /// Params with `schedule` and the default block settings.
    pub fn new(schedule: impl PruningSchedule + 'static) -> PruningParams {
        PruningParams {
            pruning_schedule: Box::new(schedule),
            ..PruningParams::default()
        }
    }

    /// Sets the block shape (a zero side is refused when the wrapper is made).
    pub fn block_size(mut self, block_size: [usize; 2]) -> Self {
        self.block_size = block_size;
        self
    }

    /// Sets the pooling by TFMOT's name (`"AVG"` or `"MAX"`).
    pub fn block_pooling_type(mut self, name: &str) -> Result<Self> {
        self.block_pooling_type = BlockPooling::parse(name)?;
        Ok(self)
    }
}

/// One pruned weight with its mask and threshold.
#[derive(Clone)]
struct PruningVars {
    weight: Variable,
    mask: Variable,
    threshold: Variable,
}

/// Wraps a layer so that training prunes its prunable weight (`kernel` for Dense and
/// convolutions) to the schedule's sparsity by magnitude
/// (`tfmot.sparsity.keras.PruneLowMagnitude`). Usually made by
/// [`super::prune_low_magnitude`].
///
/// In a training call the wrapper, as TFMOT's does, adds one to its `pruning_step`
/// (which [`super::UpdatePruningStep`] sets to 0 when `fit` begins; a step below 1 is
/// TFMOT's "requires the UpdatePruningStep callback" error), recomputes the mask from
/// the current weight when the schedule says the step prunes, and multiplies the weight
/// by the mask before the wrapped layer runs; every call (training or not) applies the
/// mask. Gradients are not masked: pruned weights may regrow until the next mask is
/// applied, as in TFMOT. The mask, threshold and step are non-trainable weights named
/// `mask`, `threshold` and `pruning_step` (int64), so a saved model keeps them. kiln
/// lists a layer's own weights before its sub-layers', so `weights()` of a wrapper is
/// `[mask, threshold, pruning_step, kernel, bias]` where TFMOT's is the layer's
/// trainable, then non-trainable weights, then its own; `.keras` files store each
/// object's variables under its own path, so the order does not reach them.
///
/// ```
/// use kiln::layers::{Dense, LayerRef};
/// use kiln_lite::sparsity::{ConstantSparsity, PruneLowMagnitude, PruningParams};
/// use kiln_tensor::{DType, Tensor};
/// let w = PruneLowMagnitude::new(Dense::new(4), PruningParams::new(ConstantSparsity::new(0.5, 0)?))?;
/// let layer = LayerRef::new(w);
/// let y = layer.call(&Tensor::ones(&[2, 3], DType::F32))?;
/// assert_eq!(y.shape(), &[2, 4]);
/// assert!(layer.name().starts_with("prune_low_magnitude_dense"));
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct PruneLowMagnitude {
    base: LayerBase,
    layer: LayerRef,
    params: PruningParams,
    weight_names: &'static [&'static str],
    vars: Vec<PruningVars>,
    step: Option<Variable>,
    /// Set by `UpdatePruningStep` when training starts before the wrapper is built: the
    /// step is then created at 0 instead of -1.
    start_at_zero: bool,
}

fn err(msg: String) -> Error {
    Error::InvalidArgument {
        api: "PruneLowMagnitude",
        msg,
    }
}

impl PruneLowMagnitude {
    /// Wraps `layer`; a layer TFMOT cannot prune (not in its registry of Keras layers) is
    /// an `Err` naming it, as is block sparsity on a weight that is not 2-D (checked here
    /// when the layer is built, else when the wrapper builds).
    pub fn new(layer: impl Into<LayerRef>, params: PruningParams) -> Result<PruneLowMagnitude> {
        let layer = layer.into();
        let weight_names = prunable_weight_names(&layer)?;
        if params.block_size.contains(&0) {
            return Err(err(format!(
                "block_size must have positive sides, got {:?}",
                params.block_size
            )));
        }
        let mut base = LayerBase::new("prune_low_magnitude");
        base.set_name(&format!("prune_low_magnitude_{}", layer.name()));
        {
            let g = layer.lock();
            if let Some(Value::Array(b)) = g.base().base_config().get("batch_input_shape") {
                let dims: Option<Vec<usize>> = b
                    .iter()
                    .skip(1)
                    .map(|d| d.as_u64().map(|d| d as usize))
                    .collect();
                if let Some(d) = dims {
                    base.declare_input_shape(&d);
                }
            }
        }
        let w = PruneLowMagnitude {
            base,
            layer,
            params,
            weight_names,
            vars: Vec::new(),
            step: None,
            start_at_zero: false,
        };
        if w.layer.built() {
            for name in w.weight_names {
                let v = w.layer.lock().base().variable(name)?;
                w.check_block(&v)?;
            }
        }
        Ok(w)
    }

    /// The wrapped layer.
    pub fn layer(&self) -> &LayerRef {
        &self.layer
    }

    /// The pruning arguments.
    pub fn params(&self) -> &PruningParams {
        &self.params
    }

    /// The pruning step (-1 before training; `None` before the wrapper is built).
    pub fn pruning_step(&self) -> Option<i64> {
        self.step
            .as_ref()
            .and_then(|s| s.value().to_f64_vec().first().map(|&v| v as i64))
    }

    /// Sets the pruning step (what [`super::UpdatePruningStep`] does when `fit` begins).
    pub fn set_pruning_step(&mut self, step: i64) -> Result<()> {
        match &self.step {
            Some(s) => Ok(s.assign(&Tensor::scalar(step))?),
            None => {
                if step == 0 {
                    self.start_at_zero = true;
                    Ok(())
                } else {
                    Err(err(format!(
                        "layer '{}' is not built yet: its pruning step can only be set to 0",
                        self.base.name()
                    )))
                }
            }
        }
    }

    /// `(weight, mask, threshold)` of each pruned weight (TFMOT's `pruning_vars`); empty
    /// for a layer with no prunable weight or before the wrapper is built.
    pub fn pruning_vars(&self) -> Vec<(Variable, Variable, Variable)> {
        self.vars
            .iter()
            .map(|p| (p.weight.clone(), p.mask.clone(), p.threshold.clone()))
            .collect()
    }

    /// Multiplies each pruned weight by its mask (TFMOT's `weight_mask_op`).
    pub fn apply_masks(&self) -> Result<()> {
        let _pause = no_recording();
        for p in &self.vars {
            let masked = p.weight.value().mul(&p.mask.value())?;
            p.weight.assign(&masked)?;
        }
        Ok(())
    }

    /// Recomputes every mask and threshold from the current weights at `sparsity`
    /// (TFMOT's `conditional_mask_update` when the schedule says the step prunes).
    pub fn update_masks(&self, sparsity: f32) -> Result<()> {
        let _pause = no_recording();
        for p in &self.vars {
            let shape = p.weight.shape();
            let data = p.weight.value().to_vec::<f32>()?;
            let (threshold, mask) = if self.params.block_size == [1, 1] {
                magnitude_mask(&data, sparsity)
            } else {
                block_mask(
                    &data,
                    shape[0],
                    shape[1],
                    self.params.block_size,
                    self.params.block_pooling_type,
                    sparsity,
                )
            };
            p.mask.assign(&Tensor::from_vec(mask, &shape)?)?;
            p.threshold.assign(&Tensor::scalar(threshold))?;
        }
        Ok(())
    }

    fn check_block(&self, v: &Variable) -> Result<()> {
        if self.params.block_size != [1, 1] && v.shape().len() != 2 {
            return Err(err(format!(
                "layer '{}': Block Sparsity can only be used for layers which have \
                 2-dimensional weights; '{}' has shape {:?} (block_size {:?})",
                self.layer.name(),
                v.name(),
                v.shape(),
                self.params.block_size
            )));
        }
        if v.dtype() != DType::F32 {
            return Err(err(format!(
                "layer '{}': weight '{}' is {}; pruning supports float32 weights",
                self.layer.name(),
                v.name(),
                v.dtype().name()
            )));
        }
        Ok(())
    }

    /// The training-call update: step + 1, the callback check, the scheduled mask update.
    fn training_update(&mut self) -> Result<()> {
        let step = self
            .step
            .as_ref()
            .ok_or_else(|| Error::not_built(self.base.name()))?;
        let next = self.pruning_step().unwrap_or(-1) + 1;
        step.assign(&Tensor::scalar(next))?;
        if next < 1 {
            return Err(err(format!(
                "layer '{}': {PRUNE_CALLBACK_ERROR_MSG}",
                self.base.name()
            )));
        }
        let (prune, sparsity) = self.params.pruning_schedule.at(next);
        if prune {
            self.update_masks(sparsity)?;
        }
        Ok(())
    }
}

impl LayerState for PruneLowMagnitude {
    fn base(&self) -> &LayerBase {
        &self.base
    }
    fn base_mut(&mut self) -> &mut LayerBase {
        &mut self.base
    }
    fn class_name(&self) -> &'static str {
        "PruneLowMagnitude"
    }
    fn sublayers(&self) -> Vec<LayerRef> {
        vec![self.layer.clone()]
    }
}

impl Layer for PruneLowMagnitude {
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        self.layer.build(input_shapes)?;
        let mut vars = Vec::new();
        for name in self.weight_names {
            let weight = self.layer.lock().base().variable(name)?;
            self.check_block(&weight)?;
            let shape = weight.shape();
            let mask = self
                .base
                .weight("mask", &shape)
                .initializer(Initializer::Ones)
                .trainable(false)
                .build()?;
            let threshold = self
                .base
                .weight("threshold", &[])
                .initializer(Initializer::Zeros)
                .trainable(false)
                .build()?;
            vars.push(PruningVars {
                weight,
                mask,
                threshold,
            });
        }
        let dtype = self.base.dtype;
        self.base.dtype = DType::I64;
        let start = if self.start_at_zero { 0.0 } else { -1.0 };
        let step = self
            .base
            .weight("pruning_step", &[])
            .initializer(Initializer::Constant(start))
            .trainable(false)
            .build();
        self.base.dtype = dtype;
        self.step = Some(step?);
        self.vars = vars;
        Ok(())
    }

    fn call(&mut self, inputs: &[Tensor], ctx: &CallContext) -> Result<Vec<Tensor>> {
        let symbolic = inputs.iter().any(|t| t.is_meta());
        if !symbolic {
            if ctx.training {
                self.training_update()?;
            }
            self.apply_masks()?;
        }
        self.layer.call_multi(inputs, Some(ctx.training))
    }

    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        Some(self.layer.compute_output_shape(input_shapes))
    }

    fn saveable_children(&self) -> Vec<(String, LayerRef)> {
        vec![("layer".to_string(), self.layer.clone())]
    }

    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.insert("layer".into(), kiln::saving::serialize_layer(&self.layer));
        c.insert(
            "pruning_schedule".into(),
            self.params.pruning_schedule.get_config(),
        );
        c.insert("block_size".into(), json!(self.params.block_size));
        c.insert(
            "block_pooling_type".into(),
            json!(self.params.block_pooling_type.name()),
        );
        Value::Object(c)
    }
}

/// Rebuilds a wrapper from the config its `get_config` wrote (TFMOT's `from_config`).
pub fn wrapper_from_config(c: &Value) -> Result<PruneLowMagnitude> {
    let inner = c
        .get("layer")
        .ok_or_else(|| err("from_config: missing 'layer'".into()))?;
    let layer = kiln::layers::deserialize(inner)?;
    let schedule = match c.get("pruning_schedule") {
        Some(s) => schedule_from_config(s)?,
        None => PruningParams::default().pruning_schedule,
    };
    let block_size = match c.get("block_size") {
        None | Some(Value::Null) => [1, 1],
        Some(v) => {
            let a: Option<Vec<usize>> = v.as_array().map(|a| {
                a.iter()
                    .filter_map(|d| d.as_u64().map(|d| d as usize))
                    .collect()
            });
            match a.as_deref() {
                Some([h, w]) => [*h, *w],
                _ => {
                    return Err(err(format!(
                        "from_config: 'block_size' must be a list of 2 positive integers, got {v}"
                    )))
                }
            }
        }
    };
    let pooling = match c.get("block_pooling_type") {
        None | Some(Value::Null) => BlockPooling::Avg,
        Some(Value::String(s)) => BlockPooling::parse(s)?,
        Some(v) => {
            return Err(err(format!(
                "from_config: 'block_pooling_type' must be a name, got {v}"
            )))
        }
    };
    let params = PruningParams {
        pruning_schedule: schedule,
        block_size,
        block_pooling_type: pooling,
    };
    let mut w = PruneLowMagnitude::new(layer, params)?;
    if let Some(name) = c.get("name").and_then(Value::as_str) {
        w.base.set_name(name);
    }
    Ok(w)
}

/// Registers `PruneLowMagnitude` with kiln's layer registry, so `.keras` files of pruned
/// models load (TFMOT's `prune_scope()`); [`super::prune_low_magnitude`] calls it.
///
/// ```
/// kiln_lite::sparsity::prune_scope();
/// ```
pub fn prune_scope() {
    kiln::layers::register_layer("PruneLowMagnitude", |c| {
        wrapper_from_config(c).map(LayerRef::new)
    });
}
