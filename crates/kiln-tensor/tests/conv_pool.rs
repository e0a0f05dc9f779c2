//! Convolution, pooling and patch extraction: finite-difference gradient checks (f64),
//! second derivatives, error messages and a few hand-computed values.
mod common;
use common::*;
use kiln_tensor::{DType, GradientTape, Padding, Tensor};

const V: Padding = Padding::Valid;
const S: Padding = Padding::Same;

#[test]
fn conv2d_grads_stride_dilation_padding() {
    let x = rand_t(&[2, 5, 6, 3], 1);
    let k = rand_t(&[3, 2, 3, 4], 2);
    for (strides, dil, pad) in [
        ([1, 1], [1, 1], S),
        ([1, 1], [1, 1], V),
        ([2, 1], [1, 1], S),
        ([2, 2], [1, 1], V),
        ([1, 1], [2, 1], S),
        ([1, 1], [2, 2], V),
        ([1, 2], [1, 1], Padding::Explicit(vec![(1, 2), (2, 0)])),
    ] {
        gradcheck(
            &format!("conv2d {strides:?} {dil:?} {pad:?}"),
            &[x.clone(), k.clone()],
            |t| t[0].conv2d(&t[1], strides, &pad, dil, 1),
        );
    }
}

#[test]
fn conv2d_grads_1x1_and_groups() {
    let x = rand_t(&[2, 4, 3, 4], 3);
    gradcheck("conv2d 1x1", &[x.clone(), rand_t(&[1, 1, 4, 3], 4)], |t| {
        t[0].conv2d(&t[1], [1, 1], &V, [1, 1], 1)
    });
    gradcheck(
        "conv2d 1x1 s2",
        &[x.clone(), rand_t(&[1, 1, 4, 3], 5)],
        |t| t[0].conv2d(&t[1], [2, 2], &S, [1, 1], 1),
    );
    gradcheck(
        "conv2d 1x1 groups2",
        &[x.clone(), rand_t(&[1, 1, 2, 6], 6)],
        |t| t[0].conv2d(&t[1], [1, 1], &V, [1, 1], 2),
    );
    gradcheck(
        "conv2d groups2",
        &[x.clone(), rand_t(&[2, 2, 2, 4], 7)],
        |t| t[0].conv2d(&t[1], [1, 1], &S, [1, 1], 2),
    );
    // groups == channels: the depthwise loop path.
    gradcheck(
        "conv2d groups4",
        &[x.clone(), rand_t(&[3, 3, 1, 8], 8)],
        |t| t[0].conv2d(&t[1], [2, 1], &S, [1, 1], 4),
    );
}

#[test]
fn conv2d_grad_strided_input() {
    // A transposed (non-contiguous) NHWC view built from NCHW data.
    let nchw = rand_t(&[2, 3, 4, 5], 9);
    gradcheck(
        "conv2d strided input",
        &[nchw, rand_t(&[2, 2, 3, 2], 10)],
        |t| {
            t[0].permute(&[0, 2, 3, 1])?
                .conv2d(&t[1], [1, 1], &S, [1, 1], 1)
        },
    );
}

#[test]
fn conv1d_grads() {
    let x = rand_t(&[2, 7, 3], 11);
    let k = rand_t(&[3, 3, 2], 12);
    for (s, d, pad) in [
        (1, 1, S),
        (2, 1, V),
        (1, 2, S),
        (1, 2, Padding::Causal),
        (2, 1, Padding::Causal),
    ] {
        gradcheck(
            &format!("conv1d s{s} d{d} {pad:?}"),
            &[x.clone(), k.clone()],
            |t| t[0].conv1d(&t[1], s, &pad, d, 1),
        );
    }
    gradcheck(
        "conv1d groups",
        &[rand_t(&[2, 6, 4], 13), rand_t(&[2, 2, 4], 14)],
        |t| t[0].conv1d(&t[1], 1, &S, 1, 2),
    );
}

