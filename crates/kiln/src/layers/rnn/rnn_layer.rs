//! The generic recurrent layer (`keras.layers.RNN`): iterates a cell over the time axis.

use kiln_tensor::ops::rnn::SequenceOptions;
use kiln_tensor::{DType, Tensor};
use serde_json::{json, Value};

use crate::layers::layer::{
    fmt_shape, CallContext, InputSpec, Layer, LayerBase, LayerRef, LayerState, Shape,
};
use crate::layers::rnn::cell::{access_of, CellAccess, FusedParts, RnnCell};
use crate::{Error, Result};

/// A recurrent layer over any [`RnnCell`] (`keras.layers.RNN(cell)`); `SimpleRNN`,
/// `LSTM` and `GRU` are this over their cells.
///
/// Inputs: the sequence `(batch, time, features)`, optionally followed by initial states
/// (Keras's `initial_state`, one `(batch, size)` tensor per state). Outputs: the last
/// output `(batch, units)` or, with `return_sequences`, every step's `(batch, time,
/// units)`; with `return_state`, the final states follow (flattened for stacked cells).
///
/// A Keras mask on the sequence skips steps: a masked step keeps the previous states and
/// repeats the previous output (zeros before the first kept step), or outputs zeros with
/// `zero_output_for_mask`. `go_backwards` processes the sequence reversed and returns
/// the outputs in processing order. `stateful` carries the final states into the next
/// call ([`RNN::reset_states`] zeroes them). `unroll` is accepted and ignored: the loop
/// is the same either way.
///
/// The input projection of the whole sequence is one matmul before the loop; each step
/// then does one recurrent matmul and the gate arithmetic.
///
/// ```
/// use kiln::layers::{LSTMCell, LayerRef, RNN};
/// use kiln_tensor::{DType, Tensor};
/// let rnn = LayerRef::new(RNN::new(LSTMCell::new(4)).return_sequences(true).return_state(true));
/// let out = rnn.call_multi(&[Tensor::ones(&[2, 5, 3], DType::F32)], None)?;
/// assert_eq!(out[0].shape(), &[2, 5, 4]);
/// assert_eq!(out[1].shape(), &[2, 4]); // h
/// assert_eq!(out[2].shape(), &[2, 4]); // c
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct RNN {
    base: LayerBase,
    class: &'static str,
    cell: LayerRef,
    access: CellAccess,
    pub(crate) return_sequences: bool,
    pub(crate) return_state: bool,
    pub(crate) go_backwards: bool,
    pub(crate) stateful: bool,
    pub(crate) unroll: bool,
    pub(crate) zero_output_for_mask: bool,
    states: Option<Vec<Tensor>>,
}

fn err(msg: String) -> Error {
    Error::InvalidArgument {
        api: "RNN.call",
        msg,
    }
}

