//! Linear algebra and fused loss ops: finite-difference gradient checks (including
//! transposed, sliced and broadcast operands), second derivatives, kernel paths and errors.
mod common;
use common::*;
use kiln_tensor::{DType, GradientTape, Result, Tensor};

/// Naive f64 reference for a batch of 2-D products given as row-major vectors.
fn naive_matmul(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
    let mut out = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            out[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
        }
    }
    out
}

// ----- matmul ------------------------------------------------------------------------------

#[test]
fn matmul_2d_grad() {
    gradcheck(
        "matmul 2d",
        &[rand_t(&[3, 4], 1), rand_t(&[4, 5], 2)],
        |x| x[0].matmul(&x[1]),
    );
}

#[test]
fn matmul_t_all_flags_grad() {
    let a = rand_t(&[4, 3], 3);
    let b = rand_t(&[5, 4], 4);
    gradcheck("ta", &[a.clone(), rand_t(&[4, 5], 5)], |x| {
        x[0].matmul_t(&x[1], true, false)
    });
    gradcheck("tb", &[rand_t(&[3, 4], 6), b.clone()], |x| {
        x[0].matmul_t(&x[1], false, true)
    });
    gradcheck("ta tb", &[a, b], |x| x[0].matmul_t(&x[1], true, true));
}

#[test]
fn matmul_strided_operands_grad() {
    // Transposed views (column-major matrices) passed straight to the GEMM.
    gradcheck(
        "transposed views",
        &[rand_t(&[4, 3], 7), rand_t(&[5, 4], 8)],
        |x| x[0].transpose(None)?.matmul(&x[1].transpose(None)?),
    );
    // A permuted 3-D tensor: each (4, 5) matrix is row-major with leading dimension 15,
    // i.e. a slice of a wider matrix; batch stride 5.
    gradcheck(
        "sliced matrices",
        &[rand_t(&[4, 3, 5], 9), rand_t(&[3, 5, 2], 10)],
        |x| x[0].permute(&[1, 0, 2])?.matmul(&x[1]),
    );
    // Matrices strided in both directions (copied once before the GEMM).
    gradcheck(
        "doubly strided",
        &[rand_t(&[3, 4, 2], 90), rand_t(&[4, 5], 91)],
        |x| x[0].permute(&[2, 0, 1])?.matmul(&x[1]),
    );
    // Broadcast rows (stride 0 inside a matrix).
    gradcheck(
        "broadcast rows",
        &[rand_t(&[1, 4], 11), rand_t(&[4, 3], 12)],
        |x| x[0].broadcast_to(&[5, 4])?.matmul(&x[1]),
    );
}

#[test]
fn matmul_batched_broadcast_grad() {
    gradcheck(
        "batch broadcast",
        &[rand_t(&[2, 1, 3, 4], 13), rand_t(&[3, 4, 5], 14)],
        |x| x[0].matmul(&x[1]),
    );
    gradcheck(
        "matrix x 3d",
        &[rand_t(&[3, 4], 15), rand_t(&[2, 4, 5], 16)],
        |x| x[0].matmul(&x[1]),
    );
    // 3-D times a shared 2-D weight, with and without transposes (the folded weight grad).
    gradcheck(
        "3d x matrix",
        &[rand_t(&[2, 3, 4], 17), rand_t(&[4, 5], 18)],
        |x| x[0].matmul(&x[1]),
    );
    gradcheck(
        "3d x matrix^T",
        &[rand_t(&[2, 3, 4], 19), rand_t(&[5, 4], 20)],
        |x| x[0].matmul_t(&x[1], false, true),
    );
    gradcheck(
        "3d^T x matrix",
        &[rand_t(&[2, 4, 3], 21), rand_t(&[4, 5], 22)],
        |x| x[0].matmul_t(&x[1], true, false),
    );
    // Transposed 3-D left operand (non-contiguous) with a shared weight.
    gradcheck(
        "permuted 3d x matrix",
        &[rand_t(&[3, 2, 4], 23), rand_t(&[4, 5], 24)],
        |x| x[0].permute(&[1, 0, 2])?.matmul(&x[1]),
    );
    gradcheck(
        "batched ta tb",
        &[rand_t(&[2, 1, 4, 3], 25), rand_t(&[3, 5, 4], 26)],
        |x| x[0].matmul_t(&x[1], true, true),
    );
}

