//! `ops::eval` recomputes every captured op from its op value and inputs, bit for bit.

use std::collections::BTreeSet;

use kiln_tensor::autodiff::capture::{Capture, Event};
use kiln_tensor::autodiff::Op;
use kiln_tensor::ops::attention::AttentionOptions;
use kiln_tensor::ops::eval;
use kiln_tensor::ops::manip::PadMode;
use kiln_tensor::ops::rnn::{RecurrentCell, SequenceOptions};
use kiln_tensor::{DType, Error, GradientTape, Padding, Tensor};

/// Every op name a record site can produce.
const ALL_OPS: &[&str] = &[
    "neg",
    "exp",
    "square",
    "abs",
    "sign",
    "log",
    "log1p",
    "expm1",
    "sqrt",
    "rsqrt",
    "reciprocal",
    "sin",
    "cos",
    "tanh",
    "erf",
    "round",
    "floor",
    "ceil",
    "sigmoid",
    "relu",
    "relu6",
    "softplus",
    "softsign",
    "silu",
    "hard_sigmoid",
    "logical_not",
    "isnan",
    "isfinite",
    "isinf",
    "identity",
    "contiguous",
    "stop_gradient",
    "cast",
    "clip",
    "leaky_relu",
    "elu",
    "gelu",
    "full_like",
    "softmax",
    "log_softmax",
    "add",
    "sub",
    "mul",
    "div",
    "rem",
    "pow",
    "maximum",
    "minimum",
    "floor_div",
    "equal",
    "not_equal",
    "less",
    "less_equal",
    "greater",
    "greater_equal",
    "logical_and",
    "logical_or",
    "logical_xor",
    "bias_add_relu",
    "sparse_softmax_cross_entropy_with_logits",
    "sparse_softmax_cross_entropy_with_logits_grad",
    "sigmoid_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits",
    "bias_add",
    "matmul",
    "where",
    "select_by_input",
    "select_by_sign",
    "sum",
    "max",
    "min",
    "prod",
    "logsumexp",
    "mean",
    "all",
    "any",
    "argmax",
    "argmin",
    "cumsum",
    "cumprod",
    "reshape",
    "transpose",
    "broadcast_to",
    "slice",
    "diagonal",
    "concat",
    "strided_slice",
    "pad",
    "tile",
    "repeat",
    "reverse",
    "roll",
    "take",
    "scatter_add",
    "gather",
    "gather_nd",
    "scatter_nd_add",
    "unsorted_segment_sum",
    "one_hot",
    "argsort",
    "sort",
    "top_k_values",
    "top_k_indices",
    "conv2d",
    "conv2d_backprop_input",
    "conv2d_backprop_filter",
    "extract_patches",
    "extract_patches_grad",
    "max_pool2d",
    "avg_pool2d",
    "max_pool2d_grad",
    "avg_pool2d_grad",
    "pool_scatter",
    "pool_gather",
    "resize_bilinear",
    "resize_bilinear_grad",
    "layer_normalization",
    "scaled_dot_product_attention",
    "recurrent_sequence",
    "layer_normalization_grad",
    "scaled_dot_product_attention_grad",
    "recurrent_sequence_grad",
    "dropout",
    "dropout_with_mask",
    "random_uniform",
    "random_normal",
    "random_truncated_normal",
    "random_randint",
    "random_bernoulli",
    "random_permutation",
    "random_shuffle",
];

/// Ops `eval` refuses with `Error::Unsupported` (state the op value does not carry).
const UNSUPPORTED: &[&str] = &["pool_scatter", "pool_gather"];

const RANDOM: &[&str] = &[
    "random_uniform",
    "random_normal",
    "random_truncated_normal",
    "random_randint",
    "random_bernoulli",
    "random_permutation",
    "random_shuffle",
];

fn bits(t: &Tensor) -> Vec<u64> {
    t.to_f64_vec().iter().map(|v| v.to_bits()).collect()
}

fn assert_same(what: &str, got: &Tensor, want: &Tensor) {
    assert_eq!(got.dtype(), want.dtype(), "{what}: dtype");
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    assert_eq!(bits(got), bits(want), "{what}: values");
}

