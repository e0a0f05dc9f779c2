//! A traced `GradientTape` over the fused ops (layer normalization, attention, recurrent
//! sequences) replays the fused backward kernels: the gradients a `Function` returns on
//! new values equal the eager gradients bit for bit.

use kiln_tensor::function::{Function, Value};
use kiln_tensor::ops::attention::{AttentionOptions, AttentionPath};
use kiln_tensor::ops::rnn::{RecurrentCell, SequenceOptions};
use kiln_tensor::{DType, GradientTape, Result, Tensor};

fn seq(n: usize, s: &[usize], phase: f32) -> Tensor {
    Tensor::from_vec(
        (0..n)
            .map(|i| ((i as f32 + phase) * 0.37).sin() * 0.8)
            .collect(),
        s,
    )
    .unwrap()
}

fn bits(t: &Tensor) -> Vec<u64> {
    t.to_f64_vec().iter().map(|v| v.to_bits()).collect()
}

type Body = fn(&[Tensor]) -> Result<Vec<Tensor>>;

/// Loss `sum(y * w)` for a `w` that varies by element, so the output gradient is not
/// uniform.
fn weighted(y: &Tensor) -> Result<Tensor> {
    let n = y.numel();
    let w = Tensor::from_vec(
        (0..n).map(|i| 0.5 + (i % 7) as f32 * 0.25).collect(),
        y.shape(),
    )?
    .cast(y.dtype())?;
    y.mul(&w)?.sum_all()
}

/// The gradients of `loss(inputs)` with respect to every input.
fn grads_of(xs: &[Tensor], loss: impl FnOnce(&[Tensor]) -> Result<Tensor>) -> Result<Vec<Tensor>> {
    let tape = GradientTape::new();
    for x in xs {
        tape.watch(x);
    }
    let l = loss(xs)?;
    let refs: Vec<&Tensor> = xs.iter().collect();
    let g = tape.gradient(&l, &refs)?;
    Ok(g.into_iter()
        .map(|g| g.unwrap_or_else(|| Tensor::scalar(f32::NAN)))
        .collect())
}

/// Traces `body` inside a `Function`, calls it on each set of values (the first traces,
/// the others replay the trace) and compares every gradient with the eager one, bit for
/// bit. `expect` names a gradient op the trace must hold.
fn check(name: &str, body: Body, calls: &[Vec<Tensor>], expect: &str) {
    let f = Function::new(name, move |a| {
        let xs = (0..a.values().len())
            .map(|i| a.tensor(i))
            .collect::<Result<Vec<_>>>()?;
        Ok::<_, kiln_tensor::Error>(Value::List(
            body(&xs)?.into_iter().map(Value::from).collect(),
        ))
    });
    for (c, xs) in calls.iter().enumerate() {
        let args: Vec<Value> = xs.iter().cloned().map(Value::from).collect();
        let got = f
            .call(&args)
            .unwrap_or_else(|e| panic!("{name}, call {c}: {e}"));
        let Value::List(got) = got else {
            panic!("{name}: expected a list")
        };
        let want = body(xs).unwrap();
        assert_eq!(got.len(), want.len(), "{name}");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            let g = g.as_tensor().expect("a tensor");
            assert_eq!(
                g.shape(),
                w.shape(),
                "{name}, call {c}, gradient {i}: shape"
            );
            assert_eq!(bits(g), bits(w), "{name}, call {c}, gradient {i}: values");
        }
    }
    assert_eq!(
        f.experimental_get_tracing_count(),
        1,
        "{name}: replayed, not retraced"
    );
    let listing = f.concrete_functions()[0].listing();
    assert!(
        listing.contains(expect),
        "{name}: no {expect} in\n{listing}"
    );
    assert!(
        !listing.contains("no_second_derivative"),
        "{name}: a non-replayable gradient in\n{listing}"
    );
}

