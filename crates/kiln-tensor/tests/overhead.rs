//! With no tape active, ops record nothing (the semantic half of "no autodiff cost when no
//! tape is active"; the timing half is `examples/op_overhead.rs`).
use kiln_tensor::{DType, GradientTape, Tensor, Variable};

#[test]
fn ops_before_a_tape_exists_are_not_recorded() {
    let a = Tensor::ones(&[8], DType::F32);
    let b = Tensor::ones(&[8], DType::F32);
    let v = Variable::new(Tensor::ones(&[8], DType::F32), "v", true);
    // 10,000 ops with no tape active.
    let mut y = a.clone();
    for _ in 0..10_000 {
        y = y.add(&b).unwrap();
    }
    let z = v.value().mul(&y).unwrap().sum_all().unwrap();
    // A tape created afterwards has recorded nothing and cannot differentiate past work.
    let tape = GradientTape::new();
    assert_eq!(tape.num_recorded(), 0);
    tape.watch(&a);
    assert_eq!(tape.num_recorded(), 0);
    let g = tape.gradient(&z, &[&a]).unwrap();
    assert!(
        g[0].is_none(),
        "an op run before the tape existed must not be on it"
    );
    assert_eq!(y.to_vec::<f32>().unwrap(), vec![10_001.0; 8]);
}

#[test]
fn unwatched_ops_under_an_active_tape_are_not_recorded() {
    let a = Tensor::ones(&[8], DType::F32);
    let tape = GradientTape::new();
    let mut y = a.clone();
    for _ in 0..100 {
        y = y.add(&a).unwrap();
    }
    assert_eq!(tape.num_recorded(), 0);
    // Dropped tapes leave nothing behind for the next one.
    drop(tape);
    let _ = a.add(&a).unwrap();
    let tape = GradientTape::new();
    assert_eq!(tape.num_recorded(), 0);
}
