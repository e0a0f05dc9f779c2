//! Recurrent layers against Keras 3.15 (tools/golden/gen_rnn.py): SimpleRNN, LSTM, GRU,
//! the generic RNN over each cell and StackedRNNCells, Bidirectional in every merge
//! mode, TimeDistributed, and the cells alone. Each case checks the outputs (and final
//! states), the output mask, and the gradients of sum(output * cotangent) w.r.t. the
//! sequence, the initial states and every weight, with Keras masks, go_backwards,
//! return_sequences/return_state and initial states.

mod common;

use common::{assert_close, fixture, tensor};
use kiln::layers::LayerRef;
use kiln_tensor::{GradientTape, Tensor};
use serde_json::Value;

/// Scalar config entries Keras wrote must be equal in kiln's config.
fn check_config(name: &str, keras: &Value, kiln: &Value) {
    for (k, v) in keras.as_object().unwrap() {
        if k == "name" || k == "dtype" || v.is_object() || v.is_array() {
            continue;
        }
        assert_eq!(kiln.get(k), Some(v), "{name}: config key '{k}'");
    }
}

const TOL: f64 = 1e-5;

fn strip_build(mut v: Value) -> Value {
    match &mut v {
        Value::Object(m) => {
            m.remove("build_config");
            for x in m.values_mut() {
                *x = strip_build(x.take());
            }
        }
        Value::Array(a) => {
            for x in a.iter_mut() {
                *x = strip_build(x.take());
            }
        }
        _ => {}
    }
    v
}

