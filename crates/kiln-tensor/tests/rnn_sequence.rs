//! The fused recurrent sequence op (`Tensor::recurrent_sequence`): central finite
//! differences in f64 for every operand (sequence, kernels, bias, initial states) across
//! LSTM and both GRU variants, with and without masks, `go_backwards` and
//! `zero_output_for_mask`; a thread-split batch against single rows; bad operands are
//! errors; a second derivative through the fused backward is an error, not zeros.

mod common;

use common::{gradcheck_tol, rand_t};
use kiln_tensor::ops::rnn::{RecurrentCell, SequenceOptions};
use kiln_tensor::{DType, GradientTape, Tensor};

const CELLS: [RecurrentCell; 3] = [
    RecurrentCell::Lstm,
    RecurrentCell::Gru { reset_after: true },
    RecurrentCell::Gru { reset_after: false },
];

fn bias_shape(cell: RecurrentCell, u: usize) -> Vec<usize> {
    match cell {
        RecurrentCell::Lstm => vec![4 * u],
        RecurrentCell::Gru { reset_after: true } => vec![2, 3 * u],
        RecurrentCell::Gru { reset_after: false } => vec![3 * u],
    }
}

/// All outputs of the op, flattened and concatenated.
fn flat(outs: &[Tensor]) -> kiln_tensor::Result<Tensor> {
    let parts: Vec<Tensor> = outs
        .iter()
        .map(|t| t.reshape(&[-1]))
        .collect::<kiln_tensor::Result<_>>()?;
    Tensor::concat(&parts.iter().collect::<Vec<_>>(), 0)
}

fn mask_bt(b: usize, t: usize) -> Tensor {
    // Row 0: leading and trailing masked steps; row 1: a hole; row 2: all kept.
    let rows = [
        vec![false, true, true, false, true, false],
        vec![true, true, false, true, true, true],
        vec![true; 6],
    ];
    let v: Vec<bool> = (0..b).flat_map(|i| rows[i % 3][..t].to_vec()).collect();
    Tensor::from_vec(v, &[b, t]).unwrap()
}

#[test]
fn finite_differences_for_every_cell_and_option() {
    let (b, t, d, u) = (3usize, 5usize, 2usize, 3usize);
    for (ci, cell) in CELLS.into_iter().enumerate() {
        let g = cell.num_gates();
        for (mi, (masked, back, zero_out, with_state)) in [
            (false, false, false, false),
            (false, true, false, true),
            (true, false, false, true),
            (true, true, true, false),
            (true, false, true, true),
        ]
        .into_iter()
        .enumerate()
        {
            let seed = (ci * 10 + mi) as u64 * 7;
            let mut inputs = vec![
                rand_t(&[b, t, d], seed + 1),
                rand_t(&[d, g * u], seed + 2).mul_scalar(0.8).unwrap(),
                rand_t(&[u, g * u], seed + 3).mul_scalar(0.8).unwrap(),
                rand_t(&bias_shape(cell, u), seed + 4)
                    .mul_scalar(0.5)
                    .unwrap(),
            ];
            if with_state {
                for s in 0..cell.num_states() {
                    inputs.push(rand_t(&[b, u], seed + 5 + s as u64));
                }
            }
            let mask = masked.then(|| mask_bt(b, t));
            let opts = SequenceOptions {
                go_backwards: back,
                zero_output_for_mask: zero_out,
            };
            let name = format!("{cell:?} masked={masked} back={back} zero_out={zero_out}");
            gradcheck_tol(&name, &inputs, 1e-6, 1e-6, |xs| {
                let outs = xs[0].recurrent_sequence(
                    cell,
                    &xs[1],
                    &xs[2],
                    Some(&xs[3]),
                    &xs[4..],
                    mask.as_ref(),
                    opts,
                )?;
                flat(&outs)
            });
        }
        // Without a bias.
        let inputs = vec![
            rand_t(&[b, t, d], 71),
            rand_t(&[d, g * u], 72),
            rand_t(&[u, g * u], 73),
        ];
        gradcheck_tol(&format!("{cell:?} no bias"), &inputs, 1e-6, 1e-6, |xs| {
            let outs = xs[0].recurrent_sequence(
                cell,
                &xs[1],
                &xs[2],
                None,
                &[],
                None,
                SequenceOptions::default(),
            )?;
            flat(&outs)
        });
    }
}

