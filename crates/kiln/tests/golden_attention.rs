//! Embedding, Masking and the attention layers against Keras 3.15
//! (tools/golden/gen_attention.py): outputs, output masks, and gradients w.r.t. the
//! inputs and every weight, with Keras masks, causal masks, explicit attention masks and
//! returned attention scores.

mod common;

use common::{assert_close, fixture, tensor};
use kiln::layers::{AdditiveAttention, Attention, LayerRef, MultiHeadAttention};
use kiln_tensor::{DType, GradientTape, Tensor};
use serde_json::Value;

fn build_layer(case: &Value) -> LayerRef {
    let class = case["class"].as_str().unwrap();
    let call = &case["call"];
    let causal = call["use_causal_mask"].as_bool().unwrap_or(false);
    let scores = call["return_attention_scores"].as_bool().unwrap_or(false);
    let layer = kiln::layers::from_config(class, &case["config"]).unwrap();
    match class {
        "MultiHeadAttention" => layer.downcast::<MultiHeadAttention, _>(|l| {
            let old = std::mem::replace(l, MultiHeadAttention::new(1, 1));
            *l = old.use_causal_mask(causal).return_attention_scores(scores);
        }),
        "Attention" => layer.downcast::<Attention, _>(|l| {
            let old = std::mem::take(l);
            *l = old.use_causal_mask(causal).return_attention_scores(scores);
        }),
        _ => layer.downcast::<AdditiveAttention, _>(|l| {
            let old = std::mem::take(l);
            *l = old.use_causal_mask(causal).return_attention_scores(scores);
        }),
    }
    .unwrap();
    layer
}