fn run_case(case: &Value, is_cell: bool) {
    let name = case["name"].as_str().unwrap();
    let class = case["class"].as_str().unwrap();
    let keras_cfg = &case["config"]["config"];
    let layer: LayerRef = kiln::layers::from_config(class, keras_cfg)
        .unwrap_or_else(|e| panic!("{name}: from_config: {e}"));
    let inputs: Vec<Tensor> = case["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(tensor)
        .collect();
    let shapes: Vec<Vec<Option<usize>>> = inputs
        .iter()
        .map(|t| {
            let mut s: Vec<Option<usize>> = t.shape().iter().map(|&d| Some(d)).collect();
            s[0] = None;
            s
        })
        .collect();
    layer
        .build(&shapes)
        .unwrap_or_else(|e| panic!("{name}: build: {e}"));
    let weights: Vec<Tensor> = case["weights"]
        .as_array()
        .unwrap()
        .iter()
        .map(tensor)
        .collect();
    layer
        .set_weights(&weights)
        .unwrap_or_else(|e| panic!("{name}: set_weights: {e}"));
    let names: Vec<String> = layer
        .weights()
        .iter()
        .map(|v| v.name().rsplit('/').next().unwrap().to_string())
        .collect();
    let want_names: Vec<String> = case["weight_paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().rsplit('/').next().unwrap().to_string())
        .collect();
    assert_eq!(names, want_names, "{name}: weight names");
    check_config(name, keras_cfg, &layer.get_config());

    let mut masks: Vec<Option<Tensor>> = Vec::new();
    if !is_cell && !case["mask"].is_null() {
        masks.push(Some(tensor(&case["mask"])));
    }
    let tape = GradientTape::persistent();
    for t in &inputs {
        tape.watch(t);
    }
    let (outs, out_masks) = layer
        .call_with_masks(&inputs, &masks, Some(false))
        .unwrap_or_else(|e| panic!("{name}: call: {e}"));
    let want_outs = case["outputs"].as_array().unwrap();
    assert_eq!(outs.len(), want_outs.len(), "{name}: output count");
    let cots: Vec<Tensor> = case["cotangents"]
        .as_array()
        .unwrap()
        .iter()
        .map(tensor)
        .collect();
    let mut obj = Tensor::scalar(0.0f32);
    for (i, (o, w)) in outs.iter().zip(want_outs).enumerate() {
        assert_close(&format!("{name} output {i}"), o, &tensor(w), TOL);
        obj = obj
            .add(&o.mul(&cots[i]).unwrap().sum_all().unwrap())
            .unwrap();
    }
    if !is_cell {
        match (&case["output_mask"], out_masks.first().cloned().flatten()) {
            (Value::Null, None) => {}
            (want, Some(got)) if !want.is_null() => assert_eq!(
                got.to_vec::<bool>().unwrap(),
                tensor(want).to_vec::<bool>().unwrap(),
                "{name}: output mask"
            ),
            (want, got) => panic!("{name}: output mask kiln {got:?} vs keras {want}"),
        }
    }
    let srcs: Vec<&Tensor> = inputs.iter().collect();
    let gx = tape.gradient(&obj, &srcs).unwrap();
    for (i, w) in case["grad_inputs"].as_array().unwrap().iter().enumerate() {
        let got = gx[i].clone().unwrap_or_else(|| inputs[i].zeros_like());
        assert_close(&format!("{name} grad input {i}"), &got, &tensor(w), TOL);
    }
    let tw = layer.trainable_weights();
    let gw = tape.gradient(&obj, &tw.iter().collect::<Vec<_>>()).unwrap();
    let want_gw = case["grad_weights"].as_array().unwrap();
    assert_eq!(gw.len(), want_gw.len(), "{name}: trainable weight count");
    for (i, w) in want_gw.iter().enumerate() {
        let got = gw[i].clone().unwrap_or_else(|| tw[i].value().zeros_like());
        assert_close(&format!("{name} grad weight {i}"), &got, &tensor(w), TOL);
    }
    let again = kiln::layers::from_config(class, &layer.get_config())
        .unwrap_or_else(|e| panic!("{name}: config round trip: {e}"));
    // A rebuilt layer is unbuilt: nested `build_config`s are absent until it builds.
    assert_eq!(
        strip_build(again.get_config()),
        strip_build(layer.get_config()),
        "{name}: config round trip"
    );
}

fn run_family(prefix: &[&str]) -> usize {
    let root = fixture("rnn.json");
    let mut n = 0;
    for case in root["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        if prefix.iter().any(|p| name.starts_with(p)) {
            run_case(case, false);
            n += 1;
        }
    }
    n
}

#[test]
fn simple_rnn_matches_keras() {
    assert_eq!(run_family(&["simple_rnn"]), 4);
}

#[test]
fn lstm_matches_keras() {
    assert_eq!(run_family(&["lstm"]), 11);
}

#[test]
fn gru_matches_keras() {
    assert_eq!(run_family(&["gru"]), 6);
}

#[test]
fn rnn_over_cells_and_stacked_cells_matches_keras() {
    assert_eq!(run_family(&["rnn_"]), 5);
}

#[test]
fn cells_match_keras() {
    let root = fixture("rnn.json");
    let cells = root["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 4);
    for case in cells {
        run_case(case, true);
    }
}

#[test]
fn default_weights_match_keras() {
    let d = &fixture("rnn.json")["defaults"];
    let lstm = LayerRef::new(kiln::layers::LSTM::new(2));
    lstm.build(&[vec![None, Some(3), Some(4)]]).unwrap();
    let shapes: Vec<Vec<usize>> = lstm
        .get_weights()
        .iter()
        .map(|w| w.shape().to_vec())
        .collect();
    let want: Vec<Vec<usize>> = serde_json::from_value(d["lstm_shapes"].clone()).unwrap();
    assert_eq!(shapes, want);
    assert_close(
        "forget bias",
        &lstm.get_weights()[2],
        &tensor(&d["lstm_bias"]),
        0.0,
    );
    for (reset_after, key) in [(true, "gru_shapes"), (false, "gru_reset_before_shapes")] {
        let gru = LayerRef::new(kiln::layers::GRU::new(2).reset_after(reset_after));
        gru.build(&[vec![None, Some(3), Some(4)]]).unwrap();
        let shapes: Vec<Vec<usize>> = gru
            .get_weights()
            .iter()
            .map(|w| w.shape().to_vec())
            .collect();
        let want: Vec<Vec<usize>> = serde_json::from_value(d[key].clone()).unwrap();
        assert_eq!(shapes, want, "{key}");
    }
}

#[test]
fn bidirectional_matches_keras_in_every_merge_mode() {
    assert_eq!(run_family(&["bidi_"]), 7);
}

#[test]
fn time_distributed_matches_keras() {
    assert_eq!(run_family(&["td_"]), 2);
}
