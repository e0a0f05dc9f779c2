//! `LSTMCell`: gates `i, f, c, o` in that column order of `kernel (in, 4u)`,
//! `recurrent_kernel (u, 4u)` and `bias (4u)`.

use kiln_tensor::{Tensor, Variable};
use serde_json::Value;

use crate::initializers::Initializer;
use crate::layers::layer::{CallContext, Layer, LayerBase, LayerState, Shape};
use crate::layers::rnn::cell::{
    call_as_layer, cell_option_builders, CellOptions, FusedParts, RnnCell,
};
use crate::layers::rnn::dropout_masks::DropoutMasks;
use crate::layers::rnn::weights::{
    act, add_bias, add_kernels, gate, input_dim, project, recurrent,
};
use crate::{Error, Result};

/// The long short-term memory cell (`keras.layers.LSTMCell`). States `[h, c]`; with
/// `unit_forget_bias` (default) the forget gate's bias starts at 1. Called as a layer on
/// `[x_t, h, c]` it returns `[output, new_h, new_c]`.
///
/// ```
/// use kiln::layers::{LayerRef, LSTMCell};
/// use kiln_tensor::{DType, Tensor};
/// let cell = LayerRef::new(LSTMCell::new(2));
/// let x = Tensor::ones(&[1, 3], DType::F32);
/// let s = Tensor::zeros(&[1, 2], DType::F32);
/// let out = cell.call_multi(&[x, s.clone(), s], None)?;
/// assert_eq!(out.len(), 3);
/// let bias = cell.get_weights()[2].to_vec::<f32>()?;
/// assert_eq!(bias, vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct LSTMCell {
    base: LayerBase,
    pub(crate) opts: CellOptions,
    kernel: Option<Variable>,
    recurrent_kernel: Option<Variable>,
    bias: Option<Variable>,
    masks: DropoutMasks,
}

impl LSTMCell {
    /// A cell of `units` with Keras's defaults.
    pub fn new(units: usize) -> LSTMCell {
        LSTMCell::from_options(CellOptions::new(units))
    }

    /// A cell from explicit options.
    ///
    /// ```
    /// let c = kiln::layers::LSTMCell::from_options(kiln::layers::CellOptions::new(2));
    /// assert_eq!(kiln::layers::RnnCell::state_size(&c), vec![2, 2]);
    /// ```
    pub fn from_options(opts: CellOptions) -> LSTMCell {
        LSTMCell {
            base: LayerBase::new("lstm_cell"),
            masks: DropoutMasks::new(opts.seed),
            opts,
            kernel: None,
            recurrent_kernel: None,
            bias: None,
        }
    }

    /// Applies `f` to the options (before the cell is built).
    pub fn edit_options(mut self, f: impl FnOnce(&mut CellOptions)) -> Self {
        f(&mut self.opts);
        self.masks = DropoutMasks::new(self.opts.seed);
        self
    }

    /// Whether the forget gate's bias starts at 1 (default true).
    pub fn unit_forget_bias(self, on: bool) -> Self {
        self.edit_options(|o| o.unit_forget_bias = on)
    }

    /// Sets the name.
    pub fn name(mut self, name: &str) -> Self {
        self.base.set_name(name);
        self
    }

    /// The weights for the fused sequence op, when this call can use it.
    fn fused_weights(&self, training: bool) -> Option<FusedParts> {
        if !self.opts.fusable(training) {
            return None;
        }
        let (kernel, recurrent_kernel) = self.weights().ok()?;
        Some(FusedParts {
            cell: kiln_tensor::ops::rnn::RecurrentCell::Lstm,
            kernel,
            recurrent_kernel,
            bias: self.bias.as_ref().map(|b| b.value()),
        })
    }

    fn weights(&self) -> Result<(Tensor, Tensor)> {
        match (&self.kernel, &self.recurrent_kernel) {
            (Some(k), Some(r)) => Ok((k.value(), r.value())),
            _ => Err(Error::InvalidArgument {
                api: "LSTMCell.call",
                msg: "the cell is not built".into(),
            }),
        }
    }