#[test]
fn depthwise_grads() {
    let x = rand_t(&[2, 5, 5, 3], 15);
    for (m, s, d, pad) in [
        (1, [1, 1], [1, 1], S),
        (2, [2, 2], [1, 1], V),
        (2, [1, 1], [2, 2], S),
        (1, [2, 1], [1, 1], S),
    ] {
        gradcheck(
            &format!("depthwise m{m} {s:?} {d:?}"),
            &[x.clone(), rand_t(&[3, 2, 3, m], 16)],
            |t| t[0].depthwise_conv2d(&t[1], s, &pad, d),
        );
    }
}

#[test]
fn conv2d_transpose_grads() {
    let x = rand_t(&[2, 3, 3, 4], 17);
    let k = rand_t(&[3, 3, 2, 4], 18);
    for (os, s, pad) in [
        ([2, 3, 3, 2], [1, 1], S),
        ([2, 5, 5, 2], [1, 1], V),
        ([2, 6, 6, 2], [2, 2], S),
        ([2, 5, 5, 2], [2, 2], S),
        ([2, 8, 7, 2], [2, 2], V),
    ] {
        gradcheck(
            &format!("conv2d_transpose {os:?} {s:?}"),
            &[x.clone(), k.clone()],
            |t| t[0].conv2d_transpose(&t[1], &os, s, &pad, [1, 1]),
        );
    }
}

#[test]
fn conv2d_transpose_is_conv2d_input_gradient() {
    let x = rand_t(&[1, 5, 5, 2], 19);
    let k = rand_t(&[3, 3, 2, 3], 20);
    let tape = GradientTape::new();
    tape.watch(&x);
    let y = x.conv2d(&k, [2, 2], &S, [1, 1], 1).unwrap();
    let dy = rand_t(y.shape(), 21);
    let g = tape
        .gradient_with(&[&y], &[&x], Some(std::slice::from_ref(&dy)))
        .unwrap();
    let t = dy
        .conv2d_transpose(&k, &[1, 5, 5, 2], [2, 2], &S, [1, 1])
        .unwrap();
    assert_close(
        "transpose",
        &t.to_f64_vec(),
        &g[0].as_ref().unwrap().to_f64_vec(),
        1e-12,
        1e-12,
    );
}

#[test]
fn conv2d_second_derivatives() {
    // Gradient of (grad wrt x) wrt the kernel and of (grad wrt k) wrt x through nested tapes.
    let x = rand_t(&[1, 4, 4, 2], 22);
    let k = rand_t(&[2, 2, 2, 2], 23);
    gradcheck("d/dk of |dL/dx|^2", &[x.clone(), k.clone()], |t| {
        let inner = GradientTape::new();
        inner.watch(&t[0]);
        let y = t[0]
            .conv2d(&t[1], [1, 1], &S, [1, 1], 1)?
            .square()?
            .sum_all()?;
        let g = inner.gradient(&y, &[&t[0]])?[0].clone().unwrap();
        g.square()
    });
    gradcheck("maxpool/avgpool 2nd", &[x], |t| {
        let inner = GradientTape::new();
        inner.watch(&t[0]);
        let y = t[0].max_pool2d([2, 2], [1, 1], &V)?.square()?.sum_all()?;
        let y2 = t[0].avg_pool2d([2, 2], [1, 1], &S)?.square()?.sum_all()?;
        let g = inner.gradient(&y.add(&y2)?, &[&t[0]])?[0].clone().unwrap();
        g.square()
    });
}

