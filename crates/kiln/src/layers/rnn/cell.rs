//! The protocol between the [`RNN`](super::RNN) wrapper and its cells ([`RnnCell`]), and
//! the options the built-in cells share ([`CellOptions`]).

use kiln_tensor::Tensor;
use serde_json::{json, Map, Value};

use crate::activations::Activation;
use crate::constraints::Constraint;
use crate::initializers::Initializer;
use crate::layers::layer::Layer;
use crate::layers::registry::{constraint, get_bool, get_f64, get_usize, initializer, regularizer};
use crate::regularizers::Regularizer;
use crate::{Error, Result};

/// A recurrent cell: what `keras.layers.RNN` iterates over the time axis.
///
/// The wrapper first calls [`RnnCell::precompute`] once on the whole sequence (the input
/// projection, one matmul for all time steps), then [`RnnCell::step`] once per step on the
/// projected slice for that step. [`RnnCell::begin`] and [`RnnCell::end`] bracket a call
/// (dropout masks are drawn in `begin` and stay fixed across the steps, as in Keras).
///
/// ```
/// use kiln::layers::{LSTMCell, RnnCell};
/// let cell = LSTMCell::new(4);
/// assert_eq!(cell.state_size(), vec![4, 4]);
/// assert_eq!(cell.output_size(), 4);
/// ```
pub trait RnnCell: Layer {
    /// Sizes of the cell's states (LSTM: `[units, units]`), flattened for stacked cells.
    fn state_size(&self) -> Vec<usize>;
    /// Size of the cell's output.
    fn output_size(&self) -> usize;
    /// Draws the call's dropout masks (training only).
    fn begin(&mut self, _batch: usize, _input_dim: usize, _training: bool) -> Result<()> {
        Ok(())
    }
    /// Forgets the call's dropout masks.
    fn end(&mut self) {}
    /// Projects the whole `(batch, time, features)` sequence before the time loop; the
    /// default passes it through.
    fn precompute(&mut self, x: &Tensor) -> Result<Tensor> {
        Ok(x.clone())
    }
    /// One time step on the projected input `(batch, ...)`: the output and new states.
    fn step(
        &mut self,
        x: &Tensor,
        states: &[Tensor],
        training: bool,
    ) -> Result<(Tensor, Vec<Tensor>)>;
    /// The weights for the fused whole-sequence op when this call can take it (the
    /// built-in LSTM and GRU cells with their default activations and no dropout in
    /// effect); `None`, the default, runs the time loop over [`RnnCell::step`].
    fn fused_parts(&self, _training: bool) -> Option<FusedParts> {
        None
    }
    /// The built-in cells' options, which the `LSTM`/`GRU`/`SimpleRNN` layers save in
    /// their own config; `None` for other cells.
    fn options(&self) -> Option<&CellOptions> {
        None
    }
}