/// Runs `body` under a capture, then evaluates every captured op and compares.
fn check(seen: &mut BTreeSet<String>, body: impl FnOnce()) {
    let cap = Capture::start();
    body();
    let trace = cap.finish();
    for e in &trace.events {
        let Event::Op { op, inputs, output } = e else {
            continue;
        };
        seen.insert(op.name().to_string());
        let ins: Vec<&Tensor> = inputs.iter().collect();
        let r = eval(op, &ins);
        if UNSUPPORTED.contains(&op.name()) {
            assert!(matches!(r, Err(Error::Unsupported { .. })), "{op}: {r:?}");
            continue;
        }
        let got = r.unwrap_or_else(|e| panic!("eval of {op} failed: {e}"));
        if RANDOM.contains(&op.name()) {
            assert_eq!(got.dtype(), output.dtype(), "{op}");
            assert_eq!(got.shape(), output.shape(), "{op}");
            continue;
        }
        assert_same(&op.to_string(), &got, output);
    }
}

fn t32(v: &[f32], s: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), s).unwrap()
}

fn seq(n: usize, s: &[usize]) -> Tensor {
    Tensor::from_vec((0..n).map(|i| (i as f32 * 0.37).sin() * 2.0).collect(), s).unwrap()
}

#[test]
fn every_recorded_op_evaluates_to_its_captured_output() {
    let mut seen = BTreeSet::new();
    let x = seq(6, &[2, 3]);
    let pos = x.abs().unwrap().add_scalar(0.5).unwrap();
    let i = Tensor::from_vec(vec![3i32, -4, 5, 7, 0, -1], &[2, 3]).unwrap();
    let bl = Tensor::from_vec(vec![true, false, true, true, false, false], &[2, 3]).unwrap();
    let xd = x.cast(DType::F64).unwrap();
    check(&mut seen, || {
        for t in [&x, &xd] {
            let _ = t.neg().unwrap();
            let _ = t.exp().unwrap();
            let _ = t.square().unwrap();
            let _ = t.abs().unwrap();
            let _ = t.sign().unwrap();
            let _ = t.sin().unwrap();
            let _ = t.cos().unwrap();
            let _ = t.tanh().unwrap();
            let _ = t.erf().unwrap();
            let _ = t.round().unwrap();
            let _ = t.floor().unwrap();
            let _ = t.ceil().unwrap();
            let _ = t.sigmoid().unwrap();
            let _ = t.relu().unwrap();
            let _ = t.relu6().unwrap();
            let _ = t.softplus().unwrap();
            let _ = t.softsign().unwrap();
            let _ = t.silu().unwrap();
            let _ = t.hard_sigmoid().unwrap();
            let _ = t.expm1().unwrap();
            let _ = t.clip(-0.5, 0.5).unwrap();
            let _ = t.leaky_relu(0.2).unwrap();
            let _ = t.elu(1.0).unwrap();
            let _ = t.gelu(true).unwrap();
            let _ = t.gelu(false).unwrap();
            let _ = t.softmax(-1).unwrap();
            let _ = t.log_softmax(0).unwrap();
            let _ = t.isnan().unwrap();
            let _ = t.isfinite().unwrap();
            let _ = t.isinf().unwrap();
            let _ = t.full_like(2.5);
            let _ = t.identity();
            let _ = t.stop_gradient();
            let _ = t.transpose(None).unwrap().contiguous();
        }
        for t in [&pos, &pos.cast(DType::F64).unwrap()] {
            let _ = t.log().unwrap();
            let _ = t.log1p().unwrap();
            let _ = t.sqrt().unwrap();
            let _ = t.rsqrt().unwrap();
            let _ = t.reciprocal().unwrap();
            let _ = t.std(&[1], false).unwrap();
        }
        let _ = i.neg().unwrap();
        let _ = i.square().unwrap();
        let _ = i.abs().unwrap();
        let _ = i.clip(-2.0, 4.0).unwrap();
        let _ = i.cast(DType::F32).unwrap();
        let _ = x.cast(DType::I32).unwrap();
        let _ = x.cast(DType::Bool).unwrap();
        let _ = i.mean(&[1], false).unwrap();
        let _ = bl.logical_not().unwrap();
        // binary
        let y = seq(3, &[3]).add_scalar(1.0).unwrap();
        let (yd, posd) = (y.cast(DType::F64).unwrap(), pos.cast(DType::F64).unwrap());
        for (a, b, p) in [(&x, &y, &pos), (&xd, &yd, &posd)] {
            let _ = a.add(b).unwrap();
            let _ = a.sub(b).unwrap();
            let _ = a.mul(b).unwrap();
            let _ = a.div(b).unwrap();
            let _ = a.rem(b).unwrap();
            let _ = p.pow(b).unwrap();
            let _ = a.maximum(b).unwrap();
            let _ = a.minimum(b).unwrap();
            let _ = a.floor_div(b).unwrap();
            let _ = a.equal(b).unwrap();
            let _ = a.not_equal(b).unwrap();
            let _ = a.less(b).unwrap();
            let _ = a.less_equal(b).unwrap();
            let _ = a.greater(b).unwrap();
            let _ = a.greater_equal(b).unwrap();
            let _ = a.squared_difference(b).unwrap();
        }
        let j = Tensor::from_vec(vec![2i32, 3, -3], &[3]).unwrap();
        let _ = i.add(&j).unwrap();
        let _ = i.div(&j).unwrap();
        let _ = i.rem(&j).unwrap();
        let _ = i.floor_div(&j).unwrap();
        let _ = i.less(&j).unwrap();
        let bl2 = Tensor::from_vec(vec![true, true, false], &[3]).unwrap();
        let _ = bl.logical_and(&bl2).unwrap();
        let _ = bl.logical_or(&bl2).unwrap();
        let _ = bl.logical_xor(&bl2).unwrap();
        let _ = Tensor::where_cond(&bl, &x, &y).unwrap();
        let _ = Tensor::where_cond(&bl, &i, &j).unwrap();
        let _ = x.bias_add(&y).unwrap();
        let _ = x.bias_add_relu(&y).unwrap();
        let _ = xd.bias_add_relu(&y.cast(DType::F64).unwrap()).unwrap();
        let _ = x.bias_add_with_format(&seq(3, &[3]), "NCHW").unwrap();
        // reductions
        for t in [&x, &xd] {
            let _ = t.sum(&[1], false).unwrap();
            let _ = t.sum(&[], true).unwrap();
            let _ = t.mean(&[0], true).unwrap();
            let _ = t.max(&[1], false).unwrap();
            let _ = t.min(&[0], true).unwrap();
            let _ = t.prod(&[-1], false).unwrap();
            let _ = t.logsumexp(&[1], true).unwrap();
            let _ = t.argmax(1).unwrap();
            let _ = t.argmin(0).unwrap();
            let _ = t.cumsum(1, false, true).unwrap();
            let _ = t.cumprod(0, true, false).unwrap();
            let _ = t.variance(&[1], true).unwrap();
        }
        let _ = i.sum(&[0], false).unwrap();
        let _ = i.argmax(1).unwrap();
        let _ = bl.all(&[1], false).unwrap();
        let _ = bl.any(&[], true).unwrap();
        // shapes and copies
        let _ = x.reshape(&[3, -1]).unwrap();
        let _ = x.transpose(Some(&[1, 0])).unwrap();
        let _ = y.broadcast_to(&[4, 3]).unwrap();
        let _ = x.expand_dims(1).unwrap().squeeze(&[]).unwrap();
        let _ = x.slice(&[0, 1], &[-1, 2]).unwrap();
        let _ = x.split(3, 1).unwrap();
        let _ = Tensor::concat(&[&x, &x], 0).unwrap();
        let _ = Tensor::stack(&[&x, &x], 1).unwrap();
        let _ = x
            .strided_slice(&[0, 2], &[2, 0], &[1, -1], 0, 0, 0, 0, 0)
            .unwrap();
        let _ = x.strided_slice(&[1], &[2], &[1], 0, 0, 0, 0, 1).unwrap();
        let _ = x.pad(&[(1, 0), (0, 2)], PadMode::Constant(1.5)).unwrap();
        let _ = x.pad(&[(1, 1), (2, 1)], PadMode::Reflect).unwrap();
        let _ = x.pad(&[(1, 1), (2, 1)], PadMode::Symmetric).unwrap();
        let _ = x.tile(&[2, 1]).unwrap();
        let _ = x.repeat(&[2], Some(1)).unwrap();
        let _ = x.repeat(&[1, 2, 3, 1, 2, 3], None).unwrap();
        let _ = x.reverse(&[0, 1]).unwrap();
        let _ = x.roll(&[1, -1], &[0, 1]).unwrap();
        let _ = i.tile(&[1, 2]).unwrap();
        let sq = seq(9, &[3, 3]);
        let _ = Tensor::einsum("ii->i", &[&sq]).unwrap();
        let _ = Tensor::einsum("ij,jk->ik", &[&x, &sq]).unwrap();
        // indexing
        let idx = Tensor::from_vec(vec![2i64, 0, 1, 1], &[4]).unwrap();
        let _ = x.gather(&idx, 1).unwrap();
        let _ = x
            .gather(&Tensor::from_vec(vec![1i32, 0, 1], &[3]).unwrap(), 0)
            .unwrap();
        let nd = Tensor::from_vec(vec![1i32, 2, 0, 0], &[2, 2]).unwrap();
        let _ = x.gather_nd(&nd).unwrap();
        let _ = x.scatter_nd_add(&nd, &t32(&[1.0, 2.0], &[2])).unwrap();
        let ids = Tensor::from_vec(vec![1i32, -1], &[2]).unwrap();
        let _ = x.unsorted_segment_sum(&ids, 3).unwrap();
        let _ = idx.one_hot(3, 1.0, -1.0, -1, DType::F32).unwrap();
        let _ = idx.one_hot(4, 2.0, 0.0, 0, DType::I32).unwrap();
        let _ = x.argsort(1, true).unwrap();
        let _ = x.sort(0, false).unwrap();
        let _ = x.top_k(2).unwrap();
        // losses
        let labels = x.softmax(-1).unwrap();
        let _ = labels.softmax_cross_entropy_with_logits(&x, -1).unwrap();
        let _ = labels.softmax_cross_entropy_with_logits(&x, 0).unwrap();
        let sl = Tensor::from_vec(vec![2i32, 0], &[2]).unwrap();
        let _ = sl.sparse_softmax_cross_entropy_with_logits(&x).unwrap();
        let _ = labels.sigmoid_cross_entropy_with_logits(&x).unwrap();
        // linalg
        let _ = x.matmul(&sq).unwrap();
        let _ = x.matmul_t(&x, false, true).unwrap();
        let _ = xd.matmul_t(&xd, true, false).unwrap();
        let _ = x.matmul(&y).unwrap();
        let _ = i.matmul(&Tensor::ones(&[3, 2], DType::I32)).unwrap();
    });

    // Convolutions, pooling, resize and their gradients.
    let img = seq(2 * 5 * 5 * 2, &[2, 5, 5, 2]);
    let k = seq(3 * 3 * 2 * 4, &[3, 3, 2, 4]).mul_scalar(0.1).unwrap();
    check(&mut seen, || {
        let tape = GradientTape::new();
        tape.watch(&img);
        tape.watch(&k);
        let c = img.conv2d(&k, [2, 2], &Padding::Same, [1, 1], 1).unwrap();
        let c2 = img.conv2d(&k, [1, 1], &Padding::Valid, [1, 1], 2);
        assert!(c2.is_err());
        let g = img
            .conv2d(
                &seq(9 * 4, &[3, 3, 1, 4]),
                [1, 1],
                &Padding::Valid,
                [1, 1],
                2,
            )
            .unwrap();
        let dw = img
            .depthwise_conv2d(
                &seq(2 * 2 * 2 * 2, &[2, 2, 2, 2]),
                [1, 1],
                &Padding::Same,
                [1, 1],
            )
            .unwrap();
        let c1 = img
            .reshape(&[2, 25, 2])
            .unwrap()
            .conv1d(&seq(3 * 2 * 3, &[3, 2, 3]), 1, &Padding::Causal, 2, 1)
            .unwrap();
        let mp = img.max_pool2d([2, 2], [2, 2], &Padding::Same).unwrap();
        let ap = img.avg_pool2d([3, 3], [1, 1], &Padding::Same).unwrap();
        let p = img
            .extract_patches([2, 2], [1, 1], [1, 1], &Padding::Valid)
            .unwrap();
        let r = img.resize_bilinear([7, 3]).unwrap();
        let tr = img
            .conv2d_transpose(
                &seq(3 * 3 * 3 * 2, &[3, 3, 3, 2]),
                &[2, 9, 9, 3],
                [2, 2],
                &Padding::Same,
                [1, 1],
            )
            .unwrap();
        let loss = c
            .square()
            .unwrap()
            .sum_all()
            .unwrap()
            .add(&g.sum_all().unwrap())
            .unwrap()
            .add(&dw.sum_all().unwrap())
            .unwrap()
            .add(&c1.sum_all().unwrap())
            .unwrap()
            .add(&mp.square().unwrap().sum_all().unwrap())
            .unwrap()
            .add(&ap.sum_all().unwrap())
            .unwrap()
            .add(&p.square().unwrap().sum_all().unwrap())
            .unwrap()
            .add(&r.square().unwrap().sum_all().unwrap())
            .unwrap()
            .add(&tr.sum_all().unwrap())
            .unwrap();
        let grads = tape.gradient(&loss, &[&img, &k]).unwrap();
        assert!(grads.iter().all(Option::is_some));
    });

    // The sparse softmax cross-entropy's fused gradient (recorded as its own op).
    check(&mut seen, || {
        let tape = GradientTape::new();
        tape.watch(&x);
        let sl = Tensor::from_vec(vec![2i32, 0], &[2]).unwrap();
        let l = sl
            .sparse_softmax_cross_entropy_with_logits(&x)
            .unwrap()
            .sum_all()
            .unwrap();
        let g = tape.gradient(&l, &[&x]).unwrap();
        assert!(g[0].is_some());
    });

    // Gradients through piecewise ops, index maps and reductions (backward ops).
    check(&mut seen, || {
        let tape = GradientTape::new();
        tape.watch(&x);
        let l = x
            .relu()
            .unwrap()
            .add(&x.leaky_relu(0.1).unwrap())
            .unwrap()
            .add(&x.clip(-0.3, 0.3).unwrap())
            .unwrap()
            .add(&x.maximum(&x.mul_scalar(0.5).unwrap()).unwrap())
            .unwrap()
            .add(&x.reverse(&[1]).unwrap())
            .unwrap()
            .add(&x.max(&[1], true).unwrap())
            .unwrap()
            .sum_all()
            .unwrap()
            .add(
                &x.pad(&[(1, 1), (0, 0)], PadMode::Reflect)
                    .unwrap()
                    .sum_all()
                    .unwrap(),
            )
            .unwrap()
            .add(
                &x.gather(&Tensor::from_vec(vec![1i32, 1], &[2]).unwrap(), 1)
                    .unwrap()
                    .sum_all()
                    .unwrap(),
            )
            .unwrap();
        let g = tape.gradient(&l, &[&x]).unwrap();
        assert!(g[0].is_some());
    });

    // Fused ops, dropout and random draws.
    check(&mut seen, || {
        let h = seq(2 * 3 * 4, &[2, 3, 4]);
        let gamma = seq(4, &[4]);
        let beta = seq(4, &[4]).neg().unwrap();
        let tape = GradientTape::new();
        tape.watch(&h);
        let ln = h
            .layer_normalization(Some(&gamma), Some(&beta), 1e-3)
            .unwrap();
        let ln2 = h.layer_normalization(None, None, 1e-5).unwrap();
        let q = seq(2 * 3 * 2 * 4, &[2, 3, 2, 4]);
        tape.watch(&q);
        let mask = Tensor::from_vec(vec![true, false, true], &[1, 1, 1, 3]).unwrap();
        let at = q
            .scaled_dot_product_attention(&q, &q, Some(&mask), AttentionOptions::new(0.5))
            .unwrap();
        let at2 = q
            .scaled_dot_product_attention(&q, &q, None, AttentionOptions::new(0.25))
            .unwrap();
        let kernel = seq(4 * 8, &[4, 8]).mul_scalar(0.1).unwrap();
        let rk = seq(2 * 8, &[2, 8]).mul_scalar(0.1).unwrap();
        let m = Tensor::from_vec(vec![true, true, false, true, false, true], &[2, 3]).unwrap();
        let out = h
            .recurrent_sequence(
                RecurrentCell::Lstm,
                &kernel,
                &rk,
                Some(&seq(8, &[8])),
                &[],
                Some(&m),
                SequenceOptions::default(),
            )
            .unwrap();
        let gk = seq(4 * 6, &[4, 6]);
        let grk = seq(2 * 6, &[2, 6]);
        let s0 = seq(4, &[2, 2]);
        let gru = h
            .recurrent_sequence(
                RecurrentCell::Gru { reset_after: true },
                &gk,
                &grk,
                Some(&seq(12, &[2, 6])),
                std::slice::from_ref(&s0),
                None,
                SequenceOptions {
                    go_backwards: true,
                    zero_output_for_mask: false,
                },
            )
            .unwrap();
        let _ = h
            .recurrent_sequence(
                RecurrentCell::Gru { reset_after: false },
                &gk,
                &grk,
                None,
                &[],
                None,
                SequenceOptions::default(),
            )
            .unwrap();
        let d = h.dropout(0.5, None).unwrap();
        let dm = h
            .dropout_with_mask(
                &Tensor::from_vec(vec![true, false, true, true], &[4]).unwrap(),
                0.25,
            )
            .unwrap();
        let l = ln
            .sum_all()
            .unwrap()
            .add(&ln2.square().unwrap().sum_all().unwrap())
            .unwrap()
            .add(&d.sum_all().unwrap())
            .unwrap()
            .add(&dm.sum_all().unwrap())
            .unwrap()
            .add(&out[0].sum_all().unwrap())
            .unwrap()
            .add(&gru[1].square().unwrap().sum_all().unwrap())
            .unwrap()
            .add(&at.sum_all().unwrap())
            .unwrap()
            .add(&at2.square().unwrap().sum_all().unwrap())
            .unwrap();
        let g = tape.gradient(&l, &[&h]).unwrap();
        assert!(g[0].is_some());
        let _ = kiln_tensor::random::uniform(&[3, 2], -1.0, 2.0, DType::F32).unwrap();
        let _ = kiln_tensor::random::uniform(&[3], 0.0, 5.0, DType::I32).unwrap();
        let _ = kiln_tensor::random::normal(&[4], 1.0, 2.0, DType::F64).unwrap();
        let _ = kiln_tensor::random::truncated_normal(&[4], 0.0, 1.0, DType::F32).unwrap();
        let _ = kiln_tensor::random::randint(&[5], 2, 9, DType::I64).unwrap();
        let _ = kiln_tensor::random::bernoulli(&[5], 0.3).unwrap();
        let _ = kiln_tensor::random::permutation(6);
        let _ = kiln_tensor::random::shuffle(&x).unwrap();
    });

    // Second derivatives through max pooling reach the pooling helpers.
    check(&mut seen, || {
        let outer = GradientTape::new();
        outer.watch(&img);
        let inner = GradientTape::new();
        inner.watch(&img);
        let y = img.max_pool2d([2, 2], [2, 2], &Padding::Valid).unwrap();
        let l = y.square().unwrap().sum_all().unwrap();
        let g = inner.gradient(&l, &[&img]).unwrap().remove(0).unwrap();
        let gg = g.square().unwrap().sum_all().unwrap();
        let _ = outer.gradient(&gg, &[&img]);
    });

    // The gradient of a segment sum is a `take` of the traced map.
    check(&mut seen, || {
        let tape = GradientTape::new();
        tape.watch(&x);
        let ids = Tensor::from_vec(vec![1i32, 0], &[2]).unwrap();
        let s = x
            .unsorted_segment_sum(&ids, 2)
            .unwrap()
            .square()
            .unwrap()
            .sum_all()
            .unwrap();
        let _ = tape.gradient(&s, &[&x]).unwrap();
    });
    // `pool_scatter` only appears at third order: check its refusal from the op value.
    let e = eval(&Op::new("pool_scatter"), &[&x]).unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e}");
    seen.insert("pool_scatter".to_string());

    let missing: Vec<&&str> = ALL_OPS.iter().filter(|n| !seen.contains(**n)).collect();
    assert!(missing.is_empty(), "ops never exercised: {missing:?}");
    let unknown: Vec<&String> = seen
        .iter()
        .filter(|n| !ALL_OPS.contains(&n.as_str()))
        .collect();
    assert!(unknown.is_empty(), "ops missing from ALL_OPS: {unknown:?}");
}