#[test]
fn matmul_vectors() {
    let m = rand_t(&[3, 4], 27);
    let v = rand_t(&[4], 28);
    let w = rand_t(&[3], 29);
    assert_eq!(m.matmul(&v).unwrap().shape(), &[3]);
    assert_eq!(w.matmul(&m).unwrap().shape(), &[4]);
    assert_eq!(v.matmul(&v).unwrap().shape(), &[] as &[usize]);
    let batch = rand_t(&[2, 3, 4], 30);
    assert_eq!(batch.matmul(&v).unwrap().shape(), &[2, 3]);
    assert_eq!(w.matmul(&batch).unwrap().shape(), &[2, 4]);
    gradcheck("mat @ vec", &[m.clone(), v.clone()], |x| x[0].matmul(&x[1]));
    gradcheck("vec @ mat", &[w.clone(), m.clone()], |x| x[0].matmul(&x[1]));
    gradcheck("vec @ vec", &[v.clone(), rand_t(&[4], 31)], |x| {
        x[0].matmul(&x[1])
    });
    gradcheck("vec @ batch", &[w, batch], |x| x[0].matmul(&x[1]));
}

#[test]
fn matmul_large_paths_match_naive() {
    // Single threaded GEMM, threaded GEMM (> 25 MFLOP), batch-parallel small products,
    // GEMV with row- and column-major operands, all in f32 and f64.
    for &(batch, m, k, n) in &[
        (1, 37, 29, 41),
        (1, 300, 300, 300),
        (1, 256, 100, 520),
        (16, 128, 128, 128),
        (1, 1, 500, 300),
        (1, 300, 500, 1),
        (3, 1, 64, 1),
    ] {
        let a = rand_t(&[batch, m, k], 32);
        let b = rand_t(&[batch, k, n], 33);
        let av = a.to_vec::<f64>().unwrap();
        let bv = b.to_vec::<f64>().unwrap();
        let mut want = Vec::new();
        for i in 0..batch {
            want.extend(naive_matmul(
                &av[i * m * k..(i + 1) * m * k],
                &bv[i * k * n..(i + 1) * k * n],
                m,
                k,
                n,
            ));
        }
        let got = a.matmul(&b).unwrap();
        assert_close("f64", &got.to_f64_vec(), &want, 1e-12, 1e-12);
        let a32 = a.cast(DType::F32).unwrap();
        let b32 = b.cast(DType::F32).unwrap();
        assert_close(
            "f32",
            &a32.matmul(&b32).unwrap().to_f64_vec(),
            &want,
            1e-4,
            1e-4,
        );
        // Same product from transposed storage (column-major operands).
        let at = a.transpose(Some(&[0, 2, 1])).unwrap().contiguous();
        let bt = b.transpose(Some(&[0, 2, 1])).unwrap().contiguous();
        let got_t = at.matmul_t(&bt, true, true).unwrap();
        assert_close(
            "f64 transposed storage",
            &got_t.to_f64_vec(),
            &want,
            1e-12,
            1e-12,
        );
    }
}

