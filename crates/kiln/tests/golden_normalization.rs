//! Normalization layers against Keras 3.15 (tools/golden/gen_normalization.py): forward in
//! training and inference mode, gradients w.r.t. the input and every trainable weight,
//! BatchNormalization's moving statistics after a training call, and one
//! `train_on_batch` of a Dense + BatchNormalization model.

mod common;

use common::{assert_close, fixture, tensor_f32};
use kiln::layers::{from_config, LayerRef};
use kiln::models::PredictArgs;
use kiln::models::{CompileArgs, Model};
use kiln_tensor::{DType, GradientTape, Tensor};

#[test]
fn layers_match_keras_forward_gradients_and_moving_statistics() {
    let root = fixture("normalization.json");
    let cases = root["cases"].as_array().unwrap();
    assert!(cases.len() >= 19);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let class = case["class"].as_str().unwrap();
        let layer: LayerRef = from_config(class, &case["config"]).unwrap();
        let x = tensor_f32(&case["x"]);
        let mut shape: Vec<Option<usize>> = x.shape().iter().map(|&d| Some(d)).collect();
        shape[0] = None;
        layer.build(&[shape]).unwrap();
        let weights: Vec<Tensor> = case["weights"]
            .as_array()
            .unwrap()
            .iter()
            .map(tensor_f32)
            .collect();
        layer.set_weights(&weights).unwrap();
        // Same weight names, order and trainability as Keras.
        let vars = layer.weights();
        let names: Vec<String> = vars
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
        let trainable: Vec<bool> = vars.iter().map(|v| v.trainable()).collect();
        let want_tr: Vec<bool> = case["trainable"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_bool().unwrap())
            .collect();
        assert_eq!(trainable, want_tr, "{name}: trainable flags");

        let training = case["training"].as_bool().unwrap();
        let cot = tensor_f32(&case["cotangent"]);
        let tape = GradientTape::persistent();
        tape.watch(&x);
        let y = layer.call_training(&x, training).unwrap();
        let obj = y.mul(&cot).unwrap().sum_all().unwrap();
        assert_close(&format!("{name} y"), &y, &tensor_f32(&case["y"]), 2e-5);
        let gx = tape.gradient(&obj, &[&x]).unwrap().remove(0).unwrap();
        assert_close(
            &format!("{name} grad x"),
            &gx,
            &tensor_f32(&case["grad_x"]),
            1e-4,
        );
        let tw = layer.trainable_weights();
        let gws = tape.gradient(&obj, &tw.iter().collect::<Vec<_>>()).unwrap();
        let want_gw = case["grad_weights"].as_array().unwrap();
        assert_eq!(gws.len(), want_gw.len(), "{name}: trainable weight count");
        for (i, (g, w)) in gws.iter().zip(want_gw).enumerate() {
            assert_close(
                &format!("{name} grad w{i}"),
                g.as_ref().unwrap(),
                &tensor_f32(w),
                1e-4,
            );
        }
        for (i, (v, w)) in layer
            .get_weights()
            .iter()
            .zip(case["weights_after"].as_array().unwrap())
            .enumerate()
        {
            assert_close(&format!("{name} weight {i} after"), v, &tensor_f32(w), 2e-5);
        }
        // get_config round trip.
        let again = from_config(class, &layer.get_config()).unwrap();
        assert_eq!(
            again.get_config(),
            layer.get_config(),
            "{name}: config round trip"
        );
    }
}

#[test]
fn batch_norm_model_train_on_batch_matches_keras() {
    use kiln::layers::{BatchNormalization, Dense};
    let root = fixture("normalization.json");
    let m = &root["model"];
    let mut model = Model::sequential(vec![
        Dense::new(4).input_shape(&[3]).into(),
        BatchNormalization::new().momentum(0.8).into(),
        Dense::new(1).into(),
    ])
    .unwrap();
    let weights: Vec<Tensor> = m["weights"]
        .as_array()
        .unwrap()
        .iter()
        .map(tensor_f32)
        .collect();
    model.set_weights(&weights).unwrap();
    model
        .compile(
            CompileArgs::new()
                .optimizer(kiln::optimizers::SGD::new(0.1))
                .loss("mse"),
        )
        .unwrap();
    let (x, y) = (tensor_f32(&m["x"]), tensor_f32(&m["y"]));
    let logs = model.train_on_batch(&x, &y, None).unwrap();
    let loss = logs.get("loss").unwrap();
    assert!((loss - m["loss"].as_f64().unwrap()).abs() < 1e-4 * (1.0 + loss.abs()));
    for (i, (v, w)) in model
        .get_weights()
        .iter()
        .zip(m["weights_after"].as_array().unwrap())
        .enumerate()
    {
        assert_close(&format!("model weight {i}"), v, &tensor_f32(w), 1e-4);
    }
    let p = model.predict(&x, PredictArgs::new().verbose(0)).unwrap();
    assert_close("predict after", &p, &tensor_f32(&m["predict_after"]), 1e-4);
    let _ = DType::F32;
}

#[test]
fn bad_input_is_an_error_naming_the_layer() {
    use kiln::layers::{BatchNormalization, GroupNormalization, LayerNormalization};
    let x = Tensor::ones(&[2, 6], DType::F32);
    let e = LayerRef::new(GroupNormalization::new(4))
        .call(&x)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("GroupNormalization") && e.contains('4') && e.contains('6'),
        "{e}"
    );
    let e = LayerRef::new(LayerNormalization::new().axis(3))
        .call(&x)
        .unwrap_err()
        .to_string();
    assert!(e.contains("axis 3"), "{e}");
    let bn = LayerRef::new(BatchNormalization::new());
    bn.call(&x).unwrap();
    let e = bn
        .call(&Tensor::ones(&[2, 5], DType::F32))
        .unwrap_err()
        .to_string();
    assert!(e.contains('5') && e.contains('6'), "{e}");
    assert!(LayerRef::new(BatchNormalization::new().renorm(true))
        .call(&x)
        .is_err());
}

#[test]
fn frozen_batch_norm_runs_in_inference_mode() {
    use kiln::layers::BatchNormalization;
    let bn = LayerRef::new(BatchNormalization::new().epsilon(0.0));
    let x = Tensor::from_vec(vec![1.0f32, 3.0, 5.0, 7.0], &[4, 1]).unwrap();
    bn.build(&[vec![None, Some(1)]]).unwrap();
    bn.set_trainable(false);
    // Moving statistics are zeros/ones: inference mode is the identity (gamma 1, beta 0).
    let y = bn.call_training(&x, true).unwrap();
    assert_eq!(y.to_vec::<f32>().unwrap(), vec![1.0, 3.0, 5.0, 7.0]);
    let w = bn.get_weights();
    assert_eq!(w[2].to_vec::<f32>().unwrap(), vec![0.0]);
    assert_eq!(w[3].to_vec::<f32>().unwrap(), vec![1.0]);
    bn.set_trainable(true);
    let y = bn.call_training(&x, true).unwrap().to_vec::<f32>().unwrap();
    assert!((y[0] + 1.3416408).abs() < 1e-5, "{y:?}");
}
