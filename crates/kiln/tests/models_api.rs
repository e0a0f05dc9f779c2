//! The model API without training: functional graphs, shared and nested layers, naming,
//! freezing, weights, and the errors a Keras user gets for mistakes.
#![allow(clippy::cloned_ref_to_slice_refs)]

use kiln::layers::*;
use kiln::models::Model;
use kiln::models::PredictArgs;
use kiln_tensor::{DType, Tensor};

fn ones(shape: &[usize]) -> Tensor {
    Tensor::ones(shape, DType::F32)
}

#[test]
fn shared_layer_and_multi_io_graph() {
    let a = Input::shape(&[5]);
    let b = Input::shape(&[5]);
    let shared = LayerRef::new(Dense::new(4).activation("tanh"));
    let x = concatenate(&[shared.call(&a).unwrap(), shared.call(&b).unwrap()]).unwrap();
    let o1 = Dense::new(1).apply(&x).unwrap();
    let o2 = Dense::new(3).activation("softmax").apply(&x).unwrap();
    let m = Model::new(&[a, b], &[o1, o2]).unwrap();
    // shared: 5*4+4, out1: 8+1, out2: 8*3+3
    assert_eq!(m.count_params(), 24 + 9 + 27);
    let outs = m
        .call_multi(&[ones(&[2, 5]), ones(&[2, 5])], false)
        .unwrap();
    assert_eq!(outs[0].shape(), &[2, 1]);
    assert_eq!(outs[1].shape(), &[2, 3]);
    // Both branches use the same weights: equal inputs give equal halves.
    let h = shared
        .call(&ones(&[1, 5]))
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
    assert_eq!(h.len(), 4);
    assert_eq!(m.inputs().len(), 2);
    assert_eq!(m.outputs().len(), 2);
}

#[test]
fn nested_model_and_submodel() {
    let inner = Model::sequential(vec![Dense::new(3)
        .name("inner_dense")
        .input_shape(&[4])
        .into()])
    .unwrap();
    let x = Input::shape(&[4]);
    let h = inner.as_layer().call(&x).unwrap();
    let y = Dense::new(2).name("head").apply(&h).unwrap();
    let outer = Model::new(&[x.clone()], &[y]).unwrap();
    assert_eq!(outer.count_params(), 15 + 8);
    let out = outer.call(&ones(&[6, 4])).unwrap();
    assert_eq!(out.shape(), &[6, 2]);
    // A feature extractor from the same graph shares weights.
    let features = Model::new(&[x], &[h]).unwrap();
    assert_eq!(features.count_params(), 15);
    assert_eq!(features.call(&ones(&[1, 4])).unwrap().shape(), &[1, 3]);
    assert!(outer.get_layer("head").is_ok());
}

#[test]
fn graph_disconnected_is_an_error() {
    let a = Input::shape(&[3]);
    let b = Input::shape(&[3]);
    let y = add(&[a.clone(), b]).unwrap();
    let e = Model::new(&[a], &[y]).err().unwrap().to_string();
    assert!(e.contains("graph disconnected"), "{e}");
}

#[test]
fn wrong_input_shape_to_built_model() {
    let m = Model::sequential(vec![
        Dense::new(4).input_shape(&[8]).into(),
        Dense::new(2).into(),
    ])
    .unwrap();
    let e = m.call(&ones(&[3, 7])).unwrap_err().to_string();
    assert!(
        e.contains("expected shape (None, 8)") && e.contains("(3, 7)"),
        "{e}"
    );
    // A layer built for 8 features rejects 7 with Keras's message.
    let d = LayerRef::new(Dense::new(2));
    d.call(&ones(&[1, 8])).unwrap();
    let e = d.call(&ones(&[1, 7])).unwrap_err().to_string();
    assert!(
        e.contains("expected axis -1 of input shape to have value 8"),
        "{e}"
    );
}

#[test]
fn sequential_builds_on_first_call() {
    let mut m = Model::sequential(vec![Dense::new(3).into(), Dense::new(1).into()]).unwrap();
    assert!(m.output_shape().is_none());
    let y = m
        .predict(ones(&[5, 7]), PredictArgs::new().batch_size(2).verbose(0))
        .unwrap();
    assert_eq!(y.shape(), &[5, 1]);
    assert_eq!(m.output_shape(), Some(vec![None, Some(1)]));
    assert_eq!(m.count_params(), 24 + 4);
    assert!(m.summary_string(None).contains("(None, 3)"));
}

#[test]
fn freezing_moves_weights_to_non_trainable() {
    let m = Model::sequential(vec![
        Dense::new(3).name("frozen").input_shape(&[2]).into(),
        Dense::new(1).into(),
    ])
    .unwrap();
    m.get_layer("frozen").unwrap().set_trainable(false);
    assert_eq!(m.trainable_weights().len(), 2);
    assert_eq!(m.non_trainable_weights().len(), 2);
    let s = m.summary_string(None);
    assert!(s.contains("Non-trainable params: 9 (36.00 B)"), "{s}");
    m.set_trainable(true);
    assert_eq!(m.trainable_weights().len(), 4);
}

