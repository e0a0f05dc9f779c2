//! `summary()` text equals Keras 3.15's (tools/golden/gen_summaries.py, 80 columns).
#![allow(clippy::cloned_ref_to_slice_refs)]
//! One test: auto-names are process-wide, so the models are built one after another.

use kiln::initializers::Initializer;
use kiln::layers::*;
use kiln::models::Model;
use kiln_tensor::{Tensor, Variable};
use serde_json::Value;

#[derive(kiln::layers::Layer)]
struct LinearRegression {
    base: LayerBase,
    w: Variable,
}

impl Layer for LinearRegression {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        Ok(vec![
            one_input(inputs, "LinearRegression")?.matmul(&self.w.value())?
        ])
    }
}

fn build(name: &str) -> Model {
    kiln::utils::clear_session();
    match name {
        "mnist_mlp" => Model::sequential(vec![
            Flatten::new().input_shape(&[28, 28]).into(),
            Dense::new(128).activation("relu").into(),
            Dropout::new(0.2).into(),
            Dense::new(10).into(),
        ])
        .unwrap(),
        "s002_mlp" => Model::sequential(vec![
            Dense::new(64).activation("relu").input_shape(&[784]).into(),
            Dense::new(10).activation("softmax").into(),
        ])
        .unwrap(),
        "multi_io" => {
            let a = Input::new(&[Some(32)]).name("a").build();
            let b = Input::new(&[Some(16)]).name("b").build();
            let shared = LayerRef::new(Dense::new(8).name("shared"));
            let h = Dense::new(16).apply(&a).unwrap();
            let x = concatenate(&[shared.call(&h).unwrap(), shared.call(&b).unwrap()]).unwrap();
            let o1 = Dense::new(1).name("o1").apply(&x).unwrap();
            let o2 = Dense::new(3).name("o2").apply(&x).unwrap();
            Model::new(&[a, b], &[o1, o2]).unwrap()
        }
        "linear_functional" => {
            let x = Input::shape(&[4]);
            let h = Dense::new(8).activation("relu").apply(&x).unwrap();
            let y = Dense::new(1).apply(&h).unwrap();
            Model::new(&[x], &[y]).unwrap()
        }
        "s004_linear" => {
            let mut base = LayerBase::new("linear_regression");
            let w = base
                .add_weight(
                    "w",
                    &[5, 1],
                    &Initializer::random_uniform(-0.05, 0.05),
                    true,
                    None,
                    None,
                )
                .unwrap();
            Model::from_layer(LinearRegression { base, w })
        }
        "frozen" => {
            let m = Model::sequential(vec![
                Dense::new(4).name("frozen").input_shape(&[3]).into(),
                Dense::new(2).into(),
            ])
            .unwrap();
            m.get_layer("frozen").unwrap().set_trainable(false);
            m
        }
        "trained_adam" => trained(Box::new(kiln::optimizers::Adam::default())),
        "trained_sgd" => trained(Box::new(kiln::optimizers::SGD::default())),
        "trained_sgd_momentum" => trained(Box::new(kiln::optimizers::SGD::default().momentum(0.9))),
        "trained_rmsprop_centered" => trained(Box::new(
            kiln::optimizers::RMSprop::default()
                .momentum(0.5)
                .centered(true),
        )),
        "trained_nadam" => trained(Box::new(kiln::optimizers::Nadam::default())),
        "s002_2_cnn" => {
            let i = Input::shape(&[28, 28, 1]);
            let x = Conv2D::new(32, 3)
                .activation("relu")
                .padding("same")
                .apply(&i)
                .unwrap();
            let x = MaxPooling2D::new(2).apply(&x).unwrap();
            let x = Conv2D::new(64, 3)
                .activation("relu")
                .padding("same")
                .apply(&x)
                .unwrap();
            let x = MaxPooling2D::new(2).apply(&x).unwrap();
            let x = Flatten::new().apply(&x).unwrap();
            let x = Dense::new(128).activation("relu").apply(&x).unwrap();
            let o = Dense::new(10).activation("softmax").apply(&x).unwrap();
            Model::new(&[i], &[o]).unwrap()
        }
        "s003_8_cnn" => Model::sequential(vec![
            Conv2D::new(32, 3)
                .activation("relu")
                .input_shape(&[64, 64, 3])
                .into(),
            MaxPooling2D::new(2).into(),
            Conv2D::new(64, 3).activation("relu").into(),
            MaxPooling2D::new(2).into(),
            Flatten::new().into(),
            Dense::new(128).activation("relu").into(),
            Dense::new(10).activation("softmax").into(),
        ])
        .unwrap(),
        "s003_10_resnet_like" => {
            let block = |x: &KerasTensor| {
                let y = Conv2D::new(64, 3).padding("same").apply(x).unwrap();
                let y = BatchNormalization::new().apply(&y).unwrap();
                let y = Activation::new("relu").apply(&y).unwrap();
                let y = Conv2D::new(64, 3)
                    .strides(1)
                    .padding("same")
                    .apply(&y)
                    .unwrap();
                let y = BatchNormalization::new().apply(&y).unwrap();
                let y = Add::new().apply(&vec![y, x.clone()]).unwrap();
                Activation::new("relu").apply(&y).unwrap()
            };
            let i = Input::shape(&[64, 64, 3]);
            let x = Conv2D::new(64, 7)
                .strides(2)
                .padding("same")
                .apply(&i)
                .unwrap();
            let x = BatchNormalization::new().apply(&x).unwrap();
            let x = Activation::new("relu").apply(&x).unwrap();
            let x = block(&x);
            let x = block(&x);
            let x = Flatten::new().apply(&x).unwrap();
            let o = Dense::new(10).activation("softmax").apply(&x).unwrap();
            Model::new(&[i], &[o]).unwrap()
        }
        "s003_17_transpose" => {
            let i = Input::shape(&[28, 28, 1]);
            let x = Conv2DTranspose::new(32, 3)
                .strides(2)
                .padding("same")
                .activation("relu")
                .apply(&i)
                .unwrap();
            let o = Conv2DTranspose::new(1, 3)
                .activation("sigmoid")
                .padding("same")
                .apply(&x)
                .unwrap();
            Model::new(&[i], &[o]).unwrap()
        }
        "s003_18_upsampling" => {
            let i = Input::shape(&[28, 28, 1]);
            let x = UpSampling2D::new(2).apply(&i).unwrap();
            let o = Conv2D::new(64, 3).padding("same").apply(&x).unwrap();
            Model::new(&[i], &[o]).unwrap()
        }
        "s003_44_bn_mlp" => Model::sequential(vec![
            Flatten::new().input_shape(&[28, 28]).into(),
            Dense::new(128).activation("relu").into(),
            BatchNormalization::new().into(),
            Dense::new(10).activation("softmax").into(),
        ])
        .unwrap(),
        "s000_4_imdb_rnn" => Model::sequential(vec![
            Input::shape(&[500]).layer(),
            kiln::layers::Embedding::new(10000, 128).into(),
            kiln::layers::SimpleRNN::new(128).into(),
            Dense::new(1).activation("sigmoid").into(),
        ])
        .unwrap(),
        "s003_28_sine_rnn" => Model::sequential(vec![
            kiln::layers::SimpleRNN::new(50)
                .activation("relu")
                .unwrap()
                .input_shape(&[10, 1])
                .into(),
            Dense::new(1).into(),
        ])
        .unwrap(),
        "s003_29_sine_lstm" => Model::sequential(vec![
            kiln::layers::LSTM::new(50)
                .activation("relu")
                .unwrap()
                .input_shape(&[10, 1])
                .into(),
            Dense::new(1).into(),
        ])
        .unwrap(),
        "sine_gru" => Model::sequential(vec![
            kiln::layers::GRU::new(50)
                .activation("relu")
                .unwrap()
                .input_shape(&[10, 1])
                .into(),
            Dense::new(1).into(),
        ])
        .unwrap(),
        "bidi_td_stack" => {
            use kiln::layers::{Bidirectional, TimeDistributed, GRU, LSTM};
            let i = Input::shape(&[12, 8]);
            let x = Bidirectional::new(LSTM::new(16).return_sequences(true))
                .unwrap()
                .apply(&i)
                .unwrap();
            let x = TimeDistributed::new(Dense::new(4)).apply(&x).unwrap();
            let x = GRU::new(6).reset_after(false).apply(&x).unwrap();
            let o = Dense::new(1).apply(&x).unwrap();
            Model::new(&[i], &[o]).unwrap()
        }
        other => panic!("no builder for {other}"),
    }
}

/// After `fit`, Keras adds the optimizer's variables to the totals.
fn trained(opt: Box<dyn kiln::optimizers::Optimizer>) -> Model {
    use kiln::models::{CompileArgs, FitArgs};
    use kiln_tensor::DType;
    let mut m = Model::sequential(vec![
        Dense::new(3).input_shape(&[4]).into(),
        Dense::new(2).into(),
    ])
    .unwrap();
    m.compile(CompileArgs::new().optimizer(opt).loss("mse"))
        .unwrap();
    let x = Tensor::zeros(&[8, 4], DType::F32);
    let y = Tensor::zeros(&[8, 2], DType::F32);
    m.fit(&x, &y, FitArgs::new().verbose(0)).unwrap();
    m
}

#[test]
fn summaries_match_keras() {
    let path = format!(
        "{}/../../tools/golden/fixtures/summaries.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let root: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = root["cases"].as_array().unwrap();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let want = case["text"].as_str().unwrap();
        // Keras at COLUMNS=80: line_length = min(88 or 108, 80 - 4).
        let got = build(name).summary_string(Some(76));
        assert_eq!(got, want, "summary of {name}:\n{got}\nKeras:\n{want}");
    }
    assert_eq!(cases.len(), 22);
}
