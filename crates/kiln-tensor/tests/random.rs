//! Random generation: determinism, distribution moments, errors; dropout values and gradients.
mod common;
use common::*;
use kiln_tensor::random::{self, Generator};
use kiln_tensor::{DType, GradientTape, Tensor};

const N: usize = 100_000;

fn moments(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    (mean, var.sqrt())
}

fn all_draws(seed: u64) -> Vec<Vec<f64>> {
    let mut g = Generator::from_seed(seed);
    let x = Tensor::arange(0.0, 20.0, 1.0, DType::I32)
        .unwrap()
        .reshape(&[10, 2])
        .unwrap();
    vec![
        g.uniform(&[50], -1.0, 1.0, DType::F32)
            .unwrap()
            .to_f64_vec(),
        g.uniform(&[50], -1.0, 1.0, DType::F64)
            .unwrap()
            .to_f64_vec(),
        g.uniform(&[50], 0.0, 100.0, DType::I32)
            .unwrap()
            .to_f64_vec(),
        g.normal(&[50], 0.0, 1.0, DType::F32).unwrap().to_f64_vec(),
        g.normal(&[50], 0.0, 1.0, DType::F64).unwrap().to_f64_vec(),
        g.truncated_normal(&[50], 0.0, 1.0, DType::F32)
            .unwrap()
            .to_f64_vec(),
        g.randint(&[50], -1000, 1000, DType::I64)
            .unwrap()
            .to_f64_vec(),
        g.bernoulli(&[50], 0.5).unwrap().to_f64_vec(),
        g.permutation(50).to_f64_vec(),
        g.shuffle(&x).unwrap().to_f64_vec(),
        x.cast(DType::F32)
            .unwrap()
            .dropout(0.5, Some(&mut g))
            .unwrap()
            .to_f64_vec(),
    ]
}

#[test]
fn same_seed_same_numbers_different_seeds_differ() {
    let a = all_draws(42);
    let b = all_draws(42);
    let c = all_draws(43);
    assert_eq!(a, b);
    for (i, (x, y)) in a.iter().zip(&c).enumerate() {
        assert_ne!(x, y, "draw {i} identical for seeds 42 and 43");
    }
    // Consecutive draws from one generator differ too.
    let mut g = Generator::from_seed(1);
    let p = g
        .normal(&[8], 0.0, 1.0, DType::F32)
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
    let q = g
        .normal(&[8], 0.0, 1.0, DType::F32)
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
    assert_ne!(p, q);
    // A clone replays the stream.
    let mut h = Generator::from_seed(7);
    let mut h2 = h.clone();
    assert_eq!(
        h.uniform(&[5], 0.0, 1.0, DType::F32)
            .unwrap()
            .to_vec::<f32>()
            .unwrap(),
        h2.uniform(&[5], 0.0, 1.0, DType::F32)
            .unwrap()
            .to_vec::<f32>()
            .unwrap()
    );
}

#[test]
fn stream_is_version_stable() {
    // Pinned values: a change here means saved seeds would give different models.
    let mut g = Generator::from_seed(0);
    let n = g
        .normal(&[4], 0.0, 1.0, DType::F32)
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
    let u = g
        .uniform(&[3], 0.0, 1.0, DType::F64)
        .unwrap()
        .to_vec::<f64>()
        .unwrap();
    let i = g
        .randint(&[4], 0, 1000, DType::I64)
        .unwrap()
        .to_vec::<i64>()
        .unwrap();
    let again = {
        let mut g = Generator::from_seed(0);
        (
            g.normal(&[4], 0.0, 1.0, DType::F32)
                .unwrap()
                .to_vec::<f32>()
                .unwrap(),
            g.uniform(&[3], 0.0, 1.0, DType::F64)
                .unwrap()
                .to_vec::<f64>()
                .unwrap(),
            g.randint(&[4], 0, 1000, DType::I64)
                .unwrap()
                .to_vec::<i64>()
                .unwrap(),
        )
    };
    assert_eq!((n.clone(), u.clone(), i.clone()), again);
    let pinned = pinned_values();
    assert_eq!(format!("{n:?} {u:?} {i:?}"), pinned);
}

fn pinned_values() -> &'static str {
    "[-0.3040103, -1.3984678, -0.28508425, -0.23449984] \
     [0.5223341209203985, 0.41780965022532135, 0.23494679230152993] \
     [268, 788, 240, 763]"
}