#[test]
fn matmul_other_dtypes() {
    let a = Tensor::from_vec(vec![1i32, 2, 3, 4, 5, 6], &[2, 3]).unwrap();
    let b = Tensor::from_vec(vec![1i32, 0, -1, 2, 3, 1], &[3, 2]).unwrap();
    assert_eq!(
        a.matmul(&b).unwrap().to_vec::<i32>().unwrap(),
        vec![8, 7, 17, 16]
    );
    let a64 = a.cast(DType::I64).unwrap();
    assert_eq!(
        a64.matmul(&b.cast(DType::I64).unwrap())
            .unwrap()
            .to_vec::<i64>()
            .unwrap(),
        vec![8, 7, 17, 16]
    );
    let h = a
        .cast(DType::F16)
        .unwrap()
        .matmul(&b.cast(DType::F16).unwrap())
        .unwrap();
    assert_eq!(h.dtype(), DType::F16);
    assert_eq!(h.to_f64_vec(), vec![8.0, 7.0, 17.0, 16.0]);
    let bf = a
        .cast(DType::BF16)
        .unwrap()
        .matmul(&b.cast(DType::BF16).unwrap())
        .unwrap();
    assert_eq!(bf.to_f64_vec(), vec![8.0, 7.0, 17.0, 16.0]);
    // Empty inner dimension gives zeros; empty outer gives an empty result.
    let z = Tensor::zeros(&[2, 0], DType::F32)
        .matmul(&Tensor::zeros(&[0, 3], DType::F32))
        .unwrap();
    assert_eq!(z.to_vec::<f32>().unwrap(), vec![0.0; 6]);
    let e = Tensor::zeros(&[0, 4], DType::F32)
        .matmul(&Tensor::zeros(&[4, 3], DType::F32))
        .unwrap();
    assert_eq!(e.shape(), &[0, 3]);
}

#[test]
fn matmul_second_derivative() {
    // d/da of (sum over the gradient of sum((a@b)^2) w.r.t. b): checks nested tapes.
    gradcheck(
        "matmul grad of grad",
        &[rand_t(&[3, 4], 34), rand_t(&[4, 2], 35)],
        |x| {
            let inner = GradientTape::new();
            inner.watch(&x[1]);
            let y = x[0].matmul(&x[1])?.square()?.sum_all()?;
            Ok(inner.gradient(&y, &[&x[1]])?[0].clone().unwrap())
        },
    );
}

#[test]
fn matmul_errors() {
    let a = Tensor::zeros(&[2, 3], DType::F32);
    let b = Tensor::zeros(&[4, 5], DType::F32);
    let e = a.matmul(&b).unwrap_err().to_string();
    assert!(
        e.contains("matmul") && e.contains("(2, 3)") && e.contains("(4, 5)"),
        "{e}"
    );
    let e = a.matmul_t(&b, true, false).unwrap_err().to_string();
    assert!(
        e.contains("matmul") && e.contains("(2, 3)") && e.contains("(4, 5)"),
        "{e}"
    );
    let e = a
        .matmul(&Tensor::zeros(&[3, 2], DType::F64))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("matmul") && e.contains("float32") && e.contains("float64"),
        "{e}"
    );
    let e = Tensor::zeros(&[2, 2, 3], DType::F32)
        .matmul(&Tensor::zeros(&[3, 3, 4], DType::F32))
        .unwrap_err();
    assert!(e.to_string().contains("batch"), "{e}");
    assert!(Tensor::scalar(1.0f32).matmul(&a).is_err());
    assert!(Tensor::zeros(&[3], DType::F32)
        .matmul_t(&a, false, false)
        .is_err());
    let bools = Tensor::zeros(&[2, 2], DType::Bool);
    assert!(bools.matmul(&bools).is_err());
    let e = Tensor::zeros(&[3], DType::F32)
        .matmul(&Tensor::zeros(&[4], DType::F32))
        .unwrap_err()
        .to_string();
    assert!(e.contains("(3,)") && e.contains("(4,)"), "{e}");
}

// ----- tensordot / outer ---------------------------------------------------------------------