impl RNN {
    /// An `RNN` over `cell` with Keras's defaults.
    pub fn new<C: RnnCell + 'static>(cell: C) -> RNN {
        RNN::with_class("RNN", "rnn", LayerRef::new(cell), access_of::<C>())
    }

    pub(crate) fn with_class(
        class: &'static str,
        prefix: &str,
        cell: LayerRef,
        access: CellAccess,
    ) -> RNN {
        RNN {
            base: LayerBase::new(prefix),
            class,
            cell,
            access,
            return_sequences: false,
            return_state: false,
            go_backwards: false,
            stateful: false,
            unroll: false,
            zero_output_for_mask: false,
            states: None,
        }
    }

    /// Returns every step's output instead of the last one.
    pub fn return_sequences(mut self, on: bool) -> Self {
        self.return_sequences = on;
        self
    }
    /// Also returns the final states.
    pub fn return_state(mut self, on: bool) -> Self {
        self.return_state = on;
        self
    }
    /// Processes the sequence backwards.
    pub fn go_backwards(mut self, on: bool) -> Self {
        self.go_backwards = on;
        self
    }
    /// Carries the final states into the next call.
    pub fn stateful(mut self, on: bool) -> Self {
        self.stateful = on;
        self
    }
    /// Accepted for Keras compatibility; has no effect.
    pub fn unroll(mut self, on: bool) -> Self {
        self.unroll = on;
        self
    }
    /// Masked steps output zeros instead of repeating the previous output.
    pub fn zero_output_for_mask(mut self, on: bool) -> Self {
        self.zero_output_for_mask = on;
        self
    }
    /// Sets the name.
    pub fn name(mut self, name: &str) -> Self {
        self.base.set_name(name);
        self
    }
    /// Declares the input shape `(time, features)` without the batch axis.
    pub fn input_shape(mut self, shape: &[usize]) -> Self {
        self.base.set_input_shape(shape);
        self
    }

    /// Replaces the cell (before the layer is built).
    pub(crate) fn set_cell(&mut self, cell: LayerRef, access: CellAccess) {
        self.cell = cell;
        self.access = access;
    }

    /// The cell.
    pub fn cell(&self) -> &LayerRef {
        &self.cell
    }

    /// The carried states of a stateful layer (after its first call).
    pub fn states(&self) -> Option<&[Tensor]> {
        self.states.as_deref()
    }

    /// Zeroes the carried states of a stateful layer (Keras's `reset_states`).
    ///
    /// ```
    /// use kiln::layers::{LayerRef, SimpleRNN};
    /// use kiln_tensor::{DType, Tensor};
    /// let l = LayerRef::new(SimpleRNN::new(2).stateful(true));
    /// let x = Tensor::ones(&[1, 3, 1], DType::F32);
    /// let a = l.call(&x)?.to_vec::<f32>()?;
    /// let b = l.call(&x)?.to_vec::<f32>()?; // starts from a's final state
    /// assert_ne!(a, b);
    /// l.downcast(|s: &mut SimpleRNN| s.reset_states());
    /// assert_eq!(l.call(&x)?.to_vec::<f32>()?, a);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn reset_states(&mut self) {
        if let Some(s) = &mut self.states {
            for t in s.iter_mut() {
                *t = t.zeros_like();
            }
        }
    }

    pub(crate) fn with_cell<R>(&self, f: impl FnOnce(&mut dyn RnnCell) -> Result<R>) -> Result<R> {
        let mut g = self.cell.lock();
        let name = g.base().name().to_string();
        let cell = (self.access)(&mut *g)
            .ok_or_else(|| err(format!("layer '{name}' is not an RNN cell")))?;
        f(cell)
    }

    fn state_sizes(&self) -> Vec<usize> {
        self.with_cell(|c| Ok(c.state_size())).unwrap_or_default()
    }

    fn output_size(&self) -> usize {
        self.with_cell(|c| Ok(c.output_size())).unwrap_or(0)
    }

    /// The flags of the config (Keras's `RNN.get_config` keys besides the cell).
    pub(crate) fn write_flags(&self, c: &mut serde_json::Map<String, Value>) {
        c.insert("return_sequences".into(), json!(self.return_sequences));
        c.insert("return_state".into(), json!(self.return_state));
        c.insert("go_backwards".into(), json!(self.go_backwards));
        c.insert("stateful".into(), json!(self.stateful));
        c.insert("unroll".into(), json!(self.unroll));
        c.insert(
            "zero_output_for_mask".into(),
            json!(self.zero_output_for_mask),
        );
    }

    /// Reads the flags from a config.
    pub(crate) fn read_flags(mut self, class: &str, c: &Value) -> Result<Self> {
        use crate::layers::registry::get_bool;
        self.return_sequences = get_bool(class, c, "return_sequences", false)?;
        self.return_state = get_bool(class, c, "return_state", false)?;
        self.go_backwards = get_bool(class, c, "go_backwards", false)?;
        self.stateful = get_bool(class, c, "stateful", false)?;
        self.unroll = get_bool(class, c, "unroll", false)?;
        self.zero_output_for_mask = get_bool(class, c, "zero_output_for_mask", false)?;
        // tf.keras 2 configs also carry `time_major` and `implementation`; the latter only
        // picks an equivalent computation, the former changes the input layout.
        if get_bool(class, c, "time_major", false)? {
            return Err(crate::Error::InvalidArgument {
                api: "layers.from_config",
                msg: format!(
                    "{class}: time_major=True (tf.keras 2: inputs as (time, batch, features)) is not supported; transpose the inputs to (batch, time, features) and use time_major=False"
                ),
            });
        }
        Ok(self)
    }

    /// The mask as `(batch, time)` booleans, checked against the input.
    fn check_mask(&self, mask: &Tensor, b: usize, t: usize) -> Result<Tensor> {
        let s = mask.shape();
        let ok = s.len() >= 2 && s[0] == b && s[1] == t && s[2..].iter().all(|&d| d == 1);
        if !ok {
            return Err(err(format!(
                "layer '{}': the mask has shape {}, but the input's batch and time are \
                 ({b}, {t}); expected a mask of shape ({b}, {t})",
                self.base.name(),
                fmt_shape(&s.iter().map(|&d| Some(d)).collect::<Vec<_>>())
            )));
        }
        let m = mask.reshape(&[b as isize, t as isize])?;
        Ok(if m.dtype() == DType::Bool {
            m
        } else {
            m.cast(DType::Bool)?
        })
    }

    /// Initial states: given ones (checked), carried ones (stateful), or zeros.
    fn initial_states(&self, given: &[Tensor], b: usize, dtype: DType) -> Result<Vec<Tensor>> {
        let sizes = self.state_sizes();
        if !given.is_empty() {
            if given.len() != sizes.len() {
                return Err(err(format!(
                    "layer '{}' has {} states, but {} initial states were given",
                    self.base.name(),
                    sizes.len(),
                    given.len()
                )));
            }
            for (i, (s, &n)) in given.iter().zip(&sizes).enumerate() {
                if s.shape() != [b, n] {
                    return Err(err(format!(
                        "layer '{}': initial state {i} has shape {}, expected ({b}, {n})",
                        self.base.name(),
                        fmt_shape(&s.shape().iter().map(|&d| Some(d)).collect::<Vec<_>>())
                    )));
                }
            }
            return given
                .iter()
                .map(|s| {
                    if s.dtype() == dtype {
                        Ok(s.clone())
                    } else {
                        Ok(s.cast(dtype)?)
                    }
                })
                .collect();
        }
        if self.stateful
            && let Some(s) = &self.states
        {
            if s.first().is_some_and(|t| t.shape()[0] != b) {
                return Err(err(format!(
                    "layer '{}' is stateful with batch size {}, but received a batch \
                     of {b}",
                    self.base.name(),
                    s[0].shape()[0]
                )));
            }
            return Ok(s.clone());
        }
        Ok(sizes
            .iter()
            .map(|&n| Tensor::zeros(&[b, n], dtype))
            .collect())
    }

    fn run(&mut self, inputs: &[Tensor], ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = inputs
            .first()
            .ok_or_else(|| err(format!("{} needs an input sequence", self.class)))?;
        if x.rank() != 3 {
            return Err(err(format!(
                "layer '{}' expects a (batch, time, features) sequence, got shape {:?}",
                self.base.name(),
                x.shape()
            )));
        }
        let (b, t, d) = (x.shape()[0], x.shape()[1], x.shape()[2]);
        if t == 0 {
            return Err(err(format!(
                "layer '{}' received a sequence with no time steps",
                self.base.name()
            )));
        }
        let dtype = self.base.compute_dtype();
        let x = if x.dtype() == dtype {
            x.clone()
        } else {
            x.cast(dtype)?
        };
        let mut states = self.initial_states(&inputs[1..], b, dtype)?;
        let mask = match ctx.mask(0) {
            Some(m) => Some(self.check_mask(m, b, t)?),
            None => None,
        };
        let training = ctx.training;
        let (back, zero_out, ret_seq) = (
            self.go_backwards,
            self.zero_output_for_mask,
            self.return_sequences,
        );
        if let Some(parts) = self.fused_parts(training) {
            return self.run_fused(&x, parts, &states, mask.as_ref());
        }
        let (last, outputs, states) = {
            let mut g = self.cell.lock();
            let cell =
                (self.access)(&mut *g).ok_or_else(|| err("the cell is not an RNN cell".into()))?;
            cell.begin(b, d, training)?;
            let r = (|| -> Result<(Tensor, Vec<Tensor>, Vec<Tensor>)> {
                let mut xp = cell.precompute(&x)?;
                let mut mask = mask.clone();
                if back {
                    xp = xp.reverse(&[1])?;
                    mask = mask.map(|m| m.reverse(&[1])).transpose()?;
                }
                let steps = xp.unstack(1)?;
                let mask_steps: Option<Vec<Tensor>> = match &mask {
                    Some(m) => Some(
                        m.unstack(1)?
                            .into_iter()
                            .map(|s| s.reshape(&[b as isize, 1]))
                            .collect::<std::result::Result<_, _>>()?,
                    ),
                    None => None,
                };
                let mut prev: Option<Tensor> = None;
                let mut outputs = Vec::with_capacity(if ret_seq { t } else { 0 });
                for (i, xt) in steps.iter().enumerate() {
                    let (mut out, new_states) = cell.step(xt, &states, training)?;
                    if let Some(ms) = &mask_steps {
                        let m = &ms[i];
                        let fallback = match (&prev, zero_out) {
                            (Some(p), false) => p.clone(),
                            _ => out.zeros_like(),
                        };
                        out = Tensor::where_cond(m, &out, &fallback)?;
                        states = new_states
                            .iter()
                            .zip(&states)
                            .map(|(n, o)| Tensor::where_cond(m, n, o))
                            .collect::<std::result::Result<_, _>>()?;
                    } else {
                        states = new_states;
                    }
                    if ret_seq {
                        outputs.push(out.clone());
                    }
                    prev = Some(out);
                }
                let last = prev.ok_or_else(|| err("no time steps".into()))?;
                Ok((last, outputs, states))
            })();
            cell.end();
            r?
        };
        if self.stateful {
            self.states = Some(states.iter().map(|s| s.stop_gradient()).collect());
        }
        let output = if ret_seq {
            Tensor::stack(&outputs.iter().collect::<Vec<_>>(), 1)?
        } else {
            last
        };
        let mut out = vec![output];
        if self.return_state {
            out.extend(states);
        }
        Ok(out)
    }
}

