//! The fused scaled dot-product attention op: equal to softmax(q·kᵀ·scale)·v composed
//! from ops (with and without masks, both masked-row conventions), the blocked
//! (memory-bounded) path equal to the direct one, and f64 finite differences for q, k, v
//! on both paths.

mod common;

use common::{gradcheck_tol, rand_t};
use kiln_tensor::ops::attention::{AttentionOptions, AttentionPath};
use kiln_tensor::Tensor;

/// The reference from ops: (b, t, n, h) -> (b, n, t, h) matmuls and a masked softmax.
fn reference(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    mask: Option<&Tensor>,
    o: AttentionOptions,
) -> Tensor {
    let qh = q.permute(&[0, 2, 1, 3]).unwrap();
    let kh = k.permute(&[0, 2, 1, 3]).unwrap();
    let vh = v.permute(&[0, 2, 1, 3]).unwrap();
    let s = qh
        .matmul_t(&kh, false, true)
        .unwrap()
        .mul_scalar(o.scale)
        .unwrap();
    let p = match mask {
        None => s.softmax(-1).unwrap(),
        Some(m) => {
            let fill = if o.zero_masked_rows {
                -1e9
            } else {
                -0.7 * 3.38953e38
            };
            let x = Tensor::where_cond(m, &s, &Tensor::full(&[], fill, s.dtype())).unwrap();
            let p = x.softmax(-1).unwrap();
            if o.zero_masked_rows {
                Tensor::where_cond(m, &p, &Tensor::zeros(&[], p.dtype())).unwrap()
            } else {
                p
            }
        }
    };
    p.matmul(&vh).unwrap().permute(&[0, 2, 1, 3]).unwrap()
}

fn mask(b: usize, tq: usize, tk: usize) -> Tensor {
    // (b, 1, tq, tk): a random pattern with one fully masked query row.
    let r = rand_t(&[b, 1, tq, tk], 77).to_f64_vec();
    let mut v: Vec<bool> = r.iter().map(|x| *x > -0.4).collect();
    for j in 0..tk {
        v[tk + j] = false; // batch 0, row 1
    }
    Tensor::from_vec(v, &[b, 1, tq, tk]).unwrap()
}

fn close(what: &str, a: &Tensor, b: &Tensor, tol: f64) {
    assert_eq!(a.shape(), b.shape(), "{what}");
    for (i, (x, y)) in a.to_f64_vec().iter().zip(b.to_f64_vec()).enumerate() {
        assert!(
            (x - y).abs() <= tol * (1.0 + y.abs()),
            "{what}[{i}]: {x} vs {y}"
        );
    }
}

#[test]
fn direct_and_blocked_equal_the_composed_reference() {
    let (b, tq, tk, n, h, hv) = (2usize, 7usize, 9usize, 3usize, 4usize, 5usize);
    let q = rand_t(&[b, tq, n, h], 1);
    let k = rand_t(&[b, tk, n, h], 2);
    let v = rand_t(&[b, tk, n, hv], 3);
    let m = mask(b, tq, tk);
    for zero in [false, true] {
        for use_mask in [false, true] {
            let mut o = AttentionOptions::new(0.5);
            o.zero_masked_rows = zero;
            let mm = use_mask.then_some(&m);
            let want = reference(&q, &k, &v, mm, o);
            for path in [
                AttentionPath::Direct,
                AttentionPath::Blocked {
                    block_q: 3,
                    block_k: 4,
                },
                AttentionPath::Blocked {
                    block_q: 64,
                    block_k: 2,
                },
            ] {
                o.path = path;
                let got = q.scaled_dot_product_attention(&k, &v, mm, o).unwrap();
                close(
                    &format!("zero={zero} mask={use_mask} {path:?}"),
                    &got,
                    &want,
                    1e-12,
                );
                let f32s = [&q, &k, &v].map(|t| t.cast(kiln_tensor::DType::F32).unwrap());
                let got32 = f32s[0]
                    .scaled_dot_product_attention(&f32s[1], &f32s[2], mm, o)
                    .unwrap();
                close(
                    &format!("f32 zero={zero} mask={use_mask} {path:?}"),
                    &got32,
                    &want,
                    1e-5,
                );
            }
        }
    }
}

#[test]
fn finite_differences_on_both_paths() {
    let (b, tq, tk, n, h, hv) = (2usize, 4usize, 5usize, 2usize, 3usize, 2usize);
    let inputs = vec![
        rand_t(&[b, tq, n, h], 11),
        rand_t(&[b, tk, n, h], 12),
        rand_t(&[b, tk, n, hv], 13),
    ];
    let m = mask(b, tq, tk);
    for zero in [false, true] {
        for path in [
            AttentionPath::Direct,
            AttentionPath::Blocked {
                block_q: 3,
                block_k: 2,
            },
        ] {
            for use_mask in [false, true] {
                let mut o = AttentionOptions::new(0.7);
                o.zero_masked_rows = zero;
                o.path = path;
                let mm = use_mask.then_some(&m);
                gradcheck_tol(
                    &format!("{path:?} zero={zero} mask={use_mask}"),
                    &inputs,
                    1e-6,
                    1e-6,
                    |xs| xs[0].scaled_dot_product_attention(&xs[1], &xs[2], mm, o),
                );
            }
        }
    }
}

#[test]
fn a_mask_that_does_not_broadcast_is_an_error() {
    let q = rand_t(&[2, 3, 2, 4], 1);
    let k = rand_t(&[2, 5, 2, 4], 2);
    let bad = Tensor::from_vec(vec![true; 12], &[2, 1, 3, 2]).unwrap();
    let e = q
        .scaled_dot_product_attention(&k, &k, Some(&bad), AttentionOptions::new(1.0))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("(2, 1, 3, 2)") && e.contains("(2, 2, 3, 5)"),
        "{e}"
    );
}
