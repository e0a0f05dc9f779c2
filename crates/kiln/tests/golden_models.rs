//! Whole-model parity with Keras 3.15 (tools/golden/gen_models.py): the same weights give
#![allow(clippy::cloned_ref_to_slice_refs)]
//! the same predictions and loss, and one train_on_batch with each optimizer gives the same
//! updated weights.

mod common;

use common::tensor;
use kiln::layers::*;
use kiln::models::PredictArgs;
use kiln::models::{CompileArgs, LossArg, Model};
use kiln::optimizers::Optimizer;
use kiln::regularizers::Regularizer;
use kiln_tensor::Tensor;
use serde_json::Value;

fn tensors(v: &Value) -> Vec<Tensor> {
    v.as_array().unwrap().iter().map(tensor).collect()
}

fn assert_close(name: &str, got: &Tensor, want: &Tensor, rtol: f64, atol: f64) {
    assert_eq!(got.shape(), want.shape(), "{name}: shape");
    let (g, w) = (got.to_f64_vec(), want.to_f64_vec());
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        assert!(
            (a - b).abs() <= atol + rtol * b.abs(),
            "{name}[{i}]: kiln {a} vs keras {b}"
        );
    }
}

fn build(name: &str, dropout: f64) -> Model {
    kiln::utils::clear_session();
    match name {
        "mlp" => Model::sequential(vec![
            Dense::new(16).activation("relu").input_shape(&[8]).into(),
            Dense::new(4).activation("softmax").into(),
        ])
        .unwrap(),
        "multi" => {
            let a = Input::new(&[Some(5)]).name("a").build();
            let b = Input::new(&[Some(5)]).name("b").build();
            let shared = LayerRef::new(Dense::new(4).activation("tanh").name("shared"));
            let x = concatenate(&[shared.call(&a).unwrap(), shared.call(&b).unwrap()]).unwrap();
            let o1 = Dense::new(1).name("out1").apply(&x).unwrap();
            let o2 = Dense::new(3)
                .activation("softmax")
                .name("out2")
                .apply(&x)
                .unwrap();
            Model::new(&[a, b], &[o1, o2]).unwrap()
        }
        "reg" => Model::sequential(vec![
            Dense::new(8)
                .activation("relu")
                .kernel_regularizer(Regularizer::L2(0.01))
                .activity_regularizer(Regularizer::L1(0.001))
                .input_shape(&[6])
                .into(),
            Dropout::new(dropout).into(),
            Dense::new(1).into(),
        ])
        .unwrap(),
        _ => unreachable!(),
    }
}

fn compile(name: &str, m: &mut Model, opt: Box<dyn Optimizer>) {
    let args = CompileArgs::new().optimizer(opt);
    let args = match name {
        "mlp" => args.loss("sparse_categorical_crossentropy"),
        "multi" => args
            .losses(vec![
                LossArg::from("mse"),
                LossArg::from("sparse_categorical_crossentropy"),
            ])
            .loss_weights(&[1.0, 0.5]),
        _ => args.loss("mse"),
    };
    m.compile(args).unwrap();
}

fn optimizer(name: &str) -> Box<dyn Optimizer> {
    use kiln::optimizers::*;
    match name {
        "sgd" => Box::new(SGD::new(0.1)),
        "sgd_nesterov" => Box::new(SGD::new(0.1).momentum(0.9).nesterov(true)),
        "adam" => Box::new(Adam::new(0.01)),
        "adam_amsgrad" => Box::new(Adam::new(0.01).amsgrad(true)),
        "adamw" => Box::new(AdamW::new(0.01)),
        "rmsprop" => Box::new(RMSprop::new(0.01)),
        "rmsprop_centered" => Box::new(RMSprop::new(0.01).momentum(0.5).centered(true)),
        "adagrad" => Box::new(Adagrad::new(0.1)),
        "adadelta" => Box::new(Adadelta::new(1.0)),
        "adamax" => Box::new(Adamax::new(0.01)),
        "nadam" => Box::new(Nadam::new(0.01)),
        "lion" => Box::new(Lion::new(0.01)),
        o => panic!("optimizer {o}"),
    }
}

#[test]
fn models_match_keras() {
    let path = format!(
        "{}/../../tools/golden/fixtures/models.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let root: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut checked = 0;
    for case in root["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let weights = tensors(&case["weights"]);
        let x = tensors(&case["x"]);
        let y = tensors(&case["y"]);
        let mut model = build(name, 0.5);
        assert_eq!(model.weights().len(), weights.len(), "{name}: weight count");
        model.set_weights(&weights).unwrap();
        let preds = model
            .predict_multi(x.clone(), PredictArgs::new().verbose(0))
            .unwrap();
        for (i, (p, w)) in preds.iter().zip(tensors(&case["predictions"])).enumerate() {
            assert_close(&format!("{name} prediction {i}"), p, &w, 1e-5, 1e-6);
        }
        compile(name, &mut model, optimizer("sgd"));
        let logs = model.test_on_batch(x.clone(), y.clone(), None).unwrap();
        for (k, v) in case["test_logs"].as_object().unwrap() {
            let got = logs
                .get(k)
                .unwrap_or_else(|| panic!("{name}: no log {k} in {logs:?}"));
            let want = v.as_f64().unwrap();
            assert!(
                (got - want).abs() <= 1e-5 * want.abs() + 1e-6,
                "{name} test {k}: {got} vs {want}"
            );
        }
        for (opt, expected) in case["train"].as_object().unwrap() {
            let mut m = build(name, 0.0);
            m.set_weights(&weights).unwrap();
            compile(name, &mut m, optimizer(opt));
            let logs = m.train_on_batch(x.clone(), y.clone(), None).unwrap();
            let want_loss = expected["logs"]["loss"].as_f64().unwrap();
            let got_loss = logs.get("loss").unwrap();
            assert!(
                (got_loss - want_loss).abs() <= 1e-5 * want_loss.abs() + 1e-6,
                "{name}/{opt} loss {got_loss} vs {want_loss}"
            );
            for (i, (g, w)) in m
                .get_weights()
                .iter()
                .zip(tensors(&expected["weights_after"]))
                .enumerate()
            {
                assert_close(&format!("{name}/{opt} weight {i}"), g, &w, 1e-5, 1e-6);
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 3 * 12);
}