#[test]
fn tensordot_grads_and_errors() {
    gradcheck(
        "tensordot 2",
        &[rand_t(&[2, 3, 4], 40), rand_t(&[3, 4, 5], 41)],
        |x| x[0].tensordot(&x[1], 2),
    );
    gradcheck(
        "tensordot 0",
        &[rand_t(&[2, 3], 42), rand_t(&[4], 43)],
        |x| x[0].tensordot(&x[1], 0),
    );
    gradcheck(
        "tensordot pairs",
        &[rand_t(&[2, 3, 4], 44), rand_t(&[4, 3, 5], 45)],
        |x| x[0].tensordot_axes(&x[1], &[1, 2], &[1, 0]),
    );
    gradcheck(
        "tensordot pairs strided",
        &[rand_t(&[3, 2, 4], 46), rand_t(&[5, 2, 3], 47)],
        |x| x[0].transpose(None)?.tensordot_axes(&x[1], &[-1], &[2]),
    );
    let a = Tensor::zeros(&[2, 3], DType::F32);
    assert!(a.tensordot(&a, 3).is_err());
    let e = a.tensordot_axes(&a, &[1], &[1, 0]).unwrap_err().to_string();
    assert!(e.contains("tensordot"), "{e}");
    let e = a.tensordot_axes(&a, &[0], &[1]).unwrap_err().to_string();
    assert!(e.contains("tensordot") && e.contains("(2, 3)"), "{e}");
    assert!(a.tensordot_axes(&a, &[0, 0], &[0, 1]).is_err());
    assert!(a.tensordot_axes(&a, &[2], &[0]).is_err());
}

#[test]
fn outer_grad() {
    gradcheck("outer", &[rand_t(&[3], 48), rand_t(&[4], 49)], |x| {
        x[0].outer(&x[1])
    });
    gradcheck(
        "outer flattens",
        &[rand_t(&[2, 2], 50), rand_t(&[3], 51)],
        |x| x[0].outer(&x[1]),
    );
    assert!(Tensor::zeros(&[2], DType::F32)
        .outer(&Tensor::zeros(&[2], DType::I32))
        .is_err());
}

// ----- einsum --------------------------------------------------------------------------------

fn einsum(eq: &str) -> impl Fn(&[Tensor]) -> Result<Tensor> + '_ {
    move |x: &[Tensor]| {
        let refs: Vec<&Tensor> = x.iter().collect();
        Tensor::einsum(eq, &refs)
    }
}

#[test]
fn einsum_matches_matmul_and_reductions() {
    let a = rand_t(&[3, 4], 60);
    let b = rand_t(&[4, 5], 61);
    let want = a.matmul(&b).unwrap().to_f64_vec();
    assert_close(
        "ij,jk",
        &Tensor::einsum("ij,jk->ik", &[&a, &b]).unwrap().to_f64_vec(),
        &want,
        1e-12,
        1e-12,
    );
    assert_close(
        "implicit",
        &Tensor::einsum("ij,jk", &[&a, &b]).unwrap().to_f64_vec(),
        &want,
        1e-12,
        1e-12,
    );
    let want_t = a.matmul(&b).unwrap().transpose(None).unwrap().to_f64_vec();
    assert_close(
        "->ki",
        &Tensor::einsum("ij,jk->ki", &[&a, &b]).unwrap().to_f64_vec(),
        &want_t,
        1e-12,
        1e-12,
    );
    let s = Tensor::einsum("ij->", &[&a]).unwrap();
    assert!((s.item::<f64>().unwrap() - a.sum_all().unwrap().item::<f64>().unwrap()).abs() < 1e-12);
    // Implicit output is sorted: "ba" -> "ab" transposes.
    let t = Tensor::einsum("ba", &[&a]).unwrap();
    assert_eq!(t.shape(), &[4, 3]);
    let tr = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
    assert_eq!(
        Tensor::einsum("ii->i", &[&tr])
            .unwrap()
            .to_vec::<f64>()
            .unwrap(),
        vec![1.0, 4.0]
    );
    assert_eq!(
        Tensor::einsum(" i i -> ", &[&tr])
            .unwrap()
            .item::<f64>()
            .unwrap(),
        5.0
    );
    // Integers work too.
    let ia = Tensor::from_vec(vec![1i32, 2, 3, 4], &[2, 2]).unwrap();
    assert_eq!(
        Tensor::einsum("ij,jk->ik", &[&ia, &ia])
            .unwrap()
            .to_vec::<i32>()
            .unwrap(),
        vec![7, 10, 15, 22]
    );
}

