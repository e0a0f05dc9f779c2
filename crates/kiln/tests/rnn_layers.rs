//! Recurrent layers beyond the Keras goldens: bad input is an `Err` naming the shapes,
//! dropout masks are fixed across time steps and only active in training, stateful
//! layers carry and reset their states, and masks from `Embedding(mask_zero)` reach an
//! LSTM inside a functional model.

use kiln::initializers::Initializer;
use kiln::layers::{
    Bidirectional, Dense, Embedding, Input, LayerApply, LayerRef, SimpleRNN, TimeDistributed, GRU,
    LSTM,
};
use kiln::models::Model;
use kiln_tensor::{DType, Tensor};

fn ones(shape: &[usize]) -> Tensor {
    Tensor::ones(shape, DType::F32)
}

#[test]
fn wrong_feature_size_into_a_built_rnn_is_an_error() {
    let l = LayerRef::new(LSTM::new(4));
    l.call(&ones(&[2, 5, 3])).unwrap();
    let e = l.call(&ones(&[2, 5, 7])).unwrap_err().to_string();
    assert!(
        e.contains("expected axis -1 of input shape to have value 3") && e.contains("(2, 5, 7)"),
        "{e}"
    );
    let e = l.call(&ones(&[2, 3])).unwrap_err().to_string();
    assert!(e.contains("ndim=3") && e.contains("(2, 3)"), "{e}");
}

#[test]
fn mask_shape_mismatch_is_an_error() {
    let l = LayerRef::new(GRU::new(2).return_sequences(true));
    let mask = Tensor::from_vec(vec![true; 8], &[2, 4]).unwrap();
    let e = l
        .call_with_masks(&[ones(&[2, 5, 3])], &[Some(mask.clone())], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("(2, 4)") && e.contains("(2, 5)"), "{e}");
    let td = LayerRef::new(TimeDistributed::new(Dense::new(2)));
    let e = td
        .call_with_masks(&[ones(&[2, 5, 3])], &[Some(mask)], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("[2, 4]") && e.contains("[2, 5, 3]"), "{e}");
}

#[test]
fn initial_state_of_the_wrong_shape_or_count_is_an_error() {
    let l = LayerRef::new(LSTM::new(3));
    let x = ones(&[2, 5, 4]);
    let e = l
        .call_multi(&[x.clone(), ones(&[2, 4]), ones(&[2, 3])], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("(2, 4)"), "{e}");
    let e = l
        .call_multi(&[x.clone(), ones(&[2, 3])], None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("2 states") && e.contains("1 initial states"),
        "{e}"
    );
    let e = l
        .call_multi(&[x, ones(&[3, 3]), ones(&[3, 3])], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("(3, 3)") && e.contains("expected (2, 3)"), "{e}");
}

#[test]
fn wrappers_refuse_what_keras_refuses() {
    let e = Bidirectional::new(Dense::new(2)).err().unwrap().to_string();
    assert!(e.contains("recurrent layer"), "{e}");
    assert!(kiln::layers::MergeMode::get("max").is_err());
    let e = Bidirectional::new(LSTM::new(2))
        .unwrap()
        .backward_layer(LSTM::new(2))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("go_backwards"), "{e}");
    let td = LayerRef::new(TimeDistributed::new(Dense::new(2)));
    assert!(td.call(&ones(&[2, 3])).is_err());
}

#[test]
fn dropout_masks_are_fixed_across_steps_and_only_in_training() {
    // Linear cell with a zero recurrent kernel: each step's output is (x * mask) @ kernel,
    // so equal inputs give equal outputs at every step when the mask is fixed.
    let l = LayerRef::new(
        SimpleRNN::new(4)
            .activation("linear")
            .unwrap()
            .use_bias(false)
            .recurrent_initializer(Initializer::Zeros)
            .kernel_initializer(Initializer::Ones)
            .dropout(0.5)
            .seed(7)
            .return_sequences(true),
    );
    let x = ones(&[3, 6, 8]);
    let infer = l.call_training(&x, false).unwrap().to_vec::<f32>().unwrap();
    assert!(infer.iter().all(|&v| v == 8.0), "no dropout at inference");
    let y = l.call_training(&x, true).unwrap();
    let v = y.to_vec::<f32>().unwrap();
    for b in 0..3 {
        let first = &v[b * 24..b * 24 + 4];
        for t in 1..6 {
            assert_eq!(&v[b * 24 + t * 4..b * 24 + t * 4 + 4], first, "step {t}");
        }
    }
    assert_ne!(v, infer, "training applies dropout");
    // Kept inputs are scaled by 1 / (1 - rate): outputs are multiples of 2.
    assert!(v.iter().all(|&o| (o / 2.0).fract() == 0.0), "{v:?}");
}