impl RNN {
    /// The options of a built-in cell (`None` for other cells).
    pub(crate) fn cell_options(&self) -> Option<super::CellOptions> {
        let mut g = self.cell.lock();
        (self.access)(&mut *g)?.options().cloned()
    }

    /// The cell's weights for the fused sequence op when this call can take it: an
    /// LSTM or GRU cell with the default activations and no dropout in effect, f32 or
    /// f64, not stateful or unrolled, and no second tape recording (the fused backward
    /// is not itself differentiable, so nested tapes get the per-step path).
    fn fused_parts(&self, training: bool) -> Option<FusedParts> {
        if self.stateful
            || self.unroll
            || !matches!(self.base.compute_dtype(), DType::F32 | DType::F64)
            || kiln_tensor::autodiff::nested_recording()
        {
            return None;
        }
        let mut g = self.cell.lock();
        (self.access)(&mut *g)?.fused_parts(training)
    }

    /// The whole sequence as one fused op (see [`Tensor::recurrent_sequence`]).
    fn run_fused(
        &self,
        x: &Tensor,
        p: FusedParts,
        states: &[Tensor],
        mask: Option<&Tensor>,
    ) -> Result<Vec<Tensor>> {
        let opts = SequenceOptions {
            go_backwards: self.go_backwards,
            zero_output_for_mask: self.zero_output_for_mask,
        };
        let mut outs = x.recurrent_sequence(
            p.cell,
            &p.kernel,
            &p.recurrent_kernel,
            p.bias.as_ref(),
            states,
            mask,
            opts,
        )?;
        let seq = outs.remove(0);
        let output = if self.return_sequences {
            seq
        } else {
            let (b, t, u) = (seq.shape()[0], seq.shape()[1], seq.shape()[2]);
            seq.slice(&[0, t as isize - 1, 0], &[b as isize, 1, u as isize])?
                .reshape(&[b as isize, u as isize])?
        };
        let mut out = vec![output];
        if self.return_state {
            out.extend(outs);
        }
        Ok(out)
    }
}