#[test]
fn pool_grads() {
    let x = rand_t(&[2, 5, 6, 3], 24);
    for (k, s, pad) in [
        ([2, 2], [2, 2], V),
        ([3, 3], [2, 2], S),
        ([2, 3], [1, 2], S),
        ([3, 2], [1, 1], V),
    ] {
        gradcheck(
            &format!("max_pool2d {k:?} {s:?} {pad:?}"),
            std::slice::from_ref(&x),
            |t| t[0].max_pool2d(k, s, &pad),
        );
        gradcheck(
            &format!("avg_pool2d {k:?} {s:?} {pad:?}"),
            std::slice::from_ref(&x),
            |t| t[0].avg_pool2d(k, s, &pad),
        );
    }
    let x1 = rand_t(&[2, 7, 3], 25);
    for (k, s, pad) in [(2, 1, V), (3, 2, S), (2, 2, S)] {
        gradcheck(
            &format!("max_pool1d {k} {s}"),
            std::slice::from_ref(&x1),
            |t| t[0].max_pool1d(k, s, &pad),
        );
        gradcheck(
            &format!("avg_pool1d {k} {s}"),
            std::slice::from_ref(&x1),
            |t| t[0].avg_pool1d(k, s, &pad),
        );
    }
    let nchw = rand_t(&[2, 3, 4, 4], 26);
    gradcheck(
        "max_pool2d strided input",
        std::slice::from_ref(&nchw),
        |t| t[0].permute(&[0, 2, 3, 1])?.max_pool2d([2, 2], [2, 2], &S),
    );
    gradcheck("avg_pool2d strided input", &[nchw], |t| {
        t[0].permute(&[0, 2, 3, 1])?.avg_pool2d([3, 3], [1, 1], &S)
    });
}

#[test]
fn max_pool_ties_go_to_first_max() {
    let x = Tensor::from_vec(vec![1.0f32, 1.0, 1.0, 1.0], &[1, 2, 2, 1]).unwrap();
    let tape = GradientTape::new();
    tape.watch(&x);
    let y = x.max_pool2d([2, 2], [1, 1], &V).unwrap();
    let g = tape.gradient(&y, &[&x]).unwrap();
    assert_eq!(
        g[0].as_ref().unwrap().to_vec::<f32>().unwrap(),
        vec![1.0, 0.0, 0.0, 0.0]
    );
}

#[test]
fn max_pool_same_all_negative_and_avg_same_counts() {
    let x = Tensor::full(&[1, 3, 3, 1], -5.0, DType::F32);
    let y = x.max_pool2d([2, 2], [2, 2], &S).unwrap();
    assert_eq!(y.to_vec::<f32>().unwrap(), vec![-5.0; 4]);
    let a = x.avg_pool2d([2, 2], [2, 2], &S).unwrap();
    assert_eq!(a.to_vec::<f32>().unwrap(), vec![-5.0; 4]);
}

#[test]
fn extract_patches_grads_and_values() {
    let x = rand_t(&[2, 5, 6, 2], 27);
    for (k, s, r, pad) in [
        ([2, 2], [1, 1], [1, 1], V),
        ([3, 3], [2, 2], [1, 1], S),
        ([2, 2], [2, 1], [2, 2], S),
    ] {
        gradcheck(
            &format!("extract_patches {k:?} {s:?} {r:?}"),
            std::slice::from_ref(&x),
            |t| t[0].extract_patches(k, s, r, &pad),
        );
    }
    // Patches dotted with a flattened kernel equal conv2d.
    let k = rand_t(&[3, 3, 2, 1], 28);
    let p = x.extract_patches([3, 3], [1, 1], [1, 1], &S).unwrap();
    let via = p
        .mul(&k.reshape(&[18]).unwrap())
        .unwrap()
        .sum(&[-1], true)
        .unwrap();
    let conv = x.conv2d(&k, [1, 1], &S, [1, 1], 1).unwrap();
    assert_close(
        "patches·k",
        &via.to_f64_vec(),
        &conv.to_f64_vec(),
        1e-12,
        1e-12,
    );
}

