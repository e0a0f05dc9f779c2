//! Reductions, softmax, shape and index ops against TensorFlow 2.21 fixtures.
mod common;
use common::*;
use kiln_tensor::ops::manip::PadMode;
use kiln_tensor::{DType, Result, Tensor};
use serde_json::Value;

fn axes(case: &Case) -> Vec<isize> {
    match case.attrs.get("axis") {
        None | Some(Value::Null) => vec![],
        Some(Value::Number(n)) => vec![n.as_i64().unwrap() as isize],
        Some(Value::Array(a)) => a.iter().map(|v| v.as_i64().unwrap() as isize).collect(),
        other => panic!("{}: bad axis {other:?}", case.name),
    }
}

fn ints(case: &Case, k: &str) -> Vec<isize> {
    case.attr_ints(k)
        .unwrap_or_default()
        .into_iter()
        .map(|v| v as isize)
        .collect()
}

/// Runs the op and returns its outputs (several for multi-output ops).
fn run_all(case: &Case, x: &[Tensor]) -> Option<Result<Vec<Tensor>>> {
    let a = &x[0];
    let keep = case.attr_bool("keepdims").unwrap_or(false);
    let one = |r: Result<Tensor>| Some(r.map(|t| vec![t]));
    match case.op.as_str() {
        "sum" => one(a.sum(&axes(case), keep)),
        "mean" => one(a.mean(&axes(case), keep)),
        "max" => one(a.max(&axes(case), keep)),
        "min" => one(a.min(&axes(case), keep)),
        "prod" => one(a.prod(&axes(case), keep)),
        "variance" => one(a.variance(&axes(case), keep)),
        "std" => one(a.std(&axes(case), keep)),
        "logsumexp" => one(a.logsumexp(&axes(case), keep)),
        "all" => one(a.all(&axes(case), keep)),
        "any" => one(a.any(&axes(case), keep)),
        "argmax" => one(a.argmax(case.attr_i64("axis").unwrap() as isize)),
        "argmin" => one(a.argmin(case.attr_i64("axis").unwrap() as isize)),
        "cumsum" => one(a.cumsum(
            case.attr_i64("axis").unwrap() as isize,
            case.attr_bool("exclusive").unwrap(),
            case.attr_bool("reverse").unwrap(),
        )),
        "softmax" => one(a.softmax(case.attr_i64("axis").unwrap() as isize)),
        "log_softmax" => one(a.log_softmax(case.attr_i64("axis").unwrap() as isize)),
        "reshape" => one(a.reshape(&ints(case, "shape"))),
        "transpose" => {
            let p: Vec<usize> = ints(case, "perm").iter().map(|&v| v as usize).collect();
            one(a.transpose(Some(&p)))
        }
        "expand_dims" => one(a.expand_dims(case.attr_i64("axis").unwrap() as isize)),
        "squeeze" => one(a.squeeze(&axes(case))),
        "broadcast_to" => {
            let s: Vec<usize> = ints(case, "shape").iter().map(|&v| v as usize).collect();
            one(a.broadcast_to(&s))
        }
        "concat" => one(Tensor::concat(
            &x.iter().collect::<Vec<_>>(),
            case.attr_i64("axis").unwrap() as isize,
        )),
        "stack" => one(Tensor::stack(
            &x.iter().collect::<Vec<_>>(),
            case.attr_i64("axis").unwrap() as isize,
        )),
        "unstack" => Some(a.unstack(case.attr_i64("axis").unwrap() as isize)),
        "split" => {
            let ax = case.attr_i64("axis").unwrap() as isize;
            Some(match &case.attrs["num_or_size_splits"] {
                Value::Number(n) => a.split(n.as_u64().unwrap() as usize, ax),
                _ => a.split_sizes(&ints(case, "num_or_size_splits"), ax),
            })
        }
        "slice" => one(a.slice(&ints(case, "begin"), &ints(case, "size"))),
        "strided_slice" => {
            let m = |k: &str| case.attr_i64(k).unwrap() as u64;
            one(a.strided_slice(
                &ints(case, "begin"),
                &ints(case, "end"),
                &ints(case, "strides"),
                m("begin_mask"),
                m("end_mask"),
                m("ellipsis_mask"),
                m("new_axis_mask"),
                m("shrink_axis_mask"),
            ))
        }
        "pad" => {
            let p: Vec<(usize, usize)> = case.attrs["paddings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r[0].as_u64().unwrap() as usize,
                        r[1].as_u64().unwrap() as usize,
                    )
                })
                .collect();
            let mode = match case.attr_str("mode").unwrap() {
                "CONSTANT" => PadMode::Constant(case.attr_f64("constant_values").unwrap()),
                m => PadMode::parse(m).unwrap(),
            };
            one(a.pad(&p, mode))
        }
        "tile" => one(a.tile(
            &ints(case, "multiples")
                .iter()
                .map(|&v| v as usize)
                .collect::<Vec<_>>(),
        )),
        "repeat" => {
            let reps: Vec<usize> = match &case.attrs["repeats"] {
                Value::Number(n) => vec![n.as_u64().unwrap() as usize],
                _ => ints(case, "repeats").iter().map(|&v| v as usize).collect(),
            };
            let ax = case.attr_i64("axis").map(|v| v as isize);
            one(a.repeat(&reps, ax))
        }
        "gather" => one(a.gather_batched(
            &x[1],
            case.attr_i64("axis").unwrap() as isize,
            case.attr_i64("batch_dims").unwrap() as usize,
        )),
        "gather_nd" => one(a.gather_nd(&x[1])),
        "tensor_scatter_nd_add" => one(a.scatter_nd_add(&x[1], &x[2])),
        "unsorted_segment_sum" => {
            one(a.unsorted_segment_sum(&x[1], case.attr_i64("num_segments").unwrap() as usize))
        }
        "one_hot" => one(a.one_hot(
            case.attr_i64("depth").unwrap() as usize,
            case.attr_f64("on_value").unwrap(),
            case.attr_f64("off_value").unwrap(),
            case.attr_i64("axis").unwrap() as isize,
            DType::F32,
        )),
        "reverse" => one(a.reverse(&axes(case))),
        "roll" => {
            let sh = match &case.attrs["shift"] {
                Value::Number(n) => vec![n.as_i64().unwrap() as isize],
                _ => ints(case, "shift"),
            };
            one(a.roll(&sh, &axes(case)))
        }
        "top_k" => Some(
            a.top_k(case.attr_i64("k").unwrap() as usize)
                .map(|(v, i)| vec![v, i]),
        ),
        "sort" => one(a.sort(
            case.attr_i64("axis").unwrap() as isize,
            case.attr_str("direction") == Some("DESCENDING"),
        )),
        "argsort" => one(a.argsort(
            case.attr_i64("axis").unwrap() as isize,
            case.attr_str("direction") == Some("DESCENDING"),
        )),
        _ => None,
    }
}

