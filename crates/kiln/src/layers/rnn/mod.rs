//! Recurrent layers, as `keras.layers`' rnn family: the cells (`SimpleRNNCell`,
//! `LSTMCell`, `GRUCell`, `StackedRNNCells`), the generic `RNN` wrapper, the `SimpleRNN`,
//! `LSTM` and `GRU` layers over it, and the `Bidirectional` and `TimeDistributed` wrappers.

mod bidirectional;
mod cell;
mod dropout_masks;
mod gru_cell;
mod layers;
mod lstm_cell;
mod rnn_layer;
mod simple_rnn_cell;
mod stacked_rnn_cells;
mod time_distributed;
mod weights;

pub use bidirectional::{Bidirectional, MergeMode};
pub use cell::{CellOptions, RnnCell};
pub use gru_cell::GRUCell;
pub use layers::{SimpleRNN, GRU, LSTM};
pub use lstm_cell::LSTMCell;
pub use rnn_layer::RNN;
pub use simple_rnn_cell::SimpleRNNCell;
pub use stacked_rnn_cells::StackedRNNCells;
pub use time_distributed::TimeDistributed;

use serde_json::Value;

use crate::layers::LayerRef;
use crate::{Error, Result};
use cell::{access_of, CellAccess};

fn named<L: crate::layers::Layer>(mut l: L, c: &Value) -> L {
    if let Some(n) = c.get("name").and_then(Value::as_str) {
        l.base_mut().set_name(n);
    }
    l
}

/// A cell from a `{"class_name", "config"}` object, with the accessor the `RNN` needs.
fn cell_from_config(v: &Value) -> Result<(LayerRef, CellAccess)> {
    let class = v.get("class_name").and_then(Value::as_str).unwrap_or("");
    let c = v.get("config").unwrap_or(&Value::Null);
    Ok(match class {
        "SimpleRNNCell" => (
            LayerRef::new(named(
                SimpleRNNCell::from_options(CellOptions::from_config(class, c)?),
                c,
            )),
            access_of::<SimpleRNNCell>(),
        ),
        "LSTMCell" => (
            LayerRef::new(named(
                LSTMCell::from_options(CellOptions::from_config(class, c)?),
                c,
            )),
            access_of::<LSTMCell>(),
        ),
        "GRUCell" => (
            LayerRef::new(named(
                GRUCell::from_options(CellOptions::from_config(class, c)?),
                c,
            )),
            access_of::<GRUCell>(),
        ),
        "StackedRNNCells" => (
            LayerRef::new(named(stacked_from_config(c)?, c)),
            access_of::<StackedRNNCells>(),
        ),
        _ => {
            return Err(Error::InvalidArgument {
                api: "layers.from_config",
                msg: format!(
                    "RNN: unsupported cell class '{class}'; expected SimpleRNNCell, LSTMCell, \
                     GRUCell or StackedRNNCells"
                ),
            })
        }
    })
}

fn stacked_from_config(c: &Value) -> Result<StackedRNNCells> {
    let cells = c
        .get("cells")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::InvalidArgument {
            api: "layers.from_config",
            msg: "StackedRNNCells: 'cells' must be a list of cell configs".into(),
        })?;
    let mut s = StackedRNNCells::new();
    for v in cells {
        let (l, a) = cell_from_config(v)?;
        s.push(l, a);
    }
    Ok(s)
}

/// Rebuilds a recurrent layer or cell from its Keras config (`None` for other classes).
pub(crate) fn from_config(class: &str, c: &Value) -> Result<Option<LayerRef>> {
    Ok(Some(match class {
        "SimpleRNNCell" | "LSTMCell" | "GRUCell" | "StackedRNNCells" => {
            cell_from_config(&serde_json::json!({"class_name": class, "config": c}))?.0
        }
        "RNN" => {
            let v = c.get("cell").ok_or_else(|| Error::InvalidArgument {
                api: "layers.from_config",
                msg: "RNN: missing 'cell'".into(),
            })?;
            let (cell, access) = cell_from_config(v)?;
            let prefix = "rnn";
            RNN::with_class("RNN", prefix, cell, access)
                .read_flags(class, c)?
                .into()
        }
        "SimpleRNN" => SimpleRNN::from_keras_config(c)?.into(),
        "LSTM" => LSTM::from_keras_config(c)?.into(),
        "GRU" => GRU::from_keras_config(c)?.into(),
        "Bidirectional" => bidirectional::from_config(c)?.into(),
        "TimeDistributed" => time_distributed::from_config(c)?.into(),
        _ => return Ok(None),
    }))
}
