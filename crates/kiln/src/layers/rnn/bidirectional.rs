//! `Bidirectional`: a recurrent layer run forwards and a copy run backwards, merged.

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::layers::layer::{CallContext, Layer, LayerBase, LayerRef, LayerState, Shape};
use crate::layers::rnn::layers::set_zero_output_for_mask;
use crate::{Error, Result};

/// How the two directions' outputs combine (Keras's `merge_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeMode {
    /// Concatenated on the last axis (the default).
    Concat,
    /// Added.
    Sum,
    /// Multiplied.
    Mul,
    /// Averaged.
    Ave,
}

impl MergeMode {
    /// Parses Keras's names (`"concat"`, `"sum"`, `"mul"`, `"ave"`).
    ///
    /// ```
    /// use kiln::layers::MergeMode;
    /// assert_eq!(MergeMode::get("ave")?, MergeMode::Ave);
    /// assert!(MergeMode::get("max").is_err());
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn get(name: &str) -> Result<MergeMode> {
        Ok(match name {
            "concat" => MergeMode::Concat,
            "sum" => MergeMode::Sum,
            "mul" => MergeMode::Mul,
            "ave" => MergeMode::Ave,
            _ => {
                return Err(Error::InvalidArgument {
                    api: "Bidirectional",
                    msg: format!(
                        "invalid merge mode '{name}'; expected one of concat, sum, mul, ave \
                         or None"
                    ),
                })
            }
        })
    }

    /// Keras's name.
    ///
    /// ```
    /// assert_eq!(kiln::layers::MergeMode::Concat.name(), "concat");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            MergeMode::Concat => "concat",
            MergeMode::Sum => "sum",
            MergeMode::Mul => "mul",
            MergeMode::Ave => "ave",
        }
    }
}

/// Bidirectional wrapper for recurrent layers (`keras.layers.Bidirectional`).
///
/// The forward layer is a copy of `layer` named `forward_<name>`; the backward layer is
/// a copy with `go_backwards` named `backward_<name>`, or the given `backward_layer`.
/// With `return_sequences`, the backward outputs are flipped back to input order before
/// merging, and masked steps output zeros in both directions (Keras forces
/// `zero_output_for_mask`). Initial states, when given as extra inputs, are split in
/// half: the forward layer's, then the backward layer's. With `return_state` the outputs
/// are the merged output (two outputs when `merge_mode` is `None`), then the forward
/// states, then the backward states.
///
/// ```
/// use kiln::layers::{Bidirectional, LayerRef, LSTM};
/// use kiln_tensor::{DType, Tensor};
/// let b = LayerRef::new(Bidirectional::new(LSTM::new(4).return_sequences(true))?);
/// let y = b.call(&Tensor::ones(&[2, 5, 3], DType::F32))?;
/// assert_eq!(y.shape(), &[2, 5, 8]);
/// assert_eq!(b.count_params(), 2 * (3 * 16 + 4 * 16 + 16));
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct Bidirectional {
    base: LayerBase,
    forward: LayerRef,
    backward: LayerRef,
    merge_mode: Option<MergeMode>,
    return_sequences: bool,
    return_state: bool,
}

