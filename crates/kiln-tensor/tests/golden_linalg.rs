//! Golden tests against TensorFlow 2.21: every case of `linalg.json`, and the
//! cross-entropy and bias_add cases of `nn.json`.
mod common;
use common::*;
use kiln_tensor::Tensor;

/// f32 tolerance of the repository (1e-5 relative) with a small absolute floor for
/// values that are sums of products and land near zero.
const RTOL: f64 = 1e-5;
const ATOL: f64 = 1e-6;

fn run_linalg(case: &Case, x: &[Tensor]) -> Option<kiln_tensor::Result<Tensor>> {
    Some(match case.op.as_str() {
        "matmul" => x[0].matmul_t(
            &x[1],
            case.attr_bool("transpose_a").unwrap_or(false),
            case.attr_bool("transpose_b").unwrap_or(false),
        ),
        "tensordot" => {
            let axes = &case.attrs["axes"];
            if let Some(n) = axes.as_u64() {
                x[0].tensordot(&x[1], n as usize)
            } else {
                let pairs: Vec<Vec<isize>> = axes
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| {
                        l.as_array()
                            .unwrap()
                            .iter()
                            .map(|v| v.as_i64().unwrap() as isize)
                            .collect()
                    })
                    .collect();
                x[0].tensordot_axes(&x[1], &pairs[0], &pairs[1])
            }
        }
        "einsum" => {
            let refs: Vec<&Tensor> = x.iter().collect();
            Tensor::einsum(case.attr_str("equation").unwrap(), &refs)
        }
        "outer" => x[0].outer(&x[1]),
        _ => return None,
    })
}

#[test]
fn golden_linalg_all_cases() {
    let cases = load_cases("linalg");
    let mut checked = 0;
    for case in &cases {
        if check_case(case, RTOL, ATOL, run_linalg) {
            checked += 1;
        }
    }
    assert_eq!(checked, cases.len(), "every linalg case must be mapped");
    assert_eq!(checked, 35);
}

fn run_nn(case: &Case, x: &[Tensor]) -> Option<kiln_tensor::Result<Tensor>> {
    Some(match case.op.as_str() {
        "softmax_cross_entropy_with_logits" => {
            let axis = case.attr_i64("axis").unwrap_or(-1) as isize;
            Tensor::softmax_cross_entropy_with_logits(&x[0], &x[1], axis)
        }
        "sparse_softmax_cross_entropy_with_logits" => {
            x[0].sparse_softmax_cross_entropy_with_logits(&x[1])
        }
        "sigmoid_cross_entropy_with_logits" => x[0].sigmoid_cross_entropy_with_logits(&x[1]),
        "bias_add" => {
            x[0].bias_add_with_format(&x[1], case.attr_str("data_format").unwrap_or("NHWC"))
        }
        // softmax / log_softmax belong to the activations family of ops.
        "softmax" | "log_softmax" => return None,
        other => panic!("unexpected nn op {other}"),
    })
}

#[test]
fn golden_nn_losses_and_bias_add() {
    let cases = load_cases("nn");
    let mut checked = 0;
    let mut skipped = 0;
    for case in &cases {
        if check_case(case, RTOL, ATOL, run_nn) {
            checked += 1;
        } else {
            skipped += 1;
        }
    }
    // 4 sparse + 6 softmax + 3 sigmoid cross-entropies + 5 bias_add; 10 softmax/log_softmax skipped.
    assert_eq!(checked, 18);
    assert_eq!(skipped, 10);
}