#[test]
fn large_outputs_match_small_ones_prefix() {
    // Blocks of 16384 elements use independent streams, so a big (parallel) draw starts
    // with the same numbers as a small (sequential) one: results do not depend on threads.
    let small = Generator::from_seed(3)
        .normal(&[50_000], 0.0, 1.0, DType::F32)
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
    let big = Generator::from_seed(3)
        .normal(&[300_000], 0.0, 1.0, DType::F32)
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
    assert_eq!(&big[..50_000], &small[..]);
    let small = Generator::from_seed(3)
        .uniform(&[1000], 0.0, 1.0, DType::F32)
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
    let big = Generator::from_seed(3)
        .uniform(&[200_000], 0.0, 1.0, DType::F32)
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
    assert_eq!(&big[..1000], &small[..]);
    let small = Generator::from_seed(3)
        .truncated_normal(&[999], 0.0, 1.0, DType::F64)
        .unwrap()
        .to_vec::<f64>()
        .unwrap();
    let big = Generator::from_seed(3)
        .truncated_normal(&[70_000], 0.0, 1.0, DType::F64)
        .unwrap()
        .to_vec::<f64>()
        .unwrap();
    assert_eq!(&big[..999], &small[..]);
}

#[test]
fn uniform_moments() {
    let mut g = Generator::from_seed(11);
    for dtype in [DType::F32, DType::F64, DType::F16, DType::BF16] {
        let t = g.uniform(&[N], -2.0, 4.0, dtype).unwrap();
        assert_eq!(t.dtype(), dtype);
        let v = t.to_f64_vec();
        assert!(
            v.iter().all(|&x| (-2.0..=4.0).contains(&x)),
            "{dtype:?} out of range"
        );
        let (m, s) = moments(&v);
        assert!((m - 1.0).abs() < 0.03, "{dtype:?} mean {m}");
        assert!((s - 6.0 / 12f64.sqrt()).abs() < 0.03, "{dtype:?} std {s}");
    }
    // Full f32 range stays below maxval for [0, 1).
    let v = g
        .uniform(&[N], 0.0, 1.0, DType::F32)
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
    assert!(v.iter().all(|&x| (0.0..1.0).contains(&x)));
    // minval == maxval is allowed for floats.
    assert_eq!(
        g.uniform(&[2], 3.0, 3.0, DType::F32)
            .unwrap()
            .to_vec::<f32>()
            .unwrap(),
        vec![3.0, 3.0]
    );
}

#[test]
fn normal_moments_and_tails() {
    let mut g = Generator::from_seed(12);
    for dtype in [DType::F32, DType::F64, DType::F16, DType::BF16] {
        let t = g.normal(&[N], 3.0, 2.0, dtype).unwrap();
        assert_eq!(t.dtype(), dtype);
        let v = t.to_f64_vec();
        let (m, s) = moments(&v);
        assert!((m - 3.0).abs() < 0.03, "{dtype:?} mean {m}");
        assert!((s - 2.0).abs() < 0.03, "{dtype:?} std {s}");
    }
    // Standard normal tail masses and symmetry (catches a broken log or sin/cos).
    let v = g
        .normal(&[1_000_000], 0.0, 1.0, DType::F32)
        .unwrap()
        .to_f64_vec();
    let frac = |k: f64| v.iter().filter(|x| x.abs() > k).count() as f64 / v.len() as f64;
    assert!(
        (frac(1.0) - 0.3173).abs() < 0.003,
        "P(|z|>1) = {}",
        frac(1.0)
    );
    assert!(
        (frac(2.0) - 0.0455).abs() < 0.002,
        "P(|z|>2) = {}",
        frac(2.0)
    );
    assert!(
        (frac(3.0) - 0.0027).abs() < 0.0005,
        "P(|z|>3) = {}",
        frac(3.0)
    );
    let pos = v.iter().filter(|&&x| x > 0.0).count() as f64 / v.len() as f64;
    assert!((pos - 0.5).abs() < 0.003);
    let kurt = v.iter().map(|x| x.powi(4)).sum::<f64>() / v.len() as f64;
    assert!((kurt - 3.0).abs() < 0.05, "kurtosis {kurt}");
    // Every quadrant of consecutive (cos, sin) outputs is hit evenly: check sign pairs
    // of the two halves of each 128-block.
    let mut quads = [0usize; 4];
    for blk in v.chunks_exact(128) {
        for i in 0..64 {
            quads[(blk[i] > 0.0) as usize * 2 + (blk[64 + i] > 0.0) as usize] += 1;
        }
    }
    for q in quads {
        assert!((q as f64 / 500_000.0 - 0.25).abs() < 0.005, "{quads:?}");
    }
    // stddev 0 gives the mean.
    assert_eq!(
        g.normal(&[3], 1.5, 0.0, DType::F64)
            .unwrap()
            .to_vec::<f64>()
            .unwrap(),
        vec![1.5; 3]
    );
}

