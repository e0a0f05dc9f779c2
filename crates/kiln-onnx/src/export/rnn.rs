//! `LSTM`, `GRU` and `SimpleRNN` -> ONNX's `LSTM`, `GRU` and `RNN` ops.
//!
//! Keras keeps `kernel (features, gates*units)` with gate columns `i, f, c, o` (LSTM) or
//! `z, r, h` (GRU); ONNX wants `W (1, gates*units, features)` with gate rows `i, o, f, c`
//! (LSTM) or `z, r, h` (GRU), `R` likewise from `recurrent_kernel`, and `B (1, 2*gates*units)`
//! (input biases, then recurrent biases). GRU's `reset_after=True` is ONNX's
//! `linear_before_reset=1`. ONNX runs time-major (`layout=0`, the layout onnxruntime
//! implements), so the batch-major Keras sequence is transposed in and out;
//! `go_backwards` reverses the input in time (a `Slice` with step -1) and runs forward, which
//! returns the outputs in processing order as Keras does.

use serde_json::Value;

use super::{
    activation_name, attr_int, attr_ints, attr_str, cfg_bool, sub_weight_data, Builder, Ctx,
};
use crate::Result;

/// Keras's gate column index for each ONNX gate row, per layer class.
fn gate_order(class: &str) -> &'static [usize] {
    match class {
        // ONNX i, o, f, c  <-  Keras i, f, c, o
        "LSTM" => &[0, 3, 1, 2],
        // z, r, h in both.
        "GRU" => &[0, 1, 2],
        _ => &[0],
    }
}

/// `(rows, gates*units)` Keras kernel -> `(gates*units, rows)` ONNX weight, gates reordered.
fn onnx_weight(dims: &[usize], data: &[f32], order: &[usize], units: usize) -> Vec<f32> {
    let rows = dims[0];
    let cols = dims[1];
    let mut out = Vec::with_capacity(rows * cols);
    for &g in order {
        for u in 0..units {
            let col = g * units + u;
            out.extend((0..rows).map(|r| data[r * cols + col]));
        }
    }
    out
}

/// `gates*units` biases reordered to ONNX's gate order.
fn onnx_bias(data: &[f32], order: &[usize], units: usize) -> Vec<f32> {
    order
        .iter()
        .flat_map(|&g| data[g * units..(g + 1) * units].iter().copied())
        .collect()
}

/// The ONNX name of a Keras activation an RNN op accepts.
fn rnn_activation(cx: &Ctx, cfg: &Value, key: &str) -> Result<String> {
    let v = cfg.get(key).unwrap_or(&Value::Null);
    let name = activation_name(v).unwrap_or_default();
    Ok(match name.as_str() {
        "sigmoid" => "Sigmoid",
        "tanh" => "Tanh",
        "relu" => "Relu",
        other => {
            return Err(cx.err(format!(
                "{key} '{other}' does not export; ONNX's RNN ops here take sigmoid, tanh or relu"
            )))
        }
    }
    .into())
}