impl LayerState for RNN {
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
        vec![self.cell.clone()]
    }
}

impl Layer for RNN {
    fn call_args(&self) -> crate::layers::CallArgs {
        crate::layers::CallArgs::InitialState
    }
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let s = input_shapes.first().cloned().unwrap_or_default();
        let feat = match (s.len(), s.last()) {
            (3, Some(Some(d))) => *d,
            _ => {
                return Err(Error::InvalidArgument {
                    api: "RNN.build",
                    msg: format!(
                        "layer '{}' expects inputs of shape (batch, time, features) with known \
                         features, got {}",
                        self.base.name(),
                        fmt_shape(&s)
                    ),
                })
            }
        };
        if !self.cell.built() {
            // The cell computes and keeps its weights under the layer's policy (Keras
            // passes the RNN's dtype to the cell it makes).
            let policy = self.base.dtype_policy().clone();
            if self.base.dtype == policy.variable_dtype() {
                self.cell.lock().base_mut().set_dtype_policy(policy);
            }
            self.cell.build(&[vec![s[0], Some(feat)]])?;
        }
        let mut specs = vec![InputSpec::ndim(3).with_axis(-1, feat)];
        for n in self.state_sizes() {
            specs.push(InputSpec::ndim(2).with_axis(-1, n));
        }
        self.base.input_spec = Some(specs);
        Ok(())
    }

    fn call(&mut self, inputs: &[Tensor], ctx: &CallContext) -> Result<Vec<Tensor>> {
        self.run(inputs, ctx)
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
        let mut out = vec![m];
        if self.return_state {
            out.extend(self.state_sizes().iter().map(|_| None));
        }
        Ok(out)
    }

    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let s = input_shapes.first()?;
        if s.len() != 3 {
            return None;
        }
        let u = Some(self.output_size());
        let mut out = vec![if self.return_sequences {
            vec![s[0], s[1], u]
        } else {
            vec![s[0], u]
        }];
        if self.return_state {
            out.extend(self.state_sizes().iter().map(|&n| vec![s[0], Some(n)]));
        }
        Some(Ok(out))
    }

    fn saveable_children(&self) -> Vec<(String, LayerRef)> {
        vec![("cell".into(), self.cell.clone())]
    }

    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        self.write_flags(&mut c);
        if self.class == "RNN" {
            c.insert("cell".into(), crate::saving::serialize_layer(&self.cell));
        } else {
            let kind = match self.class {
                "LSTM" => "lstm",
                "GRU" => "gru",
                _ => "simple",
            };
            if let Some(o) = self.cell_options() {
                o.write_config(kind, &mut c);
            }
            let reg = self
                .base
                .activity_regularizer
                .as_ref()
                .map(|r| r.get_config())
                .unwrap_or(Value::Null);
            c.insert("activity_regularizer".into(), reg);
        }
        Value::Object(c)
    }
}