#[test]
fn truncated_normal_moments() {
    let mut g = Generator::from_seed(13);
    for dtype in [DType::F32, DType::F64] {
        let v = g
            .truncated_normal(&[N], 1.0, 0.5, dtype)
            .unwrap()
            .to_f64_vec();
        assert!(
            v.iter().all(|&x| (x - 1.0).abs() <= 1.0),
            "{dtype:?} beyond 2 std"
        );
        let (m, s) = moments(&v);
        // Std of a standard normal truncated to (-2, 2) is 0.87962566.
        assert!((m - 1.0).abs() < 0.01, "{dtype:?} mean {m}");
        assert!((s - 0.5 * 0.879_625_66).abs() < 0.01, "{dtype:?} std {s}");
        // Values close to the bound do occur (the truncation does not cut more).
        assert!(v.iter().any(|&x| (x - 1.0).abs() > 0.95));
    }
}

#[test]
fn randint_frequencies() {
    let mut g = Generator::from_seed(14);
    for dtype in [DType::I32, DType::I64, DType::U8] {
        let t = g.randint(&[N], 2, 12, dtype).unwrap();
        assert_eq!(t.dtype(), dtype);
        let v = t.to_f64_vec();
        let mut counts = [0usize; 10];
        for &x in &v {
            assert!((2.0..12.0).contains(&x) && x.fract() == 0.0);
            counts[x as usize - 2] += 1;
        }
        for c in counts {
            assert!(
                (c as f64 / N as f64 - 0.1).abs() < 0.006,
                "{dtype:?} {counts:?}"
            );
        }
    }
    // Extreme ranges.
    let v = g
        .randint(&[1000], i64::MIN, i64::MAX, DType::I64)
        .unwrap()
        .to_vec::<i64>()
        .unwrap();
    assert!(v.iter().any(|&x| x < 0) && v.iter().any(|&x| x > 0));
    let v = g
        .randint(&[1000], 0, 256, DType::U8)
        .unwrap()
        .to_vec::<u8>()
        .unwrap();
    assert!(v.contains(&255) && v.contains(&0));
    assert_eq!(
        g.randint(&[3], 5, 6, DType::I32)
            .unwrap()
            .to_vec::<i32>()
            .unwrap(),
        vec![5; 3]
    );
    let v = g.uniform(&[N], -3.0, 3.0, DType::I32).unwrap().to_f64_vec();
    let (m, _) = moments(&v);
    assert!((m + 0.5).abs() < 0.03, "int uniform mean {m}");
}

#[test]
fn bernoulli_frequencies() {
    let mut g = Generator::from_seed(15);
    for p in [0.0, 0.1, 0.5, 0.9, 1.0] {
        let v = g.bernoulli(&[N], p).unwrap().to_vec::<bool>().unwrap();
        let f = v.iter().filter(|&&b| b).count() as f64 / N as f64;
        assert!((f - p).abs() < 0.005, "p={p}: {f}");
    }
}