#[test]
fn einsum_grads() {
    gradcheck(
        "matmul",
        &[rand_t(&[3, 4], 62), rand_t(&[4, 5], 63)],
        einsum("ij,jk->ik"),
    );
    gradcheck(
        "attention",
        &[rand_t(&[2, 2, 3, 4], 64), rand_t(&[2, 2, 5, 4], 65)],
        einsum("bhqd,bhkd->bhqk"),
    );
    gradcheck(
        "attention values",
        &[rand_t(&[2, 2, 3, 5], 66), rand_t(&[2, 2, 5, 4], 67)],
        einsum("bhqk,bhkd->bhqd"),
    );
    gradcheck(
        "bilinear",
        &[
            rand_t(&[2, 3], 68),
            rand_t(&[3, 4], 69),
            rand_t(&[2, 4], 70),
        ],
        einsum("bi,ij,bj->b"),
    );
    gradcheck("diagonal", &[rand_t(&[4, 4], 71)], einsum("ii->i"));
    gradcheck("trace", &[rand_t(&[4, 4], 72)], einsum("ii"));
    gradcheck(
        "batch diagonal",
        &[rand_t(&[2, 3, 3], 73)],
        einsum("bii->bi"),
    );
    gradcheck(
        "rowwise dot",
        &[rand_t(&[3, 5], 74), rand_t(&[3, 5], 75)],
        einsum("bi,bi->b"),
    );
    gradcheck(
        "elementwise",
        &[rand_t(&[3, 4], 76), rand_t(&[3, 4], 77)],
        einsum("ij,ij->ij"),
    );
    gradcheck(
        "sum single labels",
        &[rand_t(&[3, 4], 78), rand_t(&[4, 5], 79)],
        einsum("ij,jk->i"),
    );
    gradcheck(
        "outer",
        &[rand_t(&[3], 80), rand_t(&[4], 81)],
        einsum("i,j"),
    );
    gradcheck(
        "ellipsis broadcast",
        &[rand_t(&[2, 1, 3, 4], 82), rand_t(&[5, 4, 2], 83)],
        einsum("...ij,...jk->...ik"),
    );
    gradcheck(
        "ellipsis implicit",
        &[rand_t(&[2, 3, 4], 84), rand_t(&[4, 5], 85)],
        einsum("...j,jk"),
    );
    gradcheck(
        "ellipsis contracted",
        &[rand_t(&[1, 3], 86), rand_t(&[4, 3], 87)],
        einsum("...i,...i->i"),
    );
    gradcheck(
        "strided operands",
        &[rand_t(&[4, 3], 88), rand_t(&[5, 4], 89)],
        |x| {
            Tensor::einsum(
                "ij,jk->ik",
                &[&x[0].transpose(None)?, &x[1].transpose(None)?],
            )
        },
    );
    gradcheck(
        "three operand chain",
        &[
            rand_t(&[2, 3], 90),
            rand_t(&[3, 4], 91),
            rand_t(&[4, 2], 92),
        ],
        einsum("ij,jk,kl->il"),
    );
}

#[test]
fn einsum_errors() {
    let a = Tensor::zeros(&[2, 3], DType::F32);
    let b = Tensor::zeros(&[4, 5], DType::F32);
    let e = Tensor::einsum("ij,jk->ik", &[&a, &b])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("einsum") && e.contains("'j'") && e.contains("(2, 3)") && e.contains("(4, 5)"),
        "{e}"
    );
    assert!(Tensor::einsum("ij,jk->ik", &[&a]).is_err());
    assert!(Tensor::einsum("ijk->i", &[&a]).is_err());
    assert!(Tensor::einsum("ij->iz", &[&a]).is_err());
    assert!(Tensor::einsum("ij->ii", &[&a]).is_err());
    assert!(Tensor::einsum("i1->i", &[&a]).is_err());
    assert!(Tensor::einsum("...i...->i", &[&a]).is_err());
    assert!(Tensor::einsum("ii->i", &[&a]).is_err());
    assert!(Tensor::einsum("ij,ij->ij", &[&a, &a.cast(DType::F64).unwrap()]).is_err());
    assert!(Tensor::einsum("", &[]).is_err());
}