fn ln(xs: &[Tensor]) -> Result<Vec<Tensor>> {
    grads_of(xs, |v| {
        weighted(&v[0].layer_normalization(Some(&v[1]), Some(&v[2]), 1e-3)?)
    })
}

fn ln_plain(xs: &[Tensor]) -> Result<Vec<Tensor>> {
    grads_of(xs, |v| {
        weighted(&v[0].layer_normalization(None, None, 1e-5)?.square()?)
    })
}

#[test]
fn traced_layer_normalization_gradients_equal_eager() {
    let calls: Vec<Vec<Tensor>> = (0..3)
        .map(|p| {
            let p = p as f32 * 11.0;
            vec![
                seq(2 * 3 * 5, &[2, 3, 5], p),
                seq(5, &[5], p + 1.0).add_scalar(1.0).unwrap(),
                seq(5, &[5], p + 2.0),
            ]
        })
        .collect();
    check("ln", ln, &calls, "layer_normalization_grad");
    let calls64: Vec<Vec<Tensor>> = (0..2)
        .map(|p| {
            vec![seq(4 * 6, &[4, 6], p as f32 * 5.0)
                .cast(DType::F64)
                .unwrap()]
        })
        .collect();
    check("ln_plain", ln_plain, &calls64, "layer_normalization_grad");
}

fn attention_mask() -> Tensor {
    Tensor::from_vec(
        (0..2 * 4 * 5).map(|i| i % 3 != 1).collect::<Vec<bool>>(),
        &[2, 1, 4, 5],
    )
    .unwrap()
}

fn attn_direct(xs: &[Tensor]) -> Result<Vec<Tensor>> {
    grads_of(xs, |v| {
        let m = attention_mask();
        weighted(&v[0].scaled_dot_product_attention(
            &v[1],
            &v[2],
            Some(&m),
            AttentionOptions::new(0.5),
        )?)
    })
}

fn attn_blocked(xs: &[Tensor]) -> Result<Vec<Tensor>> {
    grads_of(xs, |v| {
        let m = attention_mask();
        let mut o = AttentionOptions::new(0.35);
        o.zero_masked_rows = true;
        o.path = AttentionPath::Blocked {
            block_q: 3,
            block_k: 2,
        };
        weighted(&v[0].scaled_dot_product_attention(&v[1], &v[2], Some(&m), o)?)
    })
}

#[test]
fn traced_attention_gradients_equal_eager() {
    let calls: Vec<Vec<Tensor>> = (0..3)
        .map(|p| {
            let p = p as f32 * 7.0;
            vec![
                seq(2 * 4 * 2 * 3, &[2, 4, 2, 3], p),
                seq(2 * 5 * 2 * 3, &[2, 5, 2, 3], p + 3.0),
                seq(2 * 5 * 2 * 4, &[2, 5, 2, 4], p + 5.0),
            ]
        })
        .collect();
    check(
        "attn_direct",
        attn_direct,
        &calls,
        "scaled_dot_product_attention_grad",
    );
    check(
        "attn_blocked",
        attn_blocked,
        &calls,
        "scaled_dot_product_attention_grad",
    );
}

fn rnn_mask() -> Tensor {
    Tensor::from_vec(
        vec![true, true, false, true, false, true, true, true],
        &[2, 4],
    )
    .unwrap()
}

fn lstm(xs: &[Tensor]) -> Result<Vec<Tensor>> {
    grads_of(xs, |v| {
        let m = rnn_mask();
        let out = v[0].recurrent_sequence(
            RecurrentCell::Lstm,
            &v[1],
            &v[2],
            Some(&v[3]),
            &[v[4].clone(), v[5].clone()],
            Some(&m),
            SequenceOptions::default(),
        )?;
        weighted(&out[0])?
            .add(&weighted(&out[1])?)?
            .add(&out[2].square()?.sum_all()?)
    })
}