#[test]
fn permutation_and_shuffle() {
    let mut g = Generator::from_seed(16);
    let p = g.permutation(1000);
    assert_eq!(p.dtype(), DType::I64);
    let mut v = p.to_vec::<i64>().unwrap();
    assert_ne!(v, (0..1000).collect::<Vec<_>>());
    v.sort();
    assert_eq!(v, (0..1000).collect::<Vec<_>>());
    assert_eq!(g.permutation(0).shape(), &[0]);
    assert_eq!(g.permutation(1).to_vec::<i64>().unwrap(), vec![0]);
    // Position of element 0 is uniform.
    let mut first = [0usize; 4];
    for _ in 0..4000 {
        first[g.permutation(4).to_vec::<i64>().unwrap()[0] as usize] += 1;
    }
    assert!(first.iter().all(|&c| (850..1150).contains(&c)), "{first:?}");

    // Shuffle keeps rows intact, for a strided input too.
    let x = Tensor::arange(0.0, 24.0, 1.0, DType::F32)
        .unwrap()
        .reshape(&[6, 4])
        .unwrap();
    for input in [x.clone(), x.transpose(None).unwrap()] {
        let s = g.shuffle(&input).unwrap();
        assert_eq!(s.shape(), input.shape());
        let cols = input.shape()[1];
        let mut got: Vec<Vec<f32>> = s
            .to_vec::<f32>()
            .unwrap()
            .chunks(cols)
            .map(|r| r.to_vec())
            .collect();
        let mut want: Vec<Vec<f32>> = input
            .to_vec::<f32>()
            .unwrap()
            .chunks(cols)
            .map(|r| r.to_vec())
            .collect();
        got.sort_by(|a, b| a.partial_cmp(b).unwrap());
        want.sort_by(|a, b| a.partial_cmp(b).unwrap());
        assert_eq!(got, want);
    }
    let s = Tensor::scalar(3i32);
    assert_eq!(g.shuffle(&s).unwrap().item::<i32>().unwrap(), 3);
    assert_eq!(
        g.shuffle(&Tensor::zeros(&[0, 3], DType::U8))
            .unwrap()
            .shape(),
        &[0, 3]
    );
    assert_eq!(
        g.shuffle(&Tensor::zeros(&[3, 0], DType::Bool))
            .unwrap()
            .shape(),
        &[3, 0]
    );
}

#[test]
fn argument_errors_name_the_op() {
    let mut g = Generator::from_seed(0);
    let cases: Vec<(kiln_tensor::Result<Tensor>, &str)> = vec![
        (g.uniform(&[2], 1.0, 0.0, DType::F32), "uniform"),
        (g.uniform(&[2], 0.0, f64::INFINITY, DType::F32), "uniform"),
        (g.uniform(&[2], 0.0, 1.5, DType::I32), "uniform"),
        (g.uniform(&[2], 3.0, 3.0, DType::I32), "uniform"),
        (g.uniform(&[2], 0.0, 1.0, DType::Bool), "uniform"),
        (g.normal(&[2], 0.0, -1.0, DType::F32), "normal"),
        (g.normal(&[2], 0.0, 1.0, DType::I32), "int32"),
        (
            g.truncated_normal(&[2], f64::NAN, 1.0, DType::F32),
            "truncated_normal",
        ),
        (g.randint(&[2], 5, 5, DType::I32), "randint"),
        (g.randint(&[2], -1, 5, DType::U8), "uint8"),
        (g.randint(&[2], 0, 1 << 40, DType::I32), "int32"),
        (g.randint(&[2], 0, 5, DType::F32), "float32"),
        (g.bernoulli(&[2], -0.1), "bernoulli"),
    ];
    for (i, (r, needle)) in cases.into_iter().enumerate() {
        let e = r.expect_err(&format!("case {i} should fail")).to_string();
        assert!(e.contains(needle), "case {i}: {e:?} lacks {needle:?}");
    }
    // A failed call does not advance the generator.
    let mut a = Generator::from_seed(9);
    let _ = a.normal(&[2], 0.0, -1.0, DType::F32);
    let x = a.next_u64();
    assert_eq!(x, Generator::from_seed(9).next_u64());
}