#[test]
fn half_precision_and_f32_agree_with_f64() {
    let x = rand_t(&[1, 4, 4, 3], 29);
    let k = rand_t(&[3, 3, 3, 2], 30);
    let want = x.conv2d(&k, [1, 1], &S, [1, 1], 1).unwrap().to_f64_vec();
    for (dt, tol) in [(DType::F32, 1e-5), (DType::BF16, 5e-2), (DType::F16, 1e-2)] {
        let y = x
            .cast(dt)
            .unwrap()
            .conv2d(&k.cast(dt).unwrap(), [1, 1], &S, [1, 1], 1)
            .unwrap();
        assert_eq!(y.dtype(), dt);
        assert_close(&format!("{dt:?}"), &y.to_f64_vec(), &want, tol, tol);
    }
}

#[test]
fn larger_shapes_use_the_threaded_paths() {
    // Above the 25 MFLOP threshold: tiled + threaded forward/backward must equal the
    // sum of per-image results computed on small (single-threaded) calls.
    const B: usize = 8;
    const HW: usize = 24;
    let (xi_len, yi_len) = (HW * HW * 16, HW * HW * 32);
    let x = rand_t(&[B, HW, HW, 16], 31).cast(DType::F32).unwrap();
    let k = rand_t(&[3, 3, 16, 32], 32).cast(DType::F32).unwrap();
    let tape = GradientTape::new();
    tape.watch(&x);
    tape.watch(&k);
    let y = x.conv2d(&k, [1, 1], &S, [1, 1], 1).unwrap();
    let g = tape
        .gradient(&y.square().unwrap().sum_all().unwrap(), &[&x, &k])
        .unwrap();
    let mut dk = vec![0.0; k.numel()];
    let xv = x.to_vec::<f32>().unwrap();
    for i in 0..B {
        let xi =
            Tensor::from_vec(xv[i * xi_len..(i + 1) * xi_len].to_vec(), &[1, HW, HW, 16]).unwrap();
        let t = GradientTape::new();
        t.watch(&xi);
        t.watch(&k);
        let yi = xi.conv2d(&k, [1, 1], &S, [1, 1], 1).unwrap();
        assert_close(
            "fwd",
            &yi.to_f64_vec(),
            &y.to_f64_vec()[i * yi_len..(i + 1) * yi_len],
            1e-5,
            1e-5,
        );
        let gi = t
            .gradient(&yi.square().unwrap().sum_all().unwrap(), &[&xi, &k])
            .unwrap();
        let want = &g[0].as_ref().unwrap().to_f64_vec()[i * xi_len..(i + 1) * xi_len];
        assert_close(
            "dx",
            &gi[0].as_ref().unwrap().to_f64_vec(),
            want,
            1e-4,
            1e-4,
        );
        for (a, b) in dk.iter_mut().zip(gi[1].as_ref().unwrap().to_f64_vec()) {
            *a += b;
        }
    }
    assert_close("dk", &dk, &g[1].as_ref().unwrap().to_f64_vec(), 1e-4, 1e-3);
}

