//! `SimpleRNN`, `LSTM` and `GRU`: an [`RNN`] over their cell, configured with the cell's
//! arguments as Keras's layers are.

use kiln_tensor::Tensor;
use serde_json::Value;

use crate::layers::layer::{CallContext, Layer, LayerBase, LayerRef, LayerState, Shape};
use crate::layers::rnn::cell::{access_of, cell_option_builders, CellOptions};
use crate::layers::rnn::{GRUCell, LSTMCell, SimpleRNNCell, RNN};
use crate::Result;

macro_rules! rnn_layer {
    ($(#[$doc:meta])* $ty:ident, $cell:ident, $prefix:literal, $cell_name:literal) => {
        $(#[$doc])*
        pub struct $ty {
            rnn: RNN,
            opts: CellOptions,
        }

        impl $ty {
            /// A layer of `units` with Keras's defaults.
            pub fn new(units: usize) -> $ty {
                $ty::from_options(CellOptions::new(units))
            }

            /// A layer from explicit cell options.
            pub fn from_options(opts: CellOptions) -> $ty {
                let cell = $cell::from_options(opts.clone()).name($cell_name);
                $ty {
                    rnn: RNN::with_class(
                        stringify!($ty),
                        $prefix,
                        LayerRef::new(cell),
                        access_of::<$cell>(),
                    ),
                    opts,
                }
            }

            /// Applies `f` to the cell options (before the layer is built).
            pub fn edit_options(mut self, f: impl FnOnce(&mut CellOptions)) -> Self {
                f(&mut self.opts);
                let cell = $cell::from_options(self.opts.clone()).name($cell_name);
                self.rnn.set_cell(LayerRef::new(cell), access_of::<$cell>());
                self
            }

            /// Returns every step's output instead of the last one.
            pub fn return_sequences(mut self, on: bool) -> Self {
                self.rnn = self.rnn.return_sequences(on);
                self
            }
            /// Also returns the final states.
            pub fn return_state(mut self, on: bool) -> Self {
                self.rnn = self.rnn.return_state(on);
                self
            }
            /// Processes the sequence backwards.
            pub fn go_backwards(mut self, on: bool) -> Self {
                self.rnn = self.rnn.go_backwards(on);
                self
            }
            /// Carries the final states into the next call.
            pub fn stateful(mut self, on: bool) -> Self {
                self.rnn = self.rnn.stateful(on);
                self
            }
            /// Accepted for Keras compatibility; has no effect.
            pub fn unroll(mut self, on: bool) -> Self {
                self.rnn = self.rnn.unroll(on);
                self
            }
            /// Masked steps output zeros instead of repeating the previous output.
            pub fn zero_output_for_mask(mut self, on: bool) -> Self {
                self.rnn = self.rnn.zero_output_for_mask(on);
                self
            }
            /// Sets the name.
            pub fn name(mut self, name: &str) -> Self {
                self.rnn = self.rnn.name(name);
                self
            }
            /// Declares the input shape `(time, features)` without the batch axis.
            pub fn input_shape(mut self, shape: &[usize]) -> Self {
                self.rnn = self.rnn.input_shape(shape);
                self
            }
            /// Penalty on the output.
            pub fn activity_regularizer(mut self, r: crate::regularizers::Regularizer) -> Self {
                self.rnn.base_mut().activity_regularizer = Some(r);
                self
            }
            /// Zeroes the carried states of a stateful layer.
            pub fn reset_states(&mut self) {
                self.rnn.reset_states();
            }
            /// The carried states of a stateful layer.
            pub fn states(&self) -> Option<&[Tensor]> {
                self.rnn.states()
            }
            /// The cell.
            pub fn cell(&self) -> &LayerRef {
                self.rnn.cell()
            }
            /// Number of units.
            pub fn units(&self) -> usize {
                self.opts.units
            }

            pub(crate) fn from_keras_config(c: &Value) -> Result<$ty> {
                let class = stringify!($ty);
                let opts = CellOptions::from_config(class, c)?;
                let mut l = $ty::from_options(opts);
                l.rnn = l.rnn.read_flags(class, c)?;
                if let Some(r) = crate::layers::registry::regularizer(class, c, "activity_regularizer")? {
                    l = l.activity_regularizer(r);
                }
                Ok(l)
            }
        }

        cell_option_builders!($ty);

        impl LayerState for $ty {
            fn base(&self) -> &LayerBase {
                self.rnn.base()
            }
            fn base_mut(&mut self) -> &mut LayerBase {
                self.rnn.base_mut()
            }
            fn class_name(&self) -> &'static str {
                stringify!($ty)
            }
            fn sublayers(&self) -> Vec<LayerRef> {
                self.rnn.sublayers()
            }
        }

        impl Layer for $ty {
            fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
                self.rnn.build(input_shapes)
            }
            fn call(&mut self, inputs: &[Tensor], ctx: &CallContext) -> Result<Vec<Tensor>> {
                self.rnn.call(inputs, ctx)
            }
            fn supports_masking(&self) -> bool {
                true
            }
            fn compute_mask(
                &self,
                inputs: &[Tensor],
                masks: &[Option<Tensor>],
            ) -> Result<Vec<Option<Tensor>>> {
                self.rnn.compute_mask(inputs, masks)
            }
            fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
                self.rnn.compute_output_shape(input_shapes)
            }
            fn saveable_children(&self) -> Vec<(String, LayerRef)> {
                self.rnn.saveable_children()
            }
            fn get_config(&self) -> Value {
                self.rnn.get_config()
            }
        }
    };
}