#[test]
fn global_generator() {
    // The only test touching the global generator (tests run in parallel threads).
    random::set_global_seed(99);
    let a = random::normal(&[5], 0.0, 1.0, DType::F32)
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
    let b = random::uniform(&[5], 0.0, 1.0, DType::F32)
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
    let x = Tensor::ones(&[64], DType::F32);
    let d = x.dropout(0.5, None).unwrap().to_vec::<f32>().unwrap();
    let p = random::permutation(10).to_vec::<i64>().unwrap();
    random::set_global_seed(99);
    assert_eq!(
        random::normal(&[5], 0.0, 1.0, DType::F32)
            .unwrap()
            .to_vec::<f32>()
            .unwrap(),
        a
    );
    assert_eq!(
        random::uniform(&[5], 0.0, 1.0, DType::F32)
            .unwrap()
            .to_vec::<f32>()
            .unwrap(),
        b
    );
    assert_eq!(x.dropout(0.5, None).unwrap().to_vec::<f32>().unwrap(), d);
    assert_eq!(random::permutation(10).to_vec::<i64>().unwrap(), p);
    random::set_global_seed(100);
    assert_ne!(
        random::normal(&[5], 0.0, 1.0, DType::F32)
            .unwrap()
            .to_vec::<f32>()
            .unwrap(),
        a
    );
    // The global fns cover every sampler.
    assert_eq!(
        random::truncated_normal(&[3], 0.0, 1.0, DType::F64)
            .unwrap()
            .shape(),
        &[3]
    );
    assert_eq!(
        random::randint(&[3], 0, 2, DType::I32).unwrap().shape(),
        &[3]
    );
    assert_eq!(random::bernoulli(&[3], 0.5).unwrap().shape(), &[3]);
    assert_eq!(random::shuffle(&x).unwrap().shape(), &[64]);
    random::set_global_seed(5);
    let c1 = Generator::from_global().next_u64();
    random::set_global_seed(5);
    assert_eq!(Generator::from_global().next_u64(), c1);
    // Threads share the global generator without poisoning it.
    let h: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(|| {
                random::normal(&[1000], 0.0, 1.0, DType::F32)
                    .unwrap()
                    .numel()
            })
        })
        .collect();
    for t in h {
        assert_eq!(t.join().unwrap(), 1000);
    }
}

// ----- dropout ---------------------------------------------------------------------------

#[test]
fn dropout_values_and_scale() {
    let x = Tensor::from_vec(
        (1..=20_000).map(|i| i as f32).collect::<Vec<_>>(),
        &[100, 200],
    )
    .unwrap();
    let y = x.dropout(0.25, Some(&mut Generator::from_seed(3))).unwrap();
    assert_eq!(y.shape(), x.shape());
    let (xv, yv) = (x.to_vec::<f32>().unwrap(), y.to_vec::<f32>().unwrap());
    let mut kept = 0;
    for (a, b) in xv.iter().zip(&yv) {
        if *b != 0.0 {
            assert!((b - a / 0.75).abs() <= 1e-6 * b.abs());
            kept += 1;
        }
    }
    let f = kept as f64 / xv.len() as f64;
    assert!((f - 0.75).abs() < 0.01, "kept fraction {f}");
    // The mean is preserved in expectation.
    let ones = Tensor::ones(&[N], DType::F64);
    let m = ones
        .dropout(0.6, Some(&mut Generator::from_seed(4)))
        .unwrap()
        .mean(&[], false)
        .unwrap();
    assert!((m.item::<f64>().unwrap() - 1.0).abs() < 0.02);
    // As TF (x * scale * mask): a dropped NaN stays NaN, a dropped negative gives -0.
    let m = Tensor::from_vec(vec![false, false, true], &[3]).unwrap();
    let v = Tensor::from_vec(vec![f32::NAN, -1.0, 1.0], &[3]).unwrap();
    let r = v
        .dropout_with_mask(&m, 0.5)
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
    assert!(r[0].is_nan() && r[1] == 0.0 && r[1].is_sign_negative() && r[2] == 2.0);
    // rate 0 is the identity; other float dtypes work.
    assert_eq!(x.dropout(0.0, None).unwrap().to_vec::<f32>().unwrap(), xv);
    for dt in [DType::F16, DType::BF16, DType::F64] {
        let y = Tensor::ones(&[100], dt)
            .dropout(0.5, Some(&mut Generator::from_seed(1)))
            .unwrap();
        assert_eq!(y.dtype(), dt);
        assert!(y.to_f64_vec().iter().all(|&v| v == 0.0 || v == 2.0));
    }
}