// ----- losses --------------------------------------------------------------------------------

/// Random label distributions (rows summing to 1 along `axis`).
fn distribution(shape: &[usize], axis: isize, seed: u64) -> Tensor {
    let e = rand_t(shape, seed).exp().unwrap();
    e.div(&e.sum(&[axis], true).unwrap()).unwrap()
}

#[test]
fn softmax_cross_entropy_grads() {
    let labels = distribution(&[4, 5], -1, 100);
    gradcheck("softmax ce", &[labels.clone(), rand_t(&[4, 5], 101)], |x| {
        Tensor::softmax_cross_entropy_with_logits(&x[0], &x[1], -1)
    });
    let labels0 = distribution(&[4, 3], 0, 102);
    gradcheck("softmax ce axis 0", &[labels0, rand_t(&[4, 3], 103)], |x| {
        Tensor::softmax_cross_entropy_with_logits(&x[0], &x[1], 0)
    });
    let labels3 = distribution(&[2, 3, 4], 1, 104);
    gradcheck(
        "softmax ce 3d axis 1",
        &[labels3, rand_t(&[2, 3, 4], 105)],
        |x| Tensor::softmax_cross_entropy_with_logits(&x[0], &x[1], 1),
    );
    // Transposed (strided) logits.
    gradcheck(
        "softmax ce strided logits",
        &[labels.clone(), rand_t(&[5, 4], 106)],
        |x| Tensor::softmax_cross_entropy_with_logits(&x[0], &x[1].transpose(None)?, -1),
    );
}

#[test]
fn softmax_cross_entropy_second_derivative() {
    let labels = distribution(&[3, 4], -1, 107);
    gradcheck("softmax ce hessian", &[rand_t(&[3, 4], 108)], |x| {
        let inner = GradientTape::new();
        inner.watch(&x[0]);
        let loss = Tensor::softmax_cross_entropy_with_logits(&labels, &x[0], -1)?.sum_all()?;
        Ok(inner.gradient(&loss, &[&x[0]])?[0].clone().unwrap())
    });
    gradcheck(
        "softmax ce mixed second derivative",
        &[labels.clone(), rand_t(&[3, 4], 109)],
        |x| {
            let inner = GradientTape::new();
            inner.watch(&x[0]);
            inner.watch(&x[1]);
            let loss = Tensor::softmax_cross_entropy_with_logits(&x[0], &x[1], -1)?
                .square()?
                .sum_all()?;
            let g = inner.gradient(&loss, &[&x[0], &x[1]])?;
            g[0].clone().unwrap().add(&g[1].clone().unwrap())
        },
    );
}

#[test]
fn softmax_cross_entropy_stable_and_errors() {
    let labels = Tensor::from_vec(vec![0.0f32, 1.0, 1.0, 0.0], &[2, 2]).unwrap();
    let logits = Tensor::from_vec(vec![-1000.0f32, 1000.0, 1000.0, -1000.0], &[2, 2]).unwrap();
    let loss = Tensor::softmax_cross_entropy_with_logits(&labels, &logits, -1).unwrap();
    assert_eq!(loss.to_vec::<f32>().unwrap(), vec![0.0, 0.0]);
    let half = Tensor::softmax_cross_entropy_with_logits(
        &labels.cast(DType::F16).unwrap(),
        &logits.cast(DType::F16).unwrap(),
        -1,
    )
    .unwrap();
    assert_eq!(half.dtype(), DType::F16);
    let e =
        Tensor::softmax_cross_entropy_with_logits(&labels, &Tensor::zeros(&[2, 3], DType::F32), -1)
            .unwrap_err();
    assert!(
        e.to_string().contains("softmax_cross_entropy_with_logits")
            && e.to_string().contains("(2, 3)")
    );
    assert!(Tensor::softmax_cross_entropy_with_logits(&labels, &logits, 2).is_err());
    assert!(Tensor::softmax_cross_entropy_with_logits(
        &labels,
        &logits.cast(DType::F64).unwrap(),
        -1
    )
    .is_err());
    let ints = Tensor::zeros(&[2, 2], DType::I32);
    assert!(Tensor::softmax_cross_entropy_with_logits(&ints, &ints, -1).is_err());
}

