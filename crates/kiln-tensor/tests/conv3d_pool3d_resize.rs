//! `conv3d`, `max_pool3d` / `avg_pool3d` and `resize_bilinear`: finite-difference gradient
//! checks in f64, forward values against naive reference loops, and errors. (Their
//! agreement with TF/Keras is in kiln's golden_vision_layers test.)
mod common;
use common::*;
use kiln_tensor::{GradientTape, Padding, Tensor};

const V: Padding = Padding::Valid;
const S: Padding = Padding::Same;

/// `(pad before, output size)` of one axis, TF's rule.
fn axis(n: usize, k: usize, s: usize, d: usize, same: bool) -> (usize, usize) {
    let eff = (k - 1) * d + 1;
    if same {
        let out = n.div_ceil(s);
        let total = ((out - 1) * s + eff).saturating_sub(n);
        (total / 2, out)
    } else {
        (0, (n - eff) / s + 1)
    }
}

/// A direct 7-loop conv3d (f64), the reference for the im2col formulation.
fn naive_conv3d(
    x: &Tensor,
    k: &Tensor,
    st: [usize; 3],
    same: bool,
    dil: [usize; 3],
    groups: usize,
) -> Vec<f64> {
    let (xs, ks) = (x.shape().to_vec(), k.shape().to_vec());
    let (xv, kv) = (x.to_vec::<f64>().unwrap(), k.to_vec::<f64>().unwrap());
    let ax: Vec<(usize, usize)> = (0..3)
        .map(|a| axis(xs[a + 1], ks[a], st[a], dil[a], same))
        .collect();
    let (cin_g, cout) = (ks[3], ks[4]);
    let cout_g = cout / groups;
    let mut out = Vec::new();
    for b in 0..xs[0] {
        for od in 0..ax[0].1 {
            for oh in 0..ax[1].1 {
                for ow in 0..ax[2].1 {
                    for o in 0..cout {
                        let g = o / cout_g;
                        let mut acc = 0.0;
                        for td in 0..ks[0] {
                            for th in 0..ks[1] {
                                for tw in 0..ks[2] {
                                    let id = (od * st[0] + td * dil[0]) as isize - ax[0].0 as isize;
                                    let ih = (oh * st[1] + th * dil[1]) as isize - ax[1].0 as isize;
                                    let iw = (ow * st[2] + tw * dil[2]) as isize - ax[2].0 as isize;
                                    if id < 0
                                        || ih < 0
                                        || iw < 0
                                        || id >= xs[1] as isize
                                        || ih >= xs[2] as isize
                                        || iw >= xs[3] as isize
                                    {
                                        continue;
                                    }
                                    for ci in 0..cin_g {
                                        let c = g * cin_g + ci;
                                        let xi = (((b * xs[1] + id as usize) * xs[2]
                                            + ih as usize)
                                            * xs[3]
                                            + iw as usize)
                                            * xs[4]
                                            + c;
                                        let ki = (((td * ks[1] + th) * ks[2] + tw) * cin_g + ci)
                                            * cout
                                            + o;
                                        acc += xv[xi] * kv[ki];
                                    }
                                }
                            }
                        }
                        out.push(acc);
                    }
                }
            }
        }
    }
    out
}

#[test]
fn conv3d_matches_a_direct_loop() {
    let x = rand_t(&[2, 5, 4, 6, 4], 11);
    for (ks, st, same, dil, groups) in [
        ([2, 3, 3, 4, 3], [1, 1, 1], false, [1, 1, 1], 1),
        ([3, 2, 3, 4, 2], [1, 1, 1], true, [1, 1, 1], 1),
        ([3, 3, 2, 4, 5], [2, 1, 2], true, [1, 1, 1], 1),
        ([2, 2, 2, 4, 3], [3, 2, 1], false, [1, 1, 1], 1),
        ([3, 2, 2, 4, 2], [1, 1, 1], true, [2, 1, 2], 1),
        ([2, 3, 1, 4, 2], [1, 1, 1], false, [2, 1, 1], 1),
        ([2, 2, 3, 2, 4], [1, 2, 1], true, [1, 1, 1], 2),
        ([3, 1, 2, 1, 8], [2, 1, 1], false, [1, 1, 1], 4),
        ([1, 1, 1, 4, 3], [1, 1, 1], false, [1, 1, 1], 1),
    ] {
        let k = rand_t(&ks, 12);
        let pad = if same { S } else { V };
        let y = x.conv3d(&k, st, &pad, dil, groups).unwrap();
        let want = naive_conv3d(&x, &k, st, same, dil, groups);
        assert_close(
            &format!("conv3d {ks:?} {st:?} {pad:?} {dil:?} g{groups}"),
            &y.to_vec::<f64>().unwrap(),
            &want,
            1e-12,
            1e-12,
        );
    }
}

