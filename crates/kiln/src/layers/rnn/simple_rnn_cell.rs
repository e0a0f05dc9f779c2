//! `SimpleRNNCell`: `output = activation(x @ kernel + bias + h @ recurrent_kernel)`.

use kiln_tensor::{Tensor, Variable};
use serde_json::Value;

use crate::layers::layer::{CallContext, Layer, LayerBase, LayerState, Shape};
use crate::layers::rnn::cell::{call_as_layer, cell_option_builders, CellOptions, RnnCell};
use crate::layers::rnn::dropout_masks::DropoutMasks;
use crate::layers::rnn::weights::{act, add_bias, add_kernels, input_dim, project, recurrent};
use crate::{Error, Result};

/// The fully connected recurrent cell (`keras.layers.SimpleRNNCell`): kernel
/// `(input_dim, units)`, recurrent_kernel `(units, units)`, bias `(units,)`. Called as a
/// layer on `[x_t, h]` it returns `[output, new_h]`.
///
/// ```
/// use kiln::layers::{LayerRef, SimpleRNNCell};
/// use kiln_tensor::{DType, Tensor};
/// let cell = LayerRef::new(SimpleRNNCell::new(4));
/// let x = Tensor::ones(&[2, 3], DType::F32);
/// let h = Tensor::zeros(&[2, 4], DType::F32);
/// let out = cell.call_multi(&[x, h], None)?;
/// assert_eq!(out[0].shape(), &[2, 4]);
/// assert_eq!(cell.count_params(), 3 * 4 + 4 * 4 + 4);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct SimpleRNNCell {
    base: LayerBase,
    pub(crate) opts: CellOptions,
    kernel: Option<Variable>,
    recurrent_kernel: Option<Variable>,
    bias: Option<Variable>,
    masks: DropoutMasks,
}

impl SimpleRNNCell {
    /// A cell of `units` with Keras's defaults.
    pub fn new(units: usize) -> SimpleRNNCell {
        SimpleRNNCell::from_options(CellOptions::new(units))
    }

    /// A cell from explicit options.
    ///
    /// ```
    /// let c = kiln::layers::SimpleRNNCell::from_options(kiln::layers::CellOptions::new(2));
    /// assert_eq!(kiln::layers::RnnCell::output_size(&c), 2);
    /// ```
    pub fn from_options(opts: CellOptions) -> SimpleRNNCell {
        SimpleRNNCell {
            base: LayerBase::new("simple_rnn_cell"),
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

    /// Sets the name.
    pub fn name(mut self, name: &str) -> Self {
        self.base.set_name(name);
        self
    }

    fn weights(&self) -> Result<(Tensor, Tensor)> {
        match (&self.kernel, &self.recurrent_kernel) {
            (Some(k), Some(r)) => Ok((k.value(), r.value())),
            _ => Err(Error::InvalidArgument {
                api: "SimpleRNNCell.call",
                msg: "the cell is not built".into(),
            }),
        }
    }
}

cell_option_builders!(SimpleRNNCell);

impl LayerState for SimpleRNNCell {
    fn base(&self) -> &LayerBase {
        &self.base
    }
    fn base_mut(&mut self) -> &mut LayerBase {
        &mut self.base
    }
    fn class_name(&self) -> &'static str {
        "SimpleRNNCell"
    }
}

impl RnnCell for SimpleRNNCell {
    fn options(&self) -> Option<&CellOptions> {
        Some(&self.opts)
    }
    fn state_size(&self) -> Vec<usize> {
        vec![self.opts.units]
    }
    fn output_size(&self) -> usize {
        self.opts.units
    }
    fn begin(&mut self, batch: usize, input_dim: usize, training: bool) -> Result<()> {
        let o = &self.opts;
        self.masks.draw(
            training,
            batch,
            input_dim,
            o.units,
            o.dropout,
            o.recurrent_dropout,
            1,
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
        let h = x.add(&recurrent(
            &states[0],
            &rk,
            &self.masks.recurrent,
            self.opts.units,
        )?)?;
        let h = act(self.opts.activation, &h)?;
        Ok((h.clone(), vec![h]))
    }
}

impl Layer for SimpleRNNCell {
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let d = input_dim("SimpleRNNCell", input_shapes)?;
        let (k, r) = add_kernels(&mut self.base, &self.opts, d, 1)?;
        self.kernel = Some(k);
        self.recurrent_kernel = Some(r);
        if self.opts.use_bias {
            let init = self.opts.bias_initializer.clone();
            self.bias = Some(add_bias(
                &mut self.base,
                &self.opts,
                &[self.opts.units],
                &init,
            )?);
        }
        Ok(())
    }
    fn call(&mut self, inputs: &[Tensor], ctx: &CallContext) -> Result<Vec<Tensor>> {
        call_as_layer(self, inputs, ctx.training, "SimpleRNNCell")
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        self.opts.write_config("simple", &mut c);
        Value::Object(c)
    }
}