#[test]
fn random_ops_draw_fresh_values_in_range() {
    let u = eval(
        &Op::new("random_uniform")
            .attr("shape", vec![200usize])
            .attr("minval", -1.0)
            .attr("maxval", 2.0)
            .attr("dtype", DType::F32),
        &[],
    )
    .unwrap();
    assert!(u
        .to_vec::<f32>()
        .unwrap()
        .iter()
        .all(|&v| (-1.0..2.0).contains(&v)));
    let op = Op::new("random_randint")
        .attr("shape", vec![100usize])
        .attr("low", 3i64)
        .attr("high", 7i64)
        .attr("dtype", DType::I32);
    let a = eval(&op, &[]).unwrap().to_vec::<i32>().unwrap();
    let b = eval(&op, &[]).unwrap().to_vec::<i32>().unwrap();
    assert!(a.iter().all(|v| (3..7).contains(v)));
    assert_ne!(a, b, "each evaluation draws afresh");
    let m = eval(
        &Op::new("random_bernoulli")
            .attr("shape", vec![50usize])
            .attr("p", 0.5),
        &[],
    )
    .unwrap();
    assert_eq!(m.dtype(), DType::Bool);
}

/// Replays a captured op at other input shapes and compares with the public op.
fn replay_one(body: impl FnOnce() -> Tensor, new_inputs: &[&Tensor], direct: Tensor) {
    let cap = Capture::start();
    let _ = body();
    let trace = cap.finish();
    let Some(Event::Op { op, .. }) = trace
        .events
        .iter()
        .rev()
        .find(|e| matches!(e, Event::Op { .. }))
    else {
        panic!("no op captured")
    };
    let got = eval(op, new_inputs).unwrap();
    assert_same(&op.to_string(), &got, &direct);
}