#[test]
fn sparse_softmax_cross_entropy_grads_and_errors() {
    let labels = Tensor::from_vec(vec![0i64, 3, 2, 1], &[4]).unwrap();
    gradcheck("sparse ce", &[rand_t(&[4, 5], 110)], |x| {
        labels.sparse_softmax_cross_entropy_with_logits(&x[0])
    });
    let labels2 = Tensor::from_vec(vec![0i32, 3, 2, 1, 1, 0], &[2, 3]).unwrap();
    gradcheck("sparse ce 3d strided", &[rand_t(&[4, 3, 2], 111)], |x| {
        labels2.sparse_softmax_cross_entropy_with_logits(&x[0].transpose(None)?)
    });
    gradcheck("sparse ce hessian", &[rand_t(&[4, 5], 112)], |x| {
        let inner = GradientTape::new();
        inner.watch(&x[0]);
        let loss = labels
            .sparse_softmax_cross_entropy_with_logits(&x[0])?
            .sum_all()?;
        Ok(inner.gradient(&loss, &[&x[0]])?[0].clone().unwrap())
    });
    // Matches the dense version with one-hot labels.
    let logits = rand_t(&[4, 5], 113);
    let mut onehot = vec![0.0; 20];
    for (r, &y) in [0usize, 3, 2, 1].iter().enumerate() {
        onehot[r * 5 + y] = 1.0;
    }
    let dense = Tensor::softmax_cross_entropy_with_logits(
        &Tensor::from_vec(onehot, &[4, 5]).unwrap(),
        &logits,
        -1,
    )
    .unwrap();
    let sparse = labels
        .sparse_softmax_cross_entropy_with_logits(&logits)
        .unwrap();
    assert_close(
        "sparse vs dense",
        &sparse.to_f64_vec(),
        &dense.to_f64_vec(),
        1e-12,
        1e-12,
    );

    let bad = Tensor::from_vec(vec![0i32, 5, 1, 1], &[4]).unwrap();
    let e = bad
        .sparse_softmax_cross_entropy_with_logits(&logits)
        .unwrap_err()
        .to_string();
    assert!(e.contains("label 5") && e.contains("5 classes"), "{e}");
    let neg = Tensor::from_vec(vec![0i32, -1, 1, 1], &[4]).unwrap();
    let e = neg
        .sparse_softmax_cross_entropy_with_logits(&logits)
        .unwrap_err()
        .to_string();
    assert!(e.contains("label -1"), "{e}");
    assert!(Tensor::zeros(&[4], DType::F32)
        .sparse_softmax_cross_entropy_with_logits(&logits)
        .is_err());
    assert!(Tensor::zeros(&[5], DType::I32)
        .sparse_softmax_cross_entropy_with_logits(&logits)
        .is_err());
}