#[test]
fn dropout_errors() {
    let x = Tensor::ones(&[2, 3], DType::F32);
    for rate in [1.0, -0.1, 1.5, f64::NAN] {
        let e = x.dropout(rate, None).unwrap_err().to_string();
        assert!(e.contains("dropout") && e.contains("rate"), "{e}");
    }
    let e = Tensor::ones(&[2], DType::I32)
        .dropout(0.5, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("dropout") && e.contains("int32"), "{e}");
    let e = x
        .dropout_noise_shape(0.5, &[3, 3], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("(2, 3)") && e.contains("(3, 3)"), "{e}");
    let e = x
        .dropout_noise_shape(0.5, &[2, 3, 1], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("noise_shape") && e.contains("(2, 3, 1)"), "{e}");
    let e = x
        .dropout_with_mask(&Tensor::ones(&[2, 3], DType::F32), 0.5)
        .unwrap_err()
        .to_string();
    assert!(e.contains("dropout_with_mask") && e.contains("bool"), "{e}");
    let e = x
        .dropout_with_mask(&Tensor::ones(&[4], DType::Bool), 0.5)
        .unwrap_err()
        .to_string();
    assert!(e.contains("dropout_with_mask") && e.contains("(4,)"), "{e}");
}

#[test]
fn dropout_noise_shape_broadcasts_decisions() {
    let x = Tensor::ones(&[8, 5, 6], DType::F32);
    let y = x
        .dropout_noise_shape(0.5, &[8, 1, 6], Some(&mut Generator::from_seed(2)))
        .unwrap();
    let v = y.to_vec::<f32>().unwrap();
    for b in 0..8 {
        for t in 1..5 {
            assert_eq!(
                &v[(b * 5 + t) * 6..(b * 5 + t + 1) * 6],
                &v[b * 30..b * 30 + 6]
            );
        }
    }
    assert!(v.contains(&0.0) && v.contains(&2.0));
}

#[test]
fn dropout_gradients() {
    // The mask is a function of the seed, so a fresh generator per call makes dropout a
    // fixed function for the finite differences.
    let a = rand_t(&[4, 5], 1);
    gradcheck("dropout", std::slice::from_ref(&a), |x| {
        x[0].dropout(0.4, Some(&mut Generator::from_seed(8)))
    });
    gradcheck("dropout strided", std::slice::from_ref(&a), |x| {
        x[0].transpose(None)?
            .dropout(0.4, Some(&mut Generator::from_seed(8)))
    });
    gradcheck("dropout noise_shape", std::slice::from_ref(&a), |x| {
        x[0].dropout_noise_shape(0.5, &[1, 5], Some(&mut Generator::from_seed(8)))
    });
    let mask = Tensor::from_vec(vec![true, false, true, true, false], &[5]).unwrap();
    gradcheck(
        "dropout_with_mask broadcast",
        std::slice::from_ref(&a),
        |x| x[0].dropout_with_mask(&mask, 0.2),
    );

    // The gradient is exactly upstream * mask / (1 - rate).
    let x = rand_t(&[3, 7], 2).cast(DType::F32).unwrap();
    let tape = GradientTape::new();
    tape.watch(&x);
    let y = x.dropout(0.3, Some(&mut Generator::from_seed(5))).unwrap();
    let g = tape.gradient(&y.sum_all().unwrap(), &[&x]).unwrap()[0]
        .clone()
        .unwrap();
    let (yv, gv) = (y.to_vec::<f32>().unwrap(), g.to_vec::<f32>().unwrap());
    for (yy, gg) in yv.iter().zip(&gv) {
        assert_eq!(
            *gg,
            if *yy == 0.0 {
                0.0
            } else {
                (1.0 / (1.0 - 0.3f64)) as f32
            }
        );
    }
    // Second derivative through a nested tape: d2/dx2 of sum(dropout(x)^2) = 2 * m^2.
    let x = rand_t(&[6], 3);
    let outer = GradientTape::new();
    outer.watch(&x);
    let inner = GradientTape::new();
    inner.watch(&x);
    let y = x.dropout(0.5, Some(&mut Generator::from_seed(1))).unwrap();
    let gx = inner
        .gradient(&y.square().unwrap().sum_all().unwrap(), &[&x])
        .unwrap()[0]
        .clone()
        .unwrap();
    drop(inner);
    let h = outer.gradient(&gx.sum_all().unwrap(), &[&x]).unwrap()[0]
        .clone()
        .unwrap();
    let yv = y.to_vec::<f64>().unwrap();
    for (yy, hh) in yv.iter().zip(h.to_vec::<f64>().unwrap()) {
        assert!(
            (hh - if *yy == 0.0 { 0.0 } else { 8.0 }).abs() < 1e-12,
            "{hh}"
        );
    }
}