#[test]
fn ops_replay_at_other_shapes() {
    let a = seq(6, &[2, 3]);
    let a2 = seq(12, &[4, 3]);
    replay_one(|| a.exp().unwrap(), &[&a2], a2.exp().unwrap());
    let w = seq(6, &[3, 2]);
    replay_one(|| a.mul(&a).unwrap(), &[&a2, &a2], a2.mul(&a2).unwrap());
    replay_one(
        || a.matmul_t(&w, false, false).unwrap(),
        &[&a2, &w],
        a2.matmul(&w).unwrap(),
    );
    let b3 = seq(2 * 4 * 3, &[2, 4, 3]);
    replay_one(
        || a.matmul_t(&w, false, false).unwrap(),
        &[&b3, &w],
        b3.matmul_t(&w, false, false).unwrap(),
    );
    replay_one(
        || a.sum(&[1], true).unwrap(),
        &[&a2],
        a2.sum(&[1], true).unwrap(),
    );
    replay_one(
        || a.max(&[0], false).unwrap(),
        &[&a2],
        a2.max(&[0], false).unwrap(),
    );
    replay_one(
        || a.reshape(&[-1]).unwrap(),
        &[&a2],
        a2.reshape(&[-1]).unwrap(),
    );
    replay_one(
        || a.reshape(&[-1, 1, 3]).unwrap(),
        &[&a2],
        a2.reshape(&[-1, 1, 3]).unwrap(),
    );
    replay_one(|| a.softmax(-1).unwrap(), &[&a2], a2.softmax(-1).unwrap());
    replay_one(
        || a.slice(&[1, 0], &[-1, 2]).unwrap(),
        &[&a2],
        a2.slice(&[1, 0], &[-1, 2]).unwrap(),
    );
    replay_one(
        || a.pad(&[(1, 0), (0, 1)], PadMode::Constant(2.0)).unwrap(),
        &[&a2],
        a2.pad(&[(1, 0), (0, 1)], PadMode::Constant(2.0)).unwrap(),
    );
    let img = seq(6 * 6 * 2, &[1, 6, 6, 2]);
    let img3 = seq(3 * 6 * 6 * 2, &[3, 6, 6, 2]);
    let k = seq(3 * 3 * 2 * 4, &[3, 3, 2, 4]);
    replay_one(
        || img.conv2d(&k, [2, 2], &Padding::Same, [1, 1], 1).unwrap(),
        &[&img3, &k],
        img3.conv2d(&k, [2, 2], &Padding::Same, [1, 1], 1).unwrap(),
    );
    replay_one(
        || img.max_pool2d([2, 2], [2, 2], &Padding::Valid).unwrap(),
        &[&img3],
        img3.max_pool2d([2, 2], [2, 2], &Padding::Valid).unwrap(),
    );
    // Another spatial size is a clear error for window ops.
    let cap = Capture::start();
    let _ = img.conv2d(&k, [1, 1], &Padding::Valid, [1, 1], 1).unwrap();
    let trace = cap.finish();
    let Event::Op { op, .. } = trace.events.last().unwrap() else {
        panic!()
    };
    let big = seq(8 * 8 * 2, &[1, 8, 8, 2]);
    let e = eval(op, &[&big, &k]).unwrap_err();
    assert!(e.to_string().contains("conv2d"), "{e}");
}