#[test]
fn stateful_layers_carry_states_and_reset() {
    let l = LayerRef::new(LSTM::new(3).stateful(true).return_state(true));
    let x = ones(&[2, 4, 1]);
    let a = l.call_multi(std::slice::from_ref(&x), None).unwrap();
    let b = l.call_multi(std::slice::from_ref(&x), None).unwrap();
    assert_ne!(a[0].to_vec::<f32>().unwrap(), b[0].to_vec::<f32>().unwrap());
    // The second call started from the first one's final states.
    let c = LayerRef::new(LSTM::new(3).return_state(true));
    c.build(&[vec![None, Some(4), Some(1)]]).unwrap();
    c.set_weights(&l.get_weights()).unwrap();
    let d = c
        .call_multi(&[x.clone(), a[1].clone(), a[2].clone()], None)
        .unwrap();
    // Stateful calls take the per-step path and the others the fused op: the same
    // arithmetic in a different summation order, so equal to rounding.
    let (bv, dv) = (b[0].to_vec::<f32>().unwrap(), d[0].to_vec::<f32>().unwrap());
    assert!(
        bv.iter().zip(&dv).all(|(p, q)| (p - q).abs() <= 1e-6),
        "{bv:?} vs {dv:?}"
    );
    l.downcast(|s: &mut LSTM| s.reset_states());
    let e = l.call_multi(&[x], None).unwrap();
    assert_eq!(a[0].to_vec::<f32>().unwrap(), e[0].to_vec::<f32>().unwrap());
    let err = l.call(&ones(&[3, 4, 1])).unwrap_err().to_string();
    assert!(
        err.contains("batch size 2") && err.contains("batch of 3"),
        "{err}"
    );
}

#[test]
fn embedding_masks_reach_an_lstm_in_a_functional_model() {
    let ids = Input::new(&[Some(5)]).dtype(DType::I32).build();
    let emb = LayerRef::new(Embedding::new(10, 3).mask_zero(true));
    let lstm = LayerRef::new(LSTM::new(2));
    let h = emb.call(&ids).unwrap();
    let y = lstm.call(&h).unwrap();
    let model = Model::new(&[ids], &[y]).unwrap();
    let x = Tensor::from_vec(vec![3i32, 4, 0, 0, 0, 1, 2, 5, 6, 0], &[2, 5]).unwrap();
    let got = model.call(&x).unwrap().to_vec::<f32>().unwrap();
    // The same as the LSTM on the unpadded prefixes, one sample at a time.
    let e = emb.call(&x).unwrap();
    let first = lstm
        .call(&e.slice(&[0, 0, 0], &[1, 2, 3]).unwrap())
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
    let second = lstm
        .call(&e.slice(&[1, 0, 0], &[1, 4, 3]).unwrap())
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
    // Equal up to matmul rounding (batch 2 and batch 1 take different GEMM paths).
    let want: Vec<f32> = first.iter().chain(&second).copied().collect();
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() <= 1e-6, "{got:?} vs {want:?}");
    }
    // Symbolic shapes come from compute_output_shape.
    let seq = GRU::new(4)
        .return_sequences(true)
        .apply(&Input::shape(&[7, 3]))
        .unwrap();
    assert_eq!(seq.shape(), &[None, Some(7), Some(4)]);
}

#[test]
fn slice_gradients_accumulate_in_place_and_nest() {
    use kiln_tensor::GradientTape;
    // Overlapping slices, a strided view and another use of the input: the tape adds
    // each slice's gradient into its region of the input's gradient.
    let x = Tensor::from_vec((0..24).map(|v| v as f64).collect(), &[2, 3, 4]).unwrap();
    let tape = GradientTape::new();
    tape.watch(&x);
    let a = x.slice(&[0, 1, 0], &[2, 2, 3]).unwrap();
    let b = x.slice(&[1, 0, 1], &[1, 3, 3]).unwrap();
    let steps = x.unstack(1).unwrap();
    let y = a
        .mul_scalar(2.0)
        .unwrap()
        .sum_all()
        .unwrap()
        .add(&b.square().unwrap().sum_all().unwrap())
        .unwrap()
        .add(&steps[2].mul_scalar(3.0).unwrap().sum_all().unwrap())
        .unwrap()
        .add(&x.sum_all().unwrap())
        .unwrap();
    let g = tape.gradient(&y, &[&x]).unwrap()[0].clone().unwrap();
    let xv = x.to_vec::<f64>().unwrap();
    let mut want = vec![1.0f64; 24];
    for i in 0..2 {
        for j in 0..3 {
            for k in 0..4 {
                let n = i * 12 + j * 4 + k;
                if (1..3).contains(&j) && k < 3 {
                    want[n] += 2.0;
                }
                if i == 1 && (1..4).contains(&k) {
                    want[n] += 2.0 * xv[n];
                }
                if j == 2 {
                    want[n] += 3.0;
                }
            }
        }
    }
    assert_eq!(g.to_vec::<f64>().unwrap(), want);
    // Second derivative through a slice (the outer tape records the inner backward).
    let outer = GradientTape::new();
    outer.watch(&x);
    let inner = GradientTape::new();
    inner.watch(&x);
    let s = x.slice(&[0, 0, 0], &[1, 1, 2]).unwrap();
    let z = s.square().unwrap().mul(&s).unwrap().sum_all().unwrap(); // sum s^3
    let dz = inner.gradient(&z, &[&x]).unwrap()[0].clone().unwrap(); // 3 s^2
    drop(inner);
    let d2 = outer.gradient(&dz.sum_all().unwrap(), &[&x]).unwrap()[0]
        .clone()
        .unwrap(); // 6 s
    let d2 = d2.to_vec::<f64>().unwrap();
    assert_eq!(&d2[..3], &[0.0, 6.0, 0.0]);
}
