//! `GRUCell`: gates `z, r, h` in that column order of `kernel (in, 3u)` and
//! `recurrent_kernel (u, 3u)`; bias `(2, 3u)` (input and recurrent rows) when
//! `reset_after` (the default), else `(3u,)`.

use kiln_tensor::{Tensor, Variable};
use serde_json::Value;

use crate::layers::layer::{CallContext, Layer, LayerBase, LayerState, Shape};
use crate::layers::rnn::cell::{
    call_as_layer, cell_option_builders, CellOptions, FusedParts, RnnCell,
};
use crate::layers::rnn::dropout_masks::DropoutMasks;
use crate::layers::rnn::weights::{
    act, add_bias, add_kernels, gate, input_dim, project, recurrent,
};
use crate::{Error, Result};

/// The gated recurrent unit cell (`keras.layers.GRUCell`), `h = z * h_prev + (1 - z) * hh`.
/// Called as a layer on `[x_t, h]` it returns `[output, new_h]`.
///
/// ```
/// use kiln::layers::{GRUCell, LayerRef};
/// use kiln_tensor::{DType, Tensor};
/// let cell = LayerRef::new(GRUCell::new(2));
/// let out = cell.call_multi(&[Tensor::ones(&[1, 3], DType::F32), Tensor::zeros(&[1, 2], DType::F32)], None)?;
/// assert_eq!(out[0].shape(), &[1, 2]);
/// assert_eq!(cell.get_weights()[2].shape(), &[2, 6]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct GRUCell {
    base: LayerBase,
    pub(crate) opts: CellOptions,
    kernel: Option<Variable>,
    recurrent_kernel: Option<Variable>,
    bias: Option<Variable>,
    masks: DropoutMasks,
}

impl GRUCell {
    /// A cell of `units` with Keras's defaults (`reset_after = true`).
    pub fn new(units: usize) -> GRUCell {
        GRUCell::from_options(CellOptions::new(units))
    }

    /// A cell from explicit options.
    ///
    /// ```
    /// let c = kiln::layers::GRUCell::from_options(kiln::layers::CellOptions::new(2));
    /// assert_eq!(kiln::layers::RnnCell::state_size(&c), vec![2]);
    /// ```
    pub fn from_options(opts: CellOptions) -> GRUCell {
        GRUCell {
            base: LayerBase::new("gru_cell"),
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

    /// Whether the reset gate applies after the recurrent matmul (default true).
    pub fn reset_after(self, on: bool) -> Self {
        self.edit_options(|o| o.reset_after = on)
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
            cell: kiln_tensor::ops::rnn::RecurrentCell::Gru {
                reset_after: self.opts.reset_after,
            },
            kernel,
            recurrent_kernel,
            bias: self.bias.as_ref().map(|b| b.value()),
        })
    }

    fn weights(&self) -> Result<(Tensor, Tensor)> {
        match (&self.kernel, &self.recurrent_kernel) {
            (Some(k), Some(r)) => Ok((k.value(), r.value())),
            _ => Err(Error::InvalidArgument {
                api: "GRUCell.call",
                msg: "the cell is not built".into(),
            }),
        }
    }

    /// `(input_bias, recurrent_bias)`: the rows of a `(2, 3u)` bias, or the whole bias.
    fn biases(&self) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let Some(b) = &self.bias else {
            return Ok((None, None));
        };
        let b = b.value();
        if !self.opts.reset_after {
            return Ok((Some(b), None));
        }
        let n = 3 * self.opts.units as isize;
        let row = |r: isize| -> Result<Tensor> { Ok(b.slice(&[r, 0], &[1, n])?.reshape(&[n])?) };
        Ok((Some(row(0)?), Some(row(1)?)))
    }

    fn mask_count(&self) -> usize {
        if self.opts.recurrent_dropout != 0.0 {
            3
        } else {
            1
        }
    }
}

cell_option_builders!(GRUCell);

impl LayerState for GRUCell {
    fn base(&self) -> &LayerBase {
        &self.base
    }
    fn base_mut(&mut self) -> &mut LayerBase {
        &mut self.base
    }
    fn class_name(&self) -> &'static str {
        "GRUCell"
    }
}

impl RnnCell for GRUCell {
    fn fused_parts(&self, training: bool) -> Option<FusedParts> {
        self.fused_weights(training)
    }
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
        match self.biases()?.0 {
            Some(b) => Ok(y.bias_add(&b)?),
            None => Ok(y),
        }
    }
    fn step(&mut self, x: &Tensor, states: &[Tensor], _: bool) -> Result<(Tensor, Vec<Tensor>)> {
        let (_, rk) = self.weights()?;
        let u = self.opts.units;
        let h = &states[0];
        let rm = &self.masks.recurrent;
        let ra = self.opts.recurrent_activation;
        let (xz, xr, xh) = (gate(x, 0, u)?, gate(x, 1, u)?, gate(x, 2, u)?);
        let hh = if self.opts.reset_after {
            let mut inner = recurrent(h, &rk, rm, u)?;
            if let Some(rb) = self.biases()?.1 {
                inner = inner.bias_add(&rb)?;
            }
            let z = act(ra, &xz.add(&gate(&inner, 0, u)?)?)?;
            let r = act(ra, &xr.add(&gate(&inner, 1, u)?)?)?;
            let hh = act(
                self.opts.activation,
                &xh.add(&r.mul(&gate(&inner, 2, u)?)?)?,
            )?;
            (z, hh)
        } else {
            let rows = u as isize;
            let rk_zr = rk.slice(&[0, 0], &[rows, 2 * rows])?;
            let rk_h = rk.slice(&[0, 2 * rows], &[rows, rows])?;
            let inner = recurrent(h, &rk_zr, if rm.len() == 3 { &rm[..2] } else { rm }, u)?;
            let z = act(ra, &xz.add(&gate(&inner, 0, u)?)?)?;
            let r = act(ra, &xr.add(&gate(&inner, 1, u)?)?)?;
            let hm = match rm.len() {
                3 => h.mul(&rm[2])?,
                1 => h.mul(&rm[0])?,
                _ => h.clone(),
            };
            let hh = act(self.opts.activation, &xh.add(&r.mul(&hm)?.matmul(&rk_h)?)?)?;
            (z, hh)
        };
        let (z, hh) = hh;
        // z * h + (1 - z) * hh, as hh + z * (h - hh).
        let out = hh.add(&z.mul(&h.sub(&hh)?)?)?;
        Ok((out.clone(), vec![out]))
    }
}

impl Layer for GRUCell {
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let d = input_dim("GRUCell", input_shapes)?;
        let u = self.opts.units;
        let (k, r) = add_kernels(&mut self.base, &self.opts, d, 3)?;
        self.kernel = Some(k);
        self.recurrent_kernel = Some(r);
        if self.opts.use_bias {
            let shape: Vec<usize> = if self.opts.reset_after {
                vec![2, 3 * u]
            } else {
                vec![3 * u]
            };
            let init = self.opts.bias_initializer.clone();
            self.bias = Some(add_bias(&mut self.base, &self.opts, &shape, &init)?);
        }
        Ok(())
    }
    fn call(&mut self, inputs: &[Tensor], ctx: &CallContext) -> Result<Vec<Tensor>> {
        call_as_layer(self, inputs, ctx.training, "GRUCell")
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        self.opts.write_config("gru", &mut c);
        Value::Object(c)
    }
}