#[test]
fn errors_name_op_and_shapes() {
    let x = Tensor::zeros(&[1, 5, 5, 3], DType::F32);
    let k = Tensor::zeros(&[3, 3, 4, 8], DType::F32);
    let e = x.conv2d(&k, [1, 1], &S, [1, 1], 1).unwrap_err().to_string();
    assert!(
        e.contains("conv2d")
            && e.contains("(1, 5, 5, 3)")
            && e.contains("(3, 3, 4, 8)")
            && e.contains("expects 4"),
        "{e}"
    );
    let e = x
        .conv2d(
            &Tensor::zeros(&[3, 3, 8], DType::F32),
            [1, 1],
            &S,
            [1, 1],
            1,
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("conv2d") && e.contains("4-D kernel"), "{e}");
    let e = Tensor::zeros(&[5, 5, 3], DType::F32)
        .conv2d(&k, [1, 1], &S, [1, 1], 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("4-D input"), "{e}");
    let e = x
        .conv2d(
            &Tensor::zeros(&[3, 3, 1, 8], DType::F32),
            [1, 1],
            &S,
            [1, 1],
            2,
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("groups=2") && e.contains("divide"), "{e}");
    let e = x
        .conv2d(
            &Tensor::zeros(&[3, 3, 3, 8], DType::F32),
            [0, 1],
            &S,
            [1, 1],
            1,
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("strides must be positive"), "{e}");
    let e = x
        .conv2d(
            &Tensor::zeros(&[3, 3, 3, 8], DType::F64),
            [1, 1],
            &S,
            [1, 1],
            1,
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("dtype"), "{e}");
    let e = x
        .conv2d(
            &Tensor::zeros(&[7, 7, 3, 8], DType::F32),
            [1, 1],
            &V,
            [1, 1],
            1,
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("too small"), "{e}");
    let e = x
        .conv2d(
            &Tensor::zeros(&[3, 3, 3, 8], DType::F32),
            [1, 1],
            &Padding::Causal,
            [1, 1],
            1,
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("causal"), "{e}");
    let e = Tensor::zeros(&[1, 5, 3], DType::F32)
        .conv1d(&Tensor::zeros(&[3, 2, 4], DType::F32), 1, &S, 1, 1)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("conv1d")
            && e.contains("(1, 5, 3)")
            && e.contains("(3, 2, 4)")
            && e.contains("expects 2"),
        "{e}"
    );
    let e = x
        .depthwise_conv2d(
            &Tensor::zeros(&[3, 3, 2, 1], DType::F32),
            [1, 1],
            &S,
            [1, 1],
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("depthwise_conv2d") && e.contains("expects 2"),
        "{e}"
    );
    let e = Tensor::zeros(&[1, 5, 5, 2], DType::I32)
        .max_pool2d([2, 2], [2, 2], &V)
        .unwrap_err()
        .to_string();
    assert!(e.contains("max_pool2d") && e.contains("int32"), "{e}");
    let e = x.max_pool2d([2, 2], [1, 0], &V).unwrap_err().to_string();
    assert!(e.contains("strides must be positive"), "{e}");
    let e = Tensor::zeros(&[5, 3], DType::F32)
        .avg_pool1d(2, 1, &V)
        .unwrap_err()
        .to_string();
    assert!(e.contains("avg_pool1d") && e.contains("3-D input"), "{e}");
    let e = Tensor::zeros(&[1, 5, 3], DType::F32)
        .conv1d(&Tensor::zeros(&[3, 1, 4], DType::F32), 1, &S, 1, 2)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("conv1d") && e.contains("groups=2") && e.contains("(1, 5, 3)"),
        "{e}"
    );
    // An empty batch is fine and gives an empty output.
    let y = Tensor::zeros(&[0, 5, 5, 3], DType::F32)
        .conv2d(
            &Tensor::zeros(&[3, 3, 3, 2], DType::F32),
            [1, 1],
            &S,
            [1, 1],
            1,
        )
        .unwrap();
    assert_eq!(y.shape(), &[0, 5, 5, 2]);
    let e = Padding::parse("full").unwrap_err().to_string();
    assert!(e.contains("full") && e.contains("same"), "{e}");
    assert_eq!("SaMe".parse::<Padding>().unwrap(), Padding::Same);
    let xt = Tensor::zeros(&[1, 3, 3, 4], DType::F32);
    let kt = Tensor::zeros(&[3, 3, 2, 4], DType::F32);
    let e = xt
        .conv2d_transpose(&kt, &[1, 9, 9, 2], [2, 2], &S, [1, 1])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("conv2d_transpose") && e.contains("(1, 9, 9, 2)"),
        "{e}"
    );
    let e = xt
        .conv2d_transpose(&kt, &[1, 6, 6, 3], [2, 2], &S, [1, 1])
        .unwrap_err()
        .to_string();
    assert!(e.contains("channels"), "{e}");
}