#[test]
fn sigmoid_cross_entropy_grads_and_stability() {
    let labels = rand_t(&[3, 4], 120)
        .exp()
        .unwrap()
        .div(&Tensor::scalar(3.0f64))
        .unwrap();
    gradcheck(
        "sigmoid ce",
        &[
            labels.clone(),
            rand_t(&[3, 4], 121).mul(&Tensor::scalar(4.0f64)).unwrap(),
        ],
        |x| x[0].sigmoid_cross_entropy_with_logits(&x[1]),
    );
    gradcheck(
        "sigmoid ce strided",
        &[labels.clone(), rand_t(&[4, 3], 122)],
        |x| x[0].sigmoid_cross_entropy_with_logits(&x[1].transpose(None)?),
    );
    gradcheck("sigmoid ce hessian", &[rand_t(&[3, 4], 123)], |x| {
        let inner = GradientTape::new();
        inner.watch(&x[0]);
        let loss = labels.sigmoid_cross_entropy_with_logits(&x[0])?.sum_all()?;
        Ok(inner.gradient(&loss, &[&x[0]])?[0].clone().unwrap())
    });
    let z = Tensor::from_vec(vec![1.0f32, 0.0, 1.0, 0.0], &[4]).unwrap();
    let x = Tensor::from_vec(vec![100.0f32, -100.0, -100.0, 100.0], &[4]).unwrap();
    let l = z
        .sigmoid_cross_entropy_with_logits(&x)
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
    assert!(l[0] < 1e-30 && l[1] < 1e-30, "{l:?}");
    assert_eq!(&l[2..], &[100.0, 100.0]);
    let e = z
        .sigmoid_cross_entropy_with_logits(&Tensor::zeros(&[2, 2], DType::F32))
        .unwrap_err();
    assert!(e.to_string().contains("sigmoid_cross_entropy_with_logits"));
}

#[test]
fn bias_add_grads_and_errors() {
    gradcheck(
        "bias_add",
        &[rand_t(&[2, 3, 4], 130), rand_t(&[4], 131)],
        |x| x[0].bias_add(&x[1]),
    );
    gradcheck(
        "bias_add strided",
        &[rand_t(&[4, 3], 132), rand_t(&[4], 133)],
        |x| x[0].transpose(None)?.bias_add(&x[1]),
    );
    gradcheck(
        "bias_add nchw",
        &[rand_t(&[2, 3, 2, 2], 134), rand_t(&[3], 135)],
        |x| x[0].bias_add_with_format(&x[1], "NCHW"),
    );
    gradcheck(
        "bias_add hessian path",
        &[rand_t(&[3, 4], 136), rand_t(&[4], 137)],
        |x| {
            let inner = GradientTape::new();
            inner.watch(&x[1]);
            let y = x[0].bias_add(&x[1])?.square()?.sum_all()?;
            Ok(inner.gradient(&y, &[&x[1]])?[0].clone().unwrap())
        },
    );
    // Large enough for the threaded path.
    let x = Tensor::ones(&[256, 1024], DType::F32);
    let b = Tensor::arange(0.0, 1024.0, 1.0, DType::F32).unwrap();
    let y = x.bias_add(&b).unwrap().to_vec::<f32>().unwrap();
    assert_eq!(y[1023], 1024.0);
    assert_eq!(y[255 * 1024 + 7], 8.0);
    let ints = Tensor::from_vec(vec![1i32, 2], &[1, 2]).unwrap();
    assert_eq!(
        ints.bias_add(&ints.reshape(&[2]).unwrap())
            .unwrap()
            .to_vec::<i32>()
            .unwrap(),
        vec![2, 4]
    );
    let e = x
        .bias_add(&Tensor::zeros(&[3], DType::F32))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("bias_add") && e.contains("(256, 1024)") && e.contains("(3,)"),
        "{e}"
    );
    assert!(x.bias_add(&Tensor::zeros(&[1024], DType::F64)).is_err());
    assert!(x.bias_add_with_format(&b, "CHWN").is_err());
}

#[test]
fn matmul_grad_only_for_watched_operands() {
    use kiln_tensor::Variable;
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
    let w = Variable::new(
        Tensor::from_vec(vec![1.0f32, 0.0, 0.0, 1.0], &[2, 2]).unwrap(),
        "w",
        true,
    );
    let tape = GradientTape::persistent();
    let y = x.matmul(&w.value()).unwrap().sum_all().unwrap();
    let g = tape.gradient(&y, &[&w]).unwrap();
    // d/dw sum(x @ w) = x^T @ ones
    assert_eq!(
        g[0].as_ref().unwrap().to_vec::<f32>().unwrap(),
        vec![4.0, 4.0, 6.0, 6.0]
    );
    // x was never watched: no gradient (TF returns None too).
    assert!(tape.gradient(&y, &[&x]).unwrap()[0].is_none());
}