rnn_layer!(
    /// Fully connected RNN (`keras.layers.SimpleRNN`), an [`RNN`] over a
    /// [`SimpleRNNCell`] named `simple_rnn_cell`.
    ///
    /// ```
    /// use kiln::layers::{LayerRef, SimpleRNN};
    /// use kiln_tensor::{DType, Tensor};
    /// let l = LayerRef::new(SimpleRNN::new(8));
    /// let y = l.call(&Tensor::ones(&[2, 5, 3], DType::F32))?;
    /// assert_eq!(y.shape(), &[2, 8]);
    /// assert_eq!(l.count_params(), 3 * 8 + 8 * 8 + 8);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    SimpleRNN,
    SimpleRNNCell,
    "simple_rnn",
    "simple_rnn_cell"
);

rnn_layer!(
    /// Long short-term memory layer (`keras.layers.LSTM`), an [`RNN`] over an
    /// [`LSTMCell`] named `lstm_cell`.
    ///
    /// ```
    /// use kiln::layers::{LayerRef, LSTM};
    /// use kiln_tensor::{DType, Tensor};
    /// let l = LayerRef::new(LSTM::new(50).return_sequences(true));
    /// let y = l.call(&Tensor::ones(&[2, 10, 1], DType::F32))?;
    /// assert_eq!(y.shape(), &[2, 10, 50]);
    /// assert_eq!(l.count_params(), 10400);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    LSTM,
    LSTMCell,
    "lstm",
    "lstm_cell"
);

rnn_layer!(
    /// Gated recurrent unit layer (`keras.layers.GRU`, `reset_after = true` by
    /// default), an [`RNN`] over a [`GRUCell`] named `gru_cell`.
    ///
    /// ```
    /// use kiln::layers::{LayerRef, GRU};
    /// use kiln_tensor::{DType, Tensor};
    /// let l = LayerRef::new(GRU::new(50));
    /// let y = l.call(&Tensor::ones(&[2, 10, 1], DType::F32))?;
    /// assert_eq!(y.shape(), &[2, 50]);
    /// assert_eq!(l.count_params(), 7950);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    GRU,
    GRUCell,
    "gru",
    "gru_cell"
);

impl LSTM {
    /// Whether the forget gate's bias starts at 1 (default true).
    pub fn unit_forget_bias(self, on: bool) -> Self {
        self.edit_options(|o| o.unit_forget_bias = on)
    }
}

impl GRU {
    /// Whether the reset gate applies after the recurrent matmul (default true).
    pub fn reset_after(self, on: bool) -> Self {
        self.edit_options(|o| o.reset_after = on)
    }
}

/// Sets `zero_output_for_mask` on a recurrent layer (Bidirectional forces it to
/// `return_sequences`); false when `layer` is not one.
pub(crate) fn set_zero_output_for_mask(layer: &LayerRef, on: bool) -> bool {
    layer
        .downcast(|l: &mut RNN| l.zero_output_for_mask = on)
        .or_else(|| layer.downcast(|l: &mut SimpleRNN| l.rnn.zero_output_for_mask = on))
        .or_else(|| layer.downcast(|l: &mut LSTM| l.rnn.zero_output_for_mask = on))
        .or_else(|| layer.downcast(|l: &mut GRU| l.rnn.zero_output_for_mask = on))
        .is_some()
}
