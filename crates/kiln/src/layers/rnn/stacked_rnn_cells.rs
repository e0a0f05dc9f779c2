//! `StackedRNNCells`: several cells run one after another within each time step.

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::layers::layer::{CallContext, Layer, LayerBase, LayerRef, LayerState, Shape};
use crate::layers::rnn::cell::{access_of, call_as_layer, CellAccess, RnnCell};
use crate::{Error, Result};

/// Cells stacked in depth (`keras.layers.StackedRNNCells`): the output of one is the
/// input of the next within a step. Its states are the cells' states, flattened in order.
///
/// ```
/// use kiln::layers::{GRUCell, LSTMCell, RnnCell, StackedRNNCells};
/// let s = StackedRNNCells::new().cell(LSTMCell::new(3)).cell(GRUCell::new(2));
/// assert_eq!(s.state_size(), vec![3, 3, 2]);
/// assert_eq!(s.output_size(), 2);
/// ```
pub struct StackedRNNCells {
    base: LayerBase,
    cells: Vec<(LayerRef, CellAccess)>,
}

impl Default for StackedRNNCells {
    fn default() -> Self {
        StackedRNNCells::new()
    }
}

impl StackedRNNCells {
    /// An empty stack; add cells with [`StackedRNNCells::cell`].
    pub fn new() -> StackedRNNCells {
        StackedRNNCells {
            base: LayerBase::new("stacked_rnn_cells"),
            cells: Vec::new(),
        }
    }

    /// Appends a cell.
    pub fn cell<C: RnnCell + 'static>(mut self, cell: C) -> StackedRNNCells {
        self.cells.push((LayerRef::new(cell), access_of::<C>()));
        self
    }

    /// Appends a cell already wrapped with its accessor (used by `from_config`).
    pub(crate) fn push(&mut self, cell: LayerRef, access: CellAccess) {
        self.cells.push((cell, access));
    }

    fn with_cell<R>(&self, i: usize, f: impl FnOnce(&mut dyn RnnCell) -> Result<R>) -> Result<R> {
        let (l, access) = &self.cells[i];
        let mut g = l.lock();
        let name = g.base().name().to_string();
        let cell = access(&mut *g).ok_or_else(|| Error::InvalidArgument {
            api: "StackedRNNCells",
            msg: format!("layer '{name}' is not an RNN cell"),
        })?;
        f(cell)
    }

    fn sizes(&self) -> Vec<Vec<usize>> {
        (0..self.cells.len())
            .map(|i| {
                self.with_cell(i, |c| Ok(c.state_size()))
                    .unwrap_or_default()
            })
            .collect()
    }
}

impl LayerState for StackedRNNCells {
    fn base(&self) -> &LayerBase {
        &self.base
    }
    fn base_mut(&mut self) -> &mut LayerBase {
        &mut self.base
    }
    fn class_name(&self) -> &'static str {
        "StackedRNNCells"
    }
    fn sublayers(&self) -> Vec<LayerRef> {
        self.cells.iter().map(|(l, _)| l.clone()).collect()
    }
}

impl RnnCell for StackedRNNCells {
    fn state_size(&self) -> Vec<usize> {
        self.sizes().concat()
    }
    fn output_size(&self) -> usize {
        match self.cells.len() {
            0 => 0,
            n => self.with_cell(n - 1, |c| Ok(c.output_size())).unwrap_or(0),
        }
    }
    fn begin(&mut self, batch: usize, input_dim: usize, training: bool) -> Result<()> {
        let mut d = input_dim;
        for i in 0..self.cells.len() {
            d = self.with_cell(i, |c| {
                c.begin(batch, d, training)?;
                Ok(c.output_size())
            })?;
        }
        Ok(())
    }
    fn end(&mut self) {
        for i in 0..self.cells.len() {
            let _ = self.with_cell(i, |c| {
                c.end();
                Ok(())
            });
        }
    }
    fn precompute(&mut self, x: &Tensor) -> Result<Tensor> {
        if self.cells.is_empty() {
            return Err(Error::InvalidArgument {
                api: "StackedRNNCells",
                msg: "no cells".into(),
            });
        }
        self.with_cell(0, |c| c.precompute(x))
    }
    fn step(
        &mut self,
        x: &Tensor,
        states: &[Tensor],
        training: bool,
    ) -> Result<(Tensor, Vec<Tensor>)> {
        let sizes = self.sizes();
        let mut out = x.clone();
        let mut new_states = Vec::with_capacity(states.len());
        let mut k = 0;
        for (i, s) in sizes.iter().enumerate() {
            let st = &states[k..k + s.len()];
            k += s.len();
            let (o, ns) = self.with_cell(i, |c| {
                // Only the first cell's input was projected before the loop.
                let xin = if i == 0 {
                    out.clone()
                } else {
                    c.precompute(&out.expand_dims(1)?)?.squeeze(&[1])?
                };
                c.step(&xin, st, training)
            })?;
            out = o;
            new_states.extend(ns);
        }
        Ok((out, new_states))
    }
}

impl Layer for StackedRNNCells {
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let mut shape = input_shapes.first().cloned().unwrap_or_default();
        for i in 0..self.cells.len() {
            let (l, _) = &self.cells[i];
            l.build(std::slice::from_ref(&shape))?;
            let out = self.with_cell(i, |c| Ok(c.output_size()))?;
            shape = vec![shape.first().copied().flatten(), Some(out)];
        }
        Ok(())
    }
    fn call(&mut self, inputs: &[Tensor], ctx: &CallContext) -> Result<Vec<Tensor>> {
        call_as_layer(self, inputs, ctx.training, "StackedRNNCells")
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        let cells: Vec<Value> = self
            .cells
            .iter()
            .map(|(l, _)| crate::saving::serialize_layer(l))
            .collect();
        c.insert("cells".into(), json!(cells));
        Value::Object(c)
    }
}