fn gru_after(xs: &[Tensor]) -> Result<Vec<Tensor>> {
    grads_of(xs, |v| {
        let out = v[0].recurrent_sequence(
            RecurrentCell::Gru { reset_after: true },
            &v[1],
            &v[2],
            Some(&v[3]),
            std::slice::from_ref(&v[4]),
            None,
            SequenceOptions {
                go_backwards: true,
                zero_output_for_mask: false,
            },
        )?;
        weighted(&out[0])?.add(&weighted(&out[1])?)
    })
}

fn gru_before(xs: &[Tensor]) -> Result<Vec<Tensor>> {
    grads_of(xs, |v| {
        let m = rnn_mask();
        let out = v[0].recurrent_sequence(
            RecurrentCell::Gru { reset_after: false },
            &v[1],
            &v[2],
            None,
            &[],
            Some(&m),
            SequenceOptions {
                go_backwards: false,
                zero_output_for_mask: true,
            },
        )?;
        weighted(&out[0])
    })
}

#[test]
fn traced_recurrent_sequence_gradients_equal_eager() {
    let (b, t, d, u) = (2, 4, 3, 2);
    let lstm_calls: Vec<Vec<Tensor>> = (0..3)
        .map(|p| {
            let p = p as f32 * 13.0;
            vec![
                seq(b * t * d, &[b, t, d], p),
                seq(d * 4 * u, &[d, 4 * u], p + 1.0),
                seq(u * 4 * u, &[u, 4 * u], p + 2.0),
                seq(4 * u, &[4 * u], p + 3.0),
                seq(b * u, &[b, u], p + 4.0),
                seq(b * u, &[b, u], p + 5.0),
            ]
        })
        .collect();
    check("lstm", lstm, &lstm_calls, "recurrent_sequence_grad");
    let gru_calls: Vec<Vec<Tensor>> = (0..3)
        .map(|p| {
            let p = p as f32 * 17.0;
            vec![
                seq(b * t * d, &[b, t, d], p),
                seq(d * 3 * u, &[d, 3 * u], p + 1.0),
                seq(u * 3 * u, &[u, 3 * u], p + 2.0),
                seq(2 * 3 * u, &[2, 3 * u], p + 3.0),
                seq(b * u, &[b, u], p + 4.0),
            ]
        })
        .collect();
    check(
        "gru_after",
        gru_after,
        &gru_calls,
        "recurrent_sequence_grad",
    );
    let gru_b_calls: Vec<Vec<Tensor>> = gru_calls.iter().map(|c| c[..3].to_vec()).collect();
    check(
        "gru_before",
        gru_before,
        &gru_b_calls,
        "recurrent_sequence_grad",
    );
}

#[test]
fn a_trace_with_one_tape_keeps_the_fused_ops_and_an_outer_tape_still_refuses_second_derivatives() {
    use kiln_tensor::autodiff::capture::Capture;
    use kiln_tensor::autodiff::nested_recording;
    let tape = GradientTape::new();
    let cap = Capture::start();
    assert!(!nested_recording());
    let inner = GradientTape::new();
    assert!(nested_recording());
    drop(inner);
    drop(cap);
    drop(tape);

    // Eagerly, an outer tape recording the fused backward gets gradient ops whose own
    // gradient is an error naming the op.
    let x = seq(2 * 5, &[2, 5], 0.0);
    let outer = GradientTape::new();
    outer.watch(&x);
    let inner = GradientTape::new();
    inner.watch(&x);
    let y = x.layer_normalization(None, None, 1e-3).unwrap();
    let l = weighted(&y).unwrap();
    let g = inner.gradient(&l, &[&x]).unwrap().remove(0).unwrap();
    assert_eq!(
        outer.recorded_ops().last(),
        Some(&"layer_normalization_grad")
    );
    let e = outer
        .gradient(&g.sum_all().unwrap(), &[&x])
        .unwrap_err()
        .to_string();
    assert!(e.contains("no second derivative"), "{e}");
}