fn check_family(family: &str, expected: usize) {
    let cases = load_cases(family);
    let mut checked = 0;
    for case in &cases {
        // TF's `axis=[]` (reduce over no axis: the identity) has no kiln spelling: an
        // empty axes list means `axis=None` (all axes), which the other cases check.
        if case.attrs.get("axis") == Some(&Value::Array(vec![])) {
            continue;
        }
        let ok = check_case(case, 1e-5, 1e-6, |c, x| {
            run_all(c, x).map(|r| r.map(|v| v[0].clone()))
        });
        if !ok {
            continue;
        }
        checked += 1;
        // Extra outputs of multi-output ops.
        if case.outputs.len() > 1 {
            let got = run_all(case, &case.inputs).unwrap().unwrap();
            assert_eq!(
                got.len(),
                case.outputs.len(),
                "{}: number of outputs",
                case.name
            );
            for (k, (g, w)) in got.iter().zip(&case.outputs).enumerate() {
                assert_eq!(g.shape(), w.shape(), "{} output {k}", case.name);
                assert_eq!(g.dtype(), w.dtype(), "{} output {k}", case.name);
                assert_close(
                    &format!("{} output {k}", case.name),
                    &g.to_f64_vec(),
                    &w.to_f64_vec(),
                    1e-5,
                    1e-6,
                );
            }
        }
    }
    assert_eq!(checked, expected, "{family}: checked cases");
}

#[test]
fn reductions_match_tensorflow() {
    check_family("reductions", 163);
}

#[test]
fn shape_and_index_ops_match_tensorflow() {
    check_family("shape", 106);
}

#[test]
fn softmax_matches_tensorflow() {
    // nn.json also holds the cross-entropy and bias_add cases (tests/golden_linalg.rs).
    check_family("nn", 10);
}