#[test]
fn attention_layers_match_keras() {
    let root = fixture("attention.json");
    let cases = root["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 14);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let layer = build_layer(case);
        let mut inputs: Vec<Tensor> = case["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(tensor)
            .collect();
        if inputs.len() == 4 && case["masks"].as_array().unwrap().len() == 2 {
            // Keras's key defaulted to the value: the same tensor fills both roles.
            inputs[2] = inputs[1].clone();
        }
        let masks: Vec<Option<Tensor>> = case["masks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| if m.is_null() { None } else { Some(tensor(m)) })
            .collect();
        let shapes: Vec<Vec<Option<usize>>> = inputs
            .iter()
            .map(|t| {
                let mut s: Vec<Option<usize>> = t.shape().iter().map(|&d| Some(d)).collect();
                s[0] = None;
                s
            })
            .collect();
        layer.build(&shapes).unwrap();
        let weights: Vec<Tensor> = case["weights"]
            .as_array()
            .unwrap()
            .iter()
            .map(tensor)
            .collect();
        layer.set_weights(&weights).unwrap();
        let names: Vec<String> = layer
            .weights()
            .iter()
            .map(|v| v.name().rsplit('/').next().unwrap().to_string())
            .collect();
        let want_names: Vec<String> = case["weight_names"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(names, want_names, "{name}: weight names");

        let tape = GradientTape::persistent();
        let n_float = case["masks"].as_array().unwrap().len();
        let floats: Vec<&Tensor> = inputs[..n_float].iter().collect();
        for t in &floats {
            tape.watch(t);
        }
        let (outs, out_masks) = layer.call_with_masks(&inputs, &masks, Some(false)).unwrap();
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
            assert_close(&format!("{name} output {i}"), o, &tensor(w), 2e-5);
            obj = obj
                .add(&o.mul(&cots[i]).unwrap().sum_all().unwrap())
                .unwrap();
        }
        match (&case["output_mask"], out_masks.first().cloned().flatten()) {
            (Value::Null, None) => {}
            (want, Some(got)) if !want.is_null() => {
                assert_eq!(
                    got.to_vec::<bool>().unwrap(),
                    tensor(want).to_vec::<bool>().unwrap(),
                    "{name}: output mask"
                )
            }
            (want, got) => panic!("{name}: output mask kiln {got:?} vs keras {want}"),
        }
        let want_gx = case["grad_inputs"].as_array().unwrap();
        let gx = tape.gradient(&obj, &floats).unwrap();
        for (i, w) in want_gx.iter().enumerate() {
            if w.is_null() {
                continue;
            }
            assert_close(
                &format!("{name} grad input {i}"),
                gx[i].as_ref().unwrap(),
                &tensor(w),
                1e-4,
            );
        }
        let tw = layer.trainable_weights();
        let gw = tape.gradient(&obj, &tw.iter().collect::<Vec<_>>()).unwrap();
        for (i, w) in case["grad_weights"].as_array().unwrap().iter().enumerate() {
            assert_close(
                &format!("{name} grad weight {i}"),
                gw[i].as_ref().unwrap(),
                &tensor(w),
                1e-4,
            );
        }
        let again = kiln::layers::from_config(case["class"].as_str().unwrap(), &layer.get_config())
            .unwrap();
        assert_eq!(
            again.get_config(),
            layer.get_config(),
            "{name}: config round trip"
        );
    }
}

#[test]
fn embedding_and_masking_match_keras() {
    let root = fixture("attention.json");
    for case in root["embedding"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let layer =
            kiln::layers::from_config(case["class"].as_str().unwrap(), &case["config"]).unwrap();
        if name == "masking" {
            let (y, m) = layer
                .call_with_masks(&[tensor(&case["x"])], &[], None)
                .unwrap();
            assert_close("masking y", &y[0], &tensor(&case["y"]), 0.0);
            assert_eq!(
                m[0].as_ref().unwrap().to_vec::<bool>().unwrap(),
                tensor(&case["mask"]).to_vec::<bool>().unwrap()
            );
            continue;
        }
        let ids = tensor(&case["ids"]);
        layer.build(&[vec![None, Some(4)]]).unwrap();
        layer.set_weights(&[tensor(&case["weights"][0])]).unwrap();
        let tape = GradientTape::new();
        let (y, m) = layer.call_with_masks(&[ids], &[], None).unwrap();
        assert_close(&format!("{name} y"), &y[0], &tensor(&case["y"]), 0.0);
        match &case["mask"] {
            Value::Null => assert!(m[0].is_none(), "{name}: no mask expected"),
            want => assert_eq!(
                m[0].as_ref().unwrap().to_vec::<bool>().unwrap(),
                tensor(want).to_vec::<bool>().unwrap()
            ),
        }
        let obj = y[0]
            .mul(&tensor(&case["cotangent"]))
            .unwrap()
            .sum_all()
            .unwrap();
        let w = layer.trainable_weights();
        let g = tape.gradient(&obj, &[&w[0]]).unwrap();
        assert_close(
            &format!("{name} grad"),
            g[0].as_ref().unwrap(),
            &tensor(&case["grad_weight"]),
            1e-5,
        );
        let again = kiln::layers::from_config("Embedding", &layer.get_config()).unwrap();
        assert_eq!(again.get_config(), layer.get_config());
    }
}

#[test]
fn bad_attention_inputs_are_errors_with_shapes() {
    let mha = LayerRef::new(MultiHeadAttention::new(2, 4).name("mha"));
    let q = Tensor::ones(&[2, 3, 8], DType::F32);
    let v = Tensor::ones(&[2, 5, 8], DType::F32);
    mha.call(&[q.clone(), v.clone()][..]).unwrap();
    // Wrong feature size into the built layer.
    let bad = Tensor::ones(&[2, 5, 6], DType::F32);
    let e = mha.call(&[q.clone(), bad][..]).unwrap_err().to_string();
    assert!(e.contains("'mha'") && e.contains("(2, 5, 6)"), "{e}");
    // Attention mask of the wrong shape.
    let m = Tensor::ones(&[2, 4, 5], DType::Bool);
    let e = mha
        .call(&[q.clone(), v.clone(), v.clone(), m][..])
        .unwrap_err()
        .to_string();
    assert!(e.contains("mask") && e.contains("(2, 1, 4, 5)"), "{e}");
    // Mask of the wrong shape through the Keras mask path.
    let qm = Tensor::ones(&[2, 7], DType::Bool);
    let e = mha
        .call_with_masks(&[q, v], &[Some(qm), None], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("mask"), "{e}");
    let att = LayerRef::new(Attention::new());
    let e = att
        .call(
            &[
                Tensor::ones(&[2, 3, 4], DType::F32),
                Tensor::ones(&[2, 3, 5], DType::F32),
                Tensor::ones(&[2, 3, 5], DType::F32),
            ][..],
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("(2, 3, 4)") && e.contains("(2, 3, 5)"), "{e}");
}

#[test]
fn extract_patches_matches_tf() {
    use kiln_tensor::ops::conv::Padding;
    let root = fixture("attention.json");
    let p = &root["extract_patches"];
    let x = tensor(&p["x"]);
    let pair = |v: &Value| {
        [
            v[0].as_u64().unwrap() as usize,
            v[1].as_u64().unwrap() as usize,
        ]
    };
    for case in p["cases"].as_array().unwrap() {
        let pad = if case["padding"] == "SAME" {
            Padding::Same
        } else {
            Padding::Valid
        };
        let y = x
            .extract_patches(
                pair(&case["sizes"]),
                pair(&case["strides"]),
                pair(&case["rates"]),
                &pad,
            )
            .unwrap();
        assert_close(case["name"].as_str().unwrap(), &y, &tensor(&case["y"]), 0.0);
    }
}