#[test]
fn eval_errors_name_the_op_and_what_is_wrong() {
    let x = seq(4, &[4]);
    let e = eval(&Op::new("frobnicate"), &[&x]).unwrap_err();
    assert!(matches!(e, Error::Trace(_)));
    assert!(e.to_string().contains("unknown op 'frobnicate'"), "{e}");
    let e = eval(&Op::new("softmax"), &[&x]).unwrap_err();
    assert!(
        e.to_string().contains("softmax") && e.to_string().contains("'axis'"),
        "{e}"
    );
    let e = eval(&Op::new("softmax").attr("axis", true), &[&x]).unwrap_err();
    assert!(e.to_string().contains("must be an integer"), "{e}");
    let e = eval(&Op::new("add"), &[&x]).unwrap_err();
    assert!(
        e.to_string().contains("add") && e.to_string().contains("expected 2 inputs, got 1"),
        "{e}"
    );
    let e = eval(&Op::new("concat").attr("axis", 0i64), &[]).unwrap_err();
    assert!(e.to_string().contains("concat"), "{e}");
    let e = eval(&Op::new("no_second_derivative"), &[&x]).unwrap_err();
    assert!(e.to_string().contains("unknown op"), "{e}");
    // A fused gradient op checks its output index and its operands.
    let ln_grad = |output: i64| {
        Op::new("layer_normalization_grad")
            .attr("epsilon", 1e-3)
            .attr("has_gamma", false)
            .attr("has_beta", false)
            .attr("output", output)
    };
    let e = eval(&ln_grad(1), &[&x, &x]).unwrap_err();
    assert!(e.to_string().contains("'output'"), "{e}");
    let e = eval(&ln_grad(0), &[&x, &seq(3, &[3])]).unwrap_err();
    assert!(e.to_string().contains("layer_normalization_grad"), "{e}");
    assert_eq!(eval(&ln_grad(0), &[&x, &x]).unwrap().shape(), &[4]);
    // A bad value from the op itself is its own error, not a panic.
    let e = eval(&Op::new("reshape").attr("shape", vec![3i64]), &[&x]).unwrap_err();
    assert!(e.to_string().contains("reshape"), "{e}");
}