pub(super) fn lower_rnn(
    b: &mut Builder,
    cx: &Ctx,
    ins: &[String],
    in_shapes: &[Vec<Option<usize>>],
) -> Result<Vec<String>> {
    let cfg = cx.layer.lock().get_config();
    let class = cx.layer.class_name();
    let p = cx.prefix.clone();
    if ins.len() != 1 {
        return Err(cx.err(format!(
            "expected one input (initial states do not export), got {}",
            ins.len()
        )));
    }
    if in_shapes[0].len() != 3 {
        return Err(cx.err(format!(
            "expected a (batch, time, features) input, got rank {}",
            in_shapes[0].len()
        )));
    }
    if cfg_bool(&cfg, "stateful", false) {
        return Err(cx.err("stateful=true does not export (ONNX graphs carry no state)"));
    }
    let units = cfg
        .get("units")
        .and_then(|v| v.as_u64())
        .ok_or_else(|| cx.err("config 'units' missing"))? as usize;
    let (op, cell, gates) = match class {
        "LSTM" => ("LSTM", "lstm_cell", 4),
        "GRU" => ("GRU", "gru_cell", 3),
        _ => ("RNN", "simple_rnn_cell", 1),
    };
    let order = gate_order(class);
    let reset_after = class == "GRU" && cfg_bool(&cfg, "reset_after", true);
    let mut acts = Vec::new();
    if class != "SimpleRNN" {
        acts.push(rnn_activation(cx, &cfg, "recurrent_activation")?);
    }
    let g = rnn_activation(cx, &cfg, "activation")?;
    acts.push(g.clone());
    if class == "LSTM" {
        acts.push(g);
    }
    let (kd, k) = sub_weight_data(cx, cell, "kernel")?;
    let (rd, r) = sub_weight_data(cx, cell, "recurrent_kernel")?;
    let features = kd[0];
    if kd[1] != gates * units || rd != [units, gates * units] {
        return Err(cx.err(format!(
            "kernel {kd:?} / recurrent_kernel {rd:?} do not fit {units} units of {gates} gates"
        )));
    }
    let name = cx.layer.name();
    let w = b.init_f32(
        &format!("{name}/W"),
        &[1, gates * units, features],
        onnx_weight(&kd, &k, order, units),
    );
    let rw = b.init_f32(
        &format!("{name}/R"),
        &[1, gates * units, units],
        onnx_weight(&rd, &r, order, units),
    );
    let mut op_inputs = vec![String::new(), w, rw];
    if cfg_bool(&cfg, "use_bias", true) {
        let (bd, bias) = sub_weight_data(cx, cell, "bias")?;
        let n = gates * units;
        let (wb, rb) = if reset_after {
            if bd != [2, n] {
                return Err(cx.err(format!("GRU bias {bd:?}, expected [2, {n}]")));
            }
            (bias[..n].to_vec(), bias[n..].to_vec())
        } else {
            if bd != [n] {
                return Err(cx.err(format!("bias {bd:?}, expected [{n}]")));
            }
            (bias.clone(), vec![0.0; n])
        };
        let mut full = onnx_bias(&wb, order, units);
        full.extend(onnx_bias(&rb, order, units));
        op_inputs.push(b.init_f32(&format!("{name}/B"), &[1, 2 * n], full));
    }
    // (batch, time, f) -> (time, batch, f), reversed in time for go_backwards.
    let mut xt = b.node(
        "Transpose",
        &format!("{p}/to_time_major"),
        &[&ins[0]],
        vec![attr_ints("perm", &[1, 0, 2])],
    );
    if cfg_bool(&cfg, "go_backwards", false) {
        let starts = b.init_i64(&format!("{p}/reverse/starts"), &[-1]);
        let ends = b.init_i64(&format!("{p}/reverse/ends"), &[i64::MIN]);
        let axes = b.init_i64(&format!("{p}/reverse/axes"), &[0]);
        let steps = b.init_i64(&format!("{p}/reverse/steps"), &[-1]);
        xt = b.node(
            "Slice",
            &format!("{p}/reverse"),
            &[&xt, &starts, &ends, &axes, &steps],
            vec![],
        );
    }
    op_inputs[0] = xt;
    let mut attrs = vec![
        attr_int("hidden_size", units as i64),
        attr_str("direction", "forward"),
        attr_strs("activations", &acts),
    ];
    if reset_after {
        attrs.push(attr_int("linear_before_reset", 1));
    }
    let out_names: &[&str] = if class == "LSTM" {
        &["Y", "Y_h", "Y_c"]
    } else {
        &["Y", "Y_h"]
    };
    let refs: Vec<&str> = op_inputs.iter().map(|s| s.as_str()).collect();
    let outs = b.node_multi(op, &format!("{p}/{op}"), &refs, out_names, attrs);
    let returns_state = cfg_bool(&cfg, "return_state", false);
    let sequences = cfg_bool(&cfg, "return_sequences", false);
    let ax0 = if returns_state || !sequences {
        b.init_i64(&format!("{p}/axis0"), &[0])
    } else {
        String::new()
    };
    let mut results = Vec::new();
    if sequences {
        // Y (time, 1, batch, units) -> (batch, time, units).
        let ax1 = b.init_i64(&format!("{p}/axis1"), &[1]);
        let y = b.node(
            "Squeeze",
            &format!("{p}/Y/squeeze"),
            &[&outs[0], &ax1],
            vec![],
        );
        results.push(b.node(
            "Transpose",
            &format!("{p}/sequences"),
            &[&y],
            vec![attr_ints("perm", &[1, 0, 2])],
        ));
    } else {
        results.push(b.node("Squeeze", &format!("{p}/last"), &[&outs[1], &ax0], vec![]));
    }
    if returns_state {
        results.push(b.node(
            "Squeeze",
            &format!("{p}/state_h"),
            &[&outs[1], &ax0],
            vec![],
        ));
        if class == "LSTM" {
            results.push(b.node(
                "Squeeze",
                &format!("{p}/state_c"),
                &[&outs[2], &ax0],
                vec![],
            ));
        }
    }
    Ok(results)
}

fn attr_strs(name: &str, v: &[String]) -> crate::proto::AttributeProto {
    use crate::proto::attribute_proto::AttributeType;
    crate::proto::AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Strings as i32),
        strings: v.iter().map(|s| s.as_bytes().to_vec()).collect(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lstm_gates_go_from_ifco_columns_to_iofc_rows() {
        // kernel (1 feature, 4 gates x 1 unit): column g holds g.
        let k = [0.0, 1.0, 2.0, 3.0];
        assert_eq!(
            onnx_weight(&[1, 4], &k, gate_order("LSTM"), 1),
            [0.0, 3.0, 1.0, 2.0]
        );
        // Two rows, two units: ONNX row (gate o, unit 1) is Keras column 3*2+1 over rows.
        let k: Vec<f32> = (0..16).map(|v| v as f32).collect();
        let w = onnx_weight(&[2, 8], &k, gate_order("LSTM"), 2);
        assert_eq!(&w[6..8], &[7.0, 15.0]);
        assert_eq!(
            onnx_bias(&[0.0, 1.0, 2.0, 3.0], gate_order("LSTM"), 1),
            [0.0, 3.0, 1.0, 2.0]
        );
    }
}