#[test]
fn conv3d_grads() {
    let x = rand_t(&[1, 4, 3, 5, 4], 1);
    for (ks, st, pad, dil, groups) in [
        ([2, 2, 3, 4, 3], [1, 1, 1], V, [1, 1, 1], 1),
        ([3, 2, 2, 4, 2], [1, 1, 1], S, [1, 1, 1], 1),
        ([2, 3, 2, 4, 2], [2, 1, 2], S, [1, 1, 1], 1),
        ([2, 2, 2, 4, 2], [2, 2, 1], V, [1, 1, 1], 1),
        ([2, 2, 2, 4, 2], [1, 1, 1], S, [2, 1, 2], 1),
        ([2, 2, 2, 2, 4], [1, 1, 1], S, [1, 1, 1], 2),
        (
            [2, 2, 2, 4, 2],
            [1, 1, 1],
            Padding::Explicit(vec![(1, 0), (0, 1), (2, 1)]),
            [1, 1, 1],
            1,
        ),
    ] {
        let k = rand_t(&ks, 2);
        gradcheck(
            &format!("conv3d {ks:?} {st:?} {pad:?} {dil:?} g{groups}"),
            &[x.clone(), k],
            |t| t[0].conv3d(&t[1], st, &pad, dil, groups),
        );
    }
}

#[test]
fn conv3d_second_derivative() {
    // d/dx of sum((d/dk sum(conv3d(x, k) * w))^2): the kernel gradient is itself recorded.
    let x = rand_t(&[1, 3, 3, 3, 2], 5);
    let k = rand_t(&[2, 2, 2, 2, 2], 6);
    let f = |x: &Tensor| -> Tensor {
        let inner = GradientTape::new();
        inner.watch(&k);
        let y = x.conv3d(&k, [1, 1, 1], &S, [1, 1, 1], 1).unwrap();
        let w = rand_t(y.shape(), 7);
        let s = y.mul(&w).unwrap().sum_all().unwrap();
        let gk = inner.gradient(&s, &[&k]).unwrap().remove(0).unwrap();
        gk.mul(&gk).unwrap().sum_all().unwrap()
    };
    gradcheck("conv3d second order", &[x], |t| Ok(f(&t[0])));
}

/// A direct 3-D pool (f64): max, or the mean over the real elements.
fn naive_pool3d(x: &Tensor, k: [usize; 3], s: [usize; 3], same: bool, max: bool) -> Vec<f64> {
    let xs = x.shape().to_vec();
    let xv = x.to_vec::<f64>().unwrap();
    let ax: Vec<(usize, usize)> = (0..3)
        .map(|a| axis(xs[a + 1], k[a], s[a], 1, same))
        .collect();
    let mut out = Vec::new();
    for b in 0..xs[0] {
        for od in 0..ax[0].1 {
            for oh in 0..ax[1].1 {
                for ow in 0..ax[2].1 {
                    for c in 0..xs[4] {
                        let (mut m, mut sum, mut cnt) = (f64::NEG_INFINITY, 0.0, 0.0);
                        for td in 0..k[0] {
                            for th in 0..k[1] {
                                for tw in 0..k[2] {
                                    let id = (od * s[0] + td) as isize - ax[0].0 as isize;
                                    let ih = (oh * s[1] + th) as isize - ax[1].0 as isize;
                                    let iw = (ow * s[2] + tw) as isize - ax[2].0 as isize;
                                    if id < 0
                                        || ih < 0
                                        || iw < 0
                                        || id >= xs[1] as isize
                                        || ih >= xs[2] as isize
                                        || iw >= xs[3] as isize
                                    {
                                        continue;
                                    }
                                    let v = xv[(((b * xs[1] + id as usize) * xs[2] + ih as usize)
                                        * xs[3]
                                        + iw as usize)
                                        * xs[4]
                                        + c];
                                    m = m.max(v);
                                    sum += v;
                                    cnt += 1.0;
                                }
                            }
                        }
                        out.push(if max { m } else { sum / cnt });
                    }
                }
            }
        }
    }
    out
}

#[test]
fn pool3d_matches_a_direct_loop_and_grads() {
    let x = rand_t(&[2, 5, 4, 5, 3], 21);
    for (k, s, same) in [
        ([2, 2, 2], [2, 2, 2], false),
        ([3, 2, 2], [1, 2, 1], true),
        ([2, 3, 2], [2, 1, 3], true),
        ([3, 3, 3], [2, 1, 2], false),
        ([1, 2, 1], [1, 1, 1], false),
    ] {
        let pad = if same { S } else { V };
        for max in [true, false] {
            let y = if max {
                x.max_pool3d(k, s, &pad)
            } else {
                x.avg_pool3d(k, s, &pad)
            }
            .unwrap();
            let name = format!("{} {k:?} {s:?} {pad:?}", if max { "max" } else { "avg" });
            assert_close(
                &name,
                &y.to_vec::<f64>().unwrap(),
                &naive_pool3d(&x, k, s, same, max),
                1e-12,
                1e-12,
            );
            let small = rand_t(&[1, 4, 3, 4, 2], 22);
            gradcheck(&name, &[small], |t| {
                if max {
                    t[0].max_pool3d(k, s, &pad)
                } else {
                    t[0].avg_pool3d(k, s, &pad)
                }
            });
        }
    }
}