fn flag(cfg: &Value, key: &str) -> bool {
    cfg.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// A copy of `layer` through its config, renamed and with config edits.
fn copy_layer(layer: &LayerRef, prefix: &str, edits: &[(&str, Value)]) -> Result<LayerRef> {
    let mut cfg = layer.get_config();
    let name = layer.name();
    let base = name.strip_prefix(prefix).unwrap_or(&name);
    cfg["name"] = json!(format!("{prefix}{base}"));
    for (k, v) in edits {
        cfg[*k] = v.clone();
    }
    crate::layers::from_config(layer.class_name(), &cfg)
}

impl Bidirectional {
    /// Wraps a recurrent layer (merge mode `concat`).
    pub fn new(layer: impl Into<LayerRef>) -> Result<Bidirectional> {
        let layer = layer.into();
        let cfg = layer.get_config();
        if cfg.get("go_backwards").is_none() {
            return Err(Error::InvalidArgument {
                api: "Bidirectional",
                msg: format!(
                    "Bidirectional wraps a recurrent layer (SimpleRNN, LSTM, GRU, RNN), got \
                     {} '{}'",
                    layer.class_name(),
                    layer.name()
                ),
            });
        }
        let seq = flag(&cfg, "return_sequences");
        let zero = ("zero_output_for_mask", json!(seq));
        let forward = copy_layer(&layer, "forward_", std::slice::from_ref(&zero))?;
        let back = !flag(&cfg, "go_backwards");
        let backward = copy_layer(&layer, "backward_", &[zero, ("go_backwards", json!(back))])?;
        let b = Bidirectional {
            base: LayerBase::new("bidirectional"),
            forward,
            backward,
            merge_mode: Some(MergeMode::Concat),
            return_sequences: seq,
            return_state: flag(&cfg, "return_state"),
        };
        b.verify()?;
        Ok(b)
    }

    /// Sets the merge mode (`None`: return both directions' outputs).
    pub fn merge_mode(mut self, mode: Option<MergeMode>) -> Bidirectional {
        self.merge_mode = mode;
        self
    }

    /// Uses `layer` as the backward layer (it must have the opposite `go_backwards` and
    /// the same `return_sequences`, `return_state` and `stateful`).
    pub fn backward_layer(mut self, layer: impl Into<LayerRef>) -> Result<Bidirectional> {
        let layer = layer.into();
        set_zero_output_for_mask(&layer, self.return_sequences);
        self.backward = layer;
        self.verify()?;
        Ok(self)
    }

    /// Sets the name.
    pub fn name(mut self, name: &str) -> Self {
        self.base.set_name(name);
        self
    }

    /// The forward layer.
    pub fn forward_layer(&self) -> &LayerRef {
        &self.forward
    }

    fn verify(&self) -> Result<()> {
        let f = self.forward.get_config();
        let b = self.backward.get_config();
        if flag(&f, "go_backwards") == flag(&b, "go_backwards") {
            return Err(Error::InvalidArgument {
                api: "Bidirectional",
                msg: format!(
                    "forward and backward layers must have different go_backwards, both have {}",
                    flag(&f, "go_backwards")
                ),
            });
        }
        for k in ["stateful", "return_sequences", "return_state"] {
            if flag(&f, k) != flag(&b, k) {
                return Err(Error::InvalidArgument {
                    api: "Bidirectional",
                    msg: format!(
                        "forward and backward layers must have the same {k}: {} vs {}",
                        flag(&f, k),
                        flag(&b, k)
                    ),
                });
            }
        }
        Ok(())
    }

    fn merge(&self, y: Tensor, y_rev: Tensor) -> Result<Vec<Tensor>> {
        Ok(match self.merge_mode {
            Some(MergeMode::Concat) => vec![Tensor::concat(&[&y, &y_rev], -1)?],
            Some(MergeMode::Sum) => vec![y.add(&y_rev)?],
            Some(MergeMode::Mul) => vec![y.mul(&y_rev)?],
            Some(MergeMode::Ave) => vec![y.add(&y_rev)?.div_scalar(2.0)?],
            None => vec![y, y_rev],
        })
    }
}

impl LayerState for Bidirectional {
    fn base(&self) -> &LayerBase {
        &self.base
    }
    fn base_mut(&mut self) -> &mut LayerBase {
        &mut self.base
    }
    fn class_name(&self) -> &'static str {
        "Bidirectional"
    }
    fn sublayers(&self) -> Vec<LayerRef> {
        vec![self.forward.clone(), self.backward.clone()]
    }
}

