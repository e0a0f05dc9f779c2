//! Golden tests: convolution and pooling against TensorFlow 2.21 fixtures
//! (`tools/golden/fixtures/conv.json`, `pool.json`): outputs and input gradients.
mod common;
use common::*;
use kiln_tensor::{Padding, Result, Tensor};
use serde_json::Value;

fn padding(case: &Case) -> Padding {
    match case.attrs.get("padding") {
        Some(Value::String(s)) => Padding::parse(s).unwrap(),
        // TF's explicit NHWC form [[0,0],[top,bottom],[left,right],[0,0]].
        Some(Value::Array(a)) => Padding::Explicit(
            a[1..3]
                .iter()
                .map(|p| {
                    (
                        p[0].as_u64().unwrap() as usize,
                        p[1].as_u64().unwrap() as usize,
                    )
                })
                .collect(),
        ),
        other => panic!("{}: bad padding {other:?}", case.name),
    }
}

fn pair(case: &Case, k: &str) -> [usize; 2] {
    let v = case
        .attr_ints(k)
        .unwrap_or_else(|| panic!("{}: missing {k}", case.name));
    match v.len() {
        2 => [v[0] as usize, v[1] as usize],
        4 => [v[1] as usize, v[2] as usize],
        n => panic!("{}: {k} has {n} values", case.name),
    }
}

fn int(case: &Case, k: &str) -> usize {
    case.attr_i64(k)
        .unwrap_or_else(|| panic!("{}: missing {k}", case.name)) as usize
}

fn run(case: &Case, x: &[Tensor]) -> Option<Result<Tensor>> {
    let pad = padding(case);
    Some(match case.op.as_str() {
        "conv1d" => x[0].conv1d(&x[1], int(case, "stride"), &pad, int(case, "dilations"), 1),
        "conv2d" => {
            let groups = case.attr_i64("groups").unwrap_or(1) as usize;
            x[0].conv2d(
                &x[1],
                pair(case, "strides"),
                &pad,
                pair(case, "dilations"),
                groups,
            )
        }
        "depthwise_conv2d" => {
            x[0].depthwise_conv2d(&x[1], pair(case, "strides"), &pad, pair(case, "dilations"))
        }
        "conv2d_transpose" => {
            let os: Vec<usize> = case
                .attr_ints("output_shape")
                .unwrap()
                .iter()
                .map(|&d| d as usize)
                .collect();
            x[0].conv2d_transpose(
                &x[1],
                &os,
                pair(case, "strides"),
                &pad,
                pair(case, "dilations"),
            )
        }
        "extract_patches" => x[0].extract_patches(
            pair(case, "sizes"),
            pair(case, "strides"),
            pair(case, "rates"),
            &pad,
        ),
        "max_pool1d" => x[0].max_pool1d(int(case, "ksize"), int(case, "strides"), &pad),
        "avg_pool1d" => x[0].avg_pool1d(int(case, "ksize"), int(case, "strides"), &pad),
        "max_pool2d" => x[0].max_pool2d(pair(case, "ksize"), pair(case, "strides"), &pad),
        "avg_pool2d" => x[0].avg_pool2d(pair(case, "ksize"), pair(case, "strides"), &pad),
        _ => return None,
    })
}

// The standard f32 tolerance of the golden tests.
const RTOL: f64 = 1e-5;
const ATOL: f64 = 1e-6;

#[test]
fn golden_conv() {
    let cases = load_cases("conv");
    let checked = cases
        .iter()
        .filter(|c| check_case(c, RTOL, ATOL, run))
        .count();
    assert_eq!(checked, cases.len(), "every conv case is mapped");
    assert_eq!(checked, 54);
}

#[test]
fn golden_pool() {
    let cases = load_cases("pool");
    let checked = cases
        .iter()
        .filter(|c| check_case(c, RTOL, ATOL, run))
        .count();
    assert_eq!(checked, cases.len(), "every pool case is mapped");
    assert_eq!(checked, 49);
}