#[test]
fn resize_bilinear_values_grads_and_adjoint() {
    // Hand-computed: 2 -> 4 along width, half-pixel centres, edges clamped.
    let x = Tensor::from_vec(vec![1.0f64, 5.0, 3.0, -1.0], &[1, 2, 2, 1]).unwrap();
    let y = x.resize_bilinear([2, 4]).unwrap();
    assert_close(
        "2x2 -> 2x4",
        &y.to_vec::<f64>().unwrap(),
        &[1.0, 2.0, 4.0, 5.0, 3.0, 2.0, 0.0, -1.0],
        1e-7,
        1e-7,
    );
    let x = rand_t(&[2, 3, 4, 2], 31);
    for size in [[6, 8], [9, 4], [3, 12], [5, 7], [2, 3], [3, 4]] {
        gradcheck(
            &format!("resize_bilinear {size:?}"),
            std::slice::from_ref(&x),
            |t| t[0].resize_bilinear(size),
        );
        // The backward pass is the adjoint of the forward one: <R x, w> = <x, Rᵀ w>.
        let tape = GradientTape::new();
        tape.watch(&x);
        let y = x.resize_bilinear(size).unwrap();
        let w = rand_t(y.shape(), 32);
        let s = y.mul(&w).unwrap().sum_all().unwrap();
        let g = tape.gradient(&s, &[&x]).unwrap().remove(0).unwrap();
        let lhs = s.item::<f64>().unwrap();
        let rhs = g.mul(&x).unwrap().sum_all().unwrap().item::<f64>().unwrap();
        assert!(
            (lhs - rhs).abs() < 1e-10,
            "adjoint {size:?}: {lhs} vs {rhs}"
        );
    }
    // Second order: the gradient of a function of the (recorded) input gradient.
    gradcheck(
        "resize_bilinear second order",
        std::slice::from_ref(&x),
        |t| {
            let inner = GradientTape::new();
            inner.watch(&t[0]);
            let y = t[0].resize_bilinear([6, 8])?;
            let s = y.mul(&y)?.sum_all()?;
            let g = inner.gradient(&s, &[&t[0]])?.remove(0).unwrap();
            Ok(g)
        },
    );
    // f32 agrees with f64.
    let y64 = x.resize_bilinear([6, 8]).unwrap().to_vec::<f64>().unwrap();
    let y32 = x
        .cast(kiln_tensor::DType::F32)
        .unwrap()
        .resize_bilinear([6, 8])
        .unwrap()
        .to_f64_vec();
    assert_close("f32 vs f64", &y32, &y64, 1e-6, 1e-6);
}

#[test]
fn errors_name_op_and_shapes() {
    let x = Tensor::ones(&[1, 3, 4, 4, 2], kiln_tensor::DType::F32);
    let e = x
        .conv3d(
            &Tensor::ones(&[2, 2, 2, 3, 4], kiln_tensor::DType::F32),
            [1, 1, 1],
            &V,
            [1, 1, 1],
            1,
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("conv3d") && e.contains("(1, 3, 4, 4, 2)") && e.contains("3"),
        "{e}"
    );
    let e = x
        .conv3d(
            &Tensor::ones(&[4, 2, 2, 2, 4], kiln_tensor::DType::F32),
            [1, 1, 1],
            &V,
            [1, 1, 1],
            1,
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("conv3d") && e.contains("too small"), "{e}");
    let e = Tensor::ones(&[1, 3, 4, 2], kiln_tensor::DType::F32)
        .conv3d(
            &Tensor::ones(&[1, 1, 1, 2, 4], kiln_tensor::DType::F32),
            [1, 1, 1],
            &V,
            [1, 1, 1],
            1,
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("conv3d") && e.contains("5-D"), "{e}");
    let e = x
        .max_pool3d([4, 2, 2], [1, 1, 1], &V)
        .unwrap_err()
        .to_string();
    assert!(e.contains("max_pool3d") && e.contains("too small"), "{e}");
    let e = x
        .avg_pool3d([2, 2, 2], [1, 1, 1], &Padding::Causal)
        .unwrap_err()
        .to_string();
    assert!(e.contains("avg_pool3d"), "{e}");
    let e = x.resize_bilinear([4, 4]).unwrap_err().to_string();
    assert!(e.contains("resize_bilinear") && e.contains("4-D"), "{e}");
}