impl Layer for Bidirectional {
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let s = input_shapes.first().cloned().unwrap_or_default();
        self.forward.build(std::slice::from_ref(&s))?;
        self.backward.build(&[s])?;
        Ok(())
    }

    fn call(&mut self, inputs: &[Tensor], ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = inputs.first().ok_or_else(|| Error::InvalidArgument {
            api: "Bidirectional.call",
            msg: "needs an input sequence".into(),
        })?;
        let init = &inputs[1..];
        if !init.len().is_multiple_of(2) {
            return Err(Error::InvalidArgument {
                api: "Bidirectional.call",
                msg: format!(
                    "layer '{}': initial states come in forward/backward halves, got {}",
                    self.base.name(),
                    init.len()
                ),
            });
        }
        let (fs, bs) = init.split_at(init.len() / 2);
        let masks: Vec<Option<Tensor>> = vec![ctx.mask(0).cloned()];
        let run = |l: &LayerRef, states: &[Tensor]| -> Result<Vec<Tensor>> {
            let mut xs = vec![x.clone()];
            xs.extend(states.iter().cloned());
            Ok(l.call_with_masks(&xs, &masks, Some(ctx.training))?.0)
        };
        let mut y = run(&self.forward, fs)?;
        let mut y_rev = run(&self.backward, bs)?;
        let f_states = y.split_off(1);
        let b_states = y_rev.split_off(1);
        let (y, mut y_rev) = (y.remove(0), y_rev.remove(0));
        if self.return_sequences {
            y_rev = y_rev.reverse(&[1])?;
        }
        let mut out = self.merge(y, y_rev)?;
        if self.return_state {
            out.extend(f_states);
            out.extend(b_states);
        }
        Ok(out)
    }

    fn supports_masking(&self) -> bool {
        true
    }

    fn compute_mask(
        &self,
        _inputs: &[Tensor],
        masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        let m = if self.return_sequences {
            masks.first().cloned().flatten()
        } else {
            None
        };
        Ok(match self.merge_mode {
            None => vec![m.clone(), m],
            Some(_) => vec![m],
        })
    }

    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let s = input_shapes.first()?.clone();
        let f = match self.forward.compute_output_shape(std::slice::from_ref(&s)) {
            Ok(v) => v,
            Err(e) => return Some(Err(e)),
        };
        let b = match self.backward.compute_output_shape(&[s]) {
            Ok(v) => v,
            Err(e) => return Some(Err(e)),
        };
        let mut out = match self.merge_mode {
            Some(MergeMode::Concat) => {
                let mut o = f[0].clone();
                let last = o.len() - 1;
                o[last] = match (f[0][last], b[0][last]) {
                    (Some(x), Some(y)) => Some(x + y),
                    _ => None,
                };
                vec![o]
            }
            Some(_) => vec![f[0].clone()],
            None => vec![f[0].clone(), b[0].clone()],
        };
        if self.return_state {
            out.extend(f[1..].iter().cloned());
            out.extend(b[1..].iter().cloned());
        }
        Some(Ok(out))
    }

    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.insert(
            "merge_mode".into(),
            self.merge_mode
                .map(|m| json!(m.name()))
                .unwrap_or(Value::Null),
        );
        c.insert(
            "layer".into(),
            crate::saving::serialize_layer(&self.forward),
        );
        c.insert(
            "backward_layer".into(),
            crate::saving::serialize_layer(&self.backward),
        );
        Value::Object(c)
    }
}

/// Rebuilds a `Bidirectional` from its Keras config.
pub(crate) fn from_config(c: &Value) -> Result<Bidirectional> {
    let bad = |msg: String| Error::InvalidArgument {
        api: "layers.from_config",
        msg: format!("Bidirectional: {msg}"),
    };
    let layer = crate::layers::deserialize(
        c.get("layer")
            .ok_or_else(|| bad("missing 'layer'".into()))?,
    )?;
    let mode = match c.get("merge_mode") {
        None => Some(MergeMode::Concat),
        Some(Value::Null) => None,
        Some(Value::String(s)) => Some(MergeMode::get(s)?),
        Some(v) => return Err(bad(format!("'merge_mode' must be a name or null, got {v}"))),
    };
    let mut b = Bidirectional::new(layer)?.merge_mode(mode);
    if let Some(v) = c.get("backward_layer").filter(|v| !v.is_null()) {
        b = b.backward_layer(crate::layers::deserialize(v)?)?;
    }
    Ok(b)
}
