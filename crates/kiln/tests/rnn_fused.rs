//! LSTM and GRU layers take the fused sequence op with one tape and the per-step
//! (composed) path under nested tapes: both give the same outputs and the same gradients
//! (inputs, initial states, every weight) for every option the fused op supports, in f64
//! and f32; second derivatives through a layer work under nested tapes; options the
//! fused op does not cover (other activations, dropout in training) still run.

use kiln::layers::{GRUCell, LSTMCell, LayerRef, LayerState, GRU, LSTM};
use kiln_tensor::{DType, GradientTape, Tensor};

fn rand(shape: &[usize], seed: u64, dt: DType) -> Tensor {
    let mut g = kiln_tensor::random::Generator::from_seed(seed);
    g.uniform(shape, -1.0, 1.0, DType::F64)
        .unwrap()
        .cast(dt)
        .unwrap()
}

struct Case {
    gru: Option<bool>,
    return_sequences: bool,
    return_state: bool,
    go_backwards: bool,
    zero_output_for_mask: bool,
    masked: bool,
    initial_state: bool,
    use_bias: bool,
}

fn layer(c: &Case, units: usize, dt: DType) -> LayerRef {
    let l: LayerRef = match c.gru {
        None => {
            let mut l = LSTM::new(units)
                .use_bias(c.use_bias)
                .return_sequences(c.return_sequences)
                .return_state(c.return_state)
                .go_backwards(c.go_backwards)
                .zero_output_for_mask(c.zero_output_for_mask);
            l.base_mut().dtype = dt;
            l.cell()
                .downcast(|x: &mut LSTMCell| x.base_mut().dtype = dt);
            LayerRef::new(l)
        }
        Some(ra) => {
            let mut l = GRU::new(units)
                .reset_after(ra)
                .use_bias(c.use_bias)
                .return_sequences(c.return_sequences)
                .return_state(c.return_state)
                .go_backwards(c.go_backwards)
                .zero_output_for_mask(c.zero_output_for_mask);
            l.base_mut().dtype = dt;
            l.cell().downcast(|x: &mut GRUCell| x.base_mut().dtype = dt);
            LayerRef::new(l)
        }
    };
    l
}

/// Outputs, then gradients of a weighted sum of the outputs w.r.t. the inputs and the
/// trainable weights; `nested` adds an outer recording tape (the per-step path).
fn run(l: &LayerRef, inputs: &[Tensor], mask: Option<&Tensor>, nested: bool) -> Vec<Tensor> {
    let outer = nested.then(GradientTape::new);
    let tape = GradientTape::persistent();
    for t in inputs {
        tape.watch(t);
    }
    let masks: Vec<Option<Tensor>> = vec![mask.cloned()];
    let (outs, _) = l.call_with_masks(inputs, &masks, Some(false)).unwrap();
    let mut obj = Tensor::scalar_of(0.0, inputs[0].dtype());
    for (i, o) in outs.iter().enumerate() {
        let w = rand(o.shape(), 100 + i as u64, o.dtype());
        obj = obj.add(&o.mul(&w).unwrap().sum_all().unwrap()).unwrap();
    }
    let mut res = outs.clone();
    let gi = tape
        .gradient(&obj, &inputs.iter().collect::<Vec<_>>())
        .unwrap();
    res.extend(gi.into_iter().map(|g| g.unwrap()));
    let tw = l.trainable_weights();
    let gw = tape.gradient(&obj, &tw.iter().collect::<Vec<_>>()).unwrap();
    res.extend(gw.into_iter().map(|g| g.unwrap()));
    drop(tape);
    drop(outer);
    res
}

fn compare(what: &str, a: &[Tensor], b: &[Tensor], tol: f64) {
    assert_eq!(a.len(), b.len(), "{what}: count");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert_eq!(x.shape(), y.shape(), "{what} #{i}: shape");
        let (xv, yv) = (x.to_f64_vec(), y.to_f64_vec());
        for (j, (p, q)) in xv.iter().zip(&yv).enumerate() {
            assert!(
                (p - q).abs() <= tol * (1.0 + q.abs()),
                "{what} #{i}[{j}]: fused {p} vs composed {q}"
            );
        }
    }
}

fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    for gru in [None, Some(true), Some(false)] {
        for (rs, st, back, zo, masked, init, bias) in [
            (true, false, false, false, false, false, true),
            (false, true, true, false, false, true, true),
            (true, true, false, false, true, false, true),
            (true, false, true, true, true, true, true),
            (false, true, false, true, true, false, false),
            (true, true, true, false, true, true, false),
        ] {
            v.push(Case {
                gru,
                return_sequences: rs,
                return_state: st,
                go_backwards: back,
                zero_output_for_mask: zo,
                masked,
                initial_state: init,
                use_bias: bias,
            });
        }
    }
    v
}

fn mask(b: usize, t: usize) -> Tensor {
    let rows = [
        vec![false, true, true, false, true, true, false],
        vec![true, false, true, true, false, true, true],
        vec![true; 7],
        vec![false; 7],
    ];
    let v: Vec<bool> = (0..b).flat_map(|i| rows[i % 4][..t].to_vec()).collect();
    Tensor::from_vec(v, &[b, t]).unwrap()
}

fn check_dtype(dt: DType, tol: f64) {
    let (b, t, d, u) = (4usize, 7usize, 3usize, 5usize);
    for (ci, c) in cases().iter().enumerate() {
        kiln::utils::set_random_seed(ci as u64);
        let l = layer(c, u, dt);
        let mut inputs = vec![rand(&[b, t, d], ci as u64, dt)];
        if c.initial_state {
            let n = if c.gru.is_some() { 1 } else { 2 };
            for s in 0..n {
                inputs.push(rand(&[b, u], 50 + s, dt));
            }
        }
        let m = c.masked.then(|| mask(b, t));
        let fused = run(&l, &inputs, m.as_ref(), false);
        let composed = run(&l, &inputs, m.as_ref(), true);
        compare(&format!("{dt:?} case {ci}"), &fused, &composed, tol);
    }
}

#[test]
fn fused_equals_composed_in_f64() {
    check_dtype(DType::F64, 1e-12);
}

#[test]
fn fused_equals_composed_in_f32() {
    check_dtype(DType::F32, 2e-5);
}

#[test]
fn second_derivatives_through_an_lstm_use_the_per_step_path() {
    // d/dx of |d out / d x|^2 under nested tapes: runs (per-step path) and is finite.
    let l = LayerRef::new(LSTM::new(3));
    let x = rand(&[2, 4, 2], 1, DType::F32);
    let outer = GradientTape::new();
    outer.watch(&x);
    let inner = GradientTape::new();
    inner.watch(&x);
    let y = l.call(&x).unwrap().sum_all().unwrap();
    let gx = inner.gradient(&y, &[&x]).unwrap()[0].clone().unwrap();
    drop(inner);
    let pen = gx.square().unwrap().sum_all().unwrap();
    let g2 = outer.gradient(&pen, &[&x]).unwrap()[0].clone().unwrap();
    assert!(g2.to_f64_vec().iter().all(|v| v.is_finite()));
    assert!(g2.to_f64_vec().iter().any(|v| *v != 0.0));
}

#[test]
fn unfused_options_still_run() {
    let x = rand(&[2, 4, 3], 2, DType::F32);
    let relu = LayerRef::new(LSTM::new(3).activation("relu").unwrap());
    assert_eq!(relu.call(&x).unwrap().shape(), &[2, 3]);
    let drop = LayerRef::new(GRU::new(3).dropout(0.5).recurrent_dropout(0.5).seed(1));
    let (o, _) = drop
        .call_with_masks(std::slice::from_ref(&x), &[], Some(true))
        .unwrap();
    assert_eq!(o[0].shape(), &[2, 3]);
    let hard = LayerRef::new(GRU::new(3).recurrent_activation("hard_sigmoid").unwrap());
    assert_eq!(hard.call(&x).unwrap().shape(), &[2, 3]);
}