/// How an `RNN` reaches its cell's [`RnnCell`] methods through a `LayerRef`.
pub(crate) type CellAccess =
    for<'a> fn(&'a mut (dyn Layer + 'static)) -> Option<&'a mut (dyn RnnCell + 'static)>;

/// The [`CellAccess`] of cell type `C`.
pub(crate) fn access_of<C: RnnCell + 'static>() -> CellAccess {
    |l| {
        l.as_any_mut()
            .downcast_mut::<C>()
            .map(|c| c as &mut dyn RnnCell)
    }
}

/// Runs one step of a cell called as a layer on `[x_t, states...]` (Keras's
/// `cell(inputs, states)`): returns `[output, new_states...]`.
pub(crate) fn call_as_layer(
    cell: &mut dyn RnnCell,
    inputs: &[Tensor],
    training: bool,
    class: &str,
) -> Result<Vec<Tensor>> {
    let sizes = cell.state_size();
    let x = inputs.first().ok_or_else(|| Error::InvalidArgument {
        api: "RNNCell.call",
        msg: format!("{class} needs an input"),
    })?;
    if x.rank() != 2 || inputs.len() != 1 + sizes.len() {
        return Err(Error::InvalidArgument {
            api: "RNNCell.call",
            msg: format!(
                "{class} is called on [inputs (batch, features), {} states], got {} tensors \
                 with input shape {:?}",
                sizes.len(),
                inputs.len(),
                x.shape()
            ),
        });
    }
    let b = x.shape()[0];
    for (s, &n) in inputs[1..].iter().zip(&sizes) {
        if s.shape() != [b, n] {
            return Err(Error::InvalidArgument {
                api: "RNNCell.call",
                msg: format!(
                    "{class}: a state has shape {:?}, expected {:?}",
                    s.shape(),
                    [b, n]
                ),
            });
        }
    }
    cell.begin(b, x.shape()[1], training)?;
    let mut run = || -> Result<Vec<Tensor>> {
        let xp = cell.precompute(&x.expand_dims(1)?)?.squeeze(&[1])?;
        let (out, states) = cell.step(&xp, &inputs[1..], training)?;
        let mut v = vec![out];
        v.extend(states);
        Ok(v)
    };
    let r = run();
    cell.end();
    r
}

/// The constructor arguments SimpleRNNCell, LSTMCell and GRUCell share (Keras's names
/// and defaults), and the layers built over them.
#[derive(Clone, Debug)]
pub struct CellOptions {
    /// Output and state size.
    pub units: usize,
    /// Activation of the candidate/output (default tanh).
    pub activation: Activation,
    /// Activation of the gates (default sigmoid; unused by SimpleRNN).
    pub recurrent_activation: Activation,
    /// Whether the cell has a bias.
    pub use_bias: bool,
    /// Initializer of `kernel` (glorot_uniform).
    pub kernel_initializer: Initializer,
    /// Initializer of `recurrent_kernel` (orthogonal).
    pub recurrent_initializer: Initializer,
    /// Initializer of `bias` (zeros).
    pub bias_initializer: Initializer,
    /// Penalty on `kernel`.
    pub kernel_regularizer: Option<Regularizer>,
    /// Penalty on `recurrent_kernel`.
    pub recurrent_regularizer: Option<Regularizer>,
    /// Penalty on `bias`.
    pub bias_regularizer: Option<Regularizer>,
    /// Constraint on `kernel`.
    pub kernel_constraint: Option<Constraint>,
    /// Constraint on `recurrent_kernel`.
    pub recurrent_constraint: Option<Constraint>,
    /// Constraint on `bias`.
    pub bias_constraint: Option<Constraint>,
    /// Fraction of the inputs dropped (training only; one mask for all steps).
    pub dropout: f64,
    /// Fraction of the recurrent state dropped (training only; one mask for all steps).
    pub recurrent_dropout: f64,
    /// Seed of the dropout masks.
    pub seed: Option<u64>,
    /// LSTM: add 1 to the forget gate's bias at initialization (default true).
    pub unit_forget_bias: bool,
    /// GRU: apply the reset gate after the recurrent matmul (default true, cuDNN style).
    pub reset_after: bool,
}

impl CellOptions {
    /// Keras's defaults for a cell of `units`.
    ///
    /// ```
    /// let o = kiln::layers::CellOptions::new(8);
    /// assert!(o.use_bias && o.unit_forget_bias && o.reset_after);
    /// ```
    pub fn new(units: usize) -> CellOptions {
        CellOptions {
            units,
            activation: Activation::Tanh,
            recurrent_activation: Activation::Sigmoid,
            use_bias: true,
            kernel_initializer: Initializer::GlorotUniform(None),
            recurrent_initializer: Initializer::Orthogonal {
                gain: 1.0,
                seed: None,
            },
            bias_initializer: Initializer::Zeros,
            kernel_regularizer: None,
            recurrent_regularizer: None,
            bias_regularizer: None,
            kernel_constraint: None,
            recurrent_constraint: None,
            bias_constraint: None,
            dropout: 0.0,
            recurrent_dropout: 0.0,
            seed: None,
            unit_forget_bias: true,
            reset_after: true,
        }
    }

    /// Reads the options from a Keras cell or layer config.
    pub(crate) fn from_config(class: &str, c: &Value) -> Result<CellOptions> {
        let mut o = CellOptions::new(get_usize(class, c, "units")?);
        if o.units == 0 {
            return Err(Error::InvalidArgument {
                api: "layers.from_config",
                msg: format!("{class}: 'units' must be positive, got 0"),
            });
        }
        let act = |key: &str, default: Activation| -> Result<Activation> {
            match c.get(key) {
                None => Ok(default),
                Some(Value::Null) => Ok(Activation::Linear),
                Some(Value::String(s)) => Activation::get(s),
                Some(v) => Err(Error::InvalidArgument {
                    api: "layers.from_config",
                    msg: format!("{class}: '{key}' must be an activation name, got {v}"),
                }),
            }
        };
        o.activation = act("activation", Activation::Tanh)?;
        o.recurrent_activation = act("recurrent_activation", Activation::Sigmoid)?;
        o.use_bias = get_bool(class, c, "use_bias", true)?;
        o.kernel_initializer = initializer(class, c, "kernel_initializer", o.kernel_initializer)?;
        o.recurrent_initializer =
            initializer(class, c, "recurrent_initializer", o.recurrent_initializer)?;
        o.bias_initializer = initializer(class, c, "bias_initializer", o.bias_initializer)?;
        o.kernel_regularizer = regularizer(class, c, "kernel_regularizer")?;
        o.recurrent_regularizer = regularizer(class, c, "recurrent_regularizer")?;
        o.bias_regularizer = regularizer(class, c, "bias_regularizer")?;
        o.kernel_constraint = constraint(class, c, "kernel_constraint")?;
        o.recurrent_constraint = constraint(class, c, "recurrent_constraint")?;
        o.bias_constraint = constraint(class, c, "bias_constraint")?;
        o.dropout = get_f64(class, c, "dropout", 0.0)?.clamp(0.0, 1.0);
        o.recurrent_dropout = get_f64(class, c, "recurrent_dropout", 0.0)?.clamp(0.0, 1.0);
        o.seed = c.get("seed").and_then(Value::as_u64);
        o.unit_forget_bias = get_bool(class, c, "unit_forget_bias", true)?;
        o.reset_after = get_bool(class, c, "reset_after", true)?;
        Ok(o)
    }

    /// Writes the options under Keras's keys; `kind` selects the keys the class has
    /// (`"simple"`, `"lstm"`, `"gru"`).
    pub(crate) fn write_config(&self, kind: &str, m: &mut Map<String, Value>) {
        let reg =
            |r: &Option<Regularizer>| r.as_ref().map(|r| r.get_config()).unwrap_or(Value::Null);
        let con =
            |r: &Option<Constraint>| r.as_ref().map(|r| r.get_config()).unwrap_or(Value::Null);
        m.insert("units".into(), json!(self.units));
        m.insert("activation".into(), json!(self.activation.name()));
        if kind != "simple" {
            m.insert(
                "recurrent_activation".into(),
                json!(self.recurrent_activation.name()),
            );
        }
        m.insert("use_bias".into(), json!(self.use_bias));
        if kind == "lstm" {
            m.insert("unit_forget_bias".into(), json!(self.unit_forget_bias));
        }
        m.insert(
            "kernel_initializer".into(),
            self.kernel_initializer.get_config(),
        );
        m.insert(
            "recurrent_initializer".into(),
            self.recurrent_initializer.get_config(),
        );
        m.insert(
            "bias_initializer".into(),
            self.bias_initializer.get_config(),
        );
        m.insert("kernel_regularizer".into(), reg(&self.kernel_regularizer));
        m.insert(
            "recurrent_regularizer".into(),
            reg(&self.recurrent_regularizer),
        );
        m.insert("bias_regularizer".into(), reg(&self.bias_regularizer));
        m.insert("kernel_constraint".into(), con(&self.kernel_constraint));
        m.insert(
            "recurrent_constraint".into(),
            con(&self.recurrent_constraint),
        );
        m.insert("bias_constraint".into(), con(&self.bias_constraint));
        m.insert("dropout".into(), json!(self.dropout));
        m.insert("recurrent_dropout".into(), json!(self.recurrent_dropout));
        if kind == "gru" {
            m.insert("reset_after".into(), json!(self.reset_after));
        }
        m.insert("seed".into(), json!(self.seed));
    }
}

impl CellOptions {
    /// Whether a call with these options can run as one fused sequence op: Keras's
    /// default activations, and no dropout mask drawn (dropout is only drawn in
    /// training, for rates strictly between 0 and 1).
    pub(crate) fn fusable(&self, training: bool) -> bool {
        let drops = |r: f64| training && r > 0.0 && r < 1.0;
        self.activation == crate::activations::Activation::Tanh
            && self.recurrent_activation == crate::activations::Activation::Sigmoid
            && !drops(self.dropout)
            && !drops(self.recurrent_dropout)
    }
}

/// The weights of a built cell in the layout of the fused sequence op.
pub struct FusedParts {
    pub cell: kiln_tensor::ops::rnn::RecurrentCell,
    pub kernel: Tensor,
    pub recurrent_kernel: Tensor,
    pub bias: Option<Tensor>,
}

/// Builder methods for the [`CellOptions`] of a cell or layer type that has
/// `fn edit_options(self, f: impl FnOnce(&mut CellOptions)) -> Self`.
macro_rules! cell_option_builders {
    ($ty:ty) => {
        impl $ty {
            /// Activation of the candidate/output by Keras name (default `"tanh"`).
            pub fn activation(self, name: &str) -> crate::Result<Self> {
                let a = crate::activations::Activation::get(name)?;
                Ok(self.edit_options(|o| o.activation = a))
            }
            /// Activation of the gates by Keras name (default `"sigmoid"`).
            pub fn recurrent_activation(self, name: &str) -> crate::Result<Self> {
                let a = crate::activations::Activation::get(name)?;
                Ok(self.edit_options(|o| o.recurrent_activation = a))
            }
            /// Whether to use a bias (default true).
            pub fn use_bias(self, use_bias: bool) -> Self {
                self.edit_options(|o| o.use_bias = use_bias)
            }
            /// Initializer of `kernel` (default glorot_uniform).
            pub fn kernel_initializer(
                self,
                init: impl Into<crate::initializers::Initializer>,
            ) -> Self {
                let init = init.into();
                self.edit_options(|o| o.kernel_initializer = init)
            }
            /// Initializer of `recurrent_kernel` (default orthogonal).
            pub fn recurrent_initializer(
                self,
                init: impl Into<crate::initializers::Initializer>,
            ) -> Self {
                let init = init.into();
                self.edit_options(|o| o.recurrent_initializer = init)
            }
            /// Initializer of `bias` (default zeros).
            pub fn bias_initializer(
                self,
                init: impl Into<crate::initializers::Initializer>,
            ) -> Self {
                let init = init.into();
                self.edit_options(|o| o.bias_initializer = init)
            }
            /// Penalty on `kernel`.
            pub fn kernel_regularizer(self, r: crate::regularizers::Regularizer) -> Self {
                self.edit_options(|o| o.kernel_regularizer = Some(r))
            }
            /// Penalty on `recurrent_kernel`.
            pub fn recurrent_regularizer(self, r: crate::regularizers::Regularizer) -> Self {
                self.edit_options(|o| o.recurrent_regularizer = Some(r))
            }
            /// Penalty on `bias`.
            pub fn bias_regularizer(self, r: crate::regularizers::Regularizer) -> Self {
                self.edit_options(|o| o.bias_regularizer = Some(r))
            }
            /// Fraction of the inputs dropped in training (clamped to [0, 1]).
            pub fn dropout(self, rate: f64) -> Self {
                self.edit_options(|o| o.dropout = rate.clamp(0.0, 1.0))
            }
            /// Fraction of the recurrent state dropped in training (clamped to [0, 1]).
            pub fn recurrent_dropout(self, rate: f64) -> Self {
                self.edit_options(|o| o.recurrent_dropout = rate.clamp(0.0, 1.0))
            }
            /// Seed of the dropout masks.
            pub fn seed(self, seed: u64) -> Self {
                self.edit_options(|o| o.seed = Some(seed))
            }
        }
    };
}
pub(crate) use cell_option_builders;