#[test]
fn a_thread_split_batch_equals_row_by_row_runs() {
    // 64 rows x 32 units is above the threading threshold; each row run alone is not.
    let (b, t, d, u) = (64usize, 6usize, 5usize, 32usize);
    for cell in CELLS {
        let g = cell.num_gates();
        for dt in [DType::F64, DType::F32] {
            let x = rand_t(&[b, t, d], 1).cast(dt).unwrap();
            let k = rand_t(&[d, g * u], 2)
                .mul_scalar(0.3)
                .unwrap()
                .cast(dt)
                .unwrap();
            let rk = rand_t(&[u, g * u], 3)
                .mul_scalar(0.3)
                .unwrap()
                .cast(dt)
                .unwrap();
            let bias = rand_t(&bias_shape(cell, u), 4).cast(dt).unwrap();
            let mask = mask_bt(b, t);
            let opts = SequenceOptions {
                go_backwards: true,
                zero_output_for_mask: false,
            };
            let all = x
                .recurrent_sequence(cell, &k, &rk, Some(&bias), &[], Some(&mask), opts)
                .unwrap();
            for row in [0usize, 1, 2, 33, 63] {
                let xr = x.slice(&[row as isize, 0, 0], &[1, -1, -1]).unwrap();
                let mr = mask.slice(&[row as isize, 0], &[1, -1]).unwrap();
                let one = xr
                    .recurrent_sequence(cell, &k, &rk, Some(&bias), &[], Some(&mr), opts)
                    .unwrap();
                for (a, o) in all.iter().zip(&one) {
                    let mut begin = vec![0isize; a.rank()];
                    begin[0] = row as isize;
                    let mut size = vec![-1isize; a.rank()];
                    size[0] = 1;
                    let a = a.slice(&begin, &size).unwrap().to_f64_vec();
                    let o = o.to_f64_vec();
                    let tol = if dt == DType::F32 { 1e-6 } else { 1e-13 };
                    for (p, q) in a.iter().zip(&o) {
                        assert!(
                            (p - q).abs() <= tol,
                            "{cell:?} {dt:?} row {row}: {p} vs {q}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn bad_operands_are_errors_naming_the_shapes() {
    let x = Tensor::ones(&[2, 4, 3], DType::F32);
    let k = Tensor::ones(&[3, 8], DType::F32);
    let rk = Tensor::ones(&[2, 8], DType::F32);
    let o = SequenceOptions::default();
    let lstm = RecurrentCell::Lstm;
    let e = x
        .recurrent_sequence(
            lstm,
            &Tensor::ones(&[4, 8], DType::F32),
            &rk,
            None,
            &[],
            None,
            o,
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("(4, 8)") && e.contains("(3, 8)"), "{e}");
    let e = x
        .recurrent_sequence(
            lstm,
            &k,
            &Tensor::ones(&[2, 6], DType::F32),
            None,
            &[],
            None,
            o,
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("(2, 6)"), "{e}");
    let bad_bias = Tensor::ones(&[6], DType::F32);
    let e = x
        .recurrent_sequence(lstm, &k, &rk, Some(&bad_bias), &[], None, o)
        .unwrap_err()
        .to_string();
    assert!(e.contains("bias") && e.contains("(6,)"), "{e}");
    let s = Tensor::ones(&[2, 2], DType::F32);
    let e = x
        .recurrent_sequence(lstm, &k, &rk, None, std::slice::from_ref(&s), None, o)
        .unwrap_err()
        .to_string();
    assert!(e.contains("2 initial states, got 1"), "{e}");
    let m = Tensor::from_vec(vec![true; 6], &[2, 3]).unwrap();
    let e = x
        .recurrent_sequence(lstm, &k, &rk, None, &[], Some(&m), o)
        .unwrap_err()
        .to_string();
    assert!(e.contains("(2, 4)") && e.contains("(2, 3)"), "{e}");
    let e = x
        .cast(DType::F64)
        .unwrap()
        .recurrent_sequence(lstm, &k, &rk, None, &[], None, o)
        .unwrap_err()
        .to_string();
    assert!(e.contains("float32") && e.contains("float64"), "{e}");
    let e = Tensor::ones(&[2, 0, 3], DType::F32)
        .recurrent_sequence(lstm, &k, &rk, None, &[], None, o)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no time steps"), "{e}");
}

#[test]
fn differentiating_the_fused_backward_again_is_an_error() {
    let x = rand_t(&[2, 3, 2], 5);
    let k = rand_t(&[2, 8], 6);
    let rk = rand_t(&[2, 8], 7);
    let outer = GradientTape::new();
    outer.watch(&k);
    let inner = GradientTape::new();
    inner.watch(&k);
    let outs = x
        .recurrent_sequence(
            RecurrentCell::Lstm,
            &k,
            &rk,
            None,
            &[],
            None,
            SequenceOptions::default(),
        )
        .unwrap();
    let y = outs[0].sum_all().unwrap();
    let gk = inner.gradient(&y, &[&k]).unwrap()[0].clone().unwrap();
    drop(inner);
    let gg = gk.square().unwrap().sum_all().unwrap();
    let e = outer.gradient(&gg, &[&k]).unwrap_err().to_string();
    assert!(e.contains("second derivative"), "{e}");
}