    /// Keras switches to per-gate dropout masks when recurrent dropout is on.
    fn mask_count(&self) -> usize {
        if self.opts.recurrent_dropout != 0.0 {
            4
        } else {
            1
        }
    }
}

cell_option_builders!(LSTMCell);

impl LayerState for LSTMCell {
    fn base(&self) -> &LayerBase {
        &self.base
    }
    fn base_mut(&mut self) -> &mut LayerBase {
        &mut self.base
    }
    fn class_name(&self) -> &'static str {
        "LSTMCell"
    }
}

impl RnnCell for LSTMCell {
    fn fused_parts(&self, training: bool) -> Option<FusedParts> {
        self.fused_weights(training)
    }
    fn options(&self) -> Option<&CellOptions> {
        Some(&self.opts)
    }
    fn state_size(&self) -> Vec<usize> {
        vec![self.opts.units, self.opts.units]
    }
    fn output_size(&self) -> usize {
        self.opts.units
    }
    fn begin(&mut self, batch: usize, input_dim: usize, training: bool) -> Result<()> {
        let n = self.mask_count();
        let o = &self.opts;
        self.masks.draw(
            training,
            batch,
            input_dim,
            o.units,
            o.dropout,
            o.recurrent_dropout,
            n,
            self.base.compute_dtype(),
        )
    }
    fn end(&mut self) {
        self.masks.clear();
    }
    fn precompute(&mut self, x: &Tensor) -> Result<Tensor> {
        let (k, _) = self.weights()?;
        let y = project(x, &k, &self.masks.input, self.opts.units)?;
        match &self.bias {
            Some(b) => Ok(y.bias_add(&b.value())?),
            None => Ok(y),
        }
    }
    fn step(&mut self, x: &Tensor, states: &[Tensor], _: bool) -> Result<(Tensor, Vec<Tensor>)> {
        let (_, rk) = self.weights()?;
        let u = self.opts.units;
        let (h, c) = (&states[0], &states[1]);
        let z = x.add(&recurrent(h, &rk, &self.masks.recurrent, u)?)?;
        // One activation over all four gates, then the candidate from z itself.
        let ra = self.opts.recurrent_activation;
        let a = act(ra, &z)?;
        let i = gate(&a, 0, u)?;
        let f = gate(&a, 1, u)?;
        let o = gate(&a, 3, u)?;
        let g = act(self.opts.activation, &gate(&z, 2, u)?)?;
        let c = f.mul(c)?.add(&i.mul(&g)?)?;
        let h = o.mul(&act(self.opts.activation, &c)?)?;
        Ok((h.clone(), vec![h, c]))
    }
}

impl Layer for LSTMCell {
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let d = input_dim("LSTMCell", input_shapes)?;
        let u = self.opts.units;
        let (k, r) = add_kernels(&mut self.base, &self.opts, d, 4)?;
        self.kernel = Some(k);
        self.recurrent_kernel = Some(r);
        if self.opts.use_bias {
            let dt = self.base.dtype;
            let init = self.opts.bias_initializer.clone();
            let v = add_bias(&mut self.base, &self.opts, &[4 * u], &Initializer::Zeros)?;
            let value = if self.opts.unit_forget_bias {
                // Keras: init(u), ones(u), init(2u), concatenated.
                let a = init.call(&[u], dt)?;
                let b = Tensor::ones(&[u], dt);
                let c = init.call(&[2 * u], dt)?;
                Tensor::concat(&[&a, &b, &c], 0)?
            } else {
                init.call(&[4 * u], dt)?
            };
            v.assign(&value)?;
            self.bias = Some(v);
        }
        Ok(())
    }
    fn call(&mut self, inputs: &[Tensor], ctx: &CallContext) -> Result<Vec<Tensor>> {
        call_as_layer(self, inputs, ctx.training, "LSTMCell")
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        self.opts.write_config("lstm", &mut c);
        Value::Object(c)
    }
}