#[test]
fn set_weights_checks_count_and_shapes() {
    let m = Model::sequential(vec![Dense::new(2).input_shape(&[3]).into()]).unwrap();
    assert!(m.set_weights(&[ones(&[3, 2])]).is_err());
    let e = m
        .set_weights(&[ones(&[2, 2]), ones(&[2])])
        .unwrap_err()
        .to_string();
    assert!(e.contains("[3, 2]") && e.contains("[2, 2]"), "{e}");
    m.set_weights(&[ones(&[3, 2]), ones(&[2])]).unwrap();
    assert_eq!(
        m.call(&ones(&[1, 3])).unwrap().to_vec::<f32>().unwrap(),
        vec![4.0, 4.0]
    );
}

#[test]
fn merge_layers_check_shapes() {
    let e = add(&[Input::shape(&[3]), Input::shape(&[4])])
        .unwrap_err()
        .to_string();
    assert!(e.contains("Add"), "{e}");
    let e = concatenate(&[Input::shape(&[3, 2]), Input::shape(&[4, 5])])
        .unwrap_err()
        .to_string();
    assert!(e.contains("matching shapes"), "{e}");
    let e = subtract(&[Input::shape(&[3])]).unwrap_err().to_string();
    assert!(e.contains("exactly 2"), "{e}");
}

#[test]
fn lambda_reshape_permute_repeat() {
    let x = Input::shape(&[6]);
    let y = Lambda::new(|t| Ok(t.mul_scalar(2.0)?)).apply(&x).unwrap();
    let y = Reshape::new(&[2, -1]).apply(&y).unwrap();
    assert_eq!(y.shape(), &[None, Some(2), Some(3)]);
    let y = Permute::new(&[2, 1]).apply(&y).unwrap();
    assert_eq!(y.shape(), &[None, Some(3), Some(2)]);
    let y = Flatten::new().apply(&y).unwrap();
    let y = RepeatVector::new(4).apply(&y).unwrap();
    assert_eq!(y.shape(), &[None, Some(4), Some(6)]);
    let m = Model::new(&[x], &[y]).unwrap();
    let out = m.call(&ones(&[2, 6])).unwrap();
    assert_eq!(out.shape(), &[2, 4, 6]);
    assert!(out.to_vec::<f32>().unwrap().iter().all(|&v| v == 2.0));
    assert!(Reshape::new(&[5]).apply(&Input::shape(&[6])).is_err());
}

#[test]
fn training_flag_reaches_nested_dropout() {
    let inner =
        Model::sequential(vec![Dropout::new(0.5).seed(3).input_shape(&[1000]).into()]).unwrap();
    let outer = Model::sequential(vec![inner.as_layer()]).unwrap();
    let x = ones(&[1, 1000]);
    let inf = outer.call_multi(&[x.clone()], false).unwrap();
    assert!(inf[0].to_vec::<f32>().unwrap().iter().all(|&v| v == 1.0));
    let tr = outer.call_multi(&[x], true).unwrap();
    let v = tr[0].to_vec::<f32>().unwrap();
    assert!(v.contains(&0.0) && v.contains(&2.0));
}

/// A subclassed model: a user struct with sub-layers and its own `call`.
#[derive(kiln::layers::Layer)]
struct TwoTower {
    base: LayerBase,
    left: LayerRef,
    right: LayerRef,
}

impl Layer for TwoTower {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let x = one_input(inputs, "TwoTower")?;
        let l = self.left.call(x)?;
        let r = self.right.call(x)?;
        Ok(vec![l.add(&r)?])
    }
}

#[test]
fn subclassed_model_tracks_sublayers() {
    let m = Model::from_layer(TwoTower {
        base: LayerBase::new("two_tower"),
        left: Dense::new(2).into(),
        right: Dense::new(2).into(),
    });
    let y = m.call(&ones(&[3, 4])).unwrap();
    assert_eq!(y.shape(), &[3, 2]);
    assert_eq!(m.weights().len(), 4);
    assert_eq!(m.count_params(), 20);
    let s = m.summary_string(None);
    assert!(s.contains("Total params: 20"), "{s}");
}

#[test]
fn add_loss_from_call_is_collected() {
    #[derive(kiln::layers::Layer)]
    struct Penalized {
        base: LayerBase,
    }
    impl Layer for Penalized {
        fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
            let x = one_input(inputs, "Penalized")?;
            self.base.add_loss(x.sum(&[], false)?.mul_scalar(0.5)?);
            Ok(vec![x.clone()])
        }
    }
    let l = LayerRef::new(Penalized {
        base: LayerBase::new("penalized"),
    });
    l.call(&ones(&[2, 2])).unwrap();
    let losses = l.losses().unwrap();
    assert_eq!(losses.len(), 1);
    assert_eq!(losses[0].item::<f32>().unwrap(), 2.0);
    // The next outermost call starts fresh.
    l.call(&ones(&[1, 2])).unwrap();
    assert_eq!(l.losses().unwrap()[0].item::<f32>().unwrap(), 1.0);
}
